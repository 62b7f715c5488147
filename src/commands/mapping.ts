/**
 * `mapping`: try a mapping file before deploying it. Reads notifications (one per line: an
 * oslo wire body, an inner message, or `{"exchange", "routing_key", "body"}` as captured),
 * and prints for each the series it would update and how, or why it matched nothing.
 * Exit 1 when the mapping file is broken or an input cannot be read; 0 otherwise.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  BUILTIN_MAPPING_DIR,
  compileMapping,
  explainNotification,
  loadMappings,
  MappingError,
  mayStart,
  type CompiledMapping,
} from '../mapping/index.js';
import type { ResourceFact } from '../mapping/facts.js';
import { fromInner, isObject, unwrapMessage } from '../pipeline/decode.js';
import { instanceEvent } from '../nova/mapper.js';
import type { Notification } from '../pipeline/notification.js';

export interface MappingOptions {
  /** The operator's file (`--mapping.config-file`), over the built-in rules. */
  readonly mappingFile?: string;
  readonly builtinDir?: string;
  /** JSON Lines files. */
  readonly inputs: readonly string[];
  readonly stdout: NodeJS.WritableStream;
  /** Where a broken mapping file is reported; stdout when absent. */
  readonly stderr?: NodeJS.WritableStream;
}

const MAX_LINE_BYTES = 16 << 20;

export function runMapping(options: MappingOptions): number {
  const out = (line: string) => options.stdout.write(`${line}\n`);
  const fail = (line: string) => {
    (options.stderr ?? options.stdout).write(`${line}\n`);
    return 1;
  };
  let mapping: CompiledMapping;
  try {
    mapping = compileMapping(loadMappings(options.builtinDir ?? BUILTIN_MAPPING_DIR, options.mappingFile));
  } catch (err) {
    if (err instanceof MappingError) return fail(err.message);
    throw err;
  }
  out(`${mapping.rules.length} rules${options.mappingFile ? ` (built-in, and ${options.mappingFile})` : ' (built-in)'}`);
  for (const input of options.inputs) {
    let text: string;
    try {
      text = readFileSync(input, 'utf8');
    } catch (err) {
      return fail(`${input}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      out('');
      for (const l of describeLine(mapping, line, `${input}:${i + 1}`)) out(l);
    });
  }
  return 0;
}

/** One input line → what the exporter would do with it, as printable lines. */
export function describeLine(mapping: CompiledMapping, line: string, where: string): string[] {
  const decoded = decodeLine(line);
  if (typeof decoded === 'string') return [`${where} not a notification: ${decoded}`];
  const n = decoded;
  const lines = [
    `${where} ${n.eventType} (priority ${n.priority}, publisher ${n.publisher}, host ${n.host}${n.exchange ? `, exchange ${n.exchange}` : ''})`,
    `  ${series('openstack_notifications_total', { event_type: n.eventType, priority: n.priority, publisher: n.publisher, host: n.host })} +1`,
  ];
  const result = explainNotification(mapping, n);
  if (result.rule) lines.push(`  rule ${result.rule.name} (${basename(result.rule.file)})`);
  for (const fact of result.facts) lines.push(...describeFact(fact, mapping));
  if (result.facts.length === 0) {
    if (instanceEvent(n))
      lines.push('  a Nova instance notification: the openstack_instance_* metrics count it (the Nova mapper, not mapping rules)');
    else if (!result.rule) lines.push('  matched no rule: counted in openstack_notifications_total only');
  }
  for (const note of result.notes) lines.push(`  note: ${note}`);
  return lines;
}

function describeFact(f: ResourceFact, mapping: CompiledMapping): string[] {
  const id = (resourceId: string | undefined) => (resourceId === undefined ? 'no resource id' : `resource ${resourceId}`);
  switch (f.kind) {
    case 'action': {
      const labels = { service: f.service, resource: f.resource, action: f.action };
      const counted = `  ${series('openstack_resource_actions_total', { ...labels, phase: f.phase, host: f.host })} +1`;
      if (f.resourceId === undefined) return [counted, '  not timed: no resource id to pair its phases'];
      if (f.phase === 'start')
        return [counted, `  ${series('openstack_resource_actions_in_flight', labels)} +1 until its end or error (${id(f.resourceId)})`];
      const outcome = f.phase === 'end' ? 'success' : 'error';
      if (!mayStart(mapping, f.service, f.resource, f.action))
        return [counted, `  not timed: no rule maps a start of ${f.service} ${f.resource} ${f.action}`];
      return [
        counted,
        `  ${series('openstack_resource_action_duration_seconds', { ...labels, outcome })} observes the time since its start (${id(f.resourceId)})`,
      ];
    }
    case 'status':
      return [
        `  ${series('openstack_resources', { service: f.service, resource: f.resource, status: f.status })} holds ${id(f.resourceId)}${f.audit ? ' (audit)' : ''}`,
      ];
    case 'removed':
      return [`  ${series('openstack_resources', { service: f.service, resource: f.resource })} no longer holds ${id(f.resourceId)}`];
    case 'error':
      return [`  ${series('openstack_resource_errors_total', { service: f.service, event_type: f.eventType, exception: f.exception })} +1`];
    case 'authentication':
      return [`  ${series('openstack_identity_authentications_total', { outcome: f.outcome })} +1`];
  }
}

function series(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}

function decodeLine(line: string): Notification | string {
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) return 'longer than 16 MiB';
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!isObject(value)) return 'not a JSON object';
  // A capture: {"exchange": ..., "routing_key": ..., "body": <wire body>}.
  const exchange = typeof value['exchange'] === 'string' ? value['exchange'] : '';
  const body = 'body' in value && 'routing_key' in value ? value['body'] : value;
  const unwrapped = unwrapMessage(Buffer.from(JSON.stringify(body)), { maxMessageBytes: MAX_LINE_BYTES });
  if (!unwrapped.ok) return `${unwrapped.reason}: ${unwrapped.detail}`;
  const decoded = fromInner(unwrapped.inner, unwrapped.envelope, exchange);
  return decoded.ok ? decoded.notification : `${decoded.reason}: ${decoded.detail}`;
}
