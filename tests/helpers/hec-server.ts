import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** What the test server saw: the figures a load report must match. */
export interface ServerCounts {
  requests: number;
  events: number;
  bodyBytes: number;
  gzipRequests: number;
  hosts: Record<string, number>;
  authorizations: Record<string, number>;
  paths: Record<string, number>;
  /** the most requests it held at once */
  maxConcurrent: number;
}

export interface HecServerOptions {
  /** the token it accepts (else 403 code 4; no header: 401 code 2) */
  token?: string;
  /** hold each request this long before answering */
  delayMs?: number;
  /** answer request number i (0-based) with this status and HEC code instead of 200/0 */
  failWhen?: (i: number) => { status: number; code: number; text: string } | null;
}

export interface HecServer {
  url: string;
  port: number;
  counts: ServerCounts;
  close(): Promise<void>;
}

function bodyOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A small HEC-ish server on 127.0.0.1:0 that parses each batch and counts what it received. */
export async function startHecServer(opts: HecServerOptions = {}): Promise<HecServer> {
  const counts: ServerCounts = { requests: 0, events: 0, bodyBytes: 0, gzipRequests: 0, hosts: {}, authorizations: {}, paths: {}, maxConcurrent: 0 };
  let inFlight = 0;
  const server: Server = createServer(async (req, res) => {
    inFlight++;
    counts.maxConcurrent = Math.max(counts.maxConcurrent, inFlight);
    const i = counts.requests++;
    const raw = await bodyOf(req);
    counts.bodyBytes += raw.length;
    counts.hosts[req.headers.host ?? ''] = (counts.hosts[req.headers.host ?? ''] ?? 0) + 1;
    const auth = req.headers.authorization ?? '';
    counts.authorizations[auth] = (counts.authorizations[auth] ?? 0) + 1;
    counts.paths[req.url ?? ''] = (counts.paths[req.url ?? ''] ?? 0) + 1;
    const answer = (status: number, body: object) => {
      const send = () => {
        inFlight--;
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(body));
      };
      if (opts.delayMs) setTimeout(send, opts.delayMs);
      else send();
    };
    let text: string;
    if (req.headers['content-encoding'] === 'gzip') {
      counts.gzipRequests++;
      text = gunzipSync(raw).toString('utf8');
    } else {
      text = raw.toString('utf8');
    }
    if (opts.token !== undefined) {
      if (!auth) return answer(401, { text: 'Token is required', code: 2 });
      if (auth !== `Splunk ${opts.token}`) return answer(403, { text: 'Invalid token', code: 4 });
    }
    const fail = opts.failWhen?.(i);
    if (fail) return answer(fail.status, { text: fail.text, code: fail.code });
    let n = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const e = JSON.parse(line) as { event?: unknown };
      if (e.event === undefined) return answer(400, { text: 'Event field is required', code: 12, 'invalid-event-number': n });
      n++;
    }
    counts.events += n;
    answer(200, { text: 'Success', code: 0 });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
