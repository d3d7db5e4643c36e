import { ERROR_CODES, HEC_CODES, type ErrorCode, type HecCode } from './codes.ts';

const kSimError = Symbol.for('sim.error');

export interface SimErrorOptions {
  /** A sentence for people: what was wrong and what to do (the `detail` of the reply). */
  detail?: string;
  /** 0-based number of the first bad event of a batch (HEC's `invalid-event-number`). */
  invalidEventNumber?: number;
  /** Extra response headers (e.g. X-Sim-Refused-Reason). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error with a stable code from the catalog; the error handler turns it into the HEC-style reply. */
export class SimError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly hecCode: HecCode | null;
  readonly detail: string | undefined;
  readonly invalidEventNumber: number | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly [kSimError] = true;

  constructor(code: ErrorCode, opts: SimErrorOptions = {}) {
    const def = ERROR_CODES[code];
    super(opts.detail ? `${def.text}: ${opts.detail}` : def.text, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SimError';
    this.code = code;
    this.statusCode = def.httpStatus;
    this.hecCode = def.hecCode;
    this.detail = opts.detail;
    this.invalidEventNumber = opts.invalidEventNumber;
    this.headers = opts.headers;
  }

  /** The reply body: HEC keys exactly (`text`, `code`, `invalid-event-number`), plus `detail` where we have one. */
  body(): Record<string, unknown> {
    const def = ERROR_CODES[this.code];
    const out: Record<string, unknown> = {
      text: this.hecCode === null ? def.text : HEC_CODES[this.hecCode].text,
      code: this.hecCode ?? this.statusCode,
    };
    if (this.invalidEventNumber !== undefined) out['invalid-event-number'] = this.invalidEventNumber;
    if (this.detail) out.detail = this.detail;
    return out;
  }
}

export function isSimError(e: unknown): e is SimError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[kSimError] === true;
}

/** The HEC body for a code without an error (success, health). */
export function hecBody(code: HecCode): { text: string; code: number } {
  return { text: HEC_CODES[code].text, code };
}
