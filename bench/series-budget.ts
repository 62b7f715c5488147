/**
 * `node --import tsx bench/series-budget.ts [hours] [hosts] [instances]`: the series budget
 * of docs/metrics.md. Drives the seeded traffic model (src/simulate, Nova with
 * notification_format = both, 5% failed builds, the exists audit) through the counting
 * stages in process, hours compressed (the model's own clock, no broker), for a simulated
 * day of a 1,000-host cloud whose population gravitates to 50,000 instances, into two
 * registries at once: the default flags and --metrics.duration-by-host. Prints the samples
 * and the bytes of one text scrape of each, and the largest metrics.
 */
import { Writable } from 'node:stream';
import { createCountingPipeline } from '../src/commands/serve.js';
import { buildConfig, type RawFlags } from '../src/config/config.js';
import { createLogger } from '../src/log.js';
import { createRegistry } from '../src/metrics/registry.js';
import { osloBody } from '../src/oslo/wire.js';
import { createTrafficModel } from '../src/simulate/model.js';

const hours = Number(process.argv[2] ?? 24);
const hosts = Number(process.argv[3] ?? 1000);
const instances = Number(process.argv[4] ?? 50_000);
const START = Date.UTC(2026, 11, 1);

const model = createTrafficModel({
  seed: 24,
  hosts,
  format: 'both',
  errorRatio: 0.05,
  exists: true,
  now: () => START,
  targetInstances: instances,
  // A busy cloud: a user operation every 0.5 s on average (the default is 2 s).
  meanArrivalMs: 500,
});
const clock = () => model.simulatedNow() / 1000;
const log = createLogger({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
const setups: Record<string, RawFlags> = { default: {}, 'duration-by-host': { 'metrics.duration-by-host': 'true' } };
const runs = Object.entries(setups).map(([name, flags]) => {
  const registry = createRegistry();
  return { name, registry, ...createCountingPipeline(buildConfig(flags, {}), registry, log, clock) };
});

/** Samples (non-comment lines), bytes and the largest metrics of one text scrape. */
async function scrape(registry: (typeof runs)[number]['registry']) {
  const text = await registry.metrics();
  const perMetric = new Map<string, number>();
  let samples = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    samples++;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
    const base = name.replace(/_(bucket|sum|count)$/, '');
    perMetric.set(base, (perMetric.get(base) ?? 0) + 1);
  }
  const top = [...perMetric].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return { samples, bytes: Buffer.byteLength(text), top: Object.fromEntries(top) };
}

let messages = 0;
let nextHour = START / 1000 + 3600;
let nextExpire = START / 1000 + 5;
const end = START / 1000 + hours * 3600;
const started = performance.now();
while (clock() < end) {
  const body = osloBody(model.next().message);
  for (const r of runs) r.pipeline(body);
  messages++;
  // The exporter's expiry timer, on the simulated clock (every 5 s of it).
  if (clock() >= nextExpire) {
    for (const r of runs) r.expire(clock());
    nextExpire = clock() + 5;
  }
  // Hourly progress on stderr, so a run cut short still shows how the count grows.
  if (clock() >= nextHour) {
    nextHour += 3600;
    const h = Math.round((clock() - START / 1000) / 3600);
    const counts = [];
    for (const r of runs) counts.push(`${r.name} ${(await scrape(r.registry)).samples}`);
    console.error(`${h} h: ${messages} messages, ${model.liveInstances()} instances, samples: ${counts.join(', ')}`);
  }
}

const out: Record<string, unknown> = {
  hours,
  hosts,
  targetInstances: instances,
  liveInstancesAtEnd: model.liveInstances(),
  messages,
  seconds: Math.round((performance.now() - started) / 1000),
};
for (const r of runs) out[r.name] = await scrape(r.registry);
console.log(JSON.stringify(out, null, 2));
