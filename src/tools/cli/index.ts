import { Command, CommanderError, Help } from 'commander';
import { isSimError } from '../../errors/sim-error.ts';

/**
 * Each sub-command lives in its own module under ./commands and exports `register(program)`, which defines it
 * and its action. None is imported until its command runs: `ingestor-sim --help` and a mistyped command need only
 * commander, and `ingestor-sim serve ...` (or `help serve`, `serve --help`) imports the serve module alone. A
 * command module imports at its top only what defining its options needs (commander, small tables); its action
 * imports what it needs (the service, the load generator, TLS ...) with `await import(...)` when it runs, so a
 * command's own help costs about what the top-level help does. tests/unit/tools/cli/help-imports.test.ts checks
 * every module each help loads.
 *
 * The top-level help lists every command from this table, with the same text the module gives it; a test
 * (tests/unit/tools/cli/lazy-commands.test.ts) checks that the help printed from the table is the help printed
 * with every module loaded. Add one entry here per command, in the order the help lists them.
 */
interface CommandEntry {
  readonly name: string;
  /** How the help lists it: the name, `[options]` if it has any, its arguments. */
  readonly term: string;
  /** The module's `.description(...)` of the command, word for word. */
  readonly description: string;
  readonly load: () => Promise<{ register(program: Command): void }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'classify',
    term: 'classify [options] <file...>',
    description: 'Classify every field of NDJSON events, HEC batches or plain text log lines against the data collection notice (offline).',
    load: () => import('./commands/classify.ts'),
  },
  {
    name: 'serve',
    term: 'serve [options]',
    description: 'Run the regional ingestor service: Splunk HEC on every region host, admin API on /admin/v1, metrics on /metrics',
    load: () => import('./commands/serve.ts'),
  },
  {
    name: 'verify',
    term: 'verify [options]',
    description: 'Checks, per regional ingestor host, DNS, TCP, TLS and the HEC endpoint, and says what a firewall or proxy in between does.',
    load: () => import('./commands/verify.ts'),
  },
  {
    name: 'ca',
    term: 'ca',
    description: 'Local certificate authority for serving the regional host names over TLS.',
    load: () => import('./commands/ca.ts'),
  },
  {
    name: 'load',
    term: 'load [options]',
    description: 'Drive a Splunk HEC endpoint (the emulator or any other) with realistic security events and report latency and throughput',
    load: () => import('./commands/load.ts'),
  },
  {
    name: 'report',
    term: 'report',
    description: 'Work with the JSON reports of `ingestor-sim load --json`',
    load: () => import('./commands/report.ts'),
  },
];

/** Marks the commands that are only listed (their module not loaded): the help shows them by their entry's term. */
const STUB = Symbol('ingestor-sim.stub');
type Stub = Command & { [STUB]?: CommandEntry };

/**
 * The program with the commands named in `load` defined by their modules (imported now) and every other one only
 * listed, by name and description, enough for the top-level help and for commander's "unknown command" advice.
 * `load` defaults to every command.
 */
export async function buildProgram(load: Iterable<string> = COMMANDS.map((c) => c.name)): Promise<Command> {
  const wanted = new Set(load);
  const modules = await Promise.all(COMMANDS.map((c) => (wanted.has(c.name) ? c.load() : null)));
  const program = new Command('ingestor-sim')
    .description('Emulates the regional ingestor hosts of a security cloud and shows, per field, what the data collection notice says of it.')
    .showHelpAfterError()
    .exitOverride();
  const help = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => (cmd as Stub)[STUB]?.term ?? help.subcommandTerm(cmd) });
  COMMANDS.forEach((entry, i) => {
    const mod = modules[i];
    if (mod) {
      mod.register(program);
      return;
    }
    const stub: Stub = program.command(entry.name).description(entry.description);
    stub[STUB] = entry;
  });
  return program;
}

/**
 * The command `argv` runs (`node bin ARGS`): the first argument if it names one, or the one `help NAME` asks
 * about. The program has no options of its own, so a command is always the first argument.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  const name = args[0] === 'help' ? args[1] : args[0];
  return COMMANDS.some((c) => c.name === name) ? name : undefined;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const command = commandOf(argv);
    const program = await buildProgram(command === undefined ? [] : [command]);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit with 0, usage errors with 2
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isSimError(err)) {
      // a command's own failure (SIM_ERR_USAGE, SIM_ERR_CLI_FAILED) says only what was wrong; any other code its text too
      const own = err.code === 'SIM_ERR_USAGE' || err.code === 'SIM_ERR_CLI_FAILED';
      process.stderr.write(`ingestor-sim: ${own ? err.detail ?? err.message : err.message}\n`);
      return err.exitStatus;
    }
    process.stderr.write(`ingestor-sim: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
