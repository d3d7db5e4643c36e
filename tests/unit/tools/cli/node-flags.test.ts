import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../../src/config/schema.ts';
import { NODE_FLAGS } from '../../../../src/tools/cli/node-flags.ts';

const bin = join(projectRoot, 'bin', 'ingestor-sim.js');

describe('the Node.js flags the command runs with (NODE_FLAGS)', () => {
  it('are the flags of bin/ingestor-sim.js\'s first line, after `env -S node`', () => {
    const first = readFileSync(bin, 'utf8').split('\n')[0];
    expect(first.startsWith('#!/usr/bin/env -S node')).toBe(true);
    expect(first.slice('#!/usr/bin/env -S node'.length).trim().split(/\s+/).filter(Boolean)).toEqual([...NODE_FLAGS]);
  });

  it('are the flags of `npm start`', () => {
    const start = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toBe(`node ${NODE_FLAGS.join(' ')} bin/ingestor-sim.js serve`);
  });

  it('reach the process when the command is run through its first line, as an installed bin is', () => {
    // the script itself is executed (its #! line), and a module imported first prints the flags the process got
    const dir = mkdtempSync(join(tmpdir(), 'node-flags-'));
    const show = join(dir, 'show.mjs');
    writeFileSync(show, 'process.stderr.write(`execArgv=${JSON.stringify(process.execArgv)}\\n`);\n');
    let r;
    try {
      r = spawnSync(bin, ['--help'], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--import=${show}` } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: ingestor-sim');
    const line = /^execArgv=(.*)$/m.exec(r.stderr)?.[1];
    expect(JSON.parse(line ?? 'null')).toEqual(expect.arrayContaining([...NODE_FLAGS]));
  });
});
