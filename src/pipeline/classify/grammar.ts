/**
 * Field names understood, not only looked up. A name is cut into words (case, separators, digits, runs of
 * known words written together: `srcip`, `usrName`, `dvchost`), each word is brought to its canonical form
 * (abbreviations and plurals: `s`/`src`/`source`, `d`/`dst`/`dest`, `nat`/`xlate`/`mapped`, `usr`, `addr`,
 * `addresses`), common phrases are joined (`ip address` → ip, `user name` → user, `date of birth`), and the
 * result is read as ROLE × ENTITY: who the thing belongs to (source, destination, client, server, target,
 * subject, actor, owner, …) and what it is (ip, port, host, user, email, mac, device id, url, file, process, …).
 *
 * The vocabulary is language (what `usr` and `dst` mean in any vendor's logs); which field kind a role ×
 * entity pair is, is the catalog's: each field kind lists its `grammar` patterns (compile.ts builds the table).
 * Only whole words are read: `passport` is not a port, `birthdate` is not an event time, `address` alone is
 * not an IP address.
 */

/** Surface form → canonical word. Words not listed stand for themselves. */
const SYNONYMS: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  // roles
  s: 'source', src: 'source', source: 'source', orig: 'source', origin: 'source', originator: 'source', from: 'source', sender: 'sender', snd: 'sender',
  d: 'destination', dst: 'destination', dest: 'destination', destination: 'destination', des: 'destination', to: 'destination', responder: 'destination', resp: 'destination',
  c: 'client', cli: 'client', client: 'client',
  srv: 'server', svr: 'server', server: 'server',
  nat: 'translated', xlate: 'translated', translated: 'translated', mapped: 'translated', natted: 'translated', xlated: 'translated', post: 'translated',
  tgt: 'target', target: 'target', subject: 'subject', actor: 'actor', initiator: 'initiator', initiating: 'initiator', caller: 'actor',
  owner: 'owner', creator: 'owner', author: 'owner', modifier: 'actor', approver: 'approver', authorizer: 'approver', authoriser: 'approver', requester: 'requester', requestor: 'requester', assignee: 'assignee', reviewer: 'approver', rcpt: 'recipient', recipient: 'recipient', recipients: 'recipient', receiver: 'recipient',
  remote: 'remote', peer: 'peer', local: 'local', parent: 'parent', child: 'child', external: 'external', public: 'external', egress: 'external',
  internal: 'internal', private: 'internal', last: 'last', logged: 'last', logon: 'logon', login: 'logon', signin: 'logon',
  // a few words of other languages' logs (German, French, Spanish, Portuguese, Italian)
  benutzer: 'user', nutzer: 'user', anwender: 'user', utilisateur: 'user', usuario: 'user', utente: 'user', konto: 'account', compte: 'account', cuenta: 'account',
  nom: 'name', nombre: 'name', nome: 'name', vorname: 'givenname', nachname: 'surname', prenom: 'givenname', apellido: 'surname', telefon: 'phone', telefono: 'phone', adresse: 'address', direccion: 'address', geburtsdatum: 'birthdate', passwort: 'password', kennwort: 'password', contrasena: 'password', senha: 'password', rechner: 'host',
  // entities
  ip: 'ip', ips: 'ip', ipaddr: 'ip', ipaddress: 'ip', ipv4: 'ip', ipv6: 'ip', inet: 'ip', addr: 'address', address: 'address',
  port: 'port', prt: 'port', spt: 'source port', dpt: 'destination port', slat: 'source latitude', dlat: 'destination latitude', slong: 'source longitude', dlong: 'destination longitude',
  host: 'host', hst: 'host', hostname: 'host', computer: 'host', computername: 'host', machine: 'host', machinename: 'host', workstation: 'host', wks: 'host', node: 'host',
  fqdn: 'fqdn', dns: 'dns', netbios: 'netbios', nt: 'nt',
  mac: 'mac', macaddr: 'mac', macaddress: 'mac', hwaddr: 'mac', hardware: 'hardware', bssid: 'mac',
  user: 'user', usr: 'user', username: 'user', uname: 'user', account: 'account', acct: 'account', principal: 'principal', person: 'person', member: 'member', identity: 'identity', people: 'person', persons: 'person', employee: 'person', contact: 'person',
  upn: 'upn', email: 'email', mail: 'mail', emailaddress: 'email', smtp: 'mail', sid: 'sid',
  if: 'interface', dvc: 'dvc', device: 'device', endpoint: 'endpoint', agent: 'agent', asset: 'asset', sensor: 'agent', mobile: 'mobile', handset: 'device',
  id: 'id', ids: 'id', identifier: 'id', uid: 'user id', imei: 'device id', imsi: 'device id', meid: 'device id', iccid: 'device id', hw: 'hardware', fingerprint: 'fingerprint', fp: 'fingerprint', ja3: 'fingerprint', cert: 'certificate', certificate: 'certificate', priv: 'privilege', appliance: 'dvc', proxy: 'dvc', firewall: 'dvc', gateway: 'dvc', gp: 'group', grp: 'group', class: 'category', classification: 'category', mailer: 'mailer', signer: 'signer', role: 'role', handle: 'handle', is: 'is', has: 'has', guid: 'guid', uuid: 'guid', key: 'key', num: 'number', no: 'number', nr: 'number', number: 'number', serial: 'serial', sn: 'serial',
  name: 'name', nm: 'name', names: 'name', displayname: 'displayname', title: 'title', label: 'label', value: 'value', val: 'value', type: 'type', kind: 'type',
  url: 'url', uri: 'url', urls: 'url', link: 'url', href: 'url', referer: 'referrer', referrer: 'referrer', domain: 'domain', dom: 'domain', realm: 'domain', site: 'site', website: 'url', web: 'web',
  file: 'file', files: 'file', fname: 'filename', filename: 'filename', attachment: 'attachment', attachments: 'attachment', object: 'object', obj: 'object', document: 'file', doc: 'file',
  path: 'path', filepath: 'filepath', dir: 'directory', directory: 'directory', folder: 'directory', cwd: 'directory', home: 'home',
  process: 'process', proc: 'process', image: 'image', exe: 'process', executable: 'process', program: 'process', app: 'app', application: 'app', service: 'service',
  command: 'command', cmd: 'command', cmdline: 'command', commandline: 'command', args: 'command', arguments: 'command', argv: 'command', script: 'command',
  registry: 'registry', reg: 'registry',
  location: 'location', loc: 'location', geo: 'location', geolocation: 'location', country: 'country', city: 'city', region: 'region', province: 'region', latitude: 'latitude', longitude: 'longitude', lng: 'longitude', coordinates: 'coordinates', postcode: 'postcode', zip: 'postcode', postal: 'postal', street: 'street',
  phone: 'phone', tel: 'phone', telephone: 'phone', msisdn: 'phone', fax: 'phone', cell: 'phone',
  agentstring: 'useragent', useragent: 'useragent', ua: 'useragent', browser: 'browser', cookie: 'cookie', cookies: 'cookie',
  password: 'password', passwd: 'password', pwd: 'password', pw: 'password', pass: 'password', passphrase: 'password', secret: 'secret', token: 'token', apikey: 'apikey', credential: 'credential', credentials: 'credential', cred: 'credential', pin: 'pin',
  hash: 'hash', md5: 'hash', sha1: 'hash', sha256: 'hash', sha512: 'hash', checksum: 'hash', digest: 'hash',
  bytes: 'bytes', byte: 'bytes', size: 'size', length: 'size', len: 'size', count: 'count', cnt: 'count', packets: 'count', pkts: 'count', total: 'count',
  time: 'time', timestamp: 'time', ts: 'time', date: 'date', datetime: 'time', created: 'time', modified: 'time', updated: 'time', start: 'time', end: 'time', published: 'time',
  duration: 'duration', elapsed: 'duration', latency: 'duration',
  severity: 'severity', sev: 'severity', priority: 'severity', risk: 'severity', level: 'severity',
  action: 'action', act: 'action', disposition: 'action', verdict: 'action', outcome: 'status', result: 'status', status: 'status', state: 'state', code: 'code', reason: 'reason',
  protocol: 'protocol', proto: 'protocol', transport: 'protocol', rule: 'rule', policy: 'rule', acl: 'rule', profile: 'profile',
  vulnerability: 'vulnerability', vuln: 'vulnerability', vulnerabilities: 'vulnerability', qid: 'vulnerability', plugin: 'vulnerability', cve: 'cve', finding: 'vulnerability',
  malware: 'malware', virus: 'malware', threat: 'threat', signature: 'signature', sig: 'signature',
  os: 'os', platform: 'os', version: 'version', ver: 'version',
  session: 'session', sess: 'session', msg: 'message', message: 'message', text: 'message', comment: 'message', description: 'message', desc: 'message', note: 'message', notes: 'message', raw: 'raw',
  zone: 'zone', interface: 'interface', intf: 'interface', iface: 'interface', vlan: 'vlan', vsys: 'vsys', vdom: 'vsys', ssid: 'ssid', category: 'category', cat: 'category', categories: 'category',
  method: 'method', direction: 'direction', operation: 'operation', op: 'operation', scheme: 'scheme', extension: 'extension', ext: 'extension', tag: 'tags', tags: 'tags',
  mime: 'mime', shell: 'shell', isp: 'isp', asn: 'asn', tz: 'timezone', timezone: 'timezone', error: 'error', err: 'error', auth: 'authentication', authn: 'authentication', authentication: 'authentication', unauth: 'unauthenticated',
  dn: 'distinguishedname', cs: 'client', sc: 'server',
  group: 'group', groups: 'group', department: 'department', dept: 'department', company: 'company', organization: 'company', org: 'company', tenant: 'tenant',
  birth: 'birth', birthday: 'birthdate', dob: 'birthdate', birthdate: 'birthdate', age: 'age', gender: 'gender', sex: 'gender',
  ssn: 'nationalid', passport: 'passport', nin: 'nationalid', license: 'license', licence: 'license', driver: 'driver', tax: 'tax', tin: 'nationalid', national: 'national', social: 'social', security: 'security',
  card: 'card', credit: 'credit', ccn: 'card', iban: 'iban', bic: 'bic', swift: 'bic', bank: 'bank', routing: 'routing', cvv: 'cvv', expiry: 'expiry',
  first: 'first', given: 'given', givenname: 'givenname', firstname: 'givenname', surname: 'surname', lastname: 'surname', family: 'family', full: 'full', fullname: 'fullname', nickname: 'nickname', middle: 'middle',
});

/** Two or three words read as one (after SYNONYMS). Longest first. */
const PHRASES: Array<[string[], string]> = [
  [['social', 'security', 'number'], 'nationalid'], [['date', 'of', 'birth'], 'birthdate'], [['credit', 'card', 'number'], 'card'],
  [['driver', 'license', 'number'], 'nationalid'], [['tax', 'id'], 'nationalid'], [['national', 'id'], 'nationalid'], [['driver', 'license'], 'nationalid'],
  [['passport', 'number'], 'passport'], [['card', 'number'], 'card'], [['credit', 'card'], 'card'], [['bank', 'account'], 'bankaccount'], [['account', 'number'], 'bankaccount'], [['routing', 'number'], 'bankaccount'],
  [['birth', 'date'], 'birthdate'], [['date', 'birth'], 'birthdate'],
  [['ip', 'address'], 'ip'], [['mac', 'address'], 'mac'], [['hardware', 'address'], 'mac'], [['email', 'address'], 'email'], [['mail', 'address'], 'email'], [['e', 'mail'], 'email'],
  [['user', 'name'], 'user'], [['account', 'name'], 'user'], [['logon', 'name'], 'user'], [['login', 'name'], 'user'], [['user', 'principal', 'name'], 'upn'], [['principal', 'name'], 'upn'],
  [['host', 'name'], 'host'], [['computer', 'name'], 'host'], [['machine', 'name'], 'host'], [['dns', 'name'], 'fqdn'], [['dns', 'host', 'name'], 'fqdn'], [['dns', 'host'], 'fqdn'], [['netbios', 'name'], 'netbios'], [['nt', 'host'], 'netbios'],
  [['nt', 'domain'], 'userdomain'], [['user', 'domain'], 'userdomain'], [['logon', 'domain'], 'userdomain'], [['account', 'domain'], 'userdomain'], [['domain', 'name'], 'domain'],
  [['member', 'of'], 'memberof'], [['operating', 'system'], 'os'], [['time', 'zone'], 'timezone'], [['content', 'type'], 'contenttype'], [['media', 'type'], 'contenttype'], [['distinguished', 'name'], 'distinguishedname'],
  [['display', 'name'], 'displayname'], [['full', 'name'], 'fullname'], [['given', 'name'], 'givenname'], [['first', 'name'], 'givenname'], [['last', 'name'], 'surname'], [['family', 'name'], 'surname'], [['nick', 'name'], 'nickname'], [['real', 'name'], 'fullname'],
  [['file', 'name'], 'filename'], [['file', 'path'], 'filepath'], [['full', 'path'], 'filepath'], [['file', 'hash'], 'hash'],
  [['command', 'line'], 'command'], [['user', 'agent'], 'useragent'], [['http', 'user', 'agent'], 'useragent'], [['phone', 'number'], 'phone'], [['mobile', 'number'], 'phone'], [['mobile', 'phone'], 'phone'],
  [['postal', 'code'], 'postcode'], [['zip', 'code'], 'postcode'], [['post', 'code'], 'postcode'], [['country', 'code'], 'country'], [['country', 'name'], 'country'], [['city', 'name'], 'city'], [['geo', 'coordinates'], 'coordinates'], [['street', 'address'], 'street'],
  [['api', 'key'], 'apikey'], [['access', 'key'], 'apikey'], [['secret', 'key'], 'secret'], [['private', 'key'], 'secret'], [['access', 'token'], 'token'], [['auth', 'token'], 'token'], [['session', 'token'], 'token'], [['client', 'secret'], 'secret'],
  [['process', 'name'], 'process'], [['image', 'path'], 'processpath'], [['process', 'path'], 'processpath'], [['registry', 'key'], 'registry'], [['registry', 'value'], 'registry'], [['registry', 'path'], 'registry'], [['registry', 'data'], 'registry'],
  [['home', 'directory'], 'homedirectory'], [['current', 'directory'], 'directory'], [['working', 'directory'], 'directory'],
  [['event', 'time'], 'time'], [['event', 'id'], 'eventid'], [['message', 'id'], 'messageid'], [['session', 'id'], 'sessionid'], [['job', 'title'], 'jobtitle'],
];

/** PHRASES by their first word (as written and canonical), in their order: a name's word meets only its own. */
const PHRASE_INDEX = new Map<string, Array<[string[], string]>>();
for (const entry of PHRASES) {
  for (const first of new Set([entry[0][0], SYNONYMS[entry[0][0]] ?? entry[0][0]])) {
    let b = PHRASE_INDEX.get(first);
    if (b === undefined) PHRASE_INDEX.set(first, (b = []));
    b.push(entry);
  }
}

/** Words for segmenting names written without separators (`srcip`, `dstport`, `usrname`): every vocabulary word of 2+ letters. */
const SEG_WORDS = new Set<string>([
  ...Object.keys(SYNONYMS).filter((w) => w.length >= 2),
  'address', 'name', 'mail', 'line', 'agent', 'number', 'code', 'data', 'info', 'event', 'current', 'working', 'common', 'real', 'nick', 'display', 'full', 'api', 'access', 'auth', 'http', 'https', 'of', 'or', 'and',
  'in', 'out', 'bound', 'inbound', 'outbound', 'item', 'list', 'detail', 'job', 'zone', 'interface', 'intf', 'vlan', 'category', 'cat', 'region', 'query', 'method', 'lookup', 'entry', 'record',
]);
/**
 * Adds words (from the catalog's grammar patterns) to those names written together are cut into. A new word
 * empties the memo of words(): a name cut before it was known would otherwise keep its old cut, so that the
 * answer depended on which names were read before which catalog was compiled.
 */
export function learnWords(ws: Iterable<string>): void {
  let added = false;
  for (const w of ws) {
    if (w.length >= 2 && !SEG_WORDS.has(w)) {
      SEG_WORDS.add(w);
      added = true;
    }
  }
  if (added) wordsMemo.clear();
}

/** Words that never carry meaning in a name. */
const FILLER = new Set(['is', 'has', 'handle', 'attrs', 'attributes', 'of', 'the', 'a', 'an', 'or', 'and', 'in', 'info', 'information', 'detail', 'details', 'data', 'item', 'list', 'field', 'entry', 'record', 'attr', 'attribute', 'property', 'properties', 'prop', 'str', 'string', 'text']);

/** Canonical words that play a role (whose is it). */
export const ROLES = new Set(['approver', 'requester', 'assignee', 'source', 'destination', 'client', 'server', 'translated', 'target', 'subject', 'actor', 'initiator', 'owner', 'sender', 'recipient', 'remote', 'peer', 'local', 'parent', 'child', 'external', 'internal', 'last', 'logon']);
/** Roles that are people: a generic name under them names a person. */
export const PERSON_ROLES = new Set(['approver', 'requester', 'assignee', 'subject', 'actor', 'initiator', 'owner', 'sender', 'recipient', 'logon', 'last']);
/** Qualifiers whose id names a person. */
const PEOPLE = new Set(['user', 'account', 'person', 'member', 'identity', 'principal', 'customer', 'patient', 'student', 'employee', 'contact', 'subscriber', 'mailbox']);
/** Qualifiers whose id names a device. */
const DEVICES = new Set(['device', 'host', 'endpoint', 'agent', 'asset', 'mobile', 'machine', 'hardware']);
/** Qualifiers whose id names a person or a device. */
const PERSONISH = new Set(['mailbox', 'customer', 'patient', 'student', 'user', 'account', 'person', 'member', 'identity', 'principal', 'device', 'host', 'endpoint', 'agent', 'asset', 'mobile', 'machine', 'hardware', 'session', 'logon', 'client', 'mail', 'email', 'phone', 'card', 'bankaccount', 'nationalid', 'passport', 'customer', 'employee', 'contact', 'subscriber', 'sender', 'recipient', 'owner', 'tenant', 'object', 'file', 'process', 'registry']);

/** Leaves that say nothing alone: their meaning comes from a qualifier or the path above them. */
export const GENERIC = new Set(['name', 'id', 'displayname', 'title', 'label', 'value', 'guid', 'key', 'number', 'serial', 'address']);

const ALNUM_KEEP = /^(?:ipv[46]|sha\d+|md5|x509|cs\d|cn\d|c6a\d|s3|ec2|ipv4address|ipv6address|ip4|ip6)$/;

const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
const isDigit = (c: number) => c >= 48 && c <= 57;

/** Cuts a raw name into lower-case words: separators, camelCase, ACRONYMWords, letters|digits. One pass, no regex. */
export function splitWords(name: string): string[] {
  const out: string[] = [];
  const n = name.length;
  let i = 0;
  while (i < n) {
    const c = name.charCodeAt(i);
    if (!isUpper(c) && !isLower(c) && !isDigit(c)) { i++; continue; }
    // one camelCase piece: up to a lower|digit→Upper step, or before the last capital of an ACRONYMWord
    let j = i + 1;
    for (; j < n; j++) {
      const p = name.charCodeAt(j - 1), q = name.charCodeAt(j);
      if (!isUpper(q) && !isLower(q) && !isDigit(q)) break;
      if (isUpper(q) && (isLower(p) || isDigit(p))) break;
      if (isUpper(q) && isUpper(p) && j + 1 < n && isLower(name.charCodeAt(j + 1))) break;
    }
    piece(name.slice(i, j).toLowerCase(), out);
    i = j;
  }
  return out;
}

/** A camelCase piece: kept whole when known with its digits (`ipv4`, `sha256`), else letters apart from digits. */
function piece(low: string, out: string[]): void {
  if (ALNUM_KEEP.test(low)) { out.push(low); return; }
  const n = low.length;
  let k = 0;
  let first = true;
  while (k < n) {
    let e = k;
    if (isDigit(low.charCodeAt(k))) {
      while (e < n && isDigit(low.charCodeAt(e))) e++;
      k = e; first = false; continue; // digits are dropped
    }
    while (e < n && !isDigit(low.charCodeAt(e))) e++;
    const q = low.slice(k, e);
    const digitsNext = e < n;
    // `_v2`, `type2`: a single letter before digits is a version mark
    if (!(q.length === 1 && digitsNext && (!first || q === 'v'))) out.push(q);
    k = e; first = false;
  }
}

/** Cuts a run of letters into known words (fewest pieces), or returns null when it cannot be covered. */
function segment(w: string): string[] | null {
  const n = w.length;
  if (n > 40) return null;
  const best: Array<string[] | null> = new Array(n + 1).fill(null);
  best[0] = [];
  for (let i = 1; i <= n; i++) {
    for (let j = Math.max(0, i - 16); j < i; j++) {
      const prev = best[j];
      if (prev === null) continue;
      const piece = w.slice(j, i);
      if (!SEG_WORDS.has(piece)) continue;
      const cand = [...prev, piece];
      const cur = best[i];
      if (cur === null || cand.length < cur.length) best[i] = cand;
    }
  }
  return best[n];
}

function singular(w: string): string | null {
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 4 && w.endsWith('sses')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return null;
}

function canon(w: string): string[] {
  if (w.length > 40) return [w];
  const direct = SYNONYMS[w];
  if (direct !== undefined) return direct.indexOf(' ') === -1 ? [direct] : direct.split(' ');
  if (SEG_WORDS.has(w)) return [w];
  const s = singular(w);
  if (s !== null && (SYNONYMS[s] !== undefined || SEG_WORDS.has(s))) return [SYNONYMS[s] ?? s];
  if (w.length >= 4) {
    const seg = segment(w) ?? (s !== null ? segment(s) : null);
    if (seg !== null && seg.length > 1) return seg.flatMap((x) => (SYNONYMS[x] ?? x).split(' '));
    // ArcSight's one-letter direction prefixes: `suser`, `dhost`, `shost`, `sntdom` (s = source, d = destination)
    const c = w.charCodeAt(0);
    if (c === 115 || c === 100) {
      const rest = w.slice(1);
      const head = SYNONYMS[rest] !== undefined || SEG_WORDS.has(rest) ? [rest] : segment(rest);
      if (head !== null && head.length > 0 && ENTITY_AFTER_PREFIX.has((SYNONYMS[head[0]] ?? head[0]).split(' ')[0])) {
        return [c === 115 ? 'source' : 'destination', ...head.flatMap((x) => (SYNONYMS[x] ?? x).split(' '))];
      }
    }
    // an unknown head before a known word (`devtype`, `appcat`): the known word is the head
    for (let i = 2; i <= w.length - 2; i++) {
      const tail = w.slice(i);
      if (HEAD_TAILS.has(tail)) {
        if (segment(w.slice(0, i)) === null) return [w.slice(0, i), ...(SYNONYMS[tail] ?? tail).split(' ')];
        break;
      }
    }
  }
  return [w];
}

/** Words that end names after an unknown word (`devtype`, `transactionid`, `appiname`). */
const HEAD_TAILS = new Set(['id', 'uid', 'guid', 'uuid', 'type', 'name', 'time', 'date', 'port', 'host', 'hostname', 'user', 'username', 'domain', 'path', 'count', 'size', 'bytes', 'ip', 'addr', 'address', 'mac', 'email', 'url', 'version', 'status', 'code', 'category', 'class']);

/** What may follow a one-letter direction prefix (`s`/`d`): the entities a direction applies to. */
const ENTITY_AFTER_PREFIX = new Set(['user', 'host', 'ip', 'port', 'nt', 'id', 'mac', 'domain', 'address', 'account', 'process', 'name', 'translated', 'zone', 'interface', 'device', 'dvc', 'priv', 'privilege', 'proc', 'email']);

/** The canonical words of one name (one path segment): synonyms, segmentation, plurals, phrases; fillers dropped. */
export function words(name: string): string[] {
  let w = wordsMemo.get(name);
  if (w === undefined) {
    if (wordsMemo.size >= MEMO_MAX) wordsMemo.clear();
    wordsMemo.set(name, (w = wordsOf(name.length > MAX_NAME ? name.slice(-MAX_NAME) : name)));
  }
  return w;
}

/** Names are read on their last MAX_NAME characters (the head of a name is at its end); words of one name are memoized. */
const MAX_NAME = 200;
const MEMO_MAX = 20_000;
const wordsMemo = new Map<string, string[]>();

function wordsOf(name: string): string[] {
  if (name.length < 2) return []; // one letter alone says nothing (`c`, `s`)
  const raw: string[] = [];
  for (const w of splitWords(name)) for (const c of canon(w)) raw.push(c);
  const out: string[] = [];
  for (let i = 0; i < raw.length;) {
    let matched = false;
    const bucket = PHRASE_INDEX.get(raw[i]);
    if (bucket !== undefined) for (const [ph, to] of bucket) {
      if (i + ph.length > raw.length) continue;
      let ok = true;
      for (let k = 0; k < ph.length; k++) if (raw[i + k] !== ph[k] && (SYNONYMS[ph[k]] ?? ph[k]) !== raw[i + k]) { ok = false; break; }
      if (ok) { out.push(to); i += ph.length; matched = true; break; }
    }
    if (!matched) {
      if (!FILLER.has(raw[i])) out.push(raw[i]);
      i++;
    }
  }
  return out;
}

/** What a name reads as. `entity` is the head word; `qual` the word before it that is not a role; `roles` the role words in order. */
export interface Reading { role: string | null; roles: string[]; qual: string | null; quals: string[]; entity: string | null; words: string[] }

export function read(name: string): Reading {
  return readWords(words(name));
}

/** Past participles that follow the thing they describe (`TimeGenerated`, `time_received`, `bytes_sent`, `file_deleted`). */
const PARTICIPLES = new Set(['generated', 'created', 'received', 'sent', 'modified', 'updated', 'changed', 'deleted', 'removed', 'added', 'started', 'ended', 'opened', 'closed', 'processed', 'reported', 'detected', 'observed', 'accessed', 'written', 'read', 'blocked', 'allowed', 'denied', 'dropped', 'transferred', 'uploaded', 'downloaded', 'occurred', 'recorded', 'collected', 'ingested', 'indexed']);

export function readWords(ws: string[]): Reading {
  // `time_generated` is a time, `bytes_sent` a count: a trailing participle describes the word before it
  if (ws.length >= 2 && PARTICIPLES.has(ws[ws.length - 1]) && ws[ws.length - 2] !== 'by') ws = ws.slice(0, -1);
  // `created_by`, `approvedBy`, `modified_by`: who did it, a person
  if (ws.length >= 2 && ws[ws.length - 1] === 'by') return { role: 'actor', roles: ['actor'], qual: null, quals: [], entity: 'user', words: ws };
  const roles: string[] = [];
  let entity: string | null = null;
  let qual: string | null = null;
  let at = -1;
  for (let i = ws.length - 1; i >= 0; i--) {
    if (!ROLES.has(ws[i])) { entity = ws[i]; at = i; break; }
  }
  // a role last is what the name is about: `mailMsgSubject`, `orig_recipient`, `objectFileOwner`
  if (ws.length > 0 && ROLES.has(ws[ws.length - 1]) && ROLE_ENTITIES.has(ws[ws.length - 1])) { entity = ws[ws.length - 1]; at = ws.length - 1; }
  const quals: string[] = [];
  for (let i = at - 1; i >= 0; i--) if (!ROLES.has(ws[i])) quals.push(ws[i]);
  qual = quals[0] ?? null;
  for (let i = 0; i < ws.length; i++) if (i !== at && ROLES.has(ws[i])) roles.push(ws[i]);
  if (entity === 'address' && (qual === 'mail' || qual === 'email')) { entity = 'email'; qual = null; }
  if (entity === null && roles.length > 0) entity = roles[roles.length - 1]; // `source`, `destination` alone
  return { role: roles[0] ?? null, roles, qual, quals, entity, words: ws };
}

/** Roles that are also things a field may be: the subject of a mail, its recipient, a file's owner, a flow's source. */
const ROLE_ENTITIES = new Set(['subject', 'recipient', 'sender', 'owner', 'approver', 'requester', 'assignee']);

/** Grammar pattern → kind (a Map in the compiled matcher; a scan of the catalog in the naive reference). */
export interface PatternTable<T> { get(pattern: string): T | undefined }

/**
 * The pattern a reading matches in a table compiled from the kinds' `grammar` lists, most specific first:
 * QUALIFIER ENTITY (`device id`), ROLE ENTITY (`source ip`), ENTITY (`ip`); a generic head (`name`,
 * `displayName`, `title`) takes its qualifier's meaning (`policyName` → rule) or, under a role that is a person
 * (`subjectName`, `ownerName`), the user's.
 */
export function lookupReading<T>(r: Reading, table: PatternTable<T>): T | undefined {
  const e = r.entity;
  if (e === null) return undefined;
  let t: T | undefined;
  if (r.qual !== null && (t = table.get(`${r.qual} ${e}`)) !== undefined) return t;
  for (const role of r.roles) if ((t = table.get(`${role} ${e}`)) !== undefined) return t;
  if (!GENERIC.has(e)) return table.get(e);
  // a generic head: the qualifiers, nearest first (`applianceprimaryaddress` is the appliance's address)
  for (let i = 1; i < r.quals.length; i++) if ((t = table.get(`${r.quals[i]} ${e}`)) !== undefined) return t;
  const naming = e === 'name' || e === 'displayname' || e === 'title' || e === 'label';
  if (r.qual !== null && naming) {
    if ((t = table.get(r.qual)) !== undefined) return t;
  }
  if (r.role !== null && PERSON_ROLES.has(r.role) && (e === 'name' || e === 'displayname' || e === 'id')) return table.get(e === 'displayname' ? 'person' : 'user');
  // an id of a thing that is neither a person nor a device (`exceptionId`, `imageId`, `ruleGuid`) is an opaque id
  const idLike = e === 'id' || e === 'guid' || e === 'number' || e === 'key';
  if (r.qual !== null && idLike && PEOPLE.has(r.qual)) return table.get('user id');
  if (r.qual !== null && idLike && DEVICES.has(r.qual)) return table.get('device id');
  if (r.qual !== null && idLike && !PERSONISH.has(r.qual) && !ROLES.has(r.qual)) return table.get('opaque id');
  // the name of a thing that is neither a person nor a device (`policyName`, `providerName`, `activityName`)
  if (r.qual !== null && naming && !PERSONISH.has(r.qual) && r.roles.length === 0) return table.get('thing name');
  return undefined;
}

/** How many parent segments of a path may give a generic leaf its meaning (`users[].name`, `deviceDetail.displayName`). */
const CONTEXT_DEPTH = 3;

/**
 * The kind the grammar reads in a path's segments: the leaf alone, else the leaf read with each of its nearest
 * parents (the object it sits in says what a `name` or `id` names).
 */
export function grammarKindOf<T>(segs: readonly string[], table: PatternTable<T>): T | undefined {
  if (segs.length === 0) return undefined;
  const leaf = segs[segs.length - 1];
  const r = read(leaf);
  const k = lookupReading(r, table);

  if (k !== undefined && (r.entity === null || !GENERIC.has(r.entity))) return k;
  for (let i = segs.length - 2; i >= 0 && i >= segs.length - 1 - CONTEXT_DEPTH; i--) {
    const k2 = lookupReading(read(`${segs[i]} ${leaf}`), table);
    if (k2 !== undefined) return k2;
  }
  return k;
}

/** A kind by a name ending, at a word boundary only: `eventDataIpAddress` → ipaddress, never `passport` → port. */
export function suffixKind<T>(leaf: string, suffixes: ReadonlyArray<readonly [string, T]>): T | undefined {
  const ws = splitWords(leaf);
  for (let k = 1; k < ws.length; k++) {
    const tail = ws.slice(k).join('');
    for (const [s, kind] of suffixes) if (s === tail) return kind;
  }
  return undefined;
}

/** The words of a notice label as a key: canonical, sorted, unique, the words in brackets kept. */
export function labelKey(label: string): string {
  return [...new Set(words(label).map(stem))].sort().join(' ');
}

function stem(w: string): string {
  return w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w;
}

/** The keys a path's leaf may match an item label by: the leaf's words, then with its parent's. */
export function nameKeys(segs: readonly string[]): string[] {
  if (segs.length === 0) return [];
  const leaf = segs[segs.length - 1];
  const out = [labelKey(leaf)];
  if (segs.length > 1) out.push(labelKey(`${segs[segs.length - 2]} ${leaf}`));
  return out.filter((k) => k !== '');
}

const PLAIN_VALUE = /^(?:-?\d+(?:\.\d+)?|true|false|null|none|n\/a|-|\d{4}([-/.])\d{1,2}\1\d{1,2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) {1,2}\d{1,2}(?: \d{4})? \d{2}:\d{2}:\d{2}|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|0x[0-9a-f]+)$/i;
const CODE_VALUE = /^[A-Z][A-Z0-9_]{1,23}$/;

/**
 * A value that is evidence of nothing personal when the name says nothing: a number, a boolean, a date or time,
 * an enumeration word (`allowed`, `TCP_MISS`). Anything else under a name no grammar explains is `unknown`.
 */
export function plainValue(text: string): boolean {
  return text.length <= 40 && (PLAIN_VALUE.test(text) || CODE_VALUE.test(text));
}
