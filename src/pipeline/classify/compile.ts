import * as detectors from './detectors.ts';
import * as grammar from './grammar.ts';
import * as kv from './kv.ts';
import { lookupModule } from '../policy/names.ts';
import * as names from './normalize.ts';
import { Recent, RECENT_SIZE } from './recent.ts';
import type { By, CatalogDef, Category, DetectorName, Classification, ModuleDef } from './types.ts';
import { CATEGORIES } from './types.ts';

/**
 * The precompiled matcher. Built once from the catalog (as ajv compiles a schema); the per-field cost is a
 * cache lookup keyed by the raw path and a Map lookup per module, whatever the catalog's size.
 *
 * Resolution of one field in the context of module M (docs/classifier.md):
 *   1. the field's name, then each shorter tail of its dotted path (`properties.status.errorCode`,
 *      `status.errorCode`, `errorCode`): an item label or alias of M, else an alias of a field kind;
 *   2. else the grammar (grammar.ts): the name's words read as role × entity, with the objects above it and a
 *      sibling `type` as context; then a name ending at a word boundary; then the words of an item label of M;
 *   3. the item of M that covers that kind (value detectors first pick a refined kind: `dest` holding an IP
 *      is a destination IP), or its generic kind, or the item the object above names, or M's whole-record item;
 *   4. else the field is undeclared, with its kind's category and `declaredBy` (the modules that declare the
 *      kind: never attributed to them);
 *   5. a name that says nothing: validated value detectors pick the kind; nothing at all → `unknown`
 *      (`non-personal` only on evidence: a number, a date, a code).
 * Then the value may raise the category: a credential in a command line, URL or text is `secret`; a card or
 * IBAN is `financial`; an SSN `government-id`; an email, UPN, SID, phone or `user=…` in free text a
 * `direct-identifier`.
 */
export interface Matcher {
  readonly catalog: CatalogDef;
  readonly modules: readonly ModuleDef[];
  /** A module by id, exact notice name, alias or data-source name, case-insensitive; undefined for a name several modules share. */
  resolveModule(idOrName: string): ModuleDef | undefined;
  moduleForSourcetype(sourcetype: string): ModuleDef | undefined;
  /**
   * One entry per leaf field of the event (dotted paths; an array of scalars is one field). A text event is split
   * into fields by src/pipeline/parse/formats, by its content and its `sourcetype` (which may declare its format).
   */
  classifyEvent(event: unknown, moduleId: string | null, sourcetype?: string): Classification[];
  classifyField(path: string, value: unknown, moduleId: string | null): Classification;
  /** Why a field got its classification, in words. */
  explain(path: string, value: unknown, moduleId: string | null): string;
  readonly cacheSize: number;
  /**
   * The number this matcher gave a result when it made it: dense (0, 1, 2, … in the order results are made),
   * owned by this matcher instance, never reused, the same for the object as long as it lives; -1 for a
   * result this matcher did not make (another matcher's, a copy, a literal). A filter indexes its verdict
   * caches by it (src/pipeline/filter). It is not a property of the result's JSON.
   */
  resultNumber(f: Classification): number;
  /** How many results this matcher has numbered: every number it gave is below this. */
  readonly resultCount: number;
}

interface ItemRt {
  /** Index in the matcher's item list (the copies made for label words keep their original's). */
  no: number;
  label: string;
  /** The notice's sub-group, or null. */
  group: string | null;
  /** Generic kinds this item lists a role-specific kind of (src-ip → ip): it is for that role, not for any. */
  rolesOf?: Set<number>;
  moduleId: string;
  category: Category;
  /** The kind an alias hit of this item stands for (its first kind), or -1. */
  kind: number;
  /** Found by the words of its label, not an alias: the name's own kind, when it has one, gives the category. */
  byWords?: boolean;
}

/** A module's groups that share labels, and the slot that reads the module with each group's items first. */
interface SharedRt {
  /** The notice's groups of the module, in its order. */
  groups: readonly string[];
  /** The slot of each group (same index). */
  slots: readonly number[];
  /** The number of items of each group (same index). */
  sizes: readonly number[];
}

interface KindRt {
  id: string;
  category: Category;
  freeText: boolean;
  itemCategory: boolean;
  secrets: 0 | 1 | 2; // none, text, command
  refine: Array<{ detector: DetectorName | 'default'; kinds: number[] }> | null;
  /** Whether the value can change the result. */
  valueDependent: boolean;
  /** Only the refine step depends on the value (no free-text or secret scan): results are cached per step. */
  refineOnly: boolean;
}

/** Per raw path: what its name resolves to, and the results per module slot. */
interface PathEntry {
  cands: string[];
  /** Global kind from the name, -1 when the name says nothing. */
  kind: number;
  /** Per module slot: the result when it does not depend on the value. */
  slots: Array<Classification | undefined>;
  /** Per module slot: the results of a value-dependent field, one per variant. */
  variants: Array<Map<number, Classification> | undefined> | null;
  /** Per module slot, for kinds that only refine: the result per matched refine step (index step + 1). */
  steps: Array<Array<Classification | undefined> | undefined> | null;
  /**
   * Per module slot, the result when the name says nothing and the value is a number or a boolean: no
   * detector matches the text of one (a test holds that), so it is the same for every such value.
   */
  plain: Array<Classification | undefined> | null;
  /** Per module slot: the item an alias of the module names (null: none; undefined: not looked up yet). */
  itemHits: Array<ItemRt | null | undefined>;
  /** The last key of the path is a CEF custom slot (cs1…), named by its sibling `<key>Label`. */
  cef: boolean;
  /** The last key of the path. */
  key: string;
  /** The path the entry is for (its key in pathCache is longer when the field is named otherwise). */
  path: string;
  /** The label keys the leaf may match an item label by (grammar.nameKeys). */
  labelKeys: string[];
  /** The nearest parents' kinds and label keys (structural context: `services[].port` is the module's "Services"). */
  parents: Array<{ kind: number; key: string }>;
  /** How the name gave its kind: an alias, the grammar, a name ending, or nothing. */
  via: 'alias' | 'grammar' | 'suffix' | 'none';
}

// Bound once: a module namespace's functions may be reached through getters (CommonJS interop of the
// TypeScript loader), which costs a call per use on the hot path.
const { carriesSecret, detectValue, freeTextCategory, fullText, moreSensitive, testDetector, valueText } = detectors;
const { parseKeyValues } = kv;
const { nameCandidates, normalizeName, pathSegments } = names;
const { grammarKindOf, labelKey, nameKeys, plainValue, suffixKind } = grammar;

const MAX_CACHE = 100_000;
/** CEF's custom slots, named by a sibling `<slot>Label` (cs1Label=Logged-in User). */
const CEF_CUSTOM = /^(?:cs[1-6]|cn[1-3]|cfp[1-4]|c6a[1-4]|flexString[12]|flexNumber[12]|flexDate1|deviceCustom(?:String|Number|Date|FloatingPoint|IPv6Address)[1-6])$/;
const MAX_DEPTH = 64;
const CAT_INDEX: Readonly<Record<Category, number>> = Object.assign(Object.create(null) as Record<Category, number>, Object.fromEntries(CATEGORIES.map((c, i) => [c, i])));

/**
 * Where a result keeps its number and the matcher that gave it (readonly, not enumerable). The keys are the
 * same for every matcher, so that the code reading them sees one shape however many matchers a process has.
 */
const RESULT_NO: unique symbol = Symbol('ingestor-sim.result-number');
const RESULT_OF: unique symbol = Symbol('ingestor-sim.result-matcher');
type Numbered = Classification & { readonly [RESULT_NO]?: number; readonly [RESULT_OF]?: Matcher };

/**
 * The number matcher `m` gave result `f` (Matcher.resultNumber), or -1 when `m` did not make it. One function
 * for every matcher: a hot loop calling it stays monomorphic however many matchers the process has.
 */
export function resultNumberOf(f: Classification, m: Matcher): number {
  return (f as Numbered)[RESULT_OF] === m ? (f as Numbered)[RESULT_NO]! : -1;
}

const BY: readonly By[] = ['name', 'value', 'none'];

/**
 * One key of a key sequence a slot's top-level objects came with (walk): the key, its direct result in the slot
 * (undefined: none known yet, or none, the field being value-dependent: then its path entry), and the keys seen
 * after it.
 */
interface ShapeNode {
  readonly key: string;
  result: Classification | undefined;
  entry: PathEntry | undefined;
  next: ShapeNode[];
}
/** A slot's key sequences: a tree of ShapeNodes from a root with no key, and the nodes made since it was begun. */
interface ShapeTree { readonly root: ShapeNode; nodes: number }
/** Nodes of one slot's tree before it is begun again (a source whose keys vary per event cannot grow it further). */
export const SHAPE_NODES_MAX = 2048;
/** Keys tried after one key before its children are begun again (a linear search: a few sources per slot). */
export const SHAPE_FANOUT = 8;

const newShapeTree = (): ShapeTree => ({ root: { key: '', result: undefined, entry: undefined, next: [] }, nodes: 0 });

/**
 * The node of `key` after `node` in `tree`: found by string comparison (the keys of a parsed object are internalized
 * strings: mostly a pointer comparison), else made; null when the tree is full, begun again for the next object.
 */
function shapeStep(tree: ShapeTree, node: ShapeNode, key: string): ShapeNode | null {
  const next = node.next;
  for (let i = 0; i < next.length; i++) if (next[i].key === key) return next[i];
  if (tree.nodes >= SHAPE_NODES_MAX) {
    tree.root.next = [];
    tree.nodes = 0;
    return null;
  }
  if (next.length >= SHAPE_FANOUT) node.next = [];
  const n: ShapeNode = { key, result: undefined, entry: undefined, next: [] };
  node.next.push(n);
  tree.nodes++;
  return n;
}

/** Sourcetype strings a matcher remembers the module of (Matcher.moduleForSourcetype) before it starts again. */
export const SOURCETYPE_MEMO_MAX = 4096;

/** The head word of a notice group's name: its last word before "information" / "info" ("Kubernetes Pod Information" → pod). */
function groupHead(group: string): string | null {
  const ws = group.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '' && w !== 'information' && w !== 'info' && w !== 'details');
  return ws.length === 0 ? null : singularWord(ws[ws.length - 1]);
}

/** A plural's singular, for matching a key (`containers`, `pods`) with a group's head word. */
function singularWord(w: string): string {
  return w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w;
}
const BY_INDEX: Readonly<Record<By, number>> = { name: 0, value: 1, none: 2 };

export function compileMatcher(catalog: CatalogDef): Matcher {
  const modules = catalog.modules;
  const nullSlot = modules.length;
  // Each result is numbered when made, and says which matcher made it: another's number is not ours.
  let resultCount = 0;
  const moduleIndex = new Map<string, number>();
  const sourcetypeIndex = new Map<string, ModuleDef>();
  modules.forEach((m, i) => {
    moduleIndex.set(m.id, i);
    for (const st of m.sourcetypes) sourcetypeIndex.set(st.toLowerCase(), m);
    sourcetypeIndex.set(m.id, m);
  });

  // ---- kinds ----
  const kindIds = Object.keys(catalog.fieldKinds);
  const kindIndex = new Map<string, number>(kindIds.map((k, i) => [k, i]));
  const kinds: KindRt[] = kindIds.map((id) => {
    const d = catalog.fieldKinds[id];
    const refine = d.refine && d.refine.length > 0
      ? d.refine.map((r) => ({ detector: r.detector, kinds: r.kinds.map((k) => kindIndex.get(k)!) }))
      : null;
    const secrets = d.secretsInValue === 'command' ? 2 : d.secretsInValue ? 1 : 0;
    return {
      id, category: d.category, freeText: d.freeText === true, itemCategory: d.itemCategory === true, secrets, refine,
      valueDependent: refine !== null || d.freeText === true || secrets > 0,
      refineOnly: refine !== null && d.freeText !== true && secrets === 0,
    };
  });
  const aliasToKind = new Map<string, number>();
  const suffixes: Array<[string, number]> = [];
  /** Grammar patterns (`source ip`, `device id`, `user`) → kind. */
  const gramTable = new Map<string, number>();
  const detectorKind = new Map<DetectorName, number>();
  kindIds.forEach((id, i) => {
    const d = catalog.fieldKinds[id];
    for (const a of d.aliases) aliasToKind.set(normalizeName(a), i);
    for (const s of d.suffixes ?? []) suffixes.push([s, i]);
    for (const g of d.grammar ?? []) if (!gramTable.has(g)) gramTable.set(g, i);
    grammar.learnWords((d.grammar ?? []).flatMap((g) => g.split(' ')));
    for (const det of d.detectors ?? []) if (!detectorKind.has(det)) detectorKind.set(det, i);
  });
  suffixes.sort((a, b) => b[0].length - a[0].length);
  // The kind a role-specific kind falls back to in a module that declares only the generic one (src-port → port).
  const genericKind: number[] = kindIds.map((id, i) => {
    const first = catalog.fieldKinds[id].grammar?.[0];
    if (first === undefined) return -1;
    const ws = first.split(' ');
    const head = grammar.GENERIC.has(ws[ws.length - 1]) ? ws[0] : ws[ws.length - 1];
    const g = gramTable.get(head);
    return g === undefined || g === i ? -1 : g;
  });

  // ---- items per module, and the kinds declared by exactly one module ----
  const itemAlias: Array<Map<string, ItemRt>> = [];
  const itemLabel: Array<Map<string, ItemRt>> = [];
  const kindItem: Array<Map<number, ItemRt>> = [];
  const recordItem: Array<ItemRt | null> = [];
  const declaring = new Map<number, Set<string>>();
  /** Every item of every module, by ItemRt.no. */
  const allItems: ItemRt[] = [];
  /**
   * A module's name tables, read tier by tier (the first item to claim a name keeps it); within a tier: the
   * notice's own labels, then the label keys (and a label less one of its words), then the aliases, then the
   * kinds. The module's slot has one tier, its items in the notice's order; a shared-label group's slot has two,
   * the group's items, then the others.
   */
  function tablesOf(m: ModuleDef, rts: ItemRt[], tiers: ReadonlyArray<readonly number[]>): { aliases: Map<string, ItemRt>; labels: Map<string, ItemRt>; byKind: Map<number, ItemRt> } {
    const aliases = new Map<string, ItemRt>();
    const labels = new Map<string, ItemRt>();
    const byKind = new Map<number, ItemRt>();
    // the label keys an earlier tier read: a later tier's exact name for them does not take them back (the
    // group's "Site owner principal name" keeps "Owner Principal Name" from another group's "Owner principal name")
    let earlier: ReadonlySet<string> = new Set();
    const free = (name: string): boolean => earlier.size === 0 || !earlier.has(grammar.labelKey(name));
    for (const order of tiers) {
      // the notice's own label is the name the field goes by in its module ("Deleted Item Size (Byte)" is the
      // report's column; Splunk's "Hostname" is its host name): labels first, then the aliases
      for (const i of order) {
        const it = m.items[i];
        const own = normalizeName(it.label);
        if (own !== '' && !aliases.has(own) && free(it.label)) aliases.set(own, rts[i]);
        const key = grammar.labelKey(it.label);
        if (key !== '' && !labels.has(key)) labels.set(key, { ...rts[i], byWords: true });
      }
      // a name that is a label less one of its words ("Send Count" for "Send actions (count)"), when only one
      // label of the module reads so
      const loose = new Map<string, ItemRt | null>();
      for (const i of order) {
        const it = m.items[i];
        const ws = grammar.labelKey(it.label).split(' ');
        if (ws.length < 3) continue;
        for (let j = 0; j < ws.length; j++) {
          const k = [...ws.slice(0, j), ...ws.slice(j + 1)].join(' ');
          if (labels.has(k)) continue;
          const prev = loose.get(k);
          loose.set(k, prev !== undefined && (prev === null || prev.label !== it.label) ? null : { ...rts[i], byWords: true });
        }
      }
      for (const [k, v] of loose) if (v !== null && !labels.has(k)) labels.set(k, v);
      for (const i of order) {
        const it = m.items[i];
        for (const a of it.aliases) {
          const n = normalizeName(a);
          if (!aliases.has(n) && free(a)) aliases.set(n, rts[i]);
        }
        for (const k of it.kinds) {
          const ki = kindIndex.get(k)!;
          if (!byKind.has(ki)) byKind.set(ki, rts[i]);
        }
      }
      earlier = new Set(labels.keys());
    }
    return { aliases, labels, byKind };
  }
  /** Per module: its items' runtime records, by the item's index in the module. */
  const moduleRts: ItemRt[][] = [];
  modules.forEach((m) => {
    let record: ItemRt | null = null;
    const rts = m.items.map((it, i): ItemRt => ({
      no: allItems.length + i, label: it.label, group: it.group, moduleId: m.id, category: it.category,
      kind: it.kinds.length > 0 ? kindIndex.get(it.kinds[0])! : -1,
    }));
    const t = tablesOf(m, rts, [m.items.map((_, i) => i)]);
    m.items.forEach((it, i) => {
      const rt = rts[i];
      if (it.record === true && record === null) record = rt;
      for (const k of it.kinds) {
        const ki = kindIndex.get(k)!;
        if (genericKind[ki] !== -1) (rt.rolesOf ??= new Set()).add(genericKind[ki]);
        let set = declaring.get(ki);
        if (!set) declaring.set(ki, (set = new Set()));
        set.add(m.id);
      }
    });
    allItems.push(...rts);
    moduleRts.push(rts);
    itemAlias.push(t.aliases);
    itemLabel.push(t.labels);
    kindItem.push(t.byKind);
    recordItem.push(record);
  });
  // A field undeclared in its own module is reported with the modules that declare its kind; it is never
  // attributed to them (their upload permissions say nothing about this module's events).
  const declaredByOf: Array<readonly string[] | undefined> = kinds.map((_, ki) => {
    const set = declaring.get(ki);
    return set === undefined ? undefined : Object.freeze([...set].sort());
  });

  // ---- slots: one per module, one for no module (nullSlot), then one per record group ----
  // A module whose notice groups are each a whole record (`groupRecords`: Container Security's "Kubernetes Pod
  // Information", "Node Information", "Container Information") gets a slot per group: the module's items, and the
  // group as its whole-record item. An event (or a nested object) whose `kind` / `type` names a group, or a key
  // that does (`containers[]`), is read in that group's slot: each of its fields belongs to the group at least.
  const slotModule: number[] = modules.map((_, i) => i);
  slotModule.push(-1);
  itemAlias.push(new Map());
  itemLabel.push(new Map());
  kindItem.push(new Map());
  recordItem.push(null);
  /** Per module: its record groups' head words → the group's slot (null: the module has none). */
  const groupSlots: Array<Map<string, number> | null> = modules.map((m, mi) => {
    if (m.groupRecords !== true) return null;
    const heads = new Map<string, number>();
    for (const g of [...new Set(m.items.map((it) => it.group))]) {
      if (g === null) continue;
      const slot = slotModule.length;
      slotModule.push(mi);
      // the module's tables, where a label several groups share ("Namespace", "IP addresses") is this group's
      const own = new Map<string, ItemRt>();
      for (const rt of allItems) if (rt.moduleId === m.id && rt.group === g && !own.has(rt.label)) own.set(rt.label, rt);
      const prefer = <K>(src: Map<K, ItemRt>): Map<K, ItemRt> => {
        const out = new Map(src);
        for (const [k, v] of out) {
          const o = v.group !== g ? own.get(v.label) : undefined;
          if (o !== undefined) out.set(k, v.byWords === true ? { ...o, byWords: true } : o);
        }
        return out;
      };
      itemAlias.push(prefer(itemAlias[mi]));
      itemLabel.push(prefer(itemLabel[mi]));
      kindItem.push(prefer(kindItem[mi]));
      const rt: ItemRt = { no: allItems.length, label: g, group: g, moduleId: m.id, category: 'unknown', kind: -1 };
      allItems.push(rt);
      recordItem.push(rt);
      // the group's head word: the last word of its name before "information" ("Kubernetes Pod Information" → pod);
      // two groups with one head (Kubernetes and ECS "Service"): the first in the notice's order
      const head = groupHead(g);
      if (head !== null && !heads.has(head)) heads.set(head, slot);
    }
    return heads;
  });
  // A module whose notice repeats a label in several groups (Office 365's "User principal name" in six usage
  // reports, one group per report) gets a slot per group as well: the module's tables read with that group's
  // items first. An event (or a nested object) of the module is read in the slot of the group whose own items
  // best cover its field names (sharedGroupSlot); on a tie or no evidence it stays in the module's slot, where a
  // shared label is the first group's (the notice's order), as before.
  /** Per slot: the module's shared-label groups, when the slot is the module's own and it has any; else null. */
  const sharedOf: Array<SharedRt | null> = slotModule.map(() => null);
  modules.forEach((m, mi) => {
    if (m.groupRecords === true) return; // its groups are chosen by the object's kind (groupSlots)
    const groups = [...new Set(m.items.map((it) => it.group).filter((g): g is string => g !== null))];
    if (groups.length < 2) return;
    const seen = new Map<string, string>();
    let shared = false;
    for (const it of m.items) {
      if (it.group === null) continue;
      const k = grammar.labelKey(it.label);
      const g = seen.get(k);
      if (g === undefined) seen.set(k, it.group);
      else if (g !== it.group) { shared = true; break; }
    }
    if (!shared) return;
    const slots: number[] = [];
    for (const g of groups) {
      const slot = slotModule.length;
      slotModule.push(mi);
      const own: number[] = [];
      const rest: number[] = [];
      m.items.forEach((it, i) => (it.group === g ? own : rest).push(i));
      const t = tablesOf(m, moduleRts[mi], [own, rest]);
      itemAlias.push(t.aliases);
      itemLabel.push(t.labels);
      kindItem.push(t.byKind);
      recordItem.push(recordItem[mi]);
      sharedOf.push(null);
      slots.push(slot);
    }
    sharedOf[mi] = { groups, slots, sizes: groups.map((g) => m.items.filter((it) => it.group === g).length) };
  });
  const slotCount = slotModule.length;

  /** The record-group slot a word names in the module of `slot` (`Pod`, `containers`), or -1. */
  function groupSlot(slot: number, word: string): number {
    const mi = slotModule[slot];
    const heads = mi < 0 ? null : groupSlots[mi];
    if (heads === null) return -1;
    return heads.get(singularWord(word.toLowerCase())) ?? -1;
  }

  // ---- results are shared, frozen objects: no allocation per field once a path is known ----
  const pathCache = new Map<string, PathEntry>();
  /**
   * Per module slot: path → its result, for paths whose result depends on nothing but the path (no value, no
   * sibling label): the walk's fast path, one Map lookup per field. Cleared with pathCache.
   */
  const direct: Array<Map<string, Classification>> = Array.from({ length: slotCount }, () => new Map());
  /**
   * Per slot: the key sequences of the top-level objects walked, as a tree (a node per key, its children the keys
   * seen after it), each node with the key's direct result and (for a key that has none: a value-dependent field)
   * its path entry, so that a known key costs one string comparison and no Map lookup (walk). A tree, not the last
   * object's keys alone: one module's slot takes events of several sources with different keys (the web gateway
   * module: FortiGate, PAN-OS and ASA traffic, Blue Coat and Zscaler web events), interleaved in one batch.
   */
  const shapes: ShapeTree[] = Array.from({ length: slotCount }, () => newShapeTree());

  /** `name` is what the field is called when it differs from its path (a CEF `cs1` labelled by `cs1Label`). */
  function entryFor(path: string, name?: string): PathEntry {
    const key = name === undefined ? path : `${path}\u0001${name}`;
    let e = pathCache.get(key);
    if (e !== undefined) return e;
    if (pathCache.size >= MAX_CACHE) {
      pathCache.clear();
      for (const d of direct) d.clear();
      for (let i = 0; i < shapes.length; i++) shapes[i] = newShapeTree();
    }
    const cands = nameCandidates(name ?? path);
    const segs = pathSegments(name ?? path);
    let kind = -1;
    let via: PathEntry['via'] = 'none';
    for (const c of cands) {
      const k = aliasToKind.get(c);
      if (k !== undefined) { kind = k; via = 'alias'; break; }
    }
    if (kind === -1) {
      const g = grammarKindOf(segs, gramTable);
      if (g !== undefined) { kind = g; via = 'grammar'; }
    }
    if (kind === -1 && segs.length > 0) {
      const k = suffixKind(segs[segs.length - 1], suffixes);
      if (k !== undefined) { kind = k; via = 'suffix'; }
    }
    const dot = path.lastIndexOf('.');
    const last = dot === -1 ? path : path.slice(dot + 1);
    e = {
      cands, kind, slots: new Array(slotCount), variants: null, steps: null, plain: null, // the last three made when first needed (memory per cached path)
      path: name === undefined ? path : key, itemHits: new Array(slotCount), cef: name === undefined && CEF_CUSTOM.test(last), key: last, labelKeys: nameKeys(segs), via,
      parents: parentsOf(segs),
    };
    pathCache.set(key, e);
    return e;
  }

  function parentsOf(segs: string[]): Array<{ kind: number; key: string }> {
    const out: Array<{ kind: number; key: string }> = [];
    for (let i = segs.length - 2; i >= 0 && i >= segs.length - 3; i--) {
      const n = normalizeName(segs[i]);
      let kind = aliasToKind.get(n) ?? -1;
      if (kind === -1) kind = grammarKindOf([segs[i]], gramTable) ?? -1;
      out.push({ kind, key: grammar.labelKey(segs[i]) });
    }
    return out;
  }

  /** The item an alias of module `slot` names for this path, if its alias is more specific than the kind's. */
  function itemHit(e: PathEntry, slot: number): ItemRt | null {
    let hit = e.itemHits[slot];
    if (hit !== undefined) return hit;
    hit = null;
    if (slot !== nullSlot) {
      const aliases = itemAlias[slot];
      for (const c of e.cands) {
        const it = aliases.get(c);
        if (it !== undefined) { hit = it; break; }
        if (aliasToKind.has(c)) break; // a kind alias on a longer tail wins over a shorter item alias
      }
      // the words of a notice label, in any order and spelling ("Viewed Or Edited File Count" is the item
      // "Files viewed or edited (count)"), when no alias of a kind said otherwise
      if (hit === null && e.via !== 'alias') {
        const labels = itemLabel[slot];
        for (const k of e.labelKeys) {
          const it = labels.get(k);
          if (it !== undefined) { hit = it; break; }
        }
      }
    }
    e.itemHits[slot] = hit;
    return hit;
  }

  // ---- a resolution is one number: (item, kind, category, by) packed, so that resolve() returns it without
  // allocating and without scratch state (the matcher is re-entrant), and a value-dependent field's variants
  // are keyed by it ----
  const KINDS1 = kinds.length + 1;
  function pack(item: ItemRt | null, kind: number, category: Category, by: By): number {
    return (((item === null ? 0 : item.no + 1) * KINDS1 + (kind + 1)) * 16 + CAT_INDEX[category]) * 4 + BY_INDEX[by];
  }

  /** The result of a packed resolution of `path` in module `slot`: a new frozen object with its number. */
  function make(path: string, packed: number, slot: number): Classification {
    const by = BY[packed % 4];
    const category = CATEGORIES[Math.floor(packed / 4) % 16];
    const rest = Math.floor(packed / 64);
    const kind = (rest % KINDS1) - 1;
    const itemNo = Math.floor(rest / KINDS1) - 1;
    const item = itemNo === -1 ? null : allItems[itemNo];
    const r: Classification = {
      path,
      item: item ? item.label : null,
      // text no parser split is the content of the event's own module (never another module's item)
      module: item !== null ? item.moduleId : (kind === eventLogKind && slot !== nullSlot ? modules[slotModule[slot]].id : null),
      category,
      by,
      kind: kind >= 0 ? kinds[kind].id : null,
      group: item ? item.group : null,
      // always present (undefined when none): every result has one shape for the code that reads it
      declaredBy: item === null && kind !== -1 ? declaredByOf[kind] : undefined,
    };
    // a readonly number, not enumerable: not in the result's JSON nor in a copy's spread (src/pipeline/filter)
    Object.defineProperty(r, RESULT_NO, { value: resultCount++, enumerable: false, writable: false });
    Object.defineProperty(r, RESULT_OF, { value: matcher, enumerable: false, writable: false });
    return Object.freeze(r);
  }

  function detectKind(text: string | null): number {
    if (text === null || text === '' || text.length > 2048) return -1;
    const det = detectValue(text);
    return det === null ? -1 : (detectorKind.get(det) ?? -1);
  }

  /** Which refine step of the kind the value matches: its index, or -1 (the `default` step, if any). */
  function refineStep(kind: number, text: string | null): number {
    const r = kinds[kind].refine;
    if (r === null || text === null || text === '') return -1;
    for (let i = 0; i < r.length; i++) {
      const d = r[i].detector;
      // an address without its '@' fails testDetector's own first test: no call for the most common refine step
      if (d === 'default' || ((d === 'email' || d === 'upn') && text.indexOf('@') < 1)) continue;
      if (testDetector(d, text)) return i;
    }
    return -1;
  }

  /** The kinds to try first for a refine step: the step's, else the default step's, else none. */
  function triesFor(kind: number, step: number): number[] | null {
    const r = kinds[kind].refine;
    if (r === null) return null;
    if (step >= 0) return r[step].kinds;
    for (const x of r) if (x.detector === 'default') return x.kinds;
    return null;
  }

  function classifyField(path: string, value: unknown, moduleId: string | null): Classification {
    const slot = moduleId === null ? nullSlot : (moduleIndex.get(moduleId) ?? nullSlot);
    return classifySlot(entryFor(path), path, value, slot);
  }

  /** Keeps a result that depends on the path alone: in its entry, and for the walk's fast path. */
  function remember(e: PathEntry, path: string, slot: number, r: Classification): void {
    e.slots[slot] = r;
    if (!e.cef && path === e.path) direct[slot].set(path, r);
  }

  function classifySlot(e: PathEntry, path: string, value: unknown, slot: number): Classification {
    const cached = e.slots[slot];
    if (cached !== undefined) return cached;

    const hit = itemHit(e, slot);
    let kind = hit !== null && !(hit.byWords === true && e.kind !== -1) ? hit.kind : e.kind;
    if (kind !== -1 && kinds[kind].refineOnly) {
      // only the refine step depends on the value: one detector test, then an array load
      const step = hit !== null ? -1 : refineStep(kind, valueText(value));
      const steps = e.steps ?? (e.steps = new Array(slotCount));
      let arr = steps[slot];
      if (arr === undefined) steps[slot] = arr = [];
      let r = arr[step + 1];
      if (r === undefined) {
        arr[step + 1] = r = make(path, resolve(hit, kind, hit !== null ? null : triesFor(kind, step), slot, 'name', value, e), slot);
        // an item alias named it: the value refines nothing, the result is the path's alone
        if (hit !== null) remember(e, path, slot, r);
      }
      return r;
    }
    let by: By = 'name';
    let text: string | null = null;
    const named = hit !== null || e.kind !== -1;
    // a number says nothing to the detectors (a test holds that), save a payment card's 13 to 19 digits
    if (!named && ((typeof value === 'number' && !(value >= 1e12)) || typeof value === 'boolean')) {
      const plain = e.plain ?? (e.plain = new Array(slotCount));
      let r = plain[slot];
      if (r === undefined) plain[slot] = r = make(path, resolve(null, -1, null, slot, 'none', value, e), slot);
      return r;
    }
    if (!named) {
      text = valueText(value);
      kind = detectKind(text);
      by = kind === -1 ? 'none' : 'value';
    }
    const dependent = !named || (kind !== -1 && kinds[kind].valueDependent);
    if (!dependent) {
      const r = make(path, resolve(hit, kind, kind === -1 ? null : triesFor(kind, -1), slot, by, value, e), slot);
      remember(e, path, slot, r);
      return r;
    }
    if (named) text = valueText(value);
    // value-dependent: share the result among the values that resolve alike (the resolution is a number)
    const key = resolve(hit, kind, kind === -1 ? null : triesFor(kind, refineStep(kind, text)), slot, by, value, e);
    const all = e.variants ?? (e.variants = new Array(slotCount));
    let variants = all[slot];
    if (variants === undefined) all[slot] = variants = new Map();
    const seen = variants.get(key);
    if (seen !== undefined) return seen;
    const r = make(path, key, slot);
    if (variants.size < 64) variants.set(key, r);
    return r;
  }

  const eventLogKind = kindIndex.get('event-log') ?? -2;

  /** The item the object a field sits in names in this module: its label, else its kind's item. */
  function parentItem(e: PathEntry, slot: number): ItemRt | null {
    if (e.parents.length === 0) return null;
    const labels = itemLabel[slot];
    const local = kindItem[slot];
    for (const p of e.parents) {
      const byLabel = p.key !== '' ? labels.get(p.key) : undefined;
      if (byLabel !== undefined) return byLabel;
      if (p.kind !== -1) {
        const it = local.get(p.kind);
        if (it !== undefined) return it;
      }
    }
    return null;
  }

  /** What a field resolves to: its item, the kind used, its category and how, packed in one number (pack). */
  function resolve(hit: ItemRt | null, kind: number, tries: number[] | null, slot: number, by: By, value: unknown, e: PathEntry): number {
    let item: ItemRt | null = hit;
    let usedKind = kind;
    if (item === null && kind !== -1) {
      const local = slot === nullSlot ? null : kindItem[slot];
      if (local !== null) {
        if (tries !== null) {
          for (const k of tries) {
            const it = local.get(k);
            if (it !== undefined) { item = it; usedKind = k; break; }
          }
        }
        if (item === null) item = local.get(kind) ?? null;
        // a module that declares only the generic kind (its "Port" for a source port)
        // (unless that item is for another role of it: "Source IP address" lists src-ip, a destination IP is not it)
        if (item === null && genericKind[kind] !== -1) {
          const g = local.get(genericKind[kind]);
          if (g !== undefined && !g.rolesOf?.has(genericKind[kind])) item = g;
        }
      }
      if (item === null && local !== null) item = parentItem(e, slot);
      if (item === null && tries !== null) usedKind = tries[0];
    }
    // a name that says nothing, in an object the module declares (`geolocation.lat` in Okta's "Location"): that item
    let inParent = false;
    if (item === null && usedKind === -1 && slot !== nullSlot) inParent = (item = parentItem(e, slot)) !== null;
    let category: Category;
    if (hit !== null && !(hit.byWords === true && usedKind !== -1 && !kinds[usedKind].itemCategory)) category = hit.category;
    else if (inParent) category = item!.category;
    else if (usedKind === -1) category = valueEvidence(value);
    else if (kinds[usedKind].itemCategory && item !== null) category = item.category;
    else category = kinds[usedKind].category;
    if (category === 'unknown') category = valueEvidence(value);

    // the value may say more than the name (never less)
    const k = usedKind !== -1 ? kinds[usedKind] : null;
    const scan = k !== null ? (k.secrets > 0 || k.freeText) : (typeof value === 'string' && value.length > 8 && /\s/.test(value));
    if (scan) {
      const t = fullText(value);
      if (t !== '') {
        const secrets = k === null ? 1 : k.secrets;
        if (secrets > 0 && carriesSecret(t, secrets === 2)) category = 'secret';
        else if (k === null || k.freeText) {
          const c = freeTextCategory(t);
          if (c !== null) {
            category = moreSensitive(category, c);
            if (by === 'none') by = 'value';
          }
        }
      }
    }
    // a module whose notice item is the whole record: every field of its events is that item at least
    if (item === null && slot !== nullSlot && recordItem[slot] !== null) item = recordItem[slot];
    return pack(item, usedKind, category, by);
  }

  /** The category of a field no name explains: non-personal only on evidence (a number, a date, a code), else unknown. */
  function valueEvidence(value: unknown): Category {
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return 'non-personal';
    if (typeof value === 'string') {
      const t = value.trim();
      return t !== '' && plainValue(t) ? 'non-personal' : 'unknown';
    }
    return 'unknown';
  }

  function walk(node: unknown, prefix: string, slot: number, out: Classification[], depth: number): void {
    if (node === null || typeof node !== 'object' || depth >= MAX_DEPTH) {
      out.push(classifySlot(entryFor(prefix), prefix, node, slot));
      return;
    }
    if (Array.isArray(node)) {
      let objects = false;
      for (let i = 0; i < node.length; i++) {
        const v = node[i];
        if (v !== null && typeof v === 'object') { objects = true; break; }
      }
      if (!objects) {
        out.push(classifySlot(entryFor(prefix), prefix, node, slot));
        return;
      }
      for (let i = 0; i < node.length; i++) {
        const p = `${prefix}[${i}]`;
        walk(node[i], p, sharedOf[slot] === null ? slot : sharedSlotOf(node[i], p, slot), out, depth + 1);
      }
      return;
    }
    const obj = node as Record<string, unknown>;
    let any = false;
    const grouped = groupSlots[slotModule[slot]] != null;
    if (grouped) {
      // an object whose kind names one of the module's record groups (`"kind": "Pod"`) is read in its slot
      const t = objectType(obj);
      const g = t === null ? -1 : groupSlot(slot, t);
      if (g !== -1) slot = g;
    }
    // a nested object that says what it is (`{"type": "User", "name": …}`): its generic leaves are read with that word
    const what = prefix === '' ? null : objectType(obj);
    const known = direct[slot];
    // the key sequences of this slot's top-level objects, and their direct results: events of one source come
    // with the same keys in the same order, so a key is mostly found by one string comparison, no hashing
    const tree = prefix === '' ? shapes[slot] : null;
    let shape = tree === null ? null : tree.root;
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      any = true;
      const v = obj[key];
      let memoEntry: PathEntry | undefined;
      if (shape !== null) shape = shapeStep(tree!, shape, key);
      if (shape !== null && (v === null || typeof v !== 'object')) {
        // a top-level leaf whose result is the path's alone: a string comparison, else one lookup
        let r = shape.result;
        if (r === undefined) {
          memoEntry = shape.entry;
          if (memoEntry === undefined) r = shape.result = known.get(key);
          // its result depends on the path alone by now (what classifySlot would answer first)
          else if ((r = memoEntry.slots[slot]) !== undefined) shape.result = r;
        }
        if (r !== undefined) { out.push(r); continue; }
      } else if (tree !== null && (v === null || typeof v !== 'object')) {
        // past the tree's bounds: the lookup alone
        const r = known.get(key);
        if (r !== undefined) { out.push(r); continue; }
      }
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (v !== null && typeof v === 'object') {
        // a key that names a record group (`containers`) puts its subtree in that group
        const g = grouped ? groupSlot(slot, key) : -1;
        walk(v, path, g !== -1 ? g : sharedOf[slot] === null ? slot : sharedSlotOf(v, path, slot), out, depth + 1);
      } else {
        // a value-dependent top-level leaf seen before at this place: its entry, remembered (a CEF slot's is not)
        let e = memoEntry !== undefined ? memoEntry : entryFor(path);
        if (memoEntry === undefined && shape !== null && !e.cef) shape.entry = e;
        if (what !== null && e.kind === -1 && isGenericLeaf(key)) e = entryFor(path, `${prefix}.${what}.${key}`);
        else if (e.cef) {
          const label = obj[`${key}Label`];
          if (typeof label === 'string' && label.trim() !== '') e = entryFor(path, label);
        }
        out.push(classifySlot(e, path, v, slot));
      }
    }
    if (!any && prefix !== '') out.push(classifySlot(entryFor(prefix), prefix, obj, slot));
  }

  /**
   * The slot of the group whose own items best cover an object's field names (its scalar leaves; a nested object
   * gives its own evidence): per group, the number of names that its slot reads as one of the group's items. The
   * one group with the most, else `slot` (a tie or no evidence: the module's reading, the first group's).
   */
  /**
   * The slot an object of a module whose groups share labels is read in (sharedGroupSlot); anything else stays in
   * `slot`. Called where the walk enters an object (classifyEvent, a nested object, an array's element), not inside
   * walk's per-key loop: the walk of other modules' events stays as it was.
   */
  function sharedSlotOf(node: unknown, prefix: string, slot: number): number {
    const sh = sharedOf[slot];
    if (sh === null || node === null || typeof node !== 'object' || Array.isArray(node)) return slot;
    return sharedGroupSlot(sh, node as Record<string, unknown>, prefix, slot);
  }

  function sharedGroupSlot(sh: SharedRt, obj: Record<string, unknown>, prefix: string, slot: number): number {
    const score = new Array<number>(sh.slots.length).fill(0);
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      const v = obj[key];
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) continue;
      addEvidence(sh, entryFor(prefix === '' ? key : `${prefix}.${key}`), score);
    }
    return bestGroupSlot(sh, score, slot);
  }

  function addEvidence(sh: SharedRt, e: PathEntry, score: number[]): void {
    for (let i = 0; i < sh.slots.length; i++) {
      const hit = itemHit(e, sh.slots[i]);
      if (hit !== null && hit.group === sh.groups[i]) score[i]++;
    }
  }

  /**
   * The one group with the most names, else among those tied the one group whose every item the event names
   * (a OneDrive usage row names all of its report's items and only some of SharePoint site usage's), else `slot`.
   */
  function bestGroupSlot(sh: SharedRt, score: readonly number[], slot: number): number {
    let best = -1;
    let top = 0;
    let tie = false;
    for (let i = 0; i < score.length; i++) {
      if (score[i] > top) { top = score[i]; best = i; tie = false; } else if (score[i] === top && top > 0) tie = true;
    }
    if (best === -1) return slot;
    if (!tie) return sh.slots[best];
    let full = -1;
    for (let i = 0; i < score.length; i++) {
      if (score[i] !== top || score[i] < sh.sizes[i]) continue;
      if (full !== -1) return slot;
      full = i;
    }
    return full === -1 ? slot : sh.slots[full];
  }

  /** The word a sibling `type` / `kind` / `objectType` / `entityType` key gives an object, when short. */
  function objectType(obj: Record<string, unknown>): string | null {
    const t = obj.type ?? obj.kind ?? obj.objectType ?? obj.entityType;
    if (typeof t !== 'string' || t.length === 0 || t.length > 40) return null;
    return t.replace(/^#/, '');
  }
  const genericLeaf = new Map<string, boolean>();
  function isGenericLeaf(key: string): boolean {
    let g = genericLeaf.get(key);
    if (g === undefined) {
      const r = grammar.read(key);
      g = r.entity === null || grammar.GENERIC.has(r.entity);
      if (genericLeaf.size < 10_000) genericLeaf.set(key, g);
    }
    return g;
  }

  // the slots of the module ids last asked for: the events of a batch name a few modules (one token's, or their
  // sourcetypes'), ids the catalog's own strings, found by a comparison or a few instead of a Map lookup per event
  const recentSlots = new Recent<number>(RECENT_SIZE);
  function classifyEvent(event: unknown, moduleId: string | null, sourcetype?: string): Classification[] {
    let slot = nullSlot;
    if (moduleId !== null) {
      const at = recentSlots.find(moduleId);
      if (at !== -1) slot = recentSlots.values[at];
      else recentSlots.add(moduleId, (slot = moduleIndex.get(moduleId) ?? nullSlot));
    }
    const out: Classification[] = [];
    if (typeof event === 'string') {
      const pairs = parseKeyValues(event, sourcetype);
      if (pairs.length === 0) {
        out.push(classifySlot(entryFor('_raw'), '_raw', event, slot));
      } else {
        let labels: Map<string, string> | null = null;
        for (const p of pairs) {
          if (p.key.endsWith('Label') && CEF_CUSTOM.test(p.key.slice(0, -5))) (labels ??= new Map()).set(p.key.slice(0, -5), p.value);
        }
        const shared = sharedOf[slot];
        if (shared === null) {
          for (const p of pairs) {
            const label = labels?.get(p.key);
            out.push(classifySlot(label ? entryFor(p.key, label) : entryFor(p.key), p.key, p.value, slot));
          }
        } else {
          // a module whose groups share labels: the group the pairs' names point to
          const entries: PathEntry[] = [];
          for (const p of pairs) {
            const label = labels?.get(p.key);
            entries.push(label ? entryFor(p.key, label) : entryFor(p.key));
          }
          const score = new Array<number>(shared.slots.length).fill(0);
          for (const e of entries) addEvidence(shared, e, score);
          const at = bestGroupSlot(shared, score, slot);
          for (let i = 0; i < pairs.length; i++) out.push(classifySlot(entries[i], pairs[i].key, pairs[i].value, at));
        }
      }
      return out;
    }
    if (event === null || typeof event !== 'object') {
      out.push(classifySlot(entryFor('_raw'), '_raw', event, slot));
      return out;
    }
    walk(event, '', sharedOf[slot] === null ? slot : sharedSlotOf(event, '', slot), out, 0);
    return out;
  }

  function explain(path: string, value: unknown, moduleId: string | null): string {
    const slot = moduleId === null ? nullSlot : (moduleIndex.get(moduleId) ?? nullSlot);
    const e = entryFor(path);
    const r = classifySlot(e, path, value, slot);
    const hit = itemHit(e, slot);
    const ctx = moduleId === null ? 'no module context' : `module ${moduleId}`;
    let how: string;
    if (hit !== null) how = `the name is an alias of item '${hit.label}' in ${hit.moduleId}`;
    else if (e.kind !== -1) how = `the name means field kind '${kinds[e.kind].id}'${e.via === 'grammar' ? ' (read by the grammar)' : e.via === 'suffix' ? ' (by its ending)' : ''}`;
    else if (r.by === 'value') how = `the name says nothing; the value looks like '${r.kind}'`;
    else how = 'neither the name nor the value says what it is';
    const where = r.item === null
      ? (r.module !== null ? `content of ${r.module}'s own events`
        : r.declaredBy ? `undeclared in ${moduleId ?? 'this context'}; declared by ${r.declaredBy.join(', ')}` : 'no module in context declares it: undeclared')
      : `declared by ${r.module} as '${r.item}'`;
    return `${path} (${ctx}): ${how}; ${where}; category ${r.category}`;
  }

  // each sourcetype string as sent (case, spaces) → its module (null: none): one Map lookup per event instead of
  // trimming and lower-casing it; bounded (started again when full), a client may send any number of sourcetypes.
  // Before it, the last few strings asked for: a sourcetype is a new string per event (JSON.parse does not
  // internalize values), which a Map hashes each time; a few string comparisons (mostly told apart by length) are less
  const bySourcetype = new Map<string, ModuleDef | null>();
  const recentSourcetypes = new Recent<ModuleDef | null>(RECENT_SIZE);
  function moduleForSourcetype(st: string): ModuleDef | undefined {
    const at = recentSourcetypes.find(st);
    if (at !== -1) return recentSourcetypes.values[at] ?? undefined;
    let m = bySourcetype.get(st);
    if (m === undefined) {
      m = sourcetypeIndex.get(st.trim().toLowerCase()) ?? null;
      if (bySourcetype.size >= SOURCETYPE_MEMO_MAX) bySourcetype.clear();
      bySourcetype.set(st, m);
    }
    recentSourcetypes.add(st, m);
    return m ?? undefined;
  }

  const matcher: Matcher = {
    catalog,
    modules,
    // the one module a name means (src/pipeline/policy/names.ts); a name several modules share means none of them
    resolveModule: (idOrName) => {
      const r = lookupModule(modules, idOrName);
      return r.kind === 'one' ? r.module : undefined;
    },
    moduleForSourcetype,
    classifyEvent,
    classifyField,
    explain,
    get cacheSize() { return pathCache.size; },
    resultNumber: (f) => resultNumberOf(f, matcher),
    get resultCount() { return resultCount; },
  };
  return matcher;
}
