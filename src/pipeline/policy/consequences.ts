/**
 * What else a permission or setting change does, in the data-source page's terms: which other modules' events
 * stop (or start) being kept, which stand-ins start or end, which features the page says are affected.
 * The admin API answers a change with this list and keeps it in the audit trail.
 */
import type { ModuleDef, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../classify/types.ts';
import type { Policy } from '../filter/index.ts';
import { pageName } from './relations.ts';
import { SETTINGS } from './settings.ts';

export type Change =
  | { kind: 'permission'; module: string; allowed: boolean }
  | { kind: 'setting'; setting: TenantSettingId; value: boolean }
  | { kind: 'secrets'; value: SecretsPolicy }
  | { kind: 'undeclared'; value: UndeclaredPolicy };

const SECRETS_WORDS: Record<SecretsPolicy, string> = {
  keep: 'their values are stored as sent',
  redact: 'their values are stored as [redacted]; the field and its classification are kept',
  drop: 'their values are not stored; the field and its classification are kept',
};
const UNDECLARED_WORDS: Record<UndeclaredPolicy, string> = {
  keep: 'stored',
  flag: 'stored and flagged',
  drop: 'not stored',
};

/** Whether a stand-in is active: the module it stands in for is not configured, or its events are not kept. */
function standsIn(p: Policy, other: string, setting: TenantSettingId): boolean {
  return !p.settings[setting] || !p.effective(other).effective;
}

export function consequences(before: Policy, after: Policy, modules: readonly ModuleDef[], change: Change): string[] {
  const out: string[] = [];
  const byId = new Map(modules.map((m) => [m.id, m]));
  for (const m of modules) {
    if (change.kind === 'permission' && m.id === change.module) continue;
    const b = before.effective(m.id);
    const a = after.effective(m.id);
    if (b.effective && !a.effective) out.push(`${m.id} (${pageName(m)}): its events are no longer kept: ${a.reason}`);
    else if (!b.effective && a.effective) out.push(`${m.id} (${pageName(m)}): its events are kept again`);
  }
  for (const m of modules) {
    for (const r of m.relations ?? []) {
      if (r.type === 'standsInFor') {
        const was = standsIn(before, r.module!, r.setting!);
        const is = standsIn(after, r.module!, r.setting!);
        const other = pageName(byId.get(r.module!)!);
        if (!was && is) out.push(`${m.id} (${pageName(m)}) now acts as the data source for vulnerability detection (${other} is not configured or off): "${r.quote}"`);
        if (was && !is) out.push(`${m.id} (${pageName(m)}) no longer stands in for ${other} as the vulnerability data source: ${other} is configured and on`);
        if (is && !after.effective(m.id).effective && !(was && !before.effective(m.id).effective)) {
          out.push(`no vulnerability data source: ${other} is not configured or off, and ${pageName(m)}'s events are not kept either`);
        }
      }
      if (r.type === 'affects' && before.effective(m.id).effective && !after.effective(m.id).effective) {
        out.push(`features the data-source page says are affected: ${r.features!.join(', ')}: "${r.quote}"`);
      }
      if (r.type === 'separatePermission' && change.kind === 'setting' && change.setting === r.setting) {
        const on = after.settings[r.setting!] && after.effective(m.id).effective;
        const state = `are ${on ? 'now kept' : 'no longer kept'} (${SETTINGS[r.setting!].label}: ${after.settings[r.setting!] ? 'on' : 'off'})`;
        if (r.sourcetypes) out.push(`${pageName(m)} events of sourcetype ${r.sourcetypes.join(', ')} ${state}`);
        for (const x of r.match ?? []) out.push(`${pageName(m)} events of sourcetype ${x.sourcetype} with ${x.field} ${x.values.join(', ')} (${x.description}) ${state}`);
      }
    }
  }
  if (change.kind === 'secrets') out.push(`secret fields: ${SECRETS_WORDS[change.value]} (policy secrets: ${change.value})`);
  if (change.kind === 'undeclared') out.push(`fields no item of the notice covers: ${UNDECLARED_WORDS[change.value]} (policy undeclared: ${change.value})`);
  // the page's advice on Qualys, when it is being turned on
  const qualys = byId.get('qualys');
  const qualysOn = (change.kind === 'permission' && change.module === 'qualys' && change.allowed) || (change.kind === 'setting' && change.setting === 'qualysConfigured' && change.value);
  if (qualys && qualysOn) for (const n of qualys.dataSource?.notes ?? []) if (/do not enable Qualys/.test(n)) out.push(`the data-source page advises: "${n}"`);
  return [...new Set(out)];
}
