import { Counter, Gauge, type Registry } from 'prom-client';
import type { InstanceEvent } from '../nova/instance-event.js';
import type { Facts, FactSink } from '../pipeline/facts.js';
import { ActionTracker, type FinishedAction, type TrackerState } from './action-tracker.js';
import { CellHistogram, CellMetric } from './cells.js';
import { exemplarOf, type Exemplar, type ExemplarSource } from './exemplars.js';
import { Inventory, type InventoryState } from './inventory.js';
import { NOVA_ACTIONS } from '../nova/actions.js';
import { ChildCache } from './labels.js';
import type { TimeRejection } from '../pipeline/time-window.js';

export interface InstanceMetricsOptions {
  readonly maxTrackedInstances: number;
  readonly maxTrackedActions: number;
  readonly actionTimeoutSeconds: number;
  /**
   * host on the action duration histogram. Off by default: action × outcome × host ×
   * buckets is most of a large cloud's samples (docs/metrics.md, series budget).
   */
  readonly actionDurationByHost: boolean;
  /** Counts an instance or action not tracked because its table was full. */
  readonly trackedOverflow: Counter<'kind'>;
  /** Nova's instance_usage_audit_period in seconds (0: audits expire nothing); see Inventory. */
  readonly auditPeriodSeconds?: number;
  /** Counts instances expired because no audit named them for two periods. */
  readonly onExpired?: (count: number) => void;
  /** Request ids as exemplars on the errors and durations (--metrics.exemplars); default off. */
  readonly exemplars?: boolean;
  /** Epoch seconds, the stream's clock: the ages of actions in flight are read against it. */
  readonly now: () => number;
  /** A payload time (created_at, launched_at) outside the time window: not used. */
  readonly onTimeRejected: (reason: TimeRejection) => void;
}

// Seconds to hours: a reboot takes seconds, a live migration of a big guest can take hours.
const ACTION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];
const BUILD_BUCKETS = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600];
const PREFIX = 'openstack_notification_exporter_';

type Inc = { inc(value?: number, exemplar?: Exemplar): void };
type Observe = { observe(value: number, exemplar?: Exemplar): void };

/** Nova's instance facts → the instance metrics of the contract (DESIGN.md). */
export class InstanceMetrics implements FactSink {
  private readonly onTimeRejected: (reason: TimeRejection) => void;
  private readonly stateTransitions: ChildCache<Inc>;
  private readonly taskStateTransitions: ChildCache<Inc>;
  private readonly actions: ChildCache<Inc>;
  private readonly errors: ChildCache<Inc>;
  private readonly buildDuration: ChildCache<Observe>;
  private readonly actionDuration: ChildCache<Observe>;
  private readonly actionDurationByHost: boolean;
  private readonly tracker: ActionTracker;
  private readonly inventory: Inventory;
  private readonly exemplars: boolean;
  /** Actions shown at 0 while none is in flight: Nova's known ones, and every one started since (bounded labels). */
  private readonly actionsAtZero = new Set(NOVA_ACTIONS);

  constructor(registry: Registry, options: InstanceMetricsOptions) {
    const registers = [registry];
    const { now } = options;
    this.exemplars = options.exemplars ?? false;
    const tracker = new ActionTracker({
      maxTracked: options.maxTrackedActions,
      timeoutSeconds: options.actionTimeoutSeconds,
      onEvicted: () => options.trackedOverflow.inc({ kind: 'actions' }),
    });
    const inventory = new Inventory({
      maxInstances: options.maxTrackedInstances,
      onOverflow: () => options.trackedOverflow.inc({ kind: 'instances' }),
      auditPeriodSeconds: options.auditPeriodSeconds ?? 0,
      ...(options.onExpired && { onExpired: options.onExpired }),
      // nova/compute/manager.py _instance_usage_audit names the instances of its own host only.
      unauditedStates: new Set(['shelved_offloaded']),
    });
    this.tracker = tracker;
    this.inventory = inventory;
    this.onTimeRejected = options.onTimeRejected;
    const counter = (name: string, help: string, labelNames: readonly string[]) => {
      const c = new CellMetric(name, help, 'counter', labelNames, registry);
      return new ChildCache<Inc>((v) => c.cell(v));
    };
    this.stateTransitions = counter(
      'openstack_instance_state_transitions_total',
      'Instance vm_state changes (old_state → state) seen in instance.update notifications.',
      ['from_state', 'to_state', 'host'],
    );
    this.taskStateTransitions = counter(
      'openstack_instance_task_state_transitions_total',
      'Instance task_state changes (old_task_state → new_task_state); none means no task.',
      ['from_task_state', 'to_task_state', 'host'],
    );
    this.actions = counter(
      'openstack_instance_actions_total',
      'Instance action notifications by action (create, delete, resize, ...) and phase (start, end, error).',
      ['action', 'phase', 'host'],
    );
    this.errors = counter(
      'openstack_instance_errors_total',
      'Nova error notifications by event type and exception class (never the message).',
      ['event_type', 'exception', 'host'],
    );
    const histogram = (name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) => {
      const h = new CellHistogram(name, help, labelNames, buckets, registry);
      return new ChildCache<Observe>((v) => h.cell(v));
    };
    this.buildDuration = histogram(
      'openstack_instance_build_duration_seconds',
      'Time from instance creation to launch (launched_at − created_at) at create end.',
      ['host'],
      BUILD_BUCKETS,
    );
    this.actionDurationByHost = options.actionDurationByHost;
    this.actionDuration = histogram(
      'openstack_instance_action_duration_seconds',
      'Time from an action start to its end (success), error, or expiry (timeout).',
      options.actionDurationByHost ? ['action', 'outcome', 'host'] : ['action', 'outcome'],
      ACTION_BUCKETS,
    );
    // Action labels are bounded before they reach the tracker, so its keys are label values.
    const atZero = this.actionsAtZero;
    new Gauge({
      name: 'openstack_instance_actions_in_flight',
      help: 'Instance actions started and not yet ended.',
      labelNames: ['action'] as const,
      registers,
      collect() {
        this.reset();
        for (const action of atZero) this.set({ action }, 0);
        for (const [name, open] of tracker.inFlight(now())) this.set({ action: name }, open.count);
      },
    });
    new Gauge({
      name: 'openstack_instance_action_oldest_in_flight_seconds',
      help: 'Age of the oldest instance action still in flight.',
      labelNames: ['action'] as const,
      registers,
      collect() {
        this.reset();
        for (const action of atZero) this.set({ action }, 0);
        for (const [name, open] of tracker.inFlight(now())) this.set({ action: name }, open.oldestSeconds);
      },
    });
    new Gauge({
      name: 'openstack_instances',
      help: 'Instances per vm_state and host, from notifications (rebuilt by the hourly exists audit).',
      labelNames: ['state', 'host'] as const,
      registers,
      collect() {
        this.reset();
        for (const { state, host, count } of inventory.counts().values()) this.set({ state, host }, count);
      },
    });
    new Gauge({
      name: `${PREFIX}tracked_instances`,
      help: 'Instances held in the inventory behind openstack_instances.',
      registers,
      collect() {
        this.set(inventory.size);
      },
    });
    new Gauge({
      name: `${PREFIX}tracked_actions`,
      help: 'Started instance actions waiting for their end.',
      registers,
      collect() {
        this.set(tracker.size);
      },
    });
  }

  /** The inventory and the actions in flight as plain data (the counters are read from the registry). */
  dumpState(): { readonly tracker: TrackerState; readonly inventory: InventoryState } {
    return { tracker: this.tracker.dump(), inventory: this.inventory.dump() };
  }

  restoreState(state: { readonly tracker: TrackerState; readonly inventory: InventoryState }): void {
    this.tracker.restore(state.tracker);
    this.inventory.restore(state.inventory);
  }

  record(facts: Facts): void {
    const e = facts.instance;
    if (!e) return;
    const n = facts.notification;
    // Nova's own clock orders and times events; the stream's stands in when it has no usable one.
    const at = n.timestampSeconds ?? facts.streamTime;
    const source: ExemplarSource | undefined = this.exemplars
      ? { requestId: n.requestId ?? e.requestId, idLabel: 'instance_id', id: e.instanceId, at }
      : undefined;
    if (e.stateTransition) this.stateTransitions.get(e.stateTransition.from, e.stateTransition.to, e.host).inc();
    if (e.taskStateTransition) this.taskStateTransitions.get(e.taskStateTransition.from, e.taskStateTransition.to, e.host).inc();
    if (e.isError) this.errors.get(n.eventType, e.exception ?? 'unknown', e.host).inc(1, exemplarOf(source, 1));
    if (e.action && e.phase) {
      this.actions.get(e.action, e.phase, e.host).inc();
      if (e.instanceId) this.pair(e, e.instanceId, at, facts.streamTime, source);
    }
    if (e.buildDurationSeconds !== undefined)
      this.buildDuration.get(e.host).observe(e.buildDurationSeconds, exemplarOf(source, e.buildDurationSeconds));
    if (e.rejectedTime !== undefined) this.onTimeRejected(e.rejectedTime);
    if (e.instanceId && e.state) {
      if (e.action === 'delete' && e.phase === 'end') this.inventory.remove(e.instanceId, at);
      else this.inventory.observe(e.instanceId, e.state, e.host, at, e.isAudit);
    }
  }

  /**
   * Starts older than the action timeout end as `timeout`, by the stream's clock (`now`).
   * Called on a timer by the composition root, not from a collect(): a scrape only reads.
   */
  expire(now: number): void {
    for (const f of this.tracker.expire(now)) this.observeFinished(f);
    this.inventory.expire();
  }

  /** The notification that completes a pair gives the duration its exemplar. */
  private pair(e: InstanceEvent, instanceId: string, at: number, streamTime: number, source: ExemplarSource | undefined): void {
    const action = e.action as string;
    if (e.phase === 'start') this.actionsAtZero.add(action);
    const done =
      e.phase === 'start'
        ? this.tracker.start({ instanceId, action, host: e.host, startedAt: at, requestId: e.requestId })
        : this.tracker.finish(instanceId, action, at, e.phase === 'end' ? 'success' : 'error', e.requestId, streamTime);
    if (done) this.observeFinished(done, source);
  }

  private observeFinished(f: FinishedAction, source?: ExemplarSource): void {
    const d = this.actionDurationByHost
      ? this.actionDuration.get(f.action, f.outcome, f.host)
      : this.actionDuration.get(f.action, f.outcome);
    d.observe(f.durationSeconds, exemplarOf(source, f.durationSeconds));
  }
}
