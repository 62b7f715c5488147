/**
 * For the --ha tests: realistic traffic fixed in advance, what an uninterrupted exporter
 * would show for it (the reference), the replicas' metrics summed, and a publisher that
 * keeps publishing, as oslo does, while cluster nodes come and go.
 */
import { Writable } from 'node:stream';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { buildConfig, type RawFlags } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { instanceEventName } from '../../src/nova/mapper.js';
import { OSLO_PUBLISH_OPTIONS, osloBody } from '../../src/oslo/wire.js';
import { createTrafficModel, type SimulatedMessage } from '../../src/simulate/model.js';
import { parseMetrics, type Sample } from './metrics-text.js';

/** Creates with their ends, deletes, resizes, errors and exists audits, seeded; timestamps from `startMs` on. */
export function traffic(count: number, seed = 7, startMs = Date.now()): SimulatedMessage[] {
  let clock = startMs;
  const model = createTrafficModel({
    seed,
    hosts: 6,
    format: 'unversioned',
    errorRatio: 0.05,
    exists: true,
    existsEvery: 300,
    now: () => (clock += 50),
  });
  return Array.from({ length: count }, () => model.next());
}

// Read against the clock or the arrival time, so no two runs agree on them; the rest is
// decided by the notifications alone.
const TIME_DEPENDENT = new Set([
  'openstack_notification_last_received_timestamp_seconds',
  'openstack_instance_action_oldest_in_flight_seconds',
]);

/** The openstack_* series that describe the notifications (not the exporter's own work). */
export function countingSeries(samples: readonly Sample[]): Sample[] {
  return samples.filter(
    (s) => s.name.startsWith('openstack_') && !s.name.startsWith('openstack_notification_exporter_') && !TIME_DEPENDENT.has(s.name),
  );
}

/** What one exporter shows after counting `messages` in order, uninterrupted. */
export async function referenceSamples(messages: readonly SimulatedMessage[], flags: RawFlags = {}): Promise<Sample[]> {
  const registry = createRegistry();
  const log = createLogger({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const { pipeline } = createCountingPipeline(buildConfig(flags, {}), registry, log, () => Date.now() / 1000);
  for (const m of messages) pipeline(osloBody(m.message));
  return parseMetrics(await registry.metrics());
}

const key = (s: Sample) =>
  `${s.name}{${Object.entries(s.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Series → value, summed over the replicas' scrapes; zero-valued series left out. */
export function summed(scrapes: readonly (readonly Sample[])[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const samples of scrapes) for (const s of samples) out.set(key(s), (out.get(key(s)) ?? 0) + s.value);
  for (const [k, v] of out) if (v === 0) out.delete(k);
  return out;
}

/** Differences between two summed views, for an assertion message; empty when equal. */
export function differences(actual: Map<string, number>, expected: Map<string, number>, limit = 20): string[] {
  const out: string[] = [];
  for (const k of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(k) ?? 0;
    const e = expected.get(k) ?? 0;
    if (Math.abs(a - e) > 1e-6 * Math.max(1, Math.abs(e))) out.push(`${k}: got ${a}, want ${e}`);
  }
  return out.sort().slice(0, limit);
}

/**
 * Publishes each message once the broker confirms it, as oslo's driver retries: a lost
 * connection or a nack means publishing the unconfirmed ones again, through the next URL
 * that answers. Repeats carry the same message_id, which the exporter recognises.
 */
export class ResilientPublisher {
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private urlIndex = 0;
  published = 0;
  republished = 0;

  constructor(
    private readonly urls: () => readonly string[],
    private readonly exchange: string,
  ) {}

  /** Publishes in batches of `batch`, about `ratePerSecond`, until done or `signal` aborts. */
  async run(messages: readonly SimulatedMessage[], ratePerSecond: number, signal?: AbortSignal, batch = 10): Promise<void> {
    const started = Date.now();
    for (let i = 0; i < messages.length && !signal?.aborted; i += batch) {
      const chunk = messages.slice(i, i + batch);
      for (let attempt = 0; ; attempt++) {
        try {
          const ch = await this.open();
          for (const m of chunk) ch.publish(this.exchange, m.routingKey, osloBody(m.message), OSLO_PUBLISH_OPTIONS);
          await ch.waitForConfirms();
          break;
        } catch {
          this.republished += chunk.length;
          await this.drop();
          if (attempt > 200) throw new Error('could not publish for a long time');
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      this.published = i + chunk.length;
      const due = started + (this.published / ratePerSecond) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
  }

  private async open(): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    const urls = this.urls();
    for (let i = 0; i < urls.length; i++) {
      const url = urls[(this.urlIndex + i) % urls.length] as string;
      try {
        const connection = await amqp.connect(url);
        connection.on('error', () => undefined);
        const channel = await connection.createConfirmChannel();
        channel.on('error', () => undefined);
        channel.on('close', () => {
          if (this.channel === channel) this.channel = undefined;
        });
        this.connection = connection;
        this.channel = channel;
        this.urlIndex = (this.urlIndex + i) % urls.length;
        return channel;
      } catch {
        // next node
      }
    }
    this.urlIndex++;
    throw new Error('no node answers');
  }

  private async drop(): Promise<void> {
    const c = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await c?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drop();
  }
}

/** Counts of published event types, independent of the exporter's code. */
export function eventTypeCounts(messages: readonly SimulatedMessage[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of messages) {
    const t = String(m.message['event_type']);
    out.set(t, (out.get(t) ?? 0) + 1);
  }
  return out;
}

/** Actions whose start and end were both published, per action: each must be paired with outcome="success". */
export function completedActions(messages: readonly SimulatedMessage[]): Map<string, number> {
  const started = new Set<string>();
  const out = new Map<string, number>();
  for (const m of messages) {
    // The action's label name as the exporter spells it (finish_resize → resize_finish, ...).
    const name = instanceEventName({ eventType: String(m.message['event_type']) });
    const id = (m.message['payload'] as Record<string, unknown> | undefined)?.['instance_id'];
    if (!name || (name.phase !== 'start' && name.phase !== 'end') || typeof id !== 'string') continue;
    const k = `${id}/${name.action}`;
    if (name.phase === 'start') started.add(k);
    else if (started.delete(k)) out.set(name.action, (out.get(name.action) ?? 0) + 1);
  }
  return out;
}
