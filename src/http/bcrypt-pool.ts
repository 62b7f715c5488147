import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { BcryptJob } from './bcrypt-worker.js';

/** Checks a password against a bcrypt hash; undefined when too many checks wait already. */
export interface PasswordVerifier {
  verify(password: string, hash: string): Promise<boolean> | undefined;
  close(): Promise<void>;
}

export interface BcryptPoolOptions {
  /** Threads running bcrypt; one leaves the other cores to counting. */
  readonly workers?: number;
  /** Checks accepted beyond those running; past it verify() answers undefined at once. */
  readonly maxWaiting?: number;
  /** The workers' nice value (19, the lowest priority, unless a test wants steadier timing). */
  readonly nice?: number;
}

interface Pending {
  readonly job: BcryptJob;
  readonly resolve: (ok: boolean) => void;
  readonly reject: (err: Error) => void;
}

// dist/http/bcrypt-worker.js once built; src/http/bcrypt-worker.ts when run by tsx (npm
// test), whose loader a worker thread does not inherit on Node 20: it registers it first.
const here = fileURLToPath(import.meta.url);
const WORKER_FILE = path.join(path.dirname(here), `bcrypt-worker${path.extname(here)}`);
const startWorker = (options: WorkerOptions): Worker =>
  WORKER_FILE.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(WORKER_FILE).href)}); });`,
        { ...options, eval: true },
      )
    : new Worker(WORKER_FILE, options);

/**
 * bcrypt on worker threads behind a bounded queue. bcrypt is slow by design (tens of
 * milliseconds of CPU per check): on the event loop every unauthenticated request with a
 * new password would hold up the deliveries and the scrapes, and an unbounded queue would
 * let anyone pile up work and memory.
 */
export class BcryptPool implements PasswordVerifier {
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Pending>();
  private readonly waiting: Pending[] = [];
  private started = 0;
  private nextId = 0;
  private closed = false;
  private readonly workers: number;
  private readonly maxWaiting: number;
  private readonly nice: number;

  constructor(options: BcryptPoolOptions = {}) {
    this.workers = options.workers ?? 1;
    this.maxWaiting = options.maxWaiting ?? 16;
    this.nice = options.nice ?? 19;
  }

  verify(password: string, hash: string): Promise<boolean> | undefined {
    if (this.closed) return Promise.resolve(false);
    if (this.waiting.length >= this.maxWaiting) return undefined;
    return new Promise((resolve, reject) => {
      this.waiting.push({ job: { id: this.nextId++, password, hash }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.resolve(false);
    const all = [...this.idle.splice(0), ...this.running.keys()];
    for (const p of this.running.values()) p.resolve(false);
    this.running.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? (this.started < this.workers ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.waiting.shift() as Pending;
      this.running.set(worker, pending);
      worker.postMessage(pending.job);
    }
  }

  private spawn(): Worker {
    this.started++;
    const worker = startWorker({ workerData: { nice: this.nice } });
    // Idle workers must not keep the process alive.
    worker.unref();
    worker.on('message', ({ ok }: { ok: boolean }) => {
      const pending = this.running.get(worker);
      this.running.delete(worker);
      pending?.resolve(ok);
      if (this.closed) return;
      this.idle.push(worker);
      this.dispatch();
    });
    const lost = (err: Error): void => {
      const pending = this.running.get(worker);
      this.running.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      this.started--;
      pending?.reject(err);
      if (!this.closed) this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (this.running.has(worker) || this.idle.includes(worker)) lost(new Error(`bcrypt worker exited with code ${code}`));
    });
    return worker;
  }
}
