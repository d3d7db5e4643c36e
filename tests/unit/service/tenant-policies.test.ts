/** TenantPolicies: the one place a tenant's policy changes; kept, audited, then heard by subscribers. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSimError } from '../../../src/errors/sim-error.ts';
import { defaultClassifier } from '../../../src/pipeline/ingest/classifier.ts';
import type { PolicyLike } from '../../../src/pipeline/ingest/pipeline.ts';
import { credentialId, PolicyStore } from '../../../src/pipeline/policy/persist.ts';
import { TenantPolicies } from '../../../src/service/tenant-policies.ts';
import type { Change } from '../../../src/pipeline/policy/consequences.ts';

const classifier = defaultClassifier();
const modules = classifier.matcher.modules;
const mod = (id: string) => modules.find((m) => m.id === id)!;
const compile = () => classifier.compilePolicy(classifier.matcher, { uploadPermission: {}, undeclared: 'flag' });
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function make(kept: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'sim-tp-'));
  dirs.push(dir);
  const store = kept ? new PolicyStore(dir) : null;
  return { store, tp: new TenantPolicies(classifier, new Map([['acme', compile()], ['beta', compile()]]), store, 'tp-admin-token') };
}

describe('TenantPolicies', () => {
  it('setPermission makes the new policy current, keeps it with the data, audits it and tells subscribers before it returns', () => {
    const { tp, store } = make(true);
    const heard: Array<[string, PolicyLike, Change]> = [];
    tp.onChange((t, p, c) => heard.push([t, p, c]));
    const before = tp.get('acme')!;
    const r = tp.setPermission('acme', mod('microsoft-entra-id'), false);
    expect(tp.get('acme')).toBe(r.after);
    expect(r.before).toBe(before);
    expect(r.after.isUploadAllowed('microsoft-entra-id')).toBe(false);
    expect(tp.get('beta')!.isUploadAllowed('microsoft-entra-id')).toBe(true);
    expect(heard).toEqual([['acme', r.after, { kind: 'permission', module: 'microsoft-entra-id', allowed: false }]]);
    expect(r.consequences.join('\n')).toMatch(/office-365-usage .*no longer kept/);
    expect(store!.load()!.tenants.acme.uploadPermission).toEqual({ 'microsoft-entra-id': false });
    const [entry] = store!.readAudit();
    expect(entry).toMatchObject({ tenant: 'acme', change: 'uploadPermission', target: 'microsoft-entra-id', old: true, new: false, credential: credentialId('tp-admin-token') });
    expect(JSON.stringify(store!.readAudit())).not.toContain('tp-admin-token');
  });

  it('setSetting changes a tenant setting with its consequences', () => {
    const { tp } = make(false);
    const r = tp.setSetting('acme', 'qualysConfigured', false);
    expect(r.audit).toMatchObject({ change: 'setting', target: 'qualysConfigured', old: true, new: false });
    expect(r.consequences.some((c) => c.startsWith('qualys (Qualys): its events are no longer kept'))).toBe(true);
    expect(tp.readAudit()).toEqual([]); // store kind none: not kept
  });

  it('a module the notice keeps on: SIM_ERR_POLICY_MODULE_LOCKED with the notice\'s words; nothing changes, nobody hears', () => {
    const { tp } = make(true);
    const locked = modules.find((m) => m.canBeTurnedOff === 'no')!;
    let heard = 0;
    tp.onChange(() => { heard++; });
    const before = tp.get('acme');
    let err: unknown;
    try { tp.setPermission('acme', locked, false); } catch (e) { err = e; }
    expect(isSimError(err) && err.code).toBe('SIM_ERR_POLICY_MODULE_LOCKED');
    expect((err as Error).message).toContain(`the notice says "${locked.turnOffNote}"`);
    expect([tp.get('acme'), heard]).toEqual([before, 0]);
  });

  it('an unknown tenant is SIM_ERR_ADMIN_UNKNOWN_TENANT naming the tenants', () => {
    const { tp } = make(false);
    expect(() => tp.setPermission('nobody', mod('okta'), false)).toThrow(expect.objectContaining({ code: 'SIM_ERR_ADMIN_UNKNOWN_TENANT', detail: "no tenant 'nobody' (tenants: acme, beta)" }));
  });

  it('a change that cannot be kept is not made (the data folder is not writable)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-tp-ro-'));
    dirs.push(dir);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const blocked = new TenantPolicies(classifier, new Map([['acme', compile()]]), new PolicyStore(file), 't'); // <file>/policy cannot be made
    let heard = 0;
    blocked.onChange(() => { heard++; });
    expect(() => blocked.setPermission('acme', mod('okta'), false)).toThrow(/ENOTDIR|EEXIST/);
    expect([blocked.get('acme')!.isUploadAllowed('okta'), heard]).toEqual([true, 0]);
  });

  it('a value the tenant already has is no change: changed false, nothing written or audited, nobody hears', () => {
    const { tp, store } = make(true);
    let heard = 0;
    tp.onChange(() => { heard++; });
    const before = tp.get('acme');
    const results = [
      tp.setPermission('acme', mod('okta'), true),
      tp.setSetting('acme', 'qualysConfigured', true),
      tp.setSecrets('acme', 'keep'),
      tp.setUndeclared('acme', 'flag'),
    ];
    for (const r of results) expect(r).toMatchObject({ changed: false, audit: null, consequences: [], before, after: before });
    expect([tp.get('acme'), heard, store!.load(), store!.readAudit()]).toEqual([before, 0, null, []]);
    const r = tp.setSecrets('acme', 'drop');
    expect(r).toMatchObject({ changed: true, audit: { change: 'secrets', target: 'secrets', old: 'keep', new: 'drop' } });
    expect(heard).toBe(1);
    // only what the admin API set is kept: acme's secrets, not its undeclared policy nor anything of beta's
    expect(store!.load()!.tenants).toEqual({
      acme: { uploadPermission: {}, settings: expect.any(Object), secrets: 'drop' },
      beta: { uploadPermission: {}, settings: expect.any(Object) },
    });
  });

  it('onChange returns the function that unsubscribes', () => {
    const { tp } = make(false);
    let heard = 0;
    const off = tp.onChange(() => { heard++; });
    tp.setPermission('acme', mod('okta'), false);
    off();
    tp.setPermission('acme', mod('okta'), true);
    expect(heard).toBe(1);
    expect(tp.tenants()).toEqual(['acme', 'beta']);
    expect([...tp].map(([t]) => t)).toEqual(['acme', 'beta']);
  });

  it('setByAdmin: the values the admin API set, per value, by module id and setting; a no-op PUT adds none; the state holds just these', () => {
    const { tp, store } = make(true);
    expect(tp.setByAdmin('acme')).toEqual({ uploadPermission: {}, settings: {} });
    tp.setPermission('acme', mod('okta'), false);
    tp.setPermission('acme', mod('okta'), true);
    tp.setSetting('acme', 'internetAccessService', false);
    tp.setSetting('acme', 'qualysConfigured', true); // already so: not the API's
    tp.setSecrets('acme', 'drop');
    const acme = { uploadPermission: { okta: true }, settings: { internetAccessService: false }, secrets: 'drop' };
    expect(tp.setByAdmin('acme')).toEqual(acme);
    expect(tp.setByAdmin('beta')).toEqual({ uploadPermission: {}, settings: {} });
    expect(store!.load()!.tenants).toEqual({ acme, beta: { uploadPermission: {}, settings: {} } });
    // a copy: changing it changes nothing kept
    tp.setByAdmin('acme').settings.qualysConfigured = false;
    expect(tp.setByAdmin('acme')).toEqual(acme);
  });
});
