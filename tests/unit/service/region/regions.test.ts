import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadRegions, servedRegions } from '../../../../src/service/region/regions.ts';
import { regionDir } from '../../../../src/config/schema.ts';

const dataSourcePage = readFileSync(new URL('../../../fixtures/shared/seeds/003_04f562c8c0f9ad23.txt', import.meta.url), 'utf8');

describe('regions/', () => {
  it('serves exactly the ingestor hosts the data-source page lists', () => {
    const pageHosts = [...dataSourcePage.matchAll(/ingestor-[a-z]+\.xdr\.trendmicro\.com/g)].map((m) => m[0]).sort();
    const ours = servedRegions(loadRegions()).map((r) => r.ingestorHost).sort();
    expect(pageHosts.length).toBeGreaterThan(0);
    expect(ours).toEqual(pageHosts);
  });

  it('keeps the Middle East and Africa data centers without a host', () => {
    const mea = loadRegions().find((r) => r.purchaseRegion === 'Middle East and Africa');
    expect(mea?.ingestorHost).toBeNull();
    expect(mea?.dataCenters.map((d) => d.location)).toEqual(['UAE', 'UAE']);
  });

  it('rejects a region file that breaks the schema, naming the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regions-'));
    copyFileSync(join(regionDir, 'eu.json'), join(dir, 'eu.json'));
    writeFileSync(join(dir, 'xx.json'), JSON.stringify({ id: 'xx', name: 'X', purchaseRegion: 'X', ingestorHost: 'evil.example.com', localHost: null, defaultPort: 70000, dataCenters: [] }));
    expect(() => loadRegions(dir)).toThrow(/xx\.json is invalid[\s\S]*\/ingestorHost[\s\S]*\/defaultPort[\s\S]*\/dataCenters/);
  });
});
