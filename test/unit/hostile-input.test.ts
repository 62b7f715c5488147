/**
 * No input costs more than its size: what a sender controls (a message text, an event
 * type) goes through the error classifier and every mapping glob in time linear in its
 * length. Per item the CPU time is read (process.cpuUsage), not the wall clock, so a busy
 * machine does not fail the test; the bounds are generous (the backtracking this guards
 * against took seconds to minutes on one item).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGlob, type CompiledGlob } from '../../src/mapping/glob.js';
import { compileMapping, loadMappings, parseMappingFile } from '../../src/mapping/index.js';
import type { Rule } from '../../src/mapping/rule.js';
import { classifyNovaError } from '../../src/nova/exception-templates.js';
import { countingPipeline } from '../support/pipeline.js';

const MAX_ITEM_MS = 50;
const MAX_TOTAL_MS = 20_000;

/** CPU milliseconds (user + system) that fn takes. */
function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** Fragments of Nova's templates and of event types, repeated: what makes a backtracking pattern explode. */
const FRAGMENTS = [
  ' ',
  '\t \n',
  'Instance in',
  'Instance ',
  ' in ',
  '. Cannot ',
  'Quota exceeded for ',
  ': Requested ',
  ', but already used ',
  ' of ',
  'Build of instance ',
  ' aborted: ',
  'could not be found',
  'is not on shared storage: ',
  'x-',
  '-',
  '*',
  '.',
  'volume.',
  'a',
];

function hostileStrings(count: number): string[] {
  let seed = 20;
  const random = (n: number) => {
    // xorshift: reproducible, and its low bits are not periodic like an LCG's.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const out = [
    'Instance in' + ' '.repeat(240) + 'x',
    'Instance in' + ' '.repeat(100_000) + 'x',
    'x' + '-'.repeat(5000) + '.en',
    'x' + 'a-'.repeat(20_000) + '.end.x',
  ];
  // A few 1 MB messages: one space run, one traceback-like, one repeated template fragment, one event-type-like.
  const mb = 1024 * 1024;
  out.push(' '.repeat(mb), 'Traceback (most recent call last):\n  File "x.py", line 1\n'.repeat(mb / 56));
  out.push('Instance in '.repeat(mb / 12), 'volume.'.repeat(mb / 7) + 'x', ('x' + '-'.repeat(1000)).repeat(mb / 1001));
  while (out.length < count) {
    const fragment = FRAGMENTS[random(FRAGMENTS.length)] as string;
    const repeat = 1 + random(random(8) === 0 ? 4000 : 200);
    let s = fragment.repeat(repeat);
    if (random(2) === 0) s = (FRAGMENTS[random(FRAGMENTS.length)] as string) + s + (FRAGMENTS[random(FRAGMENTS.length)] as string);
    out.push(s);
  }
  return out;
}

/** Globs a mapping file may hold that a regex engine backtracks on, and every built-in one. */
function everyGlob(): CompiledGlob[] {
  const hostile = ['x*-*-*-*.end', '*-*-*-*-*-*', '**-**', 'volume.*.*.*.*', 'a*a*a*a*a*b', '*.*', '*', 'x*-*-*-*.en*'];
  const builtin = loadMappings().flatMap((r) => r.eventTypes);
  return [...hostile.map((g) => compileGlob(g) as CompiledGlob), ...builtin];
}

describe('hostile input', () => {
  const strings = hostileStrings(10_000);
  const globs = everyGlob();

  test('the error classifier takes a few milliseconds on each of 10,000 hostile messages', () => {
    let worst = 0;
    let worstAt = -1;
    let total = 0;
    for (const [i, s] of strings.entries()) {
      const ms = cpuMs(() => classifyNovaError(s));
      total += ms;
      if (ms > worst) [worst, worstAt] = [ms, i];
    }
    assert.ok(worst < MAX_ITEM_MS, `worst ${worst.toFixed(1)} ms on item ${worstAt} (${strings[worstAt]?.length} chars)`);
    assert.ok(total < MAX_TOTAL_MS, `total ${total.toFixed(0)} ms`);
  });

  test('every glob takes a few milliseconds on each of 10,000 hostile event types', () => {
    assert.ok(globs.length > 40, `${globs.length} globs`);
    let worst = 0;
    let worstAt = '';
    let total = 0;
    for (const s of strings) {
      for (const g of globs) {
        const ms = cpuMs(() => g.match(s));
        total += ms;
        if (ms > worst) [worst, worstAt] = [ms, `${g.source} on ${s.length} chars`];
      }
    }
    assert.ok(worst < MAX_ITEM_MS, `worst ${worst.toFixed(1)} ms: ${worstAt}`);
    assert.ok(total < MAX_TOTAL_MS, `total ${total.toFixed(0)} ms`);
  });

  test('the cases that backtracked still classify and match as before', () => {
    assert.equal(classifyNovaError('Instance in' + ' '.repeat(240) + 'x'), 'unknown');
    assert.equal(
      classifyNovaError('Instance 3f2b in task_state    powering-off.\n Cannot reboot while the instance is in this state.'),
      'InstanceInvalidState',
    );
    const glob = compileGlob('x*-*-*-*.end') as CompiledGlob;
    assert.equal(glob.match('x' + '-'.repeat(5000) + '.en'), undefined);
    assert.deepEqual(glob.match('xa-b-c-d-e.end'), ['xa-b-c-d-e.end', 'a-b', 'c', 'd', 'e']);
  });

  test('a message longer than the classifier reads is judged by its head: every literal part must be there', () => {
    const reason = 'r'.repeat(2000);
    assert.equal(classifyNovaError(`Build of instance 7c6b aborted: ${reason}`), 'BuildAbortException');
    assert.equal(classifyNovaError(`Insufficient compute resources: ${reason}.`.slice(0, 500) + '.'), 'ComputeResourcesUnavailable');
    // A literal part after the cut is unseen, so the text may not fit: no class rather than a guess.
    assert.equal(classifyNovaError(`Insufficient compute resources: ${reason}.`), 'unknown');
    assert.equal(classifyNovaError(`Instance ${reason} could not be found.`), 'unknown');
  });

  test('compiling a mapping is linear in its rules: 32,000 rules with distinct prefixes, and as many with a leading *', () => {
    const [template] = parseMappingFile(
      'rules:\n  - { name: r, event_type: a.b.end, service: s, resource: r, action: create, phase: end }\n',
      'test.yaml',
    ) as [Rule];
    const rules = (n: number, glob: (i: number) => string): Rule[] =>
      Array.from({ length: n }, (_, i) => ({ ...template, name: `r${i}`, eventTypes: [compileGlob(glob(i)) as CompiledGlob] }));
    const mixed = [...rules(16_000, (i) => `svc${i}.thing.*.end`), ...rules(16_000, (i) => `*.thing${i}.end`)];
    let compiled: ReturnType<typeof compileMapping> | undefined;
    // Quadratic, this took minutes (16,000 rules 5.6 s); linear, a few tens of milliseconds.
    const ms = cpuMs(() => (compiled = compileMapping(mixed)));
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
    assert.equal(compiled?.byPrefix.size, 16_000);
    assert.equal(compiled?.unprefixed.length, 16_000);
  });
});

test('names a sender chose are escaped in the metrics text: a quote, a backslash or a newline cannot forge a series', async () => {
  const p = countingPipeline();
  p.feed({ event_type: 'x"} 1\nforged_total{a="\\', priority: 'INFO', publisher_id: 'compute.h1', payload: {} });
  const text = await p.registry.metrics();
  assert.ok(!text.split('\n').some((line) => line.startsWith('forged_total')), text);
  assert.ok(text.includes('event_type="x\\"} 1\\nforged_total{a=\\"\\\\"'), text);
});
