import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../../src/config/schema.ts';
import { buildProgram, commandOf, COMMANDS } from '../../../../src/tools/cli/index.ts';

// Prints, when the process exits, the CommonJS packages it loaded (fastify, ajv, undici, better-sqlite3 ... are
// CommonJS; an ESM import of one lands in the same cache).
const REPORT_PACKAGES = `data:text/javascript,${encodeURIComponent(
  "import { createRequire } from 'node:module';"
  + "const cache = createRequire('/').cache;"
  + "process.on('exit', () => process.stderr.write('\\nPACKAGES ' + JSON.stringify([...new Set(Object.keys(cache)"
  + ".map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean))].sort()) + '\\n'));",
)}`;

/** Runs the shipped CLI (dist/, built by the global setup) and says which packages it loaded. */
function packagesLoadedBy(args: string[]): { status: number | null; stdout: string; stderr: string; packages: string[] } {
  const r = spawnSync(process.execPath, ['--import', REPORT_PACKAGES, 'bin/ingestor-sim.js', ...args], { cwd: projectRoot, encoding: 'utf8' });
  const m = /\nPACKAGES (.*)\n/.exec(r.stderr);
  if (!m) throw new Error(`no package report: ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, packages: JSON.parse(m[1]) as string[] };
}

describe('CLI commands are loaded when they run', () => {
  it('the help printed from the command table is the help printed with every command module loaded', async () => {
    const listed = await buildProgram([]);
    const loaded = await buildProgram();
    expect(loaded.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
    expect(listed.helpInformation()).toBe(loaded.helpInformation());
    for (const entry of COMMANDS) {
      expect(loaded.commands.find((c) => c.name() === entry.name)!.description(), entry.name).toBe(entry.description);
    }
  });

  it('finds the command to load: the first argument, or the one `help` names', () => {
    expect(commandOf(['node', 'bin', 'serve', '--port', '0'])).toBe('serve');
    expect(commandOf(['node', 'bin', 'help', 'ca'])).toBe('ca');
    expect(commandOf(['node', 'bin', 'ca', 'init', '--help'])).toBe('ca');
    expect(commandOf(['node', 'bin', '--help'])).toBeUndefined();
    expect(commandOf(['node', 'bin', 'help'])).toBeUndefined();
    expect(commandOf(['node', 'bin', 'serv'])).toBeUndefined();
    expect(commandOf(['node', 'bin'])).toBeUndefined();
  });

  it('`ingestor-sim --help` loads commander and nothing else; running `serve` loads the service', () => {
    const top = packagesLoadedBy(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('serve [options]');
    expect(top.packages).toEqual(['commander']);

    // the serve module is loaded and its action runs (and fails: no such config file); `serve --help` loads no
    // more than the top-level help (help-imports.test.ts)
    const serve = packagesLoadedBy(['serve', '--config', '/nonexistent/ingestor-sim.json']);
    expect(serve.status).toBe(2);
    expect(serve.stderr).toContain('/nonexistent/ingestor-sim.json is invalid:');
    expect(serve.packages).toContain('fastify');
  });

  it('a mistyped command is refused with the suggestion and the list, still without loading a command', () => {
    const r = packagesLoadedBy(['serv']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: unknown command 'serv'");
    expect(r.stderr).toContain('(Did you mean serve?)');
    expect(r.stderr).toContain('Commands:');
    expect(r.packages).toEqual(['commander']);
  });
});
