import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/config/schema.ts';
import { ERROR_CODES, HEC_CODES, type ErrorCode } from '../../../src/errors/codes.ts';
import { hecBody, isSimError, SimError } from '../../../src/errors/sim-error.ts';

const doc = readFileSync(join(projectRoot, 'docs', 'errors.md'), 'utf8');

describe('docs/errors.md is in sync with src/errors/codes.ts', () => {
  for (const [code, def] of Object.entries(ERROR_CODES)) {
    it(`${code} has a row with its HTTP status and HEC code`, () => {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[2]).toBe(String(def.httpStatus));
      expect(cells[3]).toBe(def.hecCode === null ? '–' : String(def.hecCode));
      expect(cells[4]).toBe(def.text);
    });
  }
  it('lists no code that the catalog does not have', () => {
    const listed = [...doc.matchAll(/^\| `(SIM_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(listed.filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });
  it('lists every HEC code with its status and text', () => {
    for (const [n, v] of Object.entries(HEC_CODES)) expect(doc).toContain(`| ${n} | ${v.status} | ${v.text} |`);
  });
});

describe('the catalog', () => {
  it('HEC-coded entries use the HEC status and exact text', () => {
    for (const def of Object.values(ERROR_CODES)) {
      if (def.hecCode !== null) {
        expect(def.httpStatus).toBe(HEC_CODES[def.hecCode].status);
        expect(def.text).toBe(HEC_CODES[def.hecCode].text);
      }
    }
  });
  it('HEC codes 0–27 are all there, as in hec-protocol.md §4', () => {
    expect(Object.keys(HEC_CODES).map(Number)).toEqual([...Array(28).keys()]);
    expect(HEC_CODES[9]).toEqual({ status: 503, text: 'Server is busy' });
    expect(HEC_CODES[16].text).toBe('Query string authorization is not enabled');
  });
});

describe('SimError', () => {
  it('carries code, status, HEC code, brand and the HEC body', () => {
    const e = new SimError('SIM_ERR_HEC_INVALID_JSON', { invalidEventNumber: 3, detail: 'event 3 is bad' });
    expect([e.code, e.statusCode, e.hecCode]).toEqual(['SIM_ERR_HEC_INVALID_JSON', 400, 6]);
    expect(isSimError(e)).toBe(true);
    expect(isSimError(new Error('x'))).toBe(false);
    expect(isSimError({ [Symbol.for('sim.error')]: true })).toBe(true); // brand works across module copies
    expect(e.body()).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 3, detail: 'event 3 is bad' });
    expect(e.message).toBe('Invalid data format: event 3 is bad');
  });
  it('non-HEC errors use the HTTP status as code', () => {
    expect(new SimError('SIM_ERR_HTTP_NOT_FOUND').body()).toEqual({ text: 'The requested URL was not found on this server.', code: 404 });
    expect(new SimError('SIM_ERR_POLICY_MODULE_LOCKED' as ErrorCode).statusCode).toBe(409);
  });
  it('hecBody gives the exact success and health bodies', () => {
    expect(hecBody(0)).toEqual({ text: 'Success', code: 0 });
    expect(hecBody(17)).toEqual({ text: 'HEC is healthy', code: 17 });
  });
});
