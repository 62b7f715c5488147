import express from 'express';
import type { Registry } from 'prom-client';
import type { BrokerStatus } from '../amqp/consumer.js';
import type { Logger } from '../log.js';
import type { ActivitySummary } from '../metrics/recent-activity.js';
import { openMetricsView } from '../metrics/registry.js';
import { sharedRender } from '../metrics/shared-render.js';
import { activitySection, notReadyText, SUMMARY_HTML_PATH, SUMMARY_JSON_PATH } from './activity-view.js';
import { landingPage, type LandingInfo } from './landing.js';

export interface HttpOptions {
  readonly telemetryPath: string;
  readonly registry: Registry;
  /** Ready while consuming; otherwise the page and /-/ready say why. */
  readonly broker: () => BrokerStatus;
  readonly landing: () => Omit<LandingInfo, 'broker' | 'activity'>;
  /** The landing page's live summary; without it the page is static and /api/summary is 404. */
  readonly activity?: () => ActivitySummary;
  readonly log: Logger;
}

// Only a render still running is shared: a finished one is never served again, so every
// scrape that starts after a change (a consumer joining, the link lost) shows it.
const SHARED_RENDER_MS = 0;

export function createApp(options: HttpOptions): express.Express {
  const { registry } = options;
  const openMetrics = openMetricsView(registry);
  // Scrapes that arrive while a rendering runs (an HA pair of Prometheus servers) share it.
  const renders = {
    text: sharedRender(() => registry.metrics(), SHARED_RENDER_MS),
    openMetrics: sharedRender(() => openMetrics.metrics(), SHARED_RENDER_MS),
  };
  const app = express();
  app.disable('x-powered-by');

  app.get(options.telemetryPath, async (req, res) => {
    // Prometheus asks for OpenMetrics first when it can parse it; others get the text format.
    const wantsOpenMetrics = (req.get('accept') ?? '').includes('application/openmetrics-text');
    const source = wantsOpenMetrics ? openMetrics : registry;
    try {
      const body = await (wantsOpenMetrics ? renders.openMetrics : renders.text)();
      res.type(source.contentType).send(body);
    } catch (err) {
      options.log.error({ err: err instanceof Error ? err.message : String(err) }, 'collecting metrics failed');
      res.status(500).type('text/plain').send('collecting metrics failed\n');
    }
  });
  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('Healthy\n');
  });
  const { broker } = options;
  app.get('/-/ready', (_req, res) => {
    const status = broker();
    const { ready } = status;
    res
      .status(ready ? 200 : 503)
      .type('text/plain')
      .send(ready ? 'Ready\n' : notReadyText(status));
  });
  app.get('/', (_req, res) => {
    res.type('html').send(landingPage({ ...options.landing(), broker: broker(), activity: options.activity?.() }));
  });
  const { activity } = options;
  if (activity) {
    app.get(SUMMARY_JSON_PATH, (_req, res) => {
      res.set('cache-control', 'no-store').json({ ...activity(), broker: broker() });
    });
    app.get(SUMMARY_HTML_PATH, (_req, res) => {
      res.set('cache-control', 'no-store').type('html').send(activitySection(activity(), broker()));
    });
  }
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found\n');
  });
  return app;
}
