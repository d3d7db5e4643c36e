/**
 * Applies a region's faults to the HEC service: `registerFaults(app, registry)` adds, to the HEC plugin's scope
 * (src/service/hec/plugin.ts; the root decorates `app.faults`, which the admin plugin and server.ts use),
 * - an onRequest hook (after the HEC plugin's region routing, which sets `request.region`): unreachable
 *   (refused: RST; dropped: never answered), added latency, connection resets, error answers, slow (trickled) replies;
 * - an onError hook, so an unreachable region stays unreachable for requests the routing/auth hook refused.
 * The admin routes GET/PUT/DELETE /admin/v1/regions/:region/faults (admin-route.ts) are the admin plugin's.
 * `guardListener(server, region, registry)` does the same for a region's own port at the TCP level.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultRegistry } from './registry.ts';

const kHandled = Symbol('sim.fault.handled');

type Marked = FastifyRequest & { [kHandled]?: boolean };

/** Sends a TCP RST (SO_LINGER 0) where the socket allows it; a TLS socket resets its TCP socket underneath. */
export function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    const parent = (socket as Socket & { _parent?: Socket })._parent;
    try {
      if (parent) parent.resetAndDestroy();
      else socket.destroy();
    } catch {
      socket.destroy();
    }
    socket.destroy();
  }
}

/**
 * Waits at least `ms` of real time. A timer counts from the event loop's clock, read when the loop iteration
 * began, so a plain setTimeout armed late in a busy iteration fires early (9.6 ms for 10 were seen): re-arm
 * for what is left.
 */
const sleep = (ms: number) => new Promise<void>((resolve) => {
  const end = performance.now() + ms;
  const check = () => {
    const left = end - performance.now();
    if (left <= 0) resolve();
    else setTimeout(check, Math.max(1, Math.ceil(left)));
  };
  setTimeout(check, ms);
});

/** Holds sockets of a 'dropped' region; releases them when the client gives up, the fault is lifted or on close. */
class HeldSockets {
  readonly #held = new Set<Socket>();
  #poll: NodeJS.Timeout | null = null;

  /** `releaseWhen`: checked twice a second while sockets are held (e.g. the service is shutting down). */
  constructor(private readonly releaseWhen: () => boolean = () => false) {}

  hold(socket: Socket, maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.#held.add(socket);
      this.#poll ??= setInterval(() => {
        if (this.releaseWhen()) this.releaseAll();
      }, 500).unref();
      const done = () => {
        clearTimeout(timer);
        this.#held.delete(socket);
        if (this.#held.size === 0 && this.#poll) {
          clearInterval(this.#poll);
          this.#poll = null;
        }
        resolve();
      };
      const timer = setTimeout(() => {
        socket.destroy();
        done();
      }, maxMs);
      timer.unref();
      socket.once('close', done);
    });
  }

  releaseAll(): void {
    for (const s of this.#held) s.destroy();
    this.#held.clear();
  }

  get size(): number {
    return this.#held.size;
  }
}

export interface FaultPluginOptions {
  /** Longest time a 'dropped' connection is held (default 10 minutes); clients normally give up long before. */
  maxHoldMs?: number;
}

type WriteCb = (err?: Error | null) => void;

/**
 * Trickles everything written to `res`: bytes are queued and written `chunkBytes` at a time, one chunk every
 * chunkBytes/bytesPerSecond seconds; end() waits for the queue. Headers (and Content-Length) are unchanged.
 * Patching the response rather than returning a stream from onSend keeps Fastify's reply state right for
 * handlers that call reply.send() without returning it.
 */
export function trickleResponse(res: ServerResponse, bytesPerSecond: number, chunkBytes: number): void {
  const origWrite = res.write.bind(res) as (chunk: Buffer) => boolean;
  const origEnd = res.end.bind(res) as () => ServerResponse;
  const interval = (chunkBytes / bytesPerSecond) * 1000;
  let pending = Buffer.alloc(0);
  let ending = false;
  let timer: NodeJS.Timeout | null = null;
  const pump = () => {
    timer = null;
    if (res.destroyed) return;
    if (pending.length) {
      const c = pending.subarray(0, chunkBytes);
      pending = pending.subarray(c.length);
      origWrite(c);
    }
    if (pending.length) timer = setTimeout(pump, interval);
    else if (ending) origEnd();
  };
  const toBuf = (chunk: unknown, enc: unknown): Buffer => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8'));
  res.write = ((chunk: unknown, enc?: unknown, cb?: unknown) => {
    if (chunk !== null && chunk !== undefined) pending = Buffer.concat([pending, toBuf(chunk, enc)]);
    if (!timer && pending.length) timer = setTimeout(pump, interval);
    const done = (typeof enc === 'function' ? enc : cb) as WriteCb | undefined;
    if (done) process.nextTick(done);
    return true;
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, enc?: unknown, cb?: unknown) => {
    if (chunk !== null && chunk !== undefined && typeof chunk !== 'function') res.write(chunk as Buffer, enc as BufferEncoding);
    ending = true;
    const done = [chunk, enc, cb].find((x) => typeof x === 'function') as WriteCb | undefined;
    if (done) res.once('finish', () => done());
    if (!timer && !pending.length) origEnd();
    return res;
  }) as ServerResponse['end'];
  res.once('close', () => {
    if (timer) clearTimeout(timer);
  });
}

/**
 * Registers the fault hooks on `app` (the HEC plugin's scope: its requests only, after its region routing hook);
 * the admin plugin serves the registry's routes (/admin/v1/regions/:region/faults, admin-route.ts).
 */
export function registerFaults(app: FastifyInstance, registry: FaultRegistry, opts: FaultPluginOptions = {}): void {
  // A held request would keep server.close() waiting: release them as soon as the service starts shutting down
  // (src/service/server.ts sets sim.shuttingDown before it closes the region-port listeners), and on preClose.
  const held = new HeldSockets(() => (app as unknown as { sim?: { shuttingDown?: boolean } }).sim?.shuttingDown === true);
  const maxHoldMs = opts.maxHoldMs ?? 600_000;
  registry.on('change', (_region: string, spec: { unreachable?: string | null }) => {
    if (spec.unreachable !== 'dropped') held.releaseAll();
  });

  app.addHook('onRequest', async function faultOnRequest(request: Marked, reply: FastifyReply) {
    if (!registry.active || !request.region) return;
    const d = registry.decide(request.region);
    if (!d || (d.action === 'pass' && d.delayMs === 0 && !d.slow)) return;
    request[kHandled] = true;
    reply.header('x-sim-fault', d.action === 'pass' ? (d.slow ? 'slow' : 'latency') : d.action);
    if (d.action === 'refuse') {
      reply.hijack();
      resetSocket(request.raw.socket);
      return;
    }
    if (d.action === 'drop') {
      reply.hijack();
      await held.hold(request.raw.socket, maxHoldMs);
      return;
    }
    if (d.delayMs > 0) await sleep(d.delayMs);
    if (d.action === 'reset') {
      reply.hijack();
      resetSocket(request.raw.socket);
      return;
    }
    if (d.action === 'error' && d.error) {
      if (d.error.retryAfterSeconds !== null) reply.header('retry-after', String(d.error.retryAfterSeconds));
      reply.code(d.error.status).type('application/json; charset=UTF-8').send({ text: d.error.text, code: d.error.code });
      return reply;
    }
    if (d.slow) trickleResponse(reply.raw, d.slow.bytesPerSecond, d.slow.chunkBytes);
  });

  // A request refused by routing/auth (thrown in an earlier onRequest hook) never reached the hook above.
  app.addHook('onError', async function faultOnError(request: Marked, reply: FastifyReply) {
    if (!registry.active || !request.region || request[kHandled]) return;
    const u = registry.unreachable(request.region);
    if (u === 'refused') {
      reply.hijack();
      resetSocket(request.raw.socket);
    } else if (u === 'dropped') {
      reply.hijack();
      await held.hold(request.raw.socket, maxHoldMs);
    }
  });

  app.addHook('preClose', async function releaseHeldSockets() {
    held.releaseAll();
  });

}

/**
 * TCP-level faults for a server that listens for one region (a --region-ports listener): while the region is
 * 'refused', new connections are reset before TLS or HTTP; while 'dropped', they are accepted and never read.
 * Call after the server's own 'connection' listeners are attached (it wraps them).
 */
export function guardListener(server: Server, region: string, registry: FaultRegistry, maxHoldMs = 600_000): () => void {
  const original = server.listeners('connection') as Array<(s: Socket) => void>;
  const held = new HeldSockets();
  const onConnection = (socket: Socket) => {
    const u = registry.active ? registry.unreachable(region) : null;
    if (u === 'refused') return resetSocket(socket);
    if (u === 'dropped') {
      socket.pause();
      socket.on('error', () => undefined);
      void held.hold(socket, maxHoldMs);
      return;
    }
    for (const l of original) l.call(server, socket);
  };
  const onChange = (r: string, spec: { unreachable?: string | null }) => {
    if (r === region && spec.unreachable !== 'dropped') held.releaseAll();
  };
  server.removeAllListeners('connection');
  server.on('connection', onConnection);
  registry.on('change', onChange);
  server.once('close', () => held.releaseAll());
  return () => {
    registry.off('change', onChange);
    held.releaseAll();
    server.removeListener('connection', onConnection);
    for (const l of original) server.on('connection', l);
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Fault injection per region (src/service/faults). */
    faults: FaultRegistry;
  }
}
