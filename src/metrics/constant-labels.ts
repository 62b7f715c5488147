/**
 * --metrics.constant-label: the same labels on every openstack_* series (region, cell), so
 * one Prometheus can scrape an exporter per cell broker and still tell them apart. Only the
 * exporter's own metrics get them: process_* and nodejs_* describe the process, and
 * Prometheus adds its own target labels to those.
 */
import type { Registry } from 'prom-client';

type Values = { values?: { labels?: Record<string, unknown> }[] };
type Readable = { name: string; get(): Promise<Values>; getForPromString?: () => Promise<Values> };

/** Wraps each openstack_* metric's readers; call once every metric is registered. */
export function applyConstantLabels(registry: Registry, labels: Readonly<Record<string, string>>): void {
  if (Object.keys(labels).length === 0) return;
  for (const metric of registry.getMetricsAsArray() as unknown as Readable[]) {
    if (!metric.name.startsWith('openstack_')) continue;
    const add = async (read: () => Promise<Values>): Promise<Values> => {
      const data = await read();
      return { ...data, values: (data.values ?? []).map((v) => ({ ...v, labels: { ...v.labels, ...labels } })) };
    };
    const get = metric.get.bind(metric);
    metric.get = () => add(get);
    // prom-client renders histograms through this one when it exists.
    if (metric.getForPromString) {
      const forText = metric.getForPromString.bind(metric);
      metric.getForPromString = () => add(forText);
    }
  }
}
