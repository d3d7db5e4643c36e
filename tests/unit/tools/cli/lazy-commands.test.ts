import { describe, expect, it } from 'vitest';
import { packagesLoadedBy } from '../../../helpers/packages-loaded.ts';
import { buildProgram, commandOf, COMMANDS } from '../../../../src/tools/cli/index.ts';

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
