import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { REPO_ROOT } from '../support/queries.js';

// One statement of the Node.js versions the exporter supports: package.json's engines, and the
// same words in the README and docs/deployment.md; and `npm ci` on any of them warns of no
// package's engines (EBADENGINE).

const STATEMENT = /Node\.js 20 \(20\.19 or later\), 22 \(22\.13 or later\) or newer/;

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

/** The first version of each line the statement names, and the next major ("or newer"). */
const named = ['20.19.0', '22.13.0', '24.0.0'];

test('the README and docs/deployment.md state the supported Node.js versions in the same words', () => {
  for (const file of ['README.md', 'docs/deployment.md']) {
    const text = read(file).replace(/\s+/g, ' ');
    assert.match(text, STATEMENT, file);
    // No second, different statement beside it.
    assert.doesNotMatch(text, /Node\.js \d+\+|needs Node\.js (?!20 \(20\.19)/, file);
  }
});

test("package.json's engines accept exactly what the statement names", () => {
  for (const v of named) assert.ok(semver.satisfies(v, engines), `${v} satisfies ${engines}`);
  for (const v of ['20.18.9', '21.7.0', '22.12.9']) assert.ok(!semver.satisfies(v, engines), `${v} is outside ${engines}`);
});

test("every locked package's engines accept each supported Node.js and this one (no EBADENGINE on npm ci)", () => {
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
  };
  const refused: string[] = [];
  for (const [where, pkg] of Object.entries(lock.packages)) {
    const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (where === '' || range === undefined || pkg.optional) continue;
    for (const v of [...named, process.versions.node]) {
      if (!semver.satisfies(v, range)) refused.push(`${where.replace(/^.*node_modules\//, '')} (${range}) refuses ${v}`);
    }
  }
  assert.deepEqual(refused, []);
});
