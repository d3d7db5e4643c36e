import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { flockSync } from 'fs-ext';

/** Lock files this process holds. */
const held = new Set<string>();

/** The modes of the data folder's files and folders: only their owner reads them (they hold clients' data). */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * One process at a time writes a region's folder: two writers appending to one log would each cut off or
 * overwrite what the other wrote. The lock is the operating system's: an exclusive `flock(2)` (through fs-ext)
 * on `<dir>/events.lock`, taken without waiting. The kernel holds it for the open file, so it
 *  - excludes a second writer in another PID namespace (two containers sharing a volume, both PID 1), on the
 *    same machine: no process id is compared;
 *  - is taken by exactly one of several processes starting at the same instant (flock is atomic);
 *  - goes with its holder's death (kill -9 included: the kernel closes the files of a process as it dies,
 *    before its parent reaps it), so a restart right after a crash is never refused, and a lock is never
 *    "stale" by guesswork.
 * The file holds the holder's process id, for the error message only. Removed at release: the file is
 * unlinked while still locked, and a taker checks after locking that the file it locked is still the one at the
 * path (else it locked a removed file, and tries again), so two processes never both hold "the" lock.
 * Returns the function that releases it. Throws when the folder is open in this process already, or in another
 * process. flock over NFS is not reliable on every system: keep a data folder on a local file system.
 */
export function lockDir(dir: string): () => void {
  const path = join(dir, 'events.lock');
  if (held.has(path)) throw new Error(`${dir} is open in this process already`);
  for (let attempt = 0; attempt < 10; attempt++) {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, FILE_MODE);
    try {
      flockSync(fd, 'exnb');
    } catch (err) {
      closeSync(fd);
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') throw err;
      let holder = '';
      try {
        holder = readFileSync(path, 'utf8').trim();
      } catch {
        // released meanwhile: the message names no process
      }
      throw new Error(`${dir} is in use by process ${holder || '(unknown)'} (another ingestor-sim serve?): stop it, or give this one another --data-dir`);
    }
    let same = false;
    try {
      const mine = fstatSync(fd);
      const now = statSync(path);
      same = mine.ino === now.ino && mine.dev === now.dev;
    } catch {
      // removed by its releasing holder after we opened it
    }
    if (!same) {
      closeSync(fd); // we locked a file no longer at the path: take the new one
      continue;
    }
    try {
      ftruncateSync(fd, 0);
      writeSync(fd, `${process.pid}\n`, 0);
      fchmodSync(fd, FILE_MODE);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    held.add(path);
    return () => {
      if (!held.delete(path)) return;
      try {
        unlinkSync(path); // while still locked: see above
      } catch {
        // gone already
      }
      closeSync(fd);
    };
  }
  throw new Error(`${path}: could not take the lock (the file kept being replaced)`);
}
