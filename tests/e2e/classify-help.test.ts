import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packagesLoadedBy } from '../helpers/packages-loaded.ts';

describe('classify --help loads no more than the top-level help', () => {
  it('`classify --help` loads commander only; classifying loads the catalog validator (Ajv) as well', () => {
    const help = packagesLoadedBy(['classify', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: ingestor-sim classify [options] <file...>');
    expect(help.packages).toEqual(['commander']);

    // the same process with work to do does load them: the report above would see them if they were static
    const run = packagesLoadedBy(['classify', '--json', '-'], '{"user":"alice"}\n');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('"path":"user"');
    expect(run.packages).toContain('ajv');
  });

  it('the command module imports the classifier, the filter and the policy modules only in its action', () => {
    const src = readFileSync(new URL('../../src/tools/cli/commands/classify.ts', import.meta.url), 'utf8');
    const statics = [...src.matchAll(/^import (?!type )(?:[^;]*? from )?'([^']+)';$/gm)].map((m) => m[1]);
    expect(statics.length).toBeGreaterThan(3);
    for (const s of statics) expect(s, s).not.toMatch(/pipeline\/(classify\/(index|compile)|filter\/|policy\/)/);
  });
});
