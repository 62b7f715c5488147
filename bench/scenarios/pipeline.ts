/** The counting stages alone (no AMQP, no HTTP) over the same corpus, in a child. */
import { join } from 'node:path';
import { queueMaxLength } from '../lib/broker.js';
import type { BenchContext, DrainRow } from '../lib/context.js';
import { exporterFlags } from '../lib/exporter-flags.js';
import { startChild } from '../lib/proc.js';
import { rateFigures } from './drain.js';

/** Exemplars on (the default) or off (`--metrics.exemplars=false`): their cost is the ratio of the two rows. */
export async function runPipelineOnly(ctx: BenchContext, round: number, exemplars = true): Promise<DrainRow> {
  const flags = exporterFlags({
    url: ctx.vhost.url,
    queue: 'bench-unused',
    queueMaxLength: queueMaxLength(ctx.opts.count),
    prefetch: ctx.opts.prefetch,
    extra: { 'metrics.exemplars': String(exemplars) },
  });
  const child = startChild(
    process.execPath,
    ['--expose-gc', ctx.children['pipeline'] as string, JSON.stringify({ flags, corpusFile: ctx.corpusMeta.file })],
    join(ctx.logDir, `pipeline${exemplars ? '' : '-no-exemplars'}-r${round}.log`),
  );
  ctx.progress(`pipeline: decode → dedup → metrics over the corpus, in memory, exemplars ${exemplars ? 'on' : 'off'}`);
  const done = await child.next('done');
  await child.exited;
  const outcomes = done['outcomes'] as Record<string, number>;
  const notOk = Object.entries(outcomes).filter(([o]) => o !== 'counted');
  return {
    scenario: exemplars ? 'pipeline' : 'pipeline-no-exemplars',
    label: exemplars ? 'pipeline only (createCountingPipeline, no AMQP)' : 'pipeline only, --metrics.exemplars=false',
    round,
    ...rateFigures(done),
    // The corpus sits in this process's memory: its peak says nothing about the exporter.
    peakRssBytes: undefined,
    brokerCpuSecondsPer100k: undefined,
    otherCores: undefined,
    registryAfter: {
      scrapeMs: Number(done['scrapeMs']),
      scrapeBytes: Number(done['scrapeBytes']),
      samples: Number(done['samples']),
      topFamilies: done['topFamilies'] as Record<string, number>,
      heapUsedAfterGcBytes: Number(done['heapUsedAfterGcBytes']),
    },
    notes: [...(notOk.length ? [`outcomes: ${notOk.map(([o, c]) => `${o}=${c}`).join(', ')}`] : [])],
  };
}
