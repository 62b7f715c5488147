import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { runCli } from '../support/cli.js';
import { COMPOSE_FILE, composeServices, serviceCommand, serviceEnvironment, type ComposeService } from '../support/compose.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { freePort } from '../support/ports.js';
import { DASHBOARDS_DIR, PROMETHEUS_DIR, REPO_ROOT } from '../support/queries.js';
import { createVhost } from '../support/vhost.js';

/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: Debian's
 * docker-compose validates and resolves the file, and the parts that run outside a
 * container (healthcheck commands, the simulator's command) run here for real.
 */

const run = promisify(execFile);

async function composeConfig(env: Record<string, string> = {}): Promise<Record<string, ComposeService>> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RABBITMQ|GRAFANA)_/.test(k)));
  const { stdout } = await run('docker-compose', ['-f', COMPOSE_FILE, 'config'], { cwd: REPO_ROOT, env: { ...base, ...env } });
  return (parse(stdout) as { services: Record<string, ComposeService> }).services;
}

const mounts = (s: ComposeService | undefined): string[] => (s?.volumes ?? []).map((v) => String(v));
const healthCommand = (s: ComposeService | undefined): string => (s?.healthcheck?.test ?? []).join(' ');

/** Dockerfile instructions per stage, continuation lines joined, comments dropped. */
function dockerfileStages(): { from: string; instructions: [string, string][] }[] {
  const text = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: { from: string; instructions: [string, string][] }[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stages.push({ from: args, instructions: [] });
    else stages.at(-1)?.instructions.push([keyword.toUpperCase(), args]);
  }
  return stages;
}

/** Runs an exec-form healthcheck (["node", "-e", ...]) against another port. */
async function runHealthcheck(argv: readonly string[], port: number): Promise<number> {
  const [cmd, ...args] = argv.map((a) => a.replace(':9851/', `:${port}/`));
  assert.equal(cmd, 'node', 'a healthcheck that needs only node');
  return run(process.execPath, args, { timeout: 15_000 }).then(
    () => 0,
    (err: { code?: number }) => err.code ?? 1,
  );
}

describe('docker-compose.yml', () => {
  test('docker-compose accepts it, with every service, healthcheck and start order', async () => {
    const services = await composeConfig();
    assert.deepEqual(Object.keys(services).sort(), [
      'alertmanager',
      'exporter',
      'exporter-2',
      'grafana',
      'prometheus',
      'rabbitmq',
      'simulator',
    ]);
    const { rabbitmq, exporter, simulator, prometheus, grafana, alertmanager } = services;
    // Two replicas of one --ha group: the same settings, HA on a quorum queue, their own host ports.
    const second = services['exporter-2'];
    assert.deepEqual(second?.environment, exporter?.environment);
    assert.equal(exporter?.environment?.['HA'], 'true');
    assert.equal(exporter?.environment?.['AMQP_QUEUE_TYPE'], 'quorum');
    assert.equal(second?.image, exporter?.image);
    assert.ok(JSON.stringify(second?.ports).includes('9852'));

    assert.equal(rabbitmq?.image, 'rabbitmq:3-management');
    assert.match(healthCommand(rabbitmq), /^CMD rabbitmq-diagnostics -q ping$/);
    assert.notEqual(rabbitmq?.environment?.['RABBITMQ_DEFAULT_USER'], 'guest', 'guest only logs in from localhost');

    assert.ok(exporter?.build, 'exporter is built from this repository');
    assert.match(healthCommand(exporter), /http:\/\/127\.0\.0\.1:9851\/-\/ready/);
    assert.deepEqual(exporter?.depends_on, { rabbitmq: { condition: 'service_healthy' } });
    assert.match(exporter?.environment?.['AMQP_URL'] ?? '', /^amqp:\/\/nova:change-me@rabbitmq:5672\/$/);
    assert.ok(JSON.stringify(exporter?.ports).includes('9851'));

    assert.equal(simulator?.image, exporter?.image, 'the simulator runs the same image');
    // `disable: true`, which docker-compose 1.x writes out as test: [NONE].
    assert.ok(
      simulator?.healthcheck?.disable === true || simulator?.healthcheck?.test?.[0] === 'NONE',
      'no healthcheck: it serves no HTTP',
    );
    assert.deepEqual(simulator?.depends_on, { exporter: { condition: 'service_healthy' } });
    assert.equal(simulator?.environment?.['AMQP_URL'], exporter?.environment?.['AMQP_URL']);
    assert.equal(simulator?.environment?.['NOVA_NOTIFICATION_FORMAT'], exporter?.environment?.['NOVA_NOTIFICATION_FORMAT']);
    const command = simulator?.command as string[];
    assert.equal(command[0], 'simulate');
    for (const flag of ['--simulate.count=0', '--simulate.duration-seconds=0', '--simulate.exists=true'])
      assert.ok(command.includes(flag), flag);

    assert.match(prometheus?.image ?? '', /^prom\/prometheus:/);
    assert.ok(mounts(prometheus).includes(`${PROMETHEUS_DIR.replace(/\/$/, '')}:/etc/prometheus:ro`), mounts(prometheus).join());
    assert.ok((prometheus?.command as string[]).includes('--config.file=/etc/prometheus/prometheus.yml'));
    assert.ok(prometheus?.depends_on?.['exporter']);
    assert.ok(JSON.stringify(prometheus?.ports).includes('9090'));

    assert.match(alertmanager?.image ?? '', /^prom\/alertmanager:/);
    assert.ok(
      mounts(alertmanager).includes(`${path.join(PROMETHEUS_DIR, 'alertmanager.yml')}:/etc/alertmanager/alertmanager.yml:ro`),
      mounts(alertmanager).join(),
    );
    assert.ok((alertmanager?.command as string[]).includes('--config.file=/etc/alertmanager/alertmanager.yml'));
    assert.ok(prometheus?.depends_on?.['alertmanager']);

    assert.match(grafana?.image ?? '', /^grafana\/grafana:/);
    assert.ok(
      mounts(grafana).includes(`${path.join(DASHBOARDS_DIR, 'provisioning')}:/etc/grafana/provisioning:ro`),
      mounts(grafana).join(),
    );
    assert.ok(mounts(grafana).includes(`${DASHBOARDS_DIR.replace(/\/$/, '')}:/var/lib/grafana/dashboards:ro`), mounts(grafana).join());
    assert.ok(JSON.stringify(grafana?.ports).includes('3000'));
    const home = grafana?.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? '';
    assert.ok(existsSync(path.join(DASHBOARDS_DIR, path.relative('/var/lib/grafana/dashboards', home))), home);
  });

  test('runs the image hardened: non-root, read-only root, no capability, no privilege gain', async () => {
    const services = await composeConfig();
    for (const name of ['exporter', 'exporter-2', 'simulator']) {
      const s = services[name];
      assert.equal(s?.user, '1000:1000', `${name} user`);
      assert.equal(s?.read_only, true, `${name} read_only`);
      assert.deepEqual(s?.cap_drop, ['ALL'], `${name} cap_drop`);
      assert.deepEqual(s?.security_opt, ['no-new-privileges:true'], `${name} security_opt`);
    }
  });

  test('takes the broker credentials from the environment', async () => {
    const services = await composeConfig({ RABBITMQ_USER: 'ops', RABBITMQ_PASSWORD: 's3cret', GRAFANA_ADMIN_PASSWORD: 'gr4f' });
    assert.equal(services['rabbitmq']?.environment?.['RABBITMQ_DEFAULT_USER'], 'ops');
    assert.equal(services['rabbitmq']?.environment?.['RABBITMQ_DEFAULT_PASS'], 's3cret');
    assert.equal(services['exporter']?.environment?.['AMQP_URL'], 'amqp://ops:s3cret@rabbitmq:5672/');
    assert.equal(services['simulator']?.environment?.['AMQP_URL'], 'amqp://ops:s3cret@rabbitmq:5672/');
    assert.equal(services['grafana']?.environment?.['GF_SECURITY_ADMIN_PASSWORD'], 'gr4f');
  });

  test('Prometheus scrapes the exporter service and alerts Alertmanager, Grafana finds Prometheus and the dashboards', () => {
    const prom = parse(readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    assert.deepEqual(
      prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets)),
      ['alertmanager:9093'],
    );
    assert.deepEqual(
      prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets)),
      ['exporter:9851', 'exporter-2:9851'],
    );
    for (const f of prom.rule_files) assert.ok(existsSync(path.join(PROMETHEUS_DIR, f)), `rule file ${f} is in the mounted directory`);

    const provisioning = path.join(DASHBOARDS_DIR, 'provisioning');
    const providers = (
      parse(readFileSync(path.join(provisioning, 'dashboards', 'dashboards.yml'), 'utf8')) as {
        providers: { options: { path: string } }[];
      }
    ).providers;
    assert.deepEqual(
      providers.map((p) => p.options.path),
      ['/var/lib/grafana/dashboards'],
    );
    const datasources = (
      parse(readFileSync(path.join(provisioning, 'datasources', 'prometheus.yml'), 'utf8')) as {
        datasources: { url: string; uid: string }[];
      }
    ).datasources;
    assert.deepEqual(
      datasources.map((d) => d.url),
      ['http://prometheus:9090'],
    );
    assert.ok(readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).length >= 3);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages();
  const final = stages.at(-1) as (typeof stages)[number];
  const args = (keyword: string): string[] => final.instructions.filter(([k]) => k === keyword).map(([, a]) => a);

  test('builds in one stage and runs production dependencies as a non-root user in another', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    const build = stages[0] as (typeof stages)[number];
    const buildRuns = build.instructions
      .filter(([k]) => k === 'RUN')
      .map(([, a]) => a)
      .join('\n');
    assert.match(buildRuns, /npm ci\b/);
    assert.match(buildRuns, /npm run build\b/);
    // Node 20 reached its end of life in April 2026: an LTS line still supported, the same in both stages.
    assert.match(final.from, /^node:(22|24)-(slim|alpine)$/);
    assert.equal(build.from.split(' ')[0], final.from);
    assert.match(args('RUN').join('\n'), /npm ci --omit=dev\b/);
    assert.ok(
      args('COPY').some((a) => /^--from=\S+ \/app\/dist\b/.test(a)),
      'dist from the build stage',
    );
    const user = args('USER').at(-1) ?? 'root';
    // Numeric, so Kubernetes' runAsNonRoot can check it; the one compose and the manifests run as.
    assert.equal(user, '1000:1000');
    assert.equal(composeServices()['exporter']?.user, user);
    assert.deepEqual(args('EXPOSE'), ['9851']);
    assert.deepEqual(args('ENTRYPOINT'), ['["node", "dist/cli.js"]']);
    assert.deepEqual(args('CMD'), ['["serve"]']);
  });

  test('copies only what .dockerignore lets through, and needs no dev dependency at run time', () => {
    const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copied = stages.flatMap((s) =>
      s.instructions.filter(([k, a]) => k === 'COPY' && !a.startsWith('--from')).flatMap(([, a]) => a.split(/\s+/).slice(0, -1)),
    );
    for (const source of copied) {
      assert.ok(existsSync(path.join(REPO_ROOT, source)), `${source} exists`);
      assert.ok(!ignored.includes(source), `${source} is not in .dockerignore`);
    }
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of walk(path.join(REPO_ROOT, 'src')).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^import\s+(?!type\b)[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1] as string;
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        assert.ok(name in pkg.dependencies, `${path.relative(REPO_ROOT, file)} imports ${name}, not a production dependency`);
      }
    }
  });
});

describe('the parts of the stack that run outside a container', () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let exporter: RunningExporter;

  before(async () => {
    vhost = await createVhost();
    exporter = await runExporter({}, { ...serviceEnvironment('exporter'), AMQP_URL: vhost.url });
  });

  after(async () => {
    await exporter?.stop();
    await vhost?.remove();
  });

  test("the image's and the stack's healthchecks pass on a ready exporter and fail on a dead one", async () => {
    const healthcheck =
      dockerfileStages()
        .at(-1)
        ?.instructions.find(([k]) => k === 'HEALTHCHECK')?.[1] ?? '';
    assert.match(healthcheck, /\/-\/healthy/);
    assert.doesNotMatch(healthcheck, /curl|wget/);
    const imageCheck = JSON.parse(/\bCMD\s+(\[.*\])\s*$/.exec(healthcheck)?.[1] ?? '[]') as string[];
    const stackCheck = (composeServices()['exporter']?.healthcheck?.test ?? []).slice(1); // after "CMD"
    const port = Number(new URL(exporter.baseUrl).port);
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
    assert.equal(await runHealthcheck(imageCheck, port), 0);
    assert.equal(await runHealthcheck(stackCheck, port), 0);
    const closed = await freePort();
    assert.equal(await runHealthcheck(imageCheck, closed), 1);
    assert.equal(await runHealthcheck(stackCheck, closed), 1);
  });

  test("the simulator's command runs as the stack gives it (for a second here)", async () => {
    const r = await runCli([...serviceCommand('simulator'), '--simulate.duration-seconds=1'], {
      ...serviceEnvironment('simulator'),
      AMQP_URL: vhost.url,
    });
    assert.equal(r.code, 0, r.stderr);
    const sent = Number(/^sent (\d+) notifications to exchange nova\b/m.exec(r.stdout)?.[1]);
    assert.ok(sent > 0, r.stdout);
    await eventually(async () => {
      const received = (await exporter.scrape()).find((s) => s.name === 'openstack_notification_exporter_messages_received_total');
      assert.equal(received?.value, sent);
    });
  });
});
