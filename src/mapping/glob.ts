/**
 * Event type globs in statsd_exporter's style: `*` stands for one dot-free segment (or
 * part of one) and each `*` is a capture, usable as `${1}`, `${2}`, ... in the rule.
 * Nothing else is special, so event types with `:` (Keystone's `OS-TRUST:trust`) or `-`
 * match literally.
 */

export interface CompiledGlob {
  readonly source: string;
  readonly regex: RegExp;
  /** The first dot-separated segment when it is literal (the index key), else undefined. */
  readonly firstSegment: string | undefined;
}

const VALID = /^[A-Za-z0-9_:*-]+(\.[A-Za-z0-9_:*-]+)*$/;

/** undefined when the text is not a valid glob (empty segments, spaces, regex characters). */
export function compileGlob(source: string): CompiledGlob | undefined {
  if (!VALID.test(source)) return undefined;
  const pattern = source
    .split('*')
    .map((part) => part.replace(/[.\-:]/g, (c) => `\\${c}`))
    .join('([^.]+)');
  const dot = source.indexOf('.');
  const first = dot < 0 ? source : source.slice(0, dot);
  return { source, regex: new RegExp(`^${pattern}$`), firstSegment: first.includes('*') ? undefined : first };
}

/** The index key of an event type: its first segment. */
export function firstSegment(eventType: string): string {
  const dot = eventType.indexOf('.');
  return dot < 0 ? eventType : eventType.slice(0, dot);
}
