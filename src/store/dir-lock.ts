import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Lock files this process holds. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process, alive
  }
}

/**
 * One process at a time writes a region's folder: two writers appending to one log would each cut off or
 * overwrite what the other wrote. `<dir>/events.lock` holds the process id of its holder; a lock whose process
 * is gone (killed) is stale and taken over. Returns the function that releases it. Throws when the folder is
 * open in this process already, or in another live process.
 */
export function lockDir(dir: string): () => void {
  const path = join(dir, 'events.lock');
  if (held.has(path)) throw new Error(`${dir} is open in this process already`);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch {
        continue; // released meanwhile: try again
      }
      // our own pid in a lock we do not hold: left by an earlier process with the same pid (a container's 1)
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`${dir} is in use by process ${pid} (another ingestor-sim serve?): stop it, or give this one another --data-dir`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    held.add(path);
    return () => {
      if (held.delete(path)) rmSync(path, { force: true });
    };
  }
  throw new Error(`${path}: could not take the lock`);
}
