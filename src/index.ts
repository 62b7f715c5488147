import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { AddressInfo } from 'node:net';
import { Consumer } from './amqp/consumer.js';
import type { Config } from './config.js';
import { createApp, listen } from './http/server.js';
import { RateLimitedLog, type Logger } from './log.js';
import { ActionTracker } from './metrics/action-tracker.js';
import { ExporterMetrics, type ExporterMetricsSources } from './metrics/exporter-metrics.js';
import { Inventory } from './metrics/inventory.js';
import { LabelLimiter } from './metrics/labels.js';
import { NotificationMetrics } from './metrics/notification-metrics.js';
import { RecentActivity } from './metrics/recent-activity.js';
import { createRegistry } from './metrics/registry.js';
import { RecentIds } from './notifications/dedup.js';
import { createPipeline, type Outcome } from './pipeline.js';
import { VERSION } from './version.js';

export interface Exporter {
  /** The port actually bound (differs from the configured one when that was 0). */
  readonly port: number;
  /** Still readable after stop(), so a final count can be taken once consuming has ended. */
  readonly registry: Registry;
  stop(): Promise<void>;
}

export interface ExporterDeps {
  readonly log: Logger;
  /** Epoch seconds; injectable for tests. */
  readonly now?: () => number;
}

export interface CountingPipeline {
  readonly pipeline: (body: Uint8Array) => Outcome;
  readonly exporterMetrics: ExporterMetrics;
  readonly activity: RecentActivity;
}

/**
 * Everything between the queue and the registry: decode, dedup, map, count. No AMQP or
 * HTTP here, so tests drive it with fixtures alone.
 */
export function createCountingPipeline(
  config: Pick<Config, 'metrics' | 'nova' | 'amqp'>,
  registry: Registry,
  log: Logger,
  now: () => number,
  broker: Pick<ExporterMetricsSources, 'connected' | 'queueStats'>,
): CountingPipeline {
  const tracker: ActionTracker = new ActionTracker({
    maxTracked: config.metrics.maxTrackedActions,
    timeoutSeconds: config.metrics.actionTimeoutSeconds,
    onEvicted: () => exporterMetrics.trackedOverflow.inc({ kind: 'actions' }),
  });
  const inventory: Inventory = new Inventory({
    maxInstances: config.metrics.maxTrackedInstances,
    onOverflow: () => exporterMetrics.trackedOverflow.inc({ kind: 'instances' }),
  });
  const exporterMetrics = new ExporterMetrics(registry, {
    ...broker,
    version: VERSION,
    trackedInstances: () => inventory.size,
    trackedActions: () => tracker.size,
  });
  const limiter = new LabelLimiter(
    (label) => (label === 'host' ? config.metrics.maxHosts : config.metrics.maxLabelValues),
    (label) => exporterMetrics.labelOverflow.inc({ label }),
  );
  // Values re-bounded without counting: the metrics already counted any overflow.
  const activity = new RecentActivity({ now, label: (label, value) => limiter.bound(label, value, false) });
  const metrics = new NotificationMetrics(registry, {
    instanceFormat: config.nova.notificationFormat === 'unversioned' ? 'legacy' : 'versioned',
    limiter,
    tracker,
    inventory,
    now,
    activity,
  });
  const pipeline = createPipeline({
    decode: { maxMessageBytes: config.amqp.maxMessageBytes },
    recentIds: new RecentIds(config.metrics.dedupWindow),
    metrics,
    exporterMetrics,
    badInput: new RateLimitedLog(log, 10),
  });
  return { pipeline, exporterMetrics, activity };
}

/** Wires the stages: consumer → pipeline (decode, dedup, metrics) → registry → HTTP. */
export async function startExporter(config: Config, deps: ExporterDeps): Promise<Exporter> {
  const { log } = deps;
  const now = deps.now ?? (() => Date.now() / 1000);
  const registry = createRegistry();
  // These closures read `consumer`, declared below: they only run at scrape time, after it exists.
  const { pipeline, exporterMetrics, activity } = createCountingPipeline(config, registry, log, now, {
    connected: () => consumer.state === 'consuming',
    queueStats: () => consumer.queueStats(),
  });

  const { amqp } = config;
  const consumer = new Consumer({
    address: amqp.address,
    tls: amqp.tls,
    heartbeatIntervalSeconds: amqp.heartbeatIntervalSeconds,
    connectTimeoutSeconds: amqp.connectTimeoutSeconds,
    reconnectMaxDelaySeconds: amqp.reconnectMaxDelaySeconds,
    connectionName: `openstack-notification-exporter ${VERSION}`,
    prefetch: amqp.prefetch,
    topology: amqp,
    onMessage: pipeline,
    onReconnect: () => exporterMetrics.reconnects.inc(),
    log,
  });

  const app = createApp({
    host: config.web.listenAddress.host,
    port: config.web.listenAddress.port,
    telemetryPath: config.web.telemetryPath,
    registry,
    broker: () => consumer.status(),
    landing: () => ({
      version: VERSION,
      telemetryPath: config.web.telemetryPath,
      exchanges: amqp.exchanges,
      topics: amqp.topics,
      queue: amqp.queue,
      settings: config.display,
    }),
    activity: () => activity.summary(),
    log,
  });
  const server: Server = await listen(app, config.web.listenAddress.host, config.web.listenAddress.port);
  const port = (server.address() as AddressInfo).port;
  log.info({ address: `${config.web.listenAddress.host ?? ''}:${port}`, version: VERSION }, 'listening');
  consumer.start();

  return {
    port,
    registry,
    async stop() {
      await consumer.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
