import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/config/schema.ts';
import { ERROR_CODES, HEC_CODES, type ErrorCode } from '../../../src/errors/codes.ts';
import { MessageChannel } from 'node:worker_threads';
import { renderCodeTable, withCodeTable } from '../../../src/errors/docs.ts';
import { hecBody, isSimError, isSimErrorWire, SimError, type SimErrorWire } from '../../../src/errors/sim-error.ts';

const doc = readFileSync(join(projectRoot, 'docs', 'errors.md'), 'utf8');

describe('docs/errors.md is in sync with src/errors/codes.ts', () => {
  for (const [code, def] of Object.entries(ERROR_CODES)) {
    it(`${code} has a row with its HTTP status and HEC code`, () => {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
      const cells = row!.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
      expect(cells[2]).toBe(String(def.httpStatus));
      expect(cells[3]).toBe(def.hecCode === null ? '–' : String(def.hecCode));
      expect(cells[4]).toBe(def.text);
      expect(cells[5]).toBe(String(def.exitStatus));
    });
  }
  it('the table is the one src/errors/docs.ts makes from the catalog (rewrite it: node --import tsx src/errors/docs.ts)', () => {
    expect(doc).toContain(renderCodeTable());
    expect(withCodeTable(doc)).toBe(doc);
  });
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

describe('exit status', () => {
  it('usage and configuration errors exit 2, runtime failures 1', () => {
    expect(ERROR_CODES.SIM_ERR_USAGE.exitStatus).toBe(2);
    expect(ERROR_CODES.SIM_ERR_CONFIG_INVALID.exitStatus).toBe(2);
    expect(ERROR_CODES.SIM_ERR_CLI_FAILED.exitStatus).toBe(1);
    expect(ERROR_CODES.SIM_ERR_STORE_OPEN.exitStatus).toBe(1);
    for (const def of Object.values(ERROR_CODES)) expect([1, 2]).toContain(def.exitStatus);
  });
  it('a SimError carries its code\'s exit status', () => {
    expect(new SimError('SIM_ERR_USAGE', { detail: '--port x' }).exitStatus).toBe(2);
    expect(new SimError('SIM_ERR_HEC_INTERNAL').exitStatus).toBe(1);
  });
});

/** Sends a value through a real MessagePort (structured clone, as postMessage to a worker does). */
function acrossThreads<T>(v: T): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  return new Promise<T>((resolve) => {
    port2.once('message', (m: T) => { port1.close(); port2.close(); resolve(m); });
    port1.postMessage(v);
  });
}

describe('SimError wire form', () => {
  it('keeps code, detail, invalidEventNumber, headers, message and stack across postMessage', async () => {
    const e = new SimError('SIM_ERR_HEC_INVALID_JSON', { detail: 'event 2 is not JSON', invalidEventNumber: 2, headers: { 'x-sim-refused-reason': 'x' } });
    const back = SimError.fromWire(await acrossThreads(e.toWire()));
    expect(isSimError(back)).toBe(true);
    expect(back).toBeInstanceOf(SimError);
    expect([back.code, back.statusCode, back.hecCode, back.exitStatus]).toEqual(['SIM_ERR_HEC_INVALID_JSON', 400, 6, 1]);
    expect([back.detail, back.invalidEventNumber, back.headers]).toEqual(['event 2 is not JSON', 2, { 'x-sim-refused-reason': 'x' }]);
    expect(back.message).toBe(e.message);
    expect(back.stack).toBe(e.stack); // the stack of the thread that threw, not of fromWire
    expect(back.body()).toEqual(e.body());
  });
  it('an Error itself loses its code across postMessage (why the wire form exists)', async () => {
    const e = new SimError('SIM_ERR_STORE_DISK_FULL', { detail: 'ENOSPC' });
    const cloned = await acrossThreads(e) as unknown as Record<string, unknown>;
    expect(cloned.code).toBeUndefined();
    expect(cloned.message).toBe(e.message);
  });
  it('keeps the cause\'s name, message and stack', async () => {
    const cause = new RangeError('offset out of range');
    const back = SimError.fromWire(await acrossThreads(new SimError('SIM_ERR_HEC_INTERNAL', { cause }).toWire()));
    const c = back.cause as Error;
    expect([c.name, c.message, c.stack]).toEqual(['RangeError', 'offset out of range', cause.stack]);
  });
  it('from(): a SimError as it is, a wire form rebuilt, anything else an internal error with its cause', () => {
    const e = new SimError('SIM_ERR_HEC_BUSY');
    expect(SimError.from(e)).toBe(e);
    expect(SimError.from(e.toWire()).code).toBe('SIM_ERR_HEC_BUSY');
    const boom = new Error('boom');
    const w = SimError.from(boom);
    expect([w.code, w.detail, w.cause]).toEqual(['SIM_ERR_HEC_INTERNAL', 'boom', boom]);
    expect(SimError.from('text', 'SIM_ERR_CLI_FAILED').code).toBe('SIM_ERR_CLI_FAILED');
  });
  it('isSimErrorWire refuses look-alikes and unknown codes', () => {
    expect(isSimErrorWire(new SimError('SIM_ERR_HEC_BUSY').toWire())).toBe(true);
    expect(isSimErrorWire({ simError: 1, code: 'SIM_ERR_NOPE', message: 'x' })).toBe(false);
    expect(isSimErrorWire({ code: 'SIM_ERR_HEC_BUSY', message: 'x' } as unknown as SimErrorWire)).toBe(false);
    expect(isSimErrorWire(null)).toBe(false);
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
