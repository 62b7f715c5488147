import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium, type HeadlessBrowser } from '../support/browser.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { seriesOf, valueOf, type Sample } from '../support/metrics-text.js';
import { runSimulator, type RunningSimulator } from '../support/simulator.js';
import { createVhost } from '../support/vhost.js';

/**
 * The landing page's live summary in a real browser while the simulator runs, checked
 * against /metrics. LANDING_SCREENSHOT=docs/landing-page.png also saves the screenshot
 * the README shows.
 */

interface Shown {
  updated: number;
  total: number;
  rate: number;
  /** Cell texts of each row, as rendered. */
  eventTypes: string[][];
  hosts: string[][];
  transitions: string[][];
  errors: string[][];
}

// One synchronous read, so a refresh cannot land between two tables.
const READ_PAGE = `(() => {
  const rows = (id) => [...document.querySelectorAll('#' + id + ' tbody tr')]
    .filter((tr) => tr.children.length > 1)
    .map((tr) => [...tr.children].map((td) => td.textContent.trim()));
  return {
    updated: Number(document.getElementById('activity').dataset.updated),
    total: Number(document.getElementById('total').textContent),
    rate: Number(document.getElementById('rate').textContent),
    eventTypes: rows('top-event-types'),
    hosts: rows('top-hosts'),
    transitions: rows('recent-transitions'),
    errors: rows('recent-errors'),
  };
})()`;

const readPage = (page: Page): Promise<Shown> => page.evaluate(READ_PAGE) as Promise<Shown>;

/** Waits for the page's own script to swap in a summary newer than `since` (epoch seconds). */
async function nextRefresh(page: Page, since: number): Promise<Shown> {
  await page.waitForFunction(`Number(document.getElementById('activity').dataset.updated) > ${since}`, undefined, { timeout: 15_000 });
  return readPage(page);
}

const sumBy = (samples: readonly Sample[], name: string, label: string): Map<string, number> => {
  const out = new Map<string, number>();
  for (const s of seriesOf(samples, name)) out.set(s.labels[label] ?? '', (out.get(s.labels[label] ?? '') ?? 0) + s.value);
  return out;
};

/** The rows shown are the top ten of the metric by that label, with its exact sums. */
function assertTop(rows: string[][], samples: readonly Sample[], label: string): void {
  const sums = sumBy(samples, 'openstack_notifications_total', label);
  assert.equal(rows.length, Math.min(10, sums.size), `${label}: rows shown`);
  for (const [name, count] of rows) assert.equal(Number(count), sums.get(name ?? ''), `${label} ${name}`);
  const counts = rows.map(([, c]) => Number(c));
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => b - a),
    `${label}: sorted by count`,
  );
  const shown = new Set(rows.map(([n]) => n));
  for (const [name, count] of sums) if (!shown.has(name)) assert.ok(count <= (counts.at(-1) ?? 0), `${label} ${name} (${count}) missing`);
}

describe('landing page live summary', { timeout: 120_000 }, () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let exporter: RunningExporter;
  let browser: HeadlessBrowser;
  let simulator: RunningSimulator | undefined;
  let shotDir: string;

  before(async () => {
    vhost = await createVhost();
    exporter = await runExporter({ 'amqp.url': vhost.url, 'nova.notification-format': 'both' });
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
    browser = await launchChromium();
    shotDir = await mkdtemp(path.join(tmpdir(), 'osne-landing-'));
  });

  after(async () => {
    await simulator?.stop().catch(() => undefined);
    await browser?.close();
    await exporter?.stop();
    await vhost?.remove();
    if (shotDir) await rm(shotDir, { recursive: true, force: true });
  });

  test('shows the simulated traffic live, the same numbers as /metrics, and no secret', async () => {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${exporter.baseUrl}/`);
    const before = await readPage(page);
    assert.equal(before.total, 0);

    simulator = runSimulator({
      url: vhost.url,
      ratePerSecond: 150,
      count: 1500,
      model: { seed: 7, hosts: 12, format: 'both', errorRatio: 0.2, exists: true, existsEvery: 300 },
    });

    // Live: the page refreshes itself while traffic flows.
    const first = await nextRefresh(page, before.updated);
    let live = await nextRefresh(page, first.updated);
    for (let n = 0; n < 5 && (live.rate === 0 || live.errors.length === 0); n++) live = await nextRefresh(page, live.updated);
    assert.ok(live.rate > 0 && live.errors.length > 0, `rate ${live.rate}, ${live.errors.length} errors shown`);
    assert.ok(live.total > first.total, 'total grows between refreshes');
    const scraped = await exporter.scrape();
    // Read before the scrape, so never more than /metrics has.
    assert.ok(live.total <= valueOf(scraped, 'openstack_notifications_total'));
    for (const [name, count] of live.eventTypes) {
      assert.ok(Number(count) <= valueOf(scraped, 'openstack_notifications_total', { event_type: name ?? '' }), name);
    }

    // Settled: the run is over and every message counted, so page and /metrics must agree exactly.
    const { sent } = await simulator.done;
    simulator = undefined;
    await eventually(
      async () => {
        assert.equal(valueOf(await exporter.scrape(), 'openstack_notification_exporter_messages_received_total'), sent);
      },
      20_000,
      100,
    );
    const settledAt = Date.now() / 1000;
    const shown = await nextRefresh(page, settledAt);
    const samples = await exporter.scrape();
    const shot = path.join(shotDir, 'landing-page.png');
    await page.screenshot({ path: shot });

    assert.equal(shown.total, sent);
    assert.equal(shown.total, valueOf(samples, 'openstack_notifications_total'));
    assertTop(shown.eventTypes, samples, 'event_type');
    assertTop(shown.hosts, samples, 'host');

    assert.equal(shown.transitions.length, Math.min(20, valueOf(samples, 'openstack_instance_state_transitions_total')));
    assert.ok(shown.transitions.length > 0);
    for (const [time, instance, host, change] of shown.transitions) {
      assert.match(time ?? '', /^\d\d:\d\d:\d\d$/);
      assert.match(instance ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const [from, to] = (change ?? '').split(' → ');
      const labels = { from_state: from ?? '', to_state: to ?? '', host: host ?? '' };
      assert.ok(valueOf(samples, 'openstack_instance_state_transitions_total', labels) >= 1, `no series for ${JSON.stringify(labels)}`);
    }
    assert.equal(shown.errors.length, Math.min(20, valueOf(samples, 'openstack_instance_errors_total')));
    const errorRows = new Map<string, number>();
    for (const [time, eventType, host, exception] of shown.errors) {
      assert.match(time ?? '', /^\d\d:\d\d:\d\d$/);
      assert.match(exception ?? '', /^[A-Za-z_][\w.]*$/, 'a class name, not a message');
      const key = JSON.stringify({ event_type: eventType, exception, host });
      errorRows.set(key, (errorRows.get(key) ?? 0) + 1);
    }
    for (const [key, rows] of errorRows) {
      const value = valueOf(samples, 'openstack_instance_errors_total', JSON.parse(key) as Record<string, string>);
      assert.ok(value >= rows, `${rows} rows for ${key}, metric ${value}`);
    }

    // No message text, request context, tenant or request ids, and nothing from elsewhere.
    const html = await page.content();
    const json = await (await exporter.get('/api/summary')).text();
    for (const text of [html, json]) {
      for (const secret of ['No valid host was found', 'Binding failed for port', 'gAAAAA', 'req-', 'guest:guest', '_context']) {
        assert.ok(!text.includes(secret), `page shows ${secret}`);
      }
      assert.doesNotMatch(text, /\b[0-9a-f]{32}\b/, 'a tenant, user or request id');
    }
    const origin = new URL(exporter.baseUrl).origin;
    assert.deepEqual(
      requests.filter((u) => new URL(u).origin !== origin),
      [],
    );

    const png = await readFile(shot);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(png.length < 300_000, `screenshot is ${png.length} bytes`);
    if (process.env['LANDING_SCREENSHOT']) await copyFile(shot, process.env['LANDING_SCREENSHOT']);
  });
});
