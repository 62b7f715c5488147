/**
 * `npm run bench -- [flags]`. Every flag also reads BENCH_<NAME> (`--count` → BENCH_COUNT).
 * `--quick` is a smoke run: fewer messages, a short steady phase, smaller scrape sizes.
 */
import { parseArgs } from 'node:util';

export const SCENARIOS = ['noack', 'batch-ack', 'naive', 'exporter', 'kombu', 'pipeline', 'scrape', 'steady'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  readonly count: number;
  readonly quick: boolean;
  /** Every drain is repeated this many times, scenarios interleaved; medians are reported. */
  readonly rounds: number;
  /** Steady-state publish rate, messages/s. */
  readonly rate: number;
  readonly steadySeconds: number;
  /** Marker notifications in the steady phase, one every this many ms. */
  readonly markerEveryMs: number;
  /** /metrics scrapes during the steady phase, one every this many ms (Prometheus-like). */
  readonly scrapeIntervalMs: number;
  /** The exporter's --amqp.prefetch, used by every manual-ack consumer too. */
  readonly prefetch: number;
  readonly seed: number;
  /** Compute hosts in the traffic model. */
  readonly hosts: number;
  /** Series counts for the /metrics scrape comparison. */
  readonly scrapeSeries: readonly number[];
  readonly scrapeRepeats: number;
  readonly only: readonly ScenarioName[];
  /** Extra node flags for the exporter child (e.g. "--max-old-space-size=96"). */
  readonly exporterNodeArgs: readonly string[];
  readonly amqpHost: string;
  readonly out: string;
  readonly python: string;
}

const USAGE = `usage: npm run bench -- [--quick] [--count N] [--rounds N] [--rate R] [--steady-seconds S] [--prefetch P]
       [--only ${SCENARIOS.join(',')}] [--scrape-series 1000,10000,100000] [--seed N]
       [--scrape-interval-ms 5000] [--exporter-node-args="--max-old-space-size=96"]
Each flag also reads BENCH_<FLAG> (BENCH_COUNT, BENCH_RATE, ...).`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      count: { type: 'string' },
      rounds: { type: 'string' },
      rate: { type: 'string' },
      'steady-seconds': { type: 'string' },
      'marker-every-ms': { type: 'string' },
      'scrape-interval-ms': { type: 'string' },
      prefetch: { type: 'string' },
      seed: { type: 'string' },
      hosts: { type: 'string' },
      'scrape-series': { type: 'string' },
      'scrape-repeats': { type: 'string' },
      only: { type: 'string' },
      'amqp-host': { type: 'string' },
      'exporter-node-args': { type: 'string' },
      out: { type: 'string' },
      python: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const get = (name: keyof typeof values): string | undefined => {
    const v = values[name];
    if (typeof v === 'string') return v;
    return env[`BENCH_${name.replace(/-/g, '_').toUpperCase()}`];
  };
  const flag = (name: keyof typeof values): boolean => {
    const v = values[name];
    if (typeof v === 'boolean') return v;
    const e = env[`BENCH_${name.replace(/-/g, '_').toUpperCase()}`];
    return e === '1' || e === 'true';
  };
  const int = (name: keyof typeof values, fallback: number, min = 1): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: "${raw}" must be an integer >= ${min}`);
    return n;
  };
  const quick = flag('quick');
  const only = (get('only') ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of only)
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario "${s}" (${SCENARIOS.join(', ')})`);
  const series = (get('scrape-series') ?? (quick ? '1000,10000' : '1000,10000,100000')).split(',').map((s) => Number(s.trim()));
  if (series.some((n) => !Number.isInteger(n) || n < 100)) throw new Error('--scrape-series: integers >= 100, comma-separated');
  return {
    quick,
    count: int('count', quick ? 20_000 : 200_000, 1000),
    rounds: int('rounds', quick ? 1 : 3),
    rate: int('rate', 5000),
    steadySeconds: int('steady-seconds', quick ? 10 : 60),
    markerEveryMs: int('marker-every-ms', 100, 10),
    scrapeIntervalMs: int('scrape-interval-ms', 5000, 100),
    prefetch: int('prefetch', 1000),
    seed: int('seed', 1),
    hosts: int('hosts', 100),
    scrapeSeries: series,
    scrapeRepeats: int('scrape-repeats', quick ? 5 : 9),
    only: only as ScenarioName[],
    amqpHost: get('amqp-host') ?? '127.0.0.1:5672',
    exporterNodeArgs: (get('exporter-node-args') ?? '').split(/\s+/).filter(Boolean),
    out: get('out') ?? 'bench/results/latest.json',
    python: get('python') ?? '/usr/bin/python3',
  };
}
