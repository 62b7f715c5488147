#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { buildConfig, ConfigError, type RawFlags } from './config.js';
import { FLAGS, envName, flagsFor, type CommandName, type FlagSpec } from './flags.js';
import { startExporter } from './index.js';
import { createLogger } from './log.js';
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

async function serve(raw: RawFlags): Promise<void> {
  let config;
  try {
    config = buildConfig(raw, process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
    secrets: config.amqp.address.hosts.map((h) => h.password),
  });
  let exporter;
  try {
    exporter = await startExporter(config, { log });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  let stopping = false;
  const shutdown = (signal: string) => {
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
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
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
