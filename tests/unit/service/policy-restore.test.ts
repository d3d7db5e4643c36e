/**
 * restorePolicies and migrateV1 (src/pipeline/policy/boot.ts): only the values the admin API set are kept with the
 * data, per value; a version 1 state (a whole state per tenant) is read through the audit trail.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig, type ConfigFile } from '../../../src/config/config.ts';
import { defaultClassifier } from '../../../src/pipeline/ingest/classifier.ts';
import type { PolicyLike } from '../../../src/pipeline/ingest/pipeline.ts';
import { migrateV1, restorePolicies } from '../../../src/pipeline/policy/boot.ts';
import { PolicyStore, type AuditEntry } from '../../../src/pipeline/policy/persist.ts';

const classifier = defaultClassifier();
const modules = classifier.matcher.modules;
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const API = 'admin token sha256:0123456789ab';
const entry = (change: AuditEntry['change'], target: string, old: unknown, now: unknown, credential = API): AuditEntry =>
  ({ at: '2026-11-28T09:00:00.000Z', tenant: 'acme', credential, change, target, old, new: now });

function boot(file: Partial<ConfigFile>, state: unknown, audit: AuditEntry[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'sim-restore-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'policy'));
  writeFileSync(join(dir, 'policy', 'tenants.json'), JSON.stringify(state));
  if (audit.length) writeFileSync(join(dir, 'policy', 'audit.jsonl'), audit.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const cfg = buildConfig({ adminToken: 'restore-admin-token', tenants: [{ id: 'acme' }], tokens: [], ...file }, { dataDir: dir });
  const policies = new Map<string, PolicyLike>(cfg.tenants.map((t) => [t.id, classifier.compilePolicy(classifier.matcher, {
    uploadPermission: { ...t.uploadPermission }, settings: { ...t.settings },
  })]));
  const r = restorePolicies(cfg, classifier, policies);
  return { r, policies, saved: new PolicyStore(dir).load()! };
}

describe('migrateV1: which values of a whole version 1 state the admin API set', () => {
  const stored = { uploadPermission: { okta: false, 'microsoft-entra-id': false }, settings: { qualysConfigured: false, internetAccessService: true }, secrets: 'redact' as const, undeclared: 'flag' as const };

  it('a value is the API\'s when its last audit entry is an admin token\'s and the state still holds what it set', () => {
    const kept = migrateV1('acme', stored, [
      entry('uploadPermission', 'okta', true, false),
      entry('setting', 'qualysConfigured', true, false),
      entry('secrets', 'secrets', 'keep', 'redact'),
    ], modules);
    expect(kept).toEqual({ uploadPermission: { okta: false }, settings: { qualysConfigured: false }, secrets: 'redact' });
  });

  it('a later config-file entry, a value the state no longer holds, another tenant\'s entry: not the API\'s', () => {
    const kept = migrateV1('acme', stored, [
      entry('uploadPermission', 'okta', true, false),
      entry('uploadPermission', 'okta', false, true, 'config file'), // replaced by the file at a start with permissionsFrom config
      entry('setting', 'internetAccessService', true, false), // the state says true: something else set it since
      { ...entry('uploadPermission', 'microsoft-entra-id', true, false), tenant: 'beta' },
    ], modules);
    expect(kept).toEqual({ uploadPermission: {}, settings: {} });
  });

  it('an API change that turned a module back on is kept as on (absent from a version 1 state means on)', () => {
    const kept = migrateV1('acme', { uploadPermission: {}, settings: {} }, [
      entry('uploadPermission', 'okta', true, false),
      entry('uploadPermission', 'okta', false, true),
    ], modules);
    expect(kept.uploadPermission).toEqual({ okta: true });
  });
});

describe('restorePolicies', () => {
  it('version 1: the API\'s values over the config; the state\'s other differences from the config are warned about and follow it', () => {
    const { r, policies, saved } = boot({ tenants: [{ id: 'acme', settings: { internetAccessService: false } }] }, {
      version: 1, savedAt: '2026-11-28T10:00:00.000Z',
      tenants: { acme: { uploadPermission: { okta: false, 'microsoft-entra-id': false }, settings: { qualysConfigured: false, internetAccessService: true } } },
    }, [entry('uploadPermission', 'okta', true, false)]);
    const p = policies.get('acme')!;
    expect([p.isUploadAllowed('okta'), p.isUploadAllowed('microsoft-entra-id')]).toEqual([false, true]);
    expect(p.options!().settings).toMatchObject({ qualysConfigured: true, internetAccessService: false });
    expect(r.warnings).toEqual([
      'tenant acme: the previous version\'s policy state had microsoft-entra-id off, qualysConfigured false, internetAccessService true, which no admin API change in the audit trail set: the config file\'s value applies from now on',
    ]);
    expect(saved).toMatchObject({ version: 2, tenants: { acme: { uploadPermission: { okta: false }, settings: {} } } });
    expect(r.overrides.get('acme')).toEqual({ uploadPermission: { okta: false }, settings: {} });
  });

  it('version 2: an API value of on wins over the config\'s off; a stored off of a module the notice keeps on is ignored with a warning', () => {
    const locked = modules.find((m) => m.canBeTurnedOff === 'no')!;
    const { r, policies } = boot({ tenants: [{ id: 'acme', uploadPermission: { okta: false } }] }, {
      version: 2, savedAt: '2026-11-28T10:00:00.000Z',
      tenants: { acme: { uploadPermission: { okta: true, [locked.id]: false, 'no-such-module': false }, settings: { nope: true } } },
    });
    const p = policies.get('acme')!;
    expect(p.isUploadAllowed('okta')).toBe(true);
    expect(p.isUploadAllowed(locked.id)).toBe(true);
    expect(r.warnings).toEqual([
      `tenant acme: stored permission of '${locked.id}' (off) ignored: the notice says it cannot be turned off`,
      'tenant acme: stored permission of \'no-such-module\' ignored: no such module in the catalog',
      'tenant acme: stored setting \'nope\' ignored: no such setting, or not true/false',
    ]);
    expect(r.overrides.get('acme')).toEqual({ uploadPermission: { okta: true }, settings: {} });
  });

  it('a tenant with nothing set through the API keeps the config\'s compiled policy and is saved empty', () => {
    const { r, policies, saved } = boot({}, { version: 2, savedAt: 'x', tenants: { acme: { uploadPermission: {}, settings: {} } } });
    expect(r.overrides.size).toBe(0);
    expect(policies.get('acme')!.isUploadAllowed('okta')).toBe(true);
    expect(saved.tenants.acme).toEqual({ uploadPermission: {}, settings: {} });
  });
});
