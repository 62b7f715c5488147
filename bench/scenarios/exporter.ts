/**
 * The exporter's full path: the real exporter (buildConfig → startExporter) in a child,
 * taking over a pre-filled queue (declared with the very arguments it declares). Its
 * window is read from outside, by scraping: it opens at the first scrape that sees
 * messages_received_total > 0 and closes at the first that sees it reach N; CPU and
 * memory come from /proc/<pid> at those two instants. While the queue still holds messages only its depth is polled (over the bench's own
 * connection), so scrapes do not load the exporter during the drain.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { queueMaxLength } from '../lib/broker.js';
import type { Backlog, BenchContext, DrainRow } from '../lib/context.js';
import { exporterFlags } from '../lib/exporter-flags.js';
import { httpGet, sampleValue } from '../lib/http.js';
import { startChild, type Child } from '../lib/proc.js';
import { quietNotes, sampleWindow, waitForQuietBroker, windowFigures } from '../lib/window.js';

export const RECEIVED = 'openstack_notification_exporter_messages_received_total';
export const DROPPED = 'openstack_notification_exporter_messages_dropped_total';

export interface RunningExporter {
  readonly child: Child;
  readonly port: number;
  readonly queue: string;
  readonly metricsUrl: string;
}

export async function startExporterChild(ctx: BenchContext, queue: string, logName: string): Promise<RunningExporter> {
  const flags = exporterFlags({ url: ctx.vhost.url, queue, queueMaxLength: queueMaxLength(ctx.opts.count), prefetch: ctx.opts.prefetch });
  const script = ctx.children['exporter'] as string;
  const child = startChild(
    process.execPath,
    [...ctx.opts.exporterNodeArgs, script, JSON.stringify({ flags })],
    join(ctx.logDir, `${logName}.log`),
  );
  const { port } = (await child.next('listening', 60_000)) as unknown as { port: number };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await httpGet(`${base}/-/ready`).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`exporter not ready after 60 s (see ${logName}.log)`);
    await sleep(20);
  }
  return { child, port, queue, metricsUrl: `${base}/metrics` };
}

async function received(url: string): Promise<{ count: number; at: number; body: string }> {
  const s = await httpGet(url);
  return { count: sampleValue(s.body, RECEIVED) ?? 0, at: s.doneAt, body: s.body };
}

export interface ExporterDrain {
  readonly row: DrainRow;
  readonly exporter: RunningExporter;
  readonly finalBody: string;
}

/** Drains the backlog with the exporter and leaves it running (for the steady phase). */
export async function runExporterDrain(ctx: BenchContext, backlog: Backlog, round: number): Promise<ExporterDrain> {
  const n = ctx.opts.count;
  const { queue } = backlog;
  const quiet = await waitForQuietBroker();
  const exporter = await startExporterChild(ctx, queue, `exporter-r${round}`);
  try {
    ctx.progress(`exporter: draining (round ${round})`);
    let start = await received(exporter.metricsUrl);
    while (start.count === 0) {
      await sleep(25);
      start = await received(exporter.metricsUrl);
    }
    const w0 = sampleWindow(exporter.child.pid);
    // One scrape near half-way: the two halves' rates differ when a cost grows with what
    // the exporter has seen (the dedup window, for one, fills at 100k messages).
    let half: { count: number; at: number } | undefined;
    for (;;) {
      const { messages } = await ctx.broker.depth(queue);
      if (messages === 0) break;
      if (!half && messages <= n / 2) half = await received(exporter.metricsUrl);
      await sleep(100);
    }
    let end = await received(exporter.metricsUrl);
    while (end.count < n) {
      await sleep(5);
      end = await received(exporter.metricsUrl);
    }
    const w1 = sampleWindow(exporter.child.pid, w0);
    if (!w0.child || !w1.child) throw new Error('exporter process vanished');
    const windowMessages = end.count - start.count;
    const seconds = (end.at - start.at) / 1000;
    const cpuSeconds = w1.child.cpuSeconds - w0.child.cpuSeconds;
    const notes: string[] = quietNotes(quiet);
    if (end.count !== n) notes.push(`received ${end.count}, expected ${n}`);
    const drops = [...end.body.matchAll(new RegExp(`^${DROPPED}\\{reason="([^"]+)"\\} ([1-9]\\d*)$`, 'gm'))].map((m) => `${m[1]}=${m[2]}`);
    if (drops.length > 0) notes.push(`dropped: ${drops.join(', ')}`);
    const halves = half
      ? {
          firstHalfPerSecond: (half.count - start.count) / ((half.at - start.at) / 1000),
          secondHalfPerSecond: (end.count - half.count) / ((end.at - half.at) / 1000),
        }
      : undefined;
    if (halves) notes.push(`halves: ${Math.round(halves.firstHalfPerSecond)}/s then ${Math.round(halves.secondHalfPerSecond)}/s`);
    return {
      row: {
        scenario: 'exporter',
        label: 'exporter (startExporter, full path)',
        round,
        messages: end.count,
        windowMessages,
        seconds,
        perSecond: windowMessages / seconds,
        cpuSeconds,
        cpuSecondsPer100k: (cpuSeconds / windowMessages) * 1e5,
        peakRssBytes: w1.child.hwmBytes,
        ...windowFigures(w0, w1, windowMessages),
        ...halves,
        quietWaitSeconds: quiet.waitedSeconds,
        notes,
      },
      exporter,
      finalBody: end.body,
    };
  } catch (err) {
    await exporter.child.stop();
    await ctx.broker.deleteQueue(queue).catch(() => undefined);
    throw err;
  }
}

export async function stopExporter(ctx: BenchContext, exporter: RunningExporter): Promise<void> {
  await exporter.child.stop();
  await ctx.broker.deleteQueue(exporter.queue).catch(() => undefined);
}
