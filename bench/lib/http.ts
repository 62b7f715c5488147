/** A small HTTP GET for scrapes: keep-alive, the whole body, how long it took. */
import { Agent, get } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

export interface Scrape {
  readonly status: number;
  readonly body: string;
  readonly bytes: number;
  /** Request sent → last byte received, ms. */
  readonly ms: number;
  /** Epoch ms (sub-ms precision) when the response was complete. */
  readonly doneAt: number;
}

export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function httpGet(url: string, accept?: string, timeoutMs = 30_000): Promise<Scrape> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, headers: accept ? { accept } : {}, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const done = performance.now();
        resolve({
          status: res.statusCode ?? 0,
          body: buf.toString('utf8'),
          bytes: buf.length,
          ms: done - started,
          doneAt: performance.timeOrigin + done,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The value of an unlabelled sample (`name 123`), or of the first sample whose labels match. */
export function sampleValue(body: string, name: string, labels?: Readonly<Record<string, string>>): number | undefined {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (!labels) {
    const m = new RegExp(`^${esc} (\\S+)$`, 'm').exec(body);
    return m ? Number(m[1]) : undefined;
  }
  const re = new RegExp(`^${esc}\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const text = m[1] ?? '';
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) return Number(m[2]);
  }
  return undefined;
}

/** Sample lines (not comments) in an exposition body: the series count. */
export function seriesCount(body: string): number {
  let n = 0;
  for (const line of body.split('\n')) if (line !== '' && line[0] !== '#') n++;
  return n;
}
