// Preloaded with `node --import` by help-imports.test.ts: appends to the file named by $RECORD_MODULES, one URL a
// line, every module the process loads. ES modules (static and dynamic imports alike, and a CommonJS package's
// entry when an ES module imports it) are seen by a module.register load hook, which runs on the loader thread
// before the module is evaluated; CommonJS modules required by other CommonJS modules (which on Node 20 pass no
// ESM hook) are taken from require's cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.RECORD_MODULES;
if (!file) throw new Error('record-modules.mjs: set RECORD_MODULES to the file to write');

const hooks = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, nextLoad) {
  appendFileSync(file, url + '\\n');
  return nextLoad(url, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { file } });

const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const lines = Object.keys(cache).map((p) => `${pathToFileURL(p).href}\n`).join('');
  appendFileSync(file, lines);
});
