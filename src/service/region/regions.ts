import { readdirSync } from 'node:fs';
import { deepFreeze, readJsonFile, regionDir, validateAgainst } from '../../config/schema.ts';

export interface DataCenterDef {
  provider: 'Microsoft Entra ID' | 'AWS';
  location: string;
  futureSite: boolean;
}

/** One file of regions/, as validated by schemas/region.schema.json. */
export interface RegionDef {
  id: string;
  name: string;
  purchaseRegion: string;
  ingestorHost: string | null;
  localHost: string | null;
  defaultPort: number | null;
  note?: string;
  dataCenters: DataCenterDef[];
}

/** Region ids in the order the data-source page lists hosts is alphabetical; we keep a stable, documented order. */
export const REGION_ORDER = ['us', 'eu', 'jp', 'sg', 'anz', 'in', 'mea'] as const;

let projectRegions: readonly RegionDef[] | undefined;

/**
 * Every region of the project's regions/ folder, read and validated once per process (the config, the app, the
 * server, the CA and the commands all ask for them; the files are read the first time only). `dir`: read that
 * folder instead, now, and keep nothing (tests of bad region files).
 */
export function loadRegions(dir?: string): readonly RegionDef[] {
  if (dir !== undefined) return readRegions(dir);
  projectRegions ??= readRegions(regionDir);
  return projectRegions;
}

/** Reads and validates every DIR/*.json; sorted us, eu, jp, sg, anz, in, then others. */
function readRegions(dir: string): readonly RegionDef[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const regions = files.map((f) => validateAgainst<RegionDef>('region', readJsonFile(`${dir}/${f}`), `region file ${f}`));
  const rank = (id: string) => {
    const i = (REGION_ORDER as readonly string[]).indexOf(id);
    return i === -1 ? REGION_ORDER.length : i;
  };
  regions.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
  const seen = new Set<string>();
  for (const r of regions) {
    if (seen.has(r.id)) throw new Error(`region id '${r.id}' is defined twice in ${dir}`);
    seen.add(r.id);
  }
  return deepFreeze(regions);
}

/** The regions that have an ingestor host (the ones the emulator serves). */
export function servedRegions(regions: readonly RegionDef[]): RegionDef[] {
  return regions.filter((r) => r.ingestorHost !== null);
}
