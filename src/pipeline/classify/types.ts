/** Types shared by the catalog, the compiled matcher and the filter. Definitions (JSON) stay apart from runtime types. */

export const CATEGORIES = [
  'direct-identifier',
  'online-identifier',
  'location',
  'content',
  'secret',
  'financial',
  'government-id',
  'non-personal',
  'unknown',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const DETECTORS = [
  'ipv4', 'ipv6', 'mac', 'email', 'url', 'fqdn', 'md5', 'sha1', 'sha256', 'upn', 'sid', 'guid', 'cve', 'phone', 'path',
  'card', 'iban', 'ssn', 'jwt', 'pem', 'cloud-key', 'webhook', 'cmdline',
] as const;
export type DetectorName = (typeof DETECTORS)[number];

/** How a field got its item: by its name, by its value (detectors), or not at all. */
export type By = 'name' | 'value' | 'none';
/**
 * What the filter does with a field: the one definition of the action (a verdict's `action`, the policy for
 * undeclared fields, the config's `undeclared`, the store's totals all use it).
 */
export const ACTIONS = ['keep', 'flag', 'drop'] as const;
export type Action = (typeof ACTIONS)[number];
/** What the filter does with an undeclared field: an action. */
export type UndeclaredPolicy = Action;

// ---- JSON definitions (schemas/catalog.json) ----

export const TURN_OFF = ['yes', 'no', 'partly', 'not-stated'] as const;
export type TurnOff = (typeof TURN_OFF)[number];

/** Tenant settings beyond on/off that the data-source page names (src/pipeline/policy/settings.ts). */
export type TenantSettingId = 'qualysConfigured' | 'internetAccessService' | 'office365ThreatDetection';

/** A row of the data-source configuration page: source name, data target, configuration steps and notes. */
export interface DataSourceDef {
  /** The page's name of the source ("Azure AD", "Trend Micro Vision One Endpoint Sensor"). */
  name: string;
  dataTarget: string;
  /** The page's configuration sentences, in order. */
  configuration: string[];
  /** The page's notes and "Important" boxes, in order. */
  notes?: string[];
}

/**
 * A dependency the data-source page states, with its sentence (`quote`):
 * - requires: the module's data is uploaded only while `module`'s permission (or the tenant `setting`) is on;
 * - standsInFor: the module is the source of `items` for `module` while `setting` is off or `module` is off;
 * - separatePermission: the events of `sourcetypes` need the tenant `setting` on as well;
 * - affects: turning this module off may stop the page's `features` (and the events of `modules` are told so).
 */
export interface RelationDef {
  type: 'requires' | 'standsInFor' | 'separatePermission' | 'affects';
  quote: string;
  module?: string;
  setting?: TenantSettingId;
  items?: string[];
  sourcetypes?: string[];
  /** separatePermission: events of a sourcetype that fall under it by a field's value (docs/permissions.md). */
  match?: RelationMatchDef[];
  features?: string[];
  modules?: string[];
}

/** Events of `sourcetype` whose top-level `field` holds one of `values` (compared as text). */
export interface RelationMatchDef {
  sourcetype: string;
  field: string;
  values: Array<string | number>;
  /** What the values are, for people and for the reason a field is dropped. */
  description: string;
}

/** A kind of field, independent of any module: the names it goes by in real formats. */
export interface FieldKindDef {
  category: Category;
  description: string;
  aliases: string[];
  /** Role × entity patterns in the grammar's canonical words (`source ip`, `device id`, `user`): see grammar.ts. */
  grammar?: string[];
  /** Name endings (normalized) that identify the kind when no alias matches exactly, e.g. 'ipaddress'. */
  suffixes?: string[];
  /** Value detectors that yield this kind when the field's name says nothing. */
  detectors?: DetectorName[];
  /** Free text: a value carrying an email, UPN, SID or `user=…` makes the field a direct identifier. */
  freeText?: boolean;
  /** Matched to an item, the field takes the item's category (free text is what the item says it is). */
  itemCategory?: boolean;
  /** A value carrying a password, token or key makes the field a secret (`command`: also the positional forms of command lines). */
  secretsInValue?: boolean | 'command';
  /** Kinds to try first when a detector matches the value (`default`: when none does). */
  refine?: Array<{ detector: DetectorName | 'default'; kinds: string[] }>;
}

export interface ItemDef {
  /** The label exactly as the notice spells it. */
  label: string;
  /** The notice's words after the label, as in 'Website: the URL'. */
  note?: string;
  /** The notice's sub-group ("Sign-in logs", "Kubernetes Pod Information"), or null. */
  group: string | null;
  category: Category;
  /** Field kinds (keys of `fieldKinds`) this item covers within its module. */
  kinds: string[];
  /** Field names that mean this item in this module's own formats (matched before the kinds). */
  aliases: string[];
  /** The item is a whole record ("AWS CloudTrail events"): every field of this module's events belongs to it at least. */
  record?: boolean;
}

export interface ModuleDef {
  id: string;
  name: string;
  /** Headings above the module in the notice, outermost first. */
  section: string[];
  description: string;
  consoleLocation: string[];
  /** The notice's "Console Settings" lines, where it has them. */
  consoleSettings?: string[];
  /** "Data Collected" or "Data Transmitted to Trend Micro". */
  dataHeading: string;
  /**
   * What the notice says about turning the module's collection off: `yes` it says how, `no` it says it cannot be,
   * `partly` some of its modules cannot be (another article says which), `not-stated` it says nothing either way.
   */
  canBeTurnedOff: TurnOff;
  /** The notice's words on turning it off (or that it says nothing). */
  turnOffNote: string;
  /** The data-source configuration page's row for this module, in the page's words (src/pipeline/policy, docs/permissions.md). */
  dataSource?: DataSourceDef;
  /** How the module depends on others and on tenant settings, each quoting the page. */
  relations?: RelationDef[];
  /** Other names the module goes by (the data-source page, the console). */
  aliases: string[];
  /** Splunk sourcetypes whose events belong to this module. */
  sourcetypes: string[];
  /** Where the notice points to another article for the items. */
  itemsReference?: string;
  /**
   * Each of the notice's groups of this module is a whole record of one kind of object (Container Security's
   * "Kubernetes Pod Information", "Node Information", "Container Information"): every field of an object of
   * that kind (its `kind` / `type`, or the key it sits under, names the group's head word) belongs to the group
   * at least, with its own category from name and value.
   */
  groupRecords?: boolean;
  items: ItemDef[];
}

export interface CatalogDef {
  $schema?: string;
  notice: { title: string; source: string };
  categories: Record<Category, string>;
  fieldKinds: Record<string, FieldKindDef>;
  modules: ModuleDef[];
}

// ---- runtime results ----

/** The classification of one leaf field of an event. */
export interface Classification {
  /** Dotted path of the leaf (`properties.ipAddress`, `tags[0]`). */
  path: string;
  /** The notice's label of the item, or null when undeclared. */
  item: string | null;
  /** The module id the item belongs to, or null when undeclared. */
  module: string | null;
  category: Category;
  by: By;
  /** The field kind that matched (a key of fieldKinds), or null. */
  kind: string | null;
  /** The notice's sub-group of the item ("OneDrive activity report"), or null (undeclared, or an item with none). */
  group?: string | null;
  /**
   * Undeclared in its own module: the other modules whose items cover the field's kind (never attributed to
   * them, never filtered by their permissions). Absent when the field is an item of its own module or no
   * module declares its kind.
   */
  declaredBy?: readonly string[];
}

export interface Verdict extends Classification {
  action: Action;
  /** Why a field was dropped or flagged, for people. */
  reason?: string;
  /** The value as stored was masked (policy `secrets: redact`): the field and its classification are kept. */
  masked?: 'redacted';
  /** What the data-source page says about a kept field's source (a stand-in, a feature at risk). */
  note?: string;
}

/** What the filter does with the values of `secret` fields: store them, replace them, or leave them out. */
export type SecretsPolicy = 'keep' | 'redact' | 'drop';
