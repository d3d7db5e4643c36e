/**
 * Module names as users type them: an id, the notice's name, an alias, or the data-source page's name of the
 * source ("Azure AD", "Web Sensor"). A name several modules share is refused with every candidate listed.
 */
import type { ModuleDef } from '../classify/types.ts';

export type NameLookup =
  | { kind: 'one'; module: ModuleDef }
  | { kind: 'none' }
  | { kind: 'many'; candidates: ModuleDef[] };

/** The names a module is known by, besides its id: notice name, aliases, the page's source name. */
export function namesOf(m: ModuleDef): string[] {
  return [m.name, ...m.aliases, ...(m.dataSource ? [m.dataSource.name] : [])];
}

/** Looks a name up among the modules: an exact id wins; else every module with that name or alias (case-insensitive). */
export function lookupModule(modules: readonly ModuleDef[], name: string): NameLookup {
  const key = name.trim().toLowerCase();
  const byId = modules.find((m) => m.id === key);
  if (byId) return { kind: 'one', module: byId };
  const found = modules.filter((m) => namesOf(m).some((n) => n.toLowerCase() === key));
  if (found.length === 0) return { kind: 'none' };
  if (found.length === 1) return { kind: 'one', module: found[0] };
  return { kind: 'many', candidates: found };
}

/** "a (Section > Sub), b (Section)": the candidates of an ambiguous name, for an error message. */
export function describeCandidates(ms: readonly ModuleDef[]): string {
  return ms.map((m) => `${m.id} (${m.section.join(' > ')})`).join(', ');
}
