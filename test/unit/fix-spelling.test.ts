import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FIX_FLAG, NOVA_SENDS_NOTHING_HINT } from '../../src/commands/check-verdicts.js';
import { FLAGS } from '../../src/config/flags.js';
import { REPO_ROOT } from '../support/queries.js';

// check's flag that declares what is missing is spelt one way in every doc and hint: `--fix`,
// the form `check --help` shows. docs/flags.md alone lists both spellings (its table).

const files = (dir: string, ext: string): string[] =>
  readdirSync(path.join(REPO_ROOT, dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => path.join(dir, f));

test('hints name the flag as --fix, a spelling the CLI accepts', () => {
  assert.equal(FIX_FLAG, '--fix');
  assert.equal(FLAGS['check.fix'].short, 'fix');
  assert.match(NOVA_SENDS_NOTHING_HINT, /run check --fix with --nova.config-file to declare it now/);
});

test('the README, docs and check itself say --fix, never --check.fix', () => {
  const spelt = [
    'README.md',
    ...files('docs', '.md').filter((f) => f !== path.join('docs', 'flags.md')),
    ...files('src/commands', '.ts'),
  ].filter((f) => /--check\.fix/.test(readFileSync(path.join(REPO_ROOT, f), 'utf8')));
  assert.deepEqual(spelt, []);
});
