import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p`: makes `dir` and every missing folder above it, each with `mode`; a folder that exists is kept.
 *
 * Not `mkdirSync(dir, { recursive: true })`: Node's recursive mkdir (20.x, and 22 the same) never returns when a
 * folder's parent exists but cannot hold it — a path under /proc or /sys, where mkdir says ENOENT although the
 * parent is there: it makes the parent (EEXIST), tries the child again (ENOENT), and so on, at 100 % CPU
 * (nodejs/node's recursive mkdir; the same loop is reported against bun's and mkdirp's). `--data-dir /proc/x`
 * or `ca init --dir /proc/x` hung the process. Used for every folder the emulator makes: the store's, the event
 * log's, the tenant policy state's and the local CA's. Here every step goes up one folder until one exists, then down
 * once: a failure on the way down is final and thrown as the system gave it (ENOENT, EACCES, ENOTDIR, …).
 */
export function makeDir(dir: string, mode = 0o777): void {
  const missing: string[] = [];
  for (let p = resolve(dir); ; ) {
    try {
      mkdirSync(p, { mode });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        // there: a folder (or a link to one) ends the walk up; a file or a dangling link is an error of its own
        if (!statSync(p).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), { code: 'ENOTDIR', path: p });
        break;
      }
      const parent = dirname(p);
      if (code !== 'ENOENT' || parent === p) throw err;
      missing.push(p);
      p = parent;
    }
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i], { mode });
    } catch (err) {
      // made meanwhile by another process: fine when it is a folder
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(missing[i]).isDirectory()) throw err;
    }
  }
}
