/**
 * One bcrypt check per message, off the exporter's event loop (bcrypt-pool.ts starts this
 * file as a worker thread).
 */
import { timingSafeEqual } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface BcryptJob {
  readonly id: number;
  readonly password: string;
  readonly hash: string;
}

// Lowest priority for this thread alone (Linux's nice value is per thread): counting and
// scrapes always come first, password checks take what CPU is left.
try {
  setPriority((workerData as { nice: number }).nice);
} catch {
  // Not allowed (a seccomp filter, say): checks then compete at normal priority.
}

parentPort?.on('message', ({ id, password, hash }: BcryptJob) => {
  parentPort?.postMessage({ id, ok: matches(password, hash) });
});

/** The whole 60-character hash recomputed with the hash's own salt and cost, compared in constant time. */
function matches(password: string, hash: string): boolean {
  let computed: Buffer;
  try {
    computed = Buffer.from(bcrypt.hashSync(password, hash));
  } catch {
    return false;
  }
  const expected = Buffer.from(hash);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
