import type { ErrorObject } from 'ajv';
import { SimError } from '../errors/sim-error.ts';

/**
 * A SimError of code SIM_ERR_CONFIG_INVALID (the CLI exits 2 on it): a JSON document (the config, a region, the
 * catalog, a report) does not match its schema, or a value from the environment or a flag is wrong.
 * `problems` has one line per bad value, each naming its source and path; the message is
 * `<what> is invalid:` followed by them.
 */
export class SchemaError extends SimError {
  /** One line per bad value (always present here). */
  declare readonly problems: readonly string[];

  constructor(readonly what: string, problems: string[], readonly ajvErrors: ErrorObject[] = []) {
    super('SIM_ERR_CONFIG_INVALID', { detail: `${what} is invalid: ${problems.join('; ')}`, problems });
    // the message people read: one problem a line (the detail above is the one-line form for JSON replies)
    this.message = `${what} is invalid:\n  - ${problems.join('\n  - ')}`;
    this.name = 'SchemaError';
  }
}
