import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/schema.ts';
import { call } from '../helpers/service.ts';

const bin = join(projectRoot, 'bin', 'ingestor-sim.js');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'sim-cli-')); dirs.push(d); return d; };

interface Run { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> }
function spawnCli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmp(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}
async function waitFor(run: Run, re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = re.exec(run.out());
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${re}; stdout:\n${run.out()}\nstderr:\n${run.err()}`);
}

describe('ingestor-sim serve (spawned as a user runs it)', () => {
  it('SIGKILL loses no answered request: every event that got its 200 is in the store after a restart', async () => {
    const data = tmp();
    // commits wait up to 300 ms for companions: a reply sent before its commit would be caught by the kill
    const token = '6f0c5a1e-0d4b-4e8f-9a77-3c2b1d0e9f11';
    const config = join(data, 'config.json');
    writeFileSync(config, JSON.stringify({
      adminToken: 'kill-test-admin', tenants: [{ id: 'acme' }], tokens: [{ token, tenant: 'acme', region: 'us' }],
      store: { kind: 'sqlite', fsync: 'batch', batchMs: 300, batchEvents: 100000 },
    }));
    const start = async () => {
      const run = spawnCli(['serve', '--config', config, '--port', '0', '--data-dir', data, '--log-level', 'warn']);
      const [, url] = await waitFor(run, /serving \d+ regions on .*listening on (http:\/\/127\.0\.0\.1:\d+)\)/);
      return { run, url, token };
    };
    const a = await start();
    let answered = 0;
    try {
      // requests in flight from 8 clients; the server is killed while some wait for their commit
      let stop = false;
      const client = async (c: number) => {
        for (let i = 0; !stop && i < 5000; i++) { // bounded: 5000 requests or the kill, 1.5 s in
          const body = Array.from({ length: 20 }, (_, k) => `{"event":{"c":${c},"i":${i},"k":${k},"src_ip":"192.0.2.${k}"},"sourcetype":"pan:traffic"}`).join('\n');
          try {
            const r = await call(a.url, 'POST', '/services/collector/event', { host: 'ingestor-us.xdr.trendmicro.com', headers: { authorization: `Splunk ${a.token}` }, body });
            if (r.json?.code === 0) answered += 20;
          } catch {
            return; // the server is gone
          }
        }
      };
      const clients = Array.from({ length: 8 }, (_, c) => client(c));
      // 1.5 s of load once requests are being answered (on a busy machine the first ones wait for the ingest threads)
      for (const t = Date.now(); answered === 0 && Date.now() - t < 30_000;) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1500));
      a.run.child.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      await a.run.exited;
    } finally {
      a.run.child.kill('SIGKILL');
    }
    expect(answered).toBeGreaterThan(0);
    const b = await start();
    try {
      const regions = (await call(b.url, 'GET', '/admin/v1/regions', { headers: { authorization: 'Bearer kill-test-admin' } })).json.regions;
      const stored = regions.find((r: any) => r.id === 'us').events;
      expect(stored).toBeGreaterThanOrEqual(answered); // a request may be committed and killed before its answer left
      expect(stored % 20).toBe(0); // whole requests: a commit is all or nothing
    } finally {
      b.run.child.kill('SIGTERM');
      await b.run.exited;
    }
  });

  it('starts on the development default, prints hosts, tokens and admin token, ingests, closes on SIGTERM', async () => {
    const data = tmp();
    const run = spawnCli(['serve', '--port', '0', '--data-dir', data, '--region-ports', 'eu=0', '--log-level', 'warn']);
    try {
      const [, url] = await waitFor(run, /serving 6 regions on http:\/\/localhost:\d+ \(any host name: the token's region; listening on (http:\/\/127\.0\.0\.1:\d+)\)/);
      await waitFor(run, /admin token: dev-admin-token/);
      const out = run.out();
      expect(out).toContain('us   http://ingestor-us.localhost:');
      expect(out).toContain('Host: ingestor-in.xdr.trendmicro.com');
      expect(out).toContain('deterministic and public');
      const [, usToken] = /\n {2}us {3}([0-9a-f-]{36}) {2}tenant dev/.exec(out)!;
      const [, euPort] = /eu .* port http:\/\/127\.0\.0\.1:(\d+)/.exec(out)!;
      const r = await call(url, 'POST', '/services/collector/event', {
        host: 'ingestor-us.xdr.trendmicro.com', headers: { authorization: `Splunk ${usToken}` },
        body: '{"event":{"src_ip":"192.0.2.7","user":"dave"},"sourcetype":"pan:traffic"}',
      });
      expect(r.json).toEqual({ text: 'Success', code: 0 });
      const [, euToken] = /\n {2}eu {3}([0-9a-f-]{36})/.exec(out)!;
      const e = await call(`http://127.0.0.1:${euPort}`, 'POST', '/services/collector/raw', { headers: { authorization: `Splunk ${euToken}` }, body: 'hello eu' });
      expect(e.json.code).toBe(0);
      // a second serve on the same data dir (another port) is refused before it touches the first one's log
      const second = spawnCli(['serve', '--port', '0', '--data-dir', data, '--log-level', 'warn']);
      expect(await second.exited).not.toBe(0);
      expect(second.err()).toMatch(new RegExp(`in use by process ${run.child.pid}`));
      const again = await call(`http://127.0.0.1:${euPort}`, 'POST', '/services/collector/raw', { headers: { authorization: `Splunk ${euToken}` }, body: 'hello again' });
      expect(again.json.code).toBe(0);
      const ev = await call(url, 'GET', '/admin/v1/events?region=us', { headers: { authorization: 'Bearer dev-admin-token' } });
      expect(ev.json.events[0].fields.map((f: any) => [f.path, f.item])).toEqual([['src_ip', 'Source IP address'], ['user', 'Username']]);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.err()).toMatch(/SIGTERM: closing/);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('a bad config file is exit 2 with the bad path named', async () => {
    const f = join(tmp(), 'bad.json');
    writeFileSync(f, JSON.stringify({ adminToken: 'short', tenants: [{ id: 'a' }], tokens: [{ token: 'nope', tenant: 'b', region: 'us' }], store: { kind: 'mongo' } }));
    const run = spawnCli(['serve', '--config', f, '--port', '0']);
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(/config is invalid/);
    expect(run.err()).toMatch(/\/adminToken: must NOT have fewer than 8 characters/);
    expect(run.err()).toMatch(/\/tokens\/0\/token: must match pattern/);
    expect(run.err()).toMatch(/\/store\/kind: must be equal to one of the allowed values \("sqlite", "none"\)/);
  });

  it('cross-references: unknown tenant, region and module are named', async () => {
    const f = join(tmp(), 'refs.json');
    writeFileSync(f, JSON.stringify({
      adminToken: 'long-enough-token', tenants: [{ id: 'a', uploadPermission: { 'no-such-module': false } }],
      tokens: [{ token: '11111111-1111-4111-8111-111111111111', tenant: 'b', region: 'mea' }],
    }));
    const run = spawnCli(['serve', '--config', f, '--port', '0']);
    const f2 = join(tmp(), 'mod.json');
    writeFileSync(f2, JSON.stringify({ adminToken: 'long-enough-token', tenants: [{ id: 'a', uploadPermission: { 'no-such-module': false } }], tokens: [] }));
    const run2 = spawnCli(['serve', '--config', f2, '--port', '0']);
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(/\/tokens\/0\/tenant: no tenant 'b'/);
    expect(run.err()).toMatch(/\/tokens\/0\/region: 'mea' is not a served region/);
    expect(await run2.exited).toBe(2);
    expect(run2.err()).toMatch(/\/tenants\/0\/uploadPermission: no module 'no-such-module'/);
  });

  it('usage errors: bad port, bad --region-ports, bad --fsync', async () => {
    const cases = [
      [['--port', 'abc'], /--port: 'abc' is not a port number/],
      [['--region-ports', 'eu:8089'], /'eu:8089' is not <region>=<port>/],
      [['--fsync', 'sometimes'], /--fsync: 'sometimes' is not one of always, batch, never/],
    ] as const;
    const runs = cases.map(([args]) => spawnCli(['serve', ...args]));
    const codes = await Promise.all(runs.map((r) => r.exited));
    cases.forEach(([, re], i) => {
      expect(codes[i]).toBe(2);
      expect(runs[i].err()).toMatch(re);
    });
  });

  it('a port in use is a clear error', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const run = spawnCli(['serve', '--port', String(port), '--store', 'none']);
    expect(await run.exited).toBe(1);
    expect(run.err()).toMatch(/cannot listen: .*EADDRINUSE/);
    blocker.close();
  });
});
