/**
 * The --ha fault harness: replicas (the real CLI) on a three-node cluster of the caller's
 * own, realistic Nova traffic with oslo message_ids published in bursts, and faults chosen
 * at random from a seed: the active replica SIGKILLed and started again, a replica
 * SIGSTOPped past its heartbeat timeout and resumed, a replica's connections cut, a memory
 * alarm raised and cleared on a node, a node restarted. At the end the replicas' counting
 * series summed must equal exactly what one uninterrupted exporter shows for the same
 * notifications. A failure prints its seed; OSNE_HA_SEED=<seed> replays it.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { ReplicaProcess } from './ha-replica-process.js';
import { countingSeries, differences, referenceSamples, ResilientPublisher, summed, traffic } from './ha.js';
import { freePort } from './ports.js';
import type { RabbitNode } from './rabbit-nodes.js';
import { TcpProxy } from './tcp-proxy.js';

export const FAULTS = ['kill', 'pause', 'cut', 'alarm', 'restart-node'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultRunOptions {
  readonly nodes: readonly RabbitNode[];
  readonly seed: number;
  readonly replicas?: number;
  readonly notifications?: number;
  readonly ratePerSecond?: number;
  readonly faults?: readonly Fault[];
  /** One line per step, for the test's diagnostics. */
  readonly log?: (line: string) => void;
}

export interface FaultRunResult {
  readonly seed: number;
  /** Empty when the sums matched the reference exactly. */
  readonly differences: readonly string[];
  readonly faults: readonly string[];
  readonly republished: number;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seeds to run: OSNE_HA_SEED replays one, otherwise the given ones. */
export function seedsToRun(defaults: readonly number[]): number[] {
  const replay = process.env['OSNE_HA_SEED'];
  return replay ? [Number(replay)] : [...defaults];
}

const HEARTBEAT_SECONDS = 2;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFaults(options: FaultRunOptions): Promise<FaultRunResult> {
  const { nodes, seed } = options;
  const log = options.log ?? (() => undefined);
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const kinds = options.faults ?? FAULTS;
  // A queue of this run's own, so runs on one cluster never meet.
  const queue = `osne-faults-${seed}-${randomBytes(3).toString('hex')}`;
  const proxies = new Map<ReplicaProcess, TcpProxy[]>();
  const replicas: ReplicaProcess[] = [];
  const done: string[] = [];
  const started = Date.now();
  const note = (what: string) => {
    const line = `seed ${seed} +${((Date.now() - started) / 1000).toFixed(1)}s ${what}`;
    done.push(what);
    log(line);
  };
  const publisher = new ResilientPublisher(() => nodes.filter((n) => n.running).map((n) => n.url()), 'nova');
  try {
    // Nova's exchange, as oslo declares it (amqp_durable_queues = False), before anyone waits for it.
    const setup = await amqp.connect((nodes[0] as RabbitNode).url());
    await (await setup.createChannel()).assertExchange('nova', 'topic', { durable: false });
    await setup.close();
    for (let i = 0; i < (options.replicas ?? 3); i++) {
      // Each replica reaches every node through proxies of its own: a cut hits it alone.
      const own = await Promise.all(nodes.map((n) => TcpProxy.start(n.port)));
      const url = `rabbit://${own.map((p) => `guest:guest@127.0.0.1:${p.port}`).join(',')}/`;
      const r = new ReplicaProcess(`r${i}`, await freePort(), [
        '--amqp.url',
        url,
        '--amqp.queue',
        queue,
        '--ha',
        '--ha.snapshot-interval-seconds',
        '1',
        '--amqp.heartbeat-interval-seconds',
        String(HEARTBEAT_SECONDS),
        '--amqp.reconnect-max-delay-seconds',
        '2',
        '--log.level',
        'info',
      ]);
      proxies.set(r, own);
      replicas.push(r);
      r.start();
    }
    for (const r of replicas) await r.ready();
    const reachable = () => replicas.filter((r) => r.alive && !r.paused);
    const activeOne = async (): Promise<ReplicaProcess | undefined> => {
      for (const r of reachable()) if (await r.active().catch(() => false)) return r;
      return undefined;
    };

    const messages = traffic(options.notifications ?? 2000, seed);
    // Bursts: batches of 1 to 50 at about the rate asked for.
    const publishing = publisher.run(messages, options.ratePerSecond ?? 100, undefined, 1 + Math.floor(random() * 50));
    let finished = false;
    void publishing.finally(() => (finished = true)).catch(() => undefined);

    // Every kind once, in a seeded order, then more at random while the traffic lasts.
    const firstRound = [...kinds].sort(() => random() - 0.5);
    while (!finished || firstRound.length > 0) {
      await delay(between(500, 3000));
      const fault = firstRound.shift() ?? pick(kinds);
      switch (fault) {
        case 'kill': {
          const victim = (random() < 0.7 ? await activeOne() : undefined) ?? pick(reachable());
          note(`SIGKILL ${victim.name} and start it again`);
          await victim.kill();
          await delay(between(0, 2000));
          victim.start();
          await victim.ready();
          break;
        }
        case 'pause': {
          const victim = (random() < 0.7 ? await activeOne() : undefined) ?? pick(reachable());
          const ms = between(HEARTBEAT_SECONDS * 2500, HEARTBEAT_SECONDS * 4000);
          note(`SIGSTOP ${victim.name} for ${(ms / 1000).toFixed(1)} s (heartbeat ${HEARTBEAT_SECONDS} s), then SIGCONT`);
          victim.pause();
          await delay(ms);
          victim.resume();
          break;
        }
        case 'cut': {
          const victim = (random() < 0.7 ? await activeOne() : undefined) ?? pick(reachable());
          note(`cut ${victim.name}'s connections`);
          for (const p of proxies.get(victim) ?? []) p.cutAll();
          break;
        }
        case 'alarm': {
          const node = pick(nodes.filter((n) => n.running));
          const ms = between(1000, 4000);
          note(`memory alarm on ${node.name} for ${(ms / 1000).toFixed(1)} s`);
          await node.ctl('set_vm_memory_high_watermark', '0.0000001');
          await delay(ms);
          await node.ctl('set_vm_memory_high_watermark', '0.4');
          break;
        }
        case 'restart-node': {
          const node = pick(nodes);
          note(`restart node ${node.name}`);
          await node.stop();
          await delay(between(0, 2000));
          await node.start();
          break;
        }
      }
    }
    await publishing;
    for (const r of replicas) if (r.paused) r.resume();
    // Settled: every notification counted by exactly one active replica, or the difference.
    const expected = summed([countingSeries(await referenceSamples(messages))]);
    let diff: string[] = [];
    const deadline = Date.now() + 90_000;
    do {
      const scrapes = await Promise.all(reachable().map((r) => r.scrape().catch(() => [])));
      diff = differences(summed(scrapes.map(countingSeries)), expected);
      if (diff.length === 0) break;
      await delay(500);
    } while (Date.now() < deadline);
    note(diff.length === 0 ? 'counts equal the uninterrupted reference' : `differences: ${diff.join('; ')}`);
    return { seed, differences: diff, faults: done, republished: publisher.republished };
  } finally {
    await publisher.close();
    for (const r of replicas) await r.stop().catch(() => undefined);
    for (const p of [...proxies.values()].flat()) await p.close().catch(() => undefined);
    for (const n of nodes) if (!n.running) await n.start().catch(() => undefined);
    await Promise.all(nodes.map((n) => n.ctl('set_vm_memory_high_watermark', '0.4').catch(() => '')));
  }
}
