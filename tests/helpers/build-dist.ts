import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: builds dist/ (scripts/build.mjs, incremental: about a second when nothing changed) before
 * any test runs, so the tests that spawn `bin/ingestor-sim.js` (tests/e2e, the CLI tests of tests/socket) run the
 * compiled build a user runs, worker threads included. Tests that import src/ run the sources. A type error does
 * not stop the tests (vitest runs the sources despite one too; `npm test` type-checks before vitest).
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--allow-type-errors'], { cwd: root, encoding: 'utf8' });
  // tsc's type errors (on stdout) when the build went on despite them
  if (r.stdout || r.stderr) process.stderr.write(`${r.stdout}${r.stderr}`);
  if (r.status !== 0) throw new Error(`building dist/ failed (node scripts/build.mjs, exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}
