/**
 * The data-source page's dependencies, compiled from the catalog's `relations` (schemas/catalog.json): what
 * each module's events need besides its own upload permission, what stands in for what, and which features
 * the page says a module's permission affects. Pure: the filter (src/pipeline/filter) and the admin API use it.
 */
import type { ModuleDef, RelationDef, RelationMatchDef, TenantSettingId } from '../classify/types.ts';
import { SETTINGS, type TenantSettings } from './settings.ts';

export interface CompiledRelations {
  /** Module id → its relations. */
  readonly of: ReadonlyMap<string, readonly RelationDef[]>;
  /** Module id → the modules whose `affects` relation names it (Azure AD, Okta → the ZTSA modules). */
  readonly affectedBy: ReadonlyMap<string, readonly string[]>;
  /** Module id → the relations of other modules that depend on it (requires / standsInFor), with their owner. */
  readonly dependents: ReadonlyMap<string, ReadonlyArray<{ owner: string; rel: RelationDef }>>;
  /**
   * Module id → sourcetype (lower case) → the field conditions of its separatePermission relations (`match`):
   * only events of these modules and sourcetypes are looked into (separateMatch).
   */
  readonly matches: ReadonlyMap<string, ReadonlyMap<string, readonly CompiledMatch[]>>;
}

/** One `match` of a separatePermission relation: its field, its values as text, a pattern for a JSON text event. */
export interface CompiledMatch {
  rel: RelationDef;
  def: RelationMatchDef;
  field: string;
  values: ReadonlySet<string>;
  /** `"<field>": <value>` in an event sent as JSON text (/raw): the first such key anywhere in the text. */
  inText: RegExp;
  /** Tells the filter's cached gate of a matching event from the sourcetype's own ('\u0000' + a number). */
  key: string;
}

/** The page's name for a module ("Office 365"), else the notice's. */
export function pageName(m: ModuleDef): string {
  return m.dataSource?.name ?? m.name;
}

/** Checks what the schema cannot (every module a relation names exists, items are the module's) and indexes. */
export function compileRelations(modules: readonly ModuleDef[]): CompiledRelations {
  const ids = new Set(modules.map((m) => m.id));
  const problems: string[] = [];
  const of = new Map<string, RelationDef[]>();
  const affectedBy = new Map<string, string[]>();
  const dependents = new Map<string, Array<{ owner: string; rel: RelationDef }>>();
  const matches = new Map<string, Map<string, CompiledMatch[]>>();
  let nMatches = 0;
  for (const m of modules) {
    const rels = m.relations ?? [];
    if (rels.length > 0) of.set(m.id, [...rels]);
    rels.forEach((r, i) => {
      const where = `module ${m.id} relation ${i} (${r.type})`;
      for (const x of [r.module, ...(r.modules ?? [])]) if (x !== undefined && !ids.has(x)) problems.push(`${where}: no module '${x}'`);
      if (r.type === 'requires' && (r.module === undefined) === (r.setting === undefined)) problems.push(`${where}: names a module or a setting, not both`);
      if (r.type === 'standsInFor' && (r.module === undefined || r.setting === undefined || !r.items)) problems.push(`${where}: needs module, setting and items`);
      if (r.type === 'separatePermission' && (r.setting === undefined || (!r.sourcetypes && !r.match))) problems.push(`${where}: needs setting, and sourcetypes or match`);
      if (r.match !== undefined && r.type !== 'separatePermission') problems.push(`${where}: only a separatePermission takes match`);
      for (const x of r.match ?? []) {
        const st = x.sourcetype.toLowerCase();
        if (!m.sourcetypes.some((y) => y.toLowerCase() === st)) problems.push(`${where}: match sourcetype '${x.sourcetype}' is not one of ${m.id}'s`);
        const byType = matches.get(m.id) ?? matches.set(m.id, new Map()).get(m.id)!;
        (byType.get(st) ?? byType.set(st, []).get(st)!).push({
          rel: r, def: x, field: x.field, values: new Set(x.values.map(String)), key: `\u0000${nMatches++}`,
          inText: new RegExp(`"${x.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:\\s*"?([^",}\\s]*)`),
        });
      }
      if (r.type === 'affects' && !r.features) problems.push(`${where}: needs features`);
      for (const it of r.items ?? []) if (!m.items.some((x) => x.label === it)) problems.push(`${where}: no item '${it}' in ${m.id}`);
      for (const st of r.sourcetypes ?? []) if (!m.sourcetypes.includes(st)) problems.push(`${where}: sourcetype '${st}' is not one of ${m.id}'s`);
      if (r.type === 'affects') for (const t of r.modules ?? []) (affectedBy.get(t) ?? affectedBy.set(t, []).get(t)!).push(m.id);
      if ((r.type === 'requires' || r.type === 'standsInFor') && r.module !== undefined) {
        (dependents.get(r.module) ?? dependents.set(r.module, []).get(r.module)!).push({ owner: m.id, rel: r });
      }
    });
  }
  if (problems.length > 0) throw new Error(`catalog relations: ${problems.join('; ')}`);
  return { of, affectedBy, dependents, matches };
}

/** Why a module's events are not kept, or null: its own permission, then each requirement (recursively). */
export function blockedBecause(
  id: string,
  byId: ReadonlyMap<string, ModuleDef>,
  rels: CompiledRelations,
  disabled: ReadonlySet<string>,
  settings: TenantSettings,
  seen: Set<string> = new Set(),
): string | null {
  const m = byId.get(id);
  if (!m) return null;
  if (disabled.has(id)) {
    let why = `upload permission of module '${id}' (${pageName(m)}) is off`;
    for (const r of rels.of.get(id) ?? []) {
      if (r.type === 'affects') why += `; the data-source page warns: "${r.quote}"`;
    }
    if (m.canBeTurnedOff === 'partly') why += `; ${partlyWarning(m)}`;
    return why;
  }
  if (seen.has(id)) return null;
  seen.add(id);
  for (const r of rels.of.get(id) ?? []) {
    if (r.type !== 'requires') continue;
    if (r.setting !== undefined && !settings[r.setting]) {
      return `${pageName(m)} requires ${SETTINGS[r.setting].label}, which is ${SETTINGS[r.setting].offWord} (tenant setting ${r.setting}); the data-source page: "${r.quote}"`;
    }
    if (r.module !== undefined) {
      const req = byId.get(r.module)!;
      if (blockedBecause(r.module, byId, rels, disabled, settings, seen) !== null) {
        return `${pageName(m)} requires the ${pageName(req)} upload permission, which is off; the data-source page: "${r.quote}"`;
      }
    }
  }
  return null;
}

/**
 * The field condition (`match`) of a separatePermission that an event of module `id` and `sourcetype` meets, or
 * null: its top-level field (an object event), or the first `"field": value` in its text (a JSON text event).
 * One Map lookup for a module without conditions: the filter calls this per event.
 */
export function separateMatch(id: string, sourcetype: string | undefined, event: unknown, rels: CompiledRelations): CompiledMatch | null {
  const byType = rels.matches.get(id);
  if (byType === undefined || sourcetype === undefined) return null;
  const ms = byType.get(sourcetype.toLowerCase());
  if (ms === undefined) return null;
  for (const c of ms) {
    let v: unknown;
    if (typeof event === 'string') v = c.inText.exec(event)?.[1];
    else if (event !== null && typeof event === 'object' && !Array.isArray(event)) v = (event as Record<string, unknown>)[c.field];
    if ((typeof v === 'string' || typeof v === 'number') && c.values.has(String(v))) return c;
  }
  return null;
}

/**
 * A sourcetype's extra permission (separatePermission), if that permission is off: why its events are not kept.
 * `matched`: the field condition the event meets (separateMatch), for a relation that names events by a field.
 */
export function separateBlock(id: string, sourcetype: string | undefined, byId: ReadonlyMap<string, ModuleDef>, rels: CompiledRelations, settings: TenantSettings, matched: CompiledMatch | null = null): string | null {
  if (sourcetype === undefined) return null;
  const st = sourcetype.toLowerCase();
  for (const r of rels.of.get(id) ?? []) {
    if (r.type !== 'separatePermission' || r.setting === undefined) continue;
    const bySourcetype = (r.sourcetypes ?? []).some((x) => x.toLowerCase() === st);
    if (!bySourcetype && matched?.rel !== r) continue;
    if (!settings[r.setting]) {
      const which = bySourcetype ? `events of sourcetype '${sourcetype}'` : `events of sourcetype '${sourcetype}' with ${matched!.field} ${matched!.def.values.join(', ')} (${matched!.def.description})`;
      return `${pageName(byId.get(id)!)} ${which} need ${SETTINGS[r.setting].label}, which is ${SETTINGS[r.setting].offWord} (tenant setting ${r.setting}); the data-source page: "${r.quote}"`;
    }
  }
  return null;
}

/** The warning a `partly` module's change carries: the notice's words, and what the emulator does. */
export function partlyWarning(m: ModuleDef): string {
  return `the notice says some modules of ${m.name} cannot be disabled and names another article for which ("${m.turnOffNote}"); the emulator cannot tell them apart and drops all of its events`;
}

/** Whether a setting-driven stand-in is active: the module it stands in for is not configured or is off. */
export function standsInActive(r: RelationDef, byId: ReadonlyMap<string, ModuleDef>, rels: CompiledRelations, disabled: ReadonlySet<string>, settings: TenantSettings): boolean {
  const setting = r.setting as TenantSettingId;
  return !settings[setting] || blockedBecause(r.module!, byId, rels, disabled, settings) !== null;
}
