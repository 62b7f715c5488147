/**
 * `npm run bench`: how fast the exporter drains a backlog next to bare consumers, what its
 * /metrics costs next to a bare prom-client registry, and its latency under steady load.
 * On the local broker, in a vhost of its own (created here, deleted at the end).
 * Prints tables and writes bench/results/latest.json. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Broker, createBenchVhost, queueNames } from './lib/broker.js';
import type { Vhost } from '../test/support/rabbitmq.js';
import { buildChildren, BENCH_DIR, REPO_DIR } from './lib/build.js';
import type { DrainArgs } from './children/common.js';
import type { Backlog, BenchContext, DrainRow } from './lib/context.js';
import { generateCorpus, loadCorpus } from './lib/corpus.js';
import { machineInfo } from './lib/machine.js';
import { parseOptions, type ScenarioName } from './lib/options.js';
import { render, summarize, writeResults, type Results } from './lib/report.js';
import { MB } from './lib/stats.js';
import { fmt } from './lib/table.js';
import { prepareBacklogs, runConsumer, type ConsumerSpec } from './scenarios/drain.js';
import { runExporterDrain, stopExporter } from './scenarios/exporter.js';
import { runPipelineOnly } from './scenarios/pipeline.js';
import { runScrape } from './scenarios/scrape.js';
import { runSteady } from './scenarios/steady.js';

const CHILDREN = ['noack', 'batch-ack', 'naive', 'exporter', 'pipeline', 'scrape', 'steady-publisher'];

const started = performance.now();
const opts = parseOptions(process.argv.slice(2), process.env);
const selected = (s: ScenarioName): boolean => opts.only.includes(s);
const progress = (message: string): void => {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
};

const resultsDir = resolve(REPO_DIR, 'bench/results');
const logDir = join(resultsDir, 'logs');
rmSync(logDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });
const outFile = resolve(REPO_DIR, opts.out);

let vhost: Vhost | undefined;
let broker: Broker | undefined;
const corpusFile = join(resultsDir, `corpus-${process.pid}.bin`);
async function cleanup(): Promise<void> {
  await broker?.close();
  broker = undefined;
  await vhost?.remove().catch((err: unknown) => progress(`could not delete vhost ${vhost?.name}: ${String(err)}`));
  rmSync(corpusFile, { force: true });
  rmSync(`${corpusFile}.json`, { force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

function kombuAvailable(): boolean {
  try {
    execFileSync(opts.python, ['-c', 'import kombu'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  progress(`building child scripts`);
  // Outside the repository, so linters never see the bundles.
  const children = await buildChildren(CHILDREN, join(tmpdir(), 'osne-bench-build'));
  vhost = await createBenchVhost(opts.amqpHost);
  progress(`vhost ${vhost.name} created`);
  broker = await Broker.open(vhost);
  const machine = machineInfo(broker.serverVersion(), opts.python);

  progress(`generating ${opts.count} notifications from the traffic model (seed ${opts.seed}, ${opts.hosts} hosts)`);
  const corpusMeta = generateCorpus({ file: corpusFile, count: opts.count, seed: opts.seed, hosts: opts.hosts, ratePerSecond: opts.rate });
  const corpus = loadCorpus(corpusFile);
  progress(
    `corpus: ${fmt(corpusMeta.bytes / MB, 0)} MB, ${corpusMeta.sizes.min}-${corpusMeta.sizes.max} bytes (median ${corpusMeta.sizes.p50}), ${fmt(100 * corpusMeta.versionedShare, 0)}% versioned`,
  );

  const ctx: BenchContext = {
    opts,
    vhost,
    broker,
    corpus,
    corpusMeta,
    children,
    resultsDir,
    logDir,
    progress,
  };
  const results: Results = { rows: [], drains: [], fills: [], steady: undefined, scrape: undefined, skipped: [] };
  const drainArgs = (queue: string): DrainArgs => ({ url: ctx.vhost.url, queue, count: opts.count, prefetch: opts.prefetch });
  const consumerArgs = (queue: string): string => JSON.stringify(drainArgs(queue));
  const specs = new Map<string, ConsumerSpec>();
  const nodeChild = (scenario: ScenarioName, label: string): ConsumerSpec => ({
    scenario,
    label,
    command: process.execPath,
    args: (queue) => [children[scenario] as string, consumerArgs(queue)],
  });
  if (selected('noack')) specs.set('noack', nodeChild('noack', 'bare amqplib, noAck, count only (ceiling)'));
  if (selected('batch-ack'))
    specs.set('batch-ack', nodeChild('batch-ack', `amqplib, manual ack, multiple every ${Math.floor(opts.prefetch / 2)}`));
  if (selected('naive')) specs.set('naive', nodeChild('naive', 'naive: 2× JSON.parse + counter.inc + ack each'));
  if (selected('kombu')) {
    if (kombuAvailable()) {
      specs.set('kombu', {
        scenario: 'kombu',
        label: 'python kombu ConsumerMixin, ack each',
        command: opts.python,
        args: (queue) => [join(BENCH_DIR, 'children', 'kombu_consumer.py'), consumerArgs(queue)],
        // Its RSS grows with the backlog it drains (~5.7 KB a message here): kombu/py-amqp's, not the bench's.
        notes: [machine.kombu ?? ''],
      });
    } else {
      results.skipped.push(`kombu: ${opts.python} cannot import kombu (apt-get install -y python3-kombu)`);
    }
  }
  const drainers = [...specs.keys(), ...(selected('exporter') || selected('steady') ? ['exporter'] : [])];

  /** Runs `work`; if the broker went away meanwhile (someone's test restarted it), reconnects and runs it again. */
  const withBroker = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (!ctx.broker.lost || attempt >= 3) throw err;
        progress(`${what}: lost the broker (${err instanceof Error ? err.message : String(err)}); waiting for it, then again`);
        ctx.broker = await Broker.await(ctx.vhost, 300_000);
        broker = ctx.broker;
        for (const q of await queueNames(ctx.vhost.name)) await ctx.broker.deleteQueue(q).catch(() => undefined);
      }
    }
  };

  for (let round = 1; round <= opts.rounds; round++) {
    // Interleaved and rotated, so slow drift of the machine does not favour one scenario;
    // the exporter goes last in the last round, so the steady phase finds no other queue bound.
    let order = drainers.map((_, i) => drainers[(i + round - 1) % drainers.length] as string);
    if (round === opts.rounds && order.includes('exporter')) order = [...order.filter((s) => s !== 'exporter'), 'exporter'];
    if (order.length > 0) {
      const rows = await withBroker(`round ${round}`, async () => {
        progress(`round ${round}/${opts.rounds}: ${order.join(', ')}`);
        const out: DrainRow[] = [];
        const backlogs = await prepareBacklogs(
          ctx,
          order.map((s) => `${s}-r${round}`),
        );
        results.fills.push((backlogs.values().next().value as Backlog).fill);
        for (const scenario of order) {
          const backlog = backlogs.get(`${scenario}-r${round}`) as Backlog;
          if (scenario !== 'exporter') {
            out.push(await runConsumer(ctx, specs.get(scenario) as ConsumerSpec, backlog, round));
            continue;
          }
          const drain = await runExporterDrain(ctx, backlog, round);
          if (selected('exporter')) out.push(drain.row);
          try {
            if (selected('steady') && round === opts.rounds) results.steady = await runSteady(ctx, drain.exporter);
          } finally {
            await stopExporter(ctx, drain.exporter);
          }
        }
        return out;
      });
      results.rows.push(...rows);
    }
    if (selected('pipeline')) {
      // Exemplars on and off back to back, in alternating order: their ratio is the cost.
      for (const exemplars of round % 2 === 1 ? [true, false] : [false, true])
        results.rows.push(await runPipelineOnly(ctx, round, exemplars));
    }
    writeResults(outFile, { opts, durationSeconds: (performance.now() - started) / 1000, machine, corpusMeta }, results, [], true);
  }
  if (selected('scrape')) results.scrape = (await runScrape(ctx)).results;

  const durationSeconds = (performance.now() - started) / 1000;
  results.drains = summarize(results.rows);
  const report = render(results, opts, durationSeconds);
  console.log(report.text);

  writeResults(outFile, { opts, durationSeconds, machine, corpusMeta }, results, report.targets, false);
  progress(`wrote ${outFile} (${fmt(durationSeconds, 0)} s in all)`);
}

try {
  await main();
} finally {
  await cleanup();
}
