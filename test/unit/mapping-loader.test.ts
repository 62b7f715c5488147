import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  BUILTIN_MAPPING_DIR,
  candidateRules,
  compileMapping,
  loadMappingFile,
  loadMappings,
  MappingError,
  parseMappingFile,
  SERVICE_NAMES,
} from '../../src/mapping/index.js';

const rule = (extra: string) => `rules:\n  - name: r1\n    event_type: volume.*.*\n    service: cinder\n    resource: volume\n${extra}`;
const ok = rule(`    action: '\${1}'\n    phase: '\${2}'\n`);

/** Each bad file and the one line it must fail with (blackbox_exporter's TestLoadBadConfigs). */
const BAD: Record<string, [string, string]> = {
  'not YAML': ['rules: [', 'mapping file my.yaml: line 1: '],
  'a list at the top': ['- a\n', "mapping file my.yaml: expected a mapping with the key 'rules'"],
  'an unknown top-level key': [
    `${ok}mappings: []\n`,
    "mapping file my.yaml: unknown key 'mappings' (expected 'rules', or 'x-...' for anchors)",
  ],
  'rules not a list': ['rules: {}\n', "mapping file my.yaml: key 'rules': expected a list of rules"],
  'an unknown rule key': [
    `${ok}    metric: x\n`,
    "mapping file my.yaml: rule 1 (r1): key 'metric': unknown key (known: name, event_type, exchange, publisher, service, resource, action, phase, actions, resource_id, status, host, exception, outcome, removes, audit, disabled)",
  ],
  'no name': ['rules:\n  - event_type: a.b\n', "mapping file my.yaml: rule 1: key 'name': required, a string"],
  'a bad glob': [
    ok.replace('volume.*.*', 'volume..x'),
    "mapping file my.yaml: rule 1 (r1): key 'event_type': 'volume..x' is not a glob of dot-separated segments (letters, digits, _ - : and *)",
  ],
  'a capture the glob does not have': [
    rule(`    action: '\${3}'\n    phase: end\n`),
    "mapping file my.yaml: rule 1 (r1): key 'action': ${3}: the event_type glob has 2 capture(s) (each * is one)",
  ],
  'an unknown variable': [
    rule(`    action: '\${user}'\n    phase: end\n`),
    "mapping file my.yaml: rule 1 (r1): key 'action': ${user}: unknown variable (use ${1}.. for captures, or ${host}, ${publisher}, ${event_type}, ${exchange})",
  ],
  'an action without a phase': [
    rule(`    action: create\n`),
    "mapping file my.yaml: rule 1 (r1): key 'phase': action and phase go together",
  ],
  'a status without a resource id': [
    rule(`    status: status\n`),
    "mapping file my.yaml: rule 1 (r1): key 'status': needs resource_id (the inventory is kept per resource)",
  ],
  'an audit without a status': [
    rule(`    resource_id: volume_id\n    audit: true\n`),
    "mapping file my.yaml: rule 1 (r1): key 'audit': needs status (an audit reports each resource with its status)",
  ],
  'removes not a boolean': [
    rule(`    resource_id: id\n    removes: yes please\n`),
    "mapping file my.yaml: rule 1 (r1): key 'removes': expected true or false",
  ],
  'a bad service name': [
    ok.replace('service: cinder', 'service: Cinder Volume'),
    "mapping file my.yaml: rule 1 (r1): key 'service': required, lower-case letters, digits, _ and - (e.g. cinder)",
  ],
  'a value with an unknown key': [
    rule(`    resource_id: id\n    status: { path: status, rename: x }\n`),
    "mapping file my.yaml: rule 1 (r1): key 'status': unknown key 'rename' (known: template, path, map, before, default)",
  ],
  'a value with both template and path': [
    rule(`    action: { template: x, path: y }\n    phase: end\n`),
    "mapping file my.yaml: rule 1 (r1): key 'action': give exactly one of template and path",
  ],
  'a rule that produces nothing': [
    rule(''),
    "mapping file my.yaml: rule 1 (r1): key 'action': the rule produces nothing: give action and phase, status, removes, exception or outcome",
  ],
  'a name used twice': [`${ok}${ok.replace('rules:\n', '')}`, "mapping file my.yaml: rule 2 (r1): key 'name': used twice in this file"],
  'a disabled rule with other keys': [
    'rules:\n  - { name: x, disabled: true, service: cinder }\n',
    "mapping file my.yaml: rule 1 (x): key 'service': a disabled rule takes only name and disabled",
  ],
  'a bad path': [
    rule(`    resource_id: 'a..b'\n    removes: true\n`),
    "mapping file my.yaml: rule 1 (r1): key 'resource_id': 'a..b' is not a payload path (a.b.c)",
  ],
};

describe('mapping files are read strictly', () => {
  for (const [name, [text, message]] of Object.entries(BAD)) {
    test(`rejects ${name} in one line naming file, rule and key`, () => {
      assert.throws(
        () => parseMappingFile(text, 'my.yaml'),
        (err: unknown) => {
          assert.ok(err instanceof MappingError);
          assert.ok(!err.message.includes('\n'), 'one line');
          if (name === 'not YAML') assert.ok(err.message.startsWith(message), err.message);
          else assert.equal(err.message, message);
          return true;
        },
      );
    });
  }

  test('reads anchors merged into rules, path lists and value mappings', () => {
    const rules = parseMappingFile(
      [
        'x-port: &port',
        '  service: neutron',
        '  resource: port',
        '  resource_id: [port.id, port_id]',
        'rules:',
        "  - { name: p, <<: *port, event_type: [port.*.*, vif.*.*], action: { template: '${1}', map: { create: make } }, phase: '${2}', status: port.status }",
      ].join('\n'),
      'ok.yaml',
    );
    assert.equal(rules.length, 1);
    const r = rules[0]!;
    assert.equal(r.service, 'neutron');
    assert.deepEqual(r.resourceId, [['port', 'id'], ['port_id']]);
    assert.deepEqual(
      r.eventTypes.map((g) => g.firstSegment),
      ['port', 'vif'],
    );
    assert.equal(r.action?.map?.get('create'), 'make');
    assert.equal(r.file, 'ok.yaml');
  });
});

describe('built-in mapping and operator files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'osne-mapping-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('anchors merged into thousands of rules load: aliases are bounded by what they expand to, not counted', () => {
    const rules = Array.from({ length: 5000 }, (_, i) => `  - { <<: *base, name: r${i}, event_type: svc${i}.thing.*.end }`);
    const file = write(
      'merged.yaml',
      ['x-base: &base { service: s, resource: r, action: create, phase: end }', 'rules:', ...rules, ''].join('\n'),
    );
    assert.equal(loadMappingFile(file).length, 5000);
  });

  test('the built-in files load and cover every service but Nova', () => {
    const rules = loadMappings(BUILTIN_MAPPING_DIR);
    const services = new Set(rules.map((r) => r.service));
    assert.deepEqual([...services].sort(), SERVICE_NAMES.filter((s) => s !== 'nova').sort());
    assert.equal(new Set(rules.map((r) => r.name)).size, rules.length, 'rule names are unique');
  });

  test("an operator's rule replaces the built-in one of the same name, in its place", () => {
    const file = write(
      'override.yaml',
      'rules:\n  - { name: glance-image-upload, event_type: image.upload, service: glance, resource: image, action: store, phase: end }\n',
    );
    const builtin = loadMappings(BUILTIN_MAPPING_DIR);
    const merged = loadMappings(BUILTIN_MAPPING_DIR, file);
    assert.equal(merged.length, builtin.length);
    const i = builtin.findIndex((r) => r.name === 'glance-image-upload');
    assert.equal(merged[i]?.file, file);
    assert.deepEqual(merged[i]?.action?.template, ['store']);
  });

  test("an operator's new rules come first, so they win over built-in ones", () => {
    const file = write(
      'add.yaml',
      'rules:\n  - { name: my-volume, event_type: volume.create.end, service: cinder, resource: disk, action: create, phase: end }\n',
    );
    const merged = loadMappings(BUILTIN_MAPPING_DIR, file);
    assert.equal(merged[0]?.name, 'my-volume');
    assert.equal(candidateRules(compileMapping(merged), 'volume.create.end')[0]?.name, 'my-volume');
  });

  test('disabled: true switches a built-in rule off; naming no built-in rule is an error', () => {
    const off = write('off.yaml', 'rules:\n  - { name: keystone-authenticate, disabled: true }\n');
    assert.ok(!loadMappings(BUILTIN_MAPPING_DIR, off).some((r) => r.name === 'keystone-authenticate'));
    const typo = write('typo.yaml', 'rules:\n  - { name: keystone-authentication, disabled: true }\n');
    assert.throws(() => loadMappings(BUILTIN_MAPPING_DIR, typo), {
      message: `mapping file ${typo}: rule keystone-authentication: key 'disabled': no built-in rule has this name`,
    });
  });

  test('a missing operator file is one line naming it', () => {
    const missing = join(dir, 'nope.yaml');
    assert.throws(() => loadMappings(BUILTIN_MAPPING_DIR, missing), { message: `mapping file ${missing}: cannot be read (ENOENT)` });
  });
});
