import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDir } from '../../../src/fs/make-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'make-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('makeDir', () => {
  it('makes every missing folder, with the mode asked for', () => {
    const dir = join(root, 'a', 'b', 'c');
    makeDir(dir, 0o700);
    for (const d of [join(root, 'a'), join(root, 'a', 'b'), dir]) {
      expect(statSync(d).isDirectory()).toBe(true);
      expect(statSync(d).mode & 0o777).toBe(0o700 & ~process.umask());
    }
  });

  it('keeps a folder that exists, and one reached through a link', () => {
    makeDir(join(root, 'a', 'b'));
    symlinkSync(join(root, 'a'), join(root, 'link'));
    makeDir(join(root, 'link', 'b', 'd'));
    expect(statSync(join(root, 'a', 'b', 'd')).isDirectory()).toBe(true);
  });

  it('throws ENOTDIR when a file stands where a folder should, and ENOENT below a dangling link', () => {
    writeFileSync(join(root, 'file'), '');
    expect(() => makeDir(join(root, 'file', 'x'))).toThrow(/ENOTDIR/);
    expect(() => makeDir(join(root, 'file'))).toThrow(/ENOTDIR/);
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    expect(() => makeDir(join(root, 'dangling', 'x'))).toThrow(/ENOENT|ENOTDIR/);
  });

  // Node's own mkdirSync(…, { recursive: true }) never returns here (it spins between /proc and /proc/x): the test's timeout catches a hang
  it.runIf(process.platform === 'linux')('fails at once under /proc, where the parent exists but cannot hold a folder', () => {
    expect(() => makeDir('/proc/ingestor-sim-test/x')).toThrow(/ENOENT/);
  });
});
