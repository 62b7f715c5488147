/**
 * OpenMetrics exemplars: one notification behind a series, so a Grafana user can go from a
 * point on an error or duration panel to the request in the services' logs. They carry the
 * request id (`req-...`) and, where it fits, the instance or resource id, stamped with the
 * notification's own time. prom-client's registry writes a value's `exemplar` in the
 * OpenMetrics format only, so the text format stays as it is.
 *
 * prom-client's own exemplar support is not used: it stamps the wall clock (not the
 * notification's time), refuses a metric registered in a text-format registry, and takes
 * the exemplar labels only through its label-hashing inc()/observe().
 */

export interface Exemplar {
  readonly labelSet: Readonly<Record<string, string>>;
  readonly value: number;
  /** Epoch seconds. */
  readonly timestamp: number;
}

/** Where an exemplar comes from: the request and the thing it acted on, and when. */
export interface ExemplarSource {
  readonly requestId: string | undefined;
  /** `instance_id` or `resource_id`. */
  readonly idLabel: string;
  readonly id: string | undefined;
  /** Epoch seconds: the notification's own time. */
  readonly at: number;
}

/** OpenMetrics: label names and values of an exemplar together, at most (in characters). */
export const MAX_EXEMPLAR_LABEL_CHARS = 128;

/** The labels of an exemplar: the request id, and the id when both fit; undefined when there is neither. */
export function exemplarLabels(source: ExemplarSource): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let used = 0;
  if (source.requestId !== undefined) {
    labels['request_id'] = source.requestId;
    used = 'request_id'.length + source.requestId.length;
  }
  if (source.id !== undefined && used + source.idLabel.length + source.id.length <= MAX_EXEMPLAR_LABEL_CHARS) {
    labels[source.idLabel] = source.id;
  }
  return Object.keys(labels).length === 0 ? undefined : labels;
}

/** An exemplar for one observation (1 for a counter's increment). */
export function exemplarOf(source: ExemplarSource | undefined, value: number): Exemplar | undefined {
  if (source === undefined) return undefined;
  const labelSet = exemplarLabels(source);
  return labelSet && { labelSet, value, timestamp: source.at };
}
