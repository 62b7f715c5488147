/**
 * OpenStack services word their exceptions from printf templates (`msg_fmt` in Nova and
 * Heat, `message` in Cinder): `No valid backend was found. %(reason)s`. An error
 * notification often carries only the rendered text, so the class is recognised by the
 * template it fits.
 *
 * A template is kept as its literal segments; a placeholder matches any text, so a
 * message fits when the segments occur in order: the first at the start, the last at the
 * end, the ones between found left to right with indexOf. Taking the leftmost occurrence
 * of each is enough (a placeholder can absorb anything), so a match costs one pass over
 * the message per template, with no backtracking, and the message is read no further than
 * MAX_MESSAGE_CHARS.
 */

/** Longer text is read only this far (its last segment is then not looked for). */
export const MAX_MESSAGE_CHARS = 512;
/** A template with fewer literal characters than this would fit nearly any message. */
const MIN_LITERAL_CHARS = 10;

/** `%(name)s`, `%(name)d`, `%s`, ...: Python's conversions (a literal `%` is `%%`, set aside first). */
const PLACEHOLDER = /%(?:\(\w{1,64}\))?[-#0 +]{0,4}\d{0,3}(?:\.\d{1,3})?[sdirfgxXeE]/g;
const PERCENT = '\u0000';

export interface MessageTemplate {
  readonly exception: string;
  /** Literal text between placeholders, whitespace-collapsed; `segments.length - 1` placeholders. */
  readonly segments: readonly string[];
  /** Literal characters: the more, the more specific, the earlier it is tried. */
  readonly weight: number;
}

/** `Image %(image_id)s is not active.` → ['Image', 'is not active.']. Spaces next to a placeholder are optional: its value may be empty. */
export function templateSegments(template: string): string[] {
  const parts = template
    .replaceAll('%%', PERCENT)
    .split(PLACEHOLDER)
    .map((p) => collapse(p.replaceAll(PERCENT, '%')));
  return parts.map((p, i) => {
    let s = p;
    if (i > 0) s = s.trimStart();
    if (i < parts.length - 1) s = s.trimEnd();
    return s;
  });
}

/** [class, template] rows → templates, most specific first; those too vague to tell a class are left out. */
export function compileTemplates(rows: readonly (readonly [string, string, ...unknown[]])[]): MessageTemplate[] {
  return rows
    .map(([exception, template]) => {
      const segments = templateSegments(template);
      return { exception, segments, weight: segments.join('').replaceAll(' ', '').length };
    })
    .filter((t) => t.weight >= MIN_LITERAL_CHARS)
    .sort((a, b) => b.weight - a.weight);
}

/** Whether the message fits the segments (see the module comment). */
export function fitsSegments(segments: readonly string[], text: string, truncated = false): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return truncated ? text.startsWith(first) : text === first;
  if (!text.startsWith(first)) return false;
  let at = first.length;
  const last = segments.length - 1;
  for (let i = 1; i < last; i++) {
    const s = segments[i] as string;
    const found = text.indexOf(s, at);
    if (found < 0) return false;
    at = found + s.length;
  }
  // Past the cap the end is unknown: what was read fits.
  if (truncated) return true;
  const end = segments[last] as string;
  return text.length - end.length >= at && text.endsWith(end);
}

/** The class of the first (most specific) template the message fits, or `unknown`. */
export function classifyMessage(templates: readonly MessageTemplate[], message: string): string {
  const truncated = message.length > MAX_MESSAGE_CHARS;
  const text = collapse(truncated ? message.slice(0, MAX_MESSAGE_CHARS) : message);
  if (text === '') return 'unknown';
  for (const t of templates) if (fitsSegments(t.segments, text, truncated)) return t.exception;
  return 'unknown';
}

const IDENTIFIER_START = /[A-Za-z_]/;
const IDENTIFIER_PART = /[\w.]/;

/**
 * oslo's JSON serializer writes an exception as its repr (`jsonutils.to_primitive`):
 * `NoValidBackend('No valid backend was found. ...')`. The class name before the
 * parenthesis, when the text has that shape; read character by character.
 */
export function reprClassName(text: string): string | undefined {
  const open = text.indexOf('(');
  if (open < 1 || open > 128 || !text.endsWith(')')) return undefined;
  if (!IDENTIFIER_START.test(text.charAt(0))) return undefined;
  for (let i = 1; i < open; i++) if (!IDENTIFIER_PART.test(text.charAt(i))) return undefined;
  const quote = text.charAt(open + 1);
  if (quote !== "'" && quote !== '"' && open + 2 !== text.length) return undefined;
  return text.slice(0, open);
}

/** The message inside a repr (`Class('text')` → `text`), else the text itself. */
export function reprMessage(text: string): string {
  const cls = reprClassName(text);
  if (cls === undefined) return text;
  const inner = text.slice(cls.length + 1, -1);
  const q = inner.charAt(0);
  return (q === "'" || q === '"') && inner.endsWith(q) && inner.length >= 2 ? inner.slice(1, -1) : inner;
}

/** Runs of whitespace → one space, ends trimmed: templates wrap lines where messages do not. */
function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
