import { afterAll, describe, expect, it, vi } from 'vitest';

// every read of a folder goes through this spy (regions.ts lists regions/ with readdirSync, then reads each file)
const listed: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readdirSync = ((path: Parameters<typeof fs.readdirSync>[0], ...rest: unknown[]) => {
    listed.push(String(path));
    return (fs.readdirSync as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readdirSync;
  return { ...fs, readdirSync, default: { ...fs, readdirSync } };
});

const { regionDir } = await import('../../../../src/config/schema.ts');
const { loadRegions } = await import('../../../../src/service/region/regions.ts');
const { buildConfig, loadServeConfig } = await import('../../../../src/config/config.ts');
const { buildApp } = await import('../../../../src/service/app.ts');
const { tlsLayout } = await import('../../../../src/tools/tls/ca.ts');
const { targetsFrom } = await import('../../../../src/tools/cli/commands/verify.ts');

const apps: Array<{ close(): Promise<unknown> }> = [];
afterAll(async () => { for (const a of apps) await a.close(); });

describe('regions/ is read once per process', () => {
  it('by the config, the app, the CA layout and the commands alike', async () => {
    const reads = () => listed.filter((p) => p.replace(/\/$/, '') === regionDir.replace(/\/$/, '')).length;
    expect(reads()).toBe(0);
    const cfg = buildConfig(null, { store: 'none', ingestWorkers: 0 });
    expect(reads()).toBe(1);
    loadServeConfig(undefined, { SIM_PORT: '0' }, { store: 'none' });
    const app = buildApp(cfg, { logger: false, defaultMetrics: false });
    apps.push(app);
    await app.ready();
    tlsLayout('/tmp/never-written');
    targetsFrom({ region: 'eu' });
    loadRegions();
    expect(reads()).toBe(1);
    expect(loadRegions()).toBe(loadRegions());
    expect(cfg.regions.map((r) => r.id)).toEqual(loadRegions().filter((r) => r.ingestorHost !== null).map((r) => r.id));
  });

  it('a folder given by name is read each time (tests of bad region files), and leaves the project\'s alone', () => {
    const before = listed.length;
    loadRegions(regionDir);
    loadRegions(regionDir);
    expect(listed.length - before).toBe(2);
  });
});
