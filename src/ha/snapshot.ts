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

export interface Snapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  /** One more than the generation it was restored from: a takeover outranks every snapshot before it. */
  readonly generation: number;
  /** Within a generation, in publishing order. */
  readonly seq: number;
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

/** Which of two snapshots is newer: the later generation, then the later seq. */
export function newer(a: { generation: number; seq: number }, b: { generation: number; seq: number }): boolean {
  return a.generation !== b.generation ? a.generation > b.generation : a.seq > b.seq;
}
