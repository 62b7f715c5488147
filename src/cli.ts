#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { runCheck } from './commands/check.js';
import { runSimulate } from './commands/simulate.js';
import { runTail } from './commands/tail.js';
import { buildConfig, ConfigError, type Config, type RawFlags } from './config/config.js';
import { FLAGS, envName, flagsFor, type CommandName, type FlagSpec } from './config/flags.js';
import { runServe } from './commands/serve.js';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from './log.js';
import { VERSION } from './version.js';

const NAME = 'openstack-notification-exporter';

/** Registers the command's flags from the table; returns a reader of the raw values keyed by flag name. */
function addFlags(cmd: Command, command: CommandName): () => RawFlags {
  const attributes = new Map<string, string>();
  for (const name of flagsFor(command)) {
    const spec: FlagSpec = FLAGS[name];
    const shown = Array.isArray(spec.default) ? spec.default.join(',') : spec.default;
    const help = `${spec.help}${shown ? ` (default: ${shown})` : ''} [env ${envName(name)}]`;
    const option = spec.boolean ? new Option(`--${name} [bool]`, help).preset('true') : new Option(`--${name} <value>`, help);
    if (spec.repeatable) option.argParser((value: string, previous?: string[]) => [...(previous ?? []), value]);
    cmd.addOption(option);
    attributes.set(option.attributeName(), name);
  }
  return () => {
    const raw: RawFlags = {};
    for (const [attribute, name] of attributes) raw[name] = cmd.getOptionValue(attribute) as string | string[] | undefined;
    return raw;
  };
}

function fail(message: string): never {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(2);
}

/** The command's configuration, or exit 2 with one line; then the logger that masks its passwords. */
function configure(command: CommandName, raw: RawFlags, destination?: DestinationStream): { config: Config; log: Logger } {
  let config: Config;
  try {
    config = buildConfig(raw, process.env, { command });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
    secrets: config.amqp.address.hosts.map((h) => h.password),
    ...(destination ? { destination } : {}),
  });
  return { config, log };
}

async function serve(raw: RawFlags): Promise<void> {
  const { config, log } = configure('serve', raw);
  await runServe(config, { log, fail });
}

/**
 * tail, check and simulate: stdout is their output, so logs go to stderr. The first
 * Ctrl-C or SIGTERM asks the command to stop cleanly; a second one exits at once.
 */
async function runCommand(
  command: Exclude<CommandName, 'serve'>,
  raw: RawFlags,
  run: (config: Config, log: Logger, signal: AbortSignal) => Promise<number>,
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

export function buildProgram(): Command {
  const program = new Command(NAME)
    .description('Prometheus exporter for OpenStack notifications on RabbitMQ')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  const serveCmd = program
    .command('serve', { isDefault: true })
    .description('consume notifications and serve them as Prometheus metrics (default)');
  const serveFlags = addFlags(serveCmd, 'serve');
  serveCmd.action(() => serve(serveFlags()));

  const tailCmd = program.command('tail').description('print every notification as it arrives: decoded, filtered, secrets masked');
  const tailFlags = addFlags(tailCmd, 'tail');
  tailCmd.action(() => runCommand('tail', tailFlags(), (config, log, signal) => runTail(config, { stdout: process.stdout, log, signal })));

  const checkCmd = program
    .command('check')
    .description('verify the broker, exchanges, queue and bindings serve needs, and that notifications flow (exit 0: all pass)');
  const checkFlags = addFlags(checkCmd, 'check');
  checkCmd.action(() => runCommand('check', checkFlags(), (config, _log, signal) => runCheck(config, { stdout: process.stdout, signal })));

  const simulateCmd = program
    .command('simulate')
    .description('publish realistic Nova notifications, as oslo does, for demos, tests and benchmarks');
  const simulateFlags = addFlags(simulateCmd, 'simulate');
  simulateCmd.action(() =>
    runCommand('simulate', simulateFlags(), (config, log, signal) =>
      runSimulate(config, { stdout: process.stdout, stderr: process.stderr, log, signal }),
    ),
  );
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    process.stderr.write(`${NAME}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
