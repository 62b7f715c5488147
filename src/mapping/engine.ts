/**
 * Service notification → facts, by the first rule that matches (statsd_exporter's
 * order: operators' rules first, then the built-in ones in file order).
 *
 * Rules are indexed by the literal first segment of their event type globs, so a
 * notification no rule can match (every Nova one, with the built-in mapping) costs one
 * Map lookup: no rule is tried unless its prefix matches. Rules whose glob starts with
 * a `*` are candidates for every event type, in their place in the order.
 */
import type { Notification } from '../pipeline/notification.js';
import { AUTH_OUTCOMES, PHASES, type AuthOutcome, type Phase, type ResourceFact } from './facts.js';
import { firstSegment } from './glob.js';
import { classifyServiceError } from './error-classes.js';
import { firstString } from './paths.js';
import type { Rule, ValueSpec } from './rule.js';

export interface CompiledMapping {
  readonly rules: readonly Rule[];
  /** First event type segment → the positions in `rules` of the rules with a glob starting with it, ascending. */
  readonly byPrefix: ReadonlyMap<string, readonly number[]>;
  /** The positions of the rules with a glob starting with `*`, ascending: candidates for every event type. */
  readonly unprefixed: readonly number[];
}

export interface MatchResult {
  readonly rule: Rule | undefined;
  readonly facts: readonly ResourceFact[];
  /** Why nothing (or less than expected) came out: for the `mapping` command. */
  readonly notes: readonly string[];
}

const NO_FACTS: readonly ResourceFact[] = Object.freeze([]);
const NO_POSITIONS: readonly number[] = Object.freeze([]);
const PHASE_SET: ReadonlySet<string> = new Set(PHASES);
const OUTCOME_SET: ReadonlySet<string> = new Set(AUTH_OUTCOMES);
// An exception class or a short fault name (Ironic's `power failure`); longer text is a message.
const EXCEPTION_NAME = /^[A-Za-z_][\w.:-]*(?: [\w.:-]+){0,3}$/;

/**
 * Linear in the rules: each rule is filed under its own prefixes once. The rules with a
 * leading `*` are kept apart and merged in by position when a notification is matched,
 * rather than copied into every bucket (which made a large mapping file quadratic to load).
 */
export function compileMapping(rules: readonly Rule[]): CompiledMapping {
  const active = rules.filter((r) => !r.disabled);
  const byPrefix = new Map<string, number[]>();
  const unprefixed: number[] = [];
  active.forEach((r, i) => {
    const prefixes = new Set<string>();
    for (const g of r.eventTypes) {
      if (g.firstSegment === undefined) {
        if (unprefixed.at(-1) !== i) unprefixed.push(i);
      } else {
        prefixes.add(g.firstSegment);
      }
    }
    for (const prefix of prefixes) {
      const bucket = byPrefix.get(prefix);
      if (bucket) bucket.push(i);
      else byPrefix.set(prefix, [i]);
    }
  });
  return { rules: active, byPrefix, unprefixed };
}

/** The rules that may match an event type, in rule order: its prefix's bucket merged with the unprefixed ones. */
export function candidateRules(mapping: CompiledMapping, eventType: string): Rule[] {
  const bucket = mapping.byPrefix.get(firstSegment(eventType)) ?? NO_POSITIONS;
  const out: Rule[] = [];
  for (
    let i = 0, j = 0, next = nextCandidate(bucket, mapping.unprefixed, 0, 0);
    next >= 0;
    next = nextCandidate(bucket, mapping.unprefixed, i, j)
  ) {
    if (bucket[i] === next) i++;
    if (mapping.unprefixed[j] === next) j++;
    out.push(mapping.rules[next] as Rule);
  }
  return out;
}

/** The smaller of a[i] and b[j] (two ascending lists of rule positions), or -1 when both are done. */
function nextCandidate(a: readonly number[], b: readonly number[], i: number, j: number): number {
  const x = i < a.length ? (a[i] as number) : -1;
  const y = j < b.length ? (b[j] as number) : -1;
  return x < 0 ? y : y < 0 ? x : Math.min(x, y);
}

/** The facts a notification yields; empty when no rule matches it. */
export function mapServiceNotification(mapping: CompiledMapping, n: Notification): readonly ResourceFact[] {
  const bucket = mapping.byPrefix.get(firstSegment(n.eventType));
  if (bucket === undefined && mapping.unprefixed.length === 0) return NO_FACTS;
  return evaluate(mapping, bucket ?? NO_POSITIONS, n, undefined).facts;
}

/** The same, with the rule that matched and notes on what it could not find. */
export function explainNotification(mapping: CompiledMapping, n: Notification): MatchResult {
  const prefix = firstSegment(n.eventType);
  const bucket = mapping.byPrefix.get(prefix);
  if (bucket === undefined && mapping.unprefixed.length === 0) {
    return { rule: undefined, facts: NO_FACTS, notes: [`no rule has an event_type starting with '${prefix}.'`] };
  }
  return evaluate(mapping, bucket ?? NO_POSITIONS, n, []);
}

function evaluate(mapping: CompiledMapping, bucket: readonly number[], n: Notification, notes: string[] | undefined): MatchResult {
  const { rules, unprefixed } = mapping;
  for (let i = 0, j = 0, next = nextCandidate(bucket, unprefixed, 0, 0); next >= 0; next = nextCandidate(bucket, unprefixed, i, j)) {
    // A rule in both lists (a prefixed and a leading-* glob) is tried once.
    if (bucket[i] === next) i++;
    if (unprefixed[j] === next) j++;
    const rule = rules[next] as Rule;
    if (rule.exchanges && n.exchange !== '' && !rule.exchanges.has(n.exchange)) {
      notes?.push(`rule ${rule.name}: exchange ${n.exchange} is not ${[...rule.exchanges].join(' or ')}`);
      continue;
    }
    if (rule.publishers && !rule.publishers.has(n.publisher)) {
      notes?.push(`rule ${rule.name}: publisher ${n.publisher} is not ${[...rule.publishers].join(' or ')}`);
      continue;
    }
    for (const glob of rule.eventTypes) {
      const m = glob.match(n.eventType);
      if (m) return { rule, facts: factsOf(rule, n, m, notes), notes: notes ?? [] };
    }
  }
  if (notes) {
    const tried = candidateRules(mapping, n.eventType).map((r) => r.name);
    notes.push(`no rule's event_type matches ${n.eventType} (tried ${tried.join(', ')})`);
  }
  return { rule: undefined, facts: NO_FACTS, notes: notes ?? [] };
}

function factsOf(rule: Rule, n: Notification, captures: readonly string[], notes: string[] | undefined): ResourceFact[] {
  const get = (spec: ValueSpec | undefined) => (spec === undefined ? undefined : valueOf(spec, n, captures));
  const facts: ResourceFact[] = [];
  const { service } = rule;
  const resource = get(rule.resource);
  if (resource === undefined) {
    notes?.push(`rule ${rule.name}: resource is empty`);
    return facts;
  }
  const host = get(rule.host) ?? n.host;
  const resourceId = rule.resourceId ? firstString(n.payload, rule.resourceId) : undefined;
  if (rule.resourceId && resourceId === undefined) notes?.push(`rule ${rule.name}: no resource id in the payload`);
  const at = n.timestampSeconds;
  const errorPriority = n.priority === 'ERROR' || n.priority === 'CRITICAL';

  if (rule.outcome) facts.push({ kind: 'authentication', outcome: outcomeOf(get(rule.outcome)) });

  let phase: Phase | undefined;
  if (rule.action) {
    const action = get(rule.action);
    const raw = get(rule.phase);
    // Services that send one event per outcome (Glance's image.upload, Heat) mark a failure by priority.
    phase = errorPriority ? 'error' : raw !== undefined && PHASE_SET.has(raw) ? (raw as Phase) : undefined;
    if (action === undefined) notes?.push(`rule ${rule.name}: action is empty: no action counted`);
    else if (phase === undefined) notes?.push(`rule ${rule.name}: phase '${raw ?? ''}' is not start, end or error: no action counted`);
    else
      facts.push({
        kind: 'action',
        service,
        resource,
        action,
        phase,
        host,
        ...(resourceId && { resourceId }),
        ...(at !== undefined && { at }),
      });
  }

  if (phase === 'error' || errorPriority) {
    facts.push({ kind: 'error', service, eventType: n.eventType, exception: exceptionOf(service, get(rule.exception)), host });
  }

  if (resourceId !== undefined) {
    if (rule.removes) {
      // Gone once the delete has ended: its start or a failure leaves the resource where it was.
      if (rule.action ? phase === 'end' : !errorPriority)
        facts.push({ kind: 'removed', service, resource, resourceId, ...(at !== undefined && { at }) });
    } else if (rule.status) {
      const status = get(rule.status);
      if (status === undefined) notes?.push(`rule ${rule.name}: no status in the payload`);
      else facts.push({ kind: 'status', service, resource, resourceId, status, host, audit: rule.audit, ...(at !== undefined && { at }) });
    }
  }
  return facts;
}

/**
 * Whether some rule may count a start of this action: only then can an end or error be
 * timed (the mapping command says so instead of promising a duration that never comes).
 */
export function mayStart(mapping: CompiledMapping, service: string, resource: string, action: string): boolean {
  return mapping.rules.some(
    (r) => r.service === service && mayBe(r.resource, resource) && mayBe(r.action, action) && mayBe(r.phase, 'start'),
  );
}

/** Whether a value spec can give `value`: a fixed one only its own; one read from the notification, anything. */
function mayBe(spec: ValueSpec | undefined, value: string): boolean {
  if (spec === undefined) return false;
  if (spec.paths || spec.template?.some((part) => typeof part !== 'string')) return true;
  let v = (spec.template ?? []).join('');
  if (spec.before !== undefined && v.includes(spec.before)) v = v.slice(0, v.indexOf(spec.before));
  v = spec.map?.get(v) ?? v;
  return (v === '' ? spec.default : v) === value;
}

function valueOf(spec: ValueSpec, n: Notification, captures: readonly string[]): string | undefined {
  let v: string | undefined;
  if (spec.template) {
    v = '';
    for (const part of spec.template) {
      if (typeof part === 'string') v += part;
      else if (typeof part.ref === 'number') v += captures[part.ref] ?? '';
      else if (part.ref === 'host') v += n.host;
      else if (part.ref === 'publisher') v += n.publisher;
      else if (part.ref === 'event_type') v += n.eventType;
      else v += n.exchange;
    }
  } else if (spec.paths) {
    v = firstString(n.payload, spec.paths);
  }
  if (v !== undefined && spec.before !== undefined) {
    const i = v.indexOf(spec.before);
    if (i >= 0) v = v.slice(0, i);
  }
  if (v !== undefined && spec.map) v = spec.map.get(v) ?? v;
  if (v === undefined || v === '') v = spec.default;
  return v;
}

/**
 * A class name as it is. Text, for a service whose message templates are known, → the
 * class they recognise in it; for the others a short fault name stays, a sentence is `unknown`.
 */
function exceptionOf(service: string, value: string | undefined): string {
  if (value === undefined) return 'unknown';
  const named = (v: string) => v.length <= 64 && EXCEPTION_NAME.test(v);
  if (!value.includes(' ') && named(value)) return value;
  const recognised = classifyServiceError(service, value);
  if (recognised !== undefined) return named(recognised) ? recognised : 'unknown';
  return named(value) ? value : 'unknown';
}

function outcomeOf(value: string | undefined): AuthOutcome {
  const v = value?.toLowerCase();
  return v !== undefined && OUTCOME_SET.has(v) ? (v as AuthOutcome) : 'unknown';
}
