/**
 * Refuse before `100 Continue`: a client that sends `Expect: 100-continue` waits for the server's go-ahead
 * before it uploads the body. Node answers 100 at once unless the server has a 'checkContinue' listener;
 * this one decides from the headers alone what the HEC hook would decide after the body — shutting down, the
 * host's region, the token and its region (the hook's own routeAndToken, src/service/hec/on-request.ts), /ack without
 * useAck, a Content-Length over limits.maxBodyBytes — and answers that error at once, with `Connection: close`,
 * so the body is never sent. Otherwise it
 * sends 100 and hands the request to Fastify, where every check runs again as for any request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSimError, SimError } from '../../errors/sim-error.ts';
import { HEC_JSON } from './client-error.ts';
import { routeAndToken } from './on-request.ts';
import type { SimState } from '../state.ts';

const KIND: Record<string, 'event' | 'raw' | 'ack'> = {
  '/services/collector': 'event',
  '/services/collector/event': 'event',
  '/services/collector/event/1.0': 'event',
  '/services/collector/raw': 'raw',
  '/services/collector/raw/1.0': 'raw',
  '/services/collector/ack': 'ack',
};

/** What the headers already decide for a request (null: go ahead), and the region's response headers. */
export function decideFromHeaders(sim: SimState, req: IncomingMessage): { error: SimError; headers: Record<string, string> } | null {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q)).replace(/\/+$/, '') || '/';
  const kind = KIND[path];
  if (req.method !== 'POST' || kind === undefined) return null;
  let headers: Record<string, string> = {};
  try {
    const tokens = new URLSearchParams(q === -1 ? '' : url.slice(q + 1)).getAll('token');
    const { def } = routeAndToken(sim, req, tokens.length === 0 ? undefined : tokens.length === 1 ? tokens[0] : tokens,
      (r) => { headers = r.headers; }, (obj, msg) => sim.log.warn(obj, msg));
    if (kind === 'ack' && !def.useAck) throw new SimError('SIM_ERR_HEC_ACK_DISABLED', { detail: 'this token has no "useAck": true' });
    const length = Number(req.headers['content-length']);
    if (Number.isFinite(length) && length > sim.cfg.limits.maxBodyBytes) {
      throw new SimError('SIM_ERR_HTTP_BODY_TOO_LARGE', { detail: `Content-Length ${length} is larger than ${sim.cfg.limits.maxBodyBytes} bytes (limits.maxBodyBytes); nothing was read` });
    }
    return null;
  } catch (err) {
    if (!isSimError(err)) throw err;
    return { error: err, headers };
  }
}

/** The 'checkContinue' listener of a server whose requests go to `handler` (Fastify's). */
export function checkContinueListener(sim: SimState, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let refused: ReturnType<typeof decideFromHeaders>;
    try {
      refused = decideFromHeaders(sim, req);
    } catch {
      refused = null; // anything unexpected: let the normal path answer it
    }
    if (refused === null) {
      res.writeContinue();
      handler(req, res);
      return;
    }
    const { error, headers } = refused;
    sim.log.info({ code: error.code, status: error.statusCode, url: (req.url ?? '').replace(/([?&]token=)[^&#]*/gi, '$1[redacted]') }, `refused before 100 Continue: ${error.message}`);
    const body = JSON.stringify(error.body());
    res.writeHead(error.statusCode, {
      ...headers,
      ...error.headers,
      'content-type': HEC_JSON,
      'content-length': Buffer.byteLength(body),
      'x-sim-error': error.code,
      connection: 'close',
    });
    res.end(body);
  };
}
