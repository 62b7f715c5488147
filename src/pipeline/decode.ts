import { isUtf8 } from 'node:buffer';
import { splitPublisherId } from '../oslo/publisher-id.js';
import { parseOpenStackTime } from '../oslo/time.js';
import { normalizePriority } from '../oslo/priority.js';
import { requestIdOf } from '../oslo/request-id.js';
import { OSLO_MESSAGE_KEY } from '../oslo/wire.js';
import type { DecodeResult, DropReason, Notification } from './notification.js';

export interface DecodeOptions {
  /** Messages longer than this are dropped before any parsing (`--amqp.max-message-bytes`). */
  readonly maxMessageBytes: number;
}

type JsonObject = Record<string, unknown>;

/**
 * Bytes as they came off the queue → a Notification, or the reason it is not one.
 * Never throws: every input maps to exactly one outcome so nothing is lost silently.
 */
export function decodeNotification(body: Uint8Array, options: DecodeOptions, exchange = ''): DecodeResult {
  const unwrapped = unwrapMessage(body, options);
  return unwrapped.ok ? fromInner(unwrapped.inner, unwrapped.envelope, exchange) : unwrapped;
}

export type UnwrapResult =
  | { readonly ok: true; readonly inner: JsonObject; readonly envelope: 'v1' | 'v2' }
  | { readonly ok: false; readonly reason: DropReason; readonly detail: string };

/** Bytes → the inner oslo message as sent, `_context_*` keys included (for `tail`, which redacts them itself). */
export function unwrapMessage(body: Uint8Array, options: DecodeOptions): UnwrapResult {
  if (body.byteLength > options.maxMessageBytes) {
    return drop('oversized', `${body.byteLength} bytes, limit ${options.maxMessageBytes}`);
  }
  if (!isUtf8(body)) return drop('invalid_utf8', 'body is not valid UTF-8');
  const outer = parseObject(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  if (outer === undefined) return drop('malformed_json', 'body is not JSON');
  if (outer === null) return drop('not_an_object', 'body is JSON but not an object');

  // messagingv2 wraps the message as a JSON string; the old `messaging` driver sends it bare.
  if (!(OSLO_MESSAGE_KEY in outer)) return { ok: true, inner: outer, envelope: 'v1' };
  const wrapped = outer[OSLO_MESSAGE_KEY];
  if (typeof wrapped !== 'string') return drop('malformed_envelope', 'oslo.message is not a string');
  const inner = parseObject(wrapped);
  if (!inner) return drop('malformed_envelope', 'oslo.message is not a JSON object');
  return { ok: true, inner, envelope: 'v2' };
}

/** An inner message (or an oslo listener's `{event_type, payload, metadata}` view of one). */
export function fromInner(inner: JsonObject, envelope: 'v1' | 'v2', exchange = ''): DecodeResult {
  const eventType = inner['event_type'];
  if (typeof eventType !== 'string' || eventType.length === 0) {
    return drop('missing_event_type', 'event_type is missing or not a string');
  }
  const metadata = isObject(inner['metadata']) ? inner['metadata'] : undefined;
  const payload = isObject(inner['payload']) ? inner['payload'] : {};
  const publisherId = typeof inner['publisher_id'] === 'string' ? inner['publisher_id'] : '';
  const { service, host } = splitPublisherId(publisherId);
  const messageId = inner['message_id'] ?? metadata?.['message_id'];
  const notification: Notification = {
    messageId: typeof messageId === 'string' ? messageId : undefined,
    eventType,
    priority: normalizePriority(inner['priority']),
    publisherId,
    publisher: service,
    host: host ?? payloadHost(payload) ?? 'unknown',
    requestId: requestIdOf(inner['_context_request_id'] ?? (isObject(inner['ctxt']) ? inner['ctxt']['request_id'] : undefined)),
    timestampSeconds: parseOpenStackTime(inner['timestamp'] ?? metadata?.['timestamp']),
    format: isObject(payload['nova_object.data']) ? 'versioned' : 'legacy',
    envelope,
    exchange,
    payload,
  };
  return { ok: true, notification };
}

/** Where the instance's host sits: flat in legacy payloads, under nova_object.data in versioned. */
export function payloadHost(payload: JsonObject): string | undefined {
  const data = payload['nova_object.data'];
  const host = isObject(data) ? data['host'] : payload['host'];
  return typeof host === 'string' && host.length > 0 ? host : undefined;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** undefined: not JSON; null: JSON but not an object. */
function parseObject(text: string): JsonObject | null | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isObject(value) ? value : null;
}

function drop(reason: DropReason, detail: string): { ok: false; reason: DropReason; detail: string } {
  return { ok: false, reason, detail };
}
