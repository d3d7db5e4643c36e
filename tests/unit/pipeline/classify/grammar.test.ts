/** Names understood (issue 11 §2), records that are one item (§3), values validated (§4), honest verdicts (§5). */
import { describe, expect, it } from 'vitest';
import { getDefaultMatcher } from '../../../../src/pipeline/classify/index.ts';
import { carriesSecret, detectValue, DETECTION_ORDER, freeTextCategory, isCardNumber, isIban, isPhoneNumber, testDetector } from '../../../../src/pipeline/classify/detectors.ts';
import { learnWords, read, splitWords, words } from '../../../../src/pipeline/classify/grammar.ts';

const m = getDefaultMatcher();
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
const one = (path: string, value: unknown, mod: string | null = SPLUNK) => m.classifyField(path, value, mod);

describe('the grammar cuts names into words and reads role x entity', () => {
  it('cuts a name by the words known now, whatever it was cut into before a catalog taught new ones', () => {
    expect(words('srcblorfquux')).toEqual(['srcblorfquux']);
    learnWords(['blorf', 'quux']); // a catalog whose grammar patterns use these words
    expect(words('srcblorfquux')).toEqual(['source', 'blorf', 'quux']);
  });
  it('splits case, separators, digits and runs of known words', () => {
    expect(splitWords('srcIPAddress_v2')).toEqual(['src', 'ip', 'address']);
    expect(splitWords('cs(User-Agent)')).toEqual(['cs', 'user', 'agent']);
    expect(words('srcip')).toEqual(['source', 'ip']);
    expect(words('usrName')).toEqual(['user']);
    expect(words('dstPostNAT')).toEqual(['destination', 'translated', 'translated']);
    expect(words('suser')).toEqual(['source', 'user']);
    expect(words('Benutzername')).toEqual(['user']);
  });
  it('reads a name on its last 200 characters: a huge key costs no more than a long one', () => {
    expect(one(`${'x'.repeat(10_000)}UserName`, 'jdoe')).toMatchObject({ kind: 'user', category: 'direct-identifier' });
    expect(words('a'.repeat(100_000))).toHaveLength(1);
  });
  it('reads the role and the entity', () => {
    expect(read('dest_translated_ip')).toMatchObject({ role: 'destination', entity: 'ip' });
    expect(read('TargetOutboundUserName')).toMatchObject({ role: 'target', entity: 'user' });
    expect(read('mailMsgSubject')).toMatchObject({ entity: 'subject' });
  });
  it('matches kinds through the grammar, without aliases', () => {
    expect(one('client_address', '198.51.100.7')).toMatchObject({ kind: 'src-ip', item: 'Source IP address', by: 'name' });
    expect(one('dst_translated_port', 443, 'network-sensor')).toMatchObject({ kind: 'dest-port', item: 'Destination port' });
    expect(one('actorUserName', 'jdoe')).toMatchObject({ kind: 'user', category: 'direct-identifier' });
    expect(one('initiatorProcessCommandLine', 'cmd.exe /c whoami')).toMatchObject({ kind: 'command-line', category: 'content' });
    expect(one('approved_by', 'bob').category).toBe('direct-identifier');
    // identifiers under names no alias has: device fingerprints, client and subscriber ids, a handset's IMEI
    expect(one('deviceFingerprint', 'a1b2c3d4e5').category).toBe('online-identifier');
    expect(one('subscriberId', '12345').category).toBe('direct-identifier');
    expect(one('imei', '490154203237518')).toMatchObject({ kind: 'device-id', category: 'online-identifier' });
    expect(one('exceptionId', 'policy_denied').category).toBe('non-personal');
    expect(one('override_authorizer', 'carol').category).toBe('direct-identifier');
    expect(one('suser', 'jdoe')).toMatchObject({ kind: 'user', item: 'Username' });
    expect(one('suid', '1001')).toMatchObject({ item: 'Username', category: 'direct-identifier' });
  });
  it('does not let name endings mislead', () => {
    expect(one('passport', 'X1234567')).toMatchObject({ kind: 'national-id', category: 'government-id' });
    expect(one('birthdate', '1984-02-29')).toMatchObject({ kind: 'birth-date', category: 'direct-identifier' });
    expect(one('address', '12 High Street').kind).not.toBe('ip');
    expect(one('address', '12 High Street').category).not.toBe('non-personal');
    expect(one('sport', 'football').kind).not.toBe('port');
  });
  it('reads a generic leaf by the object above it, and never calls it personal without context', () => {
    expect(one('users[0].name', 'Alice')).toMatchObject({ kind: 'user', category: 'direct-identifier' });
    expect(one('deviceDetail.displayName', 'LT-ENG-1')).toMatchObject({ kind: 'device-name', category: 'online-identifier' });
    expect(one('policy.displayName', 'Block legacy auth').category).toBe('non-personal');
    expect(one('vulnerability.title', 'OpenSSL heap overflow').category).toBe('non-personal');
    expect(one('name', 'Alice Smith').category).toBe('unknown');
  });
  it('reads a generic leaf by a sibling type key', () => {
    const ev = { target: [{ type: 'User', displayName: 'Alice Smith' }, { type: 'AppInstance', displayName: 'Salesforce' }] };
    const [, user, , app] = m.classifyEvent(ev, 'okta');
    expect(user).toMatchObject({ path: 'target[0].displayName', category: 'direct-identifier' });
    expect(app).toMatchObject({ path: 'target[1].displayName', category: 'non-personal' });
  });
  it("finds an item by its label's words in any order and spelling", () => {
    expect(one('Viewed Or Edited File Count', 5, 'office-365-usage').item).toBe('Files viewed or edited (count)');
    expect(one('Send Count', 5, 'office-365-usage').item).toBe('Send actions (count)');
  });
});

describe('records that are one item', () => {
  it('gives every field of a whole-record module its record item, with its own category', () => {
    expect(one('requestParameters.bucketName', 'finance-reports', 'cloud-detections-for-aws-cloudtrail'))
      .toMatchObject({ item: 'AWS CloudTrail events', module: 'cloud-detections-for-aws-cloudtrail' });
    expect(one('sourceIPAddress', '198.51.100.7', 'cloud-detections-for-aws-cloudtrail'))
      .toMatchObject({ module: 'cloud-detections-for-aws-cloudtrail', category: 'online-identifier' });
    expect(one('Whatever', 'x', 'endpoint-inventory-enable-trend-vision-one-capabilities'))
      .toMatchObject({ item: 'Windows event log', category: 'unknown' });
    // inside the object the module declares (its EventData), a field is that item, with the item's category
    expect(one('EventData.Whatever', 'x', 'endpoint-inventory-enable-trend-vision-one-capabilities'))
      .toMatchObject({ item: 'Windows event log', category: 'content' });
  });
});

describe('honest verdicts', () => {
  it('never attributes a field to another module, and names the modules that declare it', () => {
    const r = one('phone', '+1 202-555-0143');
    expect(r).toMatchObject({ item: null, module: null, category: 'direct-identifier' });
    expect(r.declaredBy).toContain('general-trend-vision-one-service');
  });
  it("keeps text no parser split as the event's own module's content, scanned", () => {
    const [f] = m.classifyEvent('sshd[411]: Accepted password for bob from 198.51.100.7', SPLUNK);
    expect(f).toMatchObject({ path: '_raw', module: SPLUNK, item: null, category: 'content' });
    expect(f.module).not.toBe('endpoint-inventory-enable-trend-vision-one-capabilities');
  });
  it('calls nothing non-personal without evidence', () => {
    for (const [k, v] of [['name', 'Alice Smith'], ['名前', '山田太郎'], ['x', 'Facebook']] as const) expect(one(k, v).category).toBe('unknown');
    expect(one('ssn', '078-05-1120').category).toBe('government-id');
    expect(one('iban', 'DE89370400440532013000').category).toBe('financial');
    expect(one('credit_card', '4111 1111 1111 1111').category).toBe('financial');
    expect(one('dob', '1984-02-29').category).toBe('direct-identifier');
    expect(one('Benutzername', 'amueller').category).toBe('direct-identifier');
    expect(one('msg', 'Call Alice on +44 20 7946 0958').category).toBe('direct-identifier');
    expect(one('msg', 'card 4111-1111-1111-1111 charged').category).toBe('financial');
    expect(one('msg', 'refund to IBAN GB82 WEST 1234 5698 7654 32').category).toBe('financial');
    expect(one('msg', 'SSN on file: 078-05-1120').category).toBe('government-id');
  });
});

describe('value detectors check, not guess', () => {
  it('the gated dispatcher answers as trying each detector in turn', () => {
    const values = ['allowed', '192.0.2.115', 'portal4.example.org', '2001:db8::1', 'CORP\\njones', 'jdoe@example.com', '00:00:5e:00:53:1a',
      'https://x.example.com/a', 'S-1-5-21-1004336348-1177238915-682003330-1107', 'CVE-2024-21413', 'd41d8cd98f00b204e9800998ecf8427e',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '{6F9619FF-8B86-D011-B42D-00C04FC964FF}', '078-05-1120', '4111 1111 1111 1111', 'GB82 WEST 1234 5698 7654 32', '+44 20 7946 0958',
      '(415) 555-2671', 'AKIAIOSFODNN7EXAMPLE', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc', '-----BEGIN PRIVATE KEY-----',
      'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX', 'joe.black', 'tcp', '', ' ', '8443', 'allow-outbound-web'];
    const loop = (v: string) => { for (const d of DETECTION_ORDER) if (testDetector(d, v)) return d; return null; };
    for (const v of values) expect(detectValue(v), v).toBe(loop(v));
  });
  it('payment cards pass Luhn, IBANs mod 97, phone numbers a numbering plan', () => {
    expect(isCardNumber('4111 1111 1111 1111')).toBe(true);
    expect(isCardNumber('4111 1111 1111 1112')).toBe(false);
    expect(isCardNumber('1234567890123456')).toBe(false);
    expect(isIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isIban('GB83 WEST 1234 5698 7654 32')).toBe(false);
    expect(isPhoneNumber('+44 20 7946 0958')).toBe(true);
    expect(isPhoneNumber('+1 000-000-0000')).toBe(false);
    expect(testDetector('ssn', '078-05-1120')).toBe(true);
    expect(testDetector('ssn', '666-05-1120')).toBe(false);
    expect(testDetector('ssn', '078-00-1120')).toBe(false);
  });
  it('an FQDN is not a dotted user name or a malware name', () => {
    expect(testDetector('fqdn', 'files.example.net')).toBe(true);
    expect(testDetector('fqdn', 'joe.black')).toBe(false);
    expect(testDetector('fqdn', 'BehavesLike.PDF.Exploit.vx')).toBe(false);
    expect(testDetector('fqdn', 'Apache.Log4j.Remote.Code.Execution')).toBe(false);
    expect(one('mlwr', 'BehavesLike.PDF.Exploit.vx').category).not.toBe('online-identifier');
  });
  it('finds keys, tokens and webhooks by their documented shapes', () => {
    expect(testDetector('cloud-key', 'AKIAIOSFODNN7EXAMPLE')).toBe(true);
    expect(testDetector('jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc')).toBe(true);
    expect(testDetector('pem', '-----BEGIN RSA PRIVATE KEY-----\nMIIE')).toBe(true);
    expect(testDetector('pem', '-----BEGIN CERTIFICATE-----\nMIIE')).toBe(false);
    expect(testDetector('webhook', 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX')).toBe(true);
    expect(one('x', 'AKIAIOSFODNN7EXAMPLE', null)).toMatchObject({ by: 'value', category: 'secret' });
  });
  it('finds credentials in command lines, URLs, connection strings and JSON held in a string', () => {
    for (const t of [
      'net use \\\\srv\\share /user:admin P@ss', 'curl -u alice:pw123 https://x.example', 'mysql -u root -pS3cretPw db',
      'tool --password hunter22 -x', 'tool --password=hunter22', 'net user pnatarajan N3wP@ss! /add',
    ]) expect(carriesSecret(t, true), t).toBe(true);
    for (const t of [
      'ftp://backup:S3cr3tPass@files.example.com/db.tar', 'Server=db;Database=x;User Id=sa;Password=S3cret!;',
      '{"user":"a","password":"hunter2"}', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'key AKIAIOSFODNN7EXAMPLE leaked', 'posting to https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX',
      '-----BEGIN OPENSSH PRIVATE KEY-----',
    ]) expect(carriesSecret(t, false), t).toBe(true);
    expect(carriesSecret('curl -u alice https://x.example', true)).toBe(false);
    expect(carriesSecret('ping -c 4 example.com', true)).toBe(false);
    expect(one('CommandLine', 'net use \\\\srv\\share /user:admin P@ss').category).toBe('secret');
    expect(one('payload', '{"user":"a","password":"hunter2"}').category).toBe('secret');
  });
  it('raises, never lowers: a value may make a field more sensitive only', () => {
    expect(freeTextCategory('nothing here')).toBeNull();
    expect(one('src_ip', 'n/a').category).toBe('online-identifier');
    expect(one('comment', 'user=jdoe logged in').category).toBe('direct-identifier');
  });
  it('scans text once, up to a bound', () => {
    const long = `${'a '.repeat(5000)} jdoe@example.com`;
    expect(freeTextCategory(long)).toBeNull(); // past the scan bound
    expect(freeTextCategory(`jdoe@example.com ${'a '.repeat(5000)}`)).toBe('direct-identifier');
  });
});
