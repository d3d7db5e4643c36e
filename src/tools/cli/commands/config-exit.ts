import { CliExit } from '../index.ts';
import { isSimError } from '../../../errors/sim-error.ts';

/** A configuration error (SIM_ERR_CONFIG_INVALID: the config, a region file, the catalog, a flag's value): exit 2. */
export function isConfigError(err: unknown): boolean {
  return isSimError(err) && err.code === 'SIM_ERR_CONFIG_INVALID';
}

/**
 * Wraps a command's action so that a configuration error, from any command, ends it with exit status 2 and its
 * message (which names the source and the path), never a stack trace.
 */
export function exitOnConfigError<A extends unknown[]>(action: (...args: A) => unknown): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (isConfigError(err)) throw new CliExit(2, (err as Error).message);
      throw err;
    }
  };
}
