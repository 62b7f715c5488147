import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.js';
import { BROKER_SAMPLES, CLI_NAME, consoleSamples, layoutBlock, readDoc, REPO, sample } from '../support/readme.js';

/**
 * The README a newcomer reads: short, its samples what the commands print, its links and
 * its Layout true. The samples that need a broker are test/broker/readme.test.ts's.
 */

const ROOT = fileURLToPath(REPO);
const README = readDoc('README.md');
const DOCS = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
// Pages whose commands run from this checkout (the runbook, security and deployment pages
// show the installed command, where the exporter is deployed).
const CHECKOUT_PAGES = [
  'README.md',
  'docs/commands.md',
  'docs/flags.md',
  'docs/nova.md',
  'docs/services.md',
  'docs/operations.md',
  'docs/testing.md',
];

/** What a sample shows: stdout, or stderr for a command that only complains. */
async function shown(args: readonly string[]): Promise<string> {
  const r = await runCli(args);
  return (r.stdout !== '' ? r.stdout : r.stderr).replace(/\n$/, '');
}

describe('the README', () => {
  test('is read in five minutes: under 250 lines', () => {
    const lines = README.split('\n').length;
    assert.ok(lines < 250, `${lines} lines`);
  });

  test('every sample session is run by a test', () => {
    const here = [`npx ${CLI_NAME} --help`, `npx ${CLI_NAME} mapping docs/examples/cinder-volume-create.jsonl`];
    assert.deepEqual(
      consoleSamples(README)
        .map((s) => s.command)
        .sort(),
      [...here, ...BROKER_SAMPLES].sort(),
    );
  });

  test('shows what --help prints', async () => {
    assert.equal(await shown(['--help']), sample(README, `npx ${CLI_NAME} --help`).output);
  });

  test('shows what mapping prints for the example notification', async () => {
    const s = sample(README, `npx ${CLI_NAME} mapping docs/examples/cinder-volume-create.jsonl`);
    assert.equal(await shown(s.args), s.output);
  });

  test('links every docs page', () => {
    for (const page of DOCS) assert.ok(README.includes(`](docs/${page})`), `README does not link docs/${page}`);
  });

  test('names every top-level entry and every folder and file of src/ and test/ in its Layout, and nothing that is not there', () => {
    const layout = layoutBlock(README);
    assert.ok(layout.length > 0, 'no ## Layout block');
    const ignored = readFileSync(path.join(ROOT, '.gitignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/^\/|\/$/g, ''))
      .filter((l) => l !== '' && !l.includes('/'));
    const isIgnored = (name: string) => ignored.some((p) => (p.startsWith('*') ? name.endsWith(p.slice(1)) : name === p));
    const entries = (dir: string) =>
      readdirSync(path.join(ROOT, dir), { withFileTypes: true })
        .filter((e) => e.name !== '.git' && !isIgnored(e.name))
        .map((e) => `${dir === '' ? '' : `${dir}/`}${e.name}${e.isDirectory() ? '/' : ''}`);
    const words = new Set(layout.split(/\s+/).map((w) => w.replace(/^\(|[),;:]$/g, '')));
    const named = (entry: string) => words.has(entry) || [...words].some((w) => entry.endsWith('/') && w.startsWith(entry));
    for (const entry of [...entries(''), ...entries('src'), ...entries('test')]) assert.ok(named(entry), `Layout misses ${entry}`);
    for (const line of layout.split('\n')) {
      const [paths = '', what = ''] = line.split(/\s{2,}/);
      const tokens = [...paths.split(' '), ...what.split(/\s+/).filter((w) => w.includes('/'))].map((w) => w.replace(/^\(|[),;:]$/g, ''));
      for (const t of tokens.filter((t) => t !== '')) assert.ok(existsSync(path.join(ROOT, t)), `Layout names ${t}, which does not exist`);
    }
  });
});

describe('the docs pages', () => {
  test('show the sessions of docs/flags.md as they happen', async () => {
    const samples = consoleSamples(readDoc('docs/flags.md'));
    assert.ok(samples.length > 0);
    for (const s of samples) assert.equal(await shown(s.args), s.output, s.command);
  });

  test('run commands from the checkout as npx openstack-notification-exporter (the bare command is not on PATH after npm ci)', () => {
    for (const page of CHECKOUT_PAGES) {
      for (const block of readDoc(page).matchAll(/^```(?:sh|console)\n([\s\S]*?)^```$/gm)) {
        for (const line of (block[1] ?? '').split('\n')) {
          assert.ok(!/^(\$ )?openstack-notification-exporter /.test(line), `${page}: ${line}`);
        }
      }
    }
  });

  test('link only to files and headings that exist', () => {
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    const anchors = (file: string) =>
      new Set(
        [
          ...readFileSync(file, 'utf8')
            .replace(/^```[\s\S]*?^```$/gm, '')
            .matchAll(/^#+ (.*)$/gm),
        ].map((m) => slug(m[1] ?? '')),
      );
    for (const page of ['README.md', ...DOCS.map((d) => `docs/${d}`), 'bench/README.md']) {
      const text = readDoc(page).replace(/^```[\s\S]*?^```$/gm, '');
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [file = '', anchor] = target.split('#');
        const resolved = file === '' ? path.join(ROOT, page) : path.join(ROOT, path.dirname(page), file);
        assert.ok(existsSync(resolved), `${page} links ${target}: no such file`);
        if (anchor) assert.ok(anchors(resolved).has(anchor), `${page} links ${target}: no such heading`);
      }
    }
  });
});
