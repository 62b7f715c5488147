import { Gauge, Histogram, type Registry } from 'prom-client';
import { instanceEvent } from '../nova/mapper.js';
import type { InstanceEvent, Notification, PayloadFormat } from '../pipeline/notification.js';
import { ActionTracker } from './action-tracker.js';
import { CellMetric } from './cells.js';
import { Inventory } from './inventory.js';
import { BoundedChildren, type LabelLimiter } from './labels.js';
import type { RecentActivity } from './recent-activity.js';

export interface NotificationMetricsOptions {
  /** Instance metrics come from this format only, so `both` never counts an event twice. */
  readonly instanceFormat: PayloadFormat;
  readonly limiter: LabelLimiter;
  readonly tracker: ActionTracker;
  readonly inventory: Inventory;
  /** Wall clock, epoch seconds. */
  readonly now: () => number;
  /** The landing page's live summary, fed what the metrics counted. */
  readonly activity?: RecentActivity;
}

// Seconds to hours: a reboot takes seconds, a live migration of a big guest can take hours.
const ACTION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];
const BUILD_BUCKETS = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800, 3600];

type Inc = { inc(value?: number): void };
type Set = { set(value: number): void };
type Observe = { observe(value: number): void };

/** The metric contract of DESIGN.md: notification → counter, histogram and gauge updates. */
export class NotificationMetrics {
  private readonly notifications: BoundedChildren<Inc>;
  private readonly lastReceived: BoundedChildren<Set>;
  private readonly stateTransitions: BoundedChildren<Inc>;
  private readonly taskStateTransitions: BoundedChildren<Inc>;
  private readonly actions: BoundedChildren<Inc>;
  private readonly errors: BoundedChildren<Inc>;
  private readonly buildDuration: BoundedChildren<Observe>;
  private readonly actionDuration: BoundedChildren<Observe>;

  constructor(
    registry: Registry,
    private readonly options: NotificationMetricsOptions,
  ) {
    const registers = [registry];
    const { limiter, tracker, inventory, now } = options;
    // The per-notification metrics live in cells: no label hashing on the hot path.
    const counter = (name: string, help: string, labelNames: readonly string[]) => {
      const c = new CellMetric(name, help, 'counter', labelNames, registry);
      return new BoundedChildren<Inc>(labelNames, limiter, (v) => c.cell(v));
    };
    this.notifications = counter(
      'openstack_notifications_total',
      'Notifications received, by event type, priority, publishing service and host.',
      ['event_type', 'priority', 'publisher', 'host'] as const,
    );
    const last = new CellMetric(
      'openstack_notification_last_received_timestamp_seconds',
      'When the exporter last received a notification from this publisher and host (unix time).',
      'gauge',
      ['publisher', 'host'],
      registry,
    );
    this.lastReceived = new BoundedChildren<Set>(['publisher', 'host'], limiter, (v) => last.cell(v));
    this.stateTransitions = counter(
      'openstack_instance_state_transitions_total',
      'Instance vm_state changes (old_state → state) seen in instance.update notifications.',
      ['from_state', 'to_state', 'host'] as const,
    );
    this.taskStateTransitions = counter(
      'openstack_instance_task_state_transitions_total',
      'Instance task_state changes (old_task_state → new_task_state); none means no task.',
      ['from_task_state', 'to_task_state', 'host'] as const,
    );
    this.actions = counter(
      'openstack_instance_actions_total',
      'Instance action notifications by action (create, delete, resize, ...) and phase (start, end, error).',
      ['action', 'phase', 'host'] as const,
    );
    this.errors = counter(
      'openstack_instance_errors_total',
      'Nova error notifications by event type and exception class (never the message).',
      ['event_type', 'exception', 'host'] as const,
    );
    const build = new Histogram({
      name: 'openstack_instance_build_duration_seconds',
      help: 'Time from instance creation to launch (launched_at − created_at) at create end.',
      labelNames: ['host'] as const,
      buckets: BUILD_BUCKETS,
      registers,
    });
    this.buildDuration = new BoundedChildren<Observe>(['host'], limiter, (v) => build.labels(...v));
    const observeFinished = this.observeFinished.bind(this);
    const action = new Histogram({
      name: 'openstack_instance_action_duration_seconds',
      help: 'Time from an action start to its end (success), error, or expiry (timeout).',
      labelNames: ['action', 'outcome', 'host'] as const,
      buckets: ACTION_BUCKETS,
      registers,
      // Expiry happens at scrape time, here: this histogram is collected before the in-flight
      // gauges, so one scrape shows a timed-out action in both consistently.
      collect() {
        tracker.expire(now()).forEach(observeFinished);
      },
    });
    this.actionDuration = new BoundedChildren<Observe>(['action', 'outcome', 'host'], limiter, (v) => action.labels(...v));
    // Registered before the oldest-in-flight gauge, whose values its collect() sets.
    new Gauge({
      name: 'openstack_instance_actions_in_flight',
      help: 'Instance actions started and not yet ended.',
      labelNames: ['action'] as const,
      registers,
      collect() {
        const t = now();
        // Several actions may share the `other` label value: fold them before setting.
        const folded = new Map<string, { count: number; oldestSeconds: number }>();
        for (const [name, open] of tracker.inFlight(t)) {
          const a = limiter.bound('action', name, false);
          const f = folded.get(a);
          if (f) folded.set(a, { count: f.count + open.count, oldestSeconds: Math.max(f.oldestSeconds, open.oldestSeconds) });
          else folded.set(a, open);
        }
        this.reset();
        oldest.reset();
        for (const [action, { count, oldestSeconds }] of folded) {
          this.set({ action }, count);
          oldest.set({ action }, oldestSeconds);
        }
      },
    });
    const oldest = new Gauge({
      name: 'openstack_instance_action_oldest_in_flight_seconds',
      help: 'Age of the oldest instance action still in flight.',
      labelNames: ['action'] as const,
      registers,
    });
    new Gauge({
      name: 'openstack_instances',
      help: 'Instances per vm_state and host, from notifications (rebuilt by the hourly exists audit).',
      labelNames: ['state', 'host'] as const,
      registers,
      collect() {
        this.reset();
        for (const { state, host, count } of inventory.counts().values()) {
          this.inc({ state: limiter.bound('state', state, false), host: limiter.bound('host', host, false) }, count);
        }
      },
    });
  }

  record(n: Notification): void {
    const t = this.options.now();
    this.notifications.get(n.eventType, n.priority, n.publisher, n.host).inc();
    this.lastReceived.get(n.publisher, n.host).set(t);
    this.options.activity?.notification(n);
    if (n.format !== this.options.instanceFormat) return;
    const event = instanceEvent(n);
    if (event) {
      this.recordInstance(n, event, n.timestampSeconds ?? t);
      this.options.activity?.instanceEvent(n, event);
    }
  }

  private recordInstance(n: Notification, e: InstanceEvent, at: number): void {
    if (e.stateTransition) this.stateTransitions.get(e.stateTransition.from, e.stateTransition.to, e.host).inc();
    if (e.taskStateTransition) {
      this.taskStateTransitions.get(e.taskStateTransition.from, e.taskStateTransition.to, e.host).inc();
    }
    if (e.isError) this.errors.get(n.eventType, e.exception ?? 'unknown', e.host).inc();
    if (e.action && e.phase) {
      this.actions.get(e.action, e.phase, e.host).inc();
      if (e.instanceId) {
        const { tracker } = this.options;
        const done =
          e.phase === 'start'
            ? tracker.start({ instanceId: e.instanceId, action: e.action, host: e.host, startedAt: at, requestId: e.requestId })
            : tracker.finish(e.instanceId, e.action, at, e.phase === 'end' ? 'success' : 'error', e.requestId, this.options.now());
        if (done) this.observeFinished(done);
      }
    }
    if (e.buildDurationSeconds !== undefined) this.buildDuration.get(e.host).observe(e.buildDurationSeconds);
    if (e.instanceId && e.state) {
      if (e.action === 'delete' && e.phase === 'end') this.options.inventory.remove(e.instanceId, at);
      else this.options.inventory.observe(e.instanceId, e.state, e.host, at);
    }
  }

  private observeFinished(f: { action: string; outcome: string; host: string; durationSeconds: number }): void {
    this.actionDuration.get(f.action, f.outcome, f.host).observe(f.durationSeconds);
  }
}
