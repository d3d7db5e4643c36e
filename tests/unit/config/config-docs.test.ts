import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, type ConfigFile } from '../../../src/config/config.ts';
import { configDocs } from '../../../src/config/docs-file.ts';
import { configKeyRows, replaceBetween } from '../../../src/config/docs.ts';
import { schemaDir } from '../../../src/config/schema.ts';

const schema = JSON.parse(readFileSync(`${schemaDir}config.schema.json`, 'utf8'));

describe('docs/configuration.md', () => {
  it('holds the tables generated from the schema and the serve command (run `npm run docs:config` when this fails)', () => {
    const { path, expected } = configDocs();
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });

  it('documents every key of the schema with a meaning', () => {
    const rows = configKeyRows(schema);
    expect(rows.length).toBeGreaterThan(50);
    for (const r of rows) expect(r.description, r.key).not.toBe('');
    for (const k of ['`limits.maxEventsPerRequest`', '`store.maxFieldPaths`', '`indexes`', '`sourcetypes.<name>.timePrefix`', '`tenants[].settings.qualysConfigured`']) {
      expect(rows.map((r) => r.key)).toContain(k);
    }
  });

  it("states the defaults the code applies: every schema `default` is what buildConfig gives a file that omits it", () => {
    const minimal: ConfigFile = { adminToken: 'an-admin-token', tenants: [{ id: 't' }], tokens: [] };
    const cfg = buildConfig(minimal) as unknown as Record<string, unknown>;
    const at = (path: string[]): unknown => path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], cfg);
    const checked: string[] = [];
    const visit = (node: { properties?: Record<string, { default?: unknown; properties?: object }> }, path: string[]) => {
      for (const [k, v] of Object.entries(node.properties ?? {})) {
        const p = [...path, k];
        if (v.default !== undefined) {
          // the built config keeps every key where the file has it; dataDir is resolved to an absolute path
          const want = p[0] === 'dataDir' ? resolve(String(v.default)) : v.default;
          expect(at(p), p.join('.')).toEqual(want);
          checked.push(p.join('.'));
        }
        if (v.properties) visit(v as never, p);
      }
    };
    visit(schema, []);
    expect(checked).toEqual(expect.arrayContaining(['listen.host', 'listen.port', 'dataDir', 'logLevel', 'undeclared', 'secrets', 'store.kind', 'store.fsync']));
  });

  it('replaces only what stands between its markers, and says so when they are missing', () => {
    expect(replaceBetween('a <!-- x:start -->old<!-- x:end --> b', 'x', 'new')).toBe('a <!-- x:start -->\nnew\n<!-- x:end --> b');
    expect(() => replaceBetween('no markers', 'x', 'new')).toThrow(/markers/);
  });
});
