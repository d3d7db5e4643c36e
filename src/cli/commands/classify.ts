import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { getDefaultMatcher, type Matcher } from '../../classify/index.ts';
import type { Category, FilteredField, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../../classify/types.ts';
import { CATEGORIES } from '../../classify/types.ts';
import { applyPolicy, compilePolicy, PolicyError, type Policy } from '../../filter/index.ts';
import { describeCandidates, lookupModule } from '../../policy/names.ts';
import { isSettingId, SETTING_IDS } from '../../policy/settings.ts';
import { scanContainer } from '../../parse/envelope.ts';
import { CliExit } from '../index.ts';

export interface InputEvent {
  /** 0-based number of the event across all inputs. */
  n: number;
  file: string;
  line: number;
  event: unknown;
  sourcetype: string | undefined;
}

const MAX_DEPTH = 128;

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Reads NDJSON or HEC batches: JSON objects back to back (newline-separated or not) or in top-level arrays.
 * An object with an `event` key is a HEC envelope (its `event` is classified, its `sourcetype` picks the
 * module); any other object is one event. Throws CliExit(2) naming the file and line of the first bad input.
 */
export function readEvents(text: string, file: string, first: number): InputEvent[] {
  const out: InputEvent[] = [];
  let i = 0;
  const n = text.length;
  const fail = (at: number, what: string): never => {
    throw new CliExit(2, `${file}:${lineAt(text, at)}: ${what}`);
  };
  const take = (start: number): number => {
    const end = scanContainer(text, start, MAX_DEPTH);
    if (end === -1) fail(start, 'a JSON object that never closes (truncated input?)');
    if (end === -2) fail(start, `JSON nested deeper than ${MAX_DEPTH} levels`);
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start, end));
    } catch (err) {
      fail(start, `not valid JSON: ${(err as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(start, 'expected a JSON object');
    const obj = value as Record<string, unknown>;
    const isEnvelope = Object.prototype.hasOwnProperty.call(obj, 'event');
    out.push({
      n: first + out.length,
      file,
      line: lineAt(text, start),
      event: isEnvelope ? obj.event : obj,
      sourcetype: isEnvelope && typeof obj.sourcetype === 'string' ? obj.sourcetype : undefined,
    });
    return end;
  };
  const skipWs = (k: number) => {
    while (k < n && (text[k] === ' ' || text[k] === '\n' || text[k] === '\r' || text[k] === '\t')) k++;
    return k;
  };
  i = skipWs(0);
  if (text.charCodeAt(0) === 0xfeff) i = skipWs(1);
  while (i < n) {
    const c = text[i];
    if (c === '{') {
      i = skipWs(take(i));
    } else if (c === '[') {
      i = skipWs(i + 1);
      while (i < n && text[i] !== ']') {
        if (text[i] !== '{') fail(i, `expected a JSON object in the array, found '${text[i]}'`);
        i = skipWs(take(i));
        if (text[i] === ',') i = skipWs(i + 1);
        else if (text[i] !== ']') fail(i, `expected ',' or ']' in the array, found '${text[i] ?? 'end of input'}'`);
      }
      if (i >= n) fail(n, 'an array that never closes');
      i = skipWs(i + 1);
    } else {
      fail(i, `expected a JSON object, found '${text.slice(i, i + 20).split('\n')[0]}'`);
    }
  }
  return out;
}

export interface ClassifiedEvent {
  input: InputEvent;
  module: string | null;
  fields: FilteredField[];
  dropped: number;
  flagged: number;
}

export function classifyInputs(matcher: Matcher, policy: Policy, events: InputEvent[], moduleId: string | null): ClassifiedEvent[] {
  return events.map((ev) => {
    const mod = moduleId ?? (ev.sourcetype !== undefined ? matcher.moduleForSourcetype(ev.sourcetype)?.id ?? null : null);
    const r = applyPolicy(policy, ev.event, matcher.classifyEvent(ev.event, mod), { module: mod, sourcetype: ev.sourcetype });
    return { input: ev, module: mod, fields: r.fields, dropped: r.dropped, flagged: r.flagged };
  });
}

function pad(s: string, w: number): string {
  return s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w);
}

export function renderTable(results: ClassifiedEvent[]): string {
  const lines: string[] = [];
  const counts = { keep: 0, flag: 0, drop: 0 };
  const byCat = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  let fields = 0;
  for (const r of results) {
    lines.push(`event ${r.input.n} (${r.input.file}:${r.input.line}) module: ${r.module ?? '(none: every field is checked against all modules)'}`);
    lines.push(`  ${pad('FIELD', 34)} ${pad('ITEM', 28)} ${pad('MODULE', 40)} ${pad('CATEGORY', 17)} ${pad('BY', 5)} ACTION`);
    for (const f of r.fields) {
      fields++;
      counts[f.action]++;
      byCat.set(f.category, byCat.get(f.category)! + 1);
      lines.push(`  ${pad(f.path, 34)} ${pad(f.item ?? '-', 28)} ${pad(f.module ?? '-', 40)} ${pad(f.category, 17)} ${pad(f.by, 5)} ${f.action}${f.action === 'drop' && f.reason ? `  (${f.reason})` : ''}`);
    }
    lines.push('');
  }
  const cats = [...byCat].filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`${results.length} event${results.length === 1 ? '' : 's'}, ${fields} fields: keep ${counts.keep}, flag ${counts.flag}, drop ${counts.drop}`);
  lines.push(`by category: ${cats || 'none'}`);
  return `${lines.join('\n')}\n`;
}

/** `--setting qualysConfigured=off` → { qualysConfigured: false }; exit 2 for an unknown setting or value. */
function settingArgs(args: string[]): Partial<Record<TenantSettingId, boolean>> {
  const out: Partial<Record<TenantSettingId, boolean>> = {};
  for (const a of args) {
    const m = /^([A-Za-z0-9]+)=(on|off|true|false)$/.exec(a.trim());
    if (!m) throw new CliExit(2, `--setting: '${a}' is not <name>=on|off (settings: ${SETTING_IDS.join(', ')})`);
    if (!isSettingId(m[1])) throw new CliExit(2, `--setting: no tenant setting '${m[1]}' (settings: ${SETTING_IDS.join(', ')})`);
    out[m[1]] = m[2] === 'on' || m[2] === 'true';
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('classify')
    .description('Classify every field of NDJSON events or HEC batches against the data collection notice (offline).')
    .argument('<file...>', "input files; '-' reads standard input")
    .option('-m, --module <id|name>', "the events' module: its id or exact notice name (default: from each envelope's sourcetype)")
    .option('--json', 'one JSON line per field instead of a table')
    .addOption(new Option('--undeclared <policy>', 'what happens to fields no item covers').choices(['keep', 'flag', 'drop']).default('flag'))
    .option('--disable <module>', 'turn off the data upload permission of a module (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--setting <name=on|off>', 'a tenant setting of the data-source page, e.g. qualysConfigured=off (repeatable; docs/permissions.md)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--secrets <policy>', 'what is stored of secret values').choices(['keep', 'redact', 'drop']).default('keep'))
    .action((files: string[], opts: { module?: string; json?: boolean; undeclared: UndeclaredPolicy; disable: string[]; setting: string[]; secrets: SecretsPolicy }) => {
      const matcher = getDefaultMatcher();
      let moduleId: string | null = null;
      if (opts.module !== undefined) {
        const r = lookupModule(matcher.modules, opts.module);
        if (r.kind === 'many') throw new CliExit(2, `--module: '${opts.module}' names ${r.candidates.length} modules: ${describeCandidates(r.candidates)}; use one of these ids`);
        if (r.kind === 'none') throw new CliExit(2, `--module: no module '${opts.module}' in the catalog (give its id, e.g. splunk-network-firewall-web-gateway-logs, or its exact notice name)`);
        moduleId = r.module.id;
      }
      let policy: Policy;
      try {
        policy = compilePolicy(matcher, {
          uploadPermission: Object.fromEntries(opts.disable.map((d) => [d, false])), undeclared: opts.undeclared, settings: settingArgs(opts.setting), secrets: opts.secrets,
        });
      } catch (err) {
        if (err instanceof PolicyError) throw new CliExit(2, `--disable: ${err.message}`);
        throw err;
      }
      for (const w of policy.warnings) process.stderr.write(`ingestor-sim classify: warning: --disable: ${w}\n`);
      const events: InputEvent[] = [];
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file === '-' ? 0 : file, 'utf8');
        } catch (err) {
          throw new CliExit(2, `${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        events.push(...readEvents(text, file === '-' ? '(stdin)' : file, events.length));
      }
      const results = classifyInputs(matcher, policy, events, moduleId);
      if (opts.json) {
        const out: string[] = [];
        for (const r of results) {
          for (const f of r.fields) {
            out.push(JSON.stringify({ event: r.input.n, path: f.path, item: f.item, group: f.group ?? null, module: f.module, category: f.category, by: f.by, action: f.action, ...(f.masked ? { masked: f.masked } : {}) }));
          }
        }
        process.stdout.write(out.length > 0 ? `${out.join('\n')}\n` : '');
      } else {
        process.stdout.write(renderTable(results));
      }
    });
}
