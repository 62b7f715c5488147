/**
 * Legacy (unversioned) Nova payloads: flat dicts, field layout and time formats as in
 * test/fixtures/nova-legacy (Nova's `info_from_instance` plus per-event extras).
 */
import { hourStart, legacyCreatedAt, legacyTime } from './format.js';
import type { InstanceState, NovaEvent } from './types.js';

const IMAGE_SERVICE = 'http://glance.example.org:9292/images';

/** The fields every legacy instance notification carries, in Nova's order. */
function instanceInfo(i: Readonly<InstanceState>): Record<string, unknown> {
  return {
    access_ip_v4: null,
    access_ip_v6: null,
    architecture: null,
    availability_zone: 'nova',
    cell_name: '',
    created_at: legacyCreatedAt(i.createdAt),
    deleted_at: legacyTime(i.deletedAt),
    disk_gb: i.flavor.rootGb + i.flavor.ephemeralGb,
    display_name: i.displayName,
    ephemeral_gb: i.flavor.ephemeralGb,
    host: i.host,
    hostname: i.displayName.toLowerCase(),
    image_meta: {
      base_image_ref: i.image.id,
      container_format: 'bare',
      disk_format: 'qcow2',
      min_disk: '1',
      min_ram: '0',
    },
    image_ref_url: `${IMAGE_SERVICE}/${i.image.id}`,
    instance_flavor_id: i.flavor.flavorId,
    instance_id: i.uuid,
    instance_type: i.flavor.name,
    instance_type_id: i.flavor.instanceTypeId,
    kernel_id: '',
    launched_at: legacyTime(i.launchedAt),
    memory_mb: i.flavor.memoryMb,
    metadata: {},
    node: i.node,
    os_type: null,
    progress: '',
    ramdisk_id: '',
    reservation_id: i.reservationId,
    root_gb: i.flavor.rootGb,
    state: i.state,
    // Legacy Nova reports the task state here ("" when idle).
    state_description: i.taskState ?? '',
    tenant_id: i.tenantId,
    terminated_at: legacyTime(i.terminatedAt),
    user_id: i.userId,
    vcpus: i.flavor.vcpus,
  };
}

function fixedIps(i: Readonly<InstanceState>): unknown[] {
  return [
    {
      address: i.ip,
      type: 'fixed',
      version: 4,
      label: 'private',
      vif_mac: i.mac,
      floating_ips: [],
      meta: {},
    },
  ];
}

/**
 * compute_task.build_instances (ERROR): not an instance payload (no host was ever chosen).
 * Nova 26's conductor puts the remote error's dict repr in `reason`, its class with oslo's
 * `_Remote` suffix (test/fixtures/zed-cloud).
 */
function scheduleErrorPayload(ev: NovaEvent): Record<string, unknown> {
  const i = ev.instance;
  const properties = { uuid: i.uuid, project_id: i.tenantId, user_id: i.userId, availability_zone: null };
  const f = ev.fault;
  return {
    request_spec: { num_instances: 1, instance_properties: properties },
    instance_properties: properties,
    instance_id: i.uuid,
    state: 'error',
    method: 'build_instances',
    reason: f
      ? `{'kwargs': {'reason': '', 'code': ${f.code}}, 'message': '${f.message}', 'class': '${f.exception}_Remote'}`
      : 'No valid host was found. ',
  };
}

export function legacyPayload(ev: NovaEvent): Record<string, unknown> {
  if (ev.action === 'schedule') return scheduleErrorPayload(ev);
  const i = ev.instance;
  const payload = instanceInfo(i);
  if (ev.action === 'update') {
    const su = ev.stateUpdate;
    Object.assign(payload, {
      old_state: su?.oldState ?? i.state,
      old_task_state: su?.oldTaskState ?? null,
      new_task_state: su?.newTaskState ?? null,
      // Updates carry the running audit period (hour start → now), as in the captures.
      audit_period_beginning: legacyTime(hourStart(ev.at)),
      audit_period_ending: legacyTime(ev.at),
      bandwidth: {},
    });
  } else if (ev.action === 'exists') {
    const period = ev.auditPeriod ?? { beginning: hourStart(ev.at) - 3_600_000, ending: hourStart(ev.at) };
    Object.assign(payload, {
      audit_period_beginning: legacyTime(period.beginning),
      audit_period_ending: legacyTime(period.ending),
      bandwidth: {},
    });
  } else if (ev.action === 'create' && ev.phase === 'start') {
    Object.assign(payload, { image_name: i.image.name, fixed_ips: [] });
  } else if (ev.action === 'create' && ev.phase === 'end') {
    Object.assign(payload, { message: 'Success', fixed_ips: fixedIps(i) });
  } else if (ev.action === 'resize_prep' && ev.newFlavor) {
    Object.assign(payload, {
      new_instance_type: ev.newFlavor.name,
      new_instance_type_id: ev.newFlavor.instanceTypeId,
    });
  }
  if (ev.phase === 'error' && ev.fault) {
    // Nova serialises the exception object itself: only its kwargs survive (see the
    // create.error captures); the class name is not in the legacy payload.
    Object.assign(payload, {
      message: ev.fault.message,
      code: ev.fault.code,
      exception: { kwargs: { instance_uuid: i.uuid, reason: ev.fault.message, code: ev.fault.code } },
    });
  }
  return payload;
}
