/**
 * A measurement window seen from outside: the child's and the broker's CPU (/proc/<pid>),
 * and the whole machine's, so that load from anything else on the machine (another test
 * run, say) shows up next to the figures instead of silently skewing them. The bench's
 * own processes (this orchestrator, a publisher child) are not "anything else".
 */
import { findBrokerPid, machineBusySeconds, sampleProc, type ProcSample } from './proc.js';

export interface WindowSample {
  readonly at: number;
  readonly brokerPid: number | undefined;
  readonly helperPids: readonly number[];
  readonly child: ProcSample | undefined;
  readonly broker: ProcSample | undefined;
  /** CPU seconds of the bench's own processes (this one and any helpers). */
  readonly benchCpuSeconds: number;
  readonly machineBusySeconds: number;
}

/** Pass the opening sample when closing a window, so both read the same processes. */
export function sampleWindow(childPid: number, opening?: WindowSample, helperPids: readonly number[] = []): WindowSample {
  const brokerPid = opening ? opening.brokerPid : findBrokerPid();
  const helpers = opening ? opening.helperPids : helperPids;
  return {
    at: performance.now(),
    brokerPid,
    helperPids: helpers,
    child: sampleProc(childPid),
    broker: brokerPid === undefined ? undefined : sampleProc(brokerPid),
    benchCpuSeconds: [process.pid, ...helpers].reduce((sum, pid) => sum + (sampleProc(pid)?.cpuSeconds ?? 0), 0),
    machineBusySeconds: machineBusySeconds(),
  };
}

export interface WindowFigures {
  readonly brokerCpuSecondsPer100k: number | undefined;
  /** Cores busy with anything but the child, the broker and the bench, on average over the window. */
  readonly otherCores: number | undefined;
}

export function windowFigures(a: WindowSample, b: WindowSample, messages: number): WindowFigures {
  const wall = (b.at - a.at) / 1000;
  const broker = a.broker && b.broker ? b.broker.cpuSeconds - a.broker.cpuSeconds : undefined;
  const child = a.child && b.child ? b.child.cpuSeconds - a.child.cpuSeconds : undefined;
  const bench = b.benchCpuSeconds - a.benchCpuSeconds;
  const machine = b.machineBusySeconds - a.machineBusySeconds;
  return {
    brokerCpuSecondsPer100k: broker === undefined ? undefined : (broker / messages) * 1e5,
    otherCores:
      broker === undefined || child === undefined || wall < 0.2 ? undefined : Math.max(0, (machine - broker - child - bench) / wall),
  };
}

/** Below this many cores of beam.smp the broker counts as idle (it idles at ~0.005). */
const QUIET_CORES = 0.05;

export interface QuietBroker {
  readonly waitedSeconds: number;
  /** The broker's cores over the last sample: below the threshold unless the wait timed out. */
  readonly cores: number | undefined;
}

/**
 * Waits until the broker has been idle for a moment, so no drain shares the cores with the
 * cleanup of the one before (deleting a queue of 200k persisted messages, message-store
 * GC, index flushes). It does not remove the broker's own swings during a drain: those
 * show in its CPU per 100k messages, next to the rate.
 */
export async function waitForQuietBroker(sampleMs = 500, timeoutSeconds = 60): Promise<QuietBroker> {
  const pid = findBrokerPid();
  if (pid === undefined) return { waitedSeconds: 0, cores: undefined };
  const started = performance.now();
  let quietSamples = 0;
  let cores: number | undefined;
  while ((performance.now() - started) / 1000 < timeoutSeconds) {
    const a = sampleProc(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, sampleMs));
    const b = sampleProc(pid);
    if (!a || !b) return { waitedSeconds: (performance.now() - started) / 1000, cores: undefined };
    cores = (b.cpuSeconds - a.cpuSeconds) / ((performance.now() - t0) / 1000);
    // Two quiet samples in a row: one can fall between two bursts of write-behind.
    quietSamples = cores <= QUIET_CORES ? quietSamples + 1 : 0;
    if (quietSamples >= 2) break;
  }
  return { waitedSeconds: (performance.now() - started) / 1000, cores };
}

/** A row's note when the broker never went quiet before its drain (its figures are suspect). */
export function quietNotes(q: QuietBroker): string[] {
  return q.cores !== undefined && q.cores > QUIET_CORES ? [`broker still busy at start (${q.cores.toFixed(2)} cores)`] : [];
}
