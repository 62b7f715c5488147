import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

// `check | head` and `mapping … | head`: when the reader of stdout goes, the command ends
// quietly (as one killed by SIGPIPE: status 141), with no EPIPE stack on stderr.

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const EXAMPLE = new URL('../../docs/examples/cinder-volume-create.jsonl', import.meta.url).pathname;

/**
 * Runs `node cli args | reader` through a real pipe; resolves with the CLI's status and
 * stderr. `readerFirst`: the CLI starts only once the reader has closed its end and gone.
 */
async function piped(args: readonly string[], reader: string, readerFirst = false): Promise<{ code: number; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'osne-pipe-'));
  try {
    const err = path.join(dir, 'stderr');
    const gone = path.join(dir, 'reader-gone');
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const wait = readerFirst ? `while [ ! -e ${quote(gone)} ]; do sleep 0.05; done; ` : '';
    // The CLI's status from inside the pipeline: sh reports only the last command's.
    const line = `${wait}${[process.execPath, '--import', 'tsx', CLI, ...args].map(quote).join(' ')} 2>${quote(err)}; echo $? >${quote(`${err}.code`)}`;
    const read = readerFirst ? `{ ${reader}; exec 0<&-; touch ${quote(gone)}; }` : reader;
    const sh = spawn('sh', ['-c', `{ ${line}; } | ${read}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, AMQP_URL: 'amqp://guest:guest@127.0.0.1:1/' },
    });
    await once(sh, 'close');
    return { code: Number(readFileSync(`${err}.code`, 'utf8')), stderr: readFileSync(err, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe('a closed pipe on stdout', () => {
  test('mapping … | head -n 1 ends quietly', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'osne-pipe-input-'));
    try {
      // Far more output than a pipe holds, so the writes go on after head has left.
      const input = path.join(dir, 'many.jsonl');
      writeFileSync(input, readFileSync(EXAMPLE, 'utf8').trim().concat('\n').repeat(2000));
      const r = await piped(['mapping', input], 'head -n 1');
      assert.equal(r.stderr, '');
      assert.equal(r.code, 141);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test('check | a reader that has gone ends quietly', async () => {
    // check starts after the reader has closed the pipe: every line it prints meets EPIPE.
    const r = await piped(['check', '--check.wait-seconds', '0'], 'true', true);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 141);
  });
});
