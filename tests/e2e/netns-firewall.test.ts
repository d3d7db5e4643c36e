/**
 * A firewall for real: two network namespaces made by this test (a server side and a client side) joined by a
 * veth pair, addresses in 10.231.N.0/24 that exist only inside them. The emulator runs (`serve --tls`) in the server
 * namespace on three addresses; iptables there DROPs TCP to the second and REJECTs (tcp-reset) TCP to the third.
 * `verify` in the client namespace must say healthy / timeout / refused. Nothing touches the host's own network.
 * Needs root, `ip` (iproute2) and `iptables` (scripts/ci-setup.sh installs them); skips with a message otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/schema.ts';

const id = randomBytes(3).toString('hex');
const NS_SRV = `simfw-s-${id}`;
const NS_CLI = `simfw-c-${id}`;
const IF_SRV = `sfs${id}`; // ≤ 15 characters
const IF_CLI = `sfc${id}`;
const NET = `10.231.${randomBytes(1)[0]}`;
const ADDR = { ok: `${NET}.1`, drop: `${NET}.2`, reject: `${NET}.3`, client: `${NET}.100` };
const PORT = 8443;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why this machine cannot run the test, or null. */
function cannotRun(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)';
  for (const tool of ['ip', 'iptables']) {
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `'${tool}' is not installed (scripts/ci-setup.sh installs iproute2 and iptables)`;
    }
  }
  const probe = `simfw-p-${id}`;
  try {
    run('ip', ['netns', 'add', probe]);
    run('ip', ['netns', 'exec', probe, 'iptables', '-L', 'INPUT', '-n']);
  } catch (err) {
    return `network namespaces or iptables are not allowed here: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`;
  } finally {
    try { run('ip', ['netns', 'del', probe]); } catch { /* was not made */ }
  }
  return null;
}

const why = cannotRun();
if (why) console.warn(`tests/e2e/netns-firewall.test.ts skipped: ${why}`);

const inNs = (ns: string, cmd: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);

describe.skipIf(why !== null)('verify through a real firewall (network namespaces + iptables)', () => {
  let dir = '';
  let serve: ChildProcess | null = null;
  let serveLog = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-netns-'));
    run('ip', ['netns', 'add', NS_SRV]);
    run('ip', ['netns', 'add', NS_CLI]);
    run('ip', ['link', 'add', IF_CLI, 'type', 'veth', 'peer', 'name', IF_SRV]);
    run('ip', ['link', 'set', IF_SRV, 'netns', NS_SRV]);
    run('ip', ['link', 'set', IF_CLI, 'netns', NS_CLI]);
    for (const a of [ADDR.ok, ADDR.drop, ADDR.reject]) inNs(NS_SRV, 'ip', 'addr', 'add', `${a}/24`, 'dev', IF_SRV);
    inNs(NS_CLI, 'ip', 'addr', 'add', `${ADDR.client}/24`, 'dev', IF_CLI);
    for (const [ns, dev] of [[NS_SRV, IF_SRV], [NS_CLI, IF_CLI]]) {
      inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      inNs(ns, 'ip', 'link', 'set', dev, 'up');
    }
    inNs(NS_SRV, 'iptables', '-A', 'INPUT', '-p', 'tcp', '-d', ADDR.drop, '--dport', String(PORT), '-j', 'DROP');
    inNs(NS_SRV, 'iptables', '-A', 'INPUT', '-p', 'tcp', '-d', ADDR.reject, '--dport', String(PORT), '-j', 'REJECT', '--reject-with', 'tcp-reset');

    run(process.execPath, [join(projectRoot, 'bin/ingestor-sim.js'), 'ca', 'init', '--dir', join(dir, 'tls')]);
    serve = spawn('ip', ['netns', 'exec', NS_SRV, process.execPath, join(projectRoot, 'bin/ingestor-sim.js'), 'serve', '--tls', join(dir, 'tls'),
      // 0.0.0.0 inside the test's own namespace: the development default there is meant (--allow-public-dev)
      '--host', '0.0.0.0', '--allow-public-dev', '--port', String(PORT), '--store', 'none', '--log-level', 'silent'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    serve.stderr!.on('data', (c) => { serveLog += c; });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start in the namespace: ${serveLog}`)), 30_000);
      serve!.stdout!.on('data', (c) => {
        serveLog += c;
        if (/serving \d+ regions on https:/.test(serveLog)) {
          clearTimeout(timer);
          resolve();
        }
      });
      serve!.once('exit', (code) => reject(new Error(`serve exited ${code}: ${serveLog}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await Promise.race([new Promise((r) => serve!.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (serve.exitCode === null) serve.kill('SIGKILL');
    }
    for (const ns of [NS_SRV, NS_CLI]) {
      try { run('ip', ['netns', 'del', ns]); } catch { /* not made */ } // deleting a namespace deletes its veth end and rules
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('DROP is reported as timeout, REJECT --reject-with tcp-reset as refused, the open address as healthy', async () => {
    const host = (r: string) => `ingestor-${r}.xdr.trendmicro.com`;
    const args = ['netns', 'exec', NS_CLI, process.execPath, join(projectRoot, 'bin/ingestor-sim.js'), 'verify', '--region', 'us,eu,jp',
      '--port', String(PORT), '--ca', join(dir, 'tls', 'ca.pem'), '--timeout', '2s', '--json',
      '--resolve', `${host('us')}:${PORT}:${ADDR.ok}`, '--resolve', `${host('eu')}:${PORT}:${ADDR.drop}`, '--resolve', `${host('jp')}:${PORT}:${ADDR.reject}`];
    const child = spawn('ip', args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const j = JSON.parse(stdout) as { regions: Array<{ region: string; verdict: string; fix?: string; steps: Array<{ step: string; ok: boolean; ms: number; detail: string }> }> };
    expect(j.regions.map((r) => [r.region, r.verdict])).toEqual([['us', 'healthy'], ['eu', 'timeout'], ['jp', 'refused']]);
    const [, eu, jp] = j.regions;
    expect(eu.steps[1]).toMatchObject({ step: 'tcp', ok: false });
    expect(eu.steps[1].detail).toContain(`${ADDR.drop}:${PORT} no answer within 2000 ms`);
    expect(eu.steps[1].ms).toBeGreaterThanOrEqual(1990);
    expect(eu.fix).toContain(`Open outbound TCP ${PORT} to ${host('eu')} (${ADDR.drop}): packets are dropped silently`);
    expect(jp.steps[1].detail).toContain(`${ADDR.reject}:${PORT} refused (ECONNREFUSED`);
    expect(jp.fix).toContain('actively refused or reset');
  }, 60_000);
});
