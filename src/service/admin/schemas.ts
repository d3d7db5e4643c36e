/**
 * The admin API's route schemas: Fastify validates params, querystring and body with them before a handler runs
 * (src/service/admin/validation.ts turns a failure into a 400 naming the field). A `description` is the phrase
 * the detail uses: "?limit= must be <description>, got 'abc'".
 * Query strings take no parameter a route does not list, so a misspelt one (`?limits=5`) is refused, not ignored.
 */
import { SETTING_IDS } from '../../pipeline/policy/settings.ts';

const text = { type: 'string' } as const;
const limit = (max: number) => ({ type: 'integer', minimum: 1, maximum: max, description: `an integer from 1 to ${max}` }) as const;
const query = (properties: Record<string, object>) => ({ type: 'object', properties, additionalProperties: false }) as const;
const params = (...names: string[]) => ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, text])), required: names }) as const;
const boolBody = (key: string) => ({
  type: 'object',
  description: `{"${key}": true|false}`,
  properties: { [key]: { type: 'boolean', description: 'true or false' } },
  required: [key],
}) as const;

export const noQuery = { querystring: query({}) };

export const eventsSchema = {
  querystring: query({ region: text, module: text, limit: limit(1000) }),
};

export const tenantSchema = { params: params('tenant'), querystring: query({}) };

export const moduleSchema = { params: params('tenant', 'module'), querystring: query({}) };

export const putModuleSchema = { ...moduleSchema, body: boolBody('uploadPermission') };

export const putSettingSchema = {
  params: {
    type: 'object',
    properties: {
      tenant: text,
      setting: { type: 'string', enum: [...SETTING_IDS], description: `a tenant setting (${SETTING_IDS.join(', ')})` },
    },
    required: ['tenant', 'setting'],
  },
  querystring: query({}),
  body: boolBody('value'),
};

const enumBody = (values: readonly string[]) => ({
  type: 'object',
  description: `{"value": ${values.map((v) => `"${v}"`).join('|')}}`,
  properties: { value: { type: 'string', enum: [...values], description: values.map((v) => `"${v}"`).join(', ').replace(/, ([^,]*)$/, ' or $1') } },
  required: ['value'],
  additionalProperties: false,
}) as const;

/** PUT /tenants/:tenant/secrets {"value": "keep"|"redact"|"drop"} */
export const putSecretsSchema = { ...tenantSchema, body: enumBody(['keep', 'redact', 'drop']) };

/** PUT /tenants/:tenant/undeclared {"value": "keep"|"flag"|"drop"} */
export const putUndeclaredSchema = { ...tenantSchema, body: enumBody(['keep', 'flag', 'drop']) };

export const auditSchema = {
  querystring: query({ tenant: text, limit: limit(10000) }),
};

export const faultsSchema = { params: params('region'), querystring: query({}) };

export const putFaultsSchema = { ...faultsSchema, body: { type: 'object', description: 'a fault document (docs/faults.md)' } };
