/**
 * The real exporter, started the way `serve` starts it (buildConfig → startExporter),
 * in a process of its own so its CPU and memory are its own. Logs go to stderr; the
 * orchestrator learns the port from a `listening` report and drives everything else over
 * HTTP (/-/ready, /metrics). SIGTERM stops it cleanly (so --cpu-prof writes its profile).
 */
import { pino } from 'pino';
import { buildConfig, type RawFlags } from '../../src/config/config.js';
import { startExporter } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { childArgs, exitOnTerm, report } from './common.js';

const { flags } = childArgs<{ flags: RawFlags }>();
const config = buildConfig(flags, {});
const log = createLogger({
  level: config.log.level,
  format: config.log.format,
  destination: pino.destination({ dest: 2, sync: true }),
});
const exporter = await startExporter(config, { log });
report('listening', { port: exporter.port });
exitOnTerm(() => exporter.stop());
