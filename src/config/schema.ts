import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SchemaError } from './schema-error.ts';

/** The project's root folder (where package.json, schemas/ and regions/ live). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const schemaDir = `${projectRoot}schemas/`;
export const regionDir = `${projectRoot}regions/`;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const compiled = new Map<string, ValidateFunction>();

// its own module so that a light one (the serve flags' table) can throw it without loading Ajv
export { SchemaError };

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
