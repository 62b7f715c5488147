/**
 * The steady phase's marker notifications. Marker k comes from host `bench-marker-<k>`,
 * so it gets series of its own, among them
 * openstack_notification_last_received_timestamp_seconds{publisher="compute",host=...}:
 * the exporter's own clock at the moment it counted that marker. One scrape after the
 * fact gives every marker's publish → counted latency, however rarely the bench scrapes.
 */
export const MARKER_EVENT_TYPE = 'bench.marker';
export const MARKER_PUBLISHER = 'compute';

export function markerHost(k: number): string {
  return `bench-marker-${k}.example.org`;
}

const LAST_RECEIVED = /^openstack_notification_last_received_timestamp_seconds\{([^}]*)\} (\S+)$/gm;
const HOST = /host="bench-marker-(\d+)\.example\.org"/;

/** Marker number → when the exporter counted it (epoch ms), from a /metrics body. */
export function markerTimes(body: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of body.matchAll(LAST_RECEIVED)) {
    const k = HOST.exec(m[1] ?? '')?.[1];
    if (k !== undefined) out.set(Number(k), Number(m[2]) * 1000);
  }
  return out;
}
