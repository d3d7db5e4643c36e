import { deepFreeze, readJsonFile, schemaDir, SchemaError, validateAgainst } from '../../config/schema.ts';
import { normalizeName } from './normalize.ts';
import type { CatalogDef } from './types.ts';

export const DEFAULT_CATALOG_PATH = `${schemaDir}catalog.json`;

/**
 * Checks what JSON Schema cannot: every kind an item names exists, no normalized alias belongs to two kinds,
 * module ids and names are unique, no module alias or sourcetype is claimed twice.
 * Returns the problems, one line each (empty when the catalog is sound).
 */
export function crossCheckCatalog(cat: CatalogDef): string[] {
  const problems: string[] = [];
  const aliasOwner = new Map<string, string>();
  for (const [kind, def] of Object.entries(cat.fieldKinds)) {
    for (const a of def.aliases) {
      const n = normalizeName(a);
      const prev = aliasOwner.get(n);
      if (prev !== undefined && prev !== kind) problems.push(`/fieldKinds/${kind}: alias '${a}' already belongs to kind '${prev}'`);
      aliasOwner.set(n, kind);
    }
    for (const r of def.refine ?? []) {
      for (const k of r.kinds) if (!(k in cat.fieldKinds)) problems.push(`/fieldKinds/${kind}/refine: unknown kind '${k}'`);
    }
  }
  const ids = new Set<string>();
  const names = new Map<string, string>();
  const sourcetypes = new Map<string, string>();
  cat.modules.forEach((m, mi) => {
    if (ids.has(m.id)) problems.push(`/modules/${mi}: duplicate module id '${m.id}'`);
    ids.add(m.id);
    for (const n of [m.name, ...m.aliases]) {
      const key = n.toLowerCase();
      const prev = names.get(key);
      // two modules may share a notice name (the id tells them apart); an alias must be unique
      if (prev !== undefined && !prev.endsWith(`:${m.id}`) && !(n === m.name && prev.startsWith('name:'))) problems.push(`/modules/${mi}: name or alias '${n}' is already used by ${prev.replace(/^(name|alias):/, '')}`);
      names.set(key, `${n === m.name ? 'name' : 'alias'}:${m.id}`);
    }
    for (const st of m.sourcetypes) {
      const prev = sourcetypes.get(st.toLowerCase());
      if (prev !== undefined) problems.push(`/modules/${mi}: sourcetype '${st}' is already claimed by ${prev}`);
      sourcetypes.set(st.toLowerCase(), m.id);
    }
    m.items.forEach((it, ii) => {
      for (const k of it.kinds) {
        if (!(k in cat.fieldKinds)) problems.push(`/modules/${mi}/items/${ii}: unknown kind '${k}' (item '${it.label}')`);
      }
    });
  });
  return problems;
}

/** Loads, validates (JSON Schema, then cross-references) and freezes a catalog. Throws SchemaError naming each bad path. */
export function loadCatalog(path: string = DEFAULT_CATALOG_PATH): CatalogDef {
  const data = readJsonFile(path);
  const cat = validateAgainst<CatalogDef>('catalog', data, `catalog ${path}`);
  const problems = crossCheckCatalog(cat);
  if (problems.length > 0) throw new SchemaError(`catalog ${path}`, problems);
  return deepFreeze(cat);
}
