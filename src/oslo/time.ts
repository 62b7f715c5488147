/**
 * OpenStack writes times in several shapes: oslo's naive UTC `2012-05-08 20:23:41.123456`,
 * `2012-11-03T17:54:27.000000`, `2015-05-12 07:22:34+00:00`, and versioned `...T13:42:11Z`.
 * A time without a zone is UTC (oslo uses utcnow()), so it must not be read as local time.
 *
 * Read by character position rather than by a regular expression: every notification
 * carries one, and the match array and its eight substrings cost more than the rest of the
 * decoding around it.
 */

const ZERO = 48;
/** 400 Gregorian years are exactly 146,097 days. */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;

/** Epoch seconds, or undefined for anything that is not such a time. */
export function parseOpenStackTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const s = value.trim();
  // YYYY-MM-DD[T ]HH:MM:SS
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58)
    return undefined;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 32) return undefined;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return undefined;
  let at = 19;
  let fraction = 0;
  if (s.charCodeAt(at) === 46) {
    let n = 0;
    let scale = 1;
    while (++at < s.length && isDigit(s.charCodeAt(at)) && scale < 1e9) {
      n = n * 10 + (s.charCodeAt(at) - ZERO);
      scale *= 10;
    }
    // 1 to 9 digits; both bounds exact in a double, so n / scale rounds as Number('0.' + digits) does.
    if (scale === 1 || (at < s.length && isDigit(s.charCodeAt(at)))) return undefined;
    fraction = n / scale;
  }
  let offsetSeconds = 0;
  if (at < s.length) {
    const zone = s.charCodeAt(at);
    if (zone === 90 && at + 1 === s.length) {
      // Z
    } else if ((zone === 43 || zone === 45) && (s.length - at === 6 || s.length - at === 5)) {
      const colon = s.length - at === 6;
      if (colon && s.charCodeAt(at + 3) !== 58) return undefined;
      const oh = digits(s, at + 1, 2);
      const om = digits(s, at + (colon ? 4 : 3), 2);
      if (oh < 0 || om < 0) return undefined;
      offsetSeconds = (zone === 45 ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
      return undefined;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return undefined;
  // Date.UTC reads the years 0-99 as 1900-1999: count them from 400 years on instead (a whole Gregorian cycle).
  const ms = y < 100 ? Date.UTC(y + 400, mo - 1, d, h, mi, sec) - GREGORIAN_CYCLE_MS : Date.UTC(y, mo - 1, d, h, mi, sec);
  if (Number.isNaN(ms)) return undefined;
  return ms / 1000 + fraction - offsetSeconds;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

/** The decimal number in s[from, from + length), or -1 if any of it is not a digit. */
function digits(s: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    n = n * 10 + (c - ZERO);
  }
  return n;
}
