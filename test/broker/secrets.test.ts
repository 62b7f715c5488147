import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestBroker, osloEnvelope } from '../support/broker.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { lifecycle } from '../support/fixtures.js';
import { valueOf } from '../support/metrics-text.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { ownNodes, type RabbitNode } from '../support/rabbit-nodes.js';

const USER = 'osne-test-secrets';
const PASSWORD = 'Pw-7d41e0c2-never-print';
const WRONG = 'Wrong-pw-b93a55-never-print';
const TOKEN = 'gAAAAAB-token-5e8c1f-never-print';

/** Everything a person or Prometheus can see from the exporter. */
async function everythingShown(exporter: RunningExporter): Promise<string> {
  const pages = await Promise.all(['/', '/metrics', '/-/ready', '/-/healthy', '/nope'].map(async (p) => (await exporter.get(p)).text()));
  const openMetrics = await (await exporter.get('/metrics', { Accept: 'application/openmetrics-text' })).text();
  return [...exporter.logs, ...pages, openMetrics].join('\n');
}

// A node of its own: these tests add users.
describe('secrets on a real broker', () => {
  const own = ownNodes(1);
  const vhost = { name: 'osne-secrets', url: '' };
  let node: RabbitNode;

  before(async () => {
    [node] = own.nodes as [RabbitNode];
    vhost.url = node.url(vhost.name);
    await node.ctl('add_vhost', vhost.name);
    await node.ctl('set_permissions', '-p', vhost.name, 'guest', '.*', '.*', '.*');
    // user == password == exchange name, and a password that is a word of the exporter's own log.
    for (const [user, password] of [
      [USER, PASSWORD],
      ['nova', 'nova'],
      ['monitor', 'consuming'],
    ] as const) {
      await node.ctl('add_user', user, password);
      await node.ctl('set_permissions', '-p', vhost.name, user, '.*', '.*', '.*');
    }
  });

  test('only the password is masked: a user, exchange or log word equal to it reads as itself', async () => {
    for (const [url, user] of [
      [`rabbit://nova:nova@127.0.0.1:${node.port}/${vhost.name}`, 'nova'],
      [`amqp://monitor:consuming@127.0.0.1:${node.port}/${vhost.name}`, 'monitor'],
    ] as const) {
      const exporter = await runExporter({ 'amqp.url': url, 'amqp.exchange': 'nova', 'amqp.queue': `q-${user}` });
      try {
        await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
        const consuming = exporter.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r['msg'] === 'consuming');
        assert.equal(consuming?.['broker'], `${user}:***@127.0.0.1:${node.port}`);
        const page = await (await exporter.get('/')).text();
        assert.match(page, /<code>--amqp\.exchange<\/code><\/td><td><code>nova<\/code>/);
        assert.ok(page.includes(`${user}:***@127.0.0.1:${node.port}`), 'the URL shows its user');
        const all = await everythingShown(exporter);
        assert.ok(!all.includes('***:***') && !all.includes('nova:nova') && !all.includes(':consuming@'), all);
      } finally {
        await exporter.stop();
      }
    }
  });

  test('neither the broker password nor a context token shows up, through traffic and every failure', async () => {
    const proxy = await TcpProxy.start(node.port);
    const broker = await TestBroker.open(vhost.url);
    const seen: string[] = [];
    try {
      // A wrong password first: the refusal is logged, the attempted password is not.
      const refused = await runExporter({
        'amqp.url': `rabbit://${USER}:${WRONG}@127.0.0.1:${node.port}/${vhost.name}`,
        'amqp.reconnect-max-delay-seconds': '1',
      });
      try {
        await eventually(() =>
          assert.ok(
            refused.logs.some((l) => l.includes('refused the login')),
            refused.logs.join(''),
          ),
        );
        seen.push(await everythingShown(refused));
      } finally {
        await refused.stop();
      }

      const url = `rabbit://${USER}:${PASSWORD}@127.0.0.1:${proxy.port},${USER}:${PASSWORD}@127.0.0.1:${node.port}/${vhost.name}`;
      const exporter = await runExporter({
        'amqp.url': url,
        'amqp.queue': 'q-secrets',
        'amqp.reconnect-max-delay-seconds': '1',
        'log.format': 'logfmt',
      });
      try {
        await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
        const withToken = (m: Record<string, unknown>) => ({ ...m, _context_auth_token: TOKEN, _context_password: PASSWORD });
        for (const m of lifecycle()) broker.publishOslo('nova', withToken(m));
        // Bad input that carries the secrets in its bytes.
        broker.publish('nova', 'notifications.info', Buffer.from(`{"_context_auth_token": "${TOKEN}", nope`));
        broker.publish('nova', 'notifications.info', Buffer.from(JSON.stringify({ 'oslo.message': `{"_context_auth_token": "${TOKEN}"` })));
        broker.publish('nova', 'notifications.error', osloEnvelope({ _context_auth_token: TOKEN, payload: { password: PASSWORD } }));
        broker.publish('nova', 'notifications.info', Buffer.concat([Buffer.from(TOKEN), Buffer.from([0xff])]));
        await eventually(async () => {
          const s = await exporter.scrape();
          assert.equal(valueOf(s, 'openstack_notification_exporter_messages_received_total'), 18);
        });
        proxy.cutAll(); // a reconnect, through the list of hosts
        await eventually(
          async () => assert.equal(valueOf(await exporter.scrape(), 'openstack_notification_exporter_amqp_reconnects_total'), 1),
          30_000,
        );
        await broker.channel.deleteQueue('q-secrets'); // a cancelled consumer
        await eventually(() => assert.ok(exporter.logs.some((l) => l.includes('consumer cancelled'))));
        await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200), 30_000);
        seen.push(await everythingShown(exporter));
      } finally {
        await exporter.stop();
        seen.push(exporter.logs.join('\n'));
      }
      const all = seen.join('\n');
      assert.ok(all.length > 5_000, 'there was plenty to look at');
      for (const secret of [PASSWORD, WRONG, TOKEN]) assert.ok(!all.includes(secret), `${secret} leaked`);
      assert.ok(!all.includes('_context_'), 'no context key of a message is shown');
    } finally {
      await broker.close();
      await proxy.close();
    }
  });
});
