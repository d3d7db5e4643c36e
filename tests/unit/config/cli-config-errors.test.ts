import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/config/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-conf-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `ingestor-sim ARGS` as a user runs it, with these environment variables added. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'ingestor-sim.js'), ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => { stdout += c; });
    child.stderr!.on('data', (c) => { stderr += c; });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(killer); resolve({ code, stdout, stderr }); });
  });
}

describe('serve: a bad value from any source is exit 2 and one message naming the source and the path', () => {
  it('file, environment and flag, each alone (spawned as a user runs it)', async () => {
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ adminToken: 'a-long-admin-token', tenants: [{ id: 'acme' }], tokens: [], undeclared: 'maybe' }));
    const common = ['serve', '--port', '0', '--store', 'none', '--ingest-workers', '0'];
    const [file, env, flag] = await Promise.all([
      run([...common, '--config', cfg]),
      run(common, { SIM_LOG_LEVEL: 'loud' }),
      run([...common, '--log-level', 'loud']),
    ]);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe(`ingestor-sim: config is invalid:\n  - config file ${cfg}: /undeclared: must be equal to one of the allowed values ("keep", "flag", "drop")\n`);
    expect(env.code).toBe(2);
    expect(env.stderr).toBe("ingestor-sim: development config is invalid:\n  - environment SIM_LOG_LEVEL: 'loud' is not one of fatal, error, warn, info, debug, trace, silent (config key logLevel)\n");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe("ingestor-sim: development config is invalid:\n  - flag --log-level: 'loud' is not one of fatal, error, warn, info, debug, trace, silent (config key logLevel)\n");
    for (const r of [file, env, flag]) expect(r.stdout).toBe('');
  }, 60_000);
});

describe("every command: a configuration error is exit 2 with its message, never a stack trace", () => {
  it('report merge of a file that is not a load report: exit 2, the problems listed', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify({ not: 'a report' }));
    writeFileSync(b, JSON.stringify({ not: 'a report' }));
    const r = await run(['report', 'merge', a, b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ingestor-sim: .*a\.json.* is invalid:\n  - /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(r.stdout).toBe('');
  }, 60_000);
});
