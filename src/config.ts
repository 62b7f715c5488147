import { readFileSync } from 'node:fs';
import type { TopologySpec } from './amqp/topology.js';
import type { BrokerAddress } from './amqp/url.js';
import { redactedUrl, redactUrlsIn } from './amqp/url.js';
import { FLAGS, envName, flagsFor, type CommandName, type FlagName, type FlagSpec, type FlagValues, type ListenAddress } from './flags.js';
import { NovaConfError, readNovaConf, type NovaNotificationSettings } from './nova-conf.js';
import { flagsFromNovaConf, novaTopics, silentNovaReason } from './nova-flags.js';
import type { Priority } from './notifications/types.js';

export type NotificationFormat = 'unversioned' | 'versioned' | 'both';

/** The broker settings: where to connect, and the topology the exporter declares. */
export interface AmqpConfig extends TopologySpec {
  readonly address: BrokerAddress;
  readonly tls: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
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

export interface NovaConfig {
  readonly notificationFormat: NotificationFormat;
  /** --nova.config-file, when given. */
  readonly configFile: string | undefined;
  /** Set when that nova.conf makes Nova send nothing: shown as a warning, a FAIL in check. */
  readonly silentReason: string | undefined;
}

export interface TailConfig {
  /** `raw` when --tail.raw, which wins over --tail.output. */
  readonly output: 'text' | 'json' | 'raw';
  readonly eventTypes: readonly string[];
  readonly priorities: readonly Exclude<Priority, 'unknown'>[];
  readonly hosts: readonly string[];
  /** 0: no limit. */
  readonly count: number;
  readonly showSecrets: boolean;
}

export interface CheckConfig {
  readonly waitSeconds: number;
  readonly fix: boolean;
  /** May carry a password: never print it, use redactUrlsIn. */
  readonly managementUrl: string | undefined;
}

export interface SimulateConfig {
  readonly count: number;
  readonly durationSeconds: number;
  readonly rate: number;
  readonly hosts: number;
  readonly errorRatio: number;
  readonly exists: boolean;
  readonly seed: number;
}

export interface Config {
  readonly amqp: AmqpConfig;
  readonly nova: NovaConfig;
  readonly web: {
    readonly listenAddresses: readonly ListenAddress[];
    readonly telemetryPath: string;
    /** exporter-toolkit's web configuration file, already checked once. */
    readonly configFile: string | undefined;
  };
  readonly metrics: MetricsConfig;
  readonly log: { readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly format: 'json' | 'logfmt' };
  readonly tail: TailConfig;
  readonly check: CheckConfig;
  readonly simulate: SimulateConfig;
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

/** Values read from a file (nova.conf), named in errors by `source`. */
export interface FileFlags {
  readonly values: RawFlags;
  readonly source: string;
}

/**
 * Flags win over environment variables, which win over the file (nova.conf), which wins
 * over defaults. Repeatable flags read their variable as a comma-separated list. The first
 * invalid value stops everything.
 */
export function resolveFlags(
  command: CommandName,
  cli: RawFlags,
  env: Readonly<Record<string, string | undefined>>,
  file?: FileFlags,
): FlagValues {
  const values: Record<string, unknown> = {};
  for (const name of flagsFor(command)) {
    const value = resolveFlag(name, cli, env, file);
    if (value !== undefined) values[name] = value;
  }
  return values as FlagValues;
}

function resolveFlag(name: FlagName, cli: RawFlags, env: Readonly<Record<string, string | undefined>>, file?: FileFlags): unknown {
  const spec: FlagSpec = FLAGS[name];
  const variable = envName(name);
  const fromCli = cli[name];
  const fromEnv = env[variable];
  const fromFile = file?.values[name];
  let raw: string | readonly string[] | undefined;
  let source: string;
  if (fromCli !== undefined) [raw, source] = [fromCli, `--${name}`];
  else if (fromEnv !== undefined) [raw, source] = [spec.repeatable ? fromEnv.split(',').map((s) => s.trim()) : fromEnv, variable];
  else if (fromFile !== undefined) [raw, source] = [fromFile, file?.source ?? 'file'];
  else [raw, source] = [spec.default, 'default'];
  if (raw === undefined) return undefined;
  if (spec.repeatable && typeof raw === 'string') raw = [raw];
  const result = spec.schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      `invalid --${name}${source === variable || source === file?.source ? ` (from ${source})` : ''}: ${shown(name, raw)}${issue?.message ?? 'is not valid'}`,
    );
  }
  return result.data;
}

function shown(name: string, raw: string | readonly string[]): string {
  // A URL may carry a password: the message names the flag only.
  if (name === 'amqp.url' || name === 'management.url') return '';
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  return `"${text.length > 80 ? `${text.slice(0, 80)}...` : text}" `;
}

export interface ConfigSources {
  /** Whose flags to read; default serve. */
  readonly command?: CommandName;
  /** Reads --nova.config-file; injectable for tests. */
  readonly readFile?: (path: string) => string;
}

export function buildConfig(cli: RawFlags, env: Readonly<Record<string, string | undefined>>, sources: ConfigSources = {}): Config {
  const command = sources.command ?? 'serve';
  const novaFile = resolveFlag('nova.config-file', cli, env) as string | undefined;
  const nova = novaFile === undefined ? undefined : readNovaFile(novaFile, sources.readFile ?? ((path) => readFileSync(path, 'utf8')));
  const file = nova && { values: novaFlags(nova, cli, env), source: novaFile as string };
  const v = resolveFlags(command, cli, env, file);
  const format = v['nova.notification-format'];
  const display: Record<string, string> = {};
  for (const name of flagsFor(command)) {
    const value = cli[name] ?? env[envName(name)] ?? file?.values[name] ?? (FLAGS[name] as FlagSpec).default;
    display[name] = redactUrlsIn(Array.isArray(value) ? value.join(',') : String(value ?? ''));
  }
  display['amqp.url'] = redactedUrl(v['amqp.url']);
  if (v['amqp.topic'] === undefined && flagsFor(command).includes('amqp.topic')) display['amqp.topic'] = topicsFor(format).join(',');
  if (v['management.url'] !== undefined) display['management.url'] = redactUrlsIn(v['management.url']);
  return Object.freeze({
    amqp: amqpConfig(v, format),
    nova: { notificationFormat: format, configFile: novaFile, silentReason: nova && silentNovaReason(nova) },
    web: { listenAddresses: v['web.listen-address'], telemetryPath: v['web.telemetry-path'], configFile: v['web.config.file'] },
    metrics: {
      maxHosts: v['metrics.max-hosts'],
      maxLabelValues: v['metrics.max-label-values'],
      maxTrackedInstances: v['metrics.max-tracked-instances'],
      maxTrackedActions: v['metrics.max-tracked-actions'],
      actionTimeoutSeconds: v['metrics.action-timeout-seconds'],
      dedupWindow: v['metrics.dedup-window'],
    },
    log: { level: v['log.level'], format: v['log.format'] },
    tail: {
      output: valueOf(v, 'tail.raw') ? ('raw' as const) : valueOf(v, 'tail.output'),
      eventTypes: v['tail.event-type'] ?? [],
      priorities: v['tail.priority'] ?? [],
      hosts: v['tail.host'] ?? [],
      count: valueOf(v, 'tail.count'),
      showSecrets: valueOf(v, 'tail.show-secrets'),
    },
    check: { waitSeconds: valueOf(v, 'check.wait-seconds'), fix: valueOf(v, 'check.fix'), managementUrl: v['management.url'] },
    simulate: {
      count: valueOf(v, 'simulate.count'),
      durationSeconds: valueOf(v, 'simulate.duration-seconds'),
      rate: valueOf(v, 'simulate.rate'),
      hosts: valueOf(v, 'simulate.hosts'),
      errorRatio: valueOf(v, 'simulate.error-ratio'),
      exists: valueOf(v, 'simulate.exists'),
      seed: valueOf(v, 'simulate.seed'),
    },
    display,
  });
}

function readNovaFile(path: string, readFile: (path: string) => string): NovaNotificationSettings {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : String(code ?? err);
    throw new ConfigError(`invalid --nova.config-file: cannot read ${path}: ${why}`);
  }
  try {
    return readNovaConf(text, path);
  } catch (err) {
    // The offending line is quoted, and it may be a transport_url with its password.
    if (err instanceof NovaConfError) throw new ConfigError(`invalid --nova.config-file: ${redactUrlsIn(err.message)}`);
    throw err;
  }
}

/** nova.conf's answers, its topics picked for the format in effect (a flag or variable may override its own). */
function novaFlags(nova: NovaNotificationSettings, cli: RawFlags, env: Readonly<Record<string, string | undefined>>): RawFlags {
  const values = flagsFromNovaConf(nova);
  const format =
    cli['nova.notification-format'] ?? env[envName('nova.notification-format')] ?? values['nova.notification-format'] ?? 'unversioned';
  if (format === 'unversioned' || format === 'versioned' || format === 'both') values['amqp.topic'] = novaTopics(nova, format);
  return values;
}

/** A flag's value, or its default when the command does not take it (validated the same way). */
function valueOf<K extends FlagName>(v: Partial<FlagValues>, name: K): FlagValues[K] {
  const value = v[name];
  const spec: FlagSpec = FLAGS[name];
  return value !== undefined ? value : (spec.schema.parse(spec.default) as FlagValues[K]);
}

export function amqpConfig(v: Partial<FlagValues>, format: NotificationFormat): AmqpConfig {
  const get = <K extends FlagName>(name: K): FlagValues[K] => valueOf(v, name);
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
