/**
 * `npm run bench:web-attack`: what unauthenticated clients cost the counting. The real
 * exporter (bench/children/exporter.ts) behind --web.config.file with basic auth (bcrypt
 * cost 10) drains a backlog of --count notifications, once quiet and once while clients
 * send --rate requests a second, each with a fresh wrong password (half for the real user
 * name, half for unknown ones, each on a new connection, from a process of its own:
 * children/web-attacker.ts), for --seconds. Throughout, a
 * scraper with the right password scrapes every 500 ms; its answer times, the drain rate
 * and the exporter's RSS are reported per round. Rounds: quiet, attack, quiet, so the
 * ratio is taken against the quiet rounds on either side (the machine may be shared).
 * Docs: docs/security.md ("What it costs").
 */
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { Broker, createBenchVhost, queueMaxLength, topologyFor } from './lib/broker.js';
import { buildChildren } from './lib/build.js';
import { generateCorpus, loadCorpus } from './lib/corpus.js';
import { exporterFlags } from './lib/exporter-flags.js';
import { fillQueue } from './lib/fill.js';
import { startChild } from './lib/proc.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg('count', 100_000);
const RATE = arg('rate', 50);
const SECONDS = arg('seconds', 30);
const USER = 'prometheus';
const PASSWORD = 'correct horse battery staple';
const RECEIVED = 'openstack_notification_exporter_messages_received_total';

const dir = mkdtempSync(join(tmpdir(), 'osne-web-attack-'));
const say = (m: string): void => void process.stderr.write(`[web-attack] ${m}\n`);

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly body: string;
}

function get(port: number, path: string, user: string, password: string): Promise<Answer> {
  const t = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t, body }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t, body: '' }));
    req.end();
  });
}

const received = (body: string): number => Number(new RegExp(`^${RECEIVED} (\\S+)$`, 'm').exec(body)?.[1] ?? 0);
const rssMb = (pid: number): number => {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
};
const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

interface Round {
  readonly name: string;
  readonly perSecond: number;
  readonly scrapeMs: { p50: number; max: number; over1s: number; count: number };
  readonly rssMb: { start: number; max: number };
  readonly attack: Record<string, number>;
  readonly load: number;
}

async function round(
  name: string,
  attack: boolean,
  ctx: {
    broker: Broker;
    url: string;
    exporterScript: string;
    attackerScript: string;
    webConfig: string;
    corpus: ReturnType<typeof loadCorpus>;
  },
): Promise<Round> {
  const queue = `bench-web-${name}`;
  await ctx.broker.declare(topologyFor(queue, queueMaxLength(COUNT)));
  say(`${name}: filling ${COUNT} messages`);
  await fillQueue(ctx.broker.connection, ctx.corpus);
  const flags = exporterFlags({
    url: ctx.url,
    queue,
    queueMaxLength: queueMaxLength(COUNT),
    prefetch: 1000,
    extra: { 'web.config.file': ctx.webConfig },
  });
  const child = startChild(process.execPath, [ctx.exporterScript, JSON.stringify({ flags })], join(dir, `${name}.log`));
  const { port } = (await child.next('listening', 60_000)) as unknown as { port: number };
  // Prometheus has scraped before: its password is verified and remembered when the attack starts.
  const verified = await get(port, '/metrics', USER, PASSWORD);
  if (verified.status !== 200) throw new Error(`the scraper got ${verified.status}`);
  const rss0 = rssMb(child.pid);
  let rssMax = rss0;
  const attacker = attack
    ? startChild(
        process.execPath,
        [ctx.attackerScript, JSON.stringify({ port, rate: RATE, seconds: SECONDS, user: USER })],
        join(dir, `${name}-attacker.log`),
      )
    : undefined;
  say(`${name}: draining${attack ? `, ${RATE} wrong passwords/s for ${SECONDS} s` : ''}`);
  const scrapes: number[] = [];
  let first: { count: number; at: number } | undefined;
  let last: { count: number; at: number } | undefined;
  const loads: number[] = [];
  const t0 = performance.now();
  // Until the backlog is drained and, under attack, the attack is over.
  while (!last || (attack && performance.now() - t0 < SECONDS * 1000)) {
    const a = await get(port, '/metrics', USER, PASSWORD);
    if (a.status !== 200) throw new Error(`the scraper got ${a.status}`);
    scrapes.push(a.ms);
    rssMax = Math.max(rssMax, rssMb(child.pid));
    loads.push(loadavg()[0] ?? 0);
    const count = received(a.body);
    const at = performance.now();
    if (!first && count > 0) first = { count, at };
    if (!last && count >= COUNT) last = { count, at };
    await sleep(500);
  }
  const statuses = ((await attacker?.next('done', 120_000))?.['statuses'] ?? {}) as Record<string, number>;
  await child.stop();
  await ctx.broker.deleteQueue(queue);
  const f = first as { count: number; at: number };
  const l = last as { count: number; at: number };
  return {
    name,
    perSecond: (l.count - f.count) / ((l.at - f.at) / 1000),
    scrapeMs: {
      p50: percentile(scrapes, 0.5),
      max: Math.max(...scrapes),
      over1s: scrapes.filter((s) => s > 1000).length,
      count: scrapes.length,
    },
    rssMb: { start: rss0, max: rssMax },
    attack: statuses,
    load: loads.reduce((a, b) => a + b, 0) / loads.length,
  };
}

async function main(): Promise<void> {
  const children = await buildChildren(['exporter', 'web-attacker'], join(dir, 'build'));
  const webConfig = join(dir, 'web.yml');
  writeFileSync(webConfig, `basic_auth_users:\n  ${USER}: ${bcrypt.hashSync(PASSWORD, 10)}\n`);
  const corpusFile = join(dir, 'corpus.bin');
  generateCorpus({ file: corpusFile, count: COUNT, seed: 1, hosts: 100, ratePerSecond: 5000 });
  const corpus = loadCorpus(corpusFile);
  const vhost = await createBenchVhost('127.0.0.1');
  const broker = await Broker.open(vhost);
  try {
    const ctx = {
      broker,
      url: vhost.url,
      exporterScript: children['exporter'] as string,
      attackerScript: children['web-attacker'] as string,
      webConfig,
      corpus,
    };
    const rounds = [await round('quiet-1', false, ctx), await round('attack', true, ctx), await round('quiet-2', false, ctx)];
    const quiet = (rounds[0]!.perSecond + rounds[2]!.perSecond) / 2;
    for (const r of rounds) {
      process.stdout.write(
        `${r.name.padEnd(8)} drain ${Math.round(r.perSecond)} msg/s (${((100 * r.perSecond) / quiet).toFixed(0)}% of quiet)` +
          `  scrape p50 ${r.scrapeMs.p50.toFixed(0)} ms, max ${r.scrapeMs.max.toFixed(0)} ms, ${r.scrapeMs.over1s}/${r.scrapeMs.count} over 1 s` +
          `  RSS ${r.rssMb.start.toFixed(0)} → max ${r.rssMb.max.toFixed(0)} MB  load ${r.load.toFixed(1)}` +
          (Object.keys(r.attack).length ? `  attack answers ${JSON.stringify(r.attack)}` : '') +
          '\n',
      );
    }
  } finally {
    await broker.close();
    await vhost.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
