import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { createTrafficModel } from '../../src/simulate/model.js';
import { startCli, type CliRun } from '../support/cli.js';
import { serviceCommand, serviceEnvironment } from '../support/compose.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { metricNamesInExpr } from '../support/known-metrics.js';
import { startPrometheus, type QueryResult, type RunningPrometheus } from '../support/prometheus.js';
import { alertExprs, dashboardExprs, instantiate, recordingRules } from '../support/queries.js';
import { createVhost } from '../support/vhost.js';

/**
 * The compose stack (docker-compose.yml) without Docker: RabbitMQ (a vhost of the local
 * broker), the exporter with the stack's environment, the `simulate` CLI with the stack's
 * command, and a real Prometheus running the repository's prometheus.yml (target swapped,
 * intervals 1 s) and alerts.yml as they are.
 */

interface Check {
  readonly name: string;
  readonly expr: string;
  /** Grafana runs it as a range query (graphs) or an instant one (stats, tables). */
  readonly instant: boolean;
}

const checks: Check[] = [
  ...dashboardExprs().map((d) => ({
    name: `${d.dashboard} panel ${d.panelId} "${d.panelTitle}" ${d.refId}`,
    expr: instantiate(d.expr),
    instant: d.instant,
  })),
  ...alertExprs().map((a) => ({ name: `alert ${a.alert}`, expr: a.expr, instant: true })),
];

// Parsed and run like the rest, but a short run cannot give them data:
const NO_DATA_IN_A_SHORT_RUN: ReadonlyMap<string, string> = new Map([
  // Nova sends INFO and ERROR; the simulated cloud, like a healthy real one, no WARN.
  ['errors.json panel 17', 'WARN notifications'],
  // Both need a feed or a host silent for 10 min / 30 min while the exporter keeps running.
  ['alert NovaNotificationsStalled', '10 minutes of silence'],
  ['alert NovaComputeHostSilent', '30 minutes of silence from one host'],
  // An action in flight for over an hour (four for Ironic).
  ['alert OpenStackResourceStuckInTransition', 'an hour in a transitional status'],
]);
// Given data by the drills at the end of this file, not by the traffic.
const DRILLS = ['alert OpenStackNotificationExporterBrokerDisconnected', 'alert OpenStackNotificationExporterDown'];

const allowListed = (c: Check): boolean => [...NO_DATA_IN_A_SHORT_RUN.keys()].some((k) => c.name.startsWith(`${k} `) || c.name === k);
const exprOf = (alert: string): string => (checks.find((c) => c.name === `alert ${alert}`) as Check).expr;

function hasData(r: QueryResult): boolean {
  const result = r.data?.result;
  if (r.data?.resultType === 'scalar') return true;
  return Array.isArray(result) && result.length > 0;
}

/** oslo's timestamp format: naive UTC with microseconds. */
const osloTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');

describe('the whole stack from local processes', { timeout: 150_000 }, () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let vhostRemoved = false;
  let exporter: RunningExporter | undefined;
  let prometheus: RunningPrometheus;
  let simulator: CliRun | undefined;

  const run = (c: Check): Promise<QueryResult> => (c.instant ? prometheus.query(c.expr) : prometheus.queryRange(c.expr, 30, 1));
  // The stack's simulator, faster and on fewer hosts so every panel fills within seconds.
  const simulate = (seed: number, errorRatio: number): CliRun =>
    startCli(
      [
        ...serviceCommand('simulator'),
        '--simulate.rate=150',
        '--simulate.hosts=4',
        `--simulate.error-ratio=${errorRatio}`,
        `--simulate.seed=${seed}`,
      ],
      { ...serviceEnvironment('simulator'), AMQP_URL: vhost.url },
    );
  /** SIGTERM, as `docker compose stop` sends; returns its summary. */
  const stopSimulator = async (): Promise<string> => {
    const run = simulator;
    simulator = undefined;
    if (!run) return '';
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.stderr());
    return run.stdout();
  };
  const publishRaw = async (routingKey: string, body: Buffer): Promise<void> => {
    const conn = await amqp.connect(vhost.url);
    try {
      const ch = await conn.createConfirmChannel();
      ch.publish('nova', routingKey, body, { contentType: 'application/json', deliveryMode: 2 });
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
  };

  before(async () => {
    vhost = await createVhost();
    exporter = await runExporter(
      // 4 compute hosts and 3 controllers: past 5 hosts the cap kicks in, so the overflow
      // panel and alert see data too.
      { 'metrics.max-hosts': '5' },
      { ...serviceEnvironment('exporter'), AMQP_URL: vhost.url },
    );
    await eventually(async () => assert.equal((await exporter?.get('/-/ready'))?.status, 200));
    prometheus = await startPrometheus({ target: new URL(exporter.baseUrl).host });
  });

  after(async () => {
    await stopSimulator().catch(() => undefined);
    await exporter?.stop();
    await prometheus?.stop();
    if (!vhostRemoved) await vhost?.remove();
  });

  test('Prometheus accepts every dashboard and rule expression', async () => {
    for (const c of checks) {
      const r = await run(c);
      assert.equal(r.status, 'success', `${c.name}: ${r.error ?? ''}\n${c.expr}`);
    }
    const rules = await prometheus.alertingRules();
    assert.deepEqual(
      rules.map((r) => r.name).sort(),
      alertExprs()
        .map((a) => a.alert)
        .sort(),
    );
  });

  test('NovaErrorNotifications stays inactive while the cloud sends no errors', async () => {
    simulator = simulate(11, 0);
    await eventually(
      async () => {
        const r = await prometheus.query('sum(openstack_notifications_total)');
        assert.ok(hasData(r), 'no notifications in Prometheus yet');
      },
      20_000,
      250,
    );
    // An evaluation that saw the notifications, not one from before the first scrape.
    const seen = Date.now() + 1500;
    const rule = await eventually(
      async () => {
        const r = (await prometheus.alertingRules()).find((x) => x.name === 'NovaErrorNotifications');
        assert.ok(r && Date.parse(r.lastEvaluation) > seen, 'not evaluated since');
        return r;
      },
      20_000,
      250,
    );
    assert.equal(rule.state, 'inactive');
    assert.equal(rule.health, 'ok');
    assert.equal(hasData(await prometheus.query(exprOf('NovaErrorNotifications'))), false);
    assert.match(await stopSimulator(), /^by priority: INFO \d+$/m);
  });

  test('NovaErrorNotifications goes pending or firing once failed builds arrive', async () => {
    simulator = simulate(12, 0.3);
    // alerts.yml gives this rule no `for`, so it may skip pending and fire at once.
    const rule = await eventually(
      async () => {
        const r = (await prometheus.alertingRules()).find((x) => x.name === 'NovaErrorNotifications');
        assert.ok(r && r.state !== 'inactive', `state ${r?.state}`);
        return r;
      },
      30_000,
      250,
    );
    assert.ok(['pending', 'firing'].includes(rule.state));
  });

  test('every dashboard panel and alert rule has data from the simulated cloud', async () => {
    // An undecodable message and a create that started two hours ago and never ended: what
    // the dropped-messages and stuck-action panels and alerts exist for.
    await publishRaw('notifications.info', Buffer.from('{"oslo.version": "2.0", "oslo.message": '));
    const model = createTrafficModel({ seed: 99, hosts: 1, format: 'versioned', errorRatio: 0, exists: false });
    let stale = model.next().message;
    while (stale.event_type !== 'instance.create.start') stale = model.next().message;
    stale.timestamp = osloTime(Date.now() - 2 * 3600_000);
    await publishRaw(
      'versioned_notifications.info',
      Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(stale) })),
    );

    let pending = checks.filter((c) => !allowListed(c) && !DRILLS.includes(c.name));
    const deadline = Date.now() + 60_000;
    while (pending.length > 0 && Date.now() < deadline) {
      const results = await Promise.all(pending.map(run));
      results.forEach((r, i) => assert.equal(r.status, 'success', `${pending[i]?.name}: ${r.error ?? ''}`));
      pending = pending.filter((_c, i) => !hasData(results[i] as QueryResult));
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.deepEqual(
      pending.map((c) => `${c.name}: ${c.expr}`),
      [],
      'expressions without data',
    );
  });

  test('dashboards and rules use only metrics the exporter exposes', async () => {
    assert.ok(exporter);
    const exposed = new Set((await exporter.scrape()).map((s) => s.name));
    exposed.add('up'); // Prometheus's own, per target
    // A series alerts.yml records stands for the metrics its rule reads.
    const recorded = new Map(recordingRules().map((r) => [r.record, metricNamesInExpr(r.expr)]));
    for (const c of checks) {
      for (const name of metricNamesInExpr(c.expr).flatMap((n) => recorded.get(n) ?? [n])) {
        assert.ok(exposed.has(name) || exposed.has(`${name}_bucket`), `${c.name} uses ${name}, which /metrics does not expose`);
      }
    }
  });

  test('the broker-lost and exporter-down alerts have data when that happens', async () => {
    assert.match(await stopSimulator(), /^by priority: ERROR \d+, INFO \d+$/m);
    // Deleting the vhost closes the exporter's connection for good.
    await vhost.remove();
    vhostRemoved = true;
    await eventually(
      async () => {
        assert.ok(hasData(await prometheus.query(exprOf('OpenStackNotificationExporterBrokerDisconnected'))));
      },
      20_000,
      250,
    );
    await exporter?.stop();
    exporter = undefined;
    await eventually(
      async () => {
        assert.ok(hasData(await prometheus.query(exprOf('OpenStackNotificationExporterDown'))));
      },
      20_000,
      250,
    );
  });
});
