import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import type { WebConfig } from './web-config.js';

/**
 * What exporter-toolkit's handler does before any endpoint runs (web/handler.go): the
 * configured headers on every response, the rate limit, then basic auth for every path,
 * /-/healthy and /-/ready included.
 */

// The toolkit's bcrypt of "fakepassword": an unknown user costs as much as a known one, so
// timing does not tell which user names exist.
const FAKE_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
const CACHE_SIZE = 100;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export class WebGuard {
  /** Verdicts by a digest of user, hash and password: bcrypt runs once per credential, not per scrape. */
  private readonly verdicts = new Map<string, boolean>();
  /** One bcrypt at a time, as the toolkit's mutex: it is CPU-heavy by design. */
  private bcryptQueue: Promise<unknown> = Promise.resolve();
  private bucket: { tokens: number; at: number; key: string } | undefined;

  constructor(
    private readonly config: () => WebConfig,
    private readonly now: () => number = Date.now,
  ) {}

  wrap(handler: Handler): Handler {
    return (req, res) => {
      void this.admit(req, res).then(
        (ok) => {
          if (ok) handler(req, res);
        },
        () => deny(res, 500, 'Internal Server Error'),
      );
    };
  }

  /** Sets the headers and answers 429 or 401 itself; true when the request may go on. */
  async admit(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const config = this.config();
    for (const [name, value] of Object.entries(config.headers)) res.setHeader(name, value);
    if (config.rateLimit && !this.take(config.rateLimit)) {
      deny(res, 429, 'Too Many Requests');
      return false;
    }
    if (config.users.size === 0) return true;
    const credentials = basicCredentials(req.headers.authorization);
    if (credentials && (await this.verify(config.users, credentials.user, credentials.password))) return true;
    res.setHeader('WWW-Authenticate', 'Basic');
    deny(res, 401, 'Unauthorized');
    return false;
  }

  private async verify(users: ReadonlyMap<string, string>, user: string, password: string): Promise<boolean> {
    const known = users.get(user);
    const hash = known ?? FAKE_HASH;
    // A digest, so the cache holds no password in clear.
    const key = createHash('sha256').update(`${user}\0${hash}\0${password}`).digest('base64');
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      const compared = this.bcryptQueue.then(() => bcrypt.compare(password, hash));
      this.bcryptQueue = compared.catch(() => false);
      verdict = known !== undefined && (await compared);
      // Oldest first out: Map keeps insertion order.
      if (this.verdicts.size >= CACHE_SIZE) this.verdicts.delete(this.verdicts.keys().next().value as string);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** A token bucket, as golang.org/x/time/rate: one token per interval, at most `burst`. */
  private take(limit: { intervalMs: number; burst: number }): boolean {
    const t = this.now();
    const key = `${limit.intervalMs}/${limit.burst}`;
    if (!this.bucket || this.bucket.key !== key) this.bucket = { tokens: limit.burst, at: t, key };
    const b = this.bucket;
    b.tokens = Math.min(limit.burst, b.tokens + (t - b.at) / limit.intervalMs);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function deny(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(`${text}\n`);
}
