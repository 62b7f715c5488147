/**
 * Service notification → facts, by the first rule that matches (statsd_exporter's
 * order: operators' rules first, then the built-in ones in file order).
 *
 * Rules are indexed by the literal first segment of their event type globs, so a
 * notification no rule can match (every Nova one, with the built-in mapping) costs one
 * Map lookup: no rule is tried unless its prefix matches. Rules whose glob starts with
 * a `*` sit in every bucket, after the rules ordered before them.
 */
import type { Notification } from '../pipeline/notification.js';
import { AUTH_OUTCOMES, PHASES, type AuthOutcome, type Phase, type ResourceFact } from './facts.js';
import { firstSegment } from './glob.js';
import { firstString } from './paths.js';
import type { Rule, ValueSpec } from './rule.js';

export interface CompiledMapping {
  readonly rules: readonly Rule[];
  /** First event type segment → the rules that may match, in order. */
  readonly byPrefix: ReadonlyMap<string, readonly Rule[]>;
  /** Rules for event types with any other first segment (globs starting with `*`). */
  readonly unprefixed: readonly Rule[];
}

export interface MatchResult {
  readonly rule: Rule | undefined;
  readonly facts: readonly ResourceFact[];
  /** Why nothing (or less than expected) came out: for the `mapping` command. */
  readonly notes: readonly string[];
}

const NO_FACTS: readonly ResourceFact[] = Object.freeze([]);
const PHASE_SET: ReadonlySet<string> = new Set(PHASES);
const OUTCOME_SET: ReadonlySet<string> = new Set(AUTH_OUTCOMES);
// An exception class or a short fault name (Ironic's `power failure`); longer text is a message.
const EXCEPTION_NAME = /^[A-Za-z_][\w.:-]*(?: [\w.:-]+){0,3}$/;

export function compileMapping(rules: readonly Rule[]): CompiledMapping {
  const active = rules.filter((r) => !r.disabled);
  const prefixes = new Set<string>();
  for (const r of active) for (const g of r.eventTypes) if (g.firstSegment !== undefined) prefixes.add(g.firstSegment);
  const byPrefix = new Map<string, Rule[]>();
  for (const prefix of prefixes) {
    byPrefix.set(
      prefix,
      active.filter((r) => r.eventTypes.some((g) => g.firstSegment === undefined || g.firstSegment === prefix)),
    );
  }
  const unprefixed = active.filter((r) => r.eventTypes.some((g) => g.firstSegment === undefined));
  return { rules: active, byPrefix, unprefixed };
}

/** The facts a notification yields; empty when no rule matches it. */
export function mapServiceNotification(mapping: CompiledMapping, n: Notification): readonly ResourceFact[] {
  const candidates = mapping.byPrefix.get(firstSegment(n.eventType)) ?? mapping.unprefixed;
  if (candidates.length === 0) return NO_FACTS;
  return evaluate(candidates, n, undefined).facts;
}

/** The same, with the rule that matched and notes on what it could not find. */
export function explainNotification(mapping: CompiledMapping, n: Notification): MatchResult {
  const prefix = firstSegment(n.eventType);
  const candidates = mapping.byPrefix.get(prefix) ?? mapping.unprefixed;
  if (candidates.length === 0) {
    return { rule: undefined, facts: NO_FACTS, notes: [`no rule has an event_type starting with '${prefix}.'`] };
  }
  return evaluate(candidates, n, []);
}

function evaluate(candidates: readonly Rule[], n: Notification, notes: string[] | undefined): MatchResult {
  for (const rule of candidates) {
    if (rule.exchanges && n.exchange !== '' && !rule.exchanges.has(n.exchange)) {
      notes?.push(`rule ${rule.name}: exchange ${n.exchange} is not ${[...rule.exchanges].join(' or ')}`);
      continue;
    }
    if (rule.publishers && !rule.publishers.has(n.publisher)) {
      notes?.push(`rule ${rule.name}: publisher ${n.publisher} is not ${[...rule.publishers].join(' or ')}`);
      continue;
    }
    for (const glob of rule.eventTypes) {
      const m = glob.regex.exec(n.eventType);
      if (m) return { rule, facts: factsOf(rule, n, m, notes), notes: notes ?? [] };
    }
  }
  notes?.push(`no rule's event_type matches ${n.eventType} (tried ${candidates.map((r) => r.name).join(', ')})`);
  return { rule: undefined, facts: NO_FACTS, notes: notes ?? [] };
}

function factsOf(rule: Rule, n: Notification, captures: RegExpExecArray, notes: string[] | undefined): ResourceFact[] {
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
    const exception = get(rule.exception);
    facts.push({
      kind: 'error',
      service,
      eventType: n.eventType,
      exception: exception !== undefined && exception.length <= 64 && EXCEPTION_NAME.test(exception) ? exception : 'unknown',
      host,
    });
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

function valueOf(spec: ValueSpec, n: Notification, captures: RegExpExecArray): string | undefined {
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

function outcomeOf(value: string | undefined): AuthOutcome {
  const v = value?.toLowerCase();
  return v !== undefined && OUTCOME_SET.has(v) ? (v as AuthOutcome) : 'unknown';
}
