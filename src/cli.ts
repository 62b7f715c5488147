#!/usr/bin/env node
/**
 * Wires the commands: each subcommand's flags from the one table in config/flags.ts, its
 * configuration from the one resolver, then the command module. Nothing else lives here.
 */
import { Command, CommanderError, Help, Option } from 'commander';
import type { DestinationStream } from 'pino';
import { runCheck } from './commands/check.js';
import { runMapping } from './commands/mapping.js';
import { runServe } from './commands/serve.js';
import { runSimulate } from './commands/simulate.js';
import { runTail } from './commands/tail.js';
import { buildConfig, ConfigError, type ConfigFor, type RawFlags } from './config/config.js';
import { FLAGS, envName, flagsFor, type CommandName, type FlagSpec } from './config/flags.js';
import { createLogger, type Logger } from './log.js';
import { VERSION } from './version.js';

const NAME = 'openstack-notification-exporter';

function fail(message: string): never {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(2);
}

/** Registers the command's flags from the table; returns a reader of the values given on the command line. */
function addFlags(cmd: Command, command: CommandName): () => RawFlags {
  const attributes = new Map<string, string>();
  for (const name of flagsFor(command)) {
    const spec: FlagSpec = FLAGS[name];
    const shown = Array.isArray(spec.default) ? spec.default.join(',') : spec.default;
    const also = spec.short ? `--${name}, ` : '';
    const help = `${spec.help}${shown ? ` (default: ${shown})` : ''} [${also}env ${envName(name)}]`;
    const add = (flag: string, description: string, hidden: boolean): void => {
      const option = spec.boolean
        ? new Option(`--${flag} [bool]`, description).preset('true')
        : new Option(`--${flag} <value>`, description);
      if (spec.repeatable) option.argParser((value: string, previous?: string[]) => [...(previous ?? []), value]);
      if (hidden) option.hideHelp();
      cmd.addOption(option);
      attributes.set(option.attributeName(), name);
    };
    // The short form is the one help shows; the namespaced one works the same.
    add(spec.short ?? name, help, false);
    if (spec.short) add(name, help, true);
  }
  return () => {
    const raw: RawFlags = {};
    for (const [attribute, name] of attributes) {
      const value = cmd.getOptionValue(attribute) as string | string[] | undefined;
      if (value === undefined) continue;
      const prior = raw[name];
      // Both spellings of a repeatable flag add up; otherwise the last given wins.
      raw[name] = Array.isArray(prior) && Array.isArray(value) ? [...prior, ...value] : value;
    }
    return raw;
  };
}

/** The command's configuration, or exit 2 with one line; then the logger that masks its passwords. */
function configure<C extends CommandName>(
  command: C,
  raw: RawFlags,
  destination?: DestinationStream,
): { config: ConfigFor<C>; log: Logger } {
  let config: ConfigFor<C>;
  try {
    config = buildConfig(raw, process.env, { command });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
    ...(destination ? { destination } : {}),
  });
  return { config, log };
}

/**
 * `check | head`: once the reader is gone, a write fails with EPIPE (Node ignores SIGPIPE).
 * End then as a command killed by SIGPIPE does: at once, quietly, status 128 + 13. (tail
 * stops cleanly instead, as on Ctrl-C: for a stream, the reader leaving is a normal end.)
 */
function endQuietlyWhenReaderLeaves(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

/**
 * tail, check and simulate: stdout is their output, so logs go to stderr. The first
 * Ctrl-C or SIGTERM asks the command to stop cleanly; a second one exits at once.
 */
async function runCommand<C extends Exclude<CommandName, 'serve'>>(
  command: C,
  raw: RawFlags,
  run: (config: ConfigFor<C>, log: Logger, signal: AbortSignal) => Promise<number>,
): Promise<void> {
  const { config, log } = configure(command, raw, process.stderr);
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.exitCode = await run(config, log, controller.signal);
}

/** Help in the words of this tool: a boolean flag may stand alone, no library terms. */
class PlainHelp extends Help {
  override optionTerm(option: Option): string {
    return option.flags.replace(' [bool]', '');
  }
  override optionDescription(option: Option): string {
    return option.description;
  }
}

/** commander's error lines → one line of ours: "unknown flag --x: did you mean --y?". */
function oneLine(message: string): string {
  const text = message.replace(/^error: /, '').trim();
  const suggestion = /\(Did you mean ([^?]+)\?\)/.exec(text)?.[1];
  const first = (text.split('\n')[0] ?? text)
    .replace(/^unknown option '([^']+)'/, 'unknown flag $1')
    .replace(/^unknown command '([^']+)'/, 'unknown command $1')
    .replace(/^too many arguments.*/, 'unexpected argument (flags start with --; see --help)');
  return suggestion ? `${first}: did you mean ${suggestion}?` : first;
}

function commands(): Command {
  const program = new Command(NAME)
    .description('Prometheus exporter for OpenStack notifications on RabbitMQ')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`${NAME}: ${oneLine(message)}\n`) });
  const command = (name: CommandName, description: string): { cmd: Command; flags: () => RawFlags } => {
    const cmd = program.command(name).description(description);
    cmd.createHelp = () => Object.assign(new PlainHelp(), cmd.configureHelp());
    return { cmd, flags: addFlags(cmd, name) };
  };

  const serve = command('serve', 'consume notifications and serve them as Prometheus metrics (default)');
  serve.cmd.action(() => {
    const { config, log } = configure('serve', serve.flags());
    return runServe(config, { log, fail });
  });
  const tail = command('tail', 'print every notification as it arrives: decoded, filtered, secrets masked');
  tail.cmd.action(() =>
    runCommand('tail', tail.flags(), (config, log, signal) => runTail(config, { stdout: process.stdout, log, signal })),
  );
  const check = command(
    'check',
    'verify the broker, exchanges, queue and bindings serve needs, and that notifications flow (exit 0: all pass)',
  );
  check.cmd.action(() =>
    runCommand('check', check.flags(), (config, _log, signal) => {
      endQuietlyWhenReaderLeaves();
      return runCheck(config, { stdout: process.stdout, signal });
    }),
  );
  const simulate = command('simulate', 'publish realistic Nova notifications, as oslo does, for demos, tests and benchmarks');
  simulate.cmd.action(() =>
    runCommand('simulate', simulate.flags(), (config, log, signal) => {
      endQuietlyWhenReaderLeaves();
      return runSimulate(config, { stdout: process.stdout, stderr: process.stderr, log, signal });
    }),
  );
  const mapping = command(
    'mapping',
    'show, for each notification in JSON Lines files, the series the mapping would update (exit 1: broken mapping file)',
  );
  mapping.cmd.argument('<files...>', 'notifications, one per line: an oslo wire body or an inner message');
  mapping.cmd.action((files: string[]) => {
    const { config } = configure('mapping', mapping.flags(), process.stderr);
    endQuietlyWhenReaderLeaves();
    process.exitCode = runMapping({
      mappingFile: config.mapping.configFile,
      inputs: files,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  });
  return program;
}

/** serve is the default: flags alone (or nothing) mean serve, and a mistyped command stays an error. */
function withDefaultCommand(argv: readonly string[]): string[] {
  const first = argv[2];
  const asked = first !== undefined && (!first.startsWith('-') || ['-h', '--help', '-V', '--version'].includes(first));
  return asked ? [...argv] : [...argv.slice(0, 2), 'serve', ...argv.slice(2)];
}

commands()
  .parseAsync(withDefaultCommand(process.argv))
  .catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    process.stderr.write(`${NAME}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
