/** The CLI ends a command that throws a SimError with its code's exit status (src/errors/codes.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/tools/cli/index.ts';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
  const status = await main(['node', 'ingestor-sim', ...args]);
  return { status, stderr };
}

describe('exit status from the error table', () => {
  it('a bad flag value (a config error) exits 2 and names the flag, its value and the config key', async () => {
    const r = await run('serve', '--port', 'abc');
    expect(r).toEqual({ status: 2, stderr: "ingestor-sim: development config is invalid:\n  - flag --port: 'abc' is not a port number, 0-65535 (config key listen.port)\n" });
  });
  it('a flag value a library function refuses (verify --timeout) is a usage error too', async () => {
    const r = await run('verify', '--timeout', 'soon');
    expect(r).toEqual({ status: 2, stderr: "ingestor-sim: --timeout 'soon': expected a duration like 5s, 500ms or 1m\n" });
  });
  it('a runtime failure (SIM_ERR_CLI_FAILED) exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cli-exit-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'a-file'), 'x');
    const r = await run('ca', 'init', '--dir', join(dir, 'a-file', 'tls')); // a folder under a file cannot be made
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ingestor-sim: .*(ENOTDIR|EEXIST)/);
  });
  // Node's mkdirSync(…, { recursive: true }) spun forever here (src/fs/make-dir.ts); a hang is this test's timeout
  it.runIf(process.platform === 'linux')('a folder under /proc, which cannot be made, is a runtime failure too, at once', async () => {
    const r = await run('ca', 'init', '--dir', '/proc/ingestor-sim-test/tls');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ingestor-sim: ENOENT: no such file or directory, mkdir '\/proc\/ingestor-sim-test'/);
  });
});
