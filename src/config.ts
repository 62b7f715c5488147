import type { BrokerAddress } from './amqp/url.js';
import { redactedUrl, redactUrlsIn } from './amqp/url.js';
import {
  FLAGS,
  envName,
  flagsFor,
  type CommandName,
  type FlagName,
  type FlagSpec,
  type FlagValues,
  type ListenAddress,
} from './flags.js';

export type NotificationFormat = 'unversioned' | 'versioned' | 'both';

export interface AmqpConfig {
  readonly address: BrokerAddress;
  readonly tls: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly exchanges: readonly string[];
  readonly topics: readonly string[];
  readonly exchangeDurable: boolean;
  readonly queue: string;
  readonly queueType: 'classic' | 'quorum';
  readonly queueExpiresSeconds: number;
  readonly queueMaxLength: number;
  readonly prefetch: number;
  readonly maxMessageBytes: number;
  readonly heartbeatIntervalSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly reconnectMaxDelaySeconds: number;
}

export interface MetricsConfig {
  readonly maxHosts: number;
  readonly maxLabelValues: number;
  readonly maxTrackedInstances: number;
  readonly maxTrackedActions: number;
  readonly actionTimeoutSeconds: number;
  readonly dedupWindow: number;
}

export interface Config {
  readonly amqp: AmqpConfig;
  readonly nova: { readonly notificationFormat: NotificationFormat };
  readonly web: { readonly listenAddress: ListenAddress; readonly telemetryPath: string };
  readonly metrics: MetricsConfig;
  readonly log: { readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly format: 'json' | 'logfmt' };
  /** Every flag's value as shown to people (landing page, `check`): passwords masked. */
  readonly display: Readonly<Record<string, string>>;
}

/** One line, naming the flag, for exit code 2. */
export class ConfigError extends Error {}

/** Raw strings per flag as the CLI parser saw them; undefined when not given. */
export type RawFlags = Partial<Record<string, string | string[] | undefined>>;

/** Topics Nova sends on, per nova.conf's notification_format. */
export function topicsFor(format: NotificationFormat): string[] {
  if (format === 'versioned') return ['versioned_notifications'];
  if (format === 'both') return ['notifications', 'versioned_notifications'];
  return ['notifications'];
}

/**
 * Flags win over environment variables, which win over defaults. Repeatable flags read
 * their variable as a comma-separated list. The first invalid value stops everything.
 */
export function resolveFlags(
  command: CommandName,
  cli: RawFlags,
  env: Readonly<Record<string, string | undefined>>,
): FlagValues {
  const values: Record<string, unknown> = {};
  for (const name of flagsFor(command)) {
    const spec: FlagSpec = FLAGS[name];
    const variable = envName(name);
    const fromCli = cli[name];
    const fromEnv = env[variable];
    let raw: string | readonly string[] | undefined;
    let source: string;
    if (fromCli !== undefined) [raw, source] = [fromCli, `--${name}`];
    else if (fromEnv !== undefined) [raw, source] = [spec.repeatable ? fromEnv.split(',').map((s) => s.trim()) : fromEnv, variable];
    else [raw, source] = [spec.default, 'default'];
    if (raw === undefined) continue;
    if (spec.repeatable && typeof raw === 'string') raw = [raw];
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ConfigError(
        `invalid --${name}${source === variable ? ` (from ${variable})` : ''}: ${shown(name, raw)}${issue?.message ?? 'is not valid'}`,
      );
    }
    values[name] = result.data;
  }
  return values as FlagValues;
}

function shown(name: string, raw: string | readonly string[]): string {
  if (name === 'amqp.url') return ''; // a URL may carry a password: the message names the flag only
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  return `"${text.length > 80 ? `${text.slice(0, 80)}...` : text}" `;
}

export function buildConfig(
  cli: RawFlags,
  env: Readonly<Record<string, string | undefined>>,
): Config {
  const v = resolveFlags('serve', cli, env);
  const format = v['nova.notification-format'];
  const display: Record<string, string> = {};
  for (const name of flagsFor('serve')) {
    const value = cli[name] ?? env[envName(name)] ?? (FLAGS[name] as FlagSpec).default;
    display[name] = redactUrlsIn(Array.isArray(value) ? value.join(',') : String(value ?? ''));
  }
  display['amqp.url'] = redactedUrl(v['amqp.url']);
  if (v['amqp.topic'] === undefined) display['amqp.topic'] = topicsFor(format).join(',');
  return Object.freeze({
    amqp: amqpConfig(v, format),
    nova: { notificationFormat: format },
    web: { listenAddress: v['web.listen-address'], telemetryPath: v['web.telemetry-path'] },
    metrics: {
      maxHosts: v['metrics.max-hosts'],
      maxLabelValues: v['metrics.max-label-values'],
      maxTrackedInstances: v['metrics.max-tracked-instances'],
      maxTrackedActions: v['metrics.max-tracked-actions'],
      actionTimeoutSeconds: v['metrics.action-timeout-seconds'],
      dedupWindow: v['metrics.dedup-window'],
    },
    log: { level: v['log.level'], format: v['log.format'] },
    display,
  });
}

export function amqpConfig(v: Partial<FlagValues>, format: NotificationFormat): AmqpConfig {
  const get = <K extends FlagName>(name: K): FlagValues[K] => {
    const value = v[name];
    // Flags that a command does not take fall back to their defaults, validated the same way.
    const spec: FlagSpec = FLAGS[name];
    return value !== undefined ? value : (spec.schema.parse(spec.default) as FlagValues[K]);
  };
  return {
    address: get('amqp.url'),
    tls: {
      caFile: get('amqp.tls-ca-file'),
      certFile: get('amqp.tls-cert-file'),
      keyFile: get('amqp.tls-key-file'),
    },
    exchanges: get('amqp.exchange'),
    topics: v['amqp.topic'] ?? topicsFor(format),
    exchangeDurable: get('amqp.exchange-durable'),
    queue: get('amqp.queue'),
    queueType: get('amqp.queue-type'),
    queueExpiresSeconds: get('amqp.queue-expires-seconds'),
    queueMaxLength: get('amqp.queue-max-length'),
    prefetch: get('amqp.prefetch'),
    maxMessageBytes: get('amqp.max-message-bytes'),
    heartbeatIntervalSeconds: get('amqp.heartbeat-interval-seconds'),
    connectTimeoutSeconds: get('amqp.connect-timeout-seconds'),
    reconnectMaxDelaySeconds: get('amqp.reconnect-max-delay-seconds'),
  };
}
