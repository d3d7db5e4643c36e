/**
 * One benchmark target in its own process (so the server and the load generator do not share an event loop):
 *   bare   Fastify that JSON.parses each line of the batch and discards it (the least any HEC server must do)
 *   none   the emulator (buildApp) with store none
 *   store  the emulator with the default store (SQLite) in a temp dir
 * The emulator is the compiled build (dist/), as users run it.
 * Started by bench/http.ts with fork(); it sends {port} once listening, answers 'cpu' with {cpu: process.cpuUsage()},
 * and exits on 'close' or when the parent goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';

type Kind = 'bare' | 'none' | 'store';

async function bare(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 100 * 1024 * 1024, keepAliveTimeout: 75_000 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/services/collector/event', async (req, reply) => {
    const text = req.body as string;
    let n = 0;
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      JSON.parse(line);
      n++;
    }
    if (n === 0) return reply.code(400).send({ text: 'No data', code: 5 });
    return { text: 'Success', code: 0 };
  });
  return app;
}

/**
 * The emulator as users run it: the compiled build (dist/, `npm run build`; bench/http.ts builds first), so that
 * its threads run compiled modules, not the sources through tsx. A third argument sets ingest.workers (default:
 * the config's default); a fourth, another build's directory (bench/http-ab.ts compares two builds), or `src`
 * for the sources through tsx.
 */
async function emulator(kind: 'none' | 'store', dataDir: string): Promise<FastifyInstance> {
  // `src`: the TypeScript sources through tsx (every thread registers tsx), as the bench measured before
  const fromSource = process.argv[4] === 'src';
  const dist = process.argv[4] && !fromSource ? new URL(`file://${resolve(process.argv[4])}/`) : new URL('../dist/', import.meta.url);
  const { buildApp } = (fromSource ? await import('../src/service/app.ts') : await import(new URL('service/app.js', dist).href)) as typeof import('../src/service/app.ts');
  const { buildConfig } = (fromSource ? await import('../src/config/config.ts') : await import(new URL('config/config.js', dist).href)) as typeof import('../src/config/config.ts');
  const workers = !process.argv[3] ? {} : { ingestWorkers: Number(process.argv[3]) };
  const cfg = buildConfig(null, { dataDir, logLevel: 'silent', ...workers, ...(kind === 'none' ? { store: 'none' as const } : {}) });
  return buildApp(cfg, { logger: false });
}

const kind = process.argv[2] as Kind;
if (!['bare', 'none', 'store'].includes(kind)) {
  process.stderr.write(`http-target: unknown kind '${kind}' (bare, none, store)\n`);
  process.exit(2);
}
const dataDir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
const app = kind === 'bare' ? await bare() : await emulator(kind, dataDir);
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as { port: number };
const shutdown = async () => {
  await app.close().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('message', (m) => {
  if (m === 'close') void shutdown();
  // this process's CPU (getrusage RUSAGE_SELF: user + system of every thread, the ingest and writer threads too)
  else if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => void shutdown());
process.send?.({ port });
