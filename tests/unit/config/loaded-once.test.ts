import { afterAll, describe, expect, it, vi } from 'vitest';

// every listing of a folder and every file read goes through these spies (regions.ts lists regions/ with
// readdirSync, then reads each file; the catalog is one readFileSync)
const listed: string[] = [];
const read: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readdirSync = ((path: Parameters<typeof fs.readdirSync>[0], ...rest: unknown[]) => {
    listed.push(String(path));
    return (fs.readdirSync as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readdirSync;
  const readFileSync = ((path: Parameters<typeof fs.readFileSync>[0], ...rest: unknown[]) => {
    read.push(String(path));
    return (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readFileSync;
  return { ...fs, readdirSync, readFileSync, default: { ...fs, readdirSync, readFileSync } };
});

const { regionDir } = await import('../../../src/config/schema.ts');
const { loadRegions } = await import('../../../src/service/region/regions.ts');
const { buildConfig, loadServeConfig } = await import('../../../src/config/config.ts');
const { buildApp } = await import('../../../src/service/app.ts');
const { tlsLayout } = await import('../../../src/tools/tls/ca.ts');
const { targetsFrom } = await import('../../../src/tools/verify/targets.ts');
const { DEFAULT_CATALOG_PATH, getDefaultMatcher } = await import('../../../src/pipeline/classify/index.ts');

const apps: Array<{ close(): Promise<unknown> }> = [];
afterAll(async () => { for (const a of apps) await a.close(); });

describe('regions/ and the catalog are read once per process', () => {
  it('by the config, the app, the CA layout and the commands alike', async () => {
    const reads = () => listed.filter((p) => p.replace(/\/$/, '') === regionDir.replace(/\/$/, '')).length;
    const regionFileReads = () => read.filter((p) => p.startsWith(regionDir.replace(/\/$/, ''))).length;
    expect(reads()).toBe(0);
    const cfg = buildConfig(null, { store: 'none', ingestWorkers: 0 });
    expect(reads()).toBe(1);
    const files = regionFileReads();
    expect(files).toBe(7); // us, eu, jp, sg, anz, in, mea
    loadServeConfig(undefined, { SIM_PORT: '0' }, { store: 'none' });
    const app = buildApp(cfg, { logger: false, defaultMetrics: false });
    apps.push(app);
    await app.ready();
    tlsLayout('/tmp/never-written');
    targetsFrom({ region: 'eu' });
    loadRegions();
    expect(reads()).toBe(1);
    expect(regionFileReads()).toBe(files);
    expect(loadRegions()).toBe(loadRegions());
    expect(cfg.regions.map((r) => r.id)).toEqual(loadRegions().filter((r) => r.ingestorHost !== null).map((r) => r.id));
  });

  it('the catalog: by the app (the classifier it builds), a second app and the classify command alike', async () => {
    const catalogReads = () => read.filter((p) => p === DEFAULT_CATALOG_PATH).length;
    const before = catalogReads();
    expect(before).toBeLessThanOrEqual(1); // the app of the test above may have read it already
    for (let i = 0; i < 2; i++) {
      const app = buildApp(buildConfig(null, { store: 'none', ingestWorkers: 0 }), { logger: false, defaultMetrics: false });
      apps.push(app);
      await app.ready();
    }
    getDefaultMatcher();
    expect(catalogReads()).toBe(1);
  });

  it('a folder given by name is read each time (tests of bad region files), and leaves the project\'s alone', () => {
    const before = listed.length;
    loadRegions(regionDir);
    loadRegions(regionDir);
    expect(listed.length - before).toBe(2);
  });
});
