import type { Rng } from '../prng.ts';
import type { World } from '../world.ts';
import { epochSeconds, type HecEnvelope } from '../types.ts';

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
  'Microsoft-CryptoAPI/10.0',
  'curl/8.4.0',
];
const PATHS = ['/', '/index.html', '/login', '/api/v1/items', '/api/v2/search', '/static/app.js', '/static/site.css',
  '/images/logo.png', '/docs/guide.pdf', '/download/setup.exe', '/news/today', '/cart', '/oauth2/authorize'];
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'application/javascript', '.css': 'text/css', '.png': 'image/png', '.pdf': 'application/pdf',
  '.exe': 'application/octet-stream', '.html': 'text/html',
};
const VENDORS = [
  { sourcetype: 'bluecoat:proxysg:access:syslog', vendor_product: 'Symantec ProxySG', source: 'udp:514' },
  { sourcetype: 'zscalernss-web', vendor_product: 'Zscaler Internet Access', source: 'zscaler:nss' },
] as const;

/** A Web (CIM Web / Proxy) event from a forward proxy. */
export function webGatewayEvent(rng: Rng, world: World, timeMs: number): HecEnvelope {
  const vendor = rng.weighted(VENDORS, [3, 2]);
  const proxy = rng.pick(world.proxies);
  const endpoint = rng.pick(world.endpoints);
  const site = rng.pick(world.sites);
  const path = rng.pick(PATHS);
  const https = rng.chance(0.85);
  const method = path.startsWith('/api') || path === '/login' ? rng.pick(['GET', 'POST', 'POST', 'PUT']) : rng.chance(0.95) ? 'GET' : 'HEAD';
  const query = path.includes('search') ? `?q=${rng.pick(['report', 'invoice', 'vpn', 'holiday', 'release'])}&page=${rng.range(1, 5)}` : '';
  const blocked = site.category === 'Uncategorized' ? rng.chance(0.5) : rng.chance(0.03);
  const status = blocked ? 403 : rng.weighted([200, 204, 301, 302, 304, 404, 500, 502], [70, 3, 4, 6, 9, 5, 2, 1]);
  const bytesIn = blocked ? rng.range(300, 900) : rng.range(200, status === 200 ? 900_000 : 2_000);
  const bytesOut = rng.range(300, method === 'POST' || method === 'PUT' ? 60_000 : 1_800);
  const ua = rng.pick(USER_AGENTS);
  const url = `${https ? 'https' : 'http'}://${site.domain}${path}${query}`;
  const ext = path.slice(path.lastIndexOf('.'));
  const event: Record<string, unknown> = {
    action: blocked ? 'blocked' : 'allowed',
    status,
    src: endpoint.ip,
    user: `${world.adDomain}\\${endpoint.owner.sam}`,
    http_method: method,
    url,
    url_domain: site.domain,
    url_length: url.length,
    uri_path: path,
    uri_query: query,
    site: site.domain,
    dest: site.domain,
    dest_ip: site.ip,
    dest_port: https ? 443 : 80,
    http_user_agent: ua,
    http_user_agent_length: ua.length,
    http_content_type: CONTENT_TYPES[ext] ?? 'application/json',
    http_referrer: rng.chance(0.4) ? `https://${rng.pick(world.sites).domain}/` : '-',
    category: site.category,
    bytes: bytesIn + bytesOut,
    bytes_in: bytesIn,
    bytes_out: bytesOut,
    duration: rng.range(1, 4000),
    cached: rng.chance(0.1),
    dvc: proxy.host,
    vendor_product: vendor.vendor_product,
  };
  return { time: epochSeconds(timeMs), host: proxy.host, source: vendor.source, sourcetype: vendor.sourcetype, event };
}
