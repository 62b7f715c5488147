import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildConfig } from '../../src/config/config.js';
import { envName, flagsFor } from '../../src/config/flags.js';
import { REPO_ROOT } from '../support/queries.js';

/**
 * deploy/systemd checked by Debian's systemd: `systemd-analyze verify` (no warning at all)
 * and its offline security review. The unit's ExecStart names where `npm install -g` puts
 * the command; the copy checked here runs this checkout's CLI instead, since verify needs
 * the executable to exist.
 */

const run = promisify(execFile);
const UNIT = 'openstack-notification-exporter.service';
const SOCKET = 'openstack-notification-exporter.socket';
const DIR = path.join(REPO_ROOT, 'deploy', 'systemd');

async function analyze(...args: string[]): Promise<{ code: number; output: string }> {
  return run('systemd-analyze', args, { timeout: 60_000 }).then(
    (r) => ({ code: 0, output: `${r.stdout}${r.stderr}` }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
}

describe('deploy/systemd', () => {
  let dir: string;
  let unit: string;
  const write = async (text: string): Promise<string> => {
    const file = path.join(dir, UNIT);
    await writeFile(file, text);
    return file;
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'osne-systemd-'));
    unit = await readFile(path.join(DIR, UNIT), 'utf8');
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const runnable = (text: string): string => {
    assert.match(text, /^ExecStart=\/usr\/local\/bin\/openstack-notification-exporter serve$/m);
    return text.replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} --import tsx ${path.join(REPO_ROOT, 'src', 'cli.ts')} serve`);
  };

  test('systemd-analyze verify passes without a single warning', async () => {
    const r = await analyze('verify', await write(runnable(unit)));
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output, '');
  });

  test('the .socket variant passes systemd-analyze verify with its service, without a warning', async () => {
    const socket = await readFile(path.join(DIR, SOCKET), 'utf8');
    await write(runnable(unit));
    const file = path.join(dir, SOCKET);
    await writeFile(file, socket);
    const r = await analyze('verify', file, path.join(dir, UNIT));
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output, '');
    assert.match(socket, /^ListenStream=9851$/m, 'the port of --web.listen-address');
    assert.match(socket, /^Accept=no$/m, 'one exporter for every connection');
    assert.match(socket, /^#\s+echo WEB_SYSTEMD_SOCKET=true >> \/etc\/default\/openstack-notification-exporter$/m);
    const broken = await analyze(
      'verify',
      await writeFile(file, socket.replace(/^ListenStream=.*$/m, 'ListenStream=bogus:x')).then(() => file),
    );
    assert.match(broken.output, /Failed to parse address value/);
  });

  test('the check would see a broken unit (verify is not a no-op here)', async () => {
    const r = await analyze('verify', await write(runnable(unit).replace(/^ProtectSystem=strict$/m, 'ProtectSystem=bogus')));
    assert.match(r.output, /Failed to parse protect system value/);
  });

  test('hardened: systemd rates its exposure OK (below 2.0 of 10)', async () => {
    for (const setting of [
      'DynamicUser=yes',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'CapabilityBoundingSet=',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
      'SystemCallFilter=@system-service',
    ]) {
      assert.match(unit, new RegExp(`^${setting.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), setting);
    }
    const r = await analyze('security', '--offline=yes', await write(runnable(unit)));
    const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.output)?.[1]);
    assert.ok(score < 2, `exposure ${score}\n${r.output.slice(-3000)}`);
  });

  test('the environment file example is a valid configuration for serve, with only known variables', async () => {
    const text = await readFile(path.join(DIR, 'openstack-notification-exporter.env'), 'utf8');
    const env: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) env[m[1] as string] = m[2] as string;
    }
    const known = new Set(flagsFor('serve').map(envName));
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is no flag of serve`);
    assert.match(env['AMQP_URL'] ?? '', /^rabbit:\/\//);
    const config = buildConfig({}, env);
    assert.equal(config.amqp.address.hosts.length, 3);
    assert.equal(config.log.format, 'logfmt');
    assert.match(unit, /^EnvironmentFile=\/etc\/default\/openstack-notification-exporter$/m);
  });
});
