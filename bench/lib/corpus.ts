/**
 * The backlog every consumer drains: N notifications from the seeded Nova traffic model
 * (src/simulate), legacy and versioned (nova.conf notification_format = both), in the
 * messagingv2 envelope exactly as oslo publishes them. Written once per run to a file, so
 * child processes (pipeline-only, the steady publisher) replay the very same bytes.
 *
 * File layout, repeated N times: u32le body length, u8 routing-key index, body bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createTrafficModel } from '../../src/simulate/model.js';
import { DEFAULT_TOPICS } from '../../src/nova/format.js';
import { osloBody } from '../../src/oslo/wire.js';

export interface CorpusMeta {
  readonly file: string;
  readonly count: number;
  readonly routingKeys: readonly string[];
  readonly bytes: number;
  readonly sizes: { readonly min: number; readonly p50: number; readonly mean: number; readonly max: number };
  readonly versionedShare: number;
  readonly distinctEventTypes: number;
  readonly topEventTypes: Readonly<Record<string, number>>;
  readonly generateSeconds: number;
}

export interface CorpusMessage {
  readonly routingKey: string;
  readonly body: Buffer;
}

export interface CorpusOptions {
  readonly file: string;
  readonly count: number;
  readonly seed: number;
  readonly hosts: number;
  /** Paces the model's simulated cloud so timestamps stay near the clock at this rate. */
  readonly ratePerSecond: number;
}

export function generateCorpus(opts: CorpusOptions): CorpusMeta {
  const started = performance.now();
  const startMs = Date.now();
  const model = createTrafficModel({
    seed: opts.seed,
    hosts: opts.hosts,
    format: 'both',
    errorRatio: 0.05,
    exists: true,
    now: () => startMs,
    ratePerSecond: opts.ratePerSecond,
  });
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const chunks: Buffer[] = [];
  const sizes: number[] = [];
  let versioned = 0;
  for (let i = 0; i < opts.count; i++) {
    const { routingKey, topic, message } = model.next();
    let k = keyIndex.get(routingKey);
    if (k === undefined) {
      k = keys.push(routingKey) - 1;
      keyIndex.set(routingKey, k);
    }
    if (topic === DEFAULT_TOPICS.versioned) versioned++;
    const body = osloBody(message);
    const head = Buffer.allocUnsafe(5);
    head.writeUInt32LE(body.length, 0);
    head.writeUInt8(k, 4);
    chunks.push(head, body);
    sizes.push(body.length);
  }
  writeFileSync(opts.file, Buffer.concat(chunks));
  const sorted = [...sizes].sort((a, b) => a - b);
  const total = sizes.reduce((a, b) => a + b, 0);
  const byType = Object.entries(model.stats().byEventType).sort((a, b) => b[1] - a[1]);
  const meta: CorpusMeta = {
    file: opts.file,
    count: opts.count,
    routingKeys: keys,
    bytes: total,
    sizes: {
      min: sorted[0] ?? 0,
      p50: sorted[Math.floor(sorted.length / 2)] ?? 0,
      mean: Math.round(total / sizes.length),
      max: sorted.at(-1) ?? 0,
    },
    versionedShare: versioned / opts.count,
    distinctEventTypes: byType.length,
    topEventTypes: Object.fromEntries(byType.slice(0, 6)),
    generateSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(`${opts.file}.json`, JSON.stringify(meta, null, 2));
  return meta;
}

/** The messages, as views into one buffer (no copy per message). */
export function loadCorpus(file: string): CorpusMessage[] {
  const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as CorpusMeta;
  const data = readFileSync(file);
  const out: CorpusMessage[] = [];
  for (let off = 0; off < data.length;) {
    const len = data.readUInt32LE(off);
    const key = meta.routingKeys[data.readUInt8(off + 4)];
    if (key === undefined) throw new Error(`${file}: routing key index out of range at byte ${off}`);
    out.push({ routingKey: key, body: data.subarray(off + 5, off + 5 + len) });
    off += 5 + len;
  }
  return out;
}

const ID_MARK = Buffer.from('message_id\\":\\"');

/** Where the 36-character oslo message_id sits inside a messagingv2 body, or -1. */
export function messageIdOffset(body: Buffer): number {
  const at = body.indexOf(ID_MARK);
  return at < 0 ? -1 : at + ID_MARK.length;
}

/** A fresh UUID-shaped id: run tag + serial, so replays are never taken for redeliveries. */
export function serialId(tag: string, serial: number): string {
  return `${tag.slice(0, 8).padStart(8, '0')}-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`;
}
