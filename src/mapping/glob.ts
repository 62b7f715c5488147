/**
 * Event type globs in statsd_exporter's style: `*` stands for one dot-free segment (or
 * part of one) and each `*` is a capture, usable as `${1}`, `${2}`, ... in the rule.
 * Nothing else is special, so event types with `:` (Keystone's `OS-TRUST:trust`) or `-`
 * match literally.
 *
 * Matched segment by segment without a regular expression: a segment with several `*`
 * (`x*-*-*-*`) compiled to `([^.]+)` groups backtracks polynomially on a long event type
 * that almost fits, and the event type is the sender's. Here each literal piece is found
 * with one search, so a match costs a few passes over the event type whatever the glob.
 */

export interface CompiledGlob {
  readonly source: string;
  /** The first dot-separated segment when it is literal (the index key), else undefined. */
  readonly firstSegment: string | undefined;
  /** The number of `*`, each a capture. */
  readonly captures: number;
  /** [eventType, ...captures] when it matches (as a RegExp's exec would give), else undefined. */
  match(eventType: string): readonly string[] | undefined;
}

const VALID = /^[A-Za-z0-9_:*-]+(\.[A-Za-z0-9_:*-]+)*$/;

/** undefined when the text is not a valid glob (empty segments, spaces, regex characters). */
export function compileGlob(source: string): CompiledGlob | undefined {
  if (!VALID.test(source)) return undefined;
  // Per segment, the literal pieces around its stars: `x*-*` → ['x', '-', ''].
  const segments = source.split('.').map((s) => s.split('*'));
  const captures = source.split('*').length - 1;
  const dot = source.indexOf('.');
  const first = dot < 0 ? source : source.slice(0, dot);
  return {
    source,
    firstSegment: first.includes('*') ? undefined : first,
    captures,
    match: (eventType) => matchSegments(segments, eventType),
  };
}

function matchSegments(segments: readonly (readonly string[])[], text: string): readonly string[] | undefined {
  const out: string[] = [text];
  let start = 0;
  for (let i = 0; i < segments.length; i++) {
    const next = text.indexOf('.', start);
    const last = i === segments.length - 1;
    // A star never spans a dot: the text has exactly as many segments as the glob.
    if (last ? next >= 0 : next < 0) return undefined;
    const end = last ? text.length : next;
    if (!matchSegment(segments[i] as readonly string[], text, start, end, out)) return undefined;
    start = end + 1;
  }
  return out;
}

/**
 * pieces[0] * pieces[1] * ... * pieces[k] against text[start, end), each star one or more
 * characters. Pieces are placed from the right, each as far right as it fits: if any
 * placement works this one does, and it gives each star the longest text a greedy
 * `([^.]+)` would (the earlier star first).
 */
function matchSegment(pieces: readonly string[], text: string, start: number, end: number, out: string[]): boolean {
  const k = pieces.length - 1;
  const head = pieces[0] as string;
  if (k === 0) return end - start === head.length && text.startsWith(head, start);
  const tail = pieces[k] as string;
  const lo = start + head.length;
  const tailAt = end - tail.length;
  if (tailAt < lo + k || !text.startsWith(head, start) || !text.startsWith(tail, tailAt)) return false;
  const at: number[] = new Array<number>(k + 1);
  at[k] = tailAt;
  for (let j = k - 1; j >= 1; j--) {
    const piece = pieces[j] as string;
    // Leave at least one character for the star after it, and j before it.
    const found = text.lastIndexOf(piece, (at[j + 1] as number) - 1 - piece.length);
    if (found < lo + j) return false;
    at[j] = found;
  }
  let from = lo;
  for (let j = 1; j <= k; j++) {
    out.push(text.slice(from, at[j]));
    from = (at[j] as number) + (pieces[j] as string).length;
  }
  return true;
}

/** The index key of an event type: its first segment. */
export function firstSegment(eventType: string): string {
  const dot = eventType.indexOf('.');
  return dot < 0 ? eventType : eventType.slice(0, dot);
}
