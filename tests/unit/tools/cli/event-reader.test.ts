import { describe, expect, it } from 'vitest';
import { EventReader, readEvents } from '../../../../src/tools/cli/commands/classify.ts';

/** Feeds the text in pieces of `size` characters. */
function chunked(text: string, size: number, kind: 'auto' | 'json' | 'text' = 'auto') {
  const r = new EventReader('f', 0, kind);
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(...r.push(text.slice(i, i + size)));
  out.push(...r.end());
  return out;
}

describe('EventReader', () => {
  const ndjson = '\ufeff{"a":1}\n\n{"event":{"b":2},"sourcetype":"pan:traffic"}{"c":3}\n[\n{"d":4},\n{"e":5}\n]\n  {"f":\n6}\n';
  const text = 'line one\r\n\r\n#Fields: a b\n1 2\nlast line without newline';

  it('gives the same events and line numbers whatever the chunk size', () => {
    for (const src of [ndjson, text]) {
      const whole = readEvents(src, 'f', 0);
      for (const size of [1, 2, 3, 7, 64]) expect(chunked(src, size), `${size}`).toEqual(whole);
    }
    expect(readEvents(ndjson, 'f', 0).map((e) => [e.line, e.sourcetype])).toEqual([[1, undefined], [3, 'pan:traffic'], [3, undefined], [5, undefined], [6, undefined], [8, undefined]]);
    expect(readEvents(text, 'f', 0).map((e) => [e.line, e.event])).toEqual([[1, 'line one'], [4, { a: '1', b: '2' }], [5, 'last line without newline']]);
  });

  it('names the line of bad input, also when it arrives in pieces', () => {
    const bad = '{"a":1}\n{"b":2}\n{"c": }\n';
    for (const size of [1, 5, 100]) {
      expect(() => chunked(bad, size)).toThrow(expect.objectContaining({ name: 'SimError', code: 'SIM_ERR_USAGE', exitStatus: 2 }));
      expect(() => chunked(bad, size)).toThrow(/f:3: not valid JSON/);
    }
    expect(() => chunked('{"a":1}\n{"b":', 3)).toThrow(/f:2: .*never closes/);
    expect(() => chunked('[{"a":1} {"b":2}]', 4)).toThrow(/f:1: expected ',' or ']'/);
  });
});

describe('Progress', () => {
  it('writes a status line once a second on a TTY, clears it at the end, and says nothing elsewhere', async () => {
    const { Progress } = await import('../../../../src/tools/cli/commands/classify.ts');
    let t = 0;
    const tty = { isTTY: true, text: '', write(s: string) { this.text += s; } };
    const p = new Progress(10 * 1048576, tty, () => t);
    p.tick(10, 1048576);
    expect(tty.text).toBe('');
    t = 1500;
    p.tick(1234, 5 * 1048576);
    expect(tty.text).toMatch(/classify: 1,234 events, 5 of 10 MB \(50%\)/);
    p.done();
    expect(tty.text.endsWith('\r\x1b[K')).toBe(true);
    const pipe = { isTTY: false, text: '', write(s: string) { this.text += s; } };
    const q = new Progress(1, pipe, () => (t += 5000));
    q.tick(1, 1);
    q.done();
    expect(pipe.text).toBe('');
  });
});
