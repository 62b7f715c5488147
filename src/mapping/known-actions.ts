/**
 * The (service, resource, action) series the mapping can produce, known before any
 * notification: a literal action, the values of its `map`, or the rule's `actions` list,
 * for rules that can start an action.
 * The in-flight gauges show each at 0, so a quiet hour reads 0 rather than "no data".
 * A templated resource (`${1}`) is not known in advance and is left out.
 */
import type { Rule, Template } from './rule.js';

export interface KnownAction {
  readonly service: string;
  readonly resource: string;
  readonly action: string;
}

export function knownActions(rules: readonly Rule[]): KnownAction[] {
  const out = new Map<string, KnownAction>();
  for (const rule of rules) {
    if (rule.disabled || !rule.action) continue;
    const resource = literal(rule.resource.template);
    if (resource === undefined) continue;
    // A rule whose phase is always end or error (Glance's image.create) never starts anything.
    const phase = literal(rule.phase?.template);
    if (phase !== undefined && (rule.phase?.map?.get(phase) ?? phase) !== 'start') continue;
    const actions = new Set(rule.actions ?? []);
    const fixed = literal(rule.action.template);
    if (fixed !== undefined) actions.add(rule.action.map?.get(fixed) ?? fixed);
    for (const mapped of rule.action.map?.values() ?? []) actions.add(mapped);
    for (const action of actions) out.set(`${rule.service}\u0000${resource}\u0000${action}`, { service: rule.service, resource, action });
  }
  return [...out.values()];
}

/** The template's text when it has no variables. */
function literal(template: Template | undefined): string | undefined {
  if (!template || template.some((p) => typeof p !== 'string')) return undefined;
  return template.join('');
}
