/** `classify --disable` as a user runs it: the page's names, ambiguous names, locks and a partly module. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-classify-perm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'o365.json');
writeFileSync(file, '{"sourcetype":"o365:reporting:usage","event":{"User Principal Name":"alice@contoso.com","extra":1}}\n');

describe('classify --disable', () => {
  it('Azure AD off (the page\'s name): the Office 365 event is dropped whole, because of the requirement', async () => {
    const r = await runCli(['classify', '--json', '--disable', 'Azure AD', file]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.path, l.group, l.action])).toEqual([['User Principal Name', 'OneDrive activity report', 'drop'], ['extra', null, 'drop']]);
  });
  it('a name several modules share exits 2 with the candidates', async () => {
    const r = await runCli(['classify', '--disable', 'Service Gateway Management', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'Service Gateway Management' names 4 modules: service-gateway-service-gateway-management \(Service Gateway\), local-active-update-service-service-gateway-management/);
  });
  it('--module with a shared name exits 2 with the candidates', async () => {
    const r = await runCli(['classify', '--module', 'Service Gateway Management', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--module: 'Service Gateway Management' names 4 modules/);
  });
  it('a module the notice says cannot be turned off exits 2 with the notice\'s words', async () => {
    const r = await runCli(['classify', '--disable', 'Email Inventory', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be turned off: the notice says "The data collection can't be disabled when customers use Email Inventory/);
  });
  it('a partly module is accepted with the notice\'s warning', async () => {
    const r = await runCli(['classify', '--disable', 'trend-vision-one-virtual-network-sensor', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --disable: the notice says some modules of Trend Vision One Virtual Network Sensor cannot be disabled/);
  });
  it('--setting and --secrets: a Qualys event is dropped while Qualys is not configured; a password is redacted', async () => {
    const q = join(dir, 'mixed.json');
    writeFileSync(q, '{"sourcetype":"qualys:host","event":{"hostname":"srv1"}}\n{"sourcetype":"pan:traffic","event":{"src_ip":"10.0.0.1","password":"hunter2"}}\n');
    const r = await runCli(['classify', '--json', '--setting', 'qualysConfigured=off', '--secrets', 'redact', q]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.event, l.path, l.action, l.masked ?? null])).toEqual([[0, 'hostname', 'drop', null], [1, 'src_ip', 'keep', null], [1, 'password', 'flag', 'redacted']]);
    const bad = await runCli(['classify', '--setting', 'nope=on', q]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--setting: no tenant setting 'nope' \(settings: qualysConfigured, internetAccessService, office365ThreatDetection\)/);
  });
});
