import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { eventually } from './exporter.js';

export interface Daemon {
  /** SIGTERM (SIGKILL after 5 s), then its temp dir removed. */
  stop(): Promise<void>;
}

/**
 * A server binary of Debian's (Prometheus, Alertmanager) run from a temp dir of the test's
 * own, awaited until `readyUrl` answers 2xx; on failure it is stopped and the error names
 * its last words on stderr.
 */
export async function startDaemon(name: string, bin: string, args: readonly string[], dir: string, readyUrl: string): Promise<Daemon> {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${stderr}`);
        const res = await fetch(readyUrl);
        if (!res.ok) throw new Error(`${name} not ready: ${res.status}`);
      },
      20_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
