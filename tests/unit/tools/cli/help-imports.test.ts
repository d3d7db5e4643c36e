import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../../src/config/schema.ts';

/**
 * A command's help is printed from its options alone, so `<command> --help` must load no more than the top-level
 * help does: commander, the command's module and the small tables its options are defined from. What the action
 * needs (the service, the load generator, TLS, the classifier ...) is imported when it runs. These tests run the
 * compiled build (dist/, built by the global setup) as a user does, with record-modules.mjs preloaded, which
 * writes down every module the process loads; a heavy static import added back to a command module fails them.
 */

const dist = join(projectRoot, 'dist');
const distUrl = `${pathToFileURL(dist).href}/`;
const recorder = fileURLToPath(new URL('./record-modules.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'help-imports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Loaded {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Packages of node_modules (by name, scope included). */
  packages: string[];
  /** Modules of dist/, relative to it. */
  own: string[];
  /** Built-in modules imported by an ES module (those the recorder itself imports first are not seen). */
  builtins: string[];
}

let runs = 0;
/** Runs `bin/ingestor-sim.js ARGS` and says what it loaded. */
function run(args: string[]): Loaded {
  const file = join(tmp, `modules-${runs++}.txt`);
  const r = spawnSync(process.execPath, ['--import', recorder, 'bin/ingestor-sim.js', ...args], {
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, RECORD_MODULES: file },
  });
  const urls = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  const packages = new Set<string>();
  const own = new Set<string>();
  const builtins = new Set<string>();
  for (const url of urls) {
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (pkg) packages.add(pkg[1]);
    else if (url.startsWith(distUrl)) own.add(url.slice(distUrl.length));
    else if (url.startsWith('node:')) builtins.add(url);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, packages: sorted(packages), own: sorted(own), builtins: sorted(builtins) };
}

/** What every run of the CLI loads: the entry point of dist and the error table (main reports SimErrors). */
const BASE = ['errors/codes.js', 'errors/sim-error.js', 'tools/cli/index.js'];

/**
 * The modules of dist each command's help may load, beyond BASE: its own module and the light tables its options
 * come from. A module added here must stay light (no package but commander; nothing of the service, the
 * pipeline, the store, the workers, the load generator, the reports, the checks or the CA).
 */
const HELP_MODULES: Record<string, string[]> = {
  serve: ['tools/cli/commands/serve.js', 'config/setting-defs.js', 'config/schema-error.js', 'tools/tls/defaults.js'],
  load: ['tools/cli/commands/load.js', 'tools/gen/types.js'],
  verify: ['tools/cli/commands/verify.js'],
  report: ['tools/cli/commands/report.js'],
  ca: ['tools/cli/commands/ca.js', 'tools/tls/defaults.js'],
};

/** Packages a help must never load, named so that a failure says which (the list of all packages is checked too). */
const HEAVY_PACKAGES = ['fastify', 'undici', 'better-sqlite3', 'node-forge', 'pino', 'ajv', 'ajv-formats', 'hdr-histogram-js', 'prom-client', 'p-queue', 'fs-ext', 'libphonenumber-js'];
/** Parts of dist a help must never load: the service, the pipeline (the classifier among it), the store, the threads, and the tools' engines. */
const HEAVY_OWN = /^(service|pipeline|store|workers|tools\/(loadgen|report|verify|tls\/ca|gen\/index))\b/;
const HEAVY_BUILTINS = ['node:crypto', 'node:dns', 'node:dns/promises', 'node:http', 'node:https', 'node:net', 'node:tls', 'node:worker_threads', 'node:zlib'];

function expectLight(r: Loaded, command: string | null): void {
  expect(r.packages.filter((p) => HEAVY_PACKAGES.includes(p))).toEqual([]);
  expect(r.own.filter((m) => HEAVY_OWN.test(m))).toEqual([]);
  expect(r.builtins.filter((b) => HEAVY_BUILTINS.includes(b))).toEqual([]);
  expect(r.packages).toEqual(['commander']);
  expect(r.own).toEqual([...BASE, ...(command === null ? [] : HELP_MODULES[command])].sort());
}

describe('a command\'s help loads only what defining its options needs', () => {
  it('`ingestor-sim --help` loads commander, the command table and the error table', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: ingestor-sim [options] [command]');
    expectLight(r, null);
  });

  const helps: Array<[string, string, string]> = [
    // args, the command whose module it loads, a line of its help
    ['serve --help', 'serve', '--ingest-workers <n>'],
    ['help serve', 'serve', '--tls [dir]'],
    ['load --help', 'load', '--profile <name>'],
    ['help load', 'load', '--ack-wait <time>'],
    ['verify --help', 'verify', '--resolve <host:port:addr>'],
    ['help verify', 'verify', '--timeout <duration>'],
    ['report --help', 'report', 'merge [options] <files...>'],
    ['report merge --help', 'report', '--json <file>'],
    ['report show --help', 'report', '--html <file>'],
    ['ca --help', 'ca', 'init [options]'],
    ['help ca', 'ca', 'init [options]'],
    ['ca init --help', 'ca', '--force'],
  ];
  it.each(helps)('`ingestor-sim %s` prints the help and loads none of the heavy modules', (argText, command, line) => {
    const args = argText.split(' ');
    const r = run(args);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: ingestor-sim ${args[0] === 'help' ? args[1] : args.slice(0, -1).join(' ')}`);
    expect(r.stdout).toContain(line);
    expectLight(r, command);
  });

  it('the help shows the defaults and choices that come from the light tables', () => {
    // commander wraps descriptions at 80 columns: compared with every run of white space as one space
    const help = (args: string[]) => run(args).stdout.replace(/\s+/g, ' ');
    expect(help(['serve', '--help'])).toContain('without DIR: ./.ingestor-sim/tls');
    expect(help(['ca', 'init', '--help'])).toContain('(default: "./.ingestor-sim/tls")');
    expect(help(['load', '--help'])).toContain('event mix: firewall, web-gateway, endpoint-sensor, email-sensor, network-sensor, mixed');
  });

  // The other side, so that the tests above cannot pass by seeing nothing: the recorder sees the modules an action
  // imports when it runs, and a usage or config error found after those imports keeps its message and exit status.
  it('running a command imports what its action needs, and its errors are unchanged', () => {
    const serve = run(['serve', '--config', join(tmp, 'missing.json')]);
    expect(serve.status).toBe(2);
    expect(serve.stderr).toContain('missing.json is invalid:');
    expect(serve.packages).toEqual(expect.arrayContaining(['fastify', 'better-sqlite3', 'node-forge', 'ajv']));
    expect(serve.own).toEqual(expect.arrayContaining(['service/server.js', 'pipeline/classify/index.js', 'tools/tls/ca.js']));
    expect(serve.builtins).toEqual(expect.arrayContaining(['node:http', 'node:tls', 'node:worker_threads']));

    const load = run(['load', '--token', 't', '--region', 'zz']);
    expect(load.status).toBe(2);
    expect(load.stderr).toContain("ingestor-sim: unknown region 'zz' (regions with an ingestor host: ");
    expect(load.packages).toEqual(expect.arrayContaining(['undici', 'hdr-histogram-js']));

    const verify = run(['verify', '--timeout', 'nope']);
    expect(verify.status).toBe(2);
    expect(verify.stderr).toContain("ingestor-sim: --timeout 'nope': expected a duration like 5s, 500ms or 1m");
    expect(verify.packages).toContain('undici');

    const report = run(['report', 'show', join(tmp, 'missing.json')]);
    expect(report.status).toBe(2);
    expect(report.stderr).toContain('missing.json is invalid:');
    expect(report.packages).toEqual(expect.arrayContaining(['ajv', 'hdr-histogram-js']));
  });

  it('a usage error found before the action loads nothing more than the help', () => {
    // commander refuses an unknown option while parsing, before the action (and its imports) runs
    const r = run(['verify', '--no-such-flag']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--no-such-flag'");
    expectLight(r, 'verify');
  });
});
