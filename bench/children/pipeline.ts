/**
 * The exporter's counting stages without AMQP or HTTP (createCountingPipeline), fed the
 * corpus from memory: what decode → dedup → metrics cost on their own.
 */
import { buildConfig, type RawFlags } from '../../src/config/config.js';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { loadCorpus } from '../lib/corpus.js';
import { childArgs, peakRssBytes, report } from './common.js';

const { flags, corpusFile } = childArgs<{ flags: RawFlags; corpusFile: string }>();
const config = buildConfig(flags, {});
const log = createLogger({ level: 'warn', format: 'json' });
const registry = createRegistry();
const { pipeline } = createCountingPipeline(config, registry, log, () => Date.now() / 1000);
// Views into one buffer: the decoder reads them exactly as it reads amqplib's deliveries.
const bodies = loadCorpus(corpusFile).map((m) => m.body);
report('ready');
const outcomes: Record<string, number> = {};
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (const body of bodies) {
  const o = pipeline(body);
  outcomes[o] = (outcomes[o] ?? 0) + 1;
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const scrapeStart = performance.now();
const text = await registry.metrics();
const scrapeMs = performance.now() - scrapeStart;
// What the registry holds after the corpus: sample lines per metric family, largest first.
const families = new Map<string, number>();
for (const line of text.split('\n')) {
  if (line === '' || line.startsWith('#')) continue;
  const name = line.slice(0, line.search(/[{ ]/)).replace(/_(bucket|sum|count)$/, '');
  families.set(name, (families.get(name) ?? 0) + 1);
}
// Retained heap once garbage is gone (run with --expose-gc), the corpus dropped first.
const messages = bodies.length;
bodies.length = 0;
(globalThis as { gc?: () => void }).gc?.();
const mem = process.memoryUsage();
report('done', {
  messages,
  windowMessages: messages,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssBytes: peakRssBytes(),
  outcomes,
  scrapeMs,
  scrapeBytes: Buffer.byteLength(text),
  samples: [...families.values()].reduce((a, b) => a + b, 0),
  topFamilies: Object.fromEntries([...families.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6)),
  heapUsedAfterGcBytes: mem.heapUsed,
});
