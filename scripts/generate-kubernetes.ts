// Writes the parts of deploy/kubernetes that repeat files kept elsewhere: the
// PrometheusRule from prometheus/alerts.yml and the Grafana sidecar's dashboard ConfigMaps
// from dashboards/*.json. `npm run generate`; test/unit/kubernetes.test.ts fails when the
// committed files differ from what this writes.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const KUBERNETES_DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes');

const HEADER = (source: string): string =>
  `# Generated from ${source} by scripts/generate-kubernetes.ts (npm run generate): edit that, not this.\n`;

const toYaml = (doc: unknown): string => stringify(doc, { lineWidth: 0 });

function prometheusRule(): string {
  const rules = parse(readFileSync(path.join(REPO_ROOT, 'prometheus', 'alerts.yml'), 'utf8')) as { groups: unknown[] };
  return (
    HEADER('prometheus/alerts.yml') +
    toYaml({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'openstack-notification-exporter' },
      spec: { groups: rules.groups },
    })
  );
}

/** One ConfigMap per dashboard, labelled for Grafana's sidecar (kube-prometheus-stack's default label). */
function dashboardConfigMaps(): string {
  const dir = path.join(REPO_ROOT, 'dashboards');
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) =>
      toYaml({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `openstack-notification-exporter-dashboard-${file.replace(/\.json$/, '')}`,
          labels: { grafana_dashboard: '1' },
        },
        data: { [file]: readFileSync(path.join(dir, file), 'utf8') },
      }),
    );
  return HEADER('dashboards/*.json') + docs.join('---\n');
}

/** File name in deploy/kubernetes → content. */
export function generatedManifests(): Map<string, string> {
  return new Map([
    ['prometheusrule.yaml', prometheusRule()],
    ['dashboards.yaml', dashboardConfigMaps()],
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of generatedManifests()) {
    writeFileSync(path.join(KUBERNETES_DIR, file), text);
    console.log(`wrote deploy/kubernetes/${file}`);
  }
}
