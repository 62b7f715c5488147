import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { BcryptPool, type PasswordVerifier } from '../../src/http/bcrypt-pool.js';
import { loadWebConfig, type WebConfig } from '../../src/http/web-config.js';
import { WebGuard } from '../../src/http/web-guard.js';

const DIR = new URL('../fixtures/web-config/', import.meta.url).pathname;

/** A response that records what the guard did. */
function fakeExchange(authorization?: string): {
  req: IncomingMessage;
  res: ServerResponse;
  sent: { status?: number; headers: Record<string, string> };
} {
  const sent: { status?: number; headers: Record<string, string> } = { headers: {} };
  const res = {
    set statusCode(s: number) {
      sent.status = s;
    },
    setHeader(name: string, value: string) {
      sent.headers[name.toLowerCase()] = value;
    },
    end() {},
  } as unknown as ServerResponse;
  const req = { headers: authorization ? { authorization } : {} } as IncomingMessage;
  return { req, res, sent };
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The status the guard answers (200: it let the request through). */
async function statusOf(guard: WebGuard, authorization?: string): Promise<number> {
  const x = fakeExchange(authorization);
  return (await guard.admit(x.req, x.res)) ? 200 : (x.sent.status ?? 0);
}

/** bcrypt in this thread, counting the checks. */
function countingVerifier(): PasswordVerifier & { calls: number } {
  return {
    calls: 0,
    verify(password, hash) {
      this.calls++;
      return Promise.resolve(bcrypt.compareSync(password, hash));
    },
    close: () => Promise.resolve(),
  };
}

// full.good.yml's rate limit would answer 429 to a quick series of checks.
const config: WebConfig = { ...loadWebConfig(path.join(DIR, 'full.good.yml')), rateLimit: undefined };
const withUsers = (users: Record<string, string>): WebConfig => ({ ...config, users: new Map(Object.entries(users)) });

describe('web guard (the toolkit handler: headers, rate limit, basic auth)', () => {
  const guards: WebGuard[] = [];
  const guardOf = (c: WebConfig, options?: ConstructorParameters<typeof WebGuard>[1]): WebGuard => {
    const guard = new WebGuard(() => c, options);
    guards.push(guard);
    return guard;
  };
  after(() => Promise.all(guards.map((g) => g.close())));

  test('the right password passes; a wrong one, an unknown user or none gets 401 with WWW-Authenticate', async () => {
    const guard = guardOf(config);
    for (const [authorization, ok] of [
      [basic('prometheus', 's3cret-pass'), true],
      [basic('prometheus', 'wrong'), false],
      [basic('nobody', 's3cret-pass'), false],
      [undefined, false],
      ['Bearer abc', false],
    ] as const) {
      const x = fakeExchange(authorization);
      assert.equal(await guard.admit(x.req, x.res), ok, String(authorization));
      assert.equal(x.sent.headers['x-frame-options'], 'deny', 'configured headers on every answer');
      if (!ok) {
        assert.equal(x.sent.status, 401);
        assert.equal(x.sent.headers['www-authenticate'], 'Basic');
      }
    }
  });

  test('a verified password is cached: the second check does not run bcrypt again', async () => {
    const verifier = countingVerifier();
    const guard = guardOf(config, { verifier });
    for (let i = 0; i < 20; i++) assert.equal(await statusOf(guard, basic('prometheus', 's3cret-pass')), 200);
    assert.equal(verifier.calls, 1);
  });

  test('a flood of wrong passwords and unknown users does not push the scraper out of the cache', async () => {
    const verifier = countingVerifier();
    const guard = guardOf(config, { verifier });
    assert.equal(await statusOf(guard, basic('prometheus', 's3cret-pass')), 200);
    for (let i = 0; i < 300; i++) {
      assert.equal(await statusOf(guard, basic(i % 2 ? 'prometheus' : `user-${i}`, `guess-${i}`)), 401);
    }
    assert.equal(verifier.calls, 301, 'every wrong password costs a check: failures are not remembered');
    assert.equal(await statusOf(guard, basic('prometheus', 's3cret-pass')), 200);
    assert.equal(verifier.calls, 301, "the scraper's password is still remembered");
  });

  test('the rate limit answers 429 past the burst and refills one token per interval', async () => {
    let now = 0;
    const guard = guardOf({ ...config, users: new Map(), rateLimit: { intervalMs: 100, burst: 2 } }, { now: () => now });
    assert.deepEqual([await statusOf(guard), await statusOf(guard), await statusOf(guard)], [200, 200, 429]);
    now += 100;
    assert.deepEqual([await statusOf(guard), await statusOf(guard)], [200, 429]);
  });

  test('an unknown user takes as long as a known one with a wrong password; one cost step apart is told apart', async () => {
    // Cost 7: about 10-20 ms per check here, cost 8 twice that; so the control pair below
    // differs by one cost-7 check, about the 10 ms the comparison must be able to see.
    const cost7 = bcrypt.hashSync('right', 7);
    const cost8 = bcrypt.hashSync('right', 8);
    // Normal priority: the comparison is about the guard, not about the workers' nice value.
    const one = guardOf(withUsers({ alice: cost7 }), { verifier: new BcryptPool({ nice: 0 }) });
    const two = guardOf(withUsers({ alice: cost7, bob: cost8 }), { verifier: new BcryptPool({ nice: 0 }) });
    let n = 0;
    const timed = async (guard: WebGuard, user: string): Promise<number> => {
      const t = process.hrtime.bigint();
      assert.equal(await statusOf(guard, basic(user, `wrong-${n++}`)), 401);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    /** Relative difference of the medians, the two series measured in turn so both see the same load. */
    const apart = async (a: () => Promise<number>, b: () => Promise<number>): Promise<number> => {
      const as: number[] = [];
      const bs: number[] = [];
      for (let i = 0; i < 25; i++) {
        as.push(await a());
        bs.push(await b());
      }
      const median = (xs: number[]): number => xs.sort((x, y) => x - y)[xs.length >> 1] as number;
      const [ma, mb] = [median(as), median(bs)];
      return Math.abs(ma - mb) / Math.max(ma, mb);
    };
    await timed(one, 'alice'); // the worker thread's start-up, not part of any series
    await timed(two, 'alice');
    const control = await apart(
      () => timed(two, 'alice'),
      () => timed(two, 'bob'),
    );
    assert.ok(control > 0.3, `cost 7 and cost 8 must be told apart (relative difference ${control.toFixed(2)})`);
    const unknown = await apart(
      () => timed(one, 'alice'),
      () => timed(one, 'mallory'),
    );
    assert.ok(unknown < 0.2, `an unknown user must cost what a known one does (relative difference ${unknown.toFixed(2)})`);
  });

  test('bcrypt runs off the event loop: it keeps turning during a costly check', async () => {
    const guard = guardOf(withUsers({ alice: bcrypt.hashSync('right', 11) }), { verifier: new BcryptPool({ nice: 0 }) });
    let turns = 0;
    let checking = true;
    const spin = (): void => {
      turns++;
      if (checking) setImmediate(spin);
    };
    setImmediate(spin);
    const t = Date.now();
    assert.equal(await statusOf(guard, basic('alice', 'wrong')), 401);
    checking = false;
    const ms = Date.now() - t;
    // On the event loop (bcryptjs's async mode) the loop turns once per 100 ms slice.
    assert.ok(turns > ms, `${turns} turns of the event loop in ${ms} ms`);
  });

  test('when every check is taken, new credentials get 503 at once; a remembered one still passes', async () => {
    const verifier = new BcryptPool({ workers: 1, maxWaiting: 2 });
    const guard = guardOf(withUsers({ alice: bcrypt.hashSync('right', 10) }), { verifier });
    assert.equal(await statusOf(guard, basic('alice', 'right')), 200);
    const order: string[] = [];
    const answers = ['alice', 'bob', 'alice', 'carol', 'alice', 'dave'].map((user, i) =>
      statusOf(guard, basic(user, `guess-${i}`)).then((s) => {
        order.push(`${user}:${s}`);
        return s;
      }),
    );
    assert.equal(await statusOf(guard, basic('alice', 'right')), 200);
    const statuses = await Promise.all(answers);
    // One running, two waiting: the others are refused before any check ends, known user or not.
    assert.deepEqual(statuses, [401, 401, 401, 503, 503, 503]);
    assert.deepEqual(order.slice(0, 3), ['carol:503', 'alice:503', 'dave:503']);
    const x = fakeExchange(basic('erin', 'x'));
    // Saturate again to read the 503's headers.
    const busy = [0, 1, 2].map((i) => statusOf(guard, basic('alice', `more-${i}`)));
    assert.equal(await guard.admit(x.req, x.res), false);
    assert.equal(x.sent.status, 503);
    assert.equal(x.sent.headers['retry-after'], '1');
    await Promise.all(busy);
  });
});
