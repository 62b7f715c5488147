/**
 * Child processes and what the kernel says about them: CPU seconds (utime + stime from
 * /proc/<pid>/stat) and peak resident memory (VmHWM from /proc/<pid>/status).
 * Children report with `@@bench {json}` lines on stdout; anything else they print is kept
 * in a log file for a post-mortem.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CLK_TCK = 100; // USER_HZ: Linux exports 100 on every architecture node runs on.

export interface ProcSample {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly hwmBytes: number;
}

export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds, rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine, all cores (from /proc/stat): to see who else was running. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
}

/**
 * RabbitMQ's beam.smp, to show how busy the broker was (it shares the machine's cores).
 * Not any beam.smp: each rabbitmqctl call runs one too. The broker's boots the rabbit app.
 */
export function findBrokerPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readlinkSync(`/proc/${entry}/exe`).endsWith('/beam.smp')) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes('-s rabbit boot')) return Number(entry);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return undefined;
}

export type BenchEvent = { event: string } & Record<string, unknown>;

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the first event of this name (rejects if the child exits first). */
  next(event: string, timeoutMs?: number): Promise<BenchEvent>;
  /** Subscribe to every event as it arrives. */
  onEvent(listener: (e: BenchEvent) => void): void;
  /** SIGTERM, then SIGKILL after a grace period; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export function startChild(command: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  if (proc.pid === undefined) throw new Error(`could not start ${command}`);
  const log = createWriteStream(logFile, { flags: 'a' });
  proc.stderr.pipe(log, { end: false });
  const seen: BenchEvent[] = [];
  const waiters: { event: string; resolve: (e: BenchEvent) => void }[] = [];
  const listeners: ((e: BenchEvent) => void)[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (!line.startsWith('@@bench ')) {
      log.write(`${line}\n`);
      return;
    }
    const e = JSON.parse(line.slice(8)) as BenchEvent;
    seen.push(e);
    for (const l of listeners) l(e);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && w.event === e.event) {
        waiters.splice(i, 1);
        w.resolve(e);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  void exited.then(() => log.end());
  return {
    process: proc,
    pid: proc.pid,
    next(event, timeoutMs = 600_000) {
      const already = seen.find((e) => e.event === event);
      if (already) return Promise.resolve(already);
      return new Promise<BenchEvent>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${command}: no "${event}" within ${timeoutMs / 1000} s (see ${logFile})`)),
          timeoutMs,
        );
        const waiter = { event, resolve: (e: BenchEvent) => (clearTimeout(timer), resolve(e)) };
        waiters.push(waiter);
        void exited.then((code) => {
          if (!waiters.includes(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`${command} exited (${code}) before "${event}" (see ${logFile})`));
        });
      });
    },
    onEvent(listener) {
      listeners.push(listener);
    },
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    exited,
  };
}
