import { isObject, payloadHost } from '../pipeline/decode.js';
import { parseOpenStackTime } from '../oslo/time.js';
import type { Notification } from '../pipeline/notification.js';
import type { PayloadFormat } from './format.js';
import type { InstanceEvent } from './instance-event.js';
import { classifyNovaError } from './exception-templates.js';
import { localExceptionClass, remoteExceptionClass } from '../oslo/remote-error.js';
import { judgeTime, type TimeRejection, type TimeWindow } from '../pipeline/time-window.js';

type JsonObject = Record<string, unknown>;

const PHASES = new Set(['start', 'end', 'error']);
// Event-type prefixes that are Nova's, in either format; an ERROR under one of them is an
// instance error even when it is not about a single instance (compute.exception, ...).
const NOVA_PREFIXES = ['compute.', 'instance.', 'compute_task.', 'scheduler.', 'libvirt.', 'conductor.'];

/** Whether the event type is one Nova sends (either format): `check` uses it to recognise Nova's traffic elsewhere. */
export function isNovaEventType(eventType: string): boolean {
  return NOVA_PREFIXES.some((p) => eventType.startsWith(p));
}

// Exception class names are identifiers; anything else is message text and stays out of labels.
const EXCEPTION_CLASS = /^[A-Za-z_][\w.]{0,127}$/;

/**
 * Nova's mapper: instance facts from the payload format the instance metrics follow
 * (`instancePayloadFormat`), so with both formats on one event is counted once.
 */
export function novaMapper(
  instanceFormat: PayloadFormat,
  timeWindow: TimeWindow,
): (n: Notification, receivedAt: number) => InstanceEvent | undefined {
  return (n, receivedAt) => (n.format === instanceFormat ? instanceEvent(n, timeWindow, n.timestampSeconds ?? receivedAt) : undefined);
}

/**
 * Nova notification → the facts the instance metrics need, the same for both formats.
 * undefined for anything that is neither an instance event nor a Nova error.
 */
export function instanceEvent(n: Notification, window?: TimeWindow, reference = 0): InstanceEvent | undefined {
  const name = instanceEventName(n);
  const isError = n.priority === 'ERROR' || name?.phase === 'error';
  if (!name && !(isError && NOVA_PREFIXES.some((p) => n.eventType.startsWith(p)))) return undefined;

  const data = n.format === 'versioned' ? versionedData(n.payload) : n.payload;
  const transitions = n.format === 'versioned' ? versionedTransitions(data) : legacyTransitions(n, data);
  const build = name?.action === 'create' && name.phase === 'end' ? buildDuration(data, window, reference) : undefined;
  return {
    instanceId: str(data['uuid']) ?? str(data['instance_id']) ?? str(data['instance_uuid']),
    host: payloadHost(n.payload) ?? n.host,
    action: name?.action,
    phase: name?.phase,
    state: str(data['state']),
    stateTransition: transitions.state,
    taskStateTransition: transitions.task,
    exception: isError ? exceptionClass(n) : undefined,
    isError,
    buildDurationSeconds: typeof build === 'number' ? build : undefined,
    ...(typeof build === 'string' && { rejectedTime: build }),
    isAudit: name?.action === 'exists',
    requestId: str(data['request_id']),
  };
}

interface EventName {
  readonly action: string;
  readonly phase: 'start' | 'end' | 'error' | undefined;
}

/**
 * `compute.instance.resize.prep.start` and `instance.resize_prep.start` are the same
 * event; legacy dots and leading underscores (`live_migration._post`) fold into the
 * versioned spelling so one action label covers both formats.
 */
export function instanceEventName(n: Pick<Notification, 'eventType'>): EventName | undefined {
  const rest = n.eventType.startsWith('compute.instance.')
    ? n.eventType.slice('compute.instance.'.length)
    : n.eventType.startsWith('instance.')
      ? n.eventType.slice('instance.'.length)
      : undefined;
  if (!rest) return undefined;
  const parts = rest.split('.');
  const last = parts[parts.length - 1] as string;
  const phase = PHASES.has(last) ? (last as EventName['phase']) : undefined;
  if (phase) parts.pop();
  if (parts.length === 0) return undefined;
  let action = parts.map((p) => p.replace(/^_+/, '')).join('_');
  if (action === 'finish_resize') action = 'resize_finish';
  return { action, phase };
}

function versionedData(payload: JsonObject): JsonObject {
  const data = payload['nova_object.data'];
  return isObject(data) ? data : {};
}

interface Transitions {
  readonly state: InstanceEvent['stateTransition'];
  readonly task: InstanceEvent['taskStateTransition'];
}

function legacyTransitions(n: Notification, payload: JsonObject): Transitions {
  // Only compute.instance.update carries old_*; other legacy events just have the present state.
  if (n.eventType !== 'compute.instance.update') return { state: undefined, task: undefined };
  return {
    state: transition(payload['old_state'], payload['state']),
    task: transition(payload['old_task_state'], payload['new_task_state']),
  };
}

function versionedTransitions(data: JsonObject): Transitions {
  // Trust state_update over the top-level state: Nova's own sample disagrees with itself.
  const update = data['state_update'];
  if (!isObject(update)) return { state: undefined, task: undefined };
  const u = versionedData(update);
  return {
    state: transition(u['old_state'], u['state']),
    task: transition(u['old_task_state'], u['new_task_state']),
  };
}

/** A transition only when something changed; a null task state reads as `none`. */
function transition(from: unknown, to: unknown): { from: string; to: string } | undefined {
  const f = stateName(from);
  const t = stateName(to);
  if (f === undefined || t === undefined || f === t) return undefined;
  return { from: f, to: t };
}

function stateName(value: unknown): string | undefined {
  if (value === null || value === '') return 'none';
  return typeof value === 'string' ? value : undefined;
}

/** Versioned: an ExceptionPayload as the payload, its `fault` or its `reason`. Legacy: `exception` if it is a class name, else the class whose message template fits. */
function exceptionClass(n: Notification): string {
  if (n.format === 'versioned') {
    const data = versionedData(n.payload);
    for (const holder of [n.payload, data['fault'], data['reason']]) {
      if (isObject(holder) && holder['nova_object.name'] === 'ExceptionPayload') {
        return className(versionedData(holder)['exception']);
      }
    }
    return 'unknown';
  }
  const named = className(n.payload['exception']);
  if (named !== 'unknown') return named;
  // Unversioned errors carry the message only: recognise it by Nova's own templates, unless
  // it is a remote error's repr that names its class (the conductor's build failures).
  for (const key of ['message', 'reason', 'exception']) {
    const text = n.payload[key];
    if (typeof text === 'string') {
      const remote = remoteExceptionClass(text);
      if (remote) return remote;
      const recognised = classifyNovaError(text);
      if (recognised !== 'unknown') return recognised;
    }
  }
  return 'unknown';
}

function className(value: unknown): string {
  return typeof value === 'string' && EXCEPTION_CLASS.test(value) ? localExceptionClass(value) : 'unknown';
}

/**
 * launched_at − created_at; or why one of them is not used, when it lies outside the window
 * around `reference` (the notification's usable time, else when it was received). Without a
 * window (tail, the mapping command), as read.
 */
function buildDuration(data: JsonObject, window: TimeWindow | undefined, reference: number): number | TimeRejection | undefined {
  const created = parseOpenStackTime(data['created_at']);
  const launched = parseOpenStackTime(data['launched_at']);
  if (created === undefined || launched === undefined) return undefined;
  if (window) {
    const rejected = judgeTime(created, reference, window) ?? judgeTime(launched, reference, window);
    if (rejected !== undefined) return rejected;
  }
  if (launched < created) return undefined;
  return launched - created;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
