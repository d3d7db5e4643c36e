import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../src/config/schema.ts';

// Prints, when the process exits, the CommonJS packages it loaded (fastify, ajv, undici, better-sqlite3 ... are
// CommonJS; an ESM import of one lands in the same cache).
const REPORT_PACKAGES = `data:text/javascript,${encodeURIComponent(
  "import { createRequire } from 'node:module';"
  + "const cache = createRequire('/').cache;"
  + "process.on('exit', () => process.stderr.write('\\nPACKAGES ' + JSON.stringify([...new Set(Object.keys(cache)"
  + ".map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean))].sort()) + '\\n'));",
)}`;

/** Runs the shipped CLI (dist/, built by the global setup) with `args` (and `input` on stdin) and says which packages it loaded. */
export function packagesLoadedBy(args: string[], input?: string): { status: number | null; stdout: string; stderr: string; packages: string[] } {
  const r = spawnSync(process.execPath, ['--import', REPORT_PACKAGES, 'bin/ingestor-sim.js', ...args], { cwd: projectRoot, encoding: 'utf8', input });
  const m = /\nPACKAGES (.*)\n/.exec(r.stderr);
  if (!m) throw new Error(`no package report: ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, packages: JSON.parse(m[1]) as string[] };
}
