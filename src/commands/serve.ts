/**
 * `serve`: the composition root. It builds each stage from the ones before it, in the
 * direction the data flows: queue → pipeline (decode, dedup, map, bound labels, count) →
 * registry → HTTP. Nothing here is built before what it needs exists.
 */
import type { Registry } from 'prom-client';
import { Consumer } from '../amqp/consumer.js';
import { QueueSharingWatch } from '../amqp/queue-sharing.js';
import type { CountingStateAccess } from '../ha/counting-state.js';
import { createReplicatedCounting } from '../ha/ha-counting.js';
import { registerRoleMetrics } from '../ha/role-metrics.js';
import { applyConstantLabels } from '../metrics/constant-labels.js';
import { checkPromClientShape } from '../metrics/prom-client-internals.js';
import type { ConfigFor } from '../config/config.js';
import { serveHttp } from '../http/listeners.js';
import { createApp } from '../http/server.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { BrokerMetrics } from '../metrics/broker-metrics.js';
import { InstanceMetrics } from '../metrics/instance-metrics.js';
import { LabelLimiter } from '../metrics/labels.js';
import { NotificationMetrics } from '../metrics/notification-metrics.js';
import { RecentActivity } from '../metrics/recent-activity.js';
import { createRegistry } from '../metrics/registry.js';
import { SelfMetrics } from '../metrics/self-metrics.js';
import { instancePayloadFormat } from '../nova/format.js';
import { novaMapper } from '../nova/mapper.js';
import { RecentIds } from '../pipeline/dedup.js';
import { createLabelBound } from '../pipeline/labels.js';
import { createMap } from '../pipeline/map.js';
import { compileMapping, mapServiceNotification } from '../mapping/engine.js';
import { knownActions } from '../mapping/known-actions.js';
import { SERVICE_NAMES } from '../mapping/services.js';
import { ResourceMetrics } from '../metrics/resource-metrics.js';
import { createPipeline, type Outcome } from '../pipeline/pipeline.js';
import { StreamClock } from '../pipeline/stream-clock.js';
import { VERSION } from '../version.js';

export type ServeConfig = ConfigFor<'serve'>;

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
  /**
   * Start-up cannot succeed (the broker refused the queue or an exchange as declared with
   * other settings, before the first consume): one line saying what to do. Without it the
   * exporter stays not ready and retries.
   */
  readonly onFatal?: (message: string) => void;
}

export interface CountingPipeline {
  readonly pipeline: (body: Uint8Array, exchange?: string) => Outcome;
  readonly activity: RecentActivity;
  /** Ends actions past their timeout by the stream's clock at this wall time; the exporter calls it on a timer. */
  readonly expire: (now: number) => void;
  /** The state beyond the counters, for --ha's snapshots. */
  readonly state: CountingStateAccess;
}

// Often enough that a timed-out action shows within a scrape interval or two.
const EXPIRE_EVERY_MS = 5_000;
// A second exporter started on our queue is noticed within this, besides when consuming starts.
const SHARING_CHECK_EVERY_MS = 15_000;

/**
 * Everything between the queue and the registry. No AMQP or HTTP here, so tests and the
 * bench drive it with bytes alone.
 */
export function createCountingPipeline(
  config: Pick<ServeConfig, 'metrics' | 'nova' | 'amqp' | 'mapping'>,
  registry: Registry,
  log: Logger,
  now: () => number,
): CountingPipeline {
  const { metrics } = config;
  const self = new SelfMetrics(registry, VERSION);
  const limiter = new LabelLimiter(
    (label) => (label === 'host' ? metrics.maxHosts : metrics.maxLabelValues),
    (label) => self.labelOverflow.inc({ label }),
  );
  // Actions in flight age and expire by the notifications' clock, not the wall clock (stream-clock.ts).
  const clock = new StreamClock();
  const streamNow = () => clock.now(now());
  const instances = new InstanceMetrics(registry, {
    maxTrackedInstances: metrics.maxTrackedInstances,
    maxTrackedActions: metrics.maxTrackedActions,
    actionTimeoutSeconds: metrics.actionTimeoutSeconds,
    actionDurationByHost: metrics.durationByHost,
    trackedOverflow: self.trackedOverflow,
    now: streamNow,
    onTimeRejected: (reason) => self.timeRejected(reason),
    exemplars: metrics.exemplars,
    auditPeriodSeconds: metrics.auditPeriodSeconds,
    onExpired: (n) => self.inventoryExpired.inc({ kind: 'instances' }, n),
  });
  // At 0 from the start: the actions of the services bound, and of any the operator's mapping adds.
  const bound = new Set(config.amqp.services.map((s) => s.name));
  const builtin = new Set<string>(SERVICE_NAMES);
  const resources = new ResourceMetrics(registry, {
    maxTrackedActions: metrics.maxTrackedActions,
    actionTimeoutSeconds: metrics.actionTimeoutSeconds,
    maxResources: metrics.maxTrackedInstances,
    onOverflow: (kind) => self.trackedOverflow.inc({ kind }),
    now: streamNow,
    knownActions: knownActions(config.mapping.rules).filter((a) => bound.has(a.service) || !builtin.has(a.service)),
    exemplars: metrics.exemplars,
    auditPeriodSeconds: metrics.auditPeriodSeconds,
    onExpired: (n) => self.inventoryExpired.inc({ kind: 'resources' }, n),
  });
  const activity = new RecentActivity({ now });
  const services = compileMapping(config.mapping.rules);
  const recentIds = new RecentIds(metrics.dedupWindow);
  const pipeline = createPipeline({
    decode: { maxMessageBytes: config.amqp.maxMessageBytes },
    recentIds,
    map: createMap({
      instance: novaMapper(instancePayloadFormat(config.nova.notificationFormat), metrics.timeWindow),
      resources: (n) => mapServiceNotification(services, n),
    }),
    bound: createLabelBound(limiter),
    sinks: [new NotificationMetrics(registry), instances, resources, activity],
    now,
    onReceived: () => self.received.inc(),
    onDrop: (reason) => self.drop(reason),
    badInput: new RateLimitedLog(log, 10),
    timeWindow: metrics.timeWindow,
    onTimeRejected: (reason) => self.timeRejected(reason),
    clock,
  });
  const expire = (wall: number): void => {
    const t = clock.now(wall);
    instances.expire(t);
    resources.expire(t);
  };
  const state: CountingStateAccess = {
    dump: () => ({
      ...instances.dumpState(),
      resources: resources.dumpState(),
      recentIds: recentIds.dump(),
      labels: limiter.dump(),
      ...(clock.dump() !== undefined && { streamClock: clock.dump() }),
      activity: activity.dump(),
    }),
    restore(s) {
      clock.restore(s.streamClock, now());
      if (s.activity) activity.restore(s.activity);
      instances.restoreState(s);
      resources.restoreState(s.resources);
      recentIds.restore(s.recentIds);
      limiter.restore(s.labels);
    },
  };
  return { pipeline, activity, expire, state };
}

/** Builds and starts the exporter: counting pipeline → consumer → broker gauges → HTTP. */
export async function startExporter(config: ServeConfig, deps: ExporterDeps): Promise<Exporter> {
  const { log } = deps;
  const now = deps.now ?? (() => Date.now() / 1000);
  const { amqp, web } = config;
  const registry = createRegistry({ processMetrics: !web.disableExporterMetrics });
  // --ha restores counts through prom-client's internals: refuse to start if they changed shape.
  if (config.ha.enabled) await checkPromClientShape();
  // --ha: the counting state is the group's, swapped in on takeover (docs/high-availability.md).
  const replicated = config.ha.enabled
    ? createReplicatedCounting(config, registry, log, now, (r) => createCountingPipeline(config, r, log, now))
    : undefined;
  const counting = replicated?.counting ?? createCountingPipeline(config, registry, log, now);
  // Declared before the consumer that calls it; reads the queue through it once consuming.
  const sharing: QueueSharingWatch = new QueueSharingWatch({
    queue: amqp.queue,
    singleActiveConsumer: amqp.singleActiveConsumer,
    stats: () => (consumer.consuming ? consumer.queueStats() : Promise.resolve(undefined)),
    log,
    now: () => now() * 1000,
  });
  const consumer: Consumer = new Consumer({
    address: amqp.address,
    tls: amqp.tls,
    heartbeatIntervalSeconds: amqp.heartbeatIntervalSeconds,
    connectTimeoutSeconds: amqp.connectTimeoutSeconds,
    reconnectMaxDelaySeconds: amqp.reconnectMaxDelaySeconds,
    connectionName: `openstack-notification-exporter ${VERSION}`,
    prefetch: amqp.prefetch,
    topology: amqp,
    onMessage: counting.pipeline,
    ...(replicated ? { deliveries: replicated.deliveries } : {}),
    ...(deps.onFatal ? { onRefusedAtStart: (err: Error) => deps.onFatal?.(err.message) } : {}),
    onConsuming: () => void sharing.check(),
    log,
  });
  new BrokerMetrics(registry, consumer, amqp.singleActiveConsumer, amqp.exchanges);
  registerRoleMetrics(
    registry,
    () => replicated?.replica ?? { active: consumer.consuming, takeovers: 0, snapshots: 0, lastSnapshotBytes: 0 },
  );
  applyConstantLabels(registry, config.metrics.constantLabels);
  const app = createApp({
    telemetryPath: web.telemetryPath,
    registry,
    broker: () => {
      const warning = consumer.consuming ? sharing.warning() : undefined;
      return { ...consumer.status(), ...(warning ? { warning } : {}) };
    },
    landing: () => ({
      version: VERSION,
      telemetryPath: web.telemetryPath,
      exchanges: amqp.exchanges,
      topics: amqp.topics,
      queue: amqp.queue,
      settings: config.settings,
    }),
    activity: () => counting.activity.summary(),
    log,
  });
  const http = await serveHttp(app, {
    addresses: web.listenAddresses,
    systemdSocket: web.systemdSocket,
    webConfigFile: web.configFile,
    maxRequests: web.maxRequests,
    log,
  });
  const expiry = setInterval(() => counting.expire(now()), EXPIRE_EVERY_MS);
  expiry.unref();
  const sharingChecks = setInterval(() => void sharing.check(), SHARING_CHECK_EVERY_MS);
  sharingChecks.unref();
  consumer.start();

  return {
    port: http.port,
    registry,
    async stop() {
      clearInterval(expiry);
      clearInterval(sharingChecks);
      await consumer.stop();
      await http.close();
    },
  };
}

const STOP_TIMEOUT_MS = 10_000;

export interface ServeIo {
  readonly log: Logger;
  /** One line to stderr and exit 2: start-up failed. */
  readonly fail: (message: string) => never;
}

/**
 * Runs until SIGTERM or SIGINT, then stops cleanly: consuming ends, what was counted is
 * acked, the rest goes back to the queue.
 */
export async function runServe(config: ServeConfig, io: ServeIo): Promise<void> {
  const { log } = io;
  if (config.nova.silentReason) log.warn({ novaConfigFile: config.nova.configFile }, config.nova.silentReason);
  for (const notice of config.notices) log.warn(notice);
  // Handlers go in before start-up, so a signal during it still ends in a clean stop.
  let signalled: string | undefined;
  let shutdown = (signal: string) => void (signalled ??= signal);
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  let exporter: Exporter;
  try {
    // A queue or exchange that exists with other settings (e.g. --ha or --amqp.queue-type
    // changed on an existing deployment) fails the start like a bad flag: exit 2, one line.
    exporter = await startExporter(config, { log, onFatal: (message) => io.fail(message) });
  } catch (err) {
    io.fail(err instanceof Error ? err.message : String(err));
  }
  let stopping = false;
  shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took longer than 10 s, exiting anyway');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    exporter.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  if (signalled) shutdown(signalled);
}
