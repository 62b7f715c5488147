import { readFileSync } from 'node:fs';

/**
 * The README's (or a docs page's) sample sessions: each ```console block's `$ command`
 * lines and the output shown under each, so tests can run the commands and compare.
 */
export const REPO = new URL('../../', import.meta.url);
export const CLI_NAME = 'openstack-notification-exporter';

export const readDoc = (file: string): string => readFileSync(new URL(file, REPO), 'utf8');

export interface Sample {
  /** The command as shown, without the `$ `. */
  readonly command: string;
  /** Its arguments after `npx openstack-notification-exporter`. */
  readonly args: readonly string[];
  readonly output: string;
}

export function consoleSamples(markdown: string): Sample[] {
  const samples: Sample[] = [];
  for (const block of markdown.matchAll(/^```console\n([\s\S]*?)^```$/gm)) {
    let current: { command: string; lines: string[] } | undefined;
    const flush = () =>
      current && samples.push({ command: current.command, args: cliArgs(current.command), output: current.lines.join('\n') });
    for (const line of (block[1] ?? '').replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) {
        flush();
        current = { command: line.slice(2), lines: [] };
      } else current?.lines.push(line);
    }
    flush();
  }
  return samples;
}

/** `npx openstack-notification-exporter tail --count 3 'a b'` → ['tail', '--count', '3', 'a b']. */
export function cliArgs(command: string): string[] {
  const words = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  const [npx, name, ...args] = words;
  if (npx !== 'npx' || name !== CLI_NAME) throw new Error(`not a command of this project: ${command}`);
  return args;
}

/** The sample from `markdown` whose command is exactly `command`. */
export function sample(markdown: string, command: string): Sample {
  const found = consoleSamples(markdown).find((s) => s.command === command);
  if (!found) throw new Error(`no sample of \`${command}\``);
  return found;
}

/** The fenced block under `## Layout`. */
export function layoutBlock(markdown: string): string {
  return /^## Layout\n+```\n([\s\S]*?)^```$/m.exec(markdown)?.[1] ?? '';
}

/** The README's samples that need a broker: test/broker/readme.test.ts runs them. */
export const BROKER_SAMPLES = [
  `npx ${CLI_NAME} simulate`,
  `npx ${CLI_NAME} tail --priority error --count 3`,
  `npx ${CLI_NAME} check`,
] as const;
