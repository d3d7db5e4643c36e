import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Set to 1, a thread inherits the process's profiling flags (--cpu-prof*, --heap-prof*), so that
 * `node --cpu-prof` writes a profile per thread (bench/http-profile.ts); else threads get no flags.
 */
export const INHERIT_PROFILING_ENV = 'SIM_THREADS_INHERIT_PROFILING';

function threadExecArgv(): string[] {
  if (process.env[INHERIT_PROFILING_ENV] !== '1') return [];
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (!/^--(cpu|heap)-prof/.test(argv[i])) continue;
    out.push(argv[i]);
    // a flag with its value apart (`--cpu-prof-dir /tmp/prof`) keeps it
    if (/^--(cpu|heap)-prof-(dir|name|interval)$/.test(argv[i]) && i + 1 < argv.length) out.push(argv[++i]);
  }
  return out;
}

/**
 * Starts a worker thread from a module beside `from` (the caller's import.meta.url), by its name without
 * extension. From the compiled build (dist/, .js) the thread runs the compiled module itself; from the
 * TypeScript sources (tests, `npm run dev`) it runs dev-entry.mjs, which registers tsx in the thread (a
 * worker does not inherit its parent's loader) and then imports the .ts module.
 */
export function spawnWorker(name: string, from: string, options: WorkerOptions = {}): Worker {
  const fromSource = from.endsWith('.ts');
  const file = new URL(`${name}${fromSource ? '.ts' : '.js'}`, from);
  const execArgv = threadExecArgv();
  if (!fromSource) return new Worker(file, { execArgv, ...options });
  return new Worker(new URL('./dev-entry.mjs', import.meta.url), { execArgv, ...options, argv: [file.href, ...(options.argv ?? [])] });
}
