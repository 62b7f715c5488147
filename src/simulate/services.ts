/**
 * Traffic of the services beyond Nova, for `simulate --simulate.services`: each operation a
 * generator of the notifications the service sends, with the waits between them, in the
 * payload shapes of test/fixtures/<service>/ (flat Cinder and Glance dicts, Neutron's
 * `{"port": {...}}`, Heat's stack body, Keystone's CADF events, Ironic's versioned objects).
 * Failures as each service reports them: Cinder's scheduler error at ERROR priority and a
 * volume left in `error`, Glance's `image.upload` at ERROR, Heat's `*.error`, Ironic's
 * `provision_set.error`, failed Keystone logins. Seeded: a seed replays the same bytes.
 */
import { contextKeys, fakeAuthToken, osloTimestamp } from './format.js';
import { createRng, type Rng } from './random.js';
import type { InnerMessage, Priority, RequestContext } from './types.js';
import { SERVICES, type ServiceBinding } from '../mapping/services.js';
import { routingKey } from '../oslo/wire.js';

export const SIMULATED_SERVICES = ['cinder', 'neutron', 'glance', 'keystone', 'heat', 'octavia', 'ironic'] as const;
export type SimulatedService = (typeof SIMULATED_SERVICES)[number];

/** One message of a service, with where oslo sends it. */
export interface ServiceMessage {
  readonly exchange: string;
  readonly topic: string;
  readonly routingKey: string;
  readonly message: InnerMessage;
}

export interface ServiceTrafficOptions {
  readonly seed: number;
  readonly services: readonly SimulatedService[];
  /** Probability (0..1) that an operation fails. */
  readonly errorRatio: number;
  /** Operations in flight at once. Default 8. */
  readonly concurrency?: number;
}

export interface ServiceTraffic {
  /** The next message, at simulated time `t` (epoch ms) or later: the model never goes back in time. */
  next(t: number): ServiceMessage;
}

/** What an operation yields: a notification now, or a wait in ms. */
interface Sent {
  readonly service: SimulatedService;
  readonly eventType: string;
  readonly priority: Priority;
  readonly publisherId: string;
  readonly payload: Record<string, unknown>;
}
type Operation = Generator<Sent | number, void, void>;

/** Where each service publishes, as the exporter's registry knows it: its own exchange, its first topic. */
const binding = (service: SimulatedService): { exchange: string; topic: string } => {
  const b = SERVICES[service] as ServiceBinding;
  return { exchange: b.exchanges[0] as string, topic: b.topics[0] as string };
};

export function createServiceTraffic(opts: ServiceTrafficOptions): ServiceTraffic {
  if (opts.services.length === 0) throw new RangeError('services must name at least one service');
  // Separate streams from the Nova model's, so adding services never changes Nova's traffic.
  const rng = createRng(opts.seed ^ 0x5e41ce55);
  const ids = createRng(opts.seed ^ 0x1d5e4c35);
  const concurrency = opts.concurrency ?? 8;
  const running: { op: Operation; due: number; ctx: RequestContext }[] = [];
  const buffer: ServiceMessage[] = [];
  let t = 0;

  const ctx = (admin: boolean): RequestContext => ({
    requestId: `req-${ids.uuid()}`,
    userId: ids.hex(32),
    projectId: ids.hex(32),
    authToken: fakeAuthToken(ids),
    roles: admin ? ['admin'] : ['member', 'reader'],
    isAdmin: admin,
    remoteAddress: `192.0.2.${ids.int(10, 250)}`,
    timestamp: t,
  });

  const fails = () => rng.chance(opts.errorRatio);
  const ops: Record<SimulatedService, () => Operation> = {
    cinder: () => cinder(rng, ids, fails),
    neutron: () => neutron(rng, ids),
    glance: () => glance(rng, ids, fails),
    keystone: () => keystone(rng, ids, fails),
    heat: () => heat(rng, ids, fails),
    octavia: () => octavia(rng, ids),
    ironic: () => ironic(rng, ids, fails),
  };

  function advance(entry: (typeof running)[number]): void {
    for (;;) {
      const step = entry.op.next();
      if (step.done) {
        running.splice(running.indexOf(entry), 1);
        return;
      }
      if (typeof step.value === 'number') {
        entry.due = t + step.value;
        return;
      }
      const s = step.value;
      const { exchange, topic } = binding(s.service);
      buffer.push({
        exchange,
        topic,
        routingKey: routingKey(topic, s.priority),
        message: {
          message_id: ids.uuid(),
          publisher_id: s.publisherId,
          event_type: s.eventType,
          priority: s.priority,
          payload: s.payload,
          timestamp: osloTimestamp(t),
          _unique_id: ids.hex(32),
          ...contextKeys(entry.ctx),
        },
      });
    }
  }

  return {
    next(now) {
      while (buffer.length === 0) {
        t = Math.max(t, now);
        let earliest: (typeof running)[number] | undefined;
        for (const r of running) if (earliest === undefined || r.due < earliest.due) earliest = r;
        if (running.length < concurrency && (earliest === undefined || rng.chance(0.5))) {
          const service = rng.pick(opts.services);
          const entry = { op: ops[service](), due: t, ctx: ctx(service === 'ironic') };
          running.push(entry);
          advance(entry);
        } else if (earliest !== undefined) {
          t = Math.max(t, earliest.due);
          advance(earliest);
        }
      }
      return buffer.shift() as ServiceMessage;
    },
  };
}

const STORAGE = ['stor-01.example.org@ceph#ssd', 'stor-02.example.org@ceph#hdd'];
const NETWORK = ['net-01.example.org', 'net-02.example.org'];
const CONTROLLER = ['ctl-01.example.org', 'ctl-02.example.org', 'ctl-03.example.org'];
const CONDUCTOR = ['cond-01.example.org', 'cond-02.example.org'];

const sent = (
  service: SimulatedService,
  eventType: string,
  publisherId: string,
  payload: Record<string, unknown>,
  priority: Priority = 'INFO',
): Sent => ({
  service,
  eventType,
  priority,
  publisherId,
  payload,
});

/** A volume: created (or failing at the scheduler), attached, extended, detached, deleted; sometimes a snapshot or a backup. */
function* cinder(rng: Rng, ids: Rng, fails: () => boolean): Operation {
  const host = rng.pick(STORAGE);
  const vol = (status: string, extra: Record<string, unknown> = {}) => ({
    volume_id: id,
    status,
    size: size,
    host,
    volume_type: 'ceph',
    availability_zone: 'nova',
    ...extra,
  });
  const id = ids.uuid();
  const size = rng.pick([1, 10, 20, 50, 100]);
  const pub = (kind: string) => `${kind}.${host}`;
  yield sent('cinder', 'volume.create.start', pub('volume'), vol('creating'));
  yield rng.float(2_000, 15_000);
  if (fails()) {
    if (rng.chance(0.5)) {
      // No backend can hold it: the scheduler reports, the volume ends in error, no create.end.
      yield sent(
        'cinder',
        'scheduler.create_volume',
        `scheduler.${rng.pick(CONTROLLER)}`,
        {
          volume_id: id,
          state: { status: 'error' },
          method: 'create_volume',
          reason: 'No valid backend was found. No weighed backends available',
        },
        'ERROR',
      );
      return;
    }
    yield sent('cinder', 'volume.create.end', pub('volume'), vol('error'));
    yield rng.float(30_000, 120_000);
    yield* deleteVolume();
    return;
  }
  yield sent('cinder', 'volume.create.end', pub('volume'), vol('available'));
  yield rng.float(5_000, 60_000);
  yield sent('cinder', 'volume.attach.start', pub('volume'), vol('attaching'));
  yield rng.float(1_000, 6_000);
  yield sent('cinder', 'volume.attach.end', pub('volume'), vol('in-use'));
  if (rng.chance(0.3)) {
    const snap = ids.uuid();
    const s = (status: string) => ({ snapshot_id: snap, volume_id: id, status, volume_size: size });
    yield rng.float(10_000, 60_000);
    yield sent('cinder', 'snapshot.create.start', pub('snapshot'), s('creating'));
    yield rng.float(3_000, 20_000);
    yield sent('cinder', 'snapshot.create.end', pub('snapshot'), s('available'));
    yield rng.float(10_000, 60_000);
    yield sent('cinder', 'snapshot.delete.start', pub('snapshot'), s('deleting'));
    yield rng.float(1_000, 5_000);
    yield sent('cinder', 'snapshot.delete.end', pub('snapshot'), s('deleting'));
  }
  if (rng.chance(0.2)) {
    const backup = ids.uuid();
    const b = (status: string) => ({ backup_id: backup, volume_id: id, status, size, host: 'bak-01.example.org' });
    yield rng.float(10_000, 60_000);
    yield sent('cinder', 'backup.create.start', 'backup.bak-01.example.org', b('creating'));
    yield rng.float(20_000, 300_000);
    yield sent('cinder', 'backup.create.end', 'backup.bak-01.example.org', b('available'));
  }
  yield rng.float(30_000, 300_000);
  yield sent('cinder', 'volume.detach.start', pub('volume'), vol('detaching'));
  yield rng.float(1_000, 5_000);
  yield sent('cinder', 'volume.detach.end', pub('volume'), vol('available'));
  if (rng.chance(0.3)) {
    yield sent('cinder', 'volume.resize.start', pub('volume'), vol('extending'));
    yield rng.float(2_000, 10_000);
    yield sent('cinder', 'volume.resize.end', pub('volume'), vol('available', { size: size * 2 }));
  }
  yield rng.float(10_000, 120_000);
  yield* deleteVolume();

  function* deleteVolume(): Operation {
    yield sent('cinder', 'volume.delete.start', pub('volume'), vol('deleting'));
    yield rng.float(1_000, 8_000);
    yield sent('cinder', 'volume.delete.end', pub('volume'), vol('deleting'));
  }
}

/** A network with a subnet and a port that is bound, updated and deleted; a floating IP now and then. */
function* neutron(rng: Rng, ids: Rng): Operation {
  const pub = `network.${rng.pick(NETWORK)}`;
  const crud = function* (resource: string, id: string, body: Record<string, unknown>, statuses: readonly string[]): Operation {
    yield sent('neutron', `${resource}.create.start`, pub, { [resource]: { ...body } });
    yield rng.float(100, 1_500);
    yield sent('neutron', `${resource}.create.end`, pub, { [resource]: { ...body, id, status: statuses[0] } });
  };
  const net = ids.uuid();
  yield* crud('network', net, { name: `net-${ids.hex(4)}`, admin_state_up: true }, ['ACTIVE']);
  yield rng.float(500, 5_000);
  const subnet = ids.uuid();
  yield sent('neutron', 'subnet.create.start', pub, { subnet: { network_id: net, cidr: '10.1.0.0/24', ip_version: 4 } });
  yield rng.float(100, 1_000);
  yield sent('neutron', 'subnet.create.end', pub, { subnet: { id: subnet, network_id: net, cidr: '10.1.0.0/24', ip_version: 4 } });
  const port = ids.uuid();
  yield* crud(
    'port',
    port,
    { network_id: net, device_owner: 'compute:nova', mac_address: `fa:16:3e:${ids.hex(2)}:${ids.hex(2)}:${ids.hex(2)}` },
    ['DOWN'],
  );
  yield rng.float(2_000, 20_000);
  yield sent('neutron', 'port.update.start', pub, { port: { 'binding:host_id': 'cmp-001.example.org' }, id: port });
  yield rng.float(200, 2_000);
  yield sent('neutron', 'port.update.end', pub, { port: { id: port, network_id: net, status: 'ACTIVE' } });
  if (rng.chance(0.4)) {
    const fip = ids.uuid();
    yield* crud('floatingip', fip, { floating_network_id: net, port_id: port }, ['DOWN']);
    yield rng.float(60_000, 600_000);
    yield sent('neutron', 'floatingip.delete.start', pub, { floatingip_id: fip });
    yield rng.float(100, 1_500);
    yield sent('neutron', 'floatingip.delete.end', pub, { floatingip_id: fip });
  }
  yield rng.float(60_000, 600_000);
  for (const [resource, id] of [
    ['port', port],
    ['subnet', subnet],
    ['network', net],
  ] as const) {
    yield sent('neutron', `${resource}.delete.start`, pub, { [`${resource}_id`]: id });
    yield rng.float(100, 2_000);
    yield sent('neutron', `${resource}.delete.end`, pub, { [`${resource}_id`]: id });
  }
}

/** An image created, prepared, uploaded and activated, later deleted; an upload fails at ERROR. */
function* glance(rng: Rng, ids: Rng, fails: () => boolean): Operation {
  const pub = `image.${rng.pick(CONTROLLER)}`;
  const id = ids.uuid();
  const image = (status: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: `image-${ids.hex(4)}`,
    status,
    disk_format: 'qcow2',
    container_format: 'bare',
    ...extra,
  });
  yield sent('glance', 'image.create', pub, image('queued'));
  yield rng.float(500, 5_000);
  yield sent('glance', 'image.prepare', pub, image('queued'));
  yield rng.float(10_000, 180_000);
  if (fails()) {
    yield sent('glance', 'image.upload', pub, image('saving'), 'ERROR');
    yield rng.float(5_000, 60_000);
  } else {
    const size = rng.int(12, 4_000) * 1_048_576;
    yield sent('glance', 'image.upload', pub, image('active', { size }));
    yield sent('glance', 'image.activate', pub, image('active', { size }));
    yield rng.float(60_000, 900_000);
  }
  yield sent('glance', 'image.delete', pub, image('deleted', { deleted: true }));
}

/** Logins (failures are what Keystone sends by default) and now and then a project and a user. */
function* keystone(rng: Rng, ids: Rng, fails: () => boolean): Operation {
  const pub = `identity.${rng.pick(CONTROLLER)}`;
  const cadf = (outcome: string) => ({
    typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
    id: ids.uuid(),
    eventType: 'activity',
    action: 'authenticate',
    outcome,
    initiator: {
      typeURI: 'service/security/account/user',
      id: ids.hex(32),
      host: { address: `198.51.100.${ids.int(1, 254)}`, agent: 'openstacksdk/4.0.0' },
    },
    target: { typeURI: 'service/security/account/user', id: ids.hex(32) },
    observer: { typeURI: 'service/security', id: 'openstack:keystone' },
  });
  const attempts = rng.int(1, 4);
  for (let i = 0; i < attempts; i++) {
    yield sent('keystone', 'identity.authenticate', pub, cadf(fails() || rng.chance(0.1) ? 'failure' : 'success'));
    yield rng.float(200, 5_000);
  }
  if (rng.chance(0.2)) {
    for (const resource of ['project', 'user']) {
      yield sent('keystone', `identity.${resource}.created`, pub, { resource_info: ids.hex(32) });
      yield rng.float(200, 2_000);
    }
  }
}

/** A stack created (or failing), updated, deleted. */
function* heat(rng: Rng, ids: Rng, fails: () => boolean): Operation {
  const pub = `orchestration.${rng.pick(CONTROLLER)}`;
  const name = `stack-${ids.hex(6)}`;
  const tenant = ids.hex(32);
  const identity = `arn:openstack:heat::${tenant}:stacks/${name}/${ids.uuid()}`;
  const body = (state: string, reason: string) => ({
    stack_identity: identity,
    stack_name: name,
    tenant_id: tenant,
    state,
    state_reason: reason,
  });
  yield sent('heat', 'orchestration.stack.create.start', pub, body('CREATE_IN_PROGRESS', 'Stack CREATE started'));
  yield rng.float(20_000, 600_000);
  if (fails()) {
    yield sent(
      'heat',
      'orchestration.stack.create.error',
      pub,
      body('CREATE_FAILED', 'Resource CREATE failed: ResourceInError: resources.server: Went to status ERROR'),
      'ERROR',
    );
  } else {
    yield sent('heat', 'orchestration.stack.create.end', pub, body('CREATE_COMPLETE', 'Stack CREATE completed successfully'));
    if (rng.chance(0.4)) {
      yield rng.float(60_000, 600_000);
      yield sent('heat', 'orchestration.stack.update.start', pub, body('UPDATE_IN_PROGRESS', 'Stack UPDATE started'));
      yield rng.float(10_000, 300_000);
      yield sent('heat', 'orchestration.stack.update.end', pub, body('UPDATE_COMPLETE', 'Stack UPDATE completed successfully'));
    }
  }
  yield rng.float(60_000, 900_000);
  yield sent('heat', 'orchestration.stack.delete.start', pub, body('DELETE_IN_PROGRESS', 'Stack DELETE started'));
  yield rng.float(10_000, 120_000);
  yield sent('heat', 'orchestration.stack.delete.end', pub, body('DELETE_COMPLETE', 'Stack DELETE completed successfully'));
}

/** A load balancer created, updated and deleted (Octavia sends only ends). */
function* octavia(rng: Rng, ids: Rng): Operation {
  const pub = `octavia-worker.${rng.pick(CONTROLLER)}`;
  const id = ids.uuid();
  const lb = (provisioning_status: string, operating_status: string) => ({
    id,
    name: `lb-${ids.hex(4)}`,
    provider: 'amphora',
    provisioning_status,
    operating_status,
  });
  yield rng.float(60_000, 120_000);
  yield sent('octavia', 'octavia.loadbalancer.create.end', pub, lb('ACTIVE', 'ONLINE'));
  yield rng.float(60_000, 900_000);
  yield sent('octavia', 'octavia.loadbalancer.update.end', pub, lb('ACTIVE', 'ONLINE'));
  yield rng.float(60_000, 900_000);
  yield sent('octavia', 'octavia.loadbalancer.delete.end', pub, lb('DELETED', 'OFFLINE'));
}

/** A bare metal node deployed (the deploy may fail), later cleaned back to available. */
function* ironic(rng: Rng, ids: Rng, fails: () => boolean): Operation {
  const pub = `ironic-conductor.${rng.pick(CONDUCTOR)}`;
  const uuid = ids.uuid();
  const node = (previous: string, state: string, event: string, fault: string | null = null) => ({
    'ironic_object.name': 'NodeSetProvisionStatePayload',
    'ironic_object.namespace': 'ironic',
    'ironic_object.version': '1.17',
    'ironic_object.data': {
      uuid,
      previous_provision_state: previous,
      provision_state: state,
      target_provision_state: null,
      event,
      fault,
      power_state: 'power on',
      driver: 'ipmi',
    },
  });
  yield sent('ironic', 'baremetal.node.provision_set.start', pub, node('available', 'deploying', 'deploy'));
  yield rng.float(300_000, 1_500_000);
  if (fails()) {
    yield sent('ironic', 'baremetal.node.provision_set.error', pub, node('deploying', 'deploy failed', 'fail', 'deploy failure'), 'ERROR');
  } else {
    yield sent('ironic', 'baremetal.node.provision_set.end', pub, node('deploying', 'active', 'done'));
    yield rng.float(600_000, 3_600_000);
  }
  yield sent('ironic', 'baremetal.node.provision_set.start', pub, node('active', 'cleaning', 'deleted'));
  yield rng.float(300_000, 1_200_000);
  yield sent('ironic', 'baremetal.node.provision_set.end', pub, node('cleaning', 'available', 'done'));
}
