/**
 * What `tail` prints for one message body: filtering, the readable line, the JSON line,
 * and the redaction in front of all of them. Pure: bytes in, text out, no broker.
 */
import type { TailConfig } from '../config/config.js';
import { fromInner, unwrapMessage } from '../pipeline/decode.js';
import { instanceEvent } from '../nova/mapper.js';
import type { InstanceEvent } from '../nova/instance-event.js';
import type { DropReason, Notification } from '../pipeline/notification.js';
import { redactSecrets, redactUrlsIn } from '../oslo/secrets.js';

export type TailFormatOptions = Pick<TailConfig, 'output' | 'eventTypes' | 'priorities' | 'hosts' | 'requestIds' | 'showSecrets'> & {
  readonly maxMessageBytes: number;
};

export type Rendered =
  | { readonly kind: 'print'; readonly text: string }
  | { readonly kind: 'filtered' }
  | { readonly kind: 'undecodable'; readonly reason: DropReason; readonly detail: string };

/** Renders one body as `tail` prints it; never throws, whatever the body holds. */
export function renderMessage(body: Uint8Array, options: TailFormatOptions): Rendered {
  const unwrapped = unwrapMessage(body, options);
  if (!unwrapped.ok) return { kind: 'undecodable', reason: unwrapped.reason, detail: unwrapped.detail };
  const decoded = fromInner(unwrapped.inner, unwrapped.envelope);
  if (!decoded.ok) return { kind: 'undecodable', reason: decoded.reason, detail: decoded.detail };
  const n = decoded.notification;
  const event = instanceEvent(n);
  if (!matches(n, event, options)) return { kind: 'filtered' };
  const { showSecrets } = options;
  switch (options.output) {
    case 'text': {
      const line = formatLine(n, event);
      return { kind: 'print', text: showSecrets ? line : redactUrlsIn(line) };
    }
    case 'json':
      return { kind: 'print', text: stringifyJson(showSecrets ? unwrapped.inner : redactSecrets(unwrapped.inner)) };
    case 'raw': {
      const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
      if (showSecrets) return { kind: 'print', text };
      // The envelope is kept as sent, with its secrets masked inside the inner message.
      const outer = redactSecrets(JSON.parse(text)) as Record<string, unknown>;
      if (unwrapped.envelope === 'v2') outer['oslo.message'] = stringifyJson(redactSecrets(unwrapped.inner));
      return { kind: 'print', text: stringifyJson(outer) };
    }
  }
}

/** `--tail.event-type`, `--tail.priority`, `--tail.host`, `--tail.request-id`: each given filter must match. */
export function matches(
  n: Notification,
  event: InstanceEvent | undefined,
  f: Pick<TailConfig, 'eventTypes' | 'priorities' | 'hosts' | 'requestIds'>,
): boolean {
  if (f.requestIds.length > 0) {
    // The context's request id, or the versioned payload's where the context has none; ids are lower-case hex.
    const id = (n.requestId ?? event?.requestId)?.toLowerCase();
    if (id === undefined || !f.requestIds.includes(id)) return false;
  }
  if (f.eventTypes.length > 0 && !f.eventTypes.some((g) => globMatch(g, n.eventType))) return false;
  if (f.priorities.length > 0 && !(f.priorities as readonly string[]).includes(n.priority)) return false;
  if (f.hosts.length > 0) {
    // Host names are case-insensitive; the instance's host differs from the sender's for API and scheduler events.
    const hosts = [n.host, event?.host].filter((h): h is string => h !== undefined).map((h) => h.toLowerCase());
    if (!f.hosts.some((g) => hosts.some((h) => globMatch(g.toLowerCase(), h)))) return false;
  }
  return true;
}

/** `*` is any run of characters (dots included), `?` one character; everything else is literal. */
export function globMatch(pattern: string, text: string): boolean {
  // Greedy with one backtrack point: linear in practice, never exponential like a naive regex.
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** `2024-05-01T12:00:00.123Z INFO  compute.instance.update host=cmp-1 instance=… state=building→active task=spawning→none`. */
export function formatLine(n: Notification, event: InstanceEvent | undefined): string {
  const time = n.timestampSeconds === undefined ? '-' : new Date(n.timestampSeconds * 1000).toISOString();
  const parts = [time, n.priority.padEnd(5), printable(n.eventType), `host=${printable(n.host)}`];
  if (event?.instanceId) parts.push(`instance=${printable(event.instanceId)}`);
  if (event?.stateTransition) parts.push(`state=${printable(event.stateTransition.from)}→${printable(event.stateTransition.to)}`);
  if (event?.taskStateTransition)
    parts.push(`task=${printable(event.taskStateTransition.from)}→${printable(event.taskStateTransition.to)}`);
  if (event?.isError) parts.push(`error=${printable(event.exception ?? 'unknown')}`);
  return parts.join(' ');
}

// A sender controls these strings: no control characters (terminal escapes, newlines) reach the terminal.
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const text = value.replace(/[\x00-\x20\x7f-\x9f\u2028\u2029]/g, '?');
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** JSON.stringify without recursion (it overflows the stack on deep input), for JSON.parse output. */
export function stringifyJson(root: unknown): string {
  const out: string[] = [];
  const stack: { value: unknown[] | { [key: string]: unknown }; keys: string[] | undefined; i: number }[] = [];
  const open = (value: unknown): void => {
    if (Array.isArray(value)) {
      out.push('[');
      stack.push({ value, keys: undefined, i: 0 });
    } else if (typeof value === 'object' && value !== null) {
      out.push('{');
      stack.push({ value: value as { [key: string]: unknown }, keys: Object.keys(value), i: 0 });
    } else {
      out.push(JSON.stringify(value) ?? 'null');
    }
  };
  open(root);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const { keys } = frame;
    const length = keys === undefined ? (frame.value as unknown[]).length : keys.length;
    if (frame.i >= length) {
      out.push(keys === undefined ? ']' : '}');
      stack.pop();
      continue;
    }
    if (frame.i > 0) out.push(',');
    const i = frame.i++;
    if (keys === undefined) {
      open((frame.value as unknown[])[i]);
    } else {
      const key = keys[i] as string;
      out.push(JSON.stringify(key), ':');
      open((frame.value as { [key: string]: unknown })[key]);
    }
  }
  return out.join('');
}
