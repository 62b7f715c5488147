import type { ActivitySummary } from '../metrics/recent-activity.js';
import type { BrokerStatus } from '../amqp/consumer.js';
import type { Setting } from '../config/config.js';
import { ACTIVITY_SCRIPT, ACTIVITY_STYLE, activitySection, brokerLine } from './activity-view.js';
import { redactSetting } from '../oslo/secrets.js';
import { escapeHtml } from './html.js';

export interface LandingInfo {
  readonly version: string;
  readonly telemetryPath: string;
  readonly broker: BrokerStatus;
  readonly exchanges: readonly string[];
  readonly topics: readonly string[];
  readonly queue: string;
  /** Every flag of serve, its value as shown (masked again here by the one secret rule), and where it came from. */
  readonly settings: readonly Setting[];
  /** The live summary; the page refreshes it in place when present. */
  readonly activity?: ActivitySummary;
}

export { escapeHtml };

/** The landing page, in the style of the Prometheus exporters: what runs, how, and where the metrics are. */
export function landingPage(info: LandingInfo): string {
  const e = escapeHtml;
  const rows = info.settings
    .map(
      (s) =>
        `<tr><td><code>--${e(s.flag)}</code></td><td><code>${e(redactSetting(s.flag, s.value))}</code></td><td>${e(s.source)}</td></tr>`,
    )
    .join('\n');
  const waiting = (x: string): string =>
    info.broker.awaitingExchanges.includes(x)
      ? ' <span class="awaiting">(waiting for the exchange to be declared by its service)</span>'
      : '';
  const bindings = info.exchanges
    .flatMap((x) =>
      info.topics.map((t) => `<li><code>${e(x)}</code> → <code>${e(t)}.*</code> → <code>${e(info.queue)}</code>${waiting(x)}</li>`),
    )
    .join('\n');
  // The broker's answer, not the flag: a vhost's default queue type may make a queue declared without x-queue-type quorum.
  const queueType = info.broker.queueType ?? 'not known yet';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>OpenStack Notification Exporter</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; color: #222; }
code { background: #f3f3f3; padding: 0 .2em; }
table { border-collapse: collapse; } td { padding: .15rem .8rem .15rem 0; vertical-align: top; }
.state { font-weight: bold; }
${info.activity ? ACTIVITY_STYLE : ''}</style>
</head>
<body>
<h1>OpenStack Notification Exporter</h1>
<p>Version <code>${e(info.version)}</code> · <a href="${e(info.telemetryPath)}">Metrics</a> · <a href="/-/healthy">Health</a> · <a href="/-/ready">Readiness</a></p>
${info.activity ? `${activitySection(info.activity, info.broker)}\n${ACTIVITY_SCRIPT}\n` : `${brokerLine(info.broker)}\n`}<h2>Bindings</h2>
<p>Queue <code>${e(info.queue)}</code>, type <span id="queue-type">${e(queueType)}</span></p>
<ul>
${bindings}
</ul>
<h2>Settings</h2>
<table>
<tr><th>flag</th><th>value</th><th>source</th></tr>
${rows}
</table>
</body>
</html>
`;
}
