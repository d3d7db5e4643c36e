/**
 * End to end with the real emulator: `ca init`, `serve --tls DIR`, then `verify` with --resolve and the local CA,
 * and the faults of the admin API as verify sees them (unreachable refused/dropped, busy).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/schema.ts';
import { DEV_ADMIN_TOKEN, devTokenFor } from '../../src/config/config.ts';
import { cli } from '../helpers/verify-tools.ts';

const host = (id: string) => `ingestor-${id}.xdr.trendmicro.com`;
let dir: string;
let serve: ChildProcess | null = null;
let port = 0;
let euPort = 0;
let agent: Agent;

interface Json { regions: Array<{ region: string; verdict: string; fix?: string; steps: Array<{ step: string; ok: boolean; detail: string }> }> }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-verify-serve-'));
  const init = await cli(['ca', 'init', '--dir', join(dir, 'tls')]);
  expect(init.code, init.stderr).toBe(0);
  expect(init.stdout).toContain('Created a new CA');
  serve = spawn(process.execPath, ['bin/ingestor-sim.js', 'serve', '--tls', join(dir, 'tls'), '--port', '0', '--region-ports', 'eu=0', '--store', 'none', '--log-level', 'silent', '--data-dir', join(dir, 'data')], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  serve.stderr!.on('data', (c) => { err += c; });
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${err}`)), 30_000);
    serve!.stdout!.on('data', (c) => {
      out += c;
      const m = /serving \d+ regions on .*listening on https:\/\/127\.0\.0\.1:(\d+)\)/.exec(out);
      const eu = /\n {2}eu .* port https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m && eu) {
        clearTimeout(timer);
        euPort = Number(eu[1]);
        resolve(Number(m[1]));
      }
    });
    serve!.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  agent = new Agent({ connect: { ca: readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8') } });
});

afterAll(async () => {
  await agent?.close();
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => serve!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

async function putFaults(region: string, doc: object): Promise<number> {
  const r = await request(`https://127.0.0.1:${port}/admin/v1/regions/${region}/faults`, {
    method: 'PUT', dispatcher: agent, body: JSON.stringify(doc),
    headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });
  await r.body.text();
  return r.statusCode;
}

const verify = (regions: string, extra: string[] = []) => cli(['verify', '--region', regions, '--port', String(port), '--ca', join(dir, 'tls', 'ca.pem'), '--json', '--timeout', '1500ms',
  ...regions.split(',').flatMap((id) => ['--resolve', `${host(id)}:${port}:127.0.0.1`]), ...extra]);

describe('verify against serve --tls', () => {
  it('healthy with the region token; 403 code 4 with the token of another region', async () => {
    const r = await verify('us,eu', ['--token', devTokenFor(0)]);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.regions.map((x) => x.verdict)).toEqual(['healthy', 'http-error']);
    expect(j.regions[0].steps[2].detail).toContain("issued by 'ingestor-sim local CA, O=ingestor-sim'");
    expect(j.regions[0].steps[3].detail).toContain('token accepted');
    expect(j.regions[1].steps[3].detail).toContain("403 code 4 'Invalid token'");
    expect(j.regions[1].steps[3].detail).toContain("the server says: token is bound to region 'us', but the request reached region 'eu'");
    expect(r.code).toBe(1);
  });

  it('faults: unreachable refused → refused, dropped → timeout, busy → http-error 503 code 9', async () => {
    expect(await putFaults('eu', { unreachable: 'refused' })).toBe(200);
    expect(await putFaults('jp', { unreachable: 'dropped' })).toBe(200);
    expect(await putFaults('sg', { error: { rate: 1, answer: 'busy' } })).toBe(200);
    try {
      const r = await verify('us,eu,jp,sg');
      const j = JSON.parse(r.stdout) as Json;
      expect(j.regions.map((x) => [x.region, x.verdict])).toEqual([['us', 'healthy'], ['eu', 'refused'], ['jp', 'timeout'], ['sg', 'http-error']]);
      expect(j.regions[1].steps[3].detail).toContain('reset or closed when the request was sent');
      expect(j.regions[2].steps[3].detail).toContain('never answered (dropped)');
      expect(j.regions[3].steps[3].detail).toContain("503 code 9 'Server is busy'");
    } finally {
      for (const id of ['eu', 'jp', 'sg']) await putFaults(id, {});
    }
    const after = JSON.parse((await verify('eu,jp,sg')).stdout) as Json;
    expect(after.regions.map((x) => x.verdict)).toEqual(['healthy', 'healthy', 'healthy']);
  });

  it("on a region's own port the faults act before TLS: refused resets the handshake, dropped never answers it", async () => {
    const onEuPort = () => cli(['verify', '--region', 'eu', '--port', String(euPort), '--ca', join(dir, 'tls', 'ca.pem'), '--json', '--timeout', '1s',
      '--resolve', `${host('eu')}:${euPort}:127.0.0.1`]);
    expect(JSON.parse((await onEuPort()).stdout).regions[0].verdict).toBe('healthy');
    try {
      expect(await putFaults('eu', { unreachable: 'refused' })).toBe(200);
      const refused = (JSON.parse((await onEuPort()).stdout) as Json).regions[0];
      expect(refused.verdict).toBe('refused');
      // the RST comes right after the kernel completed the TCP handshake: the client sees it as a failed connect
      // or as a reset during the TLS handshake, depending on which it processes first
      const last = refused.steps[refused.steps.length - 1];
      expect(['tcp', 'tls']).toContain(last.step);
      expect(last.ok).toBe(false);
      expect(last.detail).toMatch(/reset \(ECONNRESET\)|connection reset by the peer during the TLS handshake/);
      expect(refused.steps.some((x) => x.step === 'http')).toBe(false);
      expect(await putFaults('eu', { unreachable: 'dropped' })).toBe(200);
      const dropped = (JSON.parse((await onEuPort()).stdout) as Json).regions[0];
      expect(dropped.verdict).toBe('timeout');
      expect(dropped.steps[2].detail).toContain('no TLS answer within 1000 ms');
    } finally {
      await putFaults('eu', {});
    }
  });
});
