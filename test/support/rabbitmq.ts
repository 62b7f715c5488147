/**
 * The local broker through rabbitmqctl: vhosts of our own and what they hold. The tests
 * (through vhost.ts) and the bench both make their corner of the shared broker here, on
 * the broker target.ts chooses.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { uniqueName } from './broker.js';
import { RABBITMQ4, TEST_AMQP_HOST, TEST_VHOST_QUEUE_TYPE } from './target.js';

export { TEST_AMQP_HOST, TEST_MANAGEMENT_URL, TEST_VHOST_QUEUE_TYPE } from './target.js';

const run = promisify(execFile);

/**
 * What tests and the bench may do to the shared broker: make and remove vhosts and read.
 * Anything that touches the whole node (stop_app, a memory watermark, users) belongs on a
 * node of the test's own (rabbit-nodes.ts), so `npm test` leaves the shared broker as it found it.
 */
const SHARED_BROKER_COMMANDS = new Set(['add_vhost', 'delete_vhost', 'set_permissions', 'list_queues', 'list_exchanges', 'list_bindings']);

/** rabbitmqctl against the shared broker, for the commands above only. */
export function rabbitmqctl(command: string, ...args: string[]): Promise<string> {
  if (!SHARED_BROKER_COMMANDS.has(command)) {
    throw new Error(`rabbitmqctl ${command} would change the shared broker: run it on a node of the test's own (rabbit-nodes.ts)`);
  }
  if (RABBITMQ4) return RABBITMQ4.ctl(command, ...args);
  return run('rabbitmqctl', ['-q', command, ...args], { timeout: 60_000 }).then((r) => r.stdout);
}

export interface Vhost {
  readonly name: string;
  /** amqp:// URL into the vhost (the local guest account). */
  readonly url: string;
  /** Deletes the vhost and all in it; a second call does nothing. */
  remove(): Promise<void>;
}

export interface VhostOptions {
  /** Names are `<prefix>-<8 hex digits>`. */
  readonly prefix?: string;
  /** host:port of the broker's AMQP listener. */
  readonly amqpHost?: string;
  /**
   * How long remove() keeps retrying while the broker is away (someone else's test may
   * have stopped it for a while); 0 fails at once.
   */
  readonly removeRetryMs?: number;
}

/** A fresh vhost on the local broker that guest may use. */
export async function createVhost(options: VhostOptions = {}): Promise<Vhost> {
  const { prefix = 'osne-test', amqpHost = TEST_AMQP_HOST, removeRetryMs = 0 } = options;
  const name = uniqueName(prefix);
  await rabbitmqctl('add_vhost', name, ...(TEST_VHOST_QUEUE_TYPE ? ['--default-queue-type', TEST_VHOST_QUEUE_TYPE] : []));
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  let removed = false;
  return {
    name,
    url: `amqp://guest:guest@${amqpHost}/${encodeURIComponent(name)}`,
    remove: async () => {
      if (removed) return;
      const deadline = Date.now() + removeRetryMs;
      for (;;) {
        try {
          await rabbitmqctl('delete_vhost', name);
          removed = true;
          return;
        } catch (err) {
          if (Date.now() >= deadline) throw err;
          await new Promise((r) => setTimeout(r, 3000));
        }
      }
    },
  };
}

/** `rabbitmqctl list_queues` columns for one vhost, as objects. */
export async function listQueues(vhost: string): Promise<Record<string, string>[]> {
  const out = await rabbitmqctl('list_queues', '-p', vhost, '--formatter', 'json', 'name', 'durable', 'arguments', 'messages', 'consumers');
  return JSON.parse(out) as Record<string, string>[];
}

export async function listExchanges(vhost: string): Promise<{ name: string; type: string; durable: boolean }[]> {
  const out = await rabbitmqctl('list_exchanges', '-p', vhost, '--formatter', 'json', 'name', 'type', 'durable');
  return JSON.parse(out) as { name: string; type: string; durable: boolean }[];
}

/**
 * A queue's arguments from listQueues as they were declared: RabbitMQ 4 also lists the
 * x-queue-type it chose (the vhost's default when none was named) among them.
 */
export function declaredArguments(listed: unknown): [string, string, unknown][] {
  return ((listed ?? []) as [string, string, unknown][]).filter(([name]) => name !== 'x-queue-type');
}
