/**
 * /metrics at 1k, 10k, 100k series: the exporter's registry, filled through its own metric
 * classes (createCountingPipeline fed synthetic notifications with distinct hosts and event
 * types), against a bare prom-client Registry holding the same series with the same label
 * sets. Both formats (text and OpenMetrics), in process and over HTTP; paired, alternating.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics, type OpenMetricsContentType } from 'prom-client';
import { buildConfig, type RawFlags } from '../../src/config/config.js';
import { createApp } from '../../src/http/server.js';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { createRegistry, openMetricsView } from '../../src/metrics/registry.js';
import { osloBody } from '../../src/oslo/wire.js';
import { httpGet, seriesCount, type Scrape } from '../lib/http.js';
import { median } from '../lib/stats.js';
import { childArgs, peakRssBytes, report } from './common.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const { flags, sizes, repeats } = childArgs<{ flags: RawFlags; sizes: number[]; repeats: number }>();
const log = createLogger({ level: 'warn', format: 'json' });

function body(host: string, eventType: string): Buffer {
  const inner = {
    event_type: eventType,
    publisher_id: `compute.${host}`,
    priority: 'INFO',
    payload: {},
    timestamp: '2025-01-01 00:00:00.000000',
  };
  return osloBody(inner);
}

/** The exporter's registry with `target` series: hosts × event types, plus one last-received per host. */
function exporterRegistry(target: number): { registry: Registry; hosts: number; eventTypes: number; buildSeconds: number } {
  const hosts = Math.max(1, Math.round(target / 100));
  const eventTypes = Math.max(1, Math.floor(target / hosts) - 1);
  const config = buildConfig(flags, {});
  const registry = createRegistry();
  const { pipeline } = createCountingPipeline(config, registry, log, () => Date.now() / 1000);
  const t0 = performance.now();
  for (let h = 0; h < hosts; h++) {
    for (let e = 0; e < eventTypes; e++) {
      const outcome = pipeline(body(`bench-host-${String(h).padStart(5, '0')}.example.org`, `bench.synthetic.event_${e}`));
      if (outcome !== 'counted') throw new Error(`synthetic notification not counted: ${outcome}`);
    }
  }
  return { registry, hosts, eventTypes, buildSeconds: (performance.now() - t0) / 1000 };
}

const defaultNames = (() => {
  const r = new Registry();
  collectDefaultMetrics({ register: r });
  return new Set(r.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name));
})();

/** A bare Registry: prom-client's default metrics plus static copies of every other series. */
async function bareCopy(source: Registry): Promise<{ registry: Registry; skipped: string[] }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const skipped: string[] = [];
  for (const metric of await source.getMetricsAsJSON()) {
    if (defaultNames.has(metric.name)) continue;
    const labelNames = [...new Set(metric.values.flatMap((v) => Object.keys(v.labels)))];
    const type = String(metric.type);
    if (type === 'counter') {
      const c = new Counter({ name: metric.name, help: metric.help, labelNames, registers: [registry] });
      for (const v of metric.values) c.inc(v.labels as Record<string, string>, v.value);
    } else if (type === 'gauge') {
      const g = new Gauge({ name: metric.name, help: metric.help, labelNames, registers: [registry] });
      for (const v of metric.values) g.set(v.labels as Record<string, string>, v.value);
    } else if (metric.values.length > 0) {
      skipped.push(metric.name); // histograms: none carry series in this synthetic set
    }
  }
  return { registry, skipped };
}

function openMetricsOf(registry: Registry): Registry<OpenMetricsContentType> {
  return openMetricsView(registry);
}

async function serveBare(text: Registry, om: Registry<OpenMetricsContentType>): Promise<Server> {
  const server = createServer((req, res) => {
    const source = (req.headers.accept ?? '').includes('application/openmetrics-text') ? om : text;
    source.metrics().then(
      (b) => {
        res.setHeader('content-type', source.contentType);
        res.end(b);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function timed(fn: () => Promise<string>): Promise<{ ms: number; bytes: number; body: string }> {
  const t0 = performance.now();
  const b = await fn();
  return { ms: performance.now() - t0, bytes: Buffer.byteLength(b), body: b };
}

/** Paired, alternating A/B measurements; medians and the median of the pairwise ratios. */
async function compare(a: () => Promise<{ ms: number; bytes: number }>, b: () => Promise<{ ms: number; bytes: number }>) {
  for (let i = 0; i < 2; i++) {
    await a();
    await b();
  }
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  let aBytes = 0;
  let bBytes = 0;
  for (let i = 0; i < repeats; i++) {
    const first = i % 2 === 0;
    const x = first ? await a() : undefined;
    const y = await b();
    const x2 = x ?? (await a());
    as.push(x2.ms);
    bs.push(y.ms);
    ratios.push(x2.ms / y.ms);
    aBytes = x2.bytes;
    bBytes = y.bytes;
  }
  return {
    exporterMs: median(as),
    bareMs: median(bs),
    ratio: median(ratios),
    exporterBytes: aBytes,
    bareBytes: bBytes,
    exporterAll: as,
    bareAll: bs,
  };
}

const results = [];
for (const target of sizes) {
  const built = exporterRegistry(target);
  const { registry: bare, skipped } = await bareCopy(built.registry);
  const exporterText = await built.registry.metrics();
  const bareText = await bare.metrics();
  const omExporter = openMetricsOf(built.registry);
  const omBare = openMetricsOf(bare);

  const inProcess = await compare(
    () => timed(() => built.registry.metrics()),
    () => timed(() => bare.metrics()),
  );
  const inProcessOpenMetrics = await compare(
    () => timed(() => omExporter.metrics()),
    () => timed(() => omBare.metrics()),
  );

  // Over HTTP: the exporter's own express app against a plain node:http server.
  const app = createApp({
    host: '127.0.0.1',
    port: 0,
    telemetryPath: '/metrics',
    registry: built.registry,
    broker: () => ({ state: 'consuming', ready: true, problem: undefined, awaitingExchanges: [], queueType: 'classic' }),
    landing: () => ({}) as never,
    log,
  } as Parameters<typeof createApp>[0]);
  // The exporter's app on a plain server, as serve runs it without --web.config.file.
  const exporterServer = createServer(app);
  await new Promise<void>((resolve) => exporterServer.listen(0, '127.0.0.1', resolve));
  const bareServer = await serveBare(bare, omBare);
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/metrics`;
  const get = (s: Server, accept?: string) => async (): Promise<Scrape> => {
    const r = await httpGet(url(s), accept);
    if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
    return r;
  };
  const http = await compare(get(exporterServer), get(bareServer));
  const httpOpenMetrics = await compare(get(exporterServer, OPENMETRICS), get(bareServer, OPENMETRICS));
  exporterServer.closeAllConnections();
  bareServer.closeAllConnections();
  await Promise.all([new Promise((r) => exporterServer.close(r)), new Promise((r) => bareServer.close(r))]);

  const overflow = /^openstack_notification_exporter_label_values_overflow_total\{[^}]*\} ([1-9]\d*)/m.exec(exporterText);
  results.push({
    targetSeries: target,
    hosts: built.hosts,
    eventTypes: built.eventTypes,
    exporterSeries: seriesCount(exporterText),
    bareSeries: seriesCount(bareText),
    buildSeconds: built.buildSeconds,
    overflowed: overflow !== null,
    skippedHistograms: skipped,
    inProcess,
    inProcessOpenMetrics,
    http,
    httpOpenMetrics,
  });
  report('size', { targetSeries: target });
}
report('done', { results, peakRssBytes: peakRssBytes() });
