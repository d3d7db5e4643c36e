/**
 * docs/configuration.md's reference tables, generated from their sources so they cannot drift: the config keys
 * from schemas/config.schema.json (descriptions, types) with the defaults the code applies (DEFAULT_LIMITS,
 * DEFAULT_STORE, the schema's `default` annotations), and `serve`'s flags from the command's own definition.
 * `npm run docs:config` writes them between the markers; tests/unit/config/config-docs.test.ts fails when the
 * file is behind.
 */
import type { Command } from 'commander';
import { DEFAULT_LIMITS, DEFAULT_STORE } from './config.ts';

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  required?: string[];
}

export interface KeyRow { key: string; type: string; default: string; description: string }

const CODE_DEFAULTS: Record<string, unknown> = {
  ...Object.fromEntries(Object.entries(DEFAULT_LIMITS).map(([k, v]) => [`limits.${k}`, v])),
  ...Object.fromEntries(Object.entries(DEFAULT_STORE).map(([k, v]) => [`store.${k}`, v])),
};

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

/** Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->`; throws when the markers are missing. */
export function replaceBetween(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i === -1 || j === -1 || j < i) throw new Error(`docs: markers ${start} … ${end} not found`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}
