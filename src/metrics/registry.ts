import { Registry, collectDefaultMetrics, type OpenMetricsContentType } from 'prom-client';
import { metricsOf, openMetricsRegistry, registerOwnMetric } from './prom-client-internals.js';

/**
 * The exporter's own registry (never prom-client's global one), with the process_ and
 * nodejs_ metrics unless --web.disable-exporter-metrics leaves them out.
 */
export function createRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * prom-client fixes a registry's exposition format at construction, so OpenMetrics is
 * served from a second registry holding the very same metric objects.
 * Its OpenMetrics rendering renames every counter in place (`x_total` → `x`) and never
 * renames it back, so the text format would lose `_total` after Prometheus's first scrape:
 * the view restores the names, and the two formats never render at the same time.
 */
export function openMetricsView(registry: Registry): Registry<OpenMetricsContentType> {
  const view = openMetricsRegistry();
  for (const metric of metricsOf(registry)) registerOwnMetric(view, metric);

  let rendering: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(render: () => Promise<T>): Promise<T> => {
    const next = rendering.then(render, render);
    rendering = next.catch(() => undefined);
    return next;
  };
  const renderText = registry.metrics.bind(registry);
  registry.metrics = () => exclusive(renderText);
  const renderOpenMetrics = view.metrics.bind(view);
  view.metrics = () =>
    exclusive(async () => {
      const names = metricsOf(registry).map((m) => [m, m.name] as const);
      try {
        return await renderOpenMetrics();
      } finally {
        for (const [metric, name] of names) metric.name = name;
      }
    });
  return view;
}
