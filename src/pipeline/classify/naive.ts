import {
  carriesSecret, DETECTION_ORDER, freeTextCategory, fullText, moreSensitive, testDetector, valueText,
} from './detectors.ts';
import { grammarKindOf, labelKey, nameKeys, plainValue, suffixKind, type PatternTable } from './grammar.ts';
import { nameCandidates, normalizeName, pathSegments } from './normalize.ts';
import type { By, CatalogDef, Category, Classification, ItemDef, ModuleDef } from './types.ts';

/**
 * The hand-written alternative to the compiled matcher: the same rules, read straight off the catalog for
 * every field, each alias and grammar pattern tested in turn. No tables, no cache. It exists as the benchmark's
 * baseline and as an independent reading of the rules that the compiled matcher must agree with
 * (tests/unit/pipeline/classify). It shares only the language (grammar.ts: how a name is cut into words and read) and
 * the value detectors with the compiled matcher.
 */
export function naiveClassifyField(cat: CatalogDef, path: string, value: unknown, moduleId: string | null): Classification {
  const mod: ModuleDef | undefined = moduleId === null ? undefined : cat.modules.find((m) => m.id === moduleId);
  const kindIds = Object.keys(cat.fieldKinds);
  const cands = nameCandidates(path);
  const segs = pathSegments(path);

  const kindOfName = (c: string): string | null => {
    for (const k of kindIds) for (const a of cat.fieldKinds[k].aliases) if (normalizeName(a) === c) return k;
    return null;
  };
  const patterns: PatternTable<string> = { get: (p) => kindIds.find((k) => (cat.fieldKinds[k].grammar ?? []).includes(p)) };

  // 1. what the name says: an alias of a kind on the longest tail, else the grammar, else a name ending
  let kind: string | null = null;
  let via: 'alias' | 'grammar' | 'suffix' | 'none' = 'none';
  for (const c of cands) {
    const k = kindOfName(c);
    if (k !== null) { kind = k; via = 'alias'; break; }
  }
  if (kind === null) {
    const g = grammarKindOf(segs, patterns);
    if (g !== undefined) { kind = g; via = 'grammar'; }
  }
  if (kind === null && segs.length > 0) {
    const sfx: Array<[string, string]> = [];
    for (const k of kindIds) for (const s of cat.fieldKinds[k].suffixes ?? []) sfx.push([s, k]);
    const k = suffixKind(segs[segs.length - 1], sfx);
    if (k !== undefined) { kind = k; via = 'suffix'; }
  }

  // 2. an item of the module by its label or an alias (labels first), else by the words of its label
  const labelHit = (m: ModuleDef, key: string): ItemDef | null => {
    const exact = m.items.find((it) => labelKey(it.label) === key);
    if (exact) return exact;
    const loose = m.items.filter((it) => {
      const ws = labelKey(it.label).split(' ');
      if (ws.length < 3) return false;
      return ws.some((_, j) => [...ws.slice(0, j), ...ws.slice(j + 1)].join(' ') === key);
    });
    return loose.length > 0 && loose.every((it) => it.label === loose[0].label) ? loose[0] : null;
  };
  let hit: ItemDef | null = null;
  let byWords = false;
  if (mod) {
    for (const c of cands) {
      hit = mod.items.find((it) => normalizeName(it.label) === c)
        ?? mod.items.find((it) => it.aliases.some((a) => normalizeName(a) === c)) ?? null;
      if (hit || kindOfName(c) !== null) break;
    }
    if (!hit && via !== 'alias') {
      for (const key of nameKeys(segs).filter((k) => k !== '')) {
        hit = labelHit(mod, key);
        if (hit) { byWords = true; break; }
      }
    }
  }
  if (hit && !(byWords && kind !== null)) kind = hit.kinds[0] ?? null;
  let by: By = hit || kind !== null ? 'name' : 'none';
  const text = valueText(value);
  if (!hit && kind === null && !(typeof value === 'number' && !(value >= 1e12)) && typeof value !== 'boolean' && text !== null && text !== '' && text.length <= 2048) {
    for (const det of DETECTION_ORDER) {
      if (testDetector(det, text)) {
        kind = kindIds.find((k) => (cat.fieldKinds[k].detectors ?? []).includes(det)) ?? null;
        if (kind !== null) by = 'value';
        break;
      }
    }
  }

  // 3. the item: of the module only (never another module's), by the kind, its generic kind, the object above
  const itemIn = (m: ModuleDef, k: string) => m.items.find((it) => it.kinds.includes(k));
  const genericOf = (k: string): string | null => {
    const first = cat.fieldKinds[k].grammar?.[0];
    if (first === undefined) return null;
    const ws = first.split(' ');
    const head = ['name', 'id', 'displayname', 'title', 'label', 'value', 'guid', 'key', 'number', 'serial', 'address'].includes(ws[ws.length - 1]) ? ws[0] : ws[ws.length - 1];
    const g = patterns.get(head);
    return g === undefined || g === k ? null : g;
  };
  const parentItem = (m: ModuleDef): ItemDef | null => {
    for (let i = segs.length - 2; i >= 0 && i >= segs.length - 3; i--) {
      const byLabel = labelKey(segs[i]) !== '' ? labelHit(m, labelKey(segs[i])) : null;
      if (byLabel) return byLabel;
      const pk = kindOfName(normalizeName(segs[i])) ?? grammarKindOf([segs[i]], patterns) ?? null;
      if (pk !== null) {
        const it = itemIn(m, pk);
        if (it) return it;
      }
    }
    return null;
  };
  let item: ItemDef | null = hit;
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
        if (it) { item = it; used = k; break; }
      }
      if (!item) item = itemIn(mod, kind) ?? null;
      const g = genericOf(kind);
      // the generic kind's item, unless that item is for another role of it ("Source IP address" lists src-ip:
      // a destination IP is not it)
      if (!item && g !== null) {
        const gi = itemIn(mod, g);
        if (gi && !gi.kinds.some((k2) => k2 !== kind && genericOf(k2) === g)) item = gi;
      }
      if (!item) item = parentItem(mod);
    }
    if (!item && tries !== null) used = tries[0];
  }

  // 4. the category: the item's or the kind's; with no kind, the value's evidence; then what the value says beyond
  const kd = used !== null ? cat.fieldKinds[used] : null;
  const evidence = (): Category => {
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return 'non-personal';
    if (typeof value === 'string') return value.trim() !== '' && plainValue(value.trim()) ? 'non-personal' : 'unknown';
    return 'unknown';
  };
  let inParent = false;
  if (!item && used === null && mod) inParent = (item = parentItem(mod)) !== null;
  let category: Category = hit && !(byWords && kd !== null && !kd.itemCategory) ? hit.category
    : inParent ? item!.category
    : kd === null ? evidence()
    : kd.itemCategory && item ? item.category
    : kd.category;
  if (category === 'unknown') category = evidence();
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
  // 5. a record item takes every field of its module's events that nothing else took
  if (!item && mod) item = mod.items.find((it) => it.record === true) ?? null;
  const module = item && mod ? mod.id : used === 'event-log' && mod ? mod.id : null;
  const out: Classification = { path, item: item ? item.label : null, module, category, by, kind: used, group: item ? item.group : null };
  if (!item && used !== null) {
    const declaring = cat.modules.filter((m) => m.items.some((it) => it.kinds.includes(used!))).map((m) => m.id).sort();
    if (declaring.length > 0) out.declaredBy = declaring;
  }
  return out;
}
