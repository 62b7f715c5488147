import { Writable } from 'node:stream';
import { buildConfig, type RawFlags } from '../../src/config/config.js';
import { envName } from '../../src/config/flags.js';
import { startExporter, type Exporter } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { parseMetrics, type Sample } from './metrics-text.js';

/** An exporter started in-process on a free port, its logs captured for assertions. */
export interface RunningExporter {
  readonly exporter: Exporter;
  readonly baseUrl: string;
  readonly logs: string[];
  scrape(): Promise<Sample[]>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The tests publish the way oslo's defaults declare exchanges (transient), as the demo stack's
 * simulator does, so the exporter is told so, as an operator would: unless the test says
 * otherwise or gives a nova.conf (test/broker/service-declares-exchange.test.ts tests waiting).
 */
const TESTS_DECLARE: RawFlags = { 'amqp.declare-exchange': 'transient' };

export async function runExporter(flags: RawFlags, env: Record<string, string> = {}): Promise<RunningExporter> {
  const told = ['amqp.declare-exchange', 'amqp.exchange-durable', 'nova.config-file'].some(
    (f) => flags[f] !== undefined || env[envName(f)] !== undefined,
  );
  const config = buildConfig({ 'web.listen-address': '127.0.0.1:0', ...(told ? {} : TESTS_DECLARE), ...flags }, env);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({
    level: 'debug',
    format: config.log.format,
    destination,
  });
  const exporter = await startExporter(config, { log });
  const baseUrl = `http://127.0.0.1:${exporter.port}`;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${baseUrl}${path}`, { headers });
  return {
    exporter,
    baseUrl,
    logs,
    get,
    async scrape() {
      const res = await get(config.web.telemetryPath);
      return parseMetrics(await res.text());
    },
    stop: () => exporter.stop(),
  };
}

/** Polls until `check` stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
