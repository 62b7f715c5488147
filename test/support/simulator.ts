import { createTrafficModel, type TrafficModelOptions } from '../../src/simulate/model.js';
import { publishTraffic, type PublishResult } from '../../src/simulate/publisher.js';

export interface RunningSimulator {
  /** Settles when the run ends by itself (count or duration reached). */
  readonly done: Promise<PublishResult>;
  /** Ends the run now and waits until every message published so far is confirmed. */
  stop(): Promise<PublishResult>;
}

export interface SimulatorOptions {
  readonly url: string;
  /** Nova's control exchange; default `nova`. */
  readonly exchange?: string;
  readonly model: Omit<TrafficModelOptions, 'ratePerSecond' | 'now'>;
  readonly ratePerSecond: number;
  readonly count?: number;
}

/**
 * What `openstack-notification-exporter simulate` does, in-process: the seeded traffic
 * model published as oslo publishes it, paced, with the pace given to the model so that
 * its timestamps stay level with the clock.
 */
export function runSimulator(options: SimulatorOptions): RunningSimulator {
  const abort = new AbortController();
  const done = publishTraffic({
    url: options.url,
    exchange: options.exchange ?? 'nova',
    model: createTrafficModel({ ...options.model, ratePerSecond: options.ratePerSecond }),
    ratePerSecond: options.ratePerSecond,
    count: options.count,
    confirmEvery: 50,
    signal: abort.signal,
  });
  done.catch(() => undefined); // surfaced by whoever awaits done or stop()
  return {
    done,
    stop() {
      abort.abort();
      return done;
    },
  };
}
