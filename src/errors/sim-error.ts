import { ERROR_CODES, HEC_CODES, type ErrorCode, type ExitStatus, type HecCode } from './codes.ts';

const kSimError = Symbol.for('sim.error');

export interface SimErrorOptions {
  /** A sentence for people: what was wrong and what to do (the `detail` of the reply). */
  detail?: string;
  /** 0-based number of the first bad event of a batch (HEC's `invalid-event-number`). */
  invalidEventNumber?: number;
  /** Extra response headers (e.g. X-Sim-Refused-Reason). */
  headers?: Record<string, string>;
  /** Each bad path of a document (a fault document, a config), listed in the reply as `problems`. */
  problems?: readonly string[];
  cause?: unknown;
}

/**
 * A SimError as it crosses a thread (postMessage) or a process: plain data that structured clone keeps whole.
 * Node's clone of an Error keeps only name, message and stack; this keeps the code and what the reply needs.
 */
export interface SimErrorWire {
  readonly [kWire]: 1;
  code: ErrorCode;
  message: string;
  stack?: string;
  detail?: string;
  invalidEventNumber?: number;
  headers?: Record<string, string>;
  problems?: string[];
  /** The cause's name, message and stack, when it had one. */
  cause?: { name: string; message: string; stack?: string };
}
const kWire = 'simError';

/** An error with a stable code from the catalog; the error handler turns it into the HEC-style reply. */
export class SimError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly hecCode: HecCode | null;
  /** What the CLI exits with when this error ends a command (src/errors/codes.ts). */
  readonly exitStatus: ExitStatus;
  readonly detail: string | undefined;
  readonly invalidEventNumber: number | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly problems: readonly string[] | undefined;
  readonly [kSimError] = true;

  constructor(code: ErrorCode, opts: SimErrorOptions = {}) {
    const def = ERROR_CODES[code];
    super(opts.detail ? `${def.text}: ${opts.detail}` : def.text, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SimError';
    this.code = code;
    this.statusCode = def.httpStatus;
    this.hecCode = def.hecCode;
    this.exitStatus = def.exitStatus;
    this.detail = opts.detail;
    this.invalidEventNumber = opts.invalidEventNumber;
    this.headers = opts.headers;
    this.problems = opts.problems;
  }

  /** The reply body: HEC keys exactly (`text`, `code`, `invalid-event-number`), plus `detail` and `problems` where we have them. */
  body(): Record<string, unknown> {
    const def = ERROR_CODES[this.code];
    const out: Record<string, unknown> = {
      text: this.hecCode === null ? def.text : HEC_CODES[this.hecCode].text,
      code: this.hecCode ?? this.statusCode,
    };
    if (this.invalidEventNumber !== undefined) out['invalid-event-number'] = this.invalidEventNumber;
    if (this.detail) out.detail = this.detail;
    if (this.problems) out.problems = [...this.problems];
    return out;
  }

  /** The wire form: code, message, stack, detail, invalidEventNumber, headers, problems and the cause's text survive postMessage. */
  toWire(): SimErrorWire {
    const w: SimErrorWire = { [kWire]: 1, code: this.code, message: this.message };
    if (this.stack !== undefined) w.stack = this.stack;
    if (this.detail !== undefined) w.detail = this.detail;
    if (this.invalidEventNumber !== undefined) w.invalidEventNumber = this.invalidEventNumber;
    if (this.headers !== undefined) w.headers = { ...this.headers };
    if (this.problems !== undefined) w.problems = [...this.problems];
    const c = this.cause;
    if (c instanceof Error) w.cause = { name: c.name, message: c.message, ...(c.stack !== undefined ? { stack: c.stack } : {}) };
    else if (c !== undefined) w.cause = { name: 'Error', message: String(c) };
    return w;
  }

  /** The error a wire form was made from, with its own message and stack (the thread it was thrown in). */
  static fromWire(w: SimErrorWire): SimError {
    let cause: Error | undefined;
    if (w.cause !== undefined) {
      cause = new Error(w.cause.message);
      cause.name = w.cause.name;
      if (w.cause.stack !== undefined) cause.stack = w.cause.stack;
    }
    const e = new SimError(w.code, { detail: w.detail, invalidEventNumber: w.invalidEventNumber, headers: w.headers, problems: w.problems, cause });
    e.message = w.message;
    if (w.stack !== undefined) e.stack = w.stack;
    return e;
  }

  /**
   * Any thrown value as a SimError: a SimError as it is; anything else as `code` (default: an internal error)
   * with the thrown error as its cause, so its stack is not lost.
   */
  static from(err: unknown, code: ErrorCode = 'SIM_ERR_HEC_INTERNAL'): SimError {
    if (isSimError(err)) return err;
    if (isSimErrorWire(err)) return SimError.fromWire(err);
    return new SimError(code, { detail: err instanceof Error ? err.message : String(err), cause: err });
  }
}

/** True for a wire form made by SimError#toWire (checked by shape: it comes from another thread). */
export function isSimErrorWire(w: unknown): w is SimErrorWire {
  return typeof w === 'object' && w !== null && (w as Record<string, unknown>)[kWire] === 1
    && typeof (w as { code?: unknown }).code === 'string' && (w as { code: string }).code in ERROR_CODES;
}

export function isSimError(e: unknown): e is SimError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[kSimError] === true;
}

/** The HEC body for a code without an error (success, health). */
export function hecBody(code: HecCode): { text: string; code: number } {
  return { text: HEC_CODES[code].text, code };
}
