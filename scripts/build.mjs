#!/usr/bin/env node
// The build: src/ → dist/ (`npm run build`; `prepare` runs it, so `npm ci` builds; the tests' global setup runs it
// so tests/e2e run what ships). Plain JavaScript on purpose, so it runs before anything is built.
//   1. tsc -p tsconfig.build.json (incremental: a second run with nothing changed takes about a second);
//   2. the plain-JavaScript modules of src (*.mjs) are copied as they are (tsc leaves a .mjs typed by a .d.mts);
//      src/workers/dev-entry.mjs is not: it only starts threads from the sources, through tsx;
//   3. files of dist whose source is gone (a module deleted, or renamed from .mjs to .ts) are removed.
// --clean removes dist first. A type error fails the build (dist/ then holds what tsc emitted anyway), except with
// --allow-type-errors (the tests' global setup: vitest runs the sources despite type errors too, and `npm test`
// type-checks before it). Without typescript (`npm ci --omit=dev`) it keeps a dist that exists, else it fails
// saying what to do: dist is built with the devDependencies, then they may be pruned (see the Dockerfile).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const quiet = process.argv.includes('--quiet');
const allowTypeErrors = process.argv.includes('--allow-type-errors');
const say = (s) => { if (!quiet) process.stderr.write(`build: ${s}\n`); };
/** Sources only ever run from src/, never copied. */
const SOURCE_ONLY = new Set(['workers/dev-entry.mjs']);

if (process.argv.includes('--clean')) rmSync(dist, { recursive: true, force: true });

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (existsSync(join(dist, 'tools/cli/index.js'))) {
    say('typescript is not installed (npm ci --omit=dev?): keeping the dist/ that exists');
    process.exit(0);
  }
  process.stderr.write('build: typescript is not installed (npm ci --omit=dev?) and there is no dist/ to run.\n'
    + '  Build with the devDependencies (npm ci), then drop them if you like (npm prune --omit=dev).\n');
  process.exit(1);
}

const t0 = performance.now();
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
// tsc exits 2 when it found errors and emitted all the same, 1 when it emitted nothing
const typeErrors = r.status === 2;
if (r.status !== 0 && !(typeErrors && allowTypeErrors)) {
  process.stderr.write(`build: tsc failed (exit ${r.status ?? r.signal})${typeErrors ? ': type errors (dist/ holds what it emitted)' : ''}\n`);
  process.exit(1);
}
if (typeErrors) process.stderr.write('build: type errors above; dist/ emitted all the same (--allow-type-errors)\n');

/** Files under dir, as paths relative to it. */
function walk(dir, base = dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

const sources = new Set(walk(src));
let copied = 0;
for (const f of sources) {
  if (!f.endsWith('.mjs') || SOURCE_ONLY.has(f)) continue;
  const to = join(dist, f);
  const from = join(src, f);
  if (existsSync(to) && statSync(to).mtimeMs >= statSync(from).mtimeMs) continue;
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  copied++;
}

// x.js and x.js.map come from x.ts; x.mjs from x.mjs; anything else in dist (but tsc's own build info) is stale
let removed = 0;
for (const f of walk(dist)) {
  if (f === '.tsbuildinfo') continue;
  const base = f.replace(/\.map$/, '');
  const from = base.endsWith('.js') ? [base.replace(/\.js$/, '.ts')] : base.endsWith('.mjs') ? [base] : [];
  if (from.some((s) => sources.has(s) && !SOURCE_ONLY.has(s))) continue;
  rmSync(join(dist, f));
  removed++;
}

say(`dist/ built in ${Math.round(performance.now() - t0)} ms (${copied} .mjs copied, ${removed} stale files removed)`);
