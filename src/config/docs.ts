/**
 * docs/configuration.md's reference tables, generated from their sources so they cannot drift: the config keys
 * from schemas/config.schema.json (descriptions, types) with the defaults the code applies (the defaults layer,
 * CONFIG_DEFAULTS, else the schema's `default` annotations), `serve`'s flags from the command's own definition,
 * and the SIM_* variables from the table the environment layer is read by (src/config/sources.ts).
 * `npm run docs:config` writes them between the markers; tests/unit/config/config-docs.test.ts fails when the
 * file is behind.
 */
import type { Command } from 'commander';
import { CONFIG_DEFAULTS } from './config.ts';
import { schemaNodeAt, type SchemaNode } from './layers.ts';
import type { SettingDef } from './sources.ts';

export interface KeyRow { key: string; type: string; default: string; description: string }

/** The defaults layer as dotted key → value (objects with keys are walked; scalars, arrays and {} are values). */
export function flattenDefaults(o: Readonly<Record<string, unknown>>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) flattenDefaults(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

const CODE_DEFAULTS = flattenDefaults(CONFIG_DEFAULTS);

function typeOf(n: SchemaNode): string {
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (Array.isArray(n.type)) return n.type.join(' \\| ');
  if (n.type === 'array' && n.items?.type && typeof n.items.type === 'string' && !n.items.properties) return `${n.items.type}[]`;
  if (n.type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object' && !n.properties) {
    return `object of ${typeOf(n.additionalProperties)}`;
  }
  return n.type ?? '';
}

/** Every documented key of the config schema, depth first in the schema's order. */
export function configKeyRows(schema: SchemaNode): KeyRow[] {
  const rows: KeyRow[] = [];
  const visit = (node: SchemaNode, prefix: string, required: readonly string[]) => {
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      if (k === '$schema') continue;
      const key = prefix === '' ? k : `${prefix}.${k}`;
      const code = CODE_DEFAULTS[key];
      const dflt = code !== undefined ? code : v.default;
      const container = v.properties !== undefined || v.items?.properties !== undefined
        || (typeof v.additionalProperties === 'object' && v.additionalProperties.properties !== undefined);
      if (v.description !== undefined || !container) {
        rows.push({
          key: `\`${key}\``,
          type: container ? (v.type === 'array' ? 'object[]' : 'object') : typeOf(v),
          default: dflt !== undefined ? `\`${JSON.stringify(dflt)}\`` : required.includes(k) ? 'required' : '—',
          description: (v.description ?? '').replace(/\|/g, '\\|'),
        });
      }
      if (v.properties) visit(v, key, v.required ?? []);
      if (v.items?.properties) visit(v.items, `${key}[]`, v.items.required ?? []);
      if (typeof v.additionalProperties === 'object' && v.additionalProperties.properties) visit(v.additionalProperties, `${key}.<name>`, []);
    }
  };
  visit(schema, '', schema.required ?? []);
  return rows;
}

export function renderConfigKeys(schema: SchemaNode): string {
  const lines = ['| Key | Type | Default | Meaning |', '|---|---|---|---|'];
  for (const r of configKeyRows(schema)) lines.push(`| ${r.key} | ${r.type} | ${r.default} | ${r.description} |`);
  return lines.join('\n');
}

/** `serve`'s flags as the command defines them (commander's own options: flags, description, default if any). */
export function renderServeFlags(serve: Command): string {
  const lines = ['| Flag | Meaning |', '|---|---|'];
  for (const o of serve.options) {
    const d = o.defaultValue === undefined ? '' : ` (default \`${String(o.defaultValue)}\`)`;
    lines.push(`| \`${o.flags}\` | ${o.description.replace(/\|/g, '\\|')}${d} |`);
  }
  return lines.join('\n');
}

/** The SIM_* variables: each with its flag, the config key it sets and the key's type from the schema. */
export function renderEnvVars(settings: readonly SettingDef[], schema: SchemaNode): string {
  const lines = ['| Variable | Flag | Config key | Type |', '|---|---|---|---|'];
  for (const s of settings) {
    const node = schemaNodeAt(`/${s.key.split('.').join('/')}`, schema);
    if (node === undefined) throw new Error(`docs: ${s.env} sets ${s.key}, which the schema does not have`);
    const type = s.textForm !== undefined ? `\`${s.textForm}\` → ${typeOf(node)}` : typeOf(node);
    lines.push(`| \`${s.env}\` | \`${s.flag.split(' ')[0]}\` | \`${s.key}\` | ${type} |`);
  }
  return lines.join('\n');
}

/** Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->`; throws when the markers are missing. */
export function replaceBetween(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i === -1 || j === -1 || j < i) throw new Error(`docs: markers ${start} … ${end} not found`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}
