/**
 * How the admin API checks its input: Fastify validates each route's params, querystring and body against the
 * route's schema (src/service/admin/schemas.ts) with the Ajv instances here, and `schemaErrorFormatter` turns
 * Ajv's first error into SIM_ERR_ADMIN_BAD_REQUEST with a detail that names the field. Bodies are JSON whatever
 * their Content-Type says (curl -d labels them form-urlencoded), read by `parseAdminJson`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyRequest, FastifySchemaCompiler, FastifySchema } from 'fastify';
import { SimError } from '../../errors/sim-error.ts';

// Query strings and path parameters are text: `?limit=5` is coerced to a number. Bodies are JSON: a boolean
// must be a boolean ("true" or 1 is refused). verbose: the failing value and its schema, for the detail.
const textAjv = new Ajv({ coerceTypes: true, allErrors: false, verbose: true, strict: true });
const jsonAjv = new Ajv({ coerceTypes: false, allErrors: false, verbose: true, strict: true });

/** Fastify's validator compiler for the admin scope: one of the two Ajv instances per HTTP part. */
export const adminValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? jsonAjv : textAjv).compile(schema as object) as ValidateFunction;

/** How a field is named to the client: `?limit=`, `:setting`, `"uploadPermission"`, or `the body`. */
function fieldName(part: string, path: string): string {
  const name = path.replace(/^\//, '').replace(/\//g, '.');
  if (part === 'querystring') return `?${name}=`;
  if (part === 'params') return `:${name}`;
  return name === '' ? 'the body' : `"${name}"`;
}

const shown = (part: string, v: unknown) => (part === 'body' ? JSON.stringify(v) ?? 'nothing' : `'${String(v)}'`);

/** The schema's own words for what a value must be (`description`), else Ajv's. */
function mustBe(e: ErrorObject): string {
  const d = (e.parentSchema as { description?: unknown } | undefined)?.description;
  return typeof d === 'string' ? `must be ${d}` : (e.message ?? 'is not valid');
}

/**
 * The admin scope's schemaErrorFormatter: Ajv's first error as SIM_ERR_ADMIN_BAD_REQUEST naming the field
 * (`part`: body, querystring or params); every error is listed in `problems`.
 */
export function formatErrors(errors: readonly ErrorObject[], part: string): SimError {
  const e = errors[0];
  const problems = errors.map((x) => `${x.instancePath || '(root)'} ${x.message ?? ''}`.trim());
  if (e === undefined) return new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `the ${part} is not valid` });
  let detail: string;
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const shape = (e.parentSchema as { description?: unknown } | undefined)?.description;
    detail = `${fieldName(part, `${e.instancePath}/${missing}`)} is missing${part === 'body' && typeof shape === 'string' ? `; the body must be ${shape}` : ''}`;
  } else if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
    detail = `${fieldName(part, `${e.instancePath}/${extra}`)} is not a ${part === 'body' ? 'key this body takes' : 'parameter of this route'}${known.length ? ` (it takes ${known.map((k) => fieldName(part, `/${k}`)).join(', ')})` : ''}`;
  } else if (part !== 'body' && Array.isArray(e.data)) {
    detail = `${fieldName(part, e.instancePath)} is given more than once`;
  } else {
    detail = `${fieldName(part, e.instancePath)} ${mustBe(e)}, got ${shown(part, e.data)}`;
  }
  return new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail, problems });
}

/** What the route's body schema says the body must be (its `description`), for a body that is not even JSON. */
function bodyShape(req: FastifyRequest): string | undefined {
  const body = (req.routeOptions.schema as FastifySchema | undefined)?.body as { description?: unknown } | undefined;
  return typeof body?.description === 'string' ? body.description : undefined;
}

/**
 * The admin scope's body parser: JSON, whatever the Content-Type. An empty body is no body for a route that
 * takes none (a DELETE with Content-Length: 0); for one that takes a body it is refused as such.
 */
export function parseAdminJson(req: FastifyRequest, text: string, done: (err: Error | null, body?: unknown) => void): void {
  const shape = bodyShape(req);
  const send = shape === undefined ? '' : `; the body must be ${shape}`;
  if (text.trim() === '') {
    if (shape === undefined) return done(null, undefined);
    return done(new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `the body is empty${send}` }));
  }
  try {
    done(null, JSON.parse(text));
  } catch (err) {
    done(new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `the body is not JSON (${(err as Error).message})${send}` }));
  }
}
