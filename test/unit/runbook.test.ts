import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { alertRules, REPO_ROOT } from '../support/queries.js';

// Each alert leads a person to what to do: summary, description and a runbook section.

const RUNBOOK = 'docs/runbook.md';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
const anchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

const anchors = (): Set<string> =>
  new Set(
    readFileSync(path.join(REPO_ROOT, RUNBOOK), 'utf8')
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => anchor(l.replace(/^#+ /, ''))),
  );

test('every alert rule has a summary, a description and a runbook_url into docs/runbook.md', () => {
  const bases = new Set<string>();
  for (const rule of alertRules()) {
    assert.ok(rule.annotations.summary?.trim(), `${rule.alert}: summary`);
    assert.ok(rule.annotations.description?.trim(), `${rule.alert}: description`);
    const url = rule.annotations.runbook_url ?? '';
    const m = /^(https:\/\/\S+\/docs\/runbook\.md)#([\w-]+)$/.exec(url);
    assert.ok(m, `${rule.alert}: runbook_url ${url} is not https://.../${RUNBOOK}#section`);
    bases.add(m[1] as string);
  }
  assert.equal(bases.size, 1, `one runbook for all: ${[...bases].join(', ')}`);
});

test("every runbook_url's section exists, and each alert has its own", () => {
  const known = anchors();
  for (const rule of alertRules()) {
    const section = (rule.annotations.runbook_url ?? '').split('#')[1] ?? '';
    assert.ok(known.has(section), `${rule.alert}: no heading for #${section} in ${RUNBOOK}`);
    assert.equal(section, anchor(rule.alert), `${rule.alert}: its section is named after it`);
  }
});

test('each runbook section names a command that shows the problem', () => {
  const text = readFileSync(path.join(REPO_ROOT, RUNBOOK), 'utf8');
  const sections = text.split(/^## /m).slice(1);
  assert.equal(sections.length, alertRules().length);
  for (const section of sections) {
    const title = section.split('\n')[0] ?? '';
    assert.match(section, /\*\*Means:\*\*/, `${title}: what it means`);
    assert.match(section, /\*\*Check:\*\*/, `${title}: what to check`);
    assert.match(
      section,
      /```sh\n[^`]*(openstack-notification-exporter (check|tail)|systemctl|kubectl|openstack |curl)/,
      `${title}: a command`,
    );
  }
});
