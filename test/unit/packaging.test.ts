import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/queries.js';

// docs/deployment.md installs the command from `npm pack`'s tarball in the checkout: git
// must not offer to commit it.

test('git ignores the tarball npm pack writes', () => {
  const { name, version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const tarball = `${name}-${version}.tgz`;
  // check-ignore exits 0 and names the file when a rule ignores it, 1 when none does.
  const ignored = execFileSync('git', ['check-ignore', '--no-index', tarball], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(ignored.trim(), tarball);
});
