import { SimError } from '../../errors/sim-error.ts';
import { loadRegions, servedRegions } from '../../service/region/regions.ts';
import type { Target } from './types.ts';

/** The flags of `verify` that choose the hosts to check (src/tools/cli/commands/verify.ts). */
export interface TargetFlags {
  region?: string;
  host?: string;
  port?: string;
  local?: boolean;
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new SimError('SIM_ERR_USAGE', { detail: `--port '${text}' is not a port (1-65535)` });
  return Number(text);
}

/** Which hosts to check, from --region / --host / --port / --local. */
export function targetsFrom(flags: TargetFlags): Target[] {
  const all = loadRegions();
  const served = servedRegions(all);
  const port = flags.port !== undefined ? parsePort(flags.port) : null;
  let ids: string[];
  if (flags.region === undefined || flags.region.trim() === 'all') {
    ids = served.map((r) => r.id);
  } else {
    ids = flags.region.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (ids.length === 0) throw new SimError('SIM_ERR_USAGE', { detail: `--region '${flags.region}': name at least one region or 'all'` });
    for (const id of ids) {
      const def = all.find((r) => r.id === id);
      if (!def) throw new SimError('SIM_ERR_USAGE', { detail: `--region: unknown region '${id}' (served: ${served.map((r) => r.id).join(', ')}, or all)` });
      if (!def.ingestorHost) throw new SimError('SIM_ERR_USAGE', { detail: `--region: region '${id}' has no ingestor host (${def.note ?? 'not served'})` });
    }
  }
  if (flags.host !== undefined) {
    const host = flags.host.trim().replace(/^\[(.*)\]$/, '$1');
    if (!host || /[\s/]/.test(host)) throw new SimError('SIM_ERR_USAGE', { detail: `--host '${flags.host}' is not a host name or address` });
    if (flags.region !== undefined && ids.length > 1) throw new SimError('SIM_ERR_USAGE', { detail: '--host checks one host: give at most one --region with it (the label of the result)' });
    return [{ region: flags.region !== undefined ? ids[0] : 'custom', host, port: port ?? 443 }];
  }
  return ids.map((id) => {
    const def = served.find((r) => r.id === id)!;
    if (flags.local) return { region: id, host: def.localHost ?? def.ingestorHost!, port: port ?? def.defaultPort ?? 443 };
    return { region: id, host: def.ingestorHost!, port: port ?? 443 };
  });
}
