/**
 * Per-message costs of the exporter's pieces, on the bench corpus, in one process: the
 * evidence behind the profile's suggestions (what each piece costs now, and what a
 * candidate replacement would cost). Not a test of src/: candidates live here only.
 *
 *   node --import tsx bench/micro-costs.ts [--count 200000]
 */
import { isUtf8 } from 'node:buffer';
import { parseArgs } from 'node:util';
import { Counter, Gauge, Registry } from 'prom-client';
import { buildConfig } from '../src/config/config.js';
import { createCountingPipeline } from '../src/commands/serve.js';
import { createLogger } from '../src/log.js';
import { createRegistry } from '../src/metrics/registry.js';
import { RecentIds } from '../src/pipeline/dedup.js';
import { decodeNotification } from '../src/pipeline/decode.js';
import { createTrafficModel } from '../src/simulate/model.js';
import { osloEnvelope } from '../src/oslo/wire.js';
import { median } from './lib/stats.js';
import { fmt, table } from './lib/table.js';

const { values } = parseArgs({ options: { count: { type: 'string' }, passes: { type: 'string' } } });
const count = Number(values.count ?? 200_000);
const passes = Number(values.passes ?? 5);

const start = Date.now();
const model = createTrafficModel({
  seed: 1,
  hosts: 100,
  format: 'both',
  errorRatio: 0.05,
  exists: true,
  now: () => start,
  ratePerSecond: 5000,
});
const bodies: Buffer[] = [];
for (let i = 0; i < count; i++) bodies.push(Buffer.from(JSON.stringify(osloEnvelope(model.next().message))));
const strings = bodies.map((b) => b.toString('utf8'));
const inners = strings.map((s) => (JSON.parse(s) as Record<string, string>)['oslo.message'] as string);
const ids = inners.map((s) => (JSON.parse(s) as Record<string, string>)['message_id'] as string);

/** ns per item of `fn` over `n` items: median of several passes (the first is a warm-up). */
function perItem(n: number, fn: (i: number) => unknown, beforePass: () => void = () => undefined): number {
  const times: number[] = [];
  let sink = 0;
  for (let p = 0; p <= passes; p++) {
    beforePass();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (fn(i)) sink++;
    const ns = Number(process.hrtime.bigint() - t0) / n;
    if (p > 0) times.push(ns);
  }
  if (sink < 0) console.log(sink);
  return median(times);
}

/** RecentIds as it was before the ring: eviction through the Set's iterator, kept to show the difference. */
class SetIteratorIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    if (this.ids.size >= this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    this.ids.add(id);
    return false;
  }
}

const rows: [string, number, string][] = [];
const add = (name: string, ns: number, note = ''): void => {
  rows.push([name, ns, note]);
};

// Decoding.
add(
  'isUtf8 + toString (body → text)',
  perItem(count, (i) => isUtf8(bodies[i] as Buffer) && (bodies[i] as Buffer).toString('utf8')),
);
add(
  'JSON.parse(envelope)',
  perItem(count, (i) => JSON.parse(strings[i] as string)),
);
add(
  'JSON.parse(oslo.message)',
  perItem(count, (i) => JSON.parse(inners[i] as string)),
);
// What the payload costs in the inner parse: the bound on parsing only the header fields
// (event_type, priority, publisher_id, message_id, timestamp) for messages whose payload
// no metric reads (with notification_format=both, every legacy one).
const headers = inners.map((s) => {
  const m = JSON.parse(s) as Record<string, unknown>;
  m['payload'] = {};
  return JSON.stringify(m);
});
add(
  '  JSON.parse(oslo.message) with an empty payload',
  perItem(count, (i) => JSON.parse(headers[i] as string)),
  'bound for a header-only parse',
);
add(
  'decodeNotification (all of it)',
  perItem(count, (i) => decodeNotification(bodies[i] as Buffer, { maxMessageBytes: 1 << 20 }).ok),
);

// Dedup: a 100k window over a long stream of fresh ids, average per call. Evicting the oldest
// through Set.values().next() walks past the holes earlier deletions left at the front of
// V8's hash table until it is rehashed; RecentIds evicts through a ring instead.
const WINDOW = 100_000;
const STREAM = 400_000;
const streamIds = Array.from({ length: STREAM }, (_, i) => `${ids[i % ids.length]}-${i}`);
function dedupCost(make: () => { seen(id: string): boolean }): { before: number; after: number } {
  const d = make();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < WINDOW; i++) d.seen(streamIds[i] as string);
  const t1 = process.hrtime.bigint();
  for (let i = WINDOW; i < STREAM; i++) d.seen(streamIds[i] as string);
  const t2 = process.hrtime.bigint();
  return { before: Number(t1 - t0) / WINDOW, after: Number(t2 - t1) / (STREAM - WINDOW) };
}
const iterator = dedupCost(() => new SetIteratorIds(WINDOW));
const ring = dedupCost(() => new RecentIds(WINDOW));
add('RecentIds.seen, first 100k ids (window filling)', ring.before);
add('RecentIds.seen, next 300k ids (window full, evicting)', ring.after, 'ring + Set, as now');
add('  before: Set + values().next(), window full', iterator.after);

// prom-client: what one counted notification costs in the registry.
const registry = new Registry();
const counter = new Counter({
  name: 'c_total',
  help: 'h',
  labelNames: ['event_type', 'priority', 'publisher', 'host'],
  registers: [registry],
});
const gauge = new Gauge({ name: 'g', help: 'h', labelNames: ['publisher', 'host'], registers: [registry] });
const labelSets = inners.slice(0, 5000).map((s) => {
  const m = JSON.parse(s) as Record<string, string>;
  const pid = m['publisher_id'] ?? '';
  const cut = pid.includes(':') ? pid.indexOf(':') : pid.indexOf('.');
  return [m['event_type'] ?? '', m['priority'] ?? '', pid.slice(0, cut), pid.slice(cut + 1)] as const;
});
const children = labelSets.map((l) => counter.labels(...l));
const gaugeChildren = labelSets.map((l) => gauge.labels(l[2], l[3]));
add(
  'counter child.inc() (cached child, as BoundedChildren does)',
  perItem(count, (i) => children[i % children.length]?.inc()),
);
add(
  'counter.inc({labels})',
  perItem(count, (i) => {
    const l = labelSets[i % labelSets.length] as readonly string[];
    counter.inc({ event_type: l[0] as string, priority: l[1] as string, publisher: l[2] as string, host: l[3] as string });
  }),
);
add(
  'gauge child.set(now) (last-received)',
  perItem(count, (i) => gaugeChildren[i % gaugeChildren.length]?.set(i)),
);
const plain = labelSets.map(() => ({ value: 0 }));
add(
  '  candidate: own cell, value += 1 (prom-client reads it in collect())',
  perItem(count, (i) => (plain[i % plain.length] as { value: number }).value++),
);
const cache = new Map(labelSets.map((l, i) => [l.join('\u0000'), children[i]]));
add(
  'label key: values.join + Map.get (BoundedChildren.get hit)',
  perItem(count, (i) => cache.get((labelSets[i % labelSets.length] as readonly string[]).join('\u0000'))),
);
add(
  'Date.now() / 1000',
  perItem(count, () => Date.now() / 1000),
);

// The whole counting stage, with and without dedup.
const log = createLogger({ level: 'error', format: 'json' });
for (const window of ['100000', '0']) {
  const config = buildConfig({ 'nova.notification-format': 'both', 'metrics.dedup-window': window }, {});
  let last = 0;
  const ns = perItem(1, () => {
    const { pipeline } = createCountingPipeline(config, createRegistry(), log, () => Date.now() / 1000);
    const t0 = process.hrtime.bigint();
    for (const b of bodies) pipeline(b);
    last = Number(process.hrtime.bigint() - t0) / bodies.length;
    return true;
  });
  void ns;
  add(`pipeline(body) over the corpus, dedup window ${window}`, last, 'fresh registry each pass');
}

console.log(`\nPer-message costs over ${fmt(count)} corpus messages (median of ${passes} passes, ns)\n`);
console.log(
  table(
    ['piece', 'ns/msg', 'note'],
    rows.map(([n, ns, note]) => [n, fmt(ns), note]),
    [1],
  ),
);
