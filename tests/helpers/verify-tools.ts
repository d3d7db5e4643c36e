/** Helpers of verify's end-to-end tests: run the CLI as a user does; a tiny HTTP CONNECT proxy on loopback. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { projectRoot } from '../../src/config/schema.ts';

export interface Ran { code: number | null; stdout: string; stderr: string }

export function cli(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy']) delete base[k];
    const child = spawn(process.execPath, ['bin/ingestor-sim.js', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ConnectProxy {
  port: number;
  /** CONNECT targets seen, `host:port`. */
  seen: string[];
  close(): Promise<void>;
}

/**
 * An HTTP CONNECT proxy for tests. `route(host, port)` gives the loopback address:port to tunnel to, or a status
 * number to answer instead (e.g. 403). It resolves names only through `route`: never a real DNS lookup.
 */
export async function startConnectProxy(route: (host: string, port: number) => { address: string; port: number } | number): Promise<ConnectProxy> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      const m = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]\r\n/.exec(buf.subarray(0, end + 2).toString('latin1'));
      if (!m) return void client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      seen.push(`${m[1]}:${m[2]}`);
      const to = route(m[1], Number(m[2]));
      if (typeof to === 'number') return void client.end(`HTTP/1.1 ${to} Denied by test proxy\r\nContent-Length: 0\r\n\r\n`);
      const upstream = net.connect(to.port, to.address);
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = buf.subarray(end + 4);
        if (rest.length) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      upstream.once('error', () => {
        if (!upstream.readyState.startsWith('open')) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
        else client.destroy();
      });
    };
    client.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A TCP server that accepts connections and never says anything (a silent middlebox / hung server). */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
