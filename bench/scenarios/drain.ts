/**
 * Backlogs and the consumer children that drain them. A round fills one queue per
 * scenario in a single pass (the exchange fans each message out to all of them, so they
 * hold the very same bytes), then each consumer drains its own queue, one after another.
 * Consumer children report their own window (`first` → `done`): the no-ack ceiling,
 * batch-ack, the naive loop, kombu.
 */
import { join } from 'node:path';
import { queueMaxLength, topologyFor } from '../lib/broker.js';
import type { Backlog, BenchContext, DrainRow } from '../lib/context.js';
import { fillQueue } from '../lib/fill.js';
import { startChild } from '../lib/proc.js';
import { quietNotes, sampleWindow, waitForQuietBroker, windowFigures } from '../lib/window.js';

export interface ConsumerSpec {
  readonly scenario: string;
  readonly label: string;
  readonly command: string;
  /** Arguments, given the queue it must drain. */
  readonly args: (queue: string) => string[];
  readonly notes?: readonly string[];
}

/** Declares one queue per name, as the exporter declares its own, and fills them all at once. */
export async function prepareBacklogs(ctx: BenchContext, names: readonly string[]): Promise<Map<string, Backlog>> {
  const queues = names.map((n) => `bench-${n}`);
  for (const queue of queues) await ctx.broker.declare(topologyFor(queue, queueMaxLength(ctx.opts.count)));
  ctx.progress(`filling ${queues.length} queue(s) with ${ctx.opts.count} messages each`);
  const fill = await fillQueue(ctx.broker.connection, ctx.corpus);
  for (const queue of queues) {
    const { messages } = await ctx.broker.depth(queue);
    if (messages !== ctx.opts.count) throw new Error(`${queue} holds ${messages} messages after the fill, expected ${ctx.opts.count}`);
  }
  return new Map(names.map((n, i) => [n, { queue: queues[i] as string, fill }]));
}

/** A child's `done` record as rates: every drain reports the same figures from it. */
export function rateFigures(done: Record<string, unknown>) {
  const windowMessages = Number(done['windowMessages']);
  const seconds = Number(done['seconds']);
  const cpuSeconds = Number(done['cpuSeconds']);
  return {
    messages: Number(done['messages']),
    windowMessages,
    seconds,
    perSecond: windowMessages / seconds,
    cpuSeconds,
    cpuSecondsPer100k: (cpuSeconds / windowMessages) * 1e5,
  };
}

export async function runConsumer(ctx: BenchContext, spec: ConsumerSpec, backlog: Backlog, round: number): Promise<DrainRow> {
  const quiet = await waitForQuietBroker();
  const child = startChild(spec.command, spec.args(backlog.queue), join(ctx.logDir, `${spec.scenario}-r${round}.log`));
  try {
    await child.next('ready', 60_000);
    ctx.progress(`${spec.scenario}: draining (round ${round})`);
    await child.next('first', 60_000);
    const w0 = sampleWindow(child.pid);
    const done = await child.next('done');
    const w1 = sampleWindow(child.pid, w0);
    const figures = rateFigures(done);
    const peak = Math.max(Number(done['peakRssBytes'] ?? 0), w1.child?.hwmBytes ?? 0);
    return {
      scenario: spec.scenario,
      label: spec.label,
      round,
      ...figures,
      peakRssBytes: peak || undefined,
      ...windowFigures(w0, w1, figures.windowMessages),
      quietWaitSeconds: quiet.waitedSeconds,
      notes: [...(spec.notes ?? []), ...quietNotes(quiet)],
    };
  } finally {
    await child.stop();
    await ctx.broker.deleteQueue(backlog.queue).catch(() => undefined);
  }
}
