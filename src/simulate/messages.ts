/**
 * Renders a NovaEvent as the inner oslo message Nova would send, in either format.
 * Pure apart from the Rng, which supplies message_id / _unique_id so that a seed
 * reproduces the exact bytes.
 */
import { DEFAULT_TOPICS } from '../nova/format.js';
import { contextKeys, osloTimestamp } from './format.js';
import { legacyPayload } from './legacy.js';
import type { Rng } from './random.js';
import type { Action, InnerMessage, MessageFormat, NovaEvent, Service, Topic } from './types.js';
import { versionedPayload } from './versioned.js';

export type * from './types.js';

/** Action → event type stem. The two formats name resize steps differently. */
const LEGACY_STEM: Record<Exclude<Action, 'schedule'>, string> = {
  create: 'compute.instance.create',
  update: 'compute.instance.update',
  delete: 'compute.instance.delete',
  reboot: 'compute.instance.reboot',
  power_off: 'compute.instance.power_off',
  power_on: 'compute.instance.power_on',
  resize_prep: 'compute.instance.resize.prep',
  resize: 'compute.instance.resize',
  resize_finish: 'compute.instance.finish_resize',
  resize_confirm: 'compute.instance.resize.confirm',
  exists: 'compute.instance.exists',
};

const VERSIONED_STEM: Record<Exclude<Action, 'schedule'>, string> = {
  create: 'instance.create',
  update: 'instance.update',
  delete: 'instance.delete',
  reboot: 'instance.reboot',
  power_off: 'instance.power_off',
  power_on: 'instance.power_on',
  resize_prep: 'instance.resize_prep',
  resize: 'instance.resize',
  resize_finish: 'instance.resize_finish',
  resize_confirm: 'instance.resize_confirm',
  exists: 'instance.exists',
};

/**
 * NoValidHost: the conductor reports the scheduler's failure, `compute_task.build_instances`
 * (unversioned, ERROR) and `compute_task.build_instances.error` (versioned), as Nova 26 did
 * on the project's real cloud (test/fixtures/zed-cloud); old Nova's scheduler sent
 * `scheduler.select_destinations.error` instead.
 */
const SCHEDULE_ERROR: Record<MessageFormat, string> = {
  legacy: 'compute_task.build_instances',
  versioned: 'compute_task.build_instances.error',
};

/** Versioned binaries. The conductor took over what the legacy scheduler reported. */
const BINARY: Record<Service, string> = {
  compute: 'nova-compute',
  api: 'nova-api',
  scheduler: 'nova-conductor',
  compute_task: 'nova-conductor',
};

export function eventType(format: MessageFormat, ev: Pick<NovaEvent, 'action' | 'phase'>): string {
  if (ev.action === 'schedule') return SCHEDULE_ERROR[format];
  const stem = (format === 'legacy' ? LEGACY_STEM : VERSIONED_STEM)[ev.action];
  return ev.phase === undefined ? stem : `${stem}.${ev.phase}`;
}

/** `compute.cmp-001.example.org` / `nova-compute:cmp-001.example.org`. */
export function publisherId(format: MessageFormat, service: Service, host: string): string {
  return format === 'legacy' ? `${service}.${host}` : `${BINARY[service]}:${host}`;
}

/** Nova's default topic for the format. */
export function topicFor(format: MessageFormat): Topic {
  return DEFAULT_TOPICS[format] as Topic;
}

export function buildMessage(format: MessageFormat, ev: NovaEvent, rng: Rng): InnerMessage {
  return {
    message_id: rng.uuid(),
    publisher_id: publisherId(format, ev.service, ev.publisherHost),
    event_type: eventType(format, ev),
    priority: ev.priority,
    payload: format === 'legacy' ? legacyPayload(ev) : versionedPayload(ev),
    timestamp: osloTimestamp(ev.at),
    _unique_id: rng.hex(32),
    ...contextKeys(ev.context),
  };
}
