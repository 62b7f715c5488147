import { spawn } from 'node:child_process';

/** Debian's interpreter: the python3 first on PATH lacks Debian's oslo.messaging. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./oslo_notify.py', import.meta.url).pathname;

export interface OsloSpec {
  readonly url: string;
  readonly exchange: string;
  readonly driver: 'messagingv2' | 'messaging';
  readonly publisher_id: string;
  readonly topics: readonly string[];
  readonly context: Record<string, unknown>;
  readonly notifications: readonly { priority: string; event_type: string; payload: unknown }[];
  /** How often oslo retries a send that failed (it then logs and drops it); oslo's default retries forever. */
  readonly retry?: number;
}

/** Runs the real oslo.messaging Notifier; rejects with its stderr if it fails. */
export function osloNotify(spec: OsloSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, [SCRIPT], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`oslo_notify.py exited ${code}: ${stderr}`))));
    child.stdin.end(JSON.stringify(spec));
  });
}
