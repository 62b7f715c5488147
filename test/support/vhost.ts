import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before } from 'node:test';
import { TestBroker, uniqueName } from './broker.js';

const run = promisify(execFile);

/**
 * What tests may do to the shared broker: make and remove vhosts and read. Anything that
 * touches the whole node (stop_app, a memory watermark, users) belongs on a node of the
 * test's own (rabbit-nodes.ts), so `npm test` leaves the shared broker as it found it.
 */
const SHARED_BROKER_COMMANDS = new Set(['add_vhost', 'delete_vhost', 'set_permissions', 'list_queues', 'list_exchanges', 'list_bindings']);

/** rabbitmqctl against the shared broker, for the commands above only. */
export function rabbitmqctl(command: string, ...args: string[]): Promise<string> {
  if (!SHARED_BROKER_COMMANDS.has(command)) {
    throw new Error(`rabbitmqctl ${command} would change the shared broker: run it on a node of the test's own (rabbit-nodes.ts)`);
  }
  return run('rabbitmqctl', ['-q', command, ...args], { timeout: 60_000 }).then((r) => r.stdout);
}

/** A fresh vhost on the local broker that guest may use; remove() deletes it and all in it. */
export async function createVhost(): Promise<{ name: string; url: string; remove(): Promise<void> }> {
  const name = uniqueName('osne-test');
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${name}`,
    remove: async () => {
      await rabbitmqctl('delete_vhost', name);
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

export type Vhost = Awaited<ReturnType<typeof createVhost>>;

/**
 * For a describe(): before its tests, a fresh vhost and a TestBroker connected to it;
 * after them, both removed. Read them through the returned object once the tests run
 * (a test that kills the broker may replace `broker`; the new one is closed instead).
 */
export function suiteVhost(): { readonly vhost: Vhost; broker: TestBroker } {
  const suite = {} as { vhost: Vhost; broker: TestBroker };
  before(async () => {
    suite.vhost = await createVhost();
    suite.broker = await TestBroker.open(suite.vhost.url);
  });
  after(async () => {
    await suite.broker?.close();
    await suite.vhost?.remove();
  });
  return suite;
}
