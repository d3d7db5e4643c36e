import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/ingestor-sim.js', import.meta.url).pathname;
const run = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 30_000 });
const dir = mkdtempSync(join(tmpdir(), 'classify-cli-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

// two HEC envelopes back to back on one line, then a bare NDJSON object
const batch = file('batch.json',
  '{"time":1715937705.5,"sourcetype":"pan:traffic","event":{"src_ip":"198.51.100.23","dest":"www.example.org","src_port":51514,"user":"corp\\\\pnatarajan"}}'
  + '{"sourcetype":"pan:traffic","event":{"url":"https://files.example.net/s?token=abcdef123456"}}\n'
  + '{"mail":"priya.natarajan@example.com","properties":{"ipAddress":"198.51.100.140"}}\n');

describe('ingestor-sim classify', () => {
  it('prints one JSON line per field, module from the sourcetype, and applies --disable', () => {
    const r = run(['classify', '--json', '--disable', 'Splunk - Network Firewall / Web Gateway Logs', batch]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ event: 0, path: 'src_ip', item: 'Source IP address', group: null, module: 'splunk-network-firewall-web-gateway-logs', category: 'online-identifier', by: 'name', action: 'drop' });
    // a permission is for the whole source: the undeclared port of a Splunk event goes with it
    expect(lines.find((l) => l.path === 'src_port')).toMatchObject({ event: 0, item: null, action: 'drop' });
    expect(lines.find((l) => l.path === 'url')).toMatchObject({ event: 1, category: 'secret', action: 'drop' });
    // the bare object has no sourcetype: no module context; an email is declared by many modules
    expect(lines.find((l) => l.path === 'mail')).toMatchObject({ event: 2, item: null, module: null, category: 'direct-identifier' });
    expect(lines.map((l) => l.event)).toEqual([0, 0, 0, 0, 1, 2, 2]);
  });

  it('takes --module by id or exact notice name, case-insensitive, and reads stdin', () => {
    const r = run(['classify', '--json', '--module', 'microsoft entra id', '-'], '{"mail":"a@example.com","properties":{"ipAddress":"198.51.100.140"}}');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { event: 0, path: 'mail', item: 'Email address', group: 'User information', module: 'microsoft-entra-id', category: 'direct-identifier', by: 'name', action: 'keep' },
      { event: 0, path: 'properties.ipAddress', item: 'IP address', group: 'User information', module: 'microsoft-entra-id', category: 'online-identifier', by: 'name', action: 'keep' },
    ]);
  });

  it('prints a readable table and a summary', () => {
    const r = run(['classify', batch]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/event 0 \(.*batch\.json:1\) module: splunk-network-firewall-web-gateway-logs/);
    expect(r.stdout).toMatch(/src_ip\s+Source IP address\s+splunk-network-firewall-web-gateway-logs\s+online-identifier\s+name\s+keep/);
    expect(r.stdout).toMatch(/3 events, 7 fields: keep 4, flag 3, drop 0/);
  });

  it('exits 2 with the file and line of unreadable input', () => {
    const bad = file('bad.json', '{"a":1}\n{"b":1}\n{"c": }\n');
    const r = run(['classify', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.json:3: not valid JSON/);
    const trunc = run(['classify', '-'], '{"a":1}\n{"b":');
    expect(trunc.status).toBe(2);
    expect(trunc.stderr).toMatch(/\(stdin\):2: .*never closes/);
  });

  it('exits 2 for an unknown module and for a module that cannot be turned off', () => {
    const a = run(['classify', '--module', 'nope', batch]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--module: no module 'nope'/);
    const b = run(['classify', '--disable', 'Email Inventory', batch]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/cannot be turned off/);
  });
});
