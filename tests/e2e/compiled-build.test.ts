import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/schema.ts';
import { spawnWorker } from '../../src/workers/spawn.ts';

// dist/ is built by the global setup (tests/helpers/build-dist.ts) from the sources these tests see.
const dist = join(projectRoot, 'dist');

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const modules = walk(dist).filter((f) => /\.m?js$/.test(f));
/** Module specifiers of a compiled file: static imports and exports, dynamic imports, `new URL(..., import.meta.url)`. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  for (const re of [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\s+['"]([^'"]+)['"]/g, /new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g]) {
    for (const m of code.matchAll(re)) out.push(m[1]);
  }
  return out;
}

describe('the compiled build (dist/)', () => {
  it('mirrors src: every TypeScript module compiled, every plain-JavaScript one copied, nothing more', () => {
    const src = join(projectRoot, 'src');
    const expected = walk(src)
      .map((f) => relative(src, f))
      .filter((f) => (f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.d.mts')) || (f.endsWith('.mjs') && f !== join('workers', 'dev-entry.mjs')))
      .map((f) => f.replace(/\.ts$/, '.js'))
      .sort();
    expect(modules.map((f) => relative(dist, f)).sort()).toEqual(expected);
    // dist/config/schema.js lies where src/config/schema.ts does, one level under the root
    expect(existsSync(join(dist, 'config', 'schema.js'))).toBe(true);
  });

  it('resolves every relative module it names (static, dynamic, worker URLs) to a compiled file, and never names tsx or a .ts file', () => {
    let relativeCount = 0;
    for (const file of modules) {
      const code = readFileSync(file, 'utf8');
      for (const s of specifiers(code)) {
        expect(s, `${relative(dist, file)} imports ${s}`).not.toMatch(/^tsx(\/|$)|\.[mc]?ts$/);
        if (!s.startsWith('.')) continue;
        // spawn.ts names dev-entry.mjs only for a caller that is a .ts file, which no file of dist is
        if (relative(dist, file) === join('workers', 'spawn.js') && s === './dev-entry.mjs') continue;
        relativeCount++;
        expect(existsSync(join(dirname(file), s)), `${relative(dist, file)} imports ${s}`).toBe(true);
      }
    }
    // the command table's dynamic imports and the store writer's worker URL are among them
    const cli = readFileSync(join(dist, 'tools', 'cli', 'index.js'), 'utf8');
    expect(specifiers(cli)).toEqual(expect.arrayContaining(['./commands/serve.js', './commands/classify.js']));
    expect(relativeCount).toBeGreaterThan(100);
  });

  it('finds schemas/, regions/ and the catalog at the project root from dist/config/schema.js', async () => {
    const schema = (await import(pathToFileURL(join(dist, 'config', 'schema.js')).href)) as typeof import('../../src/config/schema.ts');
    expect(schema.projectRoot).toBe(projectRoot);
    expect(existsSync(join(schema.schemaDir, 'catalog.json'))).toBe(true);
    expect(readdirSync(schema.regionDir).some((f) => f.endsWith('.json'))).toBe(true);
  });
});

describe('spawnWorker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spawn-worker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a compiled .js module as it is, and a .ts module through tsx, each beside the caller', async () => {
    writeFileSync(join(dir, 'echo.js'), "import { parentPort, workerData } from 'node:worker_threads';\nparentPort.postMessage(`js:${workerData}`);\n");
    writeFileSync(join(dir, 'echo.ts'), "import { parentPort, workerData } from 'node:worker_threads';\nconst tag: string = 'ts';\nparentPort!.postMessage(`${tag}:${workerData as string}`);\n");
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    const run = (from: string) => new Promise<string>((resolve, reject) => {
      const w = spawnWorker('./echo', pathToFileURL(join(dir, from)).href, { workerData: 'hi' });
      w.once('message', (m: string) => { void w.terminate(); resolve(m); });
      w.once('error', reject);
    });
    expect(await run('caller.js')).toBe('js:hi');
    expect(await run('caller.ts')).toBe('ts:hi');
  });
});

describe('the shipped CLI', () => {
  it('runs dist/ and, without a build, says how to get one', () => {
    const bin = readFileSync(join(projectRoot, 'bin', 'ingestor-sim.js'), 'utf8');
    expect(bin).toContain("import('../dist/tools/cli/index.js')");
    // a copy of bin/ beside no dist/: the message, exit 1
    const bare = mkdtempSync(join(tmpdir(), 'no-dist-'));
    try {
      writeFileSync(join(bare, 'package.json'), '{"type":"module"}\n');
      const binDir = join(bare, 'bin');
      mkdirSync(binDir);
      writeFileSync(join(binDir, 'ingestor-sim.js'), bin);
      const r = spawnSync(process.execPath, [join(binDir, 'ingestor-sim.js'), '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('no build in dist/: run `npm run build`');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('the development entry runs the sources through tsx', () => {
    const r = spawnSync(process.execPath, ['bin/dev.mjs', '--help'], { cwd: projectRoot, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: ingestor-sim');
  });
});
