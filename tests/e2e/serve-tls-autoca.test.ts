/**
 * `serve --tls` without a CA folder, as a new user runs it: the first start creates a local CA (as Splunk ships
 * a self-signed certificate), says how to trust it, and serves https://localhost:<port> with tokens choosing
 * the region. A second start keeps the CA.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { devTokenFor } from '../../src/config/config.ts';
import { projectRoot } from '../../src/config/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-autoca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'ingestor-sim.js'), 'serve', '--tls', '--port', '0', '--store', 'none', '--log-level', 'silent', '--ingest-workers', '0'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  return { child, out: () => out, exited: new Promise((r) => child.on('exit', (c) => r(c))) };
}
async function waitFor(out: () => string, re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = re.exec(out());
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${re}:\n${out()}`);
}

describe('serve --tls (no folder given, none there yet)', () => {
  it('creates a local CA on first start, says how to trust it, serves https://localhost routed by the token; keeps the CA next time', async () => {
    const first = serve();
    try {
      await waitFor(first.out, /Created a local CA in (\S+)/);
      const [, port] = await waitFor(first.out, /serving 6 regions on https:\/\/localhost:(\d+) /);
      const out = first.out();
      const caPath = join(dir, '.ingestor-sim', 'tls', 'ca.pem');
      expect(existsSync(caPath)).toBe(true);
      expect(out).toContain(`NODE_EXTRA_CA_CERTS=${caPath}`);
      expect(out).toContain('update-ca-certificates');
      // a client configured as Splunk's docs show: https://localhost:8088 (SNI and Host localhost)
      const agent = new Agent({ connect: { ca: readFileSync(caPath, 'utf8'), servername: 'localhost' } });
      try {
        for (const [i, region] of [[0, 'us'], [1, 'eu']] as const) {
          const r = await request(`https://127.0.0.1:${port}/services/collector/event`, {
            method: 'POST', dispatcher: agent, headers: { host: `localhost:${port}`, authorization: `Splunk ${devTokenFor(i)}` }, body: '{"event":"hi"}',
          });
          expect([r.statusCode, r.headers['x-ingestor-region'], await r.body.json()]).toEqual([200, region, { text: 'Success', code: 0 }]);
        }
      } finally {
        await agent.close();
      }
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    const fingerprint = readFileSync(join(dir, '.ingestor-sim', 'tls', 'ca.pem'), 'utf8');
    const second = serve();
    try {
      await waitFor(second.out, /serving 6 regions on https:\/\/localhost:\d+ /);
      expect(second.out()).not.toContain('Created a local CA');
      expect(readFileSync(join(dir, '.ingestor-sim', 'tls', 'ca.pem'), 'utf8')).toBe(fingerprint);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 90_000);
});
