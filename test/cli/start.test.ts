import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { test } from 'node:test';

// No broker is needed: the exporter listens first and keeps retrying the broker meanwhile.
test('npm start runs the exporter as the process npm signals: SIGTERM stops it cleanly', { timeout: 120_000 }, async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AMQP|NOVA|WEB|LOG)_/.test(k)));
  const npm = spawn('npm', ['start', '--silent', '--', '--web.listen-address', '127.0.0.1:0', '--amqp.url', 'amqp://u:p@127.0.0.1:1/'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout.on('data', (c: Buffer) => (out += c.toString()));
  npm.stderr.on('data', (c: Buffer) => (out += c.toString()));
  while (!/"msg":"listening"/.test(out)) await once(npm.stdout, 'data');
  npm.kill('SIGTERM');
  const [code] = (await once(npm, 'exit')) as [number | null];
  // The exporter itself got the signal (not an orphan left behind a dead shell).
  assert.match(out, /"msg":"shutting down"/);
  assert.equal(code, 0, out);
});

test('a second build with nothing changed writes nothing (npm start does not recompile)', { timeout: 120_000 }, async () => {
  const build = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('npm', ['run', 'build', '--silent'], { stdio: 'ignore' });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited ${code}`))));
    });
  await build();
  const before = statSync('dist/cli.js').mtimeMs;
  await build();
  assert.equal(statSync('dist/cli.js').mtimeMs, before);
});
