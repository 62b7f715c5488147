import { readFileSync } from 'node:fs';
import type { MissingExchange, TopologySpec } from '../amqp/topology.js';
import type { BrokerAddress } from '../amqp/url.js';
import { redactedUrl } from '../amqp/url.js';
import { redactUrlsIn } from '../oslo/secrets.js';
import { FLAGS, envName, flagsFor, type CommandName, type FlagName, type FlagSpec, type FlagValues, type ListenAddress } from './flags.js';
import { NovaConfError, readNovaConf, type NovaNotificationSettings } from '../nova/conf.js';
import { flagsFromNovaConf, novaTopics, silentNovaReason } from '../nova/conf-flags.js';
import { topicsFor, type NotificationFormat } from '../nova/format.js';
import { BUILTIN_MAPPING_DIR, loadMappings } from '../mapping/loader.js';
import type { TimeWindow } from '../pipeline/time-window.js';
import { MappingError } from '../mapping/errors.js';
import type { Rule } from '../mapping/rule.js';
import { resolveServices, type ServiceBinding } from '../mapping/services.js';
import type { KnownPriority } from '../oslo/priority.js';

/** The broker settings: where to connect, and the topology the exporter declares. */
export interface AmqpConfig extends TopologySpec {
  /** The services bound (--openstack.services): `check` reports on each. */
  readonly services: readonly ServiceBinding[];
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
  /** Notification times outside it are counted but not used. */
  readonly timeWindow: TimeWindow;
  readonly dedupWindow: number;
  /** --metrics.audit-period-seconds: the usage audits' period; 0: they expire nothing. */
  readonly auditPeriodSeconds: number;
  /** --metrics.exemplars: request ids on error counters and duration histograms (OpenMetrics). */
  readonly exemplars: boolean;
  /** --metrics.duration-by-host: host on the action duration histogram (the series budget, docs/metrics.md). */
  readonly durationByHost: boolean;
  /** --metrics.constant-label: added to every openstack_* series. */
  readonly constantLabels: Readonly<Record<string, string>>;
}

/** --ha: one of several replicas on a single-active-consumer quorum queue (docs/high-availability.md). */
export interface HaConfig {
  readonly enabled: boolean;
  readonly snapshotIntervalSeconds: number;
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
  readonly priorities: readonly KnownPriority[];
  readonly hosts: readonly string[];
  /** --tail.request-id, lower case. */
  readonly requestIds: readonly string[];
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
  readonly services: readonly string[];
}

/** One resolved flag as a person may see it: its value (passwords masked) and where it came from. */
export interface Setting {
  readonly flag: FlagName;
  readonly value: string;
  /** `flag`, the environment variable's name, the nova.conf path, or `default`. */
  readonly source: string;
}

interface LogConfig {
  readonly log: { readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly format: 'json' | 'logfmt' };
  /** Every flag of the command, for the landing page and `check`: passwords masked. */
  readonly settings: readonly Setting[];
}

interface CommonConfig extends LogConfig {
  readonly nova: NovaConfig;
  /** Warnings about the configuration itself (a deprecated flag): each command shows them at start. */
  readonly notices: readonly string[];
}

/** The declarative mapping of the services beyond Nova: the built-in rules and the operator's. */
export interface MappingConfig {
  /** --mapping.config-file, when given. */
  readonly configFile: string | undefined;
  /** Built-in rules with the operator's applied, checked at start. */
  readonly rules: readonly Rule[];
}

/** Each command's own configuration: it reads and validates its own flags, no others. */
export interface ConfigByCommand {
  readonly serve: CommonConfig & {
    readonly amqp: AmqpConfig;
    readonly web: {
      readonly listenAddresses: readonly ListenAddress[];
      readonly telemetryPath: string;
      /** exporter-toolkit's web configuration file, already checked once. */
      readonly configFile: string | undefined;
      /** Requests in progress before new ones get 503; 0: no limit. */
      readonly maxRequests: number;
      /** Serve on the sockets systemd passes (LISTEN_FDS) instead of listenAddresses. */
      readonly systemdSocket: boolean;
      /** Leave out prom-client's process_ and nodejs_ metrics. */
      readonly disableExporterMetrics: boolean;
    };
    readonly metrics: MetricsConfig;
    readonly mapping: MappingConfig;
    readonly ha: HaConfig;
  };
  readonly tail: CommonConfig & { readonly amqp: AmqpConfig; readonly tail: TailConfig };
  readonly check: CommonConfig & { readonly amqp: AmqpConfig; readonly check: CheckConfig };
  readonly simulate: CommonConfig & { readonly amqp: AmqpConfig; readonly simulate: SimulateConfig };
  /** Reads the mapping file itself, to report a broken one as its result (exit 1), not as bad configuration. */
  readonly mapping: LogConfig & { readonly mapping: Pick<MappingConfig, 'configFile'> };
}
export type ConfigFor<C extends CommandName> = ConfigByCommand[C];
/** Any command's configuration. */
export type Config = ConfigFor<CommandName>;

/** One line, naming the flag, for exit code 2. */
export class ConfigError extends Error {}

/** Raw strings per flag as the CLI parser saw them; undefined when not given. */
export type RawFlags = Partial<Record<string, string | string[] | undefined>>;

/** Values read from a file (nova.conf), named in errors by `source`. */
export interface FileFlags {
  readonly values: RawFlags;
  readonly source: string;
}

/** A flag's validated value and where it came from. */
interface Resolved {
  readonly value: unknown;
  readonly source: string;
  /** The text as given (or the default), for the settings table. */
  readonly raw: string | readonly string[] | undefined;
}

/**
 * The one precedence rule: a flag wins over its environment variable, which wins over the
 * file (nova.conf), which wins over the default. Repeatable flags read their variable as a
 * comma-separated list. An invalid value fails with one line naming the flag.
 */
function resolveFlag(name: FlagName, cli: RawFlags, env: Env, file?: FileFlags): Resolved {
  const spec: FlagSpec = FLAGS[name];
  const variable = envName(name);
  const fromCli = cli[name];
  const fromEnv = env[variable];
  const fromFile = file?.values[name];
  let raw: string | readonly string[] | undefined;
  let source: string;
  if (fromCli !== undefined) [raw, source] = [fromCli, 'flag'];
  else if (fromEnv !== undefined) [raw, source] = [spec.repeatable ? fromEnv.split(',').map((s) => s.trim()) : fromEnv, variable];
  else if (fromFile !== undefined) [raw, source] = [fromFile, file?.source ?? 'file'];
  else [raw, source] = [spec.default, 'default'];
  if (raw === undefined) return { value: undefined, source, raw };
  if (spec.repeatable && typeof raw === 'string') raw = [raw];
  const result = spec.schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const from = source === 'flag' || source === 'default' ? '' : ` (from ${source})`;
    throw new ConfigError(`invalid --${name}${from}: ${shown(name, raw)}${issue?.message ?? 'is not valid'}`);
  }
  return { value: result.data, source, raw };
}

type Env = Readonly<Record<string, string | undefined>>;

const PATH_MAX = 4096;

function shown(name: string, raw: string | readonly string[]): string {
  // A URL may carry a password: the message names the flag only.
  if (name === 'amqp.url' || name === 'management.url') return '';
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  // Long enough for any file path (Linux's PATH_MAX), so a path is never cut; still bounded.
  return `"${text.length > PATH_MAX ? `${text.slice(0, PATH_MAX)}...` : text}" `;
}

export interface ConfigSources<C extends CommandName> {
  /** Whose flags to read; default serve. */
  readonly command?: C;
  /** Reads --nova.config-file; injectable for tests. */
  readonly readFile?: (path: string) => string;
}

/** A command's flags, resolved and validated: only that command's. */
class Resolution {
  private readonly resolved = new Map<FlagName, Resolved>();

  constructor(
    readonly command: CommandName,
    cli: RawFlags,
    env: Env,
    file: FileFlags | undefined,
  ) {
    for (const name of flagsFor(command)) this.resolved.set(name, resolveFlag(name, cli, env, file));
  }

  get<K extends FlagName>(name: K): FlagValues[K] {
    const r = this.resolved.get(name);
    if (!r) throw new Error(`--${name} is not a flag of ${this.command}`);
    return r.value as FlagValues[K];
  }

  /** Where a flag's value came from: `flag`, a variable's name, a file, or `default`. */
  source(name: FlagName): string | undefined {
    return this.resolved.get(name)?.source;
  }

  has(name: FlagName): boolean {
    return this.resolved.has(name);
  }

  /** The settings table: every flag's value as shown to a person, and its source. */
  settings(format: NotificationFormat): Setting[] {
    return [...this.resolved].map(([flag, r]) => {
      let value: string;
      if (flag === 'amqp.url') value = redactedUrl(this.get('amqp.url'));
      else if (flag === 'amqp.topic' && r.raw === undefined) value = topicsFor(format).join(',');
      else value = redactUrlsIn(Array.isArray(r.raw) ? r.raw.join(',') : String(r.raw ?? ''));
      return { flag, value, source: r.source };
    });
  }
}

export function buildConfig<C extends CommandName = 'serve'>(cli: RawFlags, env: Env, sources: ConfigSources<C> = {}): ConfigFor<C> {
  const command: CommandName = sources.command ?? 'serve';
  const novaFile = flagsFor(command).includes('nova.config-file')
    ? (resolveFlag('nova.config-file', cli, env).value as string | undefined)
    : undefined;
  const nova = novaFile === undefined ? undefined : readNovaFile(novaFile, sources.readFile ?? ((path) => readFileSync(path, 'utf8')));
  const file = nova && novaFlags(nova, novaFile as string, cli, env);
  const r = new Resolution(command, cli, env, file);
  if (command === 'mapping') {
    const mapping: ConfigFor<'mapping'> = {
      log: { level: r.get('log.level'), format: r.get('log.format') },
      settings: r.settings('unversioned'),
      mapping: { configFile: r.get('mapping.config-file') },
    };
    return Object.freeze(mapping) as ConfigFor<C>;
  }
  const format = r.get('nova.notification-format');
  const notices: string[] = [];
  const common = {
    nova: { notificationFormat: format, configFile: novaFile, silentReason: nova && silentNovaReason(nova) },
    log: { level: r.get('log.level'), format: r.get('log.format') },
    settings: r.settings(format),
    notices,
  };
  const amqp = amqpConfig(r, format, nova, notices);
  const config: Config =
    command === 'serve'
      ? {
          ...common,
          amqp,
          web: {
            listenAddresses: r.get('web.listen-address'),
            telemetryPath: r.get('web.telemetry-path'),
            configFile: r.get('web.config.file'),
            maxRequests: r.get('web.max-requests'),
            systemdSocket: r.get('web.systemd-socket'),
            disableExporterMetrics: r.get('web.disable-exporter-metrics'),
          },
          metrics: {
            maxHosts: r.get('metrics.max-hosts'),
            maxLabelValues: r.get('metrics.max-label-values'),
            maxTrackedInstances: r.get('metrics.max-tracked-instances'),
            maxTrackedActions: r.get('metrics.max-tracked-actions'),
            actionTimeoutSeconds: r.get('metrics.action-timeout-seconds'),
            timeWindow: {
              maxAheadSeconds: r.get('metrics.max-timestamp-ahead-seconds'),
              maxAgeSeconds: r.get('metrics.max-timestamp-age-seconds'),
            },
            dedupWindow: r.get('metrics.dedup-window'),
            exemplars: r.get('metrics.exemplars'),
            auditPeriodSeconds: r.get('metrics.audit-period-seconds'),
            durationByHost: r.get('metrics.duration-by-host'),
            constantLabels: r.get('metrics.constant-label') ?? {},
          },
          mapping: mappingConfig(r.get('mapping.config-file')),
          ha: { enabled: amqp.singleActiveConsumer, snapshotIntervalSeconds: r.get('ha.snapshot-interval-seconds') },
        }
      : command === 'tail'
        ? {
            ...common,
            amqp,
            tail: {
              output: r.get('tail.raw') ? ('raw' as const) : r.get('tail.output'),
              eventTypes: r.get('tail.event-type') ?? [],
              priorities: r.get('tail.priority') ?? [],
              hosts: r.get('tail.host') ?? [],
              requestIds: r.get('tail.request-id') ?? [],
              count: r.get('tail.count'),
              showSecrets: r.get('tail.show-secrets'),
            },
          }
        : command === 'check'
          ? {
              ...common,
              amqp,
              check: { waitSeconds: r.get('check.wait-seconds'), fix: r.get('check.fix'), managementUrl: r.get('management.url') },
            }
          : {
              ...common,
              amqp,
              simulate: {
                count: r.get('simulate.count'),
                durationSeconds: r.get('simulate.duration-seconds'),
                rate: r.get('simulate.rate'),
                hosts: r.get('simulate.hosts'),
                errorRatio: r.get('simulate.error-ratio'),
                exists: r.get('simulate.exists'),
                seed: r.get('simulate.seed'),
                services: r.get('simulate.services'),
              },
            };
  return Object.freeze(config) as ConfigFor<C>;
}

/** The built-in rules with the operator's file applied; a broken file is one line naming the file, rule and key. */
function mappingConfig(configFile: string | undefined): MappingConfig {
  try {
    return { configFile, rules: loadMappings(BUILTIN_MAPPING_DIR, configFile) };
  } catch (err) {
    if (err instanceof MappingError) throw new ConfigError(`invalid --mapping.config-file: ${err.message}`);
    throw err;
  }
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

/**
 * nova.conf's answers, its topics picked for the format in effect: a flag or variable may
 * override nova.conf's format, so that format is resolved by the one rule first.
 */
function novaFlags(nova: NovaNotificationSettings, source: string, cli: RawFlags, env: Env): FileFlags {
  const values = flagsFromNovaConf(nova);
  const format = resolveFlag('nova.notification-format', cli, env, { values, source }).value as NotificationFormat;
  values['amqp.topic'] = novaTopics(nova, format);
  return { values, source };
}

/**
 * The broker settings of a command. The queue's settings belong to serve and check; the
 * others get the defaults, which they never use to declare anything.
 */
function amqpConfig(r: Resolution, format: NotificationFormat, nova: NovaNotificationSettings | undefined, notices: string[]): AmqpConfig {
  const orDefault = <K extends FlagName>(name: K): FlagValues[K] =>
    r.has(name) ? r.get(name) : (FLAGS[name].schema.parse((FLAGS[name] as FlagSpec).default) as FlagValues[K]);
  const novaTopics = (r.has('amqp.topic') ? r.get('amqp.topic') : undefined) ?? topicsFor(format);
  // Nova's exchange and topics come from --amqp.exchange/--amqp.topic (nova.conf's); every
  // other service named adds its own, as the service's code sets them.
  const services = resolveServices(r.has('openstack.services') ? r.get('openstack.services') : ['nova']);
  const others = services.filter((s) => s.name !== 'nova');
  const unique = (lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())];
  const ha = r.has('ha') && r.get('ha');
  let queueType = orDefault('amqp.queue-type');
  // A single active consumer with state on the broker needs the replicated queue type:
  // --ha implies it, and refuses a classic queue asked for explicitly.
  if (ha && queueType === 'classic') {
    if (r.source('amqp.queue-type') !== 'default') {
      throw new ConfigError('invalid --amqp.queue-type: --ha needs --amqp.queue-type quorum (replicated, single active consumer)');
    }
    queueType = 'quorum';
  }
  return {
    address: r.get('amqp.url'),
    tls: { caFile: r.get('amqp.tls-ca-file'), certFile: r.get('amqp.tls-cert-file'), keyFile: r.get('amqp.tls-key-file') },
    services,
    exchanges: unique([r.get('amqp.exchange'), ...others.map((s) => s.exchanges)]),
    topics: unique([novaTopics, ...others.map((s) => s.topics)]),
    missingExchanges: missingExchanges(r, r.get('amqp.exchange'), others, nova, notices),
    queue: orDefault('amqp.queue'),
    queueType,
    singleActiveConsumer: ha,
    queueExpiresSeconds: orDefault('amqp.queue-expires-seconds'),
    queueMaxLength: orDefault('amqp.queue-max-length'),
    prefetch: orDefault('amqp.prefetch'),
    maxMessageBytes: orDefault('amqp.max-message-bytes'),
    heartbeatIntervalSeconds: r.get('amqp.heartbeat-interval-seconds'),
    connectTimeoutSeconds: r.get('amqp.connect-timeout-seconds'),
    reconnectMaxDelaySeconds: orDefault('amqp.reconnect-max-delay-seconds'),
  };
}

/**
 * What to do about each exchange that does not exist yet (see MissingExchange): never
 * guessed. The operator's --amqp.declare-exchange covers every exchange; nova.conf's
 * [oslo_messaging_rabbit] covers Nova's only; otherwise the exporter waits for the service.
 */
function missingExchanges(
  r: Resolution,
  novaExchanges: readonly string[],
  others: readonly ServiceBinding[],
  nova: NovaNotificationSettings | undefined,
  notices: string[],
): Record<string, MissingExchange> {
  const given = r.source('amqp.declare-exchange');
  // Said by the operator (flag or variable), not read from nova.conf nor defaulted.
  const said = given === 'flag' || given === envName('amqp.declare-exchange');
  let mode = r.get('amqp.declare-exchange');
  let shown = given === 'flag' ? `--amqp.declare-exchange ${mode}` : `${given}=${mode}`;
  const legacy = r.get('amqp.exchange-durable');
  if (legacy !== undefined) {
    const legacyMode = legacy ? 'durable' : 'transient';
    if (said && mode !== legacyMode) {
      throw new ConfigError(`invalid --amqp.exchange-durable: it contradicts --amqp.declare-exchange ${mode}; drop the deprecated flag`);
    }
    mode = legacyMode;
    shown = `--amqp.exchange-durable ${String(legacy)}`;
    notices.push('--amqp.exchange-durable is deprecated: use --amqp.declare-exchange durable or transient');
  }
  const operator = said || legacy !== undefined;
  const fromNovaConf = !operator && nova !== undefined;
  const rules: Record<string, MissingExchange> = {};
  const serviceOf = (exchange: string): string => others.find((s) => s.exchanges.includes(exchange))?.name ?? 'nova';
  for (const exchange of new Set([...novaExchanges, ...others.flatMap((s) => s.exchanges)])) {
    const service = serviceOf(exchange);
    if (fromNovaConf && service === 'nova') {
      const { durable, autoDelete, because } = nova.exchange;
      rules[exchange] = { service, declare: true, durable, autoDelete, source: `${given} (${because})` };
    } else if (operator && mode !== 'wait') {
      rules[exchange] = { service, declare: true, durable: mode === 'durable', autoDelete: false, source: shown };
    } else {
      const how =
        service === 'nova' && nova === undefined
          ? "give --nova.config-file, or set --amqp.declare-exchange durable or transient as nova.conf's"
          : `set --amqp.declare-exchange durable or transient as ${service}'s`;
      rules[exchange] = {
        service,
        declare: false,
        advice:
          `waiting for ${service} to declare it, then the queue is bound to it; to declare it now, ${how} ` +
          '[oslo_messaging_rabbit] amqp_durable_queues says (durable also when rabbit_quorum_queue = true)',
      };
    }
  }
  return rules;
}
