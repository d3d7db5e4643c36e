import type { Socket } from 'node:net';
import { SimError } from '../../errors/sim-error.ts';
import type { ErrorCode } from '../../errors/codes.ts';

/** The raw HTTP answer of a SimError, for a socket no request object owns (Node's parser refused it). */
export function rawHecAnswer(e: SimError, close = true): string {
  const body = JSON.stringify(e.body());
  return `HTTP/1.1 ${e.statusCode} ${statusText(e.statusCode)}\r\nContent-Type: application/json; charset=UTF-8\r\n`
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
