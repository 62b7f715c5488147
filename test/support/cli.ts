import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

/** The real CLI as a child process (`node --import tsx src/cli.ts ...`), its output collected. */
export interface CliRun {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the output seen so far once `pattern` shows up on the stream. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<string>;
  /** Exit code (a signal death reads as 128 + its number). */
  readonly exited: Promise<number>;
}

export function startCli(args: readonly string[], env: Record<string, string> = {}): CliRun {
  // No AMQP_* / NOVA_* from the developer's shell may change what a test runs.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AMQP|NOVA|TAIL|CHECK|SIMULATE|MANAGEMENT|LOG|WEB)_/.test(k)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; pattern: RegExp; resolve: (s: string) => void }[] = [];
  const feed = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    out[stream] += chunk.toString('utf8');
    for (const w of [...waiters]) {
      if (w.stream === stream && w.pattern.test(out[stream])) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out[stream]);
      }
    }
  };
  child.stdout?.on('data', feed('stdout'));
  child.stderr?.on('data', feed('stderr'));
  const exited = once(child, 'close').then(([code, signal]: unknown[]) =>
    typeof code === 'number' ? code : 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 9),
  );
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor(stream, pattern) {
      if (pattern.test(out[stream])) return Promise.resolve(out[stream]);
      return new Promise((resolve, reject) => {
        waiters.push({ stream, pattern, resolve });
        // A child that ends without printing it fails the test instead of hanging it.
        void exited.then(() =>
          reject(
            new Error(`exited without ${pattern} on ${stream}; stdout: ${out.stdout.slice(-2000)}; stderr: ${out.stderr.slice(-2000)}`),
          ),
        );
      });
    },
    exited,
  };
}

/** Runs the CLI to its end. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = startCli(args, env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
