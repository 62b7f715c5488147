import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { generatedManifests, KUBERNETES_DIR } from '../../scripts/generate-kubernetes.js';
import { envName, FLAGS } from '../../src/config/flags.js';
import { composeServices } from '../support/compose.js';
import { loadDashboards } from '../support/queries.js';

/**
 * deploy/kubernetes, offline: every manifest against the Kubernetes and Prometheus Operator
 * schemas (kubernetes-models), the generated ones against their sources, and the settings
 * that must agree with the image, compose and the benchmark.
 */

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } } & Record<string, unknown>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

const read = (file: string): string => readFileSync(path.join(KUBERNETES_DIR, file), 'utf8');

function documents(file: string): Manifest[] {
  return parseAllDocuments(read(file)).map((d) => {
    assert.deepEqual(d.errors, [], `${file}: YAML errors`);
    return d.toJS() as Manifest;
  });
}

const kustomization = documents('kustomization.yaml')[0] as unknown as { resources: string[] };
const manifests = kustomization.resources.flatMap((file) => documents(file).map((m) => ({ file, m })));
const one = <T>(kind: string): T => {
  const found = manifests.filter(({ m }) => m.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]?.m as T;
};

interface Container {
  args: string[];
  env: { name: string; value: string }[];
  envFrom: { secretRef: { name: string } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown> & { capabilities: { drop: string[] }; seccompProfile: { type: string } };
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string> };
    spec: { securityContext: Record<string, unknown> & { seccompProfile: { type: string } }; containers: Container[] };
  };
}

const deployment = () => one<Manifest & { spec: DeploymentSpec }>('Deployment');
const container = (): Container => deployment().spec.template.spec.containers[0] as Container;

/** Kubernetes quantities in bytes: 256Mi, 1Gi, 300M. */
function bytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  assert.ok(m, quantity);
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? (unit[m[2]] as number) : 1);
}

describe('deploy/kubernetes', () => {
  test('kustomization.yaml lists every manifest in the directory', () => {
    const files = readdirSync(KUBERNETES_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    assert.deepEqual([...kustomization.resources].sort(), files.sort());
  });

  test('every manifest is valid against the Kubernetes and Prometheus Operator schemas', () => {
    assert.ok(manifests.length >= 8);
    for (const { file, m } of manifests) {
      const Model = MODELS[`${m.apiVersion}/${m.kind}`];
      assert.ok(Model, `${file}: no schema known for ${m.apiVersion} ${m.kind}`);
      assert.doesNotThrow(() => new Model(m as never).validate(), `${file}: ${m.kind} ${m.metadata.name}`);
    }
  });

  test('the schemas reject what they should (the validation is not a no-op)', () => {
    const broken = structuredClone(deployment()) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    assert.throws(() => new Deployment(broken as never).validate(), /replicas/);
    const monitor = structuredClone(one<Manifest & { spec: { endpoints: { interval: string }[] } }>('ServiceMonitor'));
    (monitor.spec.endpoints[0] as { interval: string }).interval = 'thirty seconds';
    assert.throws(() => new ServiceMonitor(monitor as never).validate(), /interval/);
  });

  test('the PrometheusRule and the dashboard ConfigMaps are what npm run generate writes from their sources', () => {
    for (const [file, text] of generatedManifests()) {
      assert.equal(read(file), text, `deploy/kubernetes/${file} is stale: run npm run generate`);
    }
    const rule = one<{ spec: { groups: unknown } }>('PrometheusRule');
    const alerts = documents('../../prometheus/alerts.yml')[0] as unknown as { groups: unknown };
    assert.deepEqual(rule.spec.groups, alerts.groups);
  });

  test('each dashboard is a ConfigMap labelled for the Grafana sidecar, small enough for kubectl apply', () => {
    const maps = manifests.filter(({ m }) => m.kind === 'ConfigMap').map(({ m }) => m as Manifest & { data: Record<string, string> });
    const dashboards = loadDashboards();
    assert.equal(maps.length, dashboards.length);
    for (const { file, dashboard } of dashboards) {
      const map = maps.find((m) => path.basename(file) in m.data);
      assert.ok(map, `${file} has a ConfigMap`);
      assert.equal(map.metadata.labels?.['grafana_dashboard'], '1');
      assert.equal((JSON.parse(map.data[path.basename(file)] as string) as { uid: string }).uid, dashboard.uid);
      // kubectl apply keeps the whole object in an annotation limited to 256 KiB.
      assert.ok(JSON.stringify(map).length < 256 * 1024, `${file} fits in kubectl's last-applied annotation`);
    }
  });

  test('the broker URL comes from a Secret, never from a ConfigMap or the Deployment itself', () => {
    const secret = one<Manifest & { stringData: Record<string, string> }>('Secret');
    assert.match(secret.stringData['AMQP_URL'] ?? '', /^rabbit:\/\//);
    assert.deepEqual(container().envFrom, [{ secretRef: { name: secret.metadata.name } }]);
    for (const { file, m } of manifests.filter(({ m }) => m.kind !== 'Secret')) {
      assert.doesNotMatch(JSON.stringify(m), /AMQP_URL|rabbit:\/\/|amqps?:\/\//, `${file}: ${m.kind}`);
    }
  });

  test('two replicas on a quorum queue, with HA on; every variable is a flag of serve', () => {
    assert.equal(deployment().spec.replicas, 2);
    const env = Object.fromEntries(container().env.map((e) => [e.name, e.value]));
    assert.equal(env['HA'], 'true');
    assert.equal(env['AMQP_QUEUE_TYPE'], 'quorum');
    const known = new Set(Object.keys(FLAGS).map(envName));
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is no flag's variable`);
    assert.deepEqual(container().args, ['serve']);
  });

  test('probes on /-/healthy and /-/ready at the named port, which is the exporter port', () => {
    const c = container();
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 9851, protocol: 'TCP' }]);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/-/healthy', port: 'http' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/-/ready', port: 'http' });
  });

  test('restricted security context, the same user as the image and compose', () => {
    const pod = deployment().spec.template.spec.securityContext;
    const c = container().securityContext;
    assert.equal(pod['runAsNonRoot'], true);
    assert.equal(pod.seccompProfile.type, 'RuntimeDefault');
    assert.equal(c['allowPrivilegeEscalation'], false);
    assert.equal(c['readOnlyRootFilesystem'], true);
    assert.equal(c['runAsNonRoot'], true);
    assert.deepEqual(c.capabilities.drop, ['ALL']);
    assert.equal(c.seccompProfile.type, 'RuntimeDefault');
    const exporter = composeServices()['exporter'];
    assert.equal(`${String(pod['runAsUser'])}:${String(pod['runAsGroup'])}`, exporter?.user);
    assert.equal(exporter?.read_only, true);
    assert.deepEqual(exporter?.cap_drop, ['ALL']);
    assert.deepEqual(exporter?.security_opt, ['no-new-privileges:true']);
    assert.equal(one<{ automountServiceAccountToken: boolean }>('ServiceAccount').automountServiceAccountToken, false);
  });

  test('memory sized from the benchmark: requests cover the steady state, the limit the peak with room', () => {
    // bench/README.md: peak RSS 175-240 MB draining a backlog, 232-240 MB steady under load.
    const PEAK_RSS = 240e6;
    const { requests, limits } = container().resources;
    assert.ok(bytes(requests['memory'] as string) >= PEAK_RSS, `request ${requests['memory']}`);
    assert.ok(bytes(limits['memory'] as string) >= PEAK_RSS * 1.4, `limit ${limits['memory']}`);
    assert.ok(bytes(limits['memory'] as string) <= PEAK_RSS * 2.5, `limit ${limits['memory']} wastes memory`);
    assert.ok(requests['cpu'], 'a CPU request');
  });

  test('the Service selects the pods and the ServiceMonitor the Service, by the port name', () => {
    const d = deployment();
    const service = one<Manifest & { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] } }>(
      'Service',
    );
    const monitor = one<
      Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }
    >('ServiceMonitor');
    assert.deepEqual(d.spec.selector.matchLabels, service.spec.selector);
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(d.spec.template.metadata.labels[k], v);
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
      assert.equal(service.metadata.labels?.[k], v, `Service label ${k}`);
    assert.deepEqual(
      monitor.spec.endpoints.map((e) => [e.port, e.path]),
      [['http', '/metrics']],
    );
    assert.equal(service.spec.ports[0]?.name, 'http');
    assert.equal(service.spec.ports[0]?.targetPort, 'http');
    // The alert rules select job="openstack-notification-exporter": the Service's name label becomes the job.
    assert.equal(service.metadata.labels?.[(monitor.spec as unknown as { jobLabel: string }).jobLabel], 'openstack-notification-exporter');
  });
});
