import { Writable } from 'node:stream';
import { buildConfig, type RawFlags } from '../../src/config/config.js';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { osloEnvelope } from './broker.js';
import { parseMetrics, type Sample } from './metrics-text.js';

/** The counting stages alone, on a fresh registry, with a settable clock and captured logs. */
export function countingPipeline(flags: RawFlags = {}) {
  const config = buildConfig(flags, {});
  const registry = createRegistry();
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    format: 'json',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  });
  const clock = { now: Date.UTC(2026, 10, 25, 12) / 1000 };
  const { pipeline, expire } = createCountingPipeline(config, registry, log, () => clock.now);
  return {
    clock,
    logs,
    registry,
    feed: (inner: unknown) => pipeline(osloEnvelope(inner)),
    feedRaw: (body: Buffer) => pipeline(body),
    /** Expires timed-out actions (the exporter's timer does it), then scrapes. */
    scrape: async (): Promise<Sample[]> => {
      expire(clock.now);
      return parseMetrics(await registry.metrics());
    },
  };
}
