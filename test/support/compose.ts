import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './queries.js';

export const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: unknown[];
  volumes?: unknown[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}

/** `${VAR:-default}` as compose reads it with none of the variables set. */
const withDefaults = (text: string): string => text.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

/** docker-compose.yml as written (anchors resolved, variables at their defaults). */
export function composeServices(): Record<string, ComposeService> {
  const doc = parse(withDefaults(readFileSync(COMPOSE_FILE, 'utf8')), { merge: true }) as { services: Record<string, ComposeService> };
  return doc.services;
}

/** The arguments the stack gives an image-based service (after the image's ENTRYPOINT). */
export function serviceCommand(name: string): string[] {
  const command = composeServices()[name]?.command;
  if (!Array.isArray(command)) throw new Error(`${name}: command must be a list in docker-compose.yml`);
  return command;
}

export function serviceEnvironment(name: string): Record<string, string> {
  return { ...(composeServices()[name]?.environment ?? {}) };
}
