import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import { BcryptPool, type PasswordVerifier } from './bcrypt-pool.js';
import type { WebConfig } from './web-config.js';

/**
 * What exporter-toolkit's handler does before any endpoint runs (web/handler.go): the
 * configured headers on every response, the rate limit, then basic auth for every path,
 * /-/healthy and /-/ready included.
 */

// Verified credentials remembered, so a scraper's password costs one bcrypt, not one per scrape.
const CACHE_SIZE = 100;
// Seconds a client is told to wait when the password checks are all taken.
const RETRY_AFTER_SECONDS = 1;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface WebGuardOptions {
  readonly now?: () => number;
  /** Where bcrypt runs; a pool of worker threads unless a test brings its own. */
  readonly verifier?: PasswordVerifier;
}

export class WebGuard {
  /**
   * Credentials that passed, least recently used first out, keyed by an HMAC of user, hash
   * and password under a key of this process (no password in clear, nothing to look up
   * offline). Failures are never kept: a flood of wrong passwords cannot push the
   * scraper's out.
   */
  private readonly passed = new Map<string, true>();
  private readonly cacheKey = randomBytes(32);
  private readonly verifier: PasswordVerifier;
  private readonly now: () => number;
  private bucket: { tokens: number; at: number; key: string } | undefined;
  private decoy: { users: ReadonlyMap<string, string>; hash: string } | undefined;

  constructor(
    private readonly config: () => WebConfig,
    options: WebGuardOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.verifier = options.verifier ?? new BcryptPool();
  }

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

  /** Sets the headers and answers 429, 503 or 401 itself; true when the request may go on. */
  async admit(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const config = this.config();
    for (const [name, value] of Object.entries(config.headers)) res.setHeader(name, value);
    if (config.rateLimit && !this.take(config.rateLimit)) {
      deny(res, 429, 'Too Many Requests');
      return false;
    }
    if (config.users.size === 0) return true;
    const credentials = basicCredentials(req.headers.authorization);
    const verdict = credentials ? this.verify(config.users, credentials.user, credentials.password) : false;
    if (verdict === 'busy') {
      // Every check is taken: this client is not at fault, the server is at capacity for now.
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      deny(res, 503, 'Service Unavailable: too many password checks in progress');
      return false;
    }
    if (await verdict) return true;
    res.setHeader('WWW-Authenticate', 'Basic');
    deny(res, 401, 'Unauthorized');
    return false;
  }

  /** Closes the bcrypt workers. */
  close(): Promise<void> {
    return this.verifier.close();
  }

  private verify(users: ReadonlyMap<string, string>, user: string, password: string): Promise<boolean> | boolean | 'busy' {
    const known = users.get(user);
    const hash = known ?? this.decoyFor(users);
    const key = createHmac('sha256', this.cacheKey).update(`${user}\0${hash}\0${password}`).digest('base64');
    if (this.passed.delete(key)) {
      this.passed.set(key, true);
      return true;
    }
    // An unknown user costs one bcrypt too, at the configured cost, so timing does not tell
    // which user names exist.
    const compared = this.verifier.verify(password, hash);
    if (!compared) return 'busy';
    return compared.then((ok) => {
      if (!ok || known === undefined) return false;
      this.passed.set(key, true);
      if (this.passed.size > CACHE_SIZE) this.passed.delete(this.passed.keys().next().value as string);
      return true;
    });
  }

  /**
   * A hash no password matches, at the highest cost of the configured ones: checking it
   * costs what checking a real user's costs (the toolkit's fixed cost 10 does not when the
   * users' hashes have another). Made anew when the users change; a salt and random
   * characters, so making it costs nothing.
   */
  private decoyFor(users: ReadonlyMap<string, string>): string {
    if (this.decoy?.users !== users) {
      const cost = Math.max(...[...users.values()].map((h) => bcrypt.getRounds(h)));
      const digest = bcrypt.encodeBase64(randomBytes(23), 23).slice(0, 31);
      this.decoy = { users, hash: bcrypt.genSaltSync(cost) + digest };
    }
    return this.decoy.hash;
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
