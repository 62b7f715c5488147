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
    otherCores: broker === undefined || child === undefined || wall < 0.2 ? undefined : Math.max(0, (machine - broker - child - bench) / wall),
  };
}
