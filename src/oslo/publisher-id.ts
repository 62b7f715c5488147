/**
 * publisher_id comes in two forms: legacy `compute.host1` (service, first dot, host — the
 * host itself may contain dots) and versioned `nova-compute:host1`. Watcher's edited
 * legacy capture also uses the colon form, so the colon is looked for first.
 */
export interface PublisherParts {
  readonly service: string;
  readonly host: string | undefined;
}

export function splitPublisherId(publisherId: string): PublisherParts {
  const colon = publisherId.indexOf(':');
  if (colon > 0) return parts(publisherId.slice(0, colon), publisherId.slice(colon + 1));
  const dot = publisherId.indexOf('.');
  if (dot > 0) return parts(publisherId.slice(0, dot), publisherId.slice(dot + 1));
  return { service: publisherId || 'unknown', host: undefined };
}

function parts(service: string, host: string): PublisherParts {
  return { service, host: host.length > 0 ? host : undefined };
}
