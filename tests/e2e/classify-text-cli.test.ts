import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/ingestor-sim.js', import.meta.url).pathname;
const run = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 512 * 1024 * 1024 });
const dir = mkdtempSync(join(tmpdir(), 'classify-text-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
const rows = (stdout: string) => stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: number; path: string; category: string; module: string | null; action: string });

describe('ingestor-sim classify: plain text input', () => {
  const lines = [
    '<166>Jan 18 11:07:53 asa-01 : %ASA-6-113039: Group <GroupPolicy_VPN> User <jdoe> IP <203.0.113.10> AnyConnect parent session started.',
    '',
    '<14>Apr 14 16:54:18 pa-fw01 1,2024/04/14 16:54:18,012501002341,TRAFFIC,end,2561,2024/04/14 16:54:17,198.51.100.3,203.0.113.4,0.0.0.0,0.0.0.0,allow-web,corp\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd',
    'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=192.0.2.8^dst=10.0.0.5^usrName=bob',
    'just some words nobody can split',
  ];
  const txt = file('mixed.log', `${lines.join('\r\n')}\n`);

  it('reads one event per line and splits each line by its format', () => {
    const r = run(['classify', '--json', '--module', SPLUNK, txt]);
    expect(r.status, r.stderr).toBe(0);
    const out = rows(r.stdout);
    const paths = (n: number) => out.filter((x) => x.event === n).map((x) => x.path);
    expect(paths(0)).toEqual(expect.arrayContaining(['message_id', 'user', 'src_ip', 'group']));
    expect(paths(1)).toEqual(expect.arrayContaining(['src', 'dst', 'srcuser', 'app']));
    expect(paths(2)).toEqual(expect.arrayContaining(['src', 'dst', 'usrName']));
    expect(paths(3)).toEqual(['_raw']);
    expect(new Set(out.map((x) => x.event))).toEqual(new Set([0, 1, 2, 3]));
    expect(out.find((x) => x.event === 0 && x.path === 'user')).toMatchObject({ category: 'direct-identifier', module: SPLUNK });
  });

  it('names each event by its file line in the table (blank lines counted)', () => {
    const r = run(['classify', '--module', SPLUNK, txt]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/event 0 \(.*mixed\.log:1\)/);
    expect(r.stdout).toMatch(/event 1 \(.*mixed\.log:3\)/);
    expect(r.stdout).toMatch(/event 3 \(.*mixed\.log:5\)/);
    expect(r.stdout).toMatch(/4 events, \d+ fields/);
  });

  it('uses W3C #Fields: directives for the lines after them, and --sourcetype for the module', () => {
    const w3c = file('access.log', '#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time c-ip cs-username cs-method cs-uri-stem sc-status\n2024-01-01 00:00:01 192.0.2.5 CORP\\jdoe GET /index.html 200\n');
    const r = run(['classify', '--json', '--sourcetype', 'pan:traffic', w3c]);
    expect(r.status, r.stderr).toBe(0);
    const out = rows(r.stdout);
    expect(out.map((x) => x.path)).toEqual(['date', 'time', 'c-ip', 'cs-username', 'cs-method', 'cs-uri-stem', 'sc-status']);
    expect(out.every((x) => x.event === 0)).toBe(true);
    expect(out.find((x) => x.path === 'c-ip')).toMatchObject({ module: SPLUNK, category: 'online-identifier' });
  });

  it('--input text reads JSON-looking lines as raw text events', () => {
    const r = run(['classify', '--json', '--input', 'text', '-'], '{"user":"alice","src_ip":"198.51.100.2"}\n');
    expect(r.status, r.stderr).toBe(0);
    expect(rows(r.stdout).map((x) => x.path)).toEqual(['user', 'src_ip']);
  });
});

describe('ingestor-sim classify: streaming', () => {
  const N = 30_000;
  const env = (i: number) => JSON.stringify({ sourcetype: 'pan:traffic', event: { src_ip: `198.51.100.${i % 250}`, user: `u${i}`, bytes: i } });

  it('reads a large NDJSON input from a pipe in pieces, and names a bad line far into it', async () => {
    const good = Array.from({ length: N }, (_, i) => env(i)).join('\n');
    // stdin fed in small writes: objects and lines are cut across chunk boundaries
    const child = spawn(process.execPath, [BIN, 'classify', '--json', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let last = '';
    let count = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      const s = last + c;
      const parts = s.split('\n');
      last = parts.pop()!;
      count += parts.length;
    });
    let err = '';
    child.stderr.on('data', (c) => { err += c; });
    const text = `${good}\n{"event": oops}\n`;
    for (let i = 0; i < text.length; i += 65_537) child.stdin.write(text.slice(i, i + 65_537));
    child.stdin.end();
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`\\(stdin\\):${N + 1}: not valid JSON`));
    // rows for the good events were written before the bad line was reached
    expect(count).toBeGreaterThan(0);
  }, 120_000);

  it('reads HEC arrays and back-to-back objects that span chunk boundaries', () => {
    const arr = `[${Array.from({ length: 20_000 }, (_, i) => env(i)).join(',\n')}]`;
    const glued = Array.from({ length: 100 }, (_, i) => env(i)).join('');
    const p = file('arrays.json', `${arr}\n${glued}\n`);
    const r = run(['classify', '--json', p]);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out.length).toBe((20_000 + 100) * 3);
    expect(JSON.parse(out[out.length - 1]).event).toBe(20_099);
  }, 120_000);

  it('a truncated array names its file and line', () => {
    const p = file('trunc.json', `[\n${env(1)},\n${env(2)},\n`);
    const r = run(['classify', p]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/trunc\.json:4: an array that never closes/);
  });
});

describe('ingestor-sim classify: a raw line is filtered field by field', () => {
  it('drops the user of a PAN-OS line when the module that declares it is turned off (no fail-open _raw)', () => {
    const line = '<14>Apr 14 16:54:18 pa-fw01 1,2024/04/14 16:54:18,012501002341,TRAFFIC,end,2561,2024/04/14 16:54:17,198.51.100.3,203.0.113.4,0.0.0.0,0.0.0.0,allow-web,priya.natarajan@example.com,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd\n';
    const r = run(['classify', '--json', '--sourcetype', 'pan:traffic', '--disable', 'Splunk - Network Firewall / Web Gateway Logs', '-'], line);
    expect(r.status, r.stderr).toBe(0);
    const out = rows(r.stdout);
    expect(out.some((x) => x.path === '_raw')).toBe(false);
    expect(out.find((x) => x.path === 'srcuser')).toMatchObject({ module: SPLUNK, action: 'drop' });
    expect(out.find((x) => x.path === 'src')).toMatchObject({ action: 'drop' });
  });
});
