/**
 * Steady state against the running exporter: a publisher child at a fixed rate with a
 * marker notification every markerEveryMs (lib/markers.ts). Latency of marker k =
 * the exporter's last-received timestamp for it (its own clock when it counted it, so
 * visible to every scrape from then on) − the moment the publisher sent it; read from
 * /metrics, so the bench needs to scrape only as often as Prometheus would
 * (--scrape-interval-ms), and the scrapes' own cost shows up in the figures as it would
 * in production.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from '../lib/context.js';
import { httpGet, sampleValue, type Scrape } from '../lib/http.js';
import { markerTimes } from '../lib/markers.js';
import { startChild } from '../lib/proc.js';
import { percentile } from '../lib/stats.js';
import { sampleWindow, windowFigures } from '../lib/window.js';
import { RECEIVED, type RunningExporter } from './exporter.js';

export interface SteadyResult {
  readonly targetRate: number;
  readonly seconds: number;
  readonly published: number;
  readonly publishedPerSecond: number;
  readonly consumedPerSecond: number;
  readonly markers: number;
  readonly markersCounted: number;
  /** Publish → counted by the exporter, per marker. */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly scrapeIntervalMs: number;
  readonly scrapes: number;
  readonly scrapeMs: { readonly p50: number; readonly max: number };
  readonly scrapeBytes: number;
  readonly exporterCpuPercent: number;
  readonly exporterRssBytes: number;
  readonly exporterPeakRssBytes: number;
  readonly brokerCpuPercent: number | undefined;
  readonly otherCores: number | undefined;
  readonly maxQueueMessages: number;
  readonly publisherLateTicks: number;
  /** After the publisher stopped: until every message was counted. */
  readonly catchUpSeconds: number;
}

const QUEUE_GAUGE = 'openstack_notification_exporter_queue_messages';

export async function runSteady(ctx: BenchContext, exporter: RunningExporter): Promise<SteadyResult> {
  const { rate, steadySeconds, markerEveryMs, scrapeIntervalMs } = ctx.opts;
  const tag = randomBytes(4).toString('hex').slice(0, 7);
  const publisher = startChild(
    process.execPath,
    [
      ctx.children['steady-publisher'] as string,
      JSON.stringify({ url: ctx.vhost.url, corpusFile: ctx.corpusMeta.file, rate, seconds: steadySeconds, markerEveryMs, tag }),
    ],
    join(ctx.logDir, 'steady-publisher.log'),
  );
  const sent = new Map<number, number>();
  publisher.onEvent((e) => {
    if (e.event === 'marker') sent.set(Number(e['k']), Number(e['at']));
  });
  let publisherDone: Record<string, unknown> | undefined;
  const finished = publisher.next('done', (steadySeconds + 120) * 1000).then((e) => (publisherDone = e));

  const scrapes: Scrape[] = [];
  let maxQueue = 0;
  const scrape = async (): Promise<{ scrape: Scrape; received: number }> => {
    const s = await httpGet(exporter.metricsUrl);
    scrapes.push(s);
    maxQueue = Math.max(maxQueue, sampleValue(s.body, QUEUE_GAUGE) ?? 0);
    return { scrape: s, received: sampleValue(s.body, RECEIVED) ?? 0 };
  };

  const before = await scrape();
  await publisher.next('ready', 60_000);
  ctx.progress(`steady: ${rate}/s for ${steadySeconds} s, a marker every ${markerEveryMs} ms, a scrape every ${scrapeIntervalMs} ms`);
  const w0 = sampleWindow(exporter.child.pid, undefined, [publisher.pid]);
  const first = await scrape();
  while (!publisherDone) {
    await Promise.race([sleep(scrapeIntervalMs), finished]);
    if (!publisherDone) await scrape();
  }
  const w1 = sampleWindow(exporter.child.pid, w0);
  const last = await scrape();
  const done = publisherDone as Record<string, unknown>;
  const published = Number(done['sent']);
  const markers = Number(done['markers']);
  const publishSeconds = Number(done['seconds']);

  // Catch up: every message counted, the last markers included.
  const expected = before.received + published + markers;
  const catchUpStart = performance.now();
  let final = last;
  while (final.received < expected && performance.now() - catchUpStart < 120_000) {
    await sleep(200);
    final = await scrape();
  }
  const catchUpSeconds = (performance.now() - catchUpStart) / 1000;
  await publisher.stop();

  const counted = markerTimes(final.scrape.body);
  const latencies: number[] = [];
  for (const [k, at] of sent) {
    const c = counted.get(k);
    if (c !== undefined) latencies.push(c - at);
  }
  const wall = (w1.at - w0.at) / 1000;
  const scrapeMs = scrapes.map((s) => s.ms);
  return {
    targetRate: rate,
    seconds: publishSeconds,
    published,
    publishedPerSecond: published / publishSeconds,
    consumedPerSecond: (last.received - first.received) / ((last.scrape.doneAt - first.scrape.doneAt) / 1000),
    markers,
    markersCounted: latencies.length,
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
    },
    scrapeIntervalMs,
    scrapes: scrapes.length,
    scrapeMs: { p50: percentile(scrapeMs, 50), max: percentile(scrapeMs, 100) },
    scrapeBytes: final.scrape.bytes,
    exporterCpuPercent: w0.child && w1.child ? (100 * (w1.child.cpuSeconds - w0.child.cpuSeconds)) / wall : NaN,
    exporterRssBytes: w1.child?.rssBytes ?? NaN,
    exporterPeakRssBytes: w1.child?.hwmBytes ?? NaN,
    brokerCpuPercent: w0.broker && w1.broker ? (100 * (w1.broker.cpuSeconds - w0.broker.cpuSeconds)) / wall : undefined,
    otherCores: windowFigures(w0, w1, Math.max(1, published)).otherCores,
    maxQueueMessages: maxQueue,
    publisherLateTicks: Number(done['lateTicks'] ?? 0),
    catchUpSeconds,
  };
}
