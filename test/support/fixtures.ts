import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** Every inner-message fixture (JSON file) under test/fixtures, as a path relative to it (the *expectations.json tables aside). */
export function fixtureFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        // nova.conf samples; whole-run wire captures with their records (test/unit/zed-cloud.test.ts).
        if (name !== 'nova-conf' && name !== 'zed-cloud') walk(path);
      } else if (name.endsWith('.json') && !name.endsWith('expectations.json')) {
        out.push(relative(FIXTURES, path));
      }
    }
  };
  walk(FIXTURES);
  return out;
}

export function readFixture(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as Record<string, unknown>;
}

/** The synthetic lifecycle, in order (01-...json to 14-...json). */
export function lifecycle(): Record<string, unknown>[] {
  return fixtureFiles()
    .filter((f) => f.startsWith('nova-legacy/lifecycle/'))
    .map(readFixture);
}

export interface WireLine {
  readonly routing_key: string;
  readonly body: { 'oslo.version': string; 'oslo.message': string };
}

export function wireLines(): WireLine[] {
  return readFileSync(join(FIXTURES, 'nova-legacy/lifecycle.wire.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WireLine);
}
