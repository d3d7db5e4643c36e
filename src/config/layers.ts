/**
 * The configuration as partial layers of one shape (the config file's, schemas/config.schema.json): defaults <
 * file < environment < flags. Layers are deep-merged (objects merge key by key, arrays and scalars replace),
 * the merge remembers which layer set each path, and the result is validated once against the schema. A bad
 * value is reported against the layer that set it: `environment SIM_LOG_LEVEL: 'loud' is not one of …
 * (config key logLevel)`, `config file cfg.json: /tokens/0/token: must match pattern …`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { formatAjvErrors, schemaJson } from './schema.ts';

/** A node of schemas/config.schema.json, as far as this module reads it. */
export interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  title?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  required?: string[];
  [k: string]: unknown;
}

/** What one value of a text layer (environment, flags) was given as: its name and its text. */
export interface GivenText {
  name: string;
  text: string;
}

/** One source of configuration, in the config file's shape, every key optional. */
export interface Layer {
  /** How a problem names the source: 'defaults', 'config file cfg.json', 'environment', 'flag', 'override'. */
  readonly source: string;
  readonly data: Record<string, unknown>;
  /** Text layers: the JSON pointer of each value set → the variable or flag that set it and its text. */
  readonly given?: ReadonlyMap<string, GivenText>;
}

/** schemas/config.schema.json, parsed once (the same object the validator is compiled from). */
export function configSchemaJson(): SchemaNode {
  return schemaJson('config') as SchemaNode;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const escapeSegment = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapeSegment = (k: string) => k.replace(/~1/g, '/').replace(/~0/g, '~');

/** JSON pointer → the dotted key the docs use: /listen/regionPorts/eu → listen.regionPorts.eu. */
export function dottedKey(pointer: string): string {
  return pointer.split('/').slice(1).map(unescapeSegment).join('.');
}

/** The schema node that describes the value at `pointer` (through properties, additionalProperties and items). */
export function schemaNodeAt(pointer: string, schema: SchemaNode = configSchemaJson()): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const raw of pointer.split('/').slice(1)) {
    if (node === undefined) return undefined;
    const k = unescapeSegment(raw);
    if (node.properties?.[k] !== undefined) node = node.properties[k];
    else if (node.items !== undefined && /^\d+$/.test(k)) node = node.items;
    else if (isObject(node.additionalProperties)) node = node.additionalProperties as SchemaNode;
    else return undefined;
  }
  return node;
}

/** Puts `value` at the dotted `key` of `into`, making the objects on the way. */
export function setAt(into: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let o = into;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(o[p])) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}

/** The layers merged into a new object (inputs untouched), and which layer set each path (JSON pointer). */
export interface Merged {
  data: Record<string, unknown>;
  origins: Map<string, Layer>;
}

function copy(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? structuredClone(v) : v;
}

/** Deep merge, later layers over earlier ones: objects merge key by key; arrays, scalars and null replace. */
export function mergeLayers(layers: readonly Layer[]): Merged {
  const data: Record<string, unknown> = {};
  const origins = new Map<string, Layer>();
  const forget = (pointer: string) => {
    for (const p of origins.keys()) if (p.startsWith(`${pointer}/`)) origins.delete(p);
  };
  const into = (target: Record<string, unknown>, src: Record<string, unknown>, layer: Layer, pointer: string) => {
    for (const [k, v] of Object.entries(src)) {
      if (v === undefined) continue;
      const p = `${pointer}/${escapeSegment(k)}`;
      if (isObject(v)) {
        if (!isObject(target[k])) {
          target[k] = {};
          forget(p);
        }
        origins.set(p, layer);
        into(target[k] as Record<string, unknown>, v, layer, p);
      } else {
        target[k] = copy(v);
        origins.set(p, layer);
        forget(p);
      }
    }
  };
  for (const l of layers) into(data, l.data, l, '');
  return { data, origins };
}

/** The layer that set `pointer` or its nearest ancestor; `fallback` when none did (a required key nobody gave). */
function blame(origins: ReadonlyMap<string, Layer>, pointer: string, fallback: Layer): { layer: Layer; at: string } {
  for (let p = pointer; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
    const l = origins.get(p);
    if (l !== undefined) return { layer: l, at: p };
  }
  return { layer: fallback, at: '' };
}

/** The variable or flag of a text layer that gave `pointer` (or an ancestor: SIM_REGION_PORTS gives listen.regionPorts). */
function givenAt(layer: Layer, pointer: string): { given: GivenText; at: string } | undefined {
  if (layer.given === undefined) return undefined;
  for (let p = pointer; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
    const g = layer.given.get(p);
    if (g !== undefined) return { given: g, at: p };
  }
  return undefined;
}

/** The words after `'<text>'` for an Ajv error about a value from the environment or a flag. */
function reason(e: ErrorObject, node: SchemaNode | undefined): string {
  if (e.keyword === 'enum') return `is not one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (node?.title !== undefined && ['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].includes(e.keyword)) {
    return `is not ${node.title}`;
  }
  return e.message ?? e.keyword;
}

/** The pointer an Ajv error is about: the property that is extra or missing, else the value's own path. */
function errorPointer(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${escapeSegment((e.params as { additionalProperty: string }).additionalProperty)}`;
  if (e.keyword === 'required') return `${e.instancePath}/${escapeSegment((e.params as { missingProperty: string }).missingProperty)}`;
  return e.instancePath;
}

/**
 * One line per Ajv error of the merged document, each naming the layer that set the bad value:
 * text layers as `environment SIM_PORT: 'x' is not a port number, 0-65535 (config key listen.port)`, the others
 * as `config file cfg.json: /listen/port: must be <= 65535`.
 */
export function attributeAjvErrors(errors: readonly ErrorObject[], merged: Merged, fallback: Layer): string[] {
  return errors.map((e) => {
    const pointer = errorPointer(e);
    const { layer } = blame(merged.origins, pointer, fallback);
    const g = givenAt(layer, pointer);
    if (g !== undefined) {
      return `${layer.source} ${g.given.name}: '${g.given.text}' ${reason(e, schemaNodeAt(e.instancePath))} (config key ${dottedKey(e.instancePath)})`;
    }
    return `${layer.source}: ${formatAjvErrors([e])[0]}`;
  });
}

/**
 * A cross-reference problem (`/tokens/0/region: 'mars' is not a served region`) prefixed with the layer that set
 * its path, as attributeAjvErrors does for schema errors.
 */
export function attributeProblem(problem: string, merged: Merged, fallback: Layer): string {
  const m = /^(\/[^:\s]*): ([\s\S]*)$/.exec(problem);
  if (m === null) return `${fallback.source}: ${problem}`;
  const { layer } = blame(merged.origins, m[1], fallback);
  const g = givenAt(layer, m[1]);
  if (g !== undefined) return `${layer.source} ${g.given.name}: ${m[2]} (config key ${dottedKey(m[1])})`;
  return `${layer.source}: ${problem}`;
}

/** The schema with every `required` removed: what one layer alone must satisfy. */
export function partialSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(partialSchema);
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'required' || k === '$id') continue;
    out[k] = partialSchema(v);
  }
  return out;
}

let coercer: ValidateFunction | undefined;

/**
 * Turns the text of a text layer (environment, flags) into the types the schema says, in place: '8088' → 8088
 * where the key is an integer (Ajv's coerceTypes, used on these layers only; a file's `"port": "8088"` stays
 * wrong). What cannot be coerced is left as it is, for the one validation of the merged document to report.
 */
export function coerceTextLayer(data: Record<string, unknown>): void {
  if (coercer === undefined) {
    const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: true, allowUnionTypes: true });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    coercer = ajv.compile(partialSchema(configSchemaJson()) as object);
  }
  coercer(data);
}
