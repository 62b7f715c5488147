/**
 * RabbitMQ nodes of a test's own, for what must never happen to the shared broker:
 * restarting it, blocking it with a memory alarm, clustering it, cutting a node away.
 * Each node has its own name, AMQP and distribution ports, data, log and PID files; all
 * share one Erlang cookie in a HOME of their own, so they can cluster and the CLI can
 * drive them. cleanup() stops them and deletes everything; a process exit without it
 * (a crashed test file) still kills them.
 *
 * Debian's `rabbitmq-server` wrapper switches to the rabbitmq user and drops the
 * environment, so the nodes run the scripts under /usr/lib/rabbitmq/bin directly, as root.
 *
 * With `rabbitmq: 4` the nodes run RabbitMQ 4.0 from the Debian 13 chroot at
 * RABBITMQ4_ROOT (DESIGN.md): their files live under its /tmp, and the nodes of one group
 * share an epmd of their own on a port of their own (ERL_EPMD_PORT), so they find each other
 * and never meet the host's epmd or another group's.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);
const BIN = '/usr/lib/rabbitmq/bin';
/** Where RabbitMQ 4.0 (Debian 13) is installed for the tests; OSNE_RABBITMQ4_ROOT overrides it. */
export const RABBITMQ4_ROOT = process.env['OSNE_RABBITMQ4_ROOT'] ?? '/var/lib/osne/rabbitmq4-trixie';

export interface NodeOptions {
  readonly cluster?: boolean;
  /** 4: RabbitMQ 4.0 from the chroot at RABBITMQ4_ROOT; the host's (3.10) otherwise. */
  readonly rabbitmq?: 3 | 4;
}

/** Where a group's nodes run: the host, or a chroot with an epmd of the group's own. */
interface Place {
  readonly root: string | undefined;
  readonly epmdPort: number | undefined;
  /** A path inside the place as the host sees it. */
  outside(inner: string): string;
  /** Runs one of RabbitMQ's scripts (or a program by absolute path) there. */
  exec(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeout: number): Promise<{ stdout: string }>;
}

function placeFor(root: string | undefined, epmdPort: number | undefined): Place {
  return {
    root,
    epmdPort,
    outside: (inner) => (root ? path.join(root, inner) : inner),
    exec: (script, args, env, timeout) => {
      const command = script.startsWith('/') ? script : `${BIN}/${script}`;
      return root ? run('chroot', [root, command, ...args], { env, timeout }) : run(command, [...args], { env, timeout });
    },
  };
}
const BOOT_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 60_000;

export interface RabbitNode {
  /** `osne-<id>-<n>@<host>`, as rabbitmqctl -n and join_cluster want it. */
  readonly name: string;
  /** AMQP port on 127.0.0.1. */
  readonly port: number;
  readonly distPort: number;
  /** `amqp://guest:guest@127.0.0.1:<port>/` plus the vhost given (default `/`). */
  url(vhost?: string): string;
  /** `rabbitmqctl -q -n <node> ...args`; resolves with its stdout. */
  ctl(...args: string[]): Promise<string>;
  /** Stops the whole node (the Erlang VM), waiting until its process is gone; data is kept. */
  stop(): Promise<void>;
  /** Starts a stopped node again on the same ports and data, and waits until it serves. */
  start(): Promise<void>;
  readonly running: boolean;
}

export interface RabbitNodes {
  readonly nodes: readonly RabbitNode[];
  /** Stops every node and deletes their directories. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** Every base directory and node still alive, for the exit hook. */
const live = new Set<{ base: string; pids: () => number[] }>();
function killAll(): void {
  for (const { base, pids } of live) {
    for (const pid of pids()) killQuietly(pid);
    rmSync(base, { recursive: true, force: true });
  }
  live.clear();
}
process.once('exit', killAll);
// A test runner that gives up on a file signals it: clean up, then die of the signal as before.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Whether a process with this pid still runs. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Node implements RabbitNode {
  running = false;

  /** `dir`, `home` and `pluginsFile` are paths as the node sees them (inside its place). */
  constructor(
    readonly name: string,
    readonly port: number,
    readonly distPort: number,
    private readonly dir: string,
    private readonly home: string,
    private readonly pluginsFile: string,
    private readonly place: Place = placeFor(undefined, undefined),
  ) {}

  url(vhost = '/'): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/${vhost === '/' ? '' : encodeURIComponent(vhost)}`;
  }

  get pidFile(): string {
    return path.join(this.dir, 'rabbit.pid');
  }

  pid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.place.outside(this.pidFile), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private env(): NodeJS.ProcessEnv {
    // Nothing inherited but PATH and the locale: a RABBITMQ_* of the caller must not leak in.
    return {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      HOME: this.home,
      RABBITMQ_NODENAME: this.name,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: path.join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(this.dir, 'log'),
      RABBITMQ_PID_FILE: this.pidFile,
      RABBITMQ_ENABLED_PLUGINS_FILE: this.pluginsFile,
      RABBITMQ_CONFIG_FILE: path.join(this.dir, 'rabbitmq.conf'),
      ...(this.place.epmdPort ? { ERL_EPMD_PORT: String(this.place.epmdPort) } : {}),
    };
  }

  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await this.place.exec('rabbitmqctl', ['-q', '-n', this.name, ...args], this.env(), BOOT_TIMEOUT_MS);
    return stdout;
  }

  async start(): Promise<void> {
    await this.place.exec('rabbitmq-server', ['-detached'], this.env(), 30_000);
    this.running = true;
    // await_startup fails at once while the node has not registered with epmd yet.
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      try {
        await this.ctl('await_startup', '--timeout', '60');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`node ${this.name} did not start:\n${this.logTail()}\n${String(err)}`);
        await delay(250);
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const pid = this.pid();
    // With the PID file, `stop` returns only once the VM has exited.
    await this.ctl('stop', this.pidFile).catch(() => undefined);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (pid !== undefined && alive(pid) && Date.now() < deadline) await delay(100);
    if (pid !== undefined && alive(pid)) killQuietly(pid);
    this.running = false;
  }

  logTail(): string {
    try {
      return readFileSync(this.place.outside(path.join(this.dir, 'log', `${this.name}.log`)), 'utf8')
        .split('\n')
        .slice(-30)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/**
 * Starts `count` fresh nodes (in parallel) and, with `cluster`, joins the others to the
 * first. The guest user works on each, from 127.0.0.1 only, as on a default broker.
 */
export async function startNodes(count: number, options: NodeOptions = {}): Promise<RabbitNodes> {
  const four = options.rabbitmq === 4;
  if (four && !existsSync(path.join(RABBITMQ4_ROOT, BIN.slice(1), 'rabbitmq-server'))) {
    throw new Error(`RabbitMQ 4 is not installed at ${RABBITMQ4_ROOT} (DESIGN.md: debootstrap --include=rabbitmq-server trixie)`);
  }
  const place = placeFor(four ? RABBITMQ4_ROOT : undefined, four ? await freePort() : undefined);
  const base = mkdtempSync(place.outside(path.join(four ? '/tmp' : tmpdir(), 'osne-rabbit-')));
  const inner = four ? base.slice(RABBITMQ4_ROOT.length) : base;
  const home = path.join(base, 'home');
  mkdirSync(home);
  const cookie = path.join(home, '.erlang.cookie');
  writeFileSync(cookie, randomBytes(20).toString('hex').toUpperCase());
  chmodSync(cookie, 0o400);
  const pluginsFile = path.join(base, 'enabled_plugins');
  writeFileSync(pluginsFile, '[].\n');

  const id = randomBytes(3).toString('hex');
  // Inside the chroot only localhost is sure to resolve.
  const host = four ? 'localhost' : (hostname().split('.')[0] as string);
  // Defaults, guest from loopback only. (RabbitMQ 4 refuses to join a node that denies a
  // deprecated feature its cluster permits, so the feature flags stay at their defaults.)
  const conf = '# a test node of its own: defaults, guest from loopback only\n';
  const nodes: Node[] = [];
  for (let i = 1; i <= count; i++) {
    mkdirSync(path.join(base, `node${i}`));
    writeFileSync(path.join(base, `node${i}`, 'rabbitmq.conf'), conf);
    nodes.push(
      new Node(
        `osne-${id}-${i}@${host}`,
        await freePort(),
        await freePort(),
        path.join(inner, `node${i}`),
        path.join(inner, 'home'),
        path.join(inner, 'enabled_plugins'),
        place,
      ),
    );
  }
  const stopEpmd = () => {
    if (!place.epmdPort) return Promise.resolve();
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ERL_EPMD_PORT: String(place.epmdPort) };
    return place.exec('/usr/bin/epmd', ['-kill'], env, 10_000).then(
      () => undefined,
      () => undefined,
    );
  };
  const entry = { base, pids: () => nodes.filter((n) => n.running).flatMap((n) => n.pid() ?? []) };
  live.add(entry);

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(nodes.map((n) => n.stop()));
    await stopEpmd();
    rmSync(base, { recursive: true, force: true });
    live.delete(entry);
  };

  try {
    await Promise.all(nodes.map((n) => n.start()));
    if (options.cluster) {
      const [first, ...others] = nodes as [Node, ...Node[]];
      for (const node of others) {
        await node.ctl('stop_app');
        await node.ctl('join_cluster', first.name);
        await node.ctl('start_app');
        await node.ctl('await_startup', '--timeout', '60');
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { nodes, cleanup };
}

/**
 * For a describe(): nodes started before its tests and removed after them, failed or not.
 * Read `nodes` once the tests run.
 */
export function ownNodes(count: number, options: NodeOptions = {}): { readonly nodes: readonly RabbitNode[] } {
  let started: RabbitNodes | undefined;
  const view = {
    get nodes(): readonly RabbitNode[] {
      if (!started) throw new Error('the nodes are not started yet (read them inside a test)');
      return started.nodes;
    },
  };
  before(async () => {
    started = await startNodes(count, options);
  });
  after(async () => {
    await started?.cleanup();
  });
  return view;
}

/** The node that leads (quorum) or runs (classic) the queue, as the cluster reports it. */
export async function nodeLeadingQueue(node: RabbitNode, queue: string, vhost = '/'): Promise<string | undefined> {
  // The table output, not JSON: only it prints a classic queue's pid with its node (<name@host.1.2.3>).
  const out = await node.ctl('list_queues', '-p', vhost, '--no-table-headers', 'name', 'leader', 'pid');
  for (const line of out.split('\n')) {
    const [name, leader, pid] = line.split('\t');
    if (name !== queue) continue;
    if (leader) return leader;
    return /^<([^@]+@[^.>]+)/.exec(pid ?? '')?.[1];
  }
  return undefined;
}
