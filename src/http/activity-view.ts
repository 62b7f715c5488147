import type { BrokerStatus } from '../amqp/consumer.js';
import type { ActivitySummary, Tally } from '../metrics/recent-activity.js';
import { escapeHtml as e } from './html.js';

/** Where the page fetches its refreshed section from; the same summary as JSON is at SUMMARY_JSON_PATH. */
export const SUMMARY_HTML_PATH = '/api/summary.html';
export const SUMMARY_JSON_PATH = '/api/summary';
export const REFRESH_SECONDS = 2;

const time = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();
/** HH:MM:SS in UTC, as Nova logs it; the full time is in the title. */
const clock = (epochSeconds: number): string =>
  `<time datetime="${time(epochSeconds)}" title="${time(epochSeconds)}">${time(epochSeconds).slice(11, 19)}</time>`;

function tallyTable(id: string, heading: string, rows: readonly Tally[]): string {
  const body = rows
    .map((r) => `<tr data-name="${e(r.name)}" data-count="${r.count}"><td><code>${e(r.name)}</code></td><td class="n">${r.count}</td></tr>`)
    .join('\n');
  return `<table id="${id}"><thead><tr><th>${heading}</th><th class="n">count</th></tr></thead><tbody>
${body || '<tr><td colspan="2">none yet</td></tr>'}
</tbody></table>`;
}

/** The broker link in one line: its state and, while not ready, why (the last connection problem, or an exchange awaited). */
export function brokerLine(b: BrokerStatus): string {
  const why = b.ready ? '' : (b.problem ?? (b.state === 'connecting' ? 'connecting to the broker' : ''));
  return `<p id="broker" data-state="${e(b.state)}">Broker link: <span class="state" id="state">${e(b.state)}</span>${
    why ? ` · not ready: <span id="broker-problem">${e(why)}</span>` : ''
  }${b.warning ? ` · warning: <span id="broker-warning">${e(b.warning)}</span>` : ''}</p>`;
}

/** The body of /-/ready when not ready: the same reason as the page, one line. */
export function notReadyText(b: BrokerStatus): string {
  const why = b.problem ?? (b.state === 'stopped' ? 'the exporter is shutting down' : 'connecting to the broker');
  return `Not ready: ${why}\n`;
}

/**
 * The live part of the landing page: the broker link and the activity. Rendered here only: the page's script swaps in a fresh
 * copy from SUMMARY_HTML_PATH, so there is one renderer and everything shown is escaped once.
 */
export function activitySection(s: ActivitySummary, broker: BrokerStatus): string {
  const transitions = s.transitions
    .map(
      (t) =>
        `<tr data-at="${t.at}" data-instance="${e(t.instance ?? '')}" data-host="${e(t.host)}" data-from="${e(t.from)}" data-to="${e(t.to)}">` +
        `<td>${clock(t.at)}</td><td><code>${e(t.instance ?? '')}</code></td><td><code>${e(t.host)}</code></td><td>${e(t.from)} → ${e(t.to)}</td></tr>`,
    )
    .join('\n');
  const errors = s.errors
    .map(
      (r) =>
        `<tr data-at="${r.at}" data-event-type="${e(r.eventType)}" data-host="${e(r.host)}" data-exception="${e(r.exception)}">` +
        `<td>${clock(r.at)}</td><td><code>${e(r.eventType)}</code></td><td><code>${e(r.host)}</code></td><td><code>${e(r.exception)}</code></td></tr>`,
    )
    .join('\n');
  return `<section id="activity" data-updated="${s.now}">
${brokerLine(broker)}
<h2>Activity</h2>
<p><span id="rate" data-value="${s.ratePerSecond}">${s.ratePerSecond.toFixed(1)}</span> notifications/s over the last ${s.rateWindowSeconds} s ·
<span id="total" data-value="${s.total}">${s.total}</span> since start · as of ${clock(s.now)} UTC <span id="activity-status"></span></p>
<div class="cols">
${tallyTable('top-event-types', 'event type', s.eventTypes)}
${tallyTable('top-hosts', 'host', s.hosts)}
</div>
<h3>Latest state transitions</h3>
<table id="recent-transitions"><thead><tr><th>received (UTC)</th><th>instance</th><th>host</th><th>vm_state</th></tr></thead><tbody>
${transitions || '<tr><td colspan="4">none yet</td></tr>'}
</tbody></table>
<h3>Latest errors</h3>
<table id="recent-errors"><thead><tr><th>received (UTC)</th><th>event type</th><th>host</th><th>exception</th></tr></thead><tbody>
${errors || '<tr><td colspan="4">none yet</td></tr>'}
</tbody></table>
</section>`;
}

/** Inline, so the page needs nothing from outside the exporter. */
export const ACTIVITY_SCRIPT = `<script>
(() => {
  const refresh = async () => {
    try {
      const res = await fetch(${JSON.stringify(SUMMARY_HTML_PATH)}, { cache: 'no-store' });
      if (!res.ok) throw new Error(String(res.status));
      document.getElementById('activity').outerHTML = await res.text();
    } catch {
      const status = document.getElementById('activity-status');
      if (status) status.textContent = '(not updating: exporter unreachable)';
    }
  };
  setInterval(refresh, ${REFRESH_SECONDS * 1000});
})();
</script>`;

export const ACTIVITY_STYLE = `
.cols { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
#activity table { margin-bottom: 1rem; font-size: .9rem; }
#activity th { text-align: left; border-bottom: 1px solid #ccc; padding-right: .8rem; }
#activity .n { text-align: right; }
#activity tbody tr:nth-child(even) { background: #f8f8f8; }
#rate, #total { font-weight: bold; }
`;
