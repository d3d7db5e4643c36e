import { describe, expect, it } from 'vitest';
import { cutKeys } from '../../../../../src/pipeline/classify/kv.ts';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';

const cut = (text: string, ...keys: string[]) => cutKeys(text, splitText(text).pairs, new Set(keys));

describe('cutting dropped fields out of the text', () => {
  it('removes key=value segments, CSV values (keeping the column) and JSON members (keeping valid JSON)', () => {
    expect(cut('<134>device="SFW" user_name="alice" src_ip=10.1.1.1', 'user_name')).toBe('<134>device="SFW" src_ip=10.1.1.1');
    const pan = '1,2017/07/13 20:39:44,0009C101317,TRAFFIC,end,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49,0.0.0.0,0.0.0.0,r,,corp\\bob,msrpc';
    expect(cut(pan, 'dstuser', 'src')).toBe('1,2017/07/13 20:39:44,0009C101317,TRAFFIC,end,1,2017/07/13 20:39:44,,10.183.51.49,0.0.0.0,0.0.0.0,r,,,msrpc');
    const json = '<14>1 2024-01-01T00:00:00Z h a - - - {"user":"alice","ip":"198.51.100.2","n":1}';
    for (const k of ['user', 'ip', 'n']) {
      const out = cut(json, k);
      expect(JSON.parse(out.slice(out.indexOf('{')))).not.toHaveProperty(k);
    }
    expect(cut('%ASA-6-113039: Group <G> User <jdoe> IP <203.0.113.10> AnyConnect parent session started.', 'user')).not.toContain('jdoe');
  });
});

describe('cutKeys keeps what it does not cut', () => {
  it('one separator goes with the cut field; tabs and double spaces elsewhere stay', () => {
    expect(cut('2022-01-18 11:07:53\treason=Allowed\tuser=a@example.com\tstatus=200', 'user')).toBe('2022-01-18 11:07:53\treason=Allowed\tstatus=200');
    expect(cut('<38>Feb  3 10:00:00 web01 app: msg="two  spaces" user=alice x=1', 'user')).toBe('<38>Feb  3 10:00:00 web01 app: msg="two  spaces" x=1');
    expect(cut('a=1 b=2', 'b')).toBe('a=1');
    expect(cut('a=1 b=2', 'a')).toBe('b=2');
  });
});
