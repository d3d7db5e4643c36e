#!/usr/bin/env -S node --single-threaded-gc
// The flags on the line above are src/tools/cli/node-flags.ts NODE_FLAGS (why they are there is said there).
// Runs the compiled build (dist/, made by `npm ci` through `prepare`, or `npm run build`). From the TypeScript
// sources, without building: `npm run dev -- ARGS` (bin/dev.mjs, through tsx).
let cli;
try {
  cli = await import('../dist/tools/cli/index.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/tools/cli/index.js')) throw err;
  process.stderr.write('ingestor-sim: no build in dist/: run `npm run build` (or `npm ci`), or run the sources with `npm run dev -- ARGS`\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
