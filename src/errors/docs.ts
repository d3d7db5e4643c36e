/**
 * docs/errors.md's code table, made from the catalog (src/errors/codes.ts), so the page cannot drift from it:
 * tests/unit/errors/catalog.test.ts compares the two. Rewrite the page after changing the catalog with
 * `node --import tsx src/errors/docs.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from './codes.ts';

export const BEGIN = '<!-- codes:begin (made by src/errors/docs.ts from src/errors/codes.ts) -->';
export const END = '<!-- codes:end -->';

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The table of every code: HTTP status, HEC code, text, CLI exit status, when. */
export function renderCodeTable(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, d]) =>
    `| \`${code}\` | ${d.httpStatus} | ${d.hecCode === null ? '–' : d.hecCode} | ${cell(d.text)} | ${d.exitStatus} | ${cell(d.when)} |`);
  return ['| Code | HTTP | HEC code | Text | Exit | When |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** `doc` with the text between the markers replaced by the table. */
export function withCodeTable(doc: string): string {
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/errors.md has no ${BEGIN} … ${END} markers`);
  return `${doc.slice(0, a + BEGIN.length)}\n${renderCodeTable()}\n${doc.slice(b)}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = join(fileURLToPath(new URL('../../', import.meta.url)), 'docs', 'errors.md');
  writeFileSync(file, withCodeTable(readFileSync(file, 'utf8')));
  process.stdout.write(`${file} rewritten\n`);
}
