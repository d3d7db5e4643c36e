// A process that takes a region folder's lock, for tests/unit/store/reliability-lock.test.ts.
//   hold DIR            take the lock (or print `refused: <why>` and exit 3), print `locked <pid>`, hold until killed
//   race DIR AT HOLDMS  wait until the clock reads AT (ms since the epoch), try once: print `won` and hold for
//                       HOLDMS, or print `lost: <why>`; exit 0 either way
import { lockDir } from '../../src/store/dir-lock.ts';

const [mode, dir, at, holdMs] = process.argv.slice(2);
if (mode === 'hold') {
  try {
    lockDir(dir);
  } catch (err) {
    process.stdout.write(`refused: ${(err as Error).message}\n`);
    process.exit(3);
  }
  process.stdout.write(`locked ${process.pid}\n`);
  setInterval(() => {}, 60_000);
} else if (mode === 'race') {
  const start = Number(at);
  while (Date.now() < start) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(20, start - Date.now() - 2))));
  while (Date.now() < start) { /* the last milliseconds: spin, so that all start together */ }
  try {
    lockDir(dir);
    process.stdout.write('won\n');
    await new Promise((r) => setTimeout(r, Number(holdMs)));
  } catch (err) {
    process.stdout.write(`lost: ${(err as Error).message}\n`);
  }
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
