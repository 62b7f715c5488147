/**
 * Traffic model for `simulate`: a small discrete-event simulation of a Nova cloud.
 * Operations (lifecycles.ts) are interleaved in simulated time, so the payload times
 * (created_at → launched_at, start → end) stay realistic even when messages are
 * published far faster than real time. The clock is read once, at the start; after that
 * the publisher's schedule (`ratePerSecond`) stands for it and only pushes simulated time
 * forward, so a seed always gives the same traffic: when publishing is paced slower than
 * the simulated events, timestamps follow the schedule (the wall clock, when the broker
 * keeps up); when faster, simulated time runs ahead of it, unless `ratePerSecond` tells the
 * model the pace so it can grow the cloud's activity to match (pace.ts).
 */
import { hourStart } from './format.js';
import { create, power, reboot, remove, resize, type BuildOutcome, type Lifecycle, type World } from './lifecycles.js';
import { routingKey } from '../oslo/wire.js';
import { buildMessage, topicFor } from './messages.js';
import { createPacer, scheduledTime } from './pace.js';
import { CONTROLLERS, createCloud, FLAVORS } from './catalog.js';
import { createRng, type Rng } from './random.js';
import type { InnerMessage, InstanceState, MessageFormat, NovaEvent, RequestContext, Topic } from './types.js';

export type SimulateFormat = 'unversioned' | 'versioned' | 'both';

export interface TrafficModelOptions {
  seed: number;
  /** Number of compute hosts, named cmp-001.example.org, cmp-002.example.org, ... */
  hosts: number;
  /** Mirrors nova.conf [notifications] notification_format. */
  format: SimulateFormat;
  /** Probability (0..1) that a build fails. */
  errorRatio: number;
  /** Emit the `exists` audit burst (one per instance on a host). */
  exists: boolean;
  /**
   * Model events (not messages: 'both' renders each twice) between two audit bursts,
   * Nova's hourly audit compressed. Default 500. Stretched to twice the last burst, so a
   * large population cannot turn the traffic into mostly `exists`.
   */
  existsEvery?: number;
  /** Wall clock, epoch ms, read once for the start time. Default Date.now. Tests pass a fixed one. */
  now?: () => number;
  /** Operations in flight at once. Default max(4, 2 × hosts). */
  concurrency?: number;
  /** Instance population that creates and deletes gravitate to. Default 8 × hosts. */
  targetInstances?: number;
  /** Mean simulated time between new user operations, ms. Default 2000. */
  meanArrivalMs?: number;
  /**
   * The rate the publisher is paced to, messages/s. Grows the simulated activity to match,
   * so that timestamps stay near the clock (see pace.ts). Without it, publishing faster
   * than the simulated cloud produces events makes simulated time run ahead.
   */
  ratePerSecond?: number;
}

export interface SimulatedMessage {
  routingKey: string;
  topic: Topic;
  message: InnerMessage;
  /** The service's own exchange (cinder, neutron, ...); absent for Nova's, the publisher's. */
  exchange?: string;
}

/** Tallies what a model hands out, by event type, priority and routing key. */
export function createStatsCounter(): { add(m: SimulatedMessage): SimulatedMessage; snapshot(): TrafficStats; readonly total: number } {
  const counts: TrafficStats = { total: 0, byEventType: {}, byPriority: {}, byRoutingKey: {} };
  const count = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };
  return {
    get total() {
      return counts.total;
    },
    add(m) {
      counts.total++;
      count(counts.byEventType, m.message.event_type);
      count(counts.byPriority, m.message.priority);
      count(counts.byRoutingKey, m.routingKey);
      return m;
    },
    snapshot: () => ({
      total: counts.total,
      byEventType: { ...counts.byEventType },
      byPriority: { ...counts.byPriority },
      byRoutingKey: { ...counts.byRoutingKey },
    }),
  };
}

export interface TrafficStats {
  total: number;
  byEventType: Record<string, number>;
  byPriority: Record<string, number>;
  byRoutingKey: Record<string, number>;
}

export interface TrafficModel {
  /** The next message to publish. Never runs dry. */
  next(): SimulatedMessage;
  /** Counts of the messages returned by next() so far. */
  stats(): TrafficStats;
  /** Instances an `exists` burst would report now (on a host, not deleted). */
  liveInstances(): number;
  /** Current simulated time, epoch ms. */
  simulatedNow(): number;
}

interface Running {
  readonly instance: InstanceState;
  readonly gen: Lifecycle;
  readonly started: number;
  events: number;
  due: number;
}

const FORMATS: Record<SimulateFormat, readonly MessageFormat[]> = {
  unversioned: ['legacy'],
  versioned: ['versioned'],
  // Nova sends the legacy one first, then the versioned one, for each event.
  both: ['legacy', 'versioned'],
};

export function createTrafficModel(opts: TrafficModelOptions): TrafficModel {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1) throw new RangeError('hosts must be an integer >= 1');
  if (!(opts.errorRatio >= 0 && opts.errorRatio <= 1)) throw new RangeError('errorRatio must be within 0..1');
  const start = (opts.now ?? Date.now)();
  const formats = FORMATS[opts.format];
  const existsEvery = opts.existsEvery ?? 500;
  const pacer = createPacer(
    {
      concurrency: opts.concurrency ?? Math.max(4, 2 * opts.hosts),
      targetInstances: opts.targetInstances ?? 8 * opts.hosts,
      meanArrivalMs: opts.meanArrivalMs ?? 2000,
    },
    opts.ratePerSecond === undefined ? undefined : opts.ratePerSecond / formats.length,
  );
  let pace = pacer.current(0);

  // Three streams, so that the rendering (message ids, which 'both' draws twice as many
  // of) never shifts the traffic itself: a seed gives the same events in every format.
  const rng = createRng(opts.seed);
  const entities = createRng(opts.seed ^ 0x5eed1e55);
  const ids: Rng = createRng(opts.seed ^ 0x0b5e55ed);

  const cloud = createCloud(opts.hosts, rng, entities);

  let t = start;
  let serial = 0;
  let eventsSinceAudit = 0;
  let lastBurst = 0;
  let nextArrival = t;
  const inventory = new Map<string, InstanceState>();
  const running: Running[] = [];
  const busy = new Set<string>();
  const buffer: SimulatedMessage[] = [];
  const counts = createStatsCounter();

  const world: World = {
    get t() {
      return t;
    },
    rng,
    computeHosts: cloud.computeHosts,
    controllers: CONTROLLERS,
    flavors: FLAVORS,
    userContext: (i) => cloud.context(i.userId, i.tenantId, false, t),
  };

  function render(ev: NovaEvent): void {
    eventsSinceAudit++;
    for (const format of formats) {
      const message = buildMessage(format, ev, ids);
      const topic = topicFor(format);
      buffer.push({ topic, routingKey: routingKey(topic, message.priority), message });
    }
  }

  const isLive = (i: InstanceState): boolean => i.host !== null && i.state !== 'deleted';

  /** A user shows up: build a server, or act on an idle one. */
  function startOperation(): void {
    const idle = [...inventory.values()].filter((i) => !busy.has(i.uuid) && i.state !== 'deleted');
    const wantCreate = rng.chance(inventory.size < pace.targetInstances ? 0.6 : 0.2);
    let instance: InstanceState;
    let gen: Lifecycle;
    if (idle.length === 0 || wantCreate) {
      instance = cloud.newInstance(++serial, t);
      inventory.set(instance.uuid, instance);
      const outcome: BuildOutcome = !rng.chance(opts.errorRatio) ? 'ok' : rng.chance(0.3) ? 'schedule_error' : 'compute_error';
      gen = create(world, instance, outcome);
    } else {
      instance = rng.pick(idle);
      gen = pickAction(instance);
    }
    busy.add(instance.uuid);
    const op: Running = { instance, gen, started: t, events: 0, due: t };
    running.push(op);
    advance(op);
  }

  function pickAction(i: InstanceState): Lifecycle {
    if (i.state === 'stopped') return rng.chance(0.75) ? power(world, i, true) : remove(world, i);
    if (i.state !== 'active') return remove(world, i); // error: users delete failed servers
    const crowded = inventory.size > pace.targetInstances;
    const roll = rng.float(0, crowded ? 10 : 8);
    if (roll < 3) return reboot(world, i);
    if (roll < 5) return power(world, i, false);
    if (roll < 6) return resize(world, i);
    return remove(world, i);
  }

  /** Runs an operation up to its next wait; retires it when it is done. */
  function advance(op: Running): void {
    for (;;) {
      const step = op.gen.next();
      if (step.done) {
        running.splice(running.indexOf(op), 1);
        busy.delete(op.instance.uuid);
        pacer.observe(t - op.started, op.events);
        if (op.instance.state === 'deleted') inventory.delete(op.instance.uuid);
        return;
      }
      if (typeof step.value === 'number') {
        op.due = t + step.value;
        return;
      }
      op.events++;
      render(step.value);
    }
  }

  /** Nova's hourly audit: every compute host reports each instance it holds. */
  function auditBurst(): void {
    const ending = hourStart(t);
    const live = [...inventory.values()].filter(isLive).sort((a, b) => (a.host ?? '').localeCompare(b.host ?? ''));
    lastBurst = live.length;
    let ctx: RequestContext | undefined;
    let ctxHost: string | undefined;
    for (const i of live) {
      const host = i.host ?? 'unknown';
      // One periodic task (and so one request context) per compute host.
      if (ctx === undefined || ctxHost !== host) {
        ctx = cloud.context(cloud.serviceUser.userId, cloud.serviceUser.projectId, true, t);
        ctxHost = host;
      }
      t += rng.float(0.5, 5);
      render({
        action: 'exists',
        phase: undefined,
        priority: 'INFO',
        service: 'compute',
        publisherHost: host,
        instance: { ...i },
        at: t,
        context: ctx,
        auditPeriod: { beginning: ending - 3_600_000, ending },
      });
    }
  }

  /** Produces at least one message into the buffer. */
  function step(): void {
    while (buffer.length === 0) {
      const wall = scheduledTime(start, counts.total, opts.ratePerSecond);
      t = Math.max(t, wall);
      pace = pacer.current(t - wall);
      if (opts.exists && eventsSinceAudit >= Math.max(existsEvery, 2 * lastBurst)) {
        auditBurst();
        eventsSinceAudit = 0; // the burst itself does not count towards the next one
        continue;
      }
      let earliest: Running | undefined;
      for (const op of running) if (earliest === undefined || op.due < earliest.due) earliest = op;
      if (running.length < pace.concurrency && (earliest === undefined || nextArrival <= earliest.due)) {
        t = Math.max(t, nextArrival);
        nextArrival = t + rng.exponential(pace.meanArrivalMs);
        startOperation();
      } else if (earliest !== undefined) {
        t = Math.max(t, earliest.due);
        advance(earliest);
      }
    }
  }

  return {
    next() {
      step();
      return counts.add(buffer.shift() as SimulatedMessage);
    },
    stats: () => counts.snapshot(),
    liveInstances: () => [...inventory.values()].filter(isLive).length,
    simulatedNow: () => t,
  };
}
