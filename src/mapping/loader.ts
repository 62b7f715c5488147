/**
 * Reads mapping files strictly, the way blackbox_exporter reads its modules: an unknown
 * key or a bad value is an error, reported in one line that names the file, the rule
 * (number and name) and the key, so an operator finds the mistake without a stack trace.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlias, isCollection, isPair, LineCounter, parseDocument, type Document } from 'yaml';
import { MappingError } from './errors.js';
import { compileGlob } from './glob.js';
import { parsePath, type Path } from './paths.js';
import type { Rule, Template, TemplateVar, ValueSpec } from './rule.js';

/** The built-in mapping files, shipped next to the compiled code (the build copies them). */
export const BUILTIN_MAPPING_DIR = fileURLToPath(new URL('./builtin/', import.meta.url));

const TOP_KEYS = new Set(['rules']);
const RULE_KEYS = new Set([
  'name',
  'event_type',
  'exchange',
  'publisher',
  'service',
  'resource',
  'action',
  'phase',
  'actions',
  'resource_id',
  'status',
  'host',
  'exception',
  'outcome',
  'removes',
  'audit',
  'disabled',
]);
const VALUE_KEYS = new Set(['template', 'path', 'map', 'before', 'default']);
const NAMED_VARS = new Set<TemplateVar>(['host', 'publisher', 'event_type', 'exchange']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const SERVICE = /^[a-z][a-z0-9_-]{0,39}$/;

type Json = Record<string, unknown>;

/** Every built-in file (sorted by name), then the operator's file over them. */
export function loadMappings(builtinDir: string = BUILTIN_MAPPING_DIR, operatorFile?: string): Rule[] {
  const builtin: Rule[] = [];
  for (const name of readdirSync(builtinDir).sort()) {
    if (name.endsWith('.yaml') || name.endsWith('.yml')) builtin.push(...loadMappingFile(join(builtinDir, name)));
  }
  const seen = new Map<string, Rule>();
  for (const rule of builtin) {
    const other = seen.get(rule.name);
    if (other) throw new MappingError(`mapping file ${rule.file}: rule name ${rule.name} is also used in ${other.file}`);
    seen.set(rule.name, rule);
  }
  return operatorFile === undefined ? builtin : mergeOperatorRules(builtin, loadMappingFile(operatorFile));
}

/**
 * An operator's rule with a built-in rule's name takes its place (or, `disabled: true`,
 * removes it); the other rules of the operator's file come first, so that they win over
 * a built-in rule matching the same notifications.
 */
export function mergeOperatorRules(builtin: readonly Rule[], operator: readonly Rule[]): Rule[] {
  const byName = new Map(operator.map((r) => [r.name, r]));
  const builtinNames = new Set(builtin.map((r) => r.name));
  for (const r of operator) {
    if (r.disabled && !builtinNames.has(r.name)) {
      throw new MappingError(`mapping file ${r.file}: rule ${r.name}: key 'disabled': no built-in rule has this name`);
    }
  }
  const added = operator.filter((r) => !builtinNames.has(r.name));
  const kept = builtin.map((r) => byName.get(r.name) ?? r).filter((r) => !r.disabled);
  return [...added, ...kept];
}

export function loadMappingFile(path: string): Rule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MappingError(`mapping file ${path}: cannot be read (${code ?? String(err)})`);
  }
  return parseMappingFile(text, path);
}

export function parseMappingFile(text: string, file: string): Rule[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false, lineCounter });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const { line } = lineCounter.linePos(yamlError.pos[0]);
    const message = yamlError.message.split('\n')[0] ?? 'invalid YAML';
    throw new MappingError(`mapping file ${file}: line ${line}: ${message}`);
  }
  const bomb = aliasBomb(doc);
  if (bomb !== undefined) {
    const { line } = lineCounter.linePos(bomb.offset);
    throw new MappingError(
      `mapping file ${file}: line ${line}: the aliases (*name) up to here stand for more than ${bomb.limit} nodes: anchors nested in anchors expand exponentially`,
    );
  }
  // aliasBomb() bounded what the aliases expand to, in proportion to the file.
  const top: unknown = doc.toJS({ maxAliasCount: -1 });
  const fail = (what: string): never => {
    throw new MappingError(`mapping file ${file}: ${what}`);
  };
  if (!isObject(top)) return fail("expected a mapping with the key 'rules'");
  for (const key of Object.keys(top)) {
    // Keys starting with `x-` or `.` hold YAML anchors for the rules to merge (`<<: *volume`).
    if (!TOP_KEYS.has(key) && !key.startsWith('x-') && !key.startsWith('.')) {
      fail(`unknown key '${key}' (expected 'rules', or 'x-...' for anchors)`);
    }
  }
  if (!Array.isArray(top['rules'])) return fail("key 'rules': expected a list of rules");
  const names = new Set<string>();
  return top['rules'].map((raw: unknown, i) => {
    const rule = parseRule(raw, file, i + 1);
    if (names.has(rule.name))
      throw new MappingError(`mapping file ${file}: rule ${i + 1} (${rule.name}): key 'name': used twice in this file`);
    names.add(rule.name);
    return rule;
  });
}

/** Nodes the aliases of a file may expand to: at least this many, else this many per node written. */
const ALIAS_EXPANSION_FLOOR = 100_000;
const ALIAS_EXPANSION_PER_NODE = 10;

/**
 * Where the nodes that aliases stand for pass a bound linear in the file's own size, else
 * undefined. Each `*name` stands for its anchor's whole node, aliases inside it included,
 * so nine aliases of nine aliases... ("billion laughs") grow exponentially while anchors
 * merged into each rule (`<<: *volume`) grow with the rules. Sizes are counted once per
 * node, without recursion (a file nested deeper than the stack is still read).
 */
function aliasBomb(doc: Document): { offset: number; limit: number } | undefined {
  const size = new Map<unknown, number>();
  let written = 0;
  let expanded = 0;
  const found: { offset: number; total: number }[] = [];
  // Post-order: a node's size once its children's are known; an anchor precedes its aliases.
  const stack: [unknown, boolean][] = [[doc.contents, false]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, done] = item;
    if (node === null || node === undefined || size.has(node)) continue;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      // An alias inside its own anchor (not yet sized) stands for one node here.
      const n = target === undefined ? 1 : (size.get(target) ?? 1);
      expanded += n;
      found.push({ offset: node.range?.[0] ?? 0, total: expanded });
      size.set(node, n);
      continue;
    }
    const children: unknown[] = isCollection(node) ? node.items : isPair(node) ? [node.key, node.value] : [];
    if (!done) {
      stack.push([node, true]);
      for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], false]);
      continue;
    }
    written++;
    size.set(
      node,
      children.reduce<number>((sum, c) => sum + (size.get(c) ?? 0), 1),
    );
  }
  const limit = Math.max(ALIAS_EXPANSION_FLOOR, ALIAS_EXPANSION_PER_NODE * written);
  const first = found.find((a) => a.total > limit);
  return first && { offset: first.offset, limit };
}

function parseRule(raw: unknown, file: string, index: number): Rule {
  const name = isObject(raw) && typeof raw['name'] === 'string' ? raw['name'] : undefined;
  const where = `mapping file ${file}: rule ${index}${name ? ` (${name})` : ''}`;
  const fail = (key: string, what: string): never => {
    throw new MappingError(`${where}: key '${key}': ${what}`);
  };
  if (!isObject(raw)) throw new MappingError(`${where}: expected a mapping of keys`);
  for (const key of Object.keys(raw)) {
    if (!RULE_KEYS.has(key)) fail(key, `unknown key (known: ${[...RULE_KEYS].join(', ')})`);
  }
  if (name === undefined) return fail('name', 'required, a string');
  if (!NAME.test(name)) fail('name', 'letters, digits, _ . - only');
  const disabled = optionalBoolean(raw, 'disabled', fail);
  if (disabled) {
    // A switch-off names the rule and nothing else.
    const extra = Object.keys(raw).filter((k) => k !== 'name' && k !== 'disabled');
    if (extra.length > 0) fail(extra[0] as string, 'a disabled rule takes only name and disabled');
    return disabledRule(name, file);
  }

  const eventTypes = stringList(raw, 'event_type', fail, true).map(
    (g) => compileGlob(g) ?? fail('event_type', `'${g}' is not a glob of dot-separated segments (letters, digits, _ - : and *)`),
  );
  const captures = eventTypes.reduce((least, g) => Math.min(least, g.captures), Infinity);
  const service = raw['service'];
  if (typeof service !== 'string' || !SERVICE.test(service)) fail('service', 'required, lower-case letters, digits, _ and - (e.g. cinder)');
  const value = (key: string, kind: 'template' | 'path'): ValueSpec | undefined =>
    raw[key] === undefined ? undefined : parseValue(raw[key], kind, captures, (what) => fail(key, what));

  const resource = value('resource', 'template') ?? fail('resource', 'required (e.g. volume, or ${1})');
  const action = value('action', 'template');
  const phase = value('phase', 'template');
  if ((action === undefined) !== (phase === undefined)) fail(action ? 'phase' : 'action', 'action and phase go together');
  const actions = raw['actions'] === undefined ? undefined : stringList(raw, 'actions', fail, true);
  if (actions && !action) fail('actions', 'lists the values of action: give action and phase');
  const resourceIdList = raw['resource_id'] === undefined ? undefined : stringList(raw, 'resource_id', fail, true);
  const resourceId = resourceIdList?.map((p) => parsePath(p) ?? fail('resource_id', `'${p}' is not a payload path (a.b.c)`));
  const status = value('status', 'path');
  const removes = optionalBoolean(raw, 'removes', fail);
  const audit = optionalBoolean(raw, 'audit', fail);
  if ((removes || audit || status) && !resourceId) {
    fail(removes ? 'removes' : audit ? 'audit' : 'status', 'needs resource_id (the inventory is kept per resource)');
  }
  if (audit && !status) fail('audit', 'needs status (an audit reports each resource with its status)');
  if (removes && audit) fail('removes', 'a rule cannot both remove and audit');
  const rule: Rule = {
    name,
    file,
    eventTypes,
    exchanges: optionalSet(raw, 'exchange', fail),
    publishers: optionalSet(raw, 'publisher', fail),
    service: service as string,
    resource,
    action,
    phase,
    actions,
    resourceId,
    status,
    host: value('host', 'path'),
    exception: value('exception', 'path'),
    outcome: value('outcome', 'path'),
    removes,
    audit,
    disabled: false,
  };
  if (!rule.action && !rule.status && !rule.removes && !rule.exception && !rule.outcome) {
    fail('action', 'the rule produces nothing: give action and phase, status, removes, exception or outcome');
  }
  return rule;
}

function disabledRule(name: string, file: string): Rule {
  return {
    name,
    file,
    eventTypes: [],
    exchanges: undefined,
    publishers: undefined,
    service: '',
    resource: {},
    action: undefined,
    phase: undefined,
    actions: undefined,
    resourceId: undefined,
    status: undefined,
    host: undefined,
    exception: undefined,
    outcome: undefined,
    removes: false,
    audit: false,
    disabled: true,
  };
}

/**
 * A string is a template for `resource`, `action` and `phase` (`${1}`, `create`) and a
 * payload path for the others (`status`, `port.status`); the mapping form says which.
 */
function parseValue(raw: unknown, kind: 'template' | 'path', captures: number, fail: (what: string) => never): ValueSpec {
  if (typeof raw === 'string') {
    return kind === 'template' ? { template: parseTemplate(raw, captures, fail) } : { paths: [parsePathOrFail(raw, fail)] };
  }
  if (Array.isArray(raw) && kind === 'path') return { paths: raw.map((p) => parsePathOrFail(p, fail)) };
  if (!isObject(raw))
    return fail(`expected a ${kind === 'template' ? 'template string' : 'payload path'} or a mapping with template or path`);
  for (const key of Object.keys(raw)) {
    if (!VALUE_KEYS.has(key)) fail(`unknown key '${key}' (known: ${[...VALUE_KEYS].join(', ')})`);
  }
  if ((raw['template'] === undefined) === (raw['path'] === undefined)) fail('give exactly one of template and path');
  const spec: { -readonly [K in keyof ValueSpec]: ValueSpec[K] } = {};
  if (raw['template'] !== undefined) {
    if (typeof raw['template'] !== 'string') fail('template: expected a string');
    spec.template = parseTemplate(raw['template'] as string, captures, fail);
  } else {
    const paths = Array.isArray(raw['path']) ? raw['path'] : [raw['path']];
    if (paths.length === 0) fail('path: expected a path or a list of paths');
    spec.paths = paths.map((p) => parsePathOrFail(p, fail));
  }
  if (raw['map'] !== undefined) {
    const map = raw['map'];
    if (!isObject(map) || !Object.values(map).every((v) => typeof v === 'string')) fail('map: expected a mapping of strings to strings');
    spec.map = new Map(Object.entries(map as Record<string, string>));
  }
  for (const key of ['before', 'default'] as const) {
    if (raw[key] === undefined) continue;
    if (typeof raw[key] !== 'string' || raw[key] === '') fail(`${key}: expected a non-empty string`);
    spec[key] = raw[key] as string;
  }
  return spec;
}

function parseTemplate(text: string, captures: number, fail: (what: string) => never): Template {
  const parts: (string | { ref: TemplateVar })[] = [];
  let last = 0;
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const name = m[1] as string;
    if (/^\d+$/.test(name)) {
      const n = Number(name);
      if (n < 1 || n > captures) fail(`\${${name}}: the event_type glob has ${captures} capture(s) (each * is one)`);
      parts.push({ ref: n });
    } else if (NAMED_VARS.has(name as TemplateVar)) {
      parts.push({ ref: name as TemplateVar });
    } else {
      fail(`\${${name}}: unknown variable (use \${1}.. for captures, or \${host}, \${publisher}, \${event_type}, \${exchange})`);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.length === 0) fail('empty template');
  if (parts.some((p) => typeof p === 'string' && p.includes('$'))) fail(`'${text}': a $ outside \${...}`);
  return parts;
}

function parsePathOrFail(raw: unknown, fail: (what: string) => never): Path {
  if (typeof raw !== 'string') return fail('a payload path must be a string');
  return parsePath(raw) ?? fail(`'${raw}' is not a payload path (a.b.c)`);
}

function stringList(raw: Json, key: string, fail: (key: string, what: string) => never, required: boolean): string[] {
  const v = raw[key];
  if (v === undefined && !required) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    return fail(key, `${required ? 'required, ' : ''}a string or a non-empty list of strings`);
  }
  return list as string[];
}

function optionalSet(raw: Json, key: string, fail: (key: string, what: string) => never): ReadonlySet<string> | undefined {
  return raw[key] === undefined ? undefined : new Set(stringList(raw, key, fail, true));
}

function optionalBoolean(raw: Json, key: string, fail: (key: string, what: string) => never): boolean {
  const v = raw[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') fail(key, 'expected true or false');
  return v as boolean;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
