/**
 * npm run docs:config — writes docs/configuration.md's generated tables (src/config/docs.ts): the config keys
 * from schemas/config.schema.json and serve's flags from its command definition.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configDocs } from '../src/config/docs-file.ts';

const { path, expected } = configDocs();
const before = readFileSync(path, 'utf8');
if (before === expected) process.stdout.write(`${path}: up to date\n`);
else {
  writeFileSync(path, expected);
  process.stdout.write(`${path}: written\n`);
}
