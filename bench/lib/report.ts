/** Folding the rounds into medians, the terminal tables, the targets, and latest.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { ScrapeResult } from '../scenarios/scrape.js';
import type { SteadyResult } from '../scenarios/steady.js';
import type { DrainRow } from './context.js';
import type { CorpusMeta } from './corpus.js';
import type { FillResult } from './fill.js';
import type { MachineInfo } from './machine.js';
import type { BenchOptions } from './options.js';
import { MB, median } from './stats.js';
import { fmt, table } from './table.js';

/** A scenario over all its rounds: medians, the spread of the rate, the worst memory. */
export interface DrainSummary {
  readonly scenario: string;
  readonly label: string;
  readonly rounds: number;
  readonly perSecond: number;
  readonly perSecondMin: number;
  readonly perSecondMax: number;
  /** Median over rounds of this round's rate / the same round's no-ack rate. */
  readonly ratioToNoAck: number | undefined;
  readonly cpuSecondsPer100k: number;
  readonly peakRssBytes: number | undefined;
  readonly brokerCpuSecondsPer100k: number | undefined;
  readonly otherCoresMax: number | undefined;
  readonly notes: readonly string[];
}

export interface Results {
  rows: DrainRow[];
  drains: DrainSummary[];
  fills: FillResult[];
  steady: SteadyResult | undefined;
  scrape: ScrapeResult[] | undefined;
  skipped: string[];
}

const defined = (values: (number | undefined)[]): number[] => values.filter((v): v is number => v !== undefined && Number.isFinite(v));

function medianRound(rows: readonly DrainRow[]): DrainRow {
  const sorted = [...rows].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as DrainRow;
}

export function summarize(rows: readonly DrainRow[]): DrainSummary[] {
  const noack = new Map(rows.filter((r) => r.scenario === 'noack').map((r) => [r.round, r.perSecond]));
  const order = [...new Set(rows.map((r) => r.scenario))];
  return order.map((scenario) => {
    const mine = rows.filter((r) => r.scenario === scenario);
    const rates = mine.map((r) => r.perSecond);
    const ratios = defined(mine.map((r) => (noack.has(r.round) ? r.perSecond / (noack.get(r.round) as number) : undefined)));
    const peaks = defined(mine.map((r) => r.peakRssBytes));
    const brokers = defined(mine.map((r) => r.brokerCpuSecondsPer100k));
    const others = defined(mine.map((r) => r.otherCores));
    return {
      scenario,
      label: mine[0]?.label ?? scenario,
      rounds: mine.length,
      perSecond: median(rates),
      perSecondMin: Math.min(...rates),
      perSecondMax: Math.max(...rates),
      ratioToNoAck: ratios.length ? median(ratios) : undefined,
      cpuSecondsPer100k: median(mine.map((r) => r.cpuSecondsPer100k)),
      peakRssBytes: peaks.length ? Math.max(...peaks) : undefined,
      brokerCpuSecondsPer100k: brokers.length ? median(brokers) : undefined,
      otherCoresMax: others.length ? Math.max(...others) : undefined,
      // Per-round notes that carry figures (halves) would not fold: keep the median round's.
      notes: [
        ...new Set([
          ...mine.flatMap((r) => r.notes.filter((n) => !n.startsWith('halves:'))),
          ...medianRound(mine).notes.filter((n) => n.startsWith('halves:')),
        ]),
      ],
    };
  });
}

/**
 * What the run's own figures allow, before blaming the code: the rate one thread reaches
 * doing amqplib's part (batch-ack's CPU) plus the counting stages (the pipeline's CPU), and
 * the cores that 80% of the ceiling would take with every stage perfectly overlapped,
 * broker included (its CPU per message while a manual-ack consumer drains).
 */
export function bounds(drains: readonly DrainSummary[], cores: number): string[] {
  const get = (scenario: string) => drains.find((d) => d.scenario === scenario);
  const noack = get('noack');
  const batch = get('batch-ack');
  const pipeline = get('pipeline');
  if (!noack || !batch || !pipeline || batch.brokerCpuSecondsPer100k === undefined) return [];
  const perMessage = (s100k: number) => s100k / 1e5;
  const oneThread = 1 / perMessage(batch.cpuSecondsPer100k + pipeline.cpuSecondsPer100k);
  const atTarget = 0.8 * noack.perSecond;
  const coresAtTarget = atTarget * perMessage(batch.brokerCpuSecondsPer100k + batch.cpuSecondsPer100k + pipeline.cpuSecondsPer100k);
  return [
    '',
    'Bounds from these figures (CPU s/100k: amqplib with acks = batch-ack row, counting stages = pipeline row, broker = batch-ack row):',
    `  one thread doing amqplib + counting at 100% of a core: ${fmt(oneThread)} msg/s = ${fmt((100 * oneThread) / noack.perSecond, 0)}% of no-ack`,
    `  80% of no-ack (${fmt(atTarget)} msg/s), all stages overlapped, broker included: ${fmt(coresAtTarget, 2)} of ${cores} cores busy`,
  ];
}

/** latest.json; also written after each round with `partial: true`, so a crash loses little. */
export function writeResults(
  outFile: string,
  out: { opts: BenchOptions; durationSeconds: number; machine: MachineInfo; corpusMeta: CorpusMeta },
  results: Results,
  targets: readonly Target[],
  partial: boolean,
): void {
  const { opts, durationSeconds, machine, corpusMeta } = out;
  mkdirSync(dirname(outFile), { recursive: true });
  const corpus = Object.fromEntries(Object.entries(corpusMeta).filter(([key]) => key !== 'file'));
  const body = {
    generatedAt: new Date().toISOString(),
    partial,
    durationSeconds,
    options: opts,
    machine,
    corpus,
    drains: summarize(results.rows),
    drainRounds: results.rows,
    fills: results.fills,
    steady: results.steady,
    scrape: results.scrape,
    targets,
    skipped: results.skipped,
  };
  writeFileSync(outFile, `${JSON.stringify(body, null, 2)}\n`);
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: string;
  readonly met: boolean | undefined;
}

export function render(r: Results, opts: BenchOptions, durationSeconds: number): { text: string; targets: Target[] } {
  const count = opts.count;
  const out: string[] = [];
  const rounds = Math.max(1, ...r.drains.map((d) => d.rounds));
  out.push(
    '',
    `Drain a backlog of ${fmt(count)} notifications (same bytes for every row; window = first → last message; median of ${rounds} round(s))`,
    '',
  );
  out.push(
    table(
      ['scenario', 'msg/s', '(min-max)', 'vs no-ack', 'CPU s/100k', 'peak RSS MB', 'broker CPU s/100k', 'other load', 'notes'],
      r.drains.map((d) => [
        d.label,
        fmt(d.perSecond),
        d.rounds > 1 ? `${fmt(d.perSecondMin / 1000, 1)}-${fmt(d.perSecondMax / 1000, 1)}k` : '',
        d.ratioToNoAck === undefined ? 'n/a' : `${fmt(100 * d.ratioToNoAck, 0)}%`,
        fmt(d.cpuSecondsPer100k, 2),
        d.peakRssBytes === undefined ? 'n/a' : fmt(d.peakRssBytes / MB, 0),
        fmt(d.brokerCpuSecondsPer100k, 2),
        d.otherCoresMax === undefined ? 'n/a' : `${fmt(d.otherCoresMax, 2)} cores`,
        d.notes.filter(Boolean).join('; '),
      ]),
      [1, 2, 3, 4, 5, 6, 7],
    ),
  );
  out.push(...bounds(r.drains, availableParallelism()));
  const after = r.rows.find((row) => row.registryAfter)?.registryAfter;
  if (after) {
    out.push(
      '',
      `Registry after counting the corpus once: ${fmt(after.samples)} samples, ${fmt(after.scrapeBytes / 1024)} KB, metrics() ${fmt(after.scrapeMs, 0)} ms; heap after GC ${fmt(after.heapUsedAfterGcBytes / MB, 0)} MB`,
      `  largest families (samples): ${Object.entries(after.topFamilies)
        .map(([n, c]) => `${n} ${fmt(c)}`)
        .join(', ')}`,
    );
  }
  if (r.steady) {
    const s = r.steady;
    out.push(
      '',
      `Steady state: ${fmt(s.targetRate)}/s for ${fmt(s.seconds, 0)} s against the running exporter; a marker every ${opts.markerEveryMs} ms, /metrics scraped every ${fmt(s.scrapeIntervalMs)} ms`,
      '',
    );
    out.push(
      table(
        [
          'published/s',
          'consumed/s',
          'latency p50 ms',
          'p90',
          'p99',
          'max',
          'markers',
          'scrape ms p50/max',
          'body KB',
          'exporter CPU',
          'RSS MB',
          'peak RSS MB',
          'broker CPU',
          'other load',
          'max queue',
        ],
        [
          [
            fmt(s.publishedPerSecond),
            fmt(s.consumedPerSecond),
            fmt(s.latencyMs.p50, 1),
            fmt(s.latencyMs.p90, 1),
            fmt(s.latencyMs.p99, 1),
            fmt(s.latencyMs.max, 1),
            `${s.markersCounted}/${s.markers}`,
            `${fmt(s.scrapeMs.p50, 0)}/${fmt(s.scrapeMs.max, 0)}`,
            fmt(s.scrapeBytes / 1024),
            `${fmt(s.exporterCpuPercent, 0)}%`,
            fmt(s.exporterRssBytes / MB, 0),
            fmt(s.exporterPeakRssBytes / MB, 0),
            s.brokerCpuPercent === undefined ? 'n/a' : `${fmt(s.brokerCpuPercent, 0)}%`,
            s.otherCores === undefined ? 'n/a' : `${fmt(s.otherCores, 2)} cores`,
            fmt(s.maxQueueMessages),
          ],
        ],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
      ),
    );
    out.push(
      "(latency: marker published → counted, by the exporter's own last-received timestamp for it; visible to any scrape from then on)",
    );
  }
  if (r.scrape) {
    out.push(
      '',
      '/metrics: exporter registry (NotificationMetrics via createCountingPipeline) vs bare prom-client Registry, same series; medians of paired runs',
      '',
    );
    out.push(
      table(
        [
          'series',
          'text ms exp/bare',
          'ratio',
          'OpenMetrics ms exp/bare',
          'ratio',
          'HTTP text ms exp/bare',
          'ratio',
          'HTTP OM ms exp/bare',
          'ratio',
          'body KB exp/bare',
        ],
        r.scrape.map((s) => [
          fmt(s.exporterSeries),
          `${fmt(s.inProcess.exporterMs, 1)} / ${fmt(s.inProcess.bareMs, 1)}`,
          `${fmt(s.inProcess.ratio, 2)}×`,
          `${fmt(s.inProcessOpenMetrics.exporterMs, 1)} / ${fmt(s.inProcessOpenMetrics.bareMs, 1)}`,
          `${fmt(s.inProcessOpenMetrics.ratio, 2)}×`,
          `${fmt(s.http.exporterMs, 1)} / ${fmt(s.http.bareMs, 1)}`,
          `${fmt(s.http.ratio, 2)}×`,
          `${fmt(s.httpOpenMetrics.exporterMs, 1)} / ${fmt(s.httpOpenMetrics.bareMs, 1)}`,
          `${fmt(s.httpOpenMetrics.ratio, 2)}×`,
          `${fmt(s.inProcess.exporterBytes / 1024)} / ${fmt(s.inProcess.bareBytes / 1024)}`,
        ]),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      ),
    );
    const bad = r.scrape.filter((s) => s.overflowed || s.skippedHistograms.length > 0);
    for (const s of bad)
      out.push(`! ${s.targetSeries} series: ${s.overflowed ? 'label overflow happened' : ''} ${s.skippedHistograms.join(',')}`);
  }
  const targets: Target[] = [];
  const exp = r.drains.find((d) => d.scenario === 'exporter');
  if (exp) {
    targets.push({
      name: 'drain rate',
      goal: '>= 80% of no-ack',
      value: exp.ratioToNoAck === undefined ? 'n/a' : `${fmt(100 * exp.ratioToNoAck, 0)}%`,
      met: exp.ratioToNoAck === undefined ? undefined : exp.ratioToNoAck >= 0.8,
    });
    const batch = r.drains.find((d) => d.scenario === 'batch-ack');
    if (batch?.ratioToNoAck !== undefined) {
      // What any manual-ack consumer reaches here: the exporter's real headroom.
      targets.push({
        name: '  (for scale: batch-ack alone)',
        goal: '',
        value: `${fmt(100 * batch.ratioToNoAck, 0)}% of no-ack`,
        met: undefined,
      });
    }
    const peak = Math.max(exp.peakRssBytes ?? 0, r.steady?.exporterPeakRssBytes ?? 0);
    const parts = [
      `drain ${fmt((exp.peakRssBytes ?? NaN) / MB, 0)} MB`,
      ...(r.steady ? [`steady ${fmt(r.steady.exporterPeakRssBytes / MB, 0)} MB`] : []),
    ];
    targets.push({ name: 'peak RSS', goal: '< 250 MB', value: parts.join(', '), met: peak < 250 * MB });
  }
  const withExemplars = r.drains.find((d) => d.scenario === 'pipeline');
  const without = r.drains.find((d) => d.scenario === 'pipeline-no-exemplars');
  if (withExemplars && without) {
    const ratio = withExemplars.cpuSecondsPer100k / without.cpuSecondsPer100k;
    targets.push({
      name: 'exemplars: CPU per notification',
      goal: '<= 1.05× exemplars off',
      value: `${fmt(ratio, 3)}× (${fmt(withExemplars.cpuSecondsPer100k, 2)} / ${fmt(without.cpuSecondsPer100k, 2)} s per 100k)`,
      met: ratio <= 1.05,
    });
  }
  const largest = r.scrape?.reduce((a, b) => (b.targetSeries > a.targetSeries ? b : a));
  if (largest) {
    targets.push({
      name: `scrape ${fmt(largest.exporterSeries)} series`,
      goal: '<= 1.2× bare prom-client',
      value: `${fmt(largest.inProcess.ratio, 2)}× (HTTP ${fmt(largest.http.ratio, 2)}×)`,
      met: largest.inProcess.ratio <= 1.2,
    });
  }
  if (targets.length) {
    out.push('', 'Targets', '');
    out.push(
      table(
        ['target', 'goal', 'measured', ''],
        targets.map((t) => [t.name, t.goal, t.value, t.met === undefined ? '' : t.met ? 'met' : 'MISSED']),
      ),
    );
  }
  for (const s of r.skipped) out.push(`skipped: ${s}`);
  out.push('', `whole run: ${fmt(durationSeconds, 0)} s`);
  return { text: out.join('\n'), targets };
}
