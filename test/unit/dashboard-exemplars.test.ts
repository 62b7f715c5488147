// The dashboards show the exporter's exemplars (request ids) on their error and duration
// graphs, and the provisioned data source links each one to the operator's log search.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { allPanels, DASHBOARDS_DIR, loadDashboards } from '../support/queries.js';

/** The series that carry exemplars (src/metrics/exemplars.ts): error counters and duration buckets (not _count). */
const WITH_EXEMPLARS =
  /openstack_(instance_errors_total|resource_errors_total|(instance_build|instance_action|resource_action)_duration_seconds_bucket)/;

test('every time series of an error or duration metric asks for exemplars, on each dashboard that has one', () => {
  let graphs = 0;
  for (const { file, dashboard } of loadDashboards()) {
    const panels = allPanels(dashboard).filter(
      (p) => p.type === 'timeseries' && (p.targets ?? []).some((t) => WITH_EXEMPLARS.test(t.expr ?? '')),
    );
    for (const panel of panels) {
      graphs++;
      for (const target of panel.targets ?? []) {
        if (WITH_EXEMPLARS.test(target.expr ?? ''))
          assert.equal((target as { exemplar?: boolean }).exemplar, true, `${file} / ${panel.title}`);
      }
    }
    const logsUrl = dashboard.templating.list.find((v) => v.name === 'logs_url');
    if (panels.length === 0) continue;
    assert.equal(logsUrl?.type, 'textbox', `${file}: $logs_url`);
    assert.equal((logsUrl?.current as { value?: string } | undefined)?.value, '', `${file}: $logs_url empty by default`);
  }
  assert.ok(graphs >= 7, `${graphs} graphs`);
});

test("the data source links an exemplar's request_id to $logs_url", () => {
  const file = path.join(DASHBOARDS_DIR, 'provisioning', 'datasources', 'prometheus.yml');
  const config = parse(readFileSync(file, 'utf8')) as {
    datasources: { jsonData: { exemplarTraceIdDestinations?: { name: string; url: string }[] } }[];
  };
  const links = config.datasources[0]?.jsonData.exemplarTraceIdDestinations ?? [];
  // `$$` is a literal `$` in Grafana's provisioning files.
  assert.deepEqual(
    links.map((l) => [l.name, l.url]),
    [['request_id', '$${logs_url}$${__value.raw}']],
  );
});
