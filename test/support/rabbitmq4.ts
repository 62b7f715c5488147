/**
 * RabbitMQ 4 (what kolla-ansible and openstack-helm deploy now) on a Debian 12 machine:
 * Debian 13's rabbitmq-server in a chroot made by debootstrap, each node on ports of its
 * own so it never meets the host's RabbitMQ 3 (its own epmd port too). The one recipe for
 * `scripts/rabbitmq4` (the node CI runs the broker tests on) and for tests that start RabbitMQ 4
 * nodes of their own. Needs root (chroot, mount).
 *
 * Nodes are named `<name>@localhost`; all nodes of one chroot share one Erlang cookie (a
 * HOME inside the chroot), so they can cluster and the CLI can drive each of them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);
const BIN = '/usr/lib/rabbitmq/bin';
const BOOT_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 60_000;

/** Where the Debian 13 chroot lives (RABBITMQ4_ROOT overrides it). Kept between runs: making it takes minutes. */
export const RABBITMQ4_ROOT = process.env['RABBITMQ4_ROOT'] ?? '/var/lib/osne/rabbitmq4-trixie';
/** Inside the chroot: the shared HOME (the cookie) and one directory per node. */
const STATE_DIR = '/var/lib/osne-rmq4';
const HOME_DIR = `${STATE_DIR}/home`;

export interface Rabbitmq4NodeSpec {
  /** The node is `<name>@localhost`; its data lives in the chroot under /var/lib/osne-rmq4/<name>. */
  readonly name: string;
  readonly amqpPort: number;
  readonly distPort: number;
  /** The chroot's own epmd: nodes meant to cluster must share it; never 4369 (the host's). */
  readonly epmdPort: number;
  /** With the management plugin on this port (127.0.0.1), else none. */
  readonly managementPort?: number;
  /** More rabbitmq.conf lines. */
  readonly extraConfig?: readonly string[];
  readonly root?: string;
}

/**
 * What RabbitMQ 4.3 will deny, denied now: oslo's transient non-exclusive queues and global
 * QoS. A test that passes here keeps passing there.
 */
export const RABBITMQ4_DENIED_FEATURES = [
  'deprecated_features.permit.transient_nonexcl_queues = false',
  'deprecated_features.permit.global_qos = false',
] as const;

export interface Rabbitmq4Node {
  /** `<name>@localhost`, as rabbitmqctl -n and join_cluster want it. */
  readonly nodeName: string;
  readonly spec: Rabbitmq4NodeSpec;
  /** `amqp://guest:guest@127.0.0.1:<port>/` plus the vhost given (default `/`). */
  url(vhost?: string): string;
  /** `http://guest:guest@127.0.0.1:<port>` when the management plugin is on. */
  readonly managementUrl: string | undefined;
  /** `rabbitmqctl -q -n <node> ...args` inside the chroot; resolves with its stdout. */
  ctl(...args: string[]): Promise<string>;
  /** The node's OS pid from its pid file (a host pid: the chroot shares the process table). */
  pid(): number | undefined;
  /** Starts it (the data is kept between starts) and waits until it serves. */
  start(): Promise<void>;
  /** Stops it by its pid and waits until the process is gone; the data is kept. */
  stop(): Promise<void>;
  /** The last lines of its log, for an error message. */
  logTail(): string;
}

/** Makes the chroot with debootstrap when it is missing (minutes, ~400 MB); then mounts /proc and /dev into it. */
export async function ensureChroot(root = RABBITMQ4_ROOT): Promise<void> {
  if (!existsSync(path.join(root, BIN.slice(1), 'rabbitmq-server'))) {
    await run('debootstrap', ['--variant=minbase', '--include=rabbitmq-server', 'trixie', root], {
      timeout: 30 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  for (const dir of ['proc', 'dev']) {
    const target = path.join(root, dir);
    // mountpoint exits 0 when something is mounted there already.
    const mounted = await run('mountpoint', ['-q', target]).then(
      () => true,
      () => false,
    );
    if (!mounted) await run('mount', ['--bind', `/${dir}`, target]);
  }
}

/** Whether the chroot holds RabbitMQ (made and not half-made). */
export function chrootReady(root = RABBITMQ4_ROOT): boolean {
  return existsSync(path.join(root, BIN.slice(1), 'rabbitmq-server'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handle on one node of the chroot; start() starts it. */
export function rabbitmq4Node(spec: Rabbitmq4NodeSpec): Rabbitmq4Node {
  const root = spec.root ?? RABBITMQ4_ROOT;
  const nodeName = `${spec.name}@localhost`;
  const dir = `${STATE_DIR}/${spec.name}`;
  const host = (p: string): string => path.join(root, p.slice(1));
  const pidFile = `${dir}/rabbit.pid`;
  const env = (): string[] => [
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    'LANG=C.UTF-8',
    `HOME=${HOME_DIR}`,
    `ERL_EPMD_PORT=${spec.epmdPort}`,
    `RABBITMQ_NODENAME=${nodeName}`,
    `RABBITMQ_NODE_PORT=${spec.amqpPort}`,
    `RABBITMQ_DIST_PORT=${spec.distPort}`,
    `RABBITMQ_MNESIA_BASE=${dir}/mnesia`,
    `RABBITMQ_LOG_BASE=${dir}/log`,
    `RABBITMQ_PID_FILE=${pidFile}`,
    `RABBITMQ_ENABLED_PLUGINS_FILE=${dir}/enabled_plugins`,
    `RABBITMQ_CONFIG_FILE=${dir}/rabbitmq.conf`,
  ];
  const inChroot = (command: string, args: readonly string[], timeout: number) =>
    run('chroot', [root, '/usr/bin/env', '-i', ...env(), command, ...args], { timeout });
  const pid = (): number | undefined => {
    try {
      const n = Number(readFileSync(host(pidFile), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const node: Rabbitmq4Node = {
    nodeName,
    spec,
    url: (vhost = '/') => `amqp://guest:guest@127.0.0.1:${spec.amqpPort}/${vhost === '/' ? '' : encodeURIComponent(vhost)}`,
    managementUrl: spec.managementPort === undefined ? undefined : `http://guest:guest@127.0.0.1:${spec.managementPort}`,
    async ctl(...args) {
      return (await inChroot(`${BIN}/rabbitmqctl`, ['-q', '-n', nodeName, ...args], BOOT_TIMEOUT_MS)).stdout;
    },
    pid,
    async start() {
      const running = pid();
      if (running !== undefined && alive(running)) return;
      writeNodeFiles(host, dir, spec);
      await inChroot(`${BIN}/rabbitmq-server`, ['-detached'], 30_000);
      // await_startup fails at once while the node has not registered with its epmd yet.
      const deadline = Date.now() + BOOT_TIMEOUT_MS;
      for (;;) {
        try {
          await node.ctl('await_startup', '--timeout', '60');
          return;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`RabbitMQ 4 node ${nodeName} did not start:\n${node.logTail()}\n${String(err)}`);
          await delay(250);
        }
      }
    },
    async stop() {
      const running = pid();
      if (running === undefined || !alive(running)) return;
      process.kill(running, 'SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (alive(running) && Date.now() < deadline) await delay(100);
      if (alive(running)) process.kill(running, 'SIGKILL');
      // The chroot's epmd goes too once no node is registered with it (it refuses while one is).
      await inChroot('/usr/bin/epmd', ['-port', String(spec.epmdPort), '-kill'], 10_000).catch(() => undefined);
    },
    logTail() {
      try {
        return readFileSync(host(`${dir}/log/${nodeName}.log`), 'utf8')
          .split('\n')
          .slice(-30)
          .join('\n');
      } catch {
        return '(no log)';
      }
    },
  };
  return node;
}

function writeNodeFiles(host: (p: string) => string, dir: string, spec: Rabbitmq4NodeSpec): void {
  mkdirSync(host(dir), { recursive: true });
  mkdirSync(host(HOME_DIR), { recursive: true });
  const cookie = host(`${HOME_DIR}/.erlang.cookie`);
  if (!existsSync(cookie)) {
    writeFileSync(cookie, randomBytes(20).toString('hex').toUpperCase());
    chmodSync(cookie, 0o400);
  }
  writeFileSync(host(`${dir}/enabled_plugins`), spec.managementPort === undefined ? '[].\n' : '[rabbitmq_management].\n');
  const lines = [
    `listeners.tcp.default = 127.0.0.1:${spec.amqpPort}`,
    // guest from 127.0.0.1 only, as on a default broker: the listener is bound there.
    'loopback_users = none',
    ...(spec.managementPort === undefined ? [] : [`management.tcp.port = ${spec.managementPort}`, 'management.tcp.ip = 127.0.0.1']),
    ...RABBITMQ4_DENIED_FEATURES,
    ...(spec.extraConfig ?? []),
  ];
  writeFileSync(host(`${dir}/rabbitmq.conf`), `${lines.join('\n')}\n`);
}

/**
 * The node the broker tests run on when TEST_RABBITMQ=4 (started by `scripts/rabbitmq4 up`).
 * Its ports can be moved with RABBITMQ4_AMQP_PORT and friends.
 */
export function sharedRabbitmq4(): Rabbitmq4Node {
  const port = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
  return rabbitmq4Node({
    name: 'osne-rmq4',
    amqpPort: port('RABBITMQ4_AMQP_PORT', 5673),
    managementPort: port('RABBITMQ4_MANAGEMENT_PORT', 15673),
    distPort: port('RABBITMQ4_DIST_PORT', 25673),
    epmdPort: port('RABBITMQ4_EPMD_PORT', 4373),
  });
}

/**
 * For a describe(): a RabbitMQ 4 node of the test's own (fresh name, free ports, the
 * management plugin on), started before its tests and stopped and deleted after them.
 * Needs the chroot (`scripts/rabbitmq4 up` makes it). Read `node` once the tests run.
 */
export function ownRabbitmq4Node(extraConfig: readonly string[] = []): { readonly node: Rabbitmq4Node } {
  let started: Rabbitmq4Node | undefined;
  before(async () => {
    if (!chrootReady()) throw new Error(`no RabbitMQ 4 chroot in ${RABBITMQ4_ROOT}: run scripts/rabbitmq4 up once (as root)`);
    await ensureChroot();
    const [amqpPort, distPort, epmdPort, managementPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const name = `osne-${randomBytes(3).toString('hex')}`;
    started = rabbitmq4Node({ name, amqpPort, distPort, epmdPort, managementPort, extraConfig });
    ownNodes.add(started);
    await started.start();
  });
  after(async () => {
    if (!started) return;
    await started.stop();
    rmSync(path.join(RABBITMQ4_ROOT, STATE_DIR.slice(1), started.spec.name), { recursive: true, force: true });
    ownNodes.delete(started);
  });
  return {
    get node(): Rabbitmq4Node {
      if (!started) throw new Error('the RabbitMQ 4 node is not started yet (read it inside a test)');
      return started;
    },
  };
}

/** Nodes of tests still running: killed if the process exits without its after() (a crashed test file). */
const ownNodes = new Set<Rabbitmq4Node>();
process.once('exit', () => {
  for (const node of ownNodes) {
    const pid = node.pid();
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
