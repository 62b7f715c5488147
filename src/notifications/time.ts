/**
 * OpenStack writes times in several shapes: oslo's naive UTC `2012-05-08 20:23:41.123456`,
 * `2012-11-03T17:54:27.000000`, `2015-05-12 07:22:34+00:00`, and versioned `...T13:42:11Z`.
 * A time without a zone is UTC (oslo uses utcnow()), so it must not be read as local time.
 */
const OPENSTACK_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch seconds, or undefined for anything that is not such a time. */
export function parseOpenStackTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const m = OPENSTACK_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let seconds = ms / 1000 + (frac ? Number(`0.${frac}`) : 0);
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    seconds -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
  }
  return seconds;
}
