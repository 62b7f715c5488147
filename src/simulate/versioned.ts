/**
 * Versioned Nova payloads: nova_object wrappers all the way down, object names and
 * versions as in test/fixtures/nova-versioned (Nova's doc samples).
 */
import { hourStart, versionedTime } from './format.js';
import type { Fault, Flavor, InstanceState, NovaEvent } from './types.js';

export function novaObject(name: string, version: string, data: Record<string, unknown>): Record<string, unknown> {
  return {
    'nova_object.name': name,
    'nova_object.namespace': 'nova',
    'nova_object.version': version,
    'nova_object.data': data,
  };
}

function flavorPayload(f: Flavor): Record<string, unknown> {
  return novaObject('FlavorPayload', '1.4', {
    flavorid: f.flavorId,
    name: f.name,
    root_gb: f.rootGb,
    vcpus: f.vcpus,
    ephemeral_gb: f.ephemeralGb,
    memory_mb: f.memoryMb,
    disabled: false,
    rxtx_factor: 1.0,
    extra_specs: {},
    projects: null,
    swap: 0,
    is_public: true,
    vcpu_weight: 0,
    description: null,
  });
}

export function exceptionPayload(f: Fault): Record<string, unknown> {
  return novaObject('ExceptionPayload', '1.1', {
    exception: f.exception,
    exception_message: f.message,
    function_name: f.functionName,
    module_name: f.moduleName,
    traceback: `Traceback (most recent call last):\n  File "nova/compute/manager.py", line ...\n${f.exception}: ${f.message}\n`,
  });
}

function auditPeriod(beginning: number, ending: number): Record<string, unknown> {
  return novaObject('AuditPeriodPayload', '1.0', {
    audit_period_beginning: versionedTime(beginning),
    audit_period_ending: versionedTime(ending),
  });
}

/** InstancePayload fields shared by every instance.* notification. */
function instanceData(i: Readonly<InstanceState>, ev: NovaEvent): Record<string, unknown> {
  // Addresses exist once networking ran, i.e. from launch on.
  const ips =
    i.launchedAt === null
      ? []
      : [
          novaObject('IpPayload', '1.0', {
            mac: i.mac,
            address: i.ip,
            port_uuid: i.portId,
            meta: {},
            version: 4,
            label: 'private',
            device_name: `tap${i.portId.slice(0, 11)}`,
          }),
        ];
  return {
    uuid: i.uuid,
    user_id: i.userId,
    tenant_id: i.tenantId,
    reservation_id: i.reservationId,
    display_name: i.displayName,
    display_description: i.displayName,
    host_name: i.displayName.toLowerCase(),
    host: i.host,
    node: i.node,
    os_type: null,
    architecture: 'x86_64',
    availability_zone: 'nova',
    flavor: flavorPayload(i.flavor),
    image_uuid: i.image.id,
    key_name: 'default',
    kernel_id: '',
    ramdisk_id: '',
    created_at: versionedTime(i.createdAt),
    launched_at: versionedTime(i.launchedAt),
    terminated_at: versionedTime(i.terminatedAt),
    deleted_at: versionedTime(i.deletedAt),
    updated_at: versionedTime(i.updatedAt),
    state: i.state,
    task_state: i.taskState,
    power_state: i.powerState,
    progress: 0,
    ip_addresses: ips,
    block_devices: [],
    metadata: {},
    locked: false,
    locked_reason: null,
    auto_disk_config: 'MANUAL',
    request_id: ev.context.requestId,
    action_initiator_user: ev.context.userId,
    action_initiator_project: ev.context.projectId,
    shares: [],
  };
}

/** compute_task.build_instances.error: conductor's NoValidHost report (ComputeTaskPayload). */
function computeTaskPayload(ev: NovaEvent): Record<string, unknown> {
  const i = ev.instance;
  return novaObject('ComputeTaskPayload', '1.0', {
    instance_uuid: i.uuid,
    reason: ev.fault ? exceptionPayload(ev.fault) : null,
    request_spec: novaObject('RequestSpecPayload', '1.1', {
      availability_zone: null,
      flavor: flavorPayload(i.flavor),
      ignore_hosts: null,
      image: novaObject('ImageMetaPayload', '1.0', {
        id: i.image.id,
        name: i.image.name,
        container_format: 'bare',
        disk_format: 'qcow2',
        min_disk: 1,
        min_ram: 0,
        status: 'active',
      }),
      instance_uuid: i.uuid,
      num_instances: 1,
      numa_topology: null,
      pci_requests: null,
      project_id: i.tenantId,
      scheduler_hints: {},
      security_groups: ['default'],
      force_hosts: null,
      force_nodes: null,
      instance_group: null,
      requested_destination: null,
      retry: null,
      user_id: i.userId,
    }),
    state: 'error',
  });
}

export function versionedPayload(ev: NovaEvent): Record<string, unknown> {
  if (ev.action === 'schedule') return computeTaskPayload(ev);
  const i = ev.instance;
  const data = instanceData(i, ev);
  const fault = ev.fault ? exceptionPayload(ev.fault) : null;
  switch (ev.action) {
    case 'update': {
      const su = ev.stateUpdate;
      Object.assign(data, {
        audit_period: auditPeriod(hourStart(ev.at), ev.at),
        old_display_name: null,
        state_update: novaObject('InstanceStateUpdatePayload', '1.0', {
          old_state: su?.oldState ?? i.state,
          state: su?.state ?? i.state,
          old_task_state: su?.oldTaskState ?? null,
          new_task_state: su?.newTaskState ?? null,
        }),
        tags: [],
      });
      return novaObject('InstanceUpdatePayload', '2.1', data);
    }
    case 'exists': {
      const p = ev.auditPeriod ?? { beginning: hourStart(ev.at) - 3_600_000, ending: hourStart(ev.at) };
      Object.assign(data, { audit_period: auditPeriod(p.beginning, p.ending) });
      return novaObject('InstanceExistsPayload', '2.1', data);
    }
    case 'create':
      Object.assign(data, {
        fault,
        keypairs: [],
        tags: [],
        trusted_image_certificates: null,
        instance_name: `instance-${i.uuid.slice(0, 8)}`,
      });
      return novaObject('InstanceCreatePayload', '1.13', data);
    case 'resize_prep':
      Object.assign(data, { fault, new_flavor: ev.newFlavor ? flavorPayload(ev.newFlavor) : null });
      return novaObject('InstanceActionResizePrepPayload', '1.4', data);
    default:
      Object.assign(data, { fault });
      return novaObject('InstanceActionPayload', '1.9', data);
  }
}
