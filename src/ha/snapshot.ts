/**
 * A replica's whole counting state in one message: what the metrics show (counters,
 * histograms), the state behind the others (inventory, actions in flight, held ends),
 * the recent message ids and the label values let through. JSON, gzipped: the ids
 * and names repeat and compress well.
 */
import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import type { CountingState } from './counting-state.js';
import type { StoredValues } from './swappable-counting.js';

/** Bumped when the layout changes; a replica ignores a snapshot of a format it does not know. */
export const SNAPSHOT_FORMAT = 1;

/**
 * Where a snapshot stands among all snapshots of the group: a total order, compared field by
 * field. A takeover starts a generation one above every snapshot it found; two takeovers from
 * the same snapshot (the first replica died before its first snapshot landed) are told apart
 * by when they took over (never earlier than the snapshot they loaded), then by replica id.
 */
export interface SnapshotOrder {
  readonly generation: number;
  /** Epoch ms of the takeover that started this generation on this replica. */
  readonly takenOverAt: number;
  readonly replica: string;
  /** Within one takeover, in publishing order. */
  readonly seq: number;
}

export interface Snapshot extends SnapshotOrder {
  readonly format: typeof SNAPSHOT_FORMAT;
  /** Epoch seconds. */
  readonly takenAt: number;
  readonly metrics: Readonly<Record<string, StoredValues>>;
  readonly state: CountingState;
}

export class SnapshotError extends Error {}

const zip = promisify(gzip);
const unzip = promisify(gunzip);

// Speed over the last percent of size: a snapshot is taken every few seconds while traffic flows.
const LEVEL = constants.Z_BEST_SPEED;

export async function encodeSnapshot(snapshot: Snapshot): Promise<Buffer> {
  return zip(JSON.stringify(snapshot), { level: LEVEL });
}

export async function decodeSnapshot(body: Buffer): Promise<Snapshot> {
  let parsed: unknown;
  try {
    parsed = JSON.parse((await unzip(body)).toString('utf8'));
  } catch (err) {
    throw new SnapshotError(`state snapshot is not gzipped JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const s = parsed as Partial<Snapshot> | null;
  if (s?.format !== SNAPSHOT_FORMAT)
    throw new SnapshotError(`state snapshot has format ${String(s?.format)}, this version reads ${SNAPSHOT_FORMAT}`);
  const state = s.state as Partial<CountingState> | undefined;
  const ok =
    typeof s.generation === 'number' &&
    typeof s.seq === 'number' &&
    typeof s.metrics === 'object' &&
    Array.isArray(state?.tracker?.pending) &&
    Array.isArray(state.tracker.earlyEnds) &&
    Array.isArray(state.inventory?.instances) &&
    Array.isArray(state.inventory.deleted) &&
    Array.isArray(state.resources?.tracker?.pending) &&
    Array.isArray(state.resources.inventory?.instances) &&
    Array.isArray(state.recentIds) &&
    typeof state.labels === 'object';
  if (!ok) throw new SnapshotError('state snapshot is incomplete');
  return s as Snapshot;
}

/** Whether a comes after b in the group's order of snapshots (never both ways, never neither for two distinct orders). */
export function newer(a: SnapshotOrder, b: SnapshotOrder): boolean {
  if (a.generation !== b.generation) return a.generation > b.generation;
  if (a.takenOverAt !== b.takenOverAt) return a.takenOverAt > b.takenOverAt;
  if (a.replica !== b.replica) return a.replica > b.replica;
  return a.seq > b.seq;
}

/** A snapshot's order from its AMQP headers; snapshots of an older version lack the tie-breakers. */
export function orderFromHeaders(headers: Readonly<Record<string, unknown>> | undefined): SnapshotOrder {
  const h = headers ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v ?? 0) || 0);
  return { generation: num(h['generation']), takenOverAt: num(h['takenOverAt']), replica: String(h['replica'] ?? ''), seq: num(h['seq']) };
}
