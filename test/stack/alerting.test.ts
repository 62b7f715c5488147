import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  localAlertmanagerConfig,
  startAlertmanager,
  startWebhookReceiver,
  type RunningAlertmanager,
  type WebhookAlert,
  type WebhookReceiver,
} from '../support/alertmanager.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { osloNotify } from '../support/oslo.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { PROMETHEUS_DIR } from '../support/queries.js';
import { createVhost, type Vhost } from '../support/vhost.js';

/**
 * The whole alerting path with real processes: Nova's own publisher (oslo.messaging) sends
 * error notifications, the exporter counts them, Prometheus evaluates alerts.yml and sends
 * to Debian's Alertmanager running the stack's alertmanager.yml, whose webhook lands here.
 * Only the waits are shortened: 1 s scrapes and evaluations, 1 s Alertmanager group waits,
 * and NovaErrorNotifications' 5 m window cut to 20 s so it resolves within the test.
 */

const WINDOW = '20s';
const HOST = 'cmp-7';
const EXCEPTION = 'NoValidHost';

describe('an error notification reaches a person', { timeout: 150_000 }, () => {
  let vhost: Vhost;
  let exporter: RunningExporter;
  let webhook: WebhookReceiver;
  let alertmanager: RunningAlertmanager;
  let prometheus: RunningPrometheus;
  let rulesDir: string;

  const ours = (a: WebhookAlert): boolean => a.labels['alertname'] === 'NovaErrorNotifications' && a.labels['host'] === HOST;
  const sendErrors = (count: number): Promise<void> =>
    osloNotify({
      url: vhost.url.replace(/^amqp:/, 'rabbit:'),
      exchange: 'nova',
      driver: 'messagingv2',
      publisher_id: `compute.${HOST}`,
      topics: ['notifications'],
      context: {},
      notifications: Array.from({ length: count }, (_, i) => ({
        priority: 'error',
        event_type: 'compute.instance.create.error',
        payload: {
          instance_id: `00000000-0000-4000-8000-00000000000${i}`,
          host: HOST,
          state: 'building',
          exception: EXCEPTION,
          message: 'No valid host was found. There are not enough hosts available.',
          code: 500,
        },
      })),
    });

  before(async () => {
    vhost = await createVhost();
    exporter = await runExporter({}, { AMQP_URL: vhost.url });
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
    webhook = await startWebhookReceiver();
    alertmanager = await startAlertmanager(await localAlertmanagerConfig(webhook.url));
    // alerts.yml as it is, the window of the count NovaErrorNotifications reads aside.
    const rules = await readFile(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
    const start = rules.indexOf('- record: openstack_instance_errors:increase5m');
    const end = rules.indexOf('      - ', start + 1);
    const rule = rules.slice(start, end);
    assert.match(rule, /offset 5m/);
    rulesDir = await mkdtemp(path.join(tmpdir(), 'osne-rules-'));
    const ruleFile = path.join(rulesDir, 'alerts.yml');
    await writeFile(
      ruleFile,
      rules.slice(0, start) + rule.replaceAll('offset 5m', `offset ${WINDOW}`).replaceAll('[5m]', `[${WINDOW}]`) + rules.slice(end),
    );
    prometheus = await startPrometheus({
      target: new URL(exporter.baseUrl).host,
      ruleFiles: [ruleFile],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address] }] }] },
    });
  });

  after(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await webhook?.close();
    await exporter?.stop();
    await vhost?.remove();
    if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  });

  test('the webhook gets NovaErrorNotifications with its host and exception, then its resolution', async () => {
    await sendErrors(3);
    const firing = await eventually(
      () => {
        const n = webhook.received.find((x) => x.status === 'firing' && x.alerts.some(ours));
        assert.ok(n, `no firing notification yet: ${JSON.stringify(webhook.received)}`);
        return n;
      },
      60_000,
      250,
    );
    const alert = firing.alerts.find(ours) as WebhookAlert;
    assert.equal(alert.labels['exception'], EXCEPTION);
    assert.equal(alert.labels['event_type'], 'compute.instance.create.error');
    assert.equal(alert.labels['severity'], 'warning');
    // Routed by severity to the stack's warning receiver, grouped by alert name and host.
    assert.equal(firing.receiver, 'operators');
    assert.equal(firing.path, '/operators');
    assert.deepEqual(firing.groupLabels, { alertname: 'NovaErrorNotifications', host: HOST });
    assert.equal(alert.annotations['summary'], `${EXCEPTION} in compute.instance.create.error on ${HOST}`);
    assert.match(
      alert.annotations['description'] ?? '',
      /cmp-7 sent 3 compute\.instance\.create\.error error notification\(s\) with exception NoValidHost/,
    );
    assert.match(alert.annotations['runbook_url'] ?? '', /\/docs\/runbook\.md#novaerrornotifications$/);

    // No more errors: once the window has passed, the rule stops and Alertmanager says so.
    const resolved = await eventually(
      () => {
        const n = webhook.received.find((x) => x.status === 'resolved' && x.alerts.some(ours));
        assert.ok(n, 'no resolution yet');
        return n;
      },
      90_000,
      250,
    );
    assert.equal(resolved.receiver, 'operators');
    assert.equal(resolved.alerts.find(ours)?.status, 'resolved');
    assert.ok(webhook.received.indexOf(resolved) > webhook.received.indexOf(firing));
  });
});
