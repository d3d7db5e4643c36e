import { Command, CommanderError } from 'commander';
import { isSimError } from '../../errors/sim-error.ts';
import { register as registerClassify } from './commands/classify.ts';
import { register as loadCommand } from './commands/load.ts';
import { register as reportCommand } from './commands/report.ts';
import { register as verifyCommand } from './commands/verify.ts';
import { register as caCommand } from './commands/ca.ts';
import { register as serveCommand } from './commands/serve.ts';

/**
 * Each sub-command lives in its own module under ./commands and exports
 * `register(program)`. Add one line here per command.
 */
const commands: Array<(program: Command) => void> = [
  registerClassify,
  serveCommand,
  verifyCommand,
  caCommand,
  loadCommand,
  reportCommand,
];

export function buildProgram(): Command {
  const program = new Command('ingestor-sim')
    .description('Emulates the regional ingestor hosts of a security cloud and shows, per field, what the data collection notice says of it.')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
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
