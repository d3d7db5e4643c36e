// The region folder's lock (src/store/dir-lock.ts) against what defeated a lock of process ids: two servers in
// two PID namespaces (both PID 1), several processes starting at the same instant, and a restart right after
// kill -9 while the dead holder is not yet reaped (a zombie still answers kill(pid, 0)).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/config/schema.ts';
import { lockDir } from '../../../src/store/dir-lock.ts';
import { call } from '../../helpers/service.ts';

const CHILD = fileURLToPath(new URL('../../helpers/lock-child.ts', import.meta.url));
const BIN = join(projectRoot, 'bin', 'ingestor-sim.js');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'sim-lock-')); dirs.push(d); return d; };

interface Run { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> }
function run(cmd: string, args: string[]): Run {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: projectRoot }); // tsx resolves from here
  let out = '', err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}
async function waitFor(r: Run, re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = re.exec(r.out());
    if (m) return m;
    if (r.child.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`timed out waiting for ${re}; stdout:\n${r.out()}\nstderr:\n${r.err()}`);
}

/** Why PID namespaces cannot be made here, or null when `unshare --pid --fork` works. */
function noUnshare(): string | null {
  const r = spawnSync('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', 'echo $$'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `unshare is not available: ${r.error.message}`;
  if (r.status !== 0 || r.stdout.trim() !== '1') return `unshare --pid --fork --mount-proc failed (needs root or user namespaces): ${r.stderr.trim()}`;
  return null;
}
const unshareProblem = noUnshare();
if (unshareProblem) console.warn(`store-lock: PID-namespace test skipped: ${unshareProblem}`);

describe('the data folder lock holds across PID namespaces, races and kill -9', () => {
  it.skipIf(unshareProblem !== null)('two servers on one data folder in two PID namespaces (both PID 1): the second is refused', async () => {
    const data = tmp();
    const config = join(data, 'config.json');
    const token = '0b0c6a57-5e0e-4a43-9f1e-0c8f2a1d3b44';
    writeFileSync(config, JSON.stringify({ adminToken: 'lock-admin', tenants: [{ id: 'acme' }], tokens: [{ token, tenant: 'acme', region: 'us' }] }));
    // --kill-child: the server (PID 1 of its namespace) dies with unshare, which is what the test kills
    const serve = () => run('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, BIN, 'serve', '--config', config, '--port', '0', '--data-dir', data, '--log-level', 'warn']);
    const a = serve();
    let b: Run | null = null;
    try {
      const [, url] = await waitFor(a, /serving \d+ regions on .*listening on (http:\/\/127\.0\.0\.1:\d+)\)/);
      // its lock names process 1: its own namespace's id, which the second server has too
      expect(readFileSync(join(data, 'us', 'events.lock'), 'utf8')).toBe('1\n');
      b = serve();
      expect(await b.exited).not.toBe(0);
      expect(b.err()).toMatch(/in use by process 1\b/);
      // the first one still serves and stores
      const res = await call(url, 'POST', '/services/collector/event', { host: 'ingestor-us.xdr.trendmicro.com', headers: { authorization: `Splunk ${token}` }, body: '{"event":{"a":1}}' });
      expect(res.json).toMatchObject({ code: 0 });
    } finally {
      for (const r of [a, b]) {
        if (r === null || r.child.exitCode !== null) continue;
        r.child.kill('SIGKILL');
        await r.exited;
      }
    }
  });

  it('processes starting at the same instant: exactly one takes the lock, every time', async () => {
    const N = 6;
    const rounds = process.env.SIM_HEAVY === '1' ? 20 : 2;
    for (let round = 0; round < rounds; round++) {
      const dir = tmp();
      const at = Date.now() + 2_500; // time for every child to load before the instant
      const kids = Array.from({ length: N }, () => run(process.execPath, ['--import', 'tsx', CHILD, 'race', dir, String(at), '800']));
      const codes = await Promise.all(kids.map((k) => k.exited));
      expect(codes, kids.map((k) => k.err()).join('\n')).toEqual(Array(N).fill(0));
      const outs = kids.map((k) => k.out().trim());
      expect(outs.filter((o) => o === 'won'), outs.join('\n')).toHaveLength(1);
      expect(outs.filter((o) => o.startsWith('lost: ') && /in use by process/.test(o))).toHaveLength(N - 1);
    }
  });

  it('a restart right after kill -9 takes the lock while the dead holder is not yet reaped (a zombie)', async () => {
    const dir = tmp();
    // `exec sleep` leaves the holder a parent that never waits for it: killed, it stays a zombie
    const sh = run('sh', ['-c', `"${process.execPath}" --import tsx "${CHILD}" hold "${dir}" & exec sleep 30`]);
    try {
      const [, pid] = await waitFor(sh, /locked (\d+)/);
      expect(() => lockDir(dir)).toThrow(`in use by process ${pid}`);
      process.kill(Number(pid), 'SIGKILL');
      let state = '';
      for (let i = 0; i < 100 && !state.startsWith('Z'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        state = /State:\s+(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
      }
      expect(state).toBe('Z'); // dead, not reaped: kill(pid, 0) still succeeds
      expect(() => process.kill(Number(pid), 0)).not.toThrow();
      const release = lockDir(dir);
      expect(readFileSync(join(dir, 'events.lock'), 'utf8')).toBe(`${process.pid}\n`);
      release();
    } finally {
      sh.child.kill('SIGKILL');
      await once(sh.child, 'exit').catch(() => {});
    }
  });
});
