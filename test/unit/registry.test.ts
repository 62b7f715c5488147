import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter } from 'prom-client';
import { createRegistry, openMetricsView } from '../../src/metrics/registry.js';

test('the text format keeps _total after an OpenMetrics scrape, even one running alongside', async () => {
  const registry = createRegistry();
  const view = openMetricsView(registry);
  new Counter({ name: 'demo_events_total', help: 'h', labelNames: ['kind'], registers: [registry, view] }).inc({ kind: 'a' });
  const [open, text] = await Promise.all([view.metrics(), registry.metrics()]);
  assert.match(open, /^# TYPE demo_events counter$/m);
  assert.match(open, /^demo_events_total\{kind="a"\} 1$/m);
  assert.match(text, /^# TYPE demo_events_total counter$/m);
  assert.match(text, /^demo_events_total\{kind="a"\} 1$/m);
  assert.match(await registry.metrics(), /^demo_events_total\{kind="a"\} 1$/m);
  assert.match(await view.metrics(), /^demo_events_total\{kind="a"\} 1$/m);
});
