/** The simulated cloud: its fixed catalogue, its projects, and how instances are born. */
import { fakeAuthToken } from './format.js';
import type { Rng } from './random.js';
import type { Flavor, Image, InstanceState, RequestContext } from './types.js';

export const FLAVORS: readonly Flavor[] = [
  { name: 'm1.tiny', flavorId: '1', instanceTypeId: 2, memoryMb: 512, vcpus: 1, rootGb: 1, ephemeralGb: 0 },
  { name: 'm1.small', flavorId: '2', instanceTypeId: 5, memoryMb: 2048, vcpus: 1, rootGb: 20, ephemeralGb: 0 },
  { name: 'm1.medium', flavorId: '3', instanceTypeId: 1, memoryMb: 4096, vcpus: 2, rootGb: 40, ephemeralGb: 0 },
  { name: 'm1.large', flavorId: '4', instanceTypeId: 3, memoryMb: 8192, vcpus: 4, rootGb: 80, ephemeralGb: 0 },
];
export const NAMES = ['web', 'db', 'app', 'cache', 'worker', 'batch', 'ci-runner', 'gateway'];
export const CONTROLLERS = ['ctl-01.example.org', 'ctl-02.example.org', 'ctl-03.example.org'];

export const IMAGE_NAMES = ['cirros-0.6.2', 'ubuntu-24.04', 'debian-12', 'rocky-9'];

export interface Cloud {
  readonly computeHosts: readonly string[];
  /** The audit runs as a periodic task under the service's own admin credentials. */
  readonly serviceUser: { readonly userId: string; readonly projectId: string };
  /** A new server request (building/scheduling, no host yet). */
  newInstance(serial: number, t: number): InstanceState;
  /** A fresh request: new request id and token. */
  context(userId: string, projectId: string, admin: boolean, t: number): RequestContext;
}

/** `rng` makes the choices, `entities` the identifiers (see model.ts on why two streams). */
export function createCloud(hosts: number, rng: Rng, entities: Rng): Cloud {
  const computeHosts = Array.from({ length: hosts }, (_, n) => `cmp-${String(n + 1).padStart(3, '0')}.example.org`);
  const images: Image[] = IMAGE_NAMES.map((name) => ({ id: entities.uuid(), name }));
  const projects = Array.from({ length: 6 }, () => ({
    id: entities.hex(32),
    users: Array.from({ length: entities.int(1, 3) }, () => entities.hex(32)),
  }));
  const serviceUser = { userId: entities.hex(32), projectId: entities.hex(32) };

  return {
    computeHosts,
    serviceUser,
    newInstance(serial, t) {
      const project = rng.pick(projects);
      return {
        uuid: entities.uuid(),
        displayName: `${rng.pick(NAMES)}-${String(serial).padStart(2, '0')}`,
        tenantId: project.id,
        userId: rng.pick(project.users),
        reservationId: `r-${entities.hex(8)}`,
        host: null,
        node: null,
        flavor: rng.pick(FLAVORS),
        image: rng.pick(images),
        state: 'building',
        taskState: 'scheduling',
        powerState: 'pending',
        createdAt: t,
        launchedAt: null,
        updatedAt: null,
        terminatedAt: null,
        deletedAt: null,
        ip: `10.0.${entities.int(0, 255)}.${entities.int(2, 254)}`,
        mac: `fa:16:3e:${entities.hex(2)}:${entities.hex(2)}:${entities.hex(2)}`,
        portId: entities.uuid(),
      };
    },
    context: (userId, projectId, admin, t) => ({
      requestId: `req-${entities.uuid()}`,
      userId,
      projectId,
      authToken: fakeAuthToken(entities),
      roles: admin ? ['admin'] : ['member', 'reader'],
      isAdmin: admin,
      remoteAddress: `192.0.2.${entities.int(10, 250)}`,
      timestamp: t,
    }),
  };
}
