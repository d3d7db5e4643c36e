import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Out } from '../../src/tools/cli/commands/classify.ts';

type WriteCb = (err: NodeJS.ErrnoException | null, written: number) => void;
interface Call { fd: number; data: Buffer; cb: WriteCb }

/** A write function that records each call and answers when the test says (a slow or odd reader). */
function fakeWrite() {
  const calls: Call[] = [];
  const write = ((fd: number, b: Buffer, off: number, len: number, _pos: null, cb: WriteCb) => {
    calls.push({ fd, data: Buffer.from(b.subarray(off, off + len)), cb });
  }) as unknown as ConstructorParameters<typeof Out>[1];
  return { calls, write };
}
const tick = () => new Promise((r) => setImmediate(r));
const err = (code: string) => Object.assign(new Error(code), { code });

describe('classify output (Out): byte buffers written off the event loop, in order, bounded', () => {
  it('writes the bytes in order, one write at a time, and takes up a short write where it stopped', async () => {
    const { calls, write } = fakeWrite();
    const out = new Out(7, write);
    out.bytes(out.head(1));
    out.bytes(Buffer.from('"path":"a"}\n'));
    out.text('é ✓\n');
    const done = out.end();
    expect(calls).toHaveLength(1);
    expect(calls[0].fd).toBe(7);
    expect(calls[0].data.toString('utf8')).toBe('{"event":1,"path":"a"}\né ✓\n');
    calls[0].cb(null, 5); // a short write
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1].data.toString('utf8')).toBe('nt":1,"path":"a"}\né ✓\n');
    calls[1].cb(null, calls[1].data.length);
    await done;
  });

  it('holds the caller when four full buffers wait, and lets it go on when one is written', async () => {
    const { calls, write } = fakeWrite();
    const out = new Out(1, write);
    const row = Buffer.alloc(1000, 0x61);
    let n = 0;
    while (!out.full) { out.bytes(row); n++; }
    // 1 MiB buffers: the fourth waits while the first is being written
    expect(n).toBeGreaterThan(4 * 1048);
    expect(n).toBeLessThan(5 * 1049);
    expect(calls).toHaveLength(1);
    let free = false;
    const room = out.room().then(() => { free = true; });
    await tick();
    expect(free).toBe(false);
    calls[0].cb(null, calls[0].data.length);
    await room;
    expect(free).toBe(true);
    expect(calls).toHaveLength(2); // the next buffer is on its way
    const end = out.end();
    let ended = false;
    void end.then(() => { ended = true; });
    for (let i = 1; !ended; i++) {
      await tick();
      if (i < calls.length) calls[i].cb(null, calls[i].data.length);
    }
    await end;
    const all = calls.map((c) => c.data);
    expect(Buffer.concat(all).length).toBe(n * row.length);
  });

  it('uses a written buffer again (no fresh memory per MiB), never before its write has ended', async () => {
    const MiB = 1 << 20;
    const letters = 'abcdefgh';
    const seen: string[] = [];
    const memory = new Set<ArrayBufferLike>();
    let reused = 0;
    // each write ends on a later turn of the event loop, and its bytes are read then, as the kernel would: a
    // buffer filled again before its write ended shows another letter
    const write = ((_fd: number, b: Buffer, off: number, len: number, _pos: null, cb: WriteCb) => {
      const sub = b.subarray(off, off + len);
      setImmediate(() => {
        seen.push(sub.toString('latin1'));
        if (memory.has(sub.buffer)) reused++;
        memory.add(sub.buffer);
        cb(null, len);
      });
    }) as unknown as ConstructorParameters<typeof Out>[1];
    const out = new Out(1, write);
    for (const l of letters) {
      out.bytes(Buffer.alloc(MiB, l));
      if (out.full) await out.room();
    }
    await out.end();
    expect(seen).toEqual([...letters].map((l) => l.repeat(MiB)));
    expect(reused).toBeGreaterThan(0);
    expect(memory.size).toBeLessThan(letters.length);
  });

  it('tries again after EAGAIN (a descriptor left non-blocking), and ends quietly when the reader has gone (EPIPE)', async () => {
    const { calls, write } = fakeWrite();
    const out = new Out(1, write);
    out.text('one\n');
    const done = out.end();
    calls[0].cb(err('EAGAIN'), 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(2);
    expect(calls[1].data.toString()).toBe('one\n');
    calls[1].cb(err('EPIPE'), 0);
    await done;
    expect(out.closed).toBe(true);

    const other = fakeWrite();
    const bad = new Out(1, other.write);
    bad.text('x');
    const failed = bad.end();
    other.calls[0].cb(err('ENOSPC'), 0);
    await expect(failed).rejects.toThrow('ENOSPC');
  });

  it('the command stops without an error when the reader of its pipe stops early (`| head -1`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'classify-output-'));
    const f = join(dir, 'many.ndjson');
    const line = '{"sourcetype":"pan:traffic","event":{"src_ip":"198.51.100.23","user":"corp\\\\pnatarajan","dest_port":443}}\n';
    writeFileSync(f, line.repeat(60_000));
    const bin = new URL('../../bin/ingestor-sim.js', import.meta.url).pathname;
    const r = spawnSync('/bin/bash', ['-c', `set -o pipefail; "${process.execPath}" "${bin}" classify --json "${f}" | head -1`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${r.stdout.split('\n')[0]}\n`);
    expect(r.stdout).toContain('"event":0,"path":"src_ip"');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });
});
