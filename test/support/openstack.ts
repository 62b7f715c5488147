/**
 * The real cloud of scripts/openstack-up for the openstack group: brought up in a /tmp
 * directory of its own on a vhost of its own, driven by test/openstack/drive.py (Debian's
 * openstacksdk), taken down by scripts/openstack-down.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from './broker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UP = join(ROOT, 'scripts', 'openstack-up');
const DOWN = join(ROOT, 'scripts', 'openstack-down');
const DRIVE = join(ROOT, 'test', 'openstack', 'drive.py');

export interface Cloud {
  /** amqp:// URL of the vhost every service notifies on (the script's last line). */
  readonly amqpUrl: string;
  /** Working directory: clouds.yaml (cloud `osne`) and the state directory. */
  readonly dir: string;
  /** The script's own account of its start: seconds in all and per service. */
  readonly startSeconds: number;
  /** Restarts Nova's services with another notification_format. */
  reformat(format: 'unversioned' | 'versioned' | 'both'): Promise<void>;
  drive<T>(what: 'nova' | 'services' | 'cleanup'): Promise<T>;
  down(): Promise<void>;
}

interface Result {
  readonly stdout: string;
  readonly stderr: string;
}

function exec(file: string, args: string[], cwd: string, timeoutMs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      // One line naming what failed: the script's own FAILED line, else the last line of stderr.
      const lines = stderr.trim().split('\n');
      const failed = lines.find((l) => l.includes('FAILED:')) ?? lines[lines.length - 1] ?? String(err);
      reject(new Error(`${file.slice(ROOT.length)} ${args[0] ?? ''}: ${failed}`));
    });
  });
}

export async function openstackUp(novaFormat: 'unversioned' | 'both' = 'unversioned'): Promise<Cloud> {
  const dir = await mkdtemp(join(tmpdir(), 'osne-cloud-'));
  const state = join(dir, 'state');
  const vhost = uniqueName('osne-cloud');
  const args = ['--dir', state, '--vhost', vhost];
  let up: Result;
  try {
    up = await exec(UP, [...args, '--nova-format', novaFormat], dir, 25 * 60_000);
  } catch (err) {
    await exec(DOWN, ['--dir', state, '--keep'], dir, 120_000).catch(() => undefined);
    throw err;
  }
  const lines = up.stdout.trim().split('\n');
  const amqpUrl = lines[lines.length - 1] ?? '';
  const seconds = /up in (\d+) s/.exec(up.stderr)?.[1];
  return {
    amqpUrl,
    dir,
    startSeconds: Number(seconds),
    async reformat(format) {
      await exec(UP, [...args, '--nova-format', format], dir, 10 * 60_000);
    },
    async drive<T>(what: 'nova' | 'services' | 'cleanup') {
      const r = await exec('/usr/bin/python3', [DRIVE, what], dir, 15 * 60_000);
      return JSON.parse(r.stdout) as T;
    },
    async down() {
      await exec(DOWN, ['--dir', state], dir, 300_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
