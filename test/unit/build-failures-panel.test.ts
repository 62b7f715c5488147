import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTrafficModel } from '../../src/simulate/model.js';
import type { Sample } from '../support/metrics-text.js';
import { countingPipeline } from '../support/pipeline.js';
import { allPanels, instantiate, loadDashboards } from '../support/queries.js';

// The "Build failures" panel counts every build that ended in vm_state error: failed creates
// on a compute host and scheduling failures (NoValidHost) alike, as many as the building →
// error transitions the exporter counts from the same traffic.

const panel = loadDashboards()
  .flatMap((d) => allPanels(d.dashboard))
  .find((p) => p.title === 'Build failures');

/** The first series selector of an expression, as a filter over scraped samples. */
function selector(expr: string): { name: string; matches: (s: Sample) => boolean } {
  const m = /([a-zA-Z_:][\w:]*)\{([^}]*)\}/.exec(expr);
  assert.ok(m, `no selector in ${expr}`);
  const matchers = [...(m[2] as string).matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, label, op, value]) => {
    // A PromQL string unescapes \\ to \ before it is a regular expression.
    const re = new RegExp(`^(?:${(value as string).replace(/\\\\/g, '\\')})$`);
    const test = (v: string): boolean => (op === '=~' ? re.test(v) : op === '!~' ? !re.test(v) : op === '=' ? v === value : v !== value);
    return (s: Sample): boolean => test(s.labels[label as string] ?? '');
  });
  return { name: m[1] as string, matches: (s) => matchers.every((f) => f(s)) };
}

describe('the Build failures panel', () => {
  for (const format of ['unversioned', 'versioned', 'both'] as const) {
    test(`counts as many failed builds as building → error transitions (${format})`, async () => {
      const expr = instantiate(panel?.targets?.[0]?.expr ?? '');
      const { name, matches } = selector(expr);
      const cloud = createTrafficModel({ seed: 3, hosts: 4, format, errorRatio: 0.3, exists: false, now: () => Date.UTC(2026, 10, 25) });
      const exporter = countingPipeline({ 'nova.notification-format': format });
      for (let i = 0; i < 3000; i++) await exporter.feed(cloud.next().message);
      const samples = await exporter.scrape();
      const sum = (pick: (s: Sample) => boolean): number => samples.filter(pick).reduce((n, s) => n + s.value, 0);

      const intoError = sum(
        (s) =>
          s.name === 'openstack_instance_state_transitions_total' && s.labels.from_state === 'building' && s.labels.to_state === 'error',
      );
      const scheduling = sum(
        (s) => s.name === 'openstack_instance_errors_total' && /select_destinations|build_instances/.test(s.labels.event_type ?? ''),
      );
      assert.ok(scheduling > 0, 'the traffic holds scheduling failures');
      assert.equal(
        sum((s) => s.name === name && matches(s)),
        intoError,
      );
    });
  }
});
