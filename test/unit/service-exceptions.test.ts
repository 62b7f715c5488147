import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyCinderError, KNOWN_CINDER_EXCEPTIONS } from '../../src/cinder/exception-templates.js';
import { classifyHeatError, KNOWN_HEAT_EXCEPTIONS } from '../../src/heat/exception-templates.js';
import { compileMapping, loadMappings, mapServiceNotification } from '../../src/mapping/index.js';
import {
  classifyMessage,
  compileTemplates,
  fitsSegments,
  MAX_MESSAGE_CHARS,
  reprClassName,
  templateSegments,
} from '../../src/oslo/message-templates.js';
import { fromInner } from '../../src/pipeline/decode.js';

describe('message templates as literal segments', () => {
  test('placeholders split a template; the spaces beside them are optional; %% is a percent sign', () => {
    assert.deepEqual(templateSegments('Image %(image_id)s is not active.'), ['Image', 'is not active.']);
    assert.deepEqual(templateSegments('%(path)s is not on shared storage: %(reason)s'), ['', 'is not on shared storage:', '']);
    assert.deepEqual(templateSegments('Worker with %s could not be found.'), ['Worker with', 'could not be found.']);
    assert.deepEqual(templateSegments('Used %(pct)d%% of   the pool'), ['Used', '% of the pool']);
  });

  test('a message fits when the segments occur in order, first at the start and last at the end', () => {
    const segments = templateSegments('Image %(image_id)s is unacceptable: %(reason)s');
    assert.ok(fitsSegments(segments, 'Image abc is unacceptable: bad format'));
    assert.ok(fitsSegments(segments, 'Image is unacceptable:'));
    assert.ok(!fitsSegments(segments, 'Image abc is acceptable: fine'));
    assert.ok(!fitsSegments(segments, 'See: Image abc is unacceptable: x'));
    const ends = templateSegments('Volume %(id)s could not be found.');
    assert.ok(!fitsSegments(ends, 'Volume could not be found. Retry later'));
    // The last segment may not overlap the one before it.
    assert.ok(!fitsSegments(['ab', 'ba'], 'aba'));
  });

  test('the most specific template wins; a template with too little literal text is left out', () => {
    const templates = compileTemplates([
      ['Generic', 'Storage error: %(reason)s'],
      ['Specific', 'Storage error: disk %(disk)s is full'],
      ['Vague', '%(a)s: %(b)s'],
    ]);
    assert.equal(classifyMessage(templates, 'Storage error: disk vda is full'), 'Specific');
    assert.equal(classifyMessage(templates, 'Storage error: out of cheese'), 'Generic');
    assert.equal(classifyMessage(templates, 'x: y'), 'unknown');
  });

  test('a long message is read only as far as the cap, its end then unanchored', () => {
    const templates = compileTemplates([['NoValidBackend', 'No valid backend was found. %(reason)s.']]);
    const long = `No valid backend was found. ${'x'.repeat(MAX_MESSAGE_CHARS * 100)}.`;
    assert.equal(classifyMessage(templates, long), 'NoValidBackend');
    // The pathological input for a backtracking matcher: many near-misses of every segment.
    const nearMisses = `No valid backend was found. ${'. '.repeat(100_000)}`;
    assert.equal(classifyMessage(compileTemplates([['X', 'No valid %(a)s was %(b)s. %(c)s: %(d)s end']]), nearMisses), 'unknown');
  });

  test("oslo's serializer writes an exception as its repr: the class is the name before the parenthesis", () => {
    assert.equal(reprClassName("NoValidBackend('No valid backend was found. No weighed backends available')"), 'NoValidBackend');
    assert.equal(reprClassName('VolumeNotFound("Volume 1 could not be found.")'), 'VolumeNotFound');
    assert.equal(reprClassName('Volume (1) could not be found.'), undefined);
    assert.equal(reprClassName('Image (x)'), undefined);
  });
});

/**
 * Cinder's scheduler `reason` as oslo writes it: the message is NoValidBackend's template
 * (cinder/exception.py:611) with the reason cinder/scheduler/filter_scheduler.py:83 gives.
 */
const CINDER_CASES: [string, string][] = [
  ["NoValidBackend('No valid backend was found. No weighed backends available')", 'NoValidBackend'],
  ['No valid backend was found. No weighed backends available', 'NoValidBackend'],
  ['Volume 0b3f3a7e-4d0b-4b3a-9f1c-6a2f0e1d2c3b could not be found.', 'VolumeNotFound'],
  ['Bad or unexpected response from the storage volume backend API: Unable to create lun', 'VolumeBackendAPIException'],
  [
    'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 100G, quota is 1000G and 950G has been consumed.',
    'VolumeSizeExceedsAvailableQuota',
  ],
  ['Something no template says.', 'unknown'],
];

/** Heat's `state_reason` of a failed stack. */
const HEAT_CASES: [string, string][] = [
  // heat/tests/test_exception.py:146 (TestResourceFailure.test_status_reason_resource).
  ['Resource CREATE failed: ValueError: resources.oops: Test Resource failed oops', 'ValueError'],
  // heat/tests/test_stack.py:1244: InvalidTemplateAttribute's own words, no class in the text.
  ['Resource CREATE failed: The Referenced Attribute (a foo) is incorrect.', 'InvalidTemplateAttribute'],
  [
    'Resource CREATE failed: ResourceInError: resources.server: Went to status ERROR due to "Message: No valid host was found. , Code: 500"',
    'ResourceInError',
  ],
  ['The Parameter (flavor) was not provided.', 'UserParameterMissing'],
  // A resource path is not a class.
  ['resources.server: something odd', 'unknown'],
  ['Timed out', 'unknown'],
];

describe("Cinder's and Heat's exception templates", () => {
  for (const [message, exception] of CINDER_CASES) {
    test(`cinder ${JSON.stringify(message.slice(0, 60))} → ${exception}`, () => {
      assert.equal(classifyCinderError(message), exception);
    });
  }
  for (const [message, exception] of HEAT_CASES) {
    test(`heat ${JSON.stringify(message.slice(0, 60))} → ${exception}`, () => {
      assert.equal(classifyHeatError(message), exception);
    });
  }

  test('the tables hold the modules’ classes', () => {
    assert.ok(KNOWN_CINDER_EXCEPTIONS.length >= 150, `${KNOWN_CINDER_EXCEPTIONS.length}`);
    assert.ok(KNOWN_HEAT_EXCEPTIONS.length >= 50, `${KNOWN_HEAT_EXCEPTIONS.length}`);
    for (const name of ['NoValidBackend', 'VolumeNotFound', 'VolumeBackendAPIException']) assert.ok(KNOWN_CINDER_EXCEPTIONS.includes(name));
    for (const name of ['InvalidTemplateVersion', 'InvalidTemplateAttribute', 'ResourceInError'])
      assert.ok(KNOWN_HEAT_EXCEPTIONS.includes(name));
  });
});

describe('error facts of the built-in mapping carry the class the text names', () => {
  const builtin = compileMapping(loadMappings());
  const errorOf = (inner: Record<string, unknown>) => {
    const r = fromInner({ priority: 'ERROR', timestamp: '2026-01-02 03:04:05', ...inner }, 'v2');
    assert.ok(r.ok);
    return mapServiceNotification(builtin, r.notification).find((f) => f.kind === 'error');
  };

  test("Cinder's scheduler error: the reason's class", () => {
    const fact = errorOf({
      event_type: 'scheduler.create_volume',
      publisher_id: 'scheduler.ctl-1',
      payload: {
        volume_id: 'v1',
        state: { status: 'error' },
        method: 'create_volume',
        reason: "NoValidBackend('No valid backend was found. No weighed backends available')",
      },
    });
    assert.deepEqual(fact && fact.kind === 'error' && [fact.service, fact.exception], ['cinder', 'NoValidBackend']);
  });

  test("Heat's failed stack: the class in state_reason", () => {
    const fact = errorOf({
      event_type: 'orchestration.stack.create.error',
      publisher_id: 'orchestration.heat-1',
      payload: {
        stack_identity: 'arn:openstack:heat::p1:stacks/web/s1',
        state: 'CREATE_FAILED',
        state_reason: 'Resource CREATE failed: ValueError: resources.oops: Test Resource failed oops',
      },
    });
    assert.deepEqual(fact && fact.kind === 'error' && [fact.service, fact.exception], ['heat', 'ValueError']);
  });
});
