/**
 * oslo.messaging's notification priorities. oslo accepts `WARNING` as an alias of `WARN`
 * (in any case) and sends it as `WARN`; anything else decodes as `unknown` and is still
 * counted, so a new priority shows up instead of vanishing.
 */
export const PRIORITIES = ['INFO', 'WARN', 'ERROR', 'AUDIT', 'DEBUG', 'CRITICAL', 'SAMPLE'] as const;
export type KnownPriority = (typeof PRIORITIES)[number];
export type Priority = KnownPriority | 'unknown';

const ALIASES: Readonly<Record<string, KnownPriority>> = { WARNING: 'WARN' };
const KNOWN: ReadonlySet<string> = new Set(PRIORITIES);

/** A priority as sent or typed (`warning`, `Error`) → oslo's spelling, or `unknown`. */
export function normalizePriority(value: unknown): Priority {
  if (typeof value !== 'string') return 'unknown';
  const upper = value.toUpperCase();
  const aliased = ALIASES[upper] ?? upper;
  return KNOWN.has(aliased) ? (aliased as KnownPriority) : 'unknown';
}
