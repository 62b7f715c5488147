import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { closeQuietly } from '../../src/amqp/close.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createVhost, type Vhost } from '../support/vhost.js';

/**
 * The link dies after Close is sent and before CloseOk comes back. amqplib's own close()
 * then never settles: a reconnect loop that awaited it hung for good (a CI run stopped
 * here for 20 minutes, the exporter neither consuming nor stoppable).
 */
describe('closing over a link that dies mid-close', () => {
  let vhost: Vhost;
  let proxy: TcpProxy;

  before(async () => {
    vhost = await createVhost();
  });
  after(async () => {
    await vhost?.remove();
  });

  for (const what of ['channel', 'connection'] as const) {
    test(`a ${what}: closeQuietly returns where amqplib's close() never settles`, { timeout: 20_000 }, async () => {
      proxy = await TcpProxy.start();
      try {
        // No heartbeats: only the cut may end the connections.
        const url = `amqp://guest:guest@127.0.0.1:${proxy.port}/${vhost.name}?heartbeat=0`;
        const [a, b] = [await amqp.connect(url), await amqp.connect(url)];
        // The cut is an 'error' on each connection; the exporter listens for it too.
        for (const c of [a, b]) c.on('error', () => undefined);
        const [chA, chB] = [await a.createChannel(), await b.createChannel()];
        const targets = what === 'channel' ? [chA, chB] : [a, b];
        // Close frames are swallowed, so no CloseOk can come back; then the link is cut.
        proxy.stall();
        let rawSettled = false;
        void targets[0]!.close().then(
          () => (rawSettled = true),
          () => (rawSettled = true),
        );
        const quiet = closeQuietly(targets[1]!);
        proxy.cutAll();
        await quiet;
        // Both objects have been through the same socket end; only the raw close is still waiting.
        await new Promise((r) => setImmediate(r));
        assert.equal(rawSettled, false, "amqplib's close() settled: the workaround may no longer be needed");
      } finally {
        await proxy.close();
      }
    });
  }
});
