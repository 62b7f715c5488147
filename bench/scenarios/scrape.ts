/** /metrics at several series counts: the exporter's registry against a bare prom-client one. */
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { exporterFlags } from '../lib/exporter-flags.js';
import { startChild } from '../lib/proc.js';

export interface Comparison {
  readonly exporterMs: number;
  readonly bareMs: number;
  readonly ratio: number;
  readonly exporterBytes: number;
  readonly bareBytes: number;
}

export interface ScrapeResult {
  readonly targetSeries: number;
  readonly hosts: number;
  readonly eventTypes: number;
  readonly exporterSeries: number;
  readonly bareSeries: number;
  readonly buildSeconds: number;
  readonly overflowed: boolean;
  readonly skippedHistograms: readonly string[];
  readonly inProcess: Comparison;
  readonly inProcessOpenMetrics: Comparison;
  readonly http: Comparison;
  readonly httpOpenMetrics: Comparison;
}

export async function runScrape(ctx: BenchContext): Promise<{ results: ScrapeResult[]; peakRssBytes: number }> {
  const largest = Math.max(...ctx.opts.scrapeSeries);
  const flags = exporterFlags({
    url: ctx.vhost.url,
    queue: 'bench-unused',
    queueMaxLength: 100_000,
    prefetch: ctx.opts.prefetch,
    // Raised so no synthetic host or event type becomes "other".
    extra: { 'metrics.max-hosts': String(Math.max(10_000, largest)), 'metrics.max-label-values': String(Math.max(500, largest)) },
  });
  ctx.progress(`scrape: ${ctx.opts.scrapeSeries.join(', ')} series, ${ctx.opts.scrapeRepeats} paired repeats each`);
  const child = startChild(
    process.execPath,
    [ctx.children['scrape'] as string, JSON.stringify({ flags, sizes: ctx.opts.scrapeSeries, repeats: ctx.opts.scrapeRepeats })],
    join(ctx.logDir, 'scrape.log'),
  );
  child.onEvent((e) => {
    if (e.event === 'size') ctx.progress(`scrape: ${String(e['targetSeries'])} series done`);
  });
  const done = await child.next('done');
  await child.exited;
  return { results: done['results'] as ScrapeResult[], peakRssBytes: Number(done['peakRssBytes']) };
}
