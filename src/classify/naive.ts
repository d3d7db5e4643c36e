import {
  carriesSecret, DETECTION_ORDER, freeTextCategory, fullText, moreSensitive, testDetector, valueText,
} from './detectors.ts';
import { nameCandidates, normalizeName } from './normalize.ts';
import type { By, CatalogDef, Category, FieldClass, ItemDef, ModuleDef } from './types.ts';

/**
 * The hand-written alternative to the compiled matcher: the same rules, read straight off the catalog for
 * every field, each alias tested in turn. No tables, no cache. It exists as the benchmark's baseline and as
 * an independent reading of the rules that the compiled matcher must agree with (tests/unit/classify).
 */
export function naiveClassifyField(cat: CatalogDef, path: string, value: unknown, moduleId: string | null): FieldClass {
  const mod: ModuleDef | undefined = moduleId === null ? undefined : cat.modules.find((m) => m.id === moduleId);
  const kindIds = Object.keys(cat.fieldKinds);
  const cands = nameCandidates(path);

  const kindOfName = (c: string): string | null => {
    for (const k of kindIds) for (const a of cat.fieldKinds[k].aliases) if (normalizeName(a) === c) return k;
    return null;
  };

  // 1. item alias of the module (the notice's own label counts unless a kind owns it), else kind alias
  let hit: ItemDef | null = null;
  let kind: string | null = null;
  for (const c of cands) {
    if (mod) {
      for (const it of mod.items) {
        const own = normalizeName(it.label);
        if (it.aliases.some((a) => normalizeName(a) === c) || (own === c && kindOfName(own) === null)) { hit = it; break; }
      }
      if (hit) break;
    }
    const k = kindOfName(c);
    if (k !== null) { kind = k; break; }
  }
  if (hit) kind = hit.kinds[0] ?? null;
  if (!hit && kind === null && cands.length > 0) {
    const last = cands[cands.length - 1];
    let best = '';
    for (const k of kindIds) {
      for (const s of cat.fieldKinds[k].suffixes ?? []) {
        if (last.length > s.length && last.endsWith(s) && s.length > best.length) { best = s; kind = k; }
      }
    }
  }
  let by: By = hit || kind !== null ? 'name' : 'none';
  const text = valueText(value);
  if (!hit && kind === null && text !== null && text !== '' && text.length <= 2048) {
    for (const det of DETECTION_ORDER) {
      if (testDetector(det, text)) {
        kind = kindIds.find((k) => (cat.fieldKinds[k].detectors ?? []).includes(det)) ?? null;
        if (kind !== null) by = 'value';
        break;
      }
    }
  }

  // 2. the item: in the module, else the one other module that declares a personal kind
  const declaring = (k: string) => cat.modules.filter((m) => m.items.some((it) => it.kinds.includes(k)));
  const itemIn = (m: ModuleDef, k: string) => m.items.find((it) => it.kinds.includes(k));
  const foreign = (k: string): [ModuleDef, ItemDef] | null => {
    const ms = declaring(k);
    if (ms.length !== 1 || cat.fieldKinds[k].category === 'non-personal') return null;
    return [ms[0], itemIn(ms[0], k)!];
  };
  let item: ItemDef | null = hit;
  let itemModule: ModuleDef | undefined = hit ? mod : undefined;
  let used = kind;
  if (!item && kind !== null) {
    let tries: string[] | null = null;
    for (const step of cat.fieldKinds[kind].refine ?? []) {
      if (step.detector === 'default') { if (tries === null) tries = step.kinds; continue; }
      if (text !== null && text !== '' && testDetector(step.detector, text)) { tries = step.kinds; break; }
    }
    if (mod) {
      for (const k of tries ?? []) {
        const it = itemIn(mod, k);
        if (it) { item = it; itemModule = mod; used = k; break; }
      }
      if (!item) {
        const it = itemIn(mod, kind);
        if (it) { item = it; itemModule = mod; }
      }
    }
    if (!item) {
      for (const k of tries ?? []) {
        const f = foreign(k);
        if (f) { [itemModule, item] = f; used = k; break; }
      }
      if (!item && (tries === null || used === kind)) {
        const f = foreign(kind);
        if (f) [itemModule, item] = f;
      }
      if (!item && tries !== null) used = tries[0];
    }
  }

  // 3. the category, and what the value says beyond the name
  const kd = used !== null ? cat.fieldKinds[used] : null;
  let category: Category = hit ? hit.category
    : kd === null ? 'non-personal'
    : kd.itemCategory && item ? item.category
    : kd.category;
  const scan = kd !== null ? (kd.secretsInValue !== undefined && kd.secretsInValue !== false) || kd.freeText === true
    : typeof value === 'string' && value.length > 8 && /\s/.test(value);
  if (scan) {
    const t = fullText(value);
    if (t !== '') {
      const secrets = kd === null ? true : kd.secretsInValue;
      if (secrets && carriesSecret(t, secrets === 'command')) category = 'secret';
      else if (kd === null || kd.freeText) {
        const c = freeTextCategory(t);
        if (c !== null) {
          category = moreSensitive(category, c);
          if (by === 'none') by = 'value';
        }
      }
    }
  }
  return { path, item: item ? item.label : null, module: itemModule ? itemModule.id : null, category, by, kind: used, group: item ? item.group : null };
}
