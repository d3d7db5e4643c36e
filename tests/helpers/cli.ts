import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/config/schema.ts';
import { NODE_FLAGS } from '../../src/tools/cli/node-flags.ts';

export interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/**
 * Runs `node bin/ingestor-sim.js ARGS` as a user would, from the project's root; killed after `timeoutMs`.
 * `whileRunning` may poke the child (e.g. send SIGINT).
 */
export function runCli(args: string[], whileRunning?: (child: ChildProcess) => void, timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, 'bin/ingestor-sim.js', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => { stdout += c; });
    child.stderr!.on('data', (c) => { stderr += c; });
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
    whileRunning?.(child);
  });
}
