/**
 * Time formats and oslo envelope keys shared by the legacy and versioned builders. Nova
 * is inconsistent about time formats even inside one payload, and the exporter has to
 * parse all of them, so the simulator reproduces each one where Nova uses it.
 */
import type { Rng } from './random.js';
import type { RequestContext } from './types.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function parts(ms: number): { date: string; time: string; micros: string } {
  const d = new Date(Math.floor(ms));
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  // Sub-millisecond digits come from fractional ms, so the output stays deterministic.
  const micros = pad(Math.floor((((ms % 1000) + 1000) % 1000) * 1000), 6);
  return { date, time, micros };
}

/** oslo `timestamp`, naive UTC: `2026-11-25 09:58:10.200000`. */
export function osloTimestamp(ms: number): string {
  const p = parts(ms);
  return `${p.date} ${p.time}.${p.micros}`;
}

/** `_context_timestamp`: ISO without zone, `2026-11-25T09:58:10.101010`. */
export function contextTimestamp(ms: number): string {
  const p = parts(ms);
  return `${p.date}T${p.time}.${p.micros}`;
}

/** Legacy `created_at`: `2026-11-25 09:58:10+00:00`. */
export function legacyCreatedAt(ms: number): string {
  const p = parts(ms);
  return `${p.date} ${p.time}+00:00`;
}

/** Legacy launched_at / deleted_at / terminated_at / audit period: `...T09:58:41.000000`; `""` when unset. */
export function legacyTime(ms: number | null): string {
  if (ms === null) return '';
  const p = parts(ms);
  return `${p.date}T${p.time}.000000`;
}

/** Versioned times: `2012-10-29T13:42:11Z`; null when unset. */
export function versionedTime(ms: number | null): string | null {
  if (ms === null) return null;
  const p = parts(ms);
  return `${p.date}T${p.time}Z`;
}

/** Start of the UTC hour containing `ms`: Nova's default audit period is hourly. */
export function hourStart(ms: number): number {
  return Math.floor(ms / 3_600_000) * 3_600_000;
}

/** Fernet tokens start with `gAAAAA`; this one only looks like one. */
export function fakeAuthToken(rng: Rng): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = 'gAAAAA';
  for (let i = 0; i < 178; i++) out += alphabet[rng.int(0, alphabet.length - 1)];
  return out;
}

/** The `_context_*` keys oslo flattens a RequestContext into (key set as in the captures). */
export function contextKeys(ctx: RequestContext): Record<`_context_${string}`, unknown> {
  return {
    _context_request_id: ctx.requestId,
    _context_user_id: ctx.userId,
    _context_project_id: ctx.projectId,
    _context_auth_token: ctx.authToken,
    _context_roles: [...ctx.roles],
    _context_is_admin: ctx.isAdmin,
    _context_read_deleted: 'no',
    _context_remote_address: ctx.remoteAddress,
    _context_timestamp: contextTimestamp(ctx.timestamp),
  };
}
