/**
 * The simulated cloud with the services `--simulate.services` names: Nova's traffic model
 * (unchanged, so a seed gives Nova's very bytes whatever else runs) interleaved with the
 * other services' operations. Nova stays the loudest: each other service gets a third of
 * Nova's share of the messages.
 */
import { createStatsCounter, createTrafficModel, type SimulatedMessage, type TrafficModel, type TrafficModelOptions } from './model.js';
import { scheduledTime } from './pace.js';
import { createRng } from './random.js';
import { createServiceTraffic, SIMULATED_SERVICES, type SimulatedService } from './services.js';
import type { Topic } from './types.js';

export interface CloudTrafficOptions extends TrafficModelOptions {
  /** `nova`, `cinder`, ... Default: nova only (exactly createTrafficModel). */
  readonly services?: readonly string[];
}

export const SIMULATE_SERVICE_NAMES: readonly string[] = ['nova', ...SIMULATED_SERVICES];

export function createCloudTrafficModel(opts: CloudTrafficOptions): TrafficModel {
  const services = opts.services ?? ['nova'];
  for (const s of services) {
    if (!SIMULATE_SERVICE_NAMES.includes(s)) throw new RangeError(`unknown service '${s}' (known: ${SIMULATE_SERVICE_NAMES.join(', ')})`);
  }
  const others = SIMULATED_SERVICES.filter((s): s is SimulatedService => services.includes(s));
  // One start for Nova's model and the services', read once: after it, the publisher's schedule is the clock.
  const start = (opts.now ?? Date.now)();
  const nova = services.includes('nova') ? createTrafficModel({ ...opts, now: () => start }) : undefined;
  if (others.length === 0) {
    if (!nova) throw new RangeError('services must name at least one service');
    return nova;
  }
  const traffic = createServiceTraffic({ seed: opts.seed, services: others, errorRatio: opts.errorRatio });
  const pick = createRng(opts.seed ^ 0x317c0de5);
  const share = nova ? others.length / (others.length + 3) : 1;
  const counts = createStatsCounter();
  let serviceT = 0;

  return {
    next() {
      let out: SimulatedMessage;
      if (!nova || pick.chance(share)) {
        const m = traffic.next(Math.max(nova?.simulatedNow() ?? 0, scheduledTime(start, counts.total, opts.ratePerSecond), serviceT));
        serviceT = Math.max(serviceT, Date.parse(`${m.message.timestamp.replace(' ', 'T')}Z`));
        out = { routingKey: m.routingKey, topic: m.topic as Topic, message: m.message, exchange: m.exchange };
      } else {
        out = nova.next();
      }
      return counts.add(out);
    },
    stats: () => counts.snapshot(),
    liveInstances: () => nova?.liveInstances() ?? 0,
    simulatedNow: () => Math.max(nova?.simulatedNow() ?? 0, serviceT),
  };
}
