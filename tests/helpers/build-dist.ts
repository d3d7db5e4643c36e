import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: builds dist/ (scripts/build.mjs, incremental: about a second when nothing changed) before
 * any test runs, so the tests that spawn `bin/ingestor-sim.js` (tests/e2e, the CLI tests of tests/socket) run the
 * compiled build a user runs, worker threads included. Tests that import src/ run the sources.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ failed (node scripts/build.mjs, exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}
