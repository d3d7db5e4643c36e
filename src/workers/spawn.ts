import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread from a module beside `from` (the caller's import.meta.url), by its name without
 * extension. From the compiled build (dist/, .js) the thread runs the compiled module itself; from the
 * TypeScript sources (tests, `npm run dev`) it runs dev-entry.mjs, which registers tsx in the thread (a
 * worker does not inherit its parent's loader) and then imports the .ts module.
 */
export function spawnWorker(name: string, from: string, options: WorkerOptions = {}): Worker {
  const fromSource = from.endsWith('.ts');
  const file = new URL(`${name}${fromSource ? '.ts' : '.js'}`, from);
  if (!fromSource) return new Worker(file, { execArgv: [], ...options });
  return new Worker(new URL('./dev-entry.mjs', import.meta.url), { execArgv: [], ...options, argv: [file.href, ...(options.argv ?? [])] });
}
