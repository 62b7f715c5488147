/**
 * The metrics of every service the declarative mapping covers (Cinder, Neutron, Glance, ...):
 * facts in, counters, histograms and gauges out. The facts arrive bounded (the label stage)
 * so nothing here caps a label; the resource id is only the key that pairs phases and keeps
 * the inventory.
 *
 * The pairing and the inventory are the instance ones (ActionTracker, Inventory) keyed by
 * service, resource and id, so they keep their behaviour: out-of-order ends held, newer
 * states never undone by a late one, caps with eviction counted. Timeouts happen in
 * expire(), which the caller runs (on a timer or before a scrape): collecting a metric here
 * only reads.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResourceFact } from '../mapping/facts.js';
import type { KnownAction } from '../mapping/known-actions.js';
import type { Facts, FactSink } from '../pipeline/facts.js';
import { ActionTracker, type FinishedAction, type TrackerState } from './action-tracker.js';
import { CellHistogram, CellMetric, type Cell, type HistogramCell } from './cells.js';
import { exemplarOf, type ExemplarSource } from './exemplars.js';
import { Inventory, type InventoryState } from './inventory.js';
import { ChildCache } from './labels.js';

export interface ResourceMetricsOptions {
  readonly maxTrackedActions: number;
  readonly actionTimeoutSeconds: number;
  readonly maxResources: number;
  /** A start (or held end) evicted, or a resource not kept, because its cap was reached. */
  readonly onOverflow: (kind: 'resource_actions' | 'resources') => void;
  /** The stream's clock, epoch seconds: for ages, and for facts without a time of their own when recorded alone. */
  readonly now: () => number;
  /** The actions the mapping knows, shown at 0 in the in-flight gauges while none runs. */
  readonly knownActions?: readonly KnownAction[];
  /** Request ids as exemplars on the errors and durations (--metrics.exemplars); default off. */
  readonly exemplars?: boolean;
  /** The audits' period in seconds (volume.exists, ...; 0: audits expire nothing); see Inventory. */
  readonly auditPeriodSeconds?: number;
  /** Counts resources expired because no audit named them for two periods. */
  readonly onExpired?: (count: number) => void;
}

// Volumes attach in seconds, stacks and bare metal deploys take up to hours.
const DURATION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];
/** Known outcomes exist from the start, so a first failure is 0 → 1, not a new series. */
const AUTH_OUTCOMES_AT_ZERO = ['success', 'failure', 'pending'] as const;
const SEP = '\u0000';

export class ResourceMetrics implements FactSink {
  private readonly actions: Counter<'service' | 'resource' | 'action' | 'phase' | 'host'>;
  private readonly duration: ChildCache<HistogramCell>;
  private readonly errors: ChildCache<Cell>;
  private readonly authentications: Counter<'outcome'>;
  private readonly tracker: ActionTracker;
  private readonly inventory: Inventory;
  /** Tracker keys shown at 0 while none is in flight: the mapping's known actions, and every one started since. */
  private readonly actionsAtZero: Set<string>;

  constructor(
    registry: Registry,
    private readonly options: ResourceMetricsOptions,
  ) {
    const registers = [registry];
    const tracker = (this.tracker = new ActionTracker({
      maxTracked: options.maxTrackedActions,
      timeoutSeconds: options.actionTimeoutSeconds,
      onEvicted: () => options.onOverflow('resource_actions'),
    }));
    const inventory = (this.inventory = new Inventory({
      maxInstances: options.maxResources,
      onOverflow: () => options.onOverflow('resources'),
      auditPeriodSeconds: options.auditPeriodSeconds ?? 0,
      ...(options.onExpired && { onExpired: options.onExpired }),
    }));
    const { now } = options;
    const atZero = (this.actionsAtZero = new Set((options.knownActions ?? []).map((a) => actionKey(a.service, a.resource, a.action))));

    this.actions = new Counter({
      name: 'openstack_resource_actions_total',
      help: 'Actions on resources of OpenStack services other than Nova (volume create, port update, stack delete, ...) by phase: start, end, error.',
      labelNames: ['service', 'resource', 'action', 'phase', 'host'] as const,
      registers,
    });
    // Cells (no label hashing) that carry exemplars, as the instance metrics' do.
    const duration = new CellHistogram(
      'openstack_resource_action_duration_seconds',
      "Time from an action's start to its end (success) or error on the same resource, by the notifications' own clocks, or to its expiry (timeout).",
      ['service', 'resource', 'action', 'outcome'],
      DURATION_BUCKETS,
      registry,
    );
    this.duration = new ChildCache((v) => duration.cell(v));
    new Gauge({
      name: 'openstack_resource_actions_in_flight',
      help: 'Resource actions started and not yet ended (nor expired).',
      labelNames: ['service', 'resource', 'action'] as const,
      registers,
      collect() {
        this.reset();
        for (const key of atZero) this.set(actionLabels(key), 0);
        for (const [key, { count }] of tracker.inFlight(now())) this.set(actionLabels(key), count);
      },
    });
    new Gauge({
      name: 'openstack_resource_action_oldest_in_flight_seconds',
      help: 'Age of the oldest resource action still in flight.',
      labelNames: ['service', 'resource', 'action'] as const,
      registers,
      collect() {
        this.reset();
        for (const key of atZero) this.set(actionLabels(key), 0);
        for (const [key, { oldestSeconds }] of tracker.inFlight(now())) this.set(actionLabels(key), oldestSeconds);
      },
    });
    new Gauge({
      name: 'openstack_resources',
      help: 'Resources per service, type and status, kept from notifications (deleted ones leave; audits such as volume.exists refresh it).',
      labelNames: ['service', 'resource', 'status'] as const,
      registers,
      collect() {
        this.reset();
        for (const { state, host: group, count } of inventory.counts().values()) {
          const [service = '', resource = ''] = group.split(SEP);
          this.inc({ service, resource, status: state }, count);
        }
      },
    });
    const errors = new CellMetric(
      'openstack_resource_errors_total',
      'Error notifications of services other than Nova, by event type and exception class (never the message).',
      'counter',
      ['service', 'event_type', 'exception'],
      registry,
    );
    this.errors = new ChildCache((v) => errors.cell(v));
    this.authentications = new Counter({
      name: 'openstack_identity_authentications_total',
      help: "Keystone authentications (CADF identity.authenticate) by outcome. Keystone's default opt-out sends failures only.",
      labelNames: ['outcome'] as const,
      registers,
    });
    for (const outcome of AUTH_OUTCOMES_AT_ZERO) this.authentications.inc({ outcome }, 0);
  }

  record(facts: Facts): void {
    const { requestId, timestampSeconds } = facts.notification;
    const at = timestampSeconds ?? facts.streamTime;
    // An error fact names no resource itself: the one its notification's action is about.
    const actionId = facts.resources.find((f) => f.kind === 'action')?.resourceId;
    for (const fact of facts.resources) {
      const source: ExemplarSource | undefined =
        this.options.exemplars && (fact.kind === 'action' || fact.kind === 'error')
          ? { requestId, idLabel: 'resource_id', id: fact.kind === 'action' ? fact.resourceId : actionId, at }
          : undefined;
      this.recordFact(fact, facts.streamTime, source);
    }
  }

  /**
   * One bounded fact; streamTime stands in for a fact without a usable time of its own, and
   * `source` gives the exemplar of an error or of the duration it completes.
   */
  recordFact(fact: ResourceFact, streamTime: number = this.options.now(), source?: ExemplarSource): void {
    switch (fact.kind) {
      case 'action':
        return this.recordAction(fact, streamTime, source);
      case 'status':
        this.inventory.observe(resourceKey(fact), fact.status, group(fact), fact.at ?? streamTime, fact.audit);
        return;
      case 'removed':
        this.inventory.remove(resourceKey(fact), fact.at ?? streamTime);
        return;
      case 'error':
        this.errors.get(fact.service, fact.eventType, fact.exception).inc(1, exemplarOf(source, 1));
        return;
      case 'authentication':
        this.authentications.inc({ outcome: fact.outcome });
        return;
    }
  }

  dumpState(): { readonly tracker: TrackerState; readonly inventory: InventoryState } {
    return { tracker: this.tracker.dump(), inventory: this.inventory.dump() };
  }

  restoreState(state: { readonly tracker: TrackerState; readonly inventory: InventoryState }): void {
    this.tracker.restore(state.tracker);
    this.inventory.restore(state.inventory);
  }

  /** Ends the starts older than the timeout as `timeout` outcomes. */
  expire(now: number = this.options.now()): void {
    for (const f of this.tracker.expire(now)) this.observe(f);
    this.inventory.expire();
  }

  get trackedActions(): number {
    return this.tracker.size;
  }

  get trackedResources(): number {
    return this.inventory.size;
  }

  private recordAction(fact: Extract<ResourceFact, { kind: 'action' }>, now: number, source: ExemplarSource | undefined): void {
    const { service, resource, action, phase, host } = fact;
    this.actions.inc({ service, resource, action, phase, host });
    if (fact.resourceId === undefined) return;
    const at = fact.at ?? now;
    const id = resourceKey({ service, resource, resourceId: fact.resourceId });
    const key = actionKey(service, resource, action);
    if (phase === 'start') this.actionsAtZero.add(key);
    const done =
      phase === 'start'
        ? this.tracker.start({ instanceId: id, action: key, host, startedAt: at, requestId: undefined })
        : this.tracker.finish(id, key, at, phase === 'end' ? 'success' : 'error', undefined, now);
    if (done) this.observe(done, source);
  }

  private observe(f: FinishedAction, source?: ExemplarSource): void {
    const { service, resource, action } = actionLabels(f.action);
    this.duration.get(service, resource, action, f.outcome).observe(f.durationSeconds, exemplarOf(source, f.durationSeconds));
  }
}

function actionKey(service: string, resource: string, action: string): string {
  return `${service}${SEP}${resource}${SEP}${action}`;
}

function actionLabels(key: string): { service: string; resource: string; action: string } {
  const [service = '', resource = '', action = ''] = key.split(SEP);
  return { service, resource, action };
}

function resourceKey(f: { service: string; resource: string; resourceId: string }): string {
  return `${f.service}${SEP}${f.resource}${SEP}${f.resourceId}`;
}

function group(f: { service: string; resource: string }): string {
  return `${f.service}${SEP}${f.resource}`;
}
