/**
 * Nova's two notification formats and where each is sent. `[notifications]
 * notification_format` picks unversioned (legacy payloads on oslo's topics), versioned
 * (nova_object payloads on Nova's own topics) or both.
 */
export const NOTIFICATION_FORMATS = ['unversioned', 'versioned', 'both'] as const;
export type NotificationFormat = (typeof NOTIFICATION_FORMATS)[number];

/** The shape of one payload: `legacy` (a flat dict) or `versioned` (wrapped in nova_object.*). */
export type PayloadFormat = 'legacy' | 'versioned';

/** oslo's default notification topic, and Nova's default for versioned notifications. */
export const DEFAULT_TOPICS: Readonly<Record<PayloadFormat, string>> = {
  legacy: 'notifications',
  versioned: 'versioned_notifications',
};

/** The topics Nova sends on for a format, given the topic lists nova.conf sets (or their defaults). */
export function topicsFor(
  format: NotificationFormat,
  lists: { readonly legacy?: readonly string[] | undefined; readonly versioned?: readonly string[] | undefined } = {},
): string[] {
  const legacy = lists.legacy ?? [DEFAULT_TOPICS.legacy];
  const versioned = lists.versioned ?? [DEFAULT_TOPICS.versioned];
  if (format === 'unversioned') return [...legacy];
  if (format === 'versioned') return [...versioned];
  return [...legacy, ...versioned];
}

/**
 * Which payloads the instance metrics follow, so `both` never counts one event twice:
 * with both formats on, the versioned stream is the richer one.
 */
export function instancePayloadFormat(format: NotificationFormat): PayloadFormat {
  return format === 'unversioned' ? 'legacy' : 'versioned';
}
