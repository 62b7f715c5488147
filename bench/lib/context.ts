/** What every scenario runner is handed by run.ts. */
import type { Vhost } from '../../test/support/rabbitmq.js';
import type { Broker } from './broker.js';
import type { CorpusMessage, CorpusMeta } from './corpus.js';
import type { FillResult } from './fill.js';
import type { BenchOptions } from './options.js';

export interface BenchContext {
  readonly opts: BenchOptions;
  readonly vhost: Vhost;
  /** Replaced when the broker had to be reconnected (see run.ts). */
  broker: Broker;
  readonly corpus: readonly CorpusMessage[];
  readonly corpusMeta: CorpusMeta;
  /** Child script name → built .mjs path. */
  readonly children: Readonly<Record<string, string>>;
  readonly resultsDir: string;
  readonly logDir: string;
  progress(message: string): void;
}

/** A queue holding the whole corpus, ready to be drained. */
export interface Backlog {
  readonly queue: string;
  /** The fill that produced it (shared by every queue filled in the same pass). */
  readonly fill: FillResult;
}

/** One drain of one backlog. */
export interface DrainRow {
  readonly scenario: string;
  readonly label: string;
  readonly round: number;
  readonly messages: number;
  /** Messages inside the timed window (first → last). */
  readonly windowMessages: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly cpuSeconds: number;
  readonly cpuSecondsPer100k: number;
  readonly peakRssBytes: number | undefined;
  /** beam.smp's CPU over the same window, per 100k messages. */
  readonly brokerCpuSecondsPer100k: number | undefined;
  /** Cores busy with anything else during the window (other test runs, ...): noise. */
  readonly otherCores: number | undefined;
  /** How long the drain waited for the broker to go idle before starting. */
  readonly quietWaitSeconds?: number;
  readonly notes: readonly string[];
  /** exporter only: the rate before and after the scrape taken near half-way. */
  readonly firstHalfPerSecond?: number;
  readonly secondHalfPerSecond?: number;
  /** pipeline only: the registry once the whole corpus is counted. */
  readonly registryAfter?: RegistryAfter;
}

export interface RegistryAfter {
  readonly scrapeMs: number;
  readonly scrapeBytes: number;
  /** Sample lines in the exposition. */
  readonly samples: number;
  /** Sample lines per metric family (histogram buckets folded in), the largest. */
  readonly topFamilies: Readonly<Record<string, number>>;
  readonly heapUsedAfterGcBytes: number;
}
