import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { rabbitmqctl } from '../support/vhost.js';

const TEST_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

test('the shared-broker rabbitmqctl refuses commands that change the node, before running anything', () => {
  for (const command of ['stop_app', 'start_app', 'stop', 'set_vm_memory_high_watermark', 'add_user', 'set_policy', 'eval']) {
    assert.throws(() => rabbitmqctl(command), /would change the shared broker: run it on a node of the test's own/, command);
  }
});

test('no test runs rabbitmqctl on the shared broker except through that guard', () => {
  const offenders = sources(TEST_ROOT).filter((file) => {
    if (['vhost.ts', 'rabbitmq.ts', 'rabbit-nodes.ts'].some((f) => file.endsWith(path.join('support', f)))) return false;
    // A child process started on a RabbitMQ CLI tool, by any of node's ways (or a promisified `run`).
    return /\b(?:execFile|execFileSync|spawn|spawnSync|exec|execSync|run)\(\s*['"`](?:\/usr\/\S*\/)?rabbitmq(?:ctl|-plugins|-diagnostics|-queues|-server)\b/.test(
      readFileSync(file, 'utf8'),
    );
  });
  assert.deepEqual(offenders, []);
});
