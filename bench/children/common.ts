/**
 * What every bench child shares: its arguments (one JSON argument), the `@@bench {json}`
 * report lines the orchestrator reads on stdout, and a drain meter that times the window
 * from the first message to the last with the process's own CPU clock.
 */
import { readFileSync } from 'node:fs';

export function childArgs<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('expected one JSON argument');
  return JSON.parse(raw) as T;
}

export function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`@@bench ${JSON.stringify({ event, ...fields })}\n`);
}

export function peakRssBytes(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** Exit on SIGTERM once `cleanup` is done (the orchestrator reads /proc first, then stops us). */
export function exitOnTerm(cleanup: () => Promise<void> = async () => undefined): void {
  process.once('SIGTERM', () => {
    void cleanup()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}

export interface DrainArgs {
  readonly url: string;
  readonly queue: string;
  readonly count: number;
  readonly prefetch: number;
}

/** Counts deliveries; reports `first` at the first and `done` (with the window's figures) at the last. */
export class DrainMeter {
  private n = 0;
  private t0 = 0;
  private cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };

  constructor(
    private readonly count: number,
    private readonly onDone: () => void = () => undefined,
  ) {}

  /** true when this was the last expected message. */
  tick(): boolean {
    if (this.n === 0) {
      this.t0 = performance.now();
      this.cpu0 = process.cpuUsage();
      report('first');
    }
    this.n++;
    if (this.n !== this.count) return false;
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    report('done', {
      messages: this.n,
      // The window opens at the first message, so it covers n - 1 of them.
      windowMessages: this.n - 1,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: peakRssBytes(),
    });
    this.onDone();
    return true;
  }

  get received(): number {
    return this.n;
  }
}
