import type { ErrorCode } from '../errors/codes.ts';
import { isSimError, SimError } from '../errors/sim-error.ts';

/**
 * A SimError as it crosses threads (structured clone keeps no class): its code, detail and first bad event.
 * Kept small here until src/errors has one of its own.
 */
export interface ErrorWire { code: ErrorCode; detail?: string; invalidEventNumber?: number }

/** Any error as its wire form: a SimError as it is, anything else as an internal error naming `where`. */
export function toWire(err: unknown, where: string): ErrorWire {
  if (isSimError(err)) return { code: err.code, detail: err.detail, invalidEventNumber: err.invalidEventNumber };
  return { code: 'SIM_ERR_HEC_INTERNAL', detail: `${where}: ${(err as Error)?.message ?? String(err)}` };
}

export function fromWire(w: ErrorWire): SimError {
  return new SimError(w.code, { detail: w.detail, invalidEventNumber: w.invalidEventNumber });
}
