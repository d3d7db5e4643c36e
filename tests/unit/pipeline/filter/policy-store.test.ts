/** The policy state kept with the data (src/pipeline/policy/persist.ts): atomic replace, audit lines, credential fingerprints. */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { credentialId, PolicyStore } from '../../../../src/pipeline/policy/persist.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const fresh = () => { const d = mkdtempSync(join(tmpdir(), 'sim-policy-')); dirs.push(d); return d; };

describe('PolicyStore', () => {
  it('a new data folder has no state; save replaces it whole and leaves no temp file; files are private', () => {
    const s = new PolicyStore(fresh());
    expect(s.load()).toBeNull();
    s.save({ acme: { uploadPermission: { okta: false }, settings: { qualysConfigured: false } } });
    s.save({ acme: { uploadPermission: {}, settings: { qualysConfigured: true } } });
    expect(s.load()).toMatchObject({ version: 2, tenants: { acme: { uploadPermission: {}, settings: { qualysConfigured: true } } } });
    expect(readdirSync(s.dir)).toEqual(['tenants.json']);
    expect(statSync(s.statePath).mode & 0o777).toBe(0o600);
    expect(statSync(s.dir).mode & 0o777).toBe(0o700);
  });
  it('refuses a state file that is not its own, naming it', () => {
    const s = new PolicyStore(fresh());
    s.save({});
    writeFileSync(s.statePath, '{"version":1,');
    expect(() => s.load()).toThrow(/tenants\.json: not JSON/);
    writeFileSync(s.statePath, '{"version":7,"tenants":{}}');
    expect(() => s.load()).toThrow(/not a version 1 or 2 policy state/);
  });
  it('the audit trail is appended line by line; a torn last line (a crash mid-append) is skipped', () => {
    const s = new PolicyStore(fresh());
    const e = { at: new Date().toISOString(), tenant: 'acme', credential: credentialId('secret-admin-token'), change: 'setting' as const, target: 'qualysConfigured', old: true, new: false };
    s.audit(e);
    s.audit({ ...e, old: false, new: true });
    appendFileSync(s.auditPath, '{"at":"2026');
    expect(s.readAudit().map((x) => x.new)).toEqual([false, true]);
    expect(readFileSync(s.auditPath, 'utf8')).not.toContain('secret-admin-token');
  });
  it('names a credential by a fingerprint that differs per token', () => {
    expect(credentialId('a-token-1')).toMatch(/^admin token sha256:[0-9a-f]{12}$/);
    expect(credentialId('a-token-1')).not.toBe(credentialId('a-token-2'));
  });
});
