import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SimError } from '../errors/sim-error.ts';

/** The project's root folder (where package.json, schemas/ and regions/ live). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const schemaDir = `${projectRoot}schemas/`;
export const regionDir = `${projectRoot}regions/`;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const compiled = new Map<string, ValidateFunction>();

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

const parsed = new Map<string, object>();

/** schemas/<name>.schema.json, read and parsed once (do not change it: the validators are compiled from it). */
export function schemaJson(name: string): object {
  let j = parsed.get(name);
  if (!j) {
    j = JSON.parse(readFileSync(`${schemaDir}${name}.schema.json`, 'utf8')) as object;
    parsed.set(name, j);
  }
  return j;
}

/** Compiles (once) the schema in schemas/<name>.schema.json. */
export function schemaValidator(name: string): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    v = ajv.compile(schemaJson(name));
    compiled.set(name, v);
  }
  return v;
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath === '' ? '(root)' : e.instancePath;
    const extra = e.keyword === 'additionalProperties'
      ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
      : e.keyword === 'enum'
        ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(', ')})`
        : '';
    return `${at}: ${e.message ?? e.keyword}${extra}`;
  });
}

/** Validates `data` against schemas/<name>.schema.json; throws SchemaError naming each bad path. */
export function validateAgainst<T>(name: string, data: unknown, what: string): T {
  const v = schemaValidator(name);
  if (!v(data)) throw new SchemaError(what, formatAjvErrors(v.errors), v.errors ?? []);
  return data as T;
}

/** Reads and parses a JSON file, with the file name in any error. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SchemaError(path, [`cannot be read: ${(err as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SchemaError(path, [`is not JSON: ${(err as Error).message}`]);
  }
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}
