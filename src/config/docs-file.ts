import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { register as registerServe } from '../tools/cli/commands/serve.ts';
import { renderConfigKeys, renderServeFlags, replaceBetween } from './docs.ts';
import { projectRoot, schemaDir } from './schema.ts';

/** docs/configuration.md as it should be: its text with the generated tables put in (scripts/config-docs.ts, the test). */
export function configDocs(): { path: string; expected: string } {
  const path = `${projectRoot}docs/configuration.md`;
  const schema = JSON.parse(readFileSync(`${schemaDir}config.schema.json`, 'utf8'));
  const program = new Command();
  registerServe(program);
  const serve = program.commands.find((c) => c.name() === 'serve');
  if (!serve) throw new Error('no serve command');
  let doc = readFileSync(path, 'utf8');
  doc = replaceBetween(doc, 'serve-flags', renderServeFlags(serve));
  doc = replaceBetween(doc, 'config-keys', renderConfigKeys(schema));
  return { path, expected: doc };
}
