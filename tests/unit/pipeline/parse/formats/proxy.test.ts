import { describe, expect, it } from 'vitest';
import { splitText, w3cFieldsDirective } from '../../../../../src/pipeline/parse/formats/index.ts';
import { obj } from '../../../../helpers/formats.ts';

describe('squid and W3C', () => {
  // squid-cache.org wiki "SquidFaq/SquidLogs", native access.log example
  it('splits a squid native access line', () => {
    const r = splitText('1286536308.779 180 192.168.0.224 TCP_MISS/200 411 GET http://www.google-analytics.com/__utm.gif? - DIRECT/66.102.9.147 image/gif');
    expect(r.format).toBe('squid');
    expect(obj(r.pairs)).toEqual({
      time: '1286536308.779', 'time-taken': '180', 'c-ip': '192.168.0.224', 's-action': 'TCP_MISS', 'sc-status': '200', 'sc-bytes': '411',
      'cs-method': 'GET', 'cs-uri': 'http://www.google-analytics.com/__utm.gif?', 'cs-username': '-', 's-hierarchy': 'DIRECT',
      's-hierarchy-host': '66.102.9.147', 'rs(Content-Type)': 'image/gif',
    });
  });

  it('keeps the WSA extras: ACL decision tag, verdict block, user agent', () => {
    const o = obj(splitText('<134>Jan 18 11:07:53 wsa 1588597199.123 382 10.0.0.13 TCP_MISS/200 4646 GET http://a.example/b alice DIRECT/a.example text/html DEFAULT_CASE_12-Pol-ID-NONE-NONE-DefaultGroup <IW_comp,7.8,1,"-",-> "Mozilla/5.0 (X11; Linux x86_64) Firefox/115.0"').pairs);
    expect(o).toMatchObject({ 'cs-username': 'alice', 'x-acl-decision-tag': 'DEFAULT_CASE_12-Pol-ID-NONE-NONE-DefaultGroup', 'x-wsa-verdicts': 'IW_comp,7.8,1,"-",-', 'cs(User-Agent)': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/115.0' });
  });

  // W3C Working Draft WD-logfile-960323 example; IIS default field set (Microsoft Learn, W3C logging)
  it('splits W3C lines by their #Fields: directive, and IIS default lines by shape', () => {
    const fields = w3cFieldsDirective('#Fields: time cs-method cs-uri')!;
    expect(fields).toEqual(['time', 'cs-method', 'cs-uri']);
    expect(obj(splitText('00:34:23 GET /foo/bar.html', undefined, { w3cFields: fields }).pairs)).toEqual({ time: '00:34:23', 'cs-method': 'GET', 'cs-uri': '/foo/bar.html' });
    const iis = splitText('2023-01-01 00:00:01 10.0.0.1 GET /default.htm - 80 CORP\\jdoe 192.0.2.5 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15');
    expect(iis.format).toBe('w3c');
    expect(obj(iis.pairs)).toMatchObject({ 's-ip': '10.0.0.1', 'cs-username': 'CORP\\jdoe', 'c-ip': '192.0.2.5', 'cs(User-Agent)': 'Mozilla/5.0 (Windows NT 10.0)', 'time-taken': '15' });
  });
});
