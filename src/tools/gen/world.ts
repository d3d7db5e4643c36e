import type { Rng } from './prng.ts';

/**
 * The fixed cast a generator draws from: users, endpoints and sites built once from the seed,
 * so events repeat the same people and machines the way real traffic does.
 * Every address is a documentation address: IPv4 from RFC 5737 (192.0.2.0/24 inside,
 * 198.51.100.0/24 and 203.0.113.0/24 outside), MACs from RFC 7042 (00-00-5E-00-53-xx),
 * names and mail under example.com / example.org / example.net (RFC 2606).
 */
export interface User {
  first: string;
  last: string;
  /** sAMAccountName, e.g. `jsmith` */
  sam: string;
  /** `jane.smith@example.com` (also the UPN) */
  email: string;
  domain: string;
  department: string;
}

export interface Endpoint {
  name: string;
  fqdn: string;
  ip: string;
  mac: string;
  os: OsInfo;
  agentGuid: string;
  owner: User;
}

export interface OsInfo {
  name: string;
  version: string;
  build: string;
  patchLevel: string;
  sku: string;
}

export interface Site {
  domain: string;
  ip: string;
  category: string;
}

export interface World {
  users: User[];
  endpoints: Endpoint[];
  sites: Site[];
  firewalls: { host: string; ip: string }[];
  proxies: { host: string; ip: string }[];
  sensors: { host: string; guid: string; ip: string }[];
  adDomain: string;
}

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj',
  'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yuki', 'zoe', 'aiko', 'bruno', 'chen', 'dmitri',
  'elena', 'farah', 'goran', 'hana', 'imran', 'jonas', 'kiri', 'lena', 'mateo', 'noor', 'oskar', 'priya', 'quinn', 'rafael', 'sofia'];
const LAST = ['smith', 'jones', 'garcia', 'miller', 'davis', 'tanaka', 'suzuki', 'nguyen', 'kim', 'patel', 'singh', 'muller',
  'rossi', 'silva', 'dubois', 'novak', 'kowalski', 'hansen', 'obrien', 'walker', 'lee', 'wong', 'khan', 'ali', 'ito', 'sato'];
const DEPARTMENTS = ['finance', 'engineering', 'sales', 'hr', 'legal', 'it', 'marketing', 'support'];
const MAIL_DOMAINS = ['example.com', 'example.org', 'example.net'];
const SITE_WORDS = ['www', 'cdn', 'api', 'mail', 'login', 'docs', 'files', 'news', 'shop', 'static', 'portal', 'video', 'img', 'updates'];
const SITE_CATEGORIES = ['Business and Economy', 'Computers and Internet', 'News and Media', 'Search Engines and Portals',
  'Web-based Email', 'Streaming Media', 'Social Networking', 'Software Downloads', 'Content Delivery Networks',
  'Shopping', 'Uncategorized'];

const OSES: OsInfo[] = [
  { name: 'Windows 11 Enterprise', version: '10.0', build: '22631', patchLevel: 'KB5034204', sku: 'Enterprise' },
  { name: 'Windows 11 Pro', version: '10.0', build: '22631', patchLevel: 'KB5033375', sku: 'Professional' },
  { name: 'Windows 10 Enterprise', version: '10.0', build: '19045', patchLevel: 'KB5034122', sku: 'Enterprise' },
  { name: 'Windows Server 2022 Datacenter', version: '10.0', build: '20348', patchLevel: 'KB5034129', sku: 'Datacenter' },
  { name: 'macOS Sonoma', version: '14.2.1', build: '23C71', patchLevel: '14.2.1', sku: 'Client' },
  { name: 'Ubuntu 22.04.3 LTS', version: '22.04', build: '5.15.0-91-generic', patchLevel: '5.15.0-91.101', sku: 'Server' },
  { name: 'Red Hat Enterprise Linux 9.3', version: '9.3', build: '5.14.0-362.13.1.el9_3', patchLevel: 'el9_3', sku: 'Server' },
];

export function insideIp(rng: Rng): string {
  return `192.0.2.${rng.range(1, 254)}`;
}

export function outsideIp(rng: Rng): string {
  return rng.chance(0.5) ? `198.51.100.${rng.range(1, 254)}` : `203.0.113.${rng.range(1, 254)}`;
}

export function docMac(rng: Rng): string {
  return `00:00:5e:00:53:${rng.int(256).toString(16).padStart(2, '0')}`;
}

export function buildWorld(rng: Rng): World {
  const adDomain = 'CORP';
  const users: User[] = [];
  const seen = new Set<string>();
  while (users.length < 120) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const key = `${first}.${last}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const domain = users.length % 10 === 9 ? rng.pick(MAIL_DOMAINS) : 'example.com';
    users.push({ first, last, sam: `${first[0]}${last}`.slice(0, 20), email: `${key}@${domain}`, domain, department: rng.pick(DEPARTMENTS) });
  }
  const endpoints: Endpoint[] = [];
  const usedIps = new Set<string>();
  for (let i = 0; i < 150; i++) {
    const os = rng.pick(OSES);
    const prefix = os.name.startsWith('Windows Server') ? 'srv' : os.name.startsWith('macOS') ? 'mac' : os.name.startsWith('Windows') ? 'ws' : 'lnx';
    const name = `${prefix}-${String(1000 + i)}`;
    let ip = insideIp(rng);
    for (let tries = 0; usedIps.has(ip) && tries < 10; tries++) ip = insideIp(rng);
    usedIps.add(ip);
    endpoints.push({
      name, fqdn: `${name}.corp.example.com`, ip, mac: docMac(rng), os, agentGuid: rng.guid(), owner: users[i % users.length],
    });
  }
  const sites: Site[] = [];
  for (let i = 0; i < 80; i++) {
    sites.push({ domain: `${rng.pick(SITE_WORDS)}${i % 7 === 0 ? rng.range(1, 9) : ''}.${rng.pick(MAIL_DOMAINS)}`, ip: outsideIp(rng), category: rng.pick(SITE_CATEGORIES) });
  }
  const firewalls = [1, 2, 3].map((n) => ({ host: `fw-0${n}.example.net`, ip: `192.0.2.${250 + n}` }));
  const proxies = [1, 2].map((n) => ({ host: `proxy-0${n}.example.net`, ip: `192.0.2.${245 + n}` }));
  const sensors = [1, 2].map((n) => ({ host: `nsensor-0${n}.example.net`, guid: rng.guid(), ip: `192.0.2.${240 + n}` }));
  return { users, endpoints, sites, firewalls, proxies, sensors, adDomain };
}
