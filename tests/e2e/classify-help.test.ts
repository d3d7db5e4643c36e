import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/schema.ts';

// Prints, when the process exits, the CommonJS packages it loaded (Ajv, which validates the catalog when the
// classifier's index is imported, is one; an ESM import of one lands in the same cache).
const REPORT_PACKAGES = `data:text/javascript,${encodeURIComponent(
  "import { createRequire } from 'node:module';"
  + "const cache = createRequire('/').cache;"
  + "process.on('exit', () => process.stderr.write('\\nPACKAGES ' + JSON.stringify([...new Set(Object.keys(cache)"
  + ".map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean))].sort()) + '\\n'));",
)}`;

/** Runs the shipped CLI (dist/, built by the global setup) and says which packages it loaded. */
function packagesLoadedBy(args: string[], input?: string): { status: number | null; stdout: string; stderr: string; packages: string[] } {
  const r = spawnSync(process.execPath, ['--import', REPORT_PACKAGES, 'bin/ingestor-sim.js', ...args], { cwd: projectRoot, encoding: 'utf8', input });
  const m = /\nPACKAGES (.*)\n/.exec(r.stderr);
  if (!m) throw new Error(`no package report: ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, packages: JSON.parse(m[1]) as string[] };
}

describe('classify --help loads no more than the top-level help', () => {
  it('`classify --help` loads commander only; classifying loads the catalog validator (Ajv) as well', () => {
    const help = packagesLoadedBy(['classify', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: ingestor-sim classify [options] <file...>');
    expect(help.packages).toEqual(['commander']);

    // the same process with work to do does load them: the report above would see them if they were static
    const run = packagesLoadedBy(['classify', '--json', '-'], '{"user":"alice"}\n');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('"path":"user"');
    expect(run.packages).toContain('ajv');
  });

  it('the command module imports the classifier, the filter and the policy modules only in its action', () => {
    const src = readFileSync(new URL('../../src/tools/cli/commands/classify.ts', import.meta.url), 'utf8');
    const statics = [...src.matchAll(/^import (?!type )(?:[^;]*? from )?'([^']+)';$/gm)].map((m) => m[1]);
    expect(statics.length).toBeGreaterThan(3);
    for (const s of statics) expect(s, s).not.toMatch(/pipeline\/(classify\/(index|compile)|filter\/|policy\/)/);
  });
});
