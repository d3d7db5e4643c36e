/**
 * The layers of the settings the environment and `serve`'s flags give (the table of them is
 * src/config/setting-defs.ts, a module light enough for `serve --help`: commander and no Ajv). The value's type
 * is the schema's (text is coerced by it, src/config/layers.ts), so nothing here checks values by hand.
 */
import { setAt, type GivenText, type Layer } from './layers.ts';
import { SchemaError } from './schema.ts';
import { flagAttribute, SETTINGS, type SettingDef } from './setting-defs.ts';

export { flagAttribute, parseRegionPorts, SETTINGS, type SettingDef } from './setting-defs.ts';

const pointerOf = (key: string) => `/${key.split('.').join('/')}`;

/**
 * A text layer from name → text pairs: each text parsed where the setting says so (a parse error is a problem
 * naming the source and the name), else kept as text for the schema to coerce. `problems` collects the errors.
 */
function textLayer(source: string, texts: ReadonlyArray<[SettingDef, string, string]>, problems: string[]): Layer {
  const data: Record<string, unknown> = {};
  const given = new Map<string, GivenText>();
  for (const [s, name, text] of texts) {
    let value: unknown = text;
    if (s.parse !== undefined) {
      try {
        value = s.parse(text);
      } catch (err) {
        const why = err instanceof SchemaError ? err.problems.join('; ') : (err as Error).message;
        problems.push(`${source} ${name}: ${why} (config key ${s.key})`);
        continue;
      }
    }
    setAt(data, s.key, value);
    given.set(pointerOf(s.key), { name, text });
  }
  return { source, data, given };
}

/** The SIM_* variables of SETTINGS that are set and not empty. */
export function envLayer(env: NodeJS.ProcessEnv, problems: string[]): Layer {
  const texts: Array<[SettingDef, string, string]> = [];
  for (const s of SETTINGS) {
    const v = env[s.env];
    if (v !== undefined && v !== '') texts.push([s, s.env, v]);
  }
  return textLayer('environment', texts, problems);
}

/**
 * The flags of SETTINGS that the command line gave, from commander's parsed options. `bare`: the value of a
 * flag given without its optional argument (--tls alone), by attribute name.
 */
export function flagLayer(opts: Readonly<Record<string, unknown>>, problems: string[], bare: Readonly<Record<string, string>> = {}): Layer {
  const texts: Array<[SettingDef, string, string]> = [];
  for (const s of SETTINGS) {
    const attr = flagAttribute(s);
    let v = opts[attr];
    if (v === undefined) continue;
    if (v === true && bare[attr] !== undefined) v = bare[attr];
    texts.push([s, s.flag.split(' ')[0], String(v)]);
  }
  return textLayer('flag', texts, problems);
}

/** A layer of typed values by ConfigOverrides names (tests, benchmarks: `{ port: 0, dataDir }`). */
export function overridesLayer(o: Readonly<Record<string, unknown>>): Layer {
  const data: Record<string, unknown> = {};
  for (const s of SETTINGS) if (o[s.override] !== undefined) setAt(data, s.key, o[s.override]);
  return { source: 'override', data };
}
