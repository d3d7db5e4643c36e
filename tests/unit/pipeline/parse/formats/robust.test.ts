import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitText } from '../../../../../src/pipeline/parse/formats/index.ts';

// sample lines of every format (the unit tests' vendor samples), cut at every length and mangled
const SAMPLES = [
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" note="a \\"q\\" \\] x"] An application event',
  String.raw`<134>Jan 18 11:07:53 h CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1`,
  'LEEF:2.0|Lancope|StealthWatch|1.0|41|0x5E|src=192.0.2.0^dst=172.50.123.1^sev=5',
  'Jul 13 20:39:44 1,2017/07/13 20:39:44,0009C101317,THREAT,url,1,2017/07/13 20:39:44,10.1.1.1,10.2.2.2,0.0.0.0,0.0.0.0,r,,"a,""b",x',
  '<166>Jan 18 11:07:53 asa-01 : %ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.254/56310 (198.51.100.254/56310)(LOCAL\\jdoe) to dmz:10.159.11.1/443 (203.0.113.1/443)',
  '<134>1 2020-03-30T07:19:50Z gw CheckPoint 2182 - [action:"Accept"; src:"10.10.10.10"; user:"John Doe (jdoe)"]',
  '1286536308.779 180 192.168.0.224 TCP_MISS/200 411 GET http://x/ - DIRECT/66.102.9.147 image/gif DEFAULT_CASE_1 <IW,"a>b",-> "Mozilla/5.0 (X)" -',
  '<14>1 2024-01-01T00:00:00Z h a - - - {"user":{"name":"alice","n":[1,{"x":"y"}]},"e":{},"s":"a\\"b"}',
  '2023-01-01 00:00:01 10.0.0.1 GET /default.htm - 80 - 192.0.2.5 Mozilla/5.0+(X) - 200 0 0 15',
];

function check(text: string): void {
  const r = splitText(text);
  let last = -1;
  for (const p of r.pairs) {
    expect(p.start, `${p.key} in ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(0);
    expect(p.end).toBeLessThanOrEqual(text.length);
    expect(p.start).toBeLessThanOrEqual(p.end);
    expect(p.start).toBeGreaterThanOrEqual(last); // in text order, not overlapping
    last = p.end;
    expect(typeof p.value).toBe('string');
  }
}

describe('splitText on damaged input', () => {
  it('never throws; offsets stay inside the text, in order, for every prefix of every format', () => {
    for (const s of SAMPLES) for (let n = 0; n <= s.length; n++) check(s.slice(0, n));
  });

  it('never throws on the realdata corpus lines with characters removed', () => {
    const corpus = new URL('../../../../fixtures/shared/realdata/events.jsonl', import.meta.url);
    let lines: string[] = [];
    try {
      lines = readFileSync(corpus, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { event: unknown })
        .filter((o) => typeof o.event === 'string').map((o) => o.event as string);
    } catch {
      lines = SAMPLES; // the corpus lives beside the repo; without it the samples stand in
    }
    for (const s of lines) for (let k = 0; k < s.length; k += 7) check(s.slice(0, k) + s.slice(k + 3));
  });
});

describe('offsets are exact', () => {
  it('positional formats: the text at a pair\'s offsets is its value', () => {
    const lines = [
      '<166>Jan 18 11:07:53 asa-01 : %ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.254/56310 (198.51.100.254/56310)(LOCAL\\jdoe) to dmz:10.159.11.1/443 (203.0.113.1/443)',
      '<38>Feb  3 10:00:00 web01 sshd[4242]: Accepted publickey for alice',
      '<14>1 2021-03-01T20:35:56.565Z fw01 app 77 ID9 - 1,2021/03/01 20:35:56,012345678901,USERID,login,2305,2021/03/01 20:35:56,vsys1,10.1.1.7,corp\\jdoe',
      '%ASA-6-113039: Group <G> User <jdoe> IP <203.0.113.10> AnyConnect parent session started.',
      '1286536308.779 180 192.168.0.224 TCP_MISS/200 411 GET http://x/ alice DIRECT/66.102.9.147 image/gif',
    ];
    for (const l of lines) {
      for (const p of splitText(l).pairs) expect(l.slice(p.start, p.end), `${p.key} in ${l}`).toBe(p.value);
    }
  });

  it('key=value formats: the segment is key, separator, value', () => {
    for (const l of ['LEEF:2.0|V|P|1|E|^|src=192.0.2.8^usrName=bob', 'CEF:0|V|P|1|100|n|5|src=10.0.0.1 suser=bob smith', 'a=1 b="two words" c=3']) {
      const pairs = splitText(l).pairs.filter((p) => !/^device|^eventId$|^name$|^severity$|^deviceEventClassId$/.test(p.key));
      for (const p of pairs) expect(l.slice(p.start, p.end).startsWith(`${p.key}=`), `${p.key} in ${l}`).toBe(true);
    }
  });
});
