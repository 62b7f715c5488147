/**
 * The attacker of bench/web-attack.ts, in a process of its own so that its work never
 * delays the scraper's measurements: `rate` requests a second to /metrics for `seconds`,
 * each on a new connection with a fresh wrong password, half for the real user name and
 * half for unknown ones. Reports the answers by status at the end.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { childArgs, report } from './common.js';

const { port, rate, seconds, user } = childArgs<{ port: number; rate: number; seconds: number; user: string }>();

const statuses: Record<string, number> = {};
const answered: Promise<void>[] = [];
const started = performance.now();
for (let n = 0; performance.now() - started < seconds * 1000; n++) {
  const credentials = `${n % 2 ? user : `user-${n}`}:guess-${n}-${Math.random()}`;
  answered.push(
    new Promise((resolve) => {
      const count = (status: string): void => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        resolve();
      };
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/metrics',
          agent: false,
          headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => count(String(res.statusCode)));
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => count(err.code ?? 'error'));
      req.end();
    }),
  );
  // Paced from the start, so slow answers never lower the rate.
  await sleep(Math.max(0, started + ((n + 1) * 1000) / rate - performance.now()));
}
await Promise.all(answered);
report('done', { statuses });
