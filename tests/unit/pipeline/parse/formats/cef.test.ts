import { describe, expect, it } from 'vitest';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';
import { obj } from '../../../../helpers/formats.ts';

describe('CEF', () => {
  // ArcSight "Implementing ArcSight CEF" (rev. 25), header and extension example
  it('splits the header and the extension', () => {
    const r = splitText('Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232');
    expect(r.format).toBe('cef');
    expect(obj(r.pairs)).toMatchObject({
      syslog_host: 'host', deviceVendor: 'Security', deviceProduct: 'threatmanager', deviceVersion: '1.0', deviceEventClassId: '100',
      name: 'worm successfully stopped', severity: '10', src: '10.0.0.1', dst: '2.1.2.2', spt: '1232',
    });
  });

  // same guide, "Character Encoding": \| in the header, \= and \\ in extension values
  it('unescapes \\| in the header and \\= \\\\ in the extension; values run to the next key', () => {
    const r = splitText(String.raw`CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1 fname=C:\\temp\\x.exe msg=two words here`);
    const o = obj(r.pairs);
    expect(o.name).toBe('detected a | in message');
    expect(o.act).toBe('blocked a =');
    expect(o.dst).toBe('1.1.1.1');
    expect(o.fname).toBe('C:\\temp\\x.exe');
    expect(o.msg).toBe('two words here');
  });
});
