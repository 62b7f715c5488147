import { Registry, collectDefaultMetrics, type Metric, type OpenMetricsContentType } from 'prom-client';

/** The exporter's own registry (never prom-client's global one), with process/nodejs metrics. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * prom-client fixes a registry's exposition format at construction, so OpenMetrics is
 * served from a second registry holding the very same metric objects.
 */
export function openMetricsView(registry: Registry): Registry<OpenMetricsContentType> {
  const RegistryClass = Registry as unknown as new (type: OpenMetricsContentType) => Registry<OpenMetricsContentType>;
  const view = new RegistryClass(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of registry.getMetricsAsArray()) view.registerMetric(metric as unknown as Metric);
  return view;
}
