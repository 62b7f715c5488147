import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { TestBroker } from '../support/broker.js';
import { launchChromium, type HeadlessBrowser } from '../support/browser.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { ownNodes, type RabbitNode } from '../support/rabbit-nodes.js';

/**
 * The landing page's broker line follows the broker, without a reload: consuming, then
 * not ready with the reason while the broker is down, then consuming again. The broker is
 * a node of the test's own, stopped and started under the exporter.
 */

const READ_BROKER = `(() => ({
  state: document.getElementById('state')?.textContent ?? '',
  problem: document.getElementById('broker-problem')?.textContent ?? '',
  total: Number(document.getElementById('total')?.textContent),
}))()`;

type Shown = { state: string; problem: string; total: number };

/** Waits for the page's own refresh to show what `wanted` accepts. */
async function pageShows(page: Page, wanted: (s: Shown) => boolean, what: string): Promise<Shown> {
  return eventually(
    async () => {
      const shown = (await page.evaluate(READ_BROKER)) as Shown;
      assert.ok(wanted(shown), `${what}; the page shows ${JSON.stringify(shown)}`);
      return shown;
    },
    45_000,
    200,
  );
}

describe('landing page broker state across an outage', { timeout: 180_000 }, () => {
  const own = ownNodes(1);
  let node: RabbitNode;
  let exporter: RunningExporter;
  let browser: HeadlessBrowser;

  before(async () => {
    [node] = own.nodes as [RabbitNode];
    exporter = await runExporter({
      'amqp.url': node.url(),
      'amqp.reconnect-max-delay-seconds': '1',
      'amqp.connect-timeout-seconds': '2',
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await exporter?.stop();
  });

  test('consuming, then down with the reason in one line, then consuming again, all without a reload', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${exporter.baseUrl}/`);
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await pageShows(page, (s) => s.state === 'consuming' && s.problem === '', 'consuming');

    await node.stop();
    const refused = `nothing listens on 127.0.0.1:${node.port} (is RabbitMQ running?)`;
    const down = await pageShows(page, (s) => s.state === 'connecting' && s.problem === refused, 'not ready, saying why');
    assert.equal(down.problem.split('\n').length, 1);
    const ready = await exporter.get('/-/ready');
    assert.equal(ready.status, 503);
    assert.equal(await ready.text(), `Not ready: ${refused}\n`);

    await node.start();
    await pageShows(page, (s) => s.state === 'consuming' && s.problem === '', 'consuming again');
    assert.equal((await exporter.get('/-/ready')).status, 200);

    // The refreshed section is live again: a notification sent now shows up in its total.
    const publisher = await TestBroker.open(node.url());
    try {
      publisher.publishOslo('nova', { event_type: 'compute.instance.update', priority: 'INFO', publisher_id: 'compute.h1', payload: {} });
      await pageShows(page, (s) => s.total === 1, 'the new notification counted');
    } finally {
      await publisher.close();
    }
    assert.equal(navigations, 0, 'the page was never reloaded');
  });
});
