import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';
import { PROMETHEUS_DIR } from './queries.js';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';

/** One alert of a webhook notification (Alertmanager's webhook payload, version 4). */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface WebhookNotification {
  /** The path it was sent to, i.e. which receiver. */
  path: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: WebhookAlert[];
}

/** An HTTP server that records Alertmanager's webhook notifications. */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: WebhookNotification[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookNotification[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ ...(JSON.parse(body) as Omit<WebhookNotification, 'path'>), path: req.url ?? '' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}

/**
 * prometheus/alertmanager.yml as the stack runs it, routing and receivers unchanged, with
 * every webhook sent to `webhookBase` (same path) and the waits shortened to `wait`.
 */
export async function localAlertmanagerConfig(webhookBase: string, wait = '1s'): Promise<string> {
  const config = parse(await readFile(path.join(PROMETHEUS_DIR, 'alertmanager.yml'), 'utf8')) as {
    global?: Record<string, unknown>;
    route: Route;
    receivers: { webhook_configs?: { url: string }[] }[];
  };
  const shorten = (route: Route): void => {
    for (const key of ['group_wait', 'group_interval'] as const) if (route[key] !== undefined || route === config.route) route[key] = wait;
    if (route.repeat_interval !== undefined) route.repeat_interval = '1h';
    route.routes?.forEach(shorten);
  };
  shorten(config.route);
  config.global = { ...config.global, resolve_timeout: '10s' };
  for (const receiver of config.receivers) {
    for (const hook of receiver.webhook_configs ?? []) hook.url = `${webhookBase}${new URL(hook.url).pathname}`;
  }
  return stringify(config);
}

export interface RunningAlertmanager {
  /** host:port, for Prometheus's alerting.alertmanagers targets. */
  readonly address: string;
  stop(): Promise<void>;
}

/** Debian's prometheus-alertmanager with the given configuration, alone (no cluster), in a temp dir. */
export async function startAlertmanager(configText: string): Promise<RunningAlertmanager> {
  const dir = await mkdtemp(path.join(tmpdir(), 'osne-alertmanager-'));
  const configFile = path.join(dir, 'alertmanager.yml');
  await writeFile(configFile, configText);
  const port = await freePort();
  const { stop } = await startDaemon(
    'alertmanager',
    ALERTMANAGER_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    dir,
    `http://127.0.0.1:${port}/-/ready`,
  );
  return { address: `127.0.0.1:${port}`, stop };
}
