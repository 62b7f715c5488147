/**
 * `node --import tsx bench/ha-snapshot.ts [amqp-url]`: what an --ha state snapshot weighs
 * at the tracked caps (200,000 instances, 50,000 actions in flight, 100,000 recent message
 * ids, 1,000 hosts), how long taking and restoring one takes, and, given a broker URL, how
 * long the broker takes to confirm it on a quorum queue (in a queue of its own, deleted
 * after). Figures go to docs/high-availability.md.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import amqp from 'amqplib';
import { Registry } from 'prom-client';
import { createCountingPipeline } from '../src/commands/serve.js';
import { buildConfig } from '../src/config/config.js';
import type { CountingState } from '../src/ha/counting-state.js';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT } from '../src/ha/snapshot.js';
import { SwappableCounting } from '../src/ha/swappable-counting.js';
import { createLogger } from '../src/log.js';
import { osloBody } from '../src/oslo/wire.js';

const INSTANCES = 200_000;
const ACTIONS = 50_000;
const IDS = 100_000;
const HOSTS = 1_000;
const EVENT_TYPES = ['compute.instance.update', 'compute.instance.exists', 'compute.instance.create.start', 'compute.instance.create.end'];

const log = createLogger({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
const config = buildConfig({}, {});
const counting = new SwappableCounting(new Registry(), (r) => createCountingPipeline(config, r, log, () => Date.now() / 1000));
const host = (i: number) => `cmp-${String(i % HOSTS).padStart(4, '0')}.example.org`;
const t0 = Date.now() / 1000;

// Every event type on every host, so each counter has its full set of per-host series.
for (let i = 0; i < HOSTS * EVENT_TYPES.length; i++) {
  const eventType = EVENT_TYPES[i % EVENT_TYPES.length] as string;
  counting.pipeline(
    osloBody({
      message_id: randomUUID(),
      event_type: eventType,
      priority: 'INFO',
      publisher_id: `compute.${host(i)}`,
      timestamp: '2026-01-01 00:00:00.000000',
      payload: {
        instance_id: randomUUID(),
        state: 'active',
        old_state: 'building',
        host: host(i),
        created_at: '2026-01-01 00:00:00',
        launched_at: '2026-01-01 00:00:30',
      },
    }),
  );
}
const base = counting.state.dump();
const state: CountingState = {
  tracker: {
    pending: Array.from({ length: ACTIONS }, (_, i) => [randomUUID(), i % 3 ? 'reboot' : 'create', host(i), t0 - i, `req-${randomUUID()}`]),
    earlyEnds: [],
  },
  inventory: {
    instances: Array.from({ length: INSTANCES }, (_, i) => [randomUUID(), i % 10 ? 'active' : 'stopped', host(i), t0 - i]),
    deleted: Array.from({ length: INSTANCES / 10 }, () => [randomUUID(), t0]),
  },
  resources: base.resources,
  recentIds: Array.from({ length: IDS }, () => randomUUID()),
  labels: base.labels,
};

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
let t = process.hrtime.bigint();
const metrics = counting.dumpMetrics();
const json = JSON.stringify({
  format: SNAPSHOT_FORMAT,
  generation: 1,
  takenOverAt: 0,
  replica: 'bench',
  seq: 1,
  takenAt: t0,
  metrics,
  state,
});
const dumpMs = ms(t);
t = process.hrtime.bigint();
const body = await encodeSnapshot({
  format: SNAPSHOT_FORMAT,
  generation: 1,
  takenOverAt: 0,
  replica: 'bench',
  seq: 1,
  takenAt: t0,
  metrics,
  state,
});
const encodeMs = ms(t);
t = process.hrtime.bigint();
const decoded = await decodeSnapshot(body);
const restore = new SwappableCounting(new Registry(), (r) => createCountingPipeline(config, r, log, () => Date.now() / 1000));
restore.restoreMetrics(decoded.metrics);
restore.state.restore(decoded.state);
const restoreMs = ms(t);
const series = Object.values(metrics).reduce((n, v) => n + v.length, 0);
const out: Record<string, number> = {
  instances: INSTANCES,
  actionsInFlight: ACTIONS,
  recentIds: IDS,
  hosts: HOSTS,
  metricSeries: series,
  jsonBytes: json.length,
  gzipBytes: body.length,
  readAndStringifyMs: Math.round(dumpMs),
  encodeMs: Math.round(encodeMs),
  decodeAndRestoreMs: Math.round(restoreMs),
};

const url = process.argv[2];
if (url) {
  const connection = await amqp.connect(url);
  const ch = await connection.createConfirmChannel();
  const queue = `osne-bench-state-${randomUUID().slice(0, 8)}`;
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-max-length': 2 } });
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    t = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) =>
      ch.publish('', queue, body, { persistent: true }, (err: unknown) => (err ? reject(new Error(String(err))) : resolve())),
    );
    times.push(ms(t));
  }
  // What the broker holds for it: the queue process's memory with the last KEEP snapshots in it.
  const { execFileSync } = await import('node:child_process');
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  const row = execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', vhost, '--no-table-headers', 'name', 'memory', 'messages'], {
    encoding: 'utf8',
  })
    .split('\n')
    .find((l) => l.startsWith(queue));
  out['queueMemoryBytes'] = Number(row?.split('\t')[1]);
  await ch.deleteQueue(queue);
  await connection.close();
  times.sort((a, b) => a - b);
  out['confirmMedianMs'] = Math.round(times[5] as number);
  out['confirmMaxMs'] = Math.round(times[9] as number);
}
console.log(JSON.stringify(out, null, 2));
