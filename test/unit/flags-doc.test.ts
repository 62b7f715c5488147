import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FLAGS_DOC, flagsDocument } from '../../scripts/generate-flags.js';

test('docs/flags.md holds the flag table generated from src/config/flags.ts (npm run generate)', async () => {
  const committed = readFileSync(FLAGS_DOC, 'utf8');
  assert.equal(committed, await flagsDocument(committed), 'docs/flags.md is stale: run npm run generate');
});
