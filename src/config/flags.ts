import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { SERVICE_NAMES } from '../mapping/services.js';
import { parseBrokerUrl, UrlError, type BrokerAddress } from '../amqp/url.js';
import { normalizePriority, PRIORITIES, type KnownPriority } from '../oslo/priority.js';
import { requestIdOf } from '../oslo/request-id.js';
import { webConfigFile } from '../http/web-config-flag.js';
import { BOUNDED_LABELS } from '../metrics/labels.js';
import { NOTIFICATION_FORMATS } from '../nova/format.js';

/**
 * Every flag the CLI takes, in one table: the CLI registers them from here, config.ts
 * validates them from here, and docs/flags.md is generated from it (scripts/generate-flags.ts).
 * Each flag `--a.b-c` also reads the environment variable `A_B_C`.
 */
export type CommandName = 'serve' | 'tail' | 'check' | 'simulate' | 'mapping';

export interface FlagSpec<T = unknown> {
  readonly help: string;
  /** The value when neither the flag nor its variable is set (a string, as typed). */
  readonly default?: string | readonly string[];
  readonly repeatable?: boolean;
  /** A flag that may stand alone (`--fix`) means `true`. */
  readonly boolean?: boolean;
  /** The short form a person types beside the namespaced one: `tail --count` for `--tail.count`. */
  readonly short?: string;
  readonly commands: readonly CommandName[];
  readonly schema: z.ZodType<T, string | string[]>;
}

/** --amqp.declare-exchange: wait for the service, or declare as its amqp_durable_queues says. */
export const DECLARE_EXCHANGE_MODES = ['wait', 'durable', 'transient'] as const;
export type DeclareExchangeMode = (typeof DECLARE_EXCHANGE_MODES)[number];

const ALL: readonly CommandName[] = ['serve', 'tail', 'check', 'simulate'];
const CONSUMERS: readonly CommandName[] = ['serve', 'tail', 'check'];

function int(min: number, max: number) {
  const error = `must be an integer from ${min} to ${max}`;
  return z.string().trim().regex(/^\d+$/, { error }).transform(Number).pipe(z.number().min(min, { error }).max(max, { error }));
}

function number(min: number, max: number) {
  const error = `must be a number from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { error })
    .transform(Number)
    .pipe(z.number().min(min, { error }).max(max, { error }));
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z.string().transform((v) => (v === '' ? undefined : v));

// Checked at start, so a typo in a certificate path fails there and not at the first connect.
const readableFile = z.string().transform((v, ctx) => {
  if (v === '') return undefined;
  try {
    accessSync(v, constants.R_OK);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'cannot be read (missing file or no permission)' });
    return z.NEVER;
  }
  return v;
});

// AMQP names: RabbitMQ allows up to 255 bytes; the amq. prefix is reserved by the broker.
const amqpName = z
  .string()
  .regex(/^[\w.:-]{1,255}$/, { error: 'must be 1-255 letters, digits, or . _ - :' })
  .refine((v) => !v.startsWith('amq.'), { error: 'must not start with amq. (reserved by RabbitMQ)' });

const names = z.array(amqpName).min(1, { error: 'needs at least one value' });

const brokerUrl = z.string().transform((value, ctx): BrokerAddress => {
  try {
    return parseBrokerUrl(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof UrlError ? err.message : 'is not a valid URL' });
    return z.NEVER;
  }
});

export interface ListenAddress {
  readonly host: string | undefined;
  readonly port: number;
}

const listenAddress = z.string().transform((value, ctx): ListenAddress => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: 'custom', message: 'must be [host]:port, e.g. :9851 or 127.0.0.1:9851' });
    return z.NEVER;
  }
  const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? undefined : host, port };
});

const urlPath = z.string().regex(/^\/[\w./-]*$/, { error: 'must be a path starting with /' });

// A shell-style pattern (`*`, `?`); matching lives in commands/tail-format.ts.
const globs = z.array(z.string().min(1, { error: 'must not be empty' }).max(255, { error: 'must be at most 255 characters' }));

const requestIds = z.array(
  z
    .string()
    .refine((v) => requestIdOf(v.trim()) !== undefined, { error: 'must be a request id: req- and a UUID' })
    .transform((v) => v.trim().toLowerCase()),
);

// Spelt as oslo accepts them: any case, WARNING for WARN.
const priorities = z.array(
  z.string().transform((v, ctx): KnownPriority => {
    const p = normalizePriority(v.trim());
    if (p !== 'unknown') return p;
    ctx.addIssue({ code: 'custom', message: `must be one of ${PRIORITIES.map((x) => x.toLowerCase()).join(', ')}` });
    return z.NEVER;
  }),
);

const httpUrl = z.string().transform((value, ctx): string | undefined => {
  if (value === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL, e.g. http://guest:guest@127.0.0.1:15672' });
    return z.NEVER;
  }
  return value;
});

// `--openstack.services nova,cinder` or the flag repeated: both read as one list.
const serviceList = z
  .array(z.string())
  .transform((values) =>
    values
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  )
  .pipe(z.array(oneOf(SERVICE_NAMES as [string, ...string[]])).min(1, { error: 'needs at least one value' }));

// Labels the exporter's own metrics carry, and Prometheus's reserved ones: a constant label
// of the same name would clash with them.
const TAKEN_LABELS = new Set([
  ...BOUNDED_LABELS,
  'priority',
  'phase',
  'outcome',
  'le',
  'reason',
  'label',
  'kind',
  'version',
  'nodejs',
  'job',
  'instance',
]);

const constantLabels = z.array(z.string()).transform((pairs, ctx): Readonly<Record<string, string>> => {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(pair.trim());
    const name = m?.[1];
    if (!m || name === undefined || name.startsWith('__')) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be name=value with a Prometheus label name (letters, digits, _), e.g. region=RegionOne',
      });
      return z.NEVER;
    }
    if (TAKEN_LABELS.has(name)) {
      ctx.addIssue({ code: 'custom', message: `must not be ${name}: the exporter's metrics or Prometheus use that label` });
      return z.NEVER;
    }
    if (name in labels) {
      ctx.addIssue({ code: 'custom', message: `names ${name} twice` });
      return z.NEVER;
    }
    labels[name] = m[2] as string;
  }
  return Object.freeze(labels);
});

export const FLAGS = {
  'amqp.url': {
    help: 'Broker URL: amqp://, amqps:// or an oslo transport_url (rabbit://u:p@h1:5672,u:p@h2:5672/vhost)',
    default: 'amqp://guest:guest@127.0.0.1:5672/',
    commands: ALL,
    schema: brokerUrl,
  },
  'amqp.tls-ca-file': { help: 'CA bundle to verify the broker (amqps)', default: '', commands: ALL, schema: readableFile },
  'amqp.tls-cert-file': { help: 'Client certificate (amqps)', default: '', commands: ALL, schema: readableFile },
  'amqp.tls-key-file': { help: 'Client certificate key (amqps)', default: '', commands: ALL, schema: readableFile },
  'amqp.exchange': {
    help: 'Exchange to bind to, repeatable (Nova: nova; oslo default: openstack)',
    default: ['nova'],
    repeatable: true,
    commands: ALL,
    schema: names,
  },
  'amqp.topic': {
    help: 'Notification topic, repeatable; binds <topic>.* (default from --nova.notification-format)',
    repeatable: true,
    commands: CONSUMERS,
    schema: names,
  },
  'amqp.declare-exchange': {
    help: "A service's exchange not there yet: wait for the service to declare it, or declare it durable or transient as its amqp_durable_queues says (Nova's: from --nova.config-file)",
    default: 'wait',
    commands: ALL,
    schema: oneOf(DECLARE_EXCHANGE_MODES),
  },
  'amqp.exchange-durable': {
    help: 'Deprecated: use --amqp.declare-exchange durable or transient',
    boolean: true,
    commands: ALL,
    schema: bool,
  },
  'amqp.queue': {
    help: "The exporter's own queue (never oslo's notifications.<priority> queues)",
    default: 'openstack-notification-exporter',
    commands: ['serve', 'check'],
    schema: amqpName.refine((v) => !/^(versioned_)?notifications\.[a-z]+$/.test(v), {
      error: "must not be one of oslo's notifications.<priority> queues: consuming them steals Ceilometer's messages",
    }),
  },
  'amqp.queue-type': {
    help: 'classic, or quorum for replicated HA queues',
    default: 'classic',
    commands: ['serve', 'check'],
    schema: oneOf(['classic', 'quorum']),
  },
  ha: {
    help: 'One of several replicas: a quorum queue with x-single-active-consumer, one replica counts, its state kept on the broker (docs/high-availability.md)',
    default: 'false',
    boolean: true,
    commands: ['serve', 'check'],
    schema: bool,
  },
  'ha.snapshot-interval-seconds': {
    help: 'With --ha: the longest a counted notification waits for the state snapshot that covers it (and for its ack)',
    default: '2',
    commands: ['serve'],
    schema: number(0.1, 3600),
  },
  'amqp.queue-expires-seconds': {
    help: 'Broker deletes the queue after this long without a consumer (x-expires)',
    default: '3600',
    commands: ['serve', 'check'],
    schema: int(1, 2_000_000),
  },
  'amqp.queue-max-length': {
    help: 'Most messages kept while nobody consumes; the oldest are dropped past it (x-max-length)',
    default: '100000',
    commands: ['serve', 'check'],
    schema: int(1, 100_000_000),
  },
  'amqp.prefetch': {
    help: 'Unacknowledged messages in flight (back-pressure window)',
    default: '1000',
    commands: ['serve'],
    schema: int(1, 65535),
  },
  'amqp.max-message-bytes': {
    help: 'Larger messages are dropped unparsed',
    default: '1048576',
    commands: ['serve', 'tail'],
    schema: int(1024, 256 * 1024 * 1024),
  },
  'amqp.heartbeat-interval-seconds': { help: 'AMQP heartbeat (0 disables)', default: '30', commands: ALL, schema: int(0, 3600) },
  'amqp.connect-timeout-seconds': {
    help: 'Give up one connection attempt after this long',
    default: '10',
    commands: ALL,
    schema: int(1, 600),
  },
  'amqp.reconnect-max-delay-seconds': {
    help: 'Cap of the exponential reconnect backoff',
    default: '30',
    commands: ['serve'],
    schema: int(1, 3600),
  },
  'nova.notification-format': {
    help: 'Mirror of nova.conf [notifications] notification_format: unversioned, versioned or both',
    default: 'unversioned',
    commands: ALL,
    schema: oneOf(NOTIFICATION_FORMATS),
  },
  'nova.config-file': {
    help: 'nova.conf to take transport_url, topics, notification_format and control_exchange from (flags and variables win)',
    default: '',
    commands: ALL,
    schema: optionalText,
  },
  'openstack.services': {
    help: `Services whose exchanges and topics to bind besides --amqp.exchange, repeatable (${SERVICE_NAMES.join(', ')})`,
    default: ['nova'],
    repeatable: true,
    commands: CONSUMERS,
    schema: serviceList,
  },
  'mapping.config-file': {
    help: 'A mapping file of your own: its rules come before the built-in ones and replace those of the same name',
    default: '',
    commands: ['serve', 'mapping'],
    schema: optionalText,
  },
  'web.listen-address': {
    help: 'Address for /metrics and the landing page, repeatable (e.g. :9851, [::1]:9851)',
    default: [':9851'],
    repeatable: true,
    commands: ['serve'],
    schema: z.array(listenAddress).min(1, { error: 'needs at least one value' }),
  },
  'web.config.file': {
    help: 'exporter-toolkit web configuration (TLS, basic auth, headers); see docs/security.md',
    default: '',
    commands: ['serve'],
    schema: webConfigFile,
  },
  'web.telemetry-path': { help: 'Path under which metrics are served', default: '/metrics', commands: ['serve'], schema: urlPath },
  'web.max-requests': {
    help: 'Requests served at once before new ones get 503, as node_exporter (0: no limit)',
    default: '40',
    commands: ['serve'],
    schema: int(0, 100_000),
  },
  'web.systemd-socket': {
    help: "Serve on the sockets systemd passes (socket activation, deploy/systemd's .socket unit) instead of --web.listen-address",
    default: 'false',
    boolean: true,
    commands: ['serve'],
    schema: bool,
  },
  'web.disable-exporter-metrics': {
    help: 'Leave out the process_ and nodejs_ metrics about the exporter itself',
    default: 'false',
    boolean: true,
    commands: ['serve'],
    schema: bool,
  },
  'metrics.max-hosts': {
    help: 'Distinct host label values before new ones become "other"',
    default: '10000',
    commands: ['serve'],
    schema: int(1, 1_000_000),
  },
  'metrics.max-label-values': {
    help: 'Distinct values of any other label before "other"',
    default: '500',
    commands: ['serve'],
    schema: int(1, 100_000),
  },
  'metrics.max-tracked-instances': {
    help: 'Instances kept for openstack_instances',
    default: '200000',
    commands: ['serve'],
    schema: int(1, 10_000_000),
  },
  'metrics.max-tracked-actions': {
    help: 'Started actions awaiting their end',
    default: '50000',
    commands: ['serve'],
    schema: int(1, 10_000_000),
  },
  'metrics.action-timeout-seconds': {
    help: 'A start with no end after this long counts as outcome="timeout"',
    default: '10800',
    commands: ['serve'],
    schema: int(1, 30 * 86400),
  },
  'metrics.max-timestamp-ahead-seconds': {
    help: "A notification time further ahead of the exporter's clock is counted but not used (state, durations, expiry)",
    default: '86400',
    commands: ['serve'],
    schema: int(1, 10 * 365 * 86400),
  },
  'metrics.max-timestamp-age-seconds': {
    help: "A notification time further behind the exporter's clock is counted but not used (state, durations, expiry)",
    default: '31536000',
    commands: ['serve'],
    schema: int(1, 100 * 365 * 86400),
  },
  'metrics.constant-label': {
    help: 'name=value added to every openstack_* series, repeatable (e.g. region=RegionOne, cell=cell1)',
    repeatable: true,
    commands: ['serve'],
    schema: constantLabels,
  },
  'metrics.audit-period-seconds': {
    help: "Period of the usage audits (Nova's instance_usage_audit_period, volume.exists, ...): what no audit names for two periods leaves the inventory (0: never); longer gaps seen count",
    default: '3600',
    commands: ['serve'],
    schema: int(0, 30 * 86400),
  },
  'metrics.exemplars': {
    help: 'Attach the request id (and instance or resource id) of the notification behind an error or a duration to its series, as an OpenMetrics exemplar',
    default: 'true',
    boolean: true,
    commands: ['serve'],
    schema: bool,
  },
  'metrics.duration-by-host': {
    help: 'Add host to openstack_instance_action_duration_seconds (about 17 samples per action, outcome and host: see docs/metrics.md)',
    default: 'false',
    boolean: true,
    commands: ['serve'],
    schema: bool,
  },
  'metrics.dedup-window': {
    help: 'Recent message_ids remembered so redeliveries are not counted twice',
    default: '100000',
    commands: ['serve'],
    schema: int(0, 10_000_000),
  },
  'tail.output': {
    short: 'output',
    help: 'text (one readable line per notification) or json (the inner message, one per line)',
    default: 'text',
    commands: ['tail'],
    schema: oneOf(['text', 'json']),
  },
  'tail.raw': {
    short: 'raw',
    help: 'Print each body as received (the oslo envelope) instead; wins over --tail.output',
    default: 'false',
    boolean: true,
    commands: ['tail'],
    schema: bool,
  },
  'tail.event-type': {
    short: 'event-type',
    help: 'Only event types matching this glob (* and ?), repeatable, e.g. compute.instance.*',
    repeatable: true,
    commands: ['tail'],
    schema: globs,
  },
  'tail.priority': {
    short: 'priority',
    help: 'Only this priority (info, warn, error, ...; any case), repeatable',
    repeatable: true,
    commands: ['tail'],
    schema: priorities,
  },
  'tail.host': {
    short: 'host',
    help: "Only this host, a glob matching the publisher's or the instance's host, repeatable",
    repeatable: true,
    commands: ['tail'],
    schema: globs,
  },
  'tail.request-id': {
    short: 'request-id',
    help: 'Only notifications of this request (_context_request_id, e.g. req-0c1f...), repeatable',
    repeatable: true,
    commands: ['tail'],
    schema: requestIds,
  },
  'tail.count': {
    short: 'count',
    help: 'Stop after printing this many notifications (0: never)',
    default: '0',
    commands: ['tail'],
    schema: int(0, 1_000_000_000),
  },
  'tail.show-secrets': {
    short: 'show-secrets',
    help: 'Print the request context tokens and URL passwords instead of ***',
    default: 'false',
    boolean: true,
    commands: ['tail'],
    schema: bool,
  },
  'check.wait-seconds': {
    short: 'wait-seconds',
    help: 'How long to wait for one notification to prove they flow (0: skip that check)',
    default: '10',
    commands: ['check'],
    schema: int(0, 3600),
  },
  'check.fix': {
    short: 'fix',
    help: 'Declare what is missing: the exchange as oslo does, the queue and bindings as serve does',
    default: 'false',
    boolean: true,
    commands: ['check'],
    schema: bool,
  },
  'management.url': {
    help: 'RabbitMQ management API, e.g. http://guest:guest@127.0.0.1:15672, for the checks AMQP cannot do',
    default: '',
    commands: ['check'],
    schema: httpUrl,
  },
  'log.level': {
    help: 'debug, info, warn or error',
    default: 'info',
    commands: [...ALL, 'mapping'],
    schema: oneOf(['debug', 'info', 'warn', 'error']),
  },
  'log.format': { help: 'json or logfmt', default: 'json', commands: [...ALL, 'mapping'], schema: oneOf(['json', 'logfmt']) },
  'simulate.count': {
    short: 'count',
    help: 'Notifications to publish (0: until --simulate.duration-seconds)',
    default: '1000',
    commands: ['simulate'],
    schema: int(0, 1_000_000_000),
  },
  'simulate.duration-seconds': {
    short: 'duration-seconds',
    help: 'Stop after this long (0: until --simulate.count)',
    default: '0',
    commands: ['simulate'],
    schema: number(0, 30 * 86400),
  },
  'simulate.rate': {
    short: 'rate',
    help: 'Notifications per second (0: as fast as the broker takes them)',
    default: '50',
    commands: ['simulate'],
    schema: number(0, 1_000_000),
  },
  'simulate.hosts': {
    short: 'hosts',
    help: 'Compute hosts to spread instances over',
    default: '10',
    commands: ['simulate'],
    schema: int(1, 100_000),
  },
  'simulate.error-ratio': {
    short: 'error-ratio',
    help: 'Share of builds that fail (0..1)',
    default: '0.05',
    commands: ['simulate'],
    schema: number(0, 1),
  },
  'simulate.exists': {
    short: 'exists',
    help: 'Emit the hourly exists audit bursts',
    default: 'false',
    boolean: true,
    commands: ['simulate'],
    schema: bool,
  },
  'simulate.services': {
    short: 'services',
    help: `Services to simulate, repeatable or comma-separated (${SERVICE_NAMES.join(', ')})`,
    default: ['nova'],
    repeatable: true,
    commands: ['simulate'],
    schema: serviceList,
  },
  'simulate.seed': {
    short: 'seed',
    help: 'Seed for a reproducible run',
    default: '1',
    commands: ['simulate'],
    schema: int(0, 2 ** 32 - 1),
  },
} satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;
export type FlagValues = { [K in FlagName]: z.output<(typeof FLAGS)[K]['schema']> };

/** `--amqp.queue-max-length` → `AMQP_QUEUE_MAX_LENGTH`. */
export function envName(flag: string): string {
  return flag.replace(/[.-]/g, '_').toUpperCase();
}

export function flagsFor(command: CommandName): FlagName[] {
  return (Object.keys(FLAGS) as FlagName[]).filter((f) => (FLAGS[f].commands as readonly CommandName[]).includes(command));
}
