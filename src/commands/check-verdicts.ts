/** The checklist `check` prints: one verdict per line, a hint on every failure. */
import { FLAGS } from '../config/flags.js';

/** How hints, verdicts and docs name the flag that declares what is missing: its short form, as `check --help` does. */
export const FIX_FLAG = `--${FLAGS['check.fix'].short ?? 'check.fix'}`;

export type Status = 'ok' | 'warn' | 'FAIL';

export interface Verdict {
  readonly status: Status;
  readonly text: string;
  /** What to do about it; given for every FAIL. */
  readonly hint?: string;
}

export function formatVerdict(v: Verdict): string {
  return `${v.status.padEnd(4)}  ${v.text}${v.hint ? ` (hint: ${v.hint})` : ''}`;
}

export function summarize(verdicts: readonly Verdict[]): string {
  const count = (s: Status): number => verdicts.filter((v) => v.status === s).length;
  return `${count('ok')} ok, ${count('warn')} warn, ${count('FAIL')} FAIL`;
}

/** Shown when an exchange is missing: oslo declares it on the first notification it sends. */
export const NOVA_SENDS_NOTHING_HINT =
  'Nova has not sent a notification yet: check `driver = messagingv2` in [oslo_messaging_notifications] of nova.conf ' +
  `(and [DEFAULT] control_exchange), restart the Nova services, or run check ${FIX_FLAG} with --nova.config-file to declare it now`;

export const NOTHING_FLOWING_HINT =
  'Nova sends only when something happens: create or stop a server (or run `simulate`), and check that nova.conf has ' +
  '`driver = messagingv2`, the same topics, and a transport_url pointing at this broker and vhost';
