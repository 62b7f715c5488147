/**
 * --metrics.constant-label: the same labels on every openstack_* series (region, cell), so
 * one Prometheus can scrape an exporter per cell broker and still tell them apart. Only the
 * exporter's own metrics get them: process_* and nodejs_* describe the process, and
 * Prometheus adds its own target labels to those.
 */
import type { Registry } from 'prom-client';
import { metricsOf, wrapReaders } from './prom-client-internals.js';

/** Wraps each openstack_* metric's readers; call once every metric is registered. */
export function applyConstantLabels(registry: Registry, labels: Readonly<Record<string, string>>): void {
  if (Object.keys(labels).length === 0) return;
  for (const metric of metricsOf(registry)) {
    if (!metric.name.startsWith('openstack_')) continue;
    wrapReaders(metric, (data) => ({ ...data, values: data.values.map((v) => ({ ...v, labels: { ...v.labels, ...labels } })) }));
  }
}
