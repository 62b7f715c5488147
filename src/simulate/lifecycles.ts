/**
 * What Nova emits for each user operation, step by step, as generators: an operation
 * yields NovaEvents (emitted at the current simulated time) and numbers (milliseconds to
 * wait before its next step). The model interleaves many such generators, which is how
 * notifications from concurrent operations on different hosts end up mixed on the bus.
 *
 * Updates follow notify_on_state_change=vm_state (one `update` per vm_state change, with
 * the task states it moved through), plus the task-only updates of a build, which Nova
 * also sends from the API and the compute manager.
 */
import type { Rng } from './random.js';
import type { Action, Fault, Flavor, InstanceState, NovaEvent, Phase, RequestContext, Service } from './types.js';

export type Lifecycle = Generator<NovaEvent | number, void, void>;

/** What the generators need from the model: time, randomness, topology. */
export interface World {
  /** Current simulated time, epoch ms. */
  readonly t: number;
  /** Structural decisions (delays, outcomes, picks). */
  readonly rng: Rng;
  readonly computeHosts: readonly string[];
  readonly controllers: readonly string[];
  readonly flavors: readonly Flavor[];
  /** A fresh request context on behalf of the instance owner. */
  userContext(i: InstanceState): RequestContext;
}

/** A running operation: the instance it holds and the context of the current request. */
interface Op {
  readonly w: World;
  readonly i: InstanceState;
  ctx: RequestContext;
}

/** Exceptions a build on a compute host fails with. */
const BUILD_FAULTS: readonly Fault[] = [
  {
    exception: 'BuildAbortException',
    message: 'Build of instance aborted: Failed to allocate the network(s), not rescheduling.',
    functionName: '_build_and_run_instance',
    moduleName: 'nova.compute.manager',
    code: 500,
  },
  {
    exception: 'FlavorDiskTooSmall',
    message: "The created instance's disk would be too small.",
    functionName: '_build_resources',
    moduleName: 'nova.compute.manager',
    code: 400,
  },
  {
    exception: 'PortBindingFailed',
    message: 'Binding failed for port, please check neutron logs for more information.',
    functionName: '_build_resources',
    moduleName: 'nova.compute.manager',
    code: 500,
  },
];

const NO_VALID_HOST: Fault = {
  exception: 'NoValidHost',
  // Nova 26's scheduler raises it with an empty reason (test/fixtures/zed-cloud).
  message: 'No valid host was found. ',
  functionName: '_schedule_instances',
  moduleName: 'nova.conductor.manager',
  code: 500,
};

function event(
  op: Op,
  action: Action,
  phase: Phase | undefined,
  service: Service,
  host: string,
  extra: Partial<NovaEvent> = {},
): NovaEvent {
  return {
    action,
    phase,
    priority: phase === 'error' ? 'ERROR' : 'INFO',
    service,
    publisherHost: host,
    // Snapshot: the generator keeps mutating the live instance after this event.
    instance: { ...op.i },
    at: op.w.t,
    context: op.ctx,
    ...extra,
  };
}

/** Moves the instance to a new vm_state/task_state and describes it as an `update`. */
function update(op: Op, service: Service, host: string, state: string, taskState: string | null): NovaEvent {
  const stateUpdate = { oldState: op.i.state, state, oldTaskState: op.i.taskState, newTaskState: taskState };
  op.i.state = state;
  op.i.taskState = taskState;
  op.i.updatedAt = op.w.t;
  return event(op, 'update', undefined, service, host, { stateUpdate });
}

/** Milliseconds to wait, uniform in [min, max]. */
const wait = (op: Op, min: number, max: number): number => op.w.rng.float(min, max);

const computeHost = (i: InstanceState): string => i.host ?? 'unknown';

export type BuildOutcome = 'ok' | 'compute_error' | 'schedule_error';

/** Boot: API scheduling update, then either a build on a compute host or NoValidHost. */
export function* create(w: World, i: InstanceState, outcome: BuildOutcome): Lifecycle {
  const op: Op = { w, i, ctx: w.userContext(i) };
  const ctl = w.rng.pick(w.controllers);
  i.createdAt = w.t;
  // The API records the new instance (building/scheduling) before any host is chosen.
  yield event(op, 'update', undefined, 'api', ctl, {
    stateUpdate: { oldState: 'building', state: 'building', oldTaskState: 'scheduling', newTaskState: 'scheduling' },
  });
  yield wait(op, 500, 3000);
  if (outcome === 'schedule_error') {
    // As Nova 26 does it: the conductor saves the instance in error (an update published as
    // `compute` from the conductor's host), then reports NoValidHost.
    yield update(op, 'compute', ctl, 'error', null);
    yield wait(op, 10, 100);
    yield event(op, 'schedule', 'error', 'compute_task', ctl, { fault: NO_VALID_HOST });
    return;
  }
  const host = w.rng.pick(w.computeHosts);
  i.host = host;
  i.node = host;
  i.taskState = null;
  yield event(op, 'create', 'start', 'compute', host);
  yield wait(op, 1000, 8000);
  // Networking ran without a vm_state change; the update shows it left that task.
  i.taskState = 'networking';
  yield update(op, 'compute', host, 'building', 'spawning');
  if (outcome === 'compute_error') {
    yield wait(op, 3000, 60_000);
    yield event(op, 'create', 'error', 'compute', host, { fault: w.rng.pick(BUILD_FAULTS) });
    yield wait(op, 10, 200);
    yield update(op, 'compute', host, 'error', null);
    return;
  }
  // Build time: a few seconds to a few minutes (the exporter's build duration histogram).
  yield wait(op, 5000, 180_000);
  i.launchedAt = w.t;
  i.powerState = 'running';
  yield update(op, 'compute', host, 'active', null);
  yield wait(op, 50, 500);
  yield event(op, 'create', 'end', 'compute', host);
}

export function* remove(w: World, i: InstanceState): Lifecycle {
  const op: Op = { w, i, ctx: w.userContext(i) };
  // Never scheduled: the API deletes it itself (nova-api publishes, as in Nova's samples).
  const [service, host]: [Service, string] = i.host === null ? ['api', w.rng.pick(w.controllers)] : ['compute', i.host];
  i.taskState = 'deleting';
  yield event(op, 'delete', 'start', service, host);
  yield wait(op, 1000, 5000);
  i.terminatedAt = w.t;
  i.powerState = 'pending';
  yield update(op, service, host, 'deleted', null);
  yield wait(op, 200, 2000);
  i.deletedAt = w.t;
  yield event(op, 'delete', 'end', service, host);
}

export function* reboot(w: World, i: InstanceState): Lifecycle {
  const op: Op = { w, i, ctx: w.userContext(i) };
  const host = computeHost(i);
  i.taskState = 'reboot_started';
  yield event(op, 'reboot', 'start', 'compute', host);
  yield wait(op, 5000, 40_000);
  i.taskState = null;
  i.updatedAt = w.t;
  yield event(op, 'reboot', 'end', 'compute', host);
}

/** power_off (active → stopped) or power_on (stopped → active). */
export function* power(w: World, i: InstanceState, on: boolean): Lifecycle {
  const op: Op = { w, i, ctx: w.userContext(i) };
  const host = computeHost(i);
  const action = on ? 'power_on' : 'power_off';
  i.taskState = on ? 'powering-on' : 'powering-off';
  yield event(op, action, 'start', 'compute', host);
  yield wait(op, 2000, 15_000);
  i.powerState = on ? 'running' : 'shutdown';
  yield update(op, 'compute', host, on ? 'active' : 'stopped', null);
  yield wait(op, 50, 300);
  yield event(op, action, 'end', 'compute', host);
}

/**
 * Resize to another flavor (and, with several hosts, another host): prep on the target,
 * migrate from the source, finish on the target, then the user confirms.
 */
export function* resize(w: World, i: InstanceState): Lifecycle {
  const op: Op = { w, i, ctx: w.userContext(i) };
  const source = computeHost(i);
  const others = w.computeHosts.filter((h) => h !== source);
  const target = others.length > 0 ? w.rng.pick(others) : source;
  const choices = w.flavors.filter((f) => f.flavorId !== i.flavor.flavorId);
  const newFlavor = choices.length > 0 ? w.rng.pick(choices) : i.flavor;

  i.taskState = 'resize_prep';
  yield event(op, 'resize_prep', 'start', 'compute', target, { newFlavor });
  yield wait(op, 200, 1000);
  yield event(op, 'resize_prep', 'end', 'compute', target, { newFlavor });
  yield wait(op, 500, 2000);
  i.taskState = 'resize_migrating';
  yield event(op, 'resize', 'start', 'compute', source);
  yield wait(op, 5000, 60_000);
  i.taskState = 'resize_migrated';
  yield event(op, 'resize', 'end', 'compute', source);
  yield wait(op, 500, 2000);
  i.host = target;
  i.node = target;
  i.flavor = newFlavor;
  i.taskState = 'resize_finish';
  yield event(op, 'resize_finish', 'start', 'compute', target);
  yield wait(op, 2000, 20_000);
  yield update(op, 'compute', target, 'resized', null);
  yield wait(op, 50, 300);
  yield event(op, 'resize_finish', 'end', 'compute', target);

  // The user checks the server and confirms: a new request.
  yield wait(op, 30_000, 300_000);
  op.ctx = w.userContext(i);
  yield event(op, 'resize_confirm', 'start', 'compute', target);
  yield wait(op, 1000, 5000);
  yield update(op, 'compute', target, 'active', null);
  yield wait(op, 50, 300);
  yield event(op, 'resize_confirm', 'end', 'compute', target);
}
