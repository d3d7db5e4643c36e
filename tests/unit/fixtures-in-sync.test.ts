import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** tests/fixtures/shared holds copies of ../shared (see its README): each must equal its original when that is there. */
const COPIES: Array<[copy: string, original: string]> = [
  ['seeds/000_7af1eaa6cc54c2d6.txt', 'seeds/000_7af1eaa6cc54c2d6.txt'],
  ['seeds/003_04f562c8c0f9ad23.txt', 'seeds/003_04f562c8c0f9ad23.txt'],
  ['fields-visible.jsonl', 'fixtures/fields-visible.jsonl'],
  ['realdata/events.jsonl', 'fixtures/realdata/events.jsonl'],
];
const copies = new URL('../fixtures/shared/', import.meta.url);
const shared = new URL('../../../shared/', import.meta.url);

describe('tests/fixtures/shared: copies of the shared seeds and fixtures', () => {
  for (const [copy, original] of COPIES) {
    const at = new URL(original, shared);
    it.skipIf(!existsSync(at))(`${copy} is the same as ../shared/${original}`, () => {
      expect(readFileSync(new URL(copy, copies), 'utf8')).toBe(readFileSync(at, 'utf8'));
    });
  }
  it('every copy exists in the repository', () => {
    for (const [copy] of COPIES) expect(existsSync(new URL(copy, copies)), copy).toBe(true);
  });
});
