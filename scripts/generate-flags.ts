// Writes the flag table of docs/flags.md from the one FLAGS table (src/config/flags.ts), between
// its two marker comments; the prose around them is edited by hand. `npm run generate`;
// test/unit/flags-doc.test.ts fails when the committed page differs from what this writes.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { envName, FLAGS, type FlagSpec } from '../src/config/flags.js';

export const FLAGS_DOC = path.join(fileURLToPath(new URL('../', import.meta.url)), 'docs', 'flags.md');

const BEGIN = '<!-- flags:begin: generated from src/config/flags.ts by scripts/generate-flags.ts (npm run generate) -->';
const END = '<!-- flags:end -->';

// Table cells are Markdown: a literal |, * or < would end the cell, start emphasis or an HTML tag.
const cell = (text: string): string => text.replace(/([|*<])/g, '\\$1');

function row(name: string, spec: FlagSpec): string {
  const shown = Array.isArray(spec.default) ? spec.default.join(',') : (spec.default ?? '');
  const meaning = spec.repeatable ? `${spec.help}; the variable takes a comma-separated list` : spec.help;
  return [
    `\`--${name}\``,
    spec.short ? `\`--${spec.short}\`` : '',
    `\`${envName(name)}\``,
    shown === '' ? '' : `\`${shown}\``,
    spec.commands.join(', '),
    cell(meaning),
  ].join(' | ');
}

function table(): string {
  const rows = Object.entries(FLAGS).map(([name, spec]) => `| ${row(name, spec)} |`);
  return ['| flag | short form | environment | default | commands | meaning |', '| --- | --- | --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

/** docs/flags.md as it should be: `current` with the table between the markers rewritten, formatted by prettier. */
export async function flagsDocument(current: string): Promise<string> {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/flags.md must hold the lines ${BEGIN} and ${END}`);
  const text = `${current.slice(0, start)}${BEGIN}\n\n${table()}\n\n${current.slice(end)}`;
  const options = (await resolveConfig(FLAGS_DOC)) ?? {};
  return format(text, { ...options, filepath: FLAGS_DOC });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(FLAGS_DOC, await flagsDocument(readFileSync(FLAGS_DOC, 'utf8')));
  console.log('wrote docs/flags.md');
}
