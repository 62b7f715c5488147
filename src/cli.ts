#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { runCheck } from './commands/check.js';
import { runSimulate } from './commands/simulate.js';
import { runTail } from './commands/tail.js';
import { buildConfig, ConfigError, type Config, type RawFlags } from './config.js';
import { FLAGS, envName, flagsFor, type CommandName, type FlagSpec } from './flags.js';
import { startExporter } from './index.js';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from './log.js';
import { VERSION } from './version.js';

const NAME = 'openstack-notification-exporter';
const STOP_TIMEOUT_MS = 10_000;

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

/** The command's configuration, or exit 2 with one line; then the logger. */
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
    ...(destination ? { destination } : {}),
  });
  return { config, log };
}

async function serve(raw: RawFlags): Promise<void> {
  const { config, log } = configure('serve', raw);
  if (config.nova.silentReason) log.warn({ novaConfigFile: config.nova.configFile }, config.nova.silentReason);
  // Handlers go in before start-up, so a signal during it still ends in a clean stop.
  let signalled: string | undefined;
  let shutdown = (signal: string) => void (signalled ??= signal);
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  try {
    exporter = await startExporter(config, { log });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  let stopping = false;
  shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took longer than 10 s, exiting anyway');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    exporter.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  if (signalled) shutdown(signalled);
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
