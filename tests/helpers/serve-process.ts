import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/schema.ts';
import { NODE_FLAGS } from '../../src/tools/cli/node-flags.ts';

/**
 * `ingestor-sim serve` as a user runs it, in its own process (its own file descriptors and memory, so a test
 * can hold thousands of sockets against it, read its peak memory, or kill -9 it). Port 0: the URL comes from
 * the banner.
 */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  dataDir: string;
  stderr(): string;
  /** Resident set size now and its peak (VmRSS, VmHWM of /proc/PID/status), bytes. */
  memory(): { rss: number; peak: number };
  /** SIGTERM (or the signal given) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const HEC_TOKEN = '11111111-1111-4111-8111-111111111111';
export const ACK_TOKEN = '33333333-3333-4333-8333-333333333333';
export const ADMIN_TOKEN = 'reliability-admin-token';

export function configFile(dir: string, limits: Record<string, number> = {}, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({
    adminToken: ADMIN_TOKEN,
    tenants: [{ id: 'acme', uploadPermission: {} }],
    tokens: [
      { token: HEC_TOKEN, tenant: 'acme', region: 'us' },
      { token: ACK_TOKEN, tenant: 'acme', region: 'us', useAck: true },
    ],
    undeclared: 'keep',
    limits,
    ...extra,
  }));
  return path;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function startServe(args: string[], dataDir: string, timeoutMs = 20_000): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, 'bin/ingestor-sim.js', 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...args], {
      cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not start in ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
    child.stderr!.on('data', (c) => { stderr += c; });
    child.stdout!.on('data', (c) => {
      stdout += c;
      const m = /serving \d+ regions on (http:\/\/[^ ]+)/.exec(stdout);
      if (m && timer) {
        clearTimeout(timer);
        resolve({
          child, url: m[1], dataDir,
          stderr: () => stderr,
          memory() {
            const st = readFileSync(`/proc/${child.pid}/status`, 'utf8');
            const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1] ?? NaN) * 1024;
            return { rss: kb('VmRSS'), peak: kb('VmHWM') };
          },
          async stop(signal: NodeJS.Signals = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            const r = await exited;
            clearTimeout(killer);
            return r;
          },
        });
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before listening: ${stderr}`)); });
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
