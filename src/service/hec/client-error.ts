import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isSimError, SimError } from '../../errors/sim-error.ts';
import type { ErrorCode } from '../../errors/codes.ts';

/** The Content-Type of every HEC answer. */
export const HEC_JSON = 'application/json; charset=UTF-8';

/** Maps Fastify's own errors (body limit, media type, content length) and anything else to a SimError. */
export function toSimError(err: unknown, maxBodyBytes: number): SimError {
  if (isSimError(err)) return err;
  const e = err as FastifyError;
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SimError('SIM_ERR_HTTP_BODY_TOO_LARGE', { detail: `the body is larger than ${maxBodyBytes} bytes (limits.maxBodyBytes)` });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SimError('SIM_ERR_HTTP_MEDIA_TYPE_INVALID', { detail: 'the Content-Type header cannot be parsed; send application/json' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SimError('SIM_ERR_HTTP_BAD_REQUEST', { detail: 'the body is not as long as Content-Length says' });
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new SimError('SIM_ERR_HTTP_BAD_REQUEST', { detail: e.message });
  }
  return new SimError('SIM_ERR_HEC_INTERNAL', { cause: err });
}

/**
 * A Fastify error handler that answers every error as HEC does: `{"text":…,"code":n}` (with `detail`, and the
 * catalog code in X-Sim-Error). The root's (admin API, /metrics) and, with `counted`, the HEC plugin's
 * (src/service/hec/plugin.ts), which counts each refusal in ingestor_sim_hec_requests_total.
 */
export function hecErrorHandler(maxBodyBytes: number, counted?: (e: SimError, req: FastifyRequest) => void) {
  return function answerError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
    const e = toSimError(err, maxBodyBytes);
    if (e.code === 'SIM_ERR_HEC_INTERNAL') req.log.error({ err }, 'internal error');
    else if (e.code === 'SIM_ERR_STORE_DISK_FULL') req.log.debug({ code: e.code, status: e.statusCode }, e.message); // logged once per change (watchStores)
    else req.log.info({ code: e.code, status: e.statusCode }, e.message);
    if (e.headers) reply.headers(e.headers);
    counted?.(e, req);
    reply.code(e.statusCode).header('x-sim-error', e.code).type(HEC_JSON).send(e.body());
  };
}

/** The raw HTTP answer of a SimError, for a socket no request object owns (Node's parser refused it). */
export function rawHecAnswer(e: SimError, close = true): string {
  const body = JSON.stringify(e.body());
  return `HTTP/1.1 ${e.statusCode} ${statusText(e.statusCode)}\r\nContent-Type: ${HEC_JSON}\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nX-Sim-Error: ${e.code}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`;
}

function statusText(status: number): string {
  return ({ 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Error';
}

/**
 * Node's own refusals, before any route runs: a bad request line or header (400), headers past the size
 * limit (431), headers or the request not complete in time (408). Node and Fastify answer these with bodies
 * of their own; a HEC client gets HEC JSON like every other answer. Used as Fastify's clientErrorHandler
 * and as the 'clientError' listener of the servers src/service/server.ts makes.
 */
export function hecClientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let code: ErrorCode;
  if (err.code === 'HPE_HEADER_OVERFLOW') code = 'SIM_ERR_HTTP_HEADERS_TOO_LARGE';
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') code = 'SIM_ERR_HTTP_REQUEST_TIMEOUT';
  else code = 'SIM_ERR_HTTP_BAD_REQUEST';
  const detail = code === 'SIM_ERR_HTTP_BAD_REQUEST' ? `the HTTP request cannot be parsed (${err.code ?? err.message})` : undefined;
  // a response already on its way on this socket cannot get a second one
  if (socket.writable && !(socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.end(rawHecAnswer(new SimError(code, { detail })));
  }
  socket.destroySoon?.();
}
