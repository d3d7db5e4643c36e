/**
 * The HEC surface as an encapsulated Fastify plugin, registered without a prefix by src/service/app.ts. What
 * it adds holds for its own routes only; the admin plugin and /metrics never see it:
 * - its body parser: every content type read as bytes, up to limits.maxBodyBytes, kept as the chunks they came in
 *   (body-chunks.ts; HEC clients label JSON as anything: splunk-logging sends form-urlencoded, some clients send
 *   no Content-Type or junk);
 * - its hooks, in this order: onRequest region routing (port, SNI, Host) + token auth + channel (on-request.ts
 *   hecOnRequest), then fault injection (src/service/faults), which needs the region routing found;
 *   preParsing admission (queue depth, bytes in flight: 503 code 9 before the body is read); onError faults
 *   (an unreachable region stays unreachable for a request routing or auth refused);
 * - `Expect: 100-continue` refused from the headers alone on the shared port (continue.ts);
 * - its routes (routes.ts) and the CORS preflight (OPTIONS on any path);
 * - its error handler (HEC JSON, each refusal counted per region and endpoint) and the not-found handler. A
 *   not-found handler set inside a plugin gives Fastify's 404 route that plugin's parser, hooks and error
 *   handler: a request for an unknown path is read and answered as HEC reads and answers (404 code 404).
 * The root adds before it what every answer shares: the CORS headers, the request-duration metric, the
 * decorators `sim` and `faults`.
 */
import type { FastifyInstance } from 'fastify';
import { SimError } from '../../errors/sim-error.ts';
import type { FaultRegistry } from '../faults/registry.ts';
import { registerFaults } from '../faults/plugin.ts';
import { registerPreflight, type CorsPolicy } from '../region/cors.ts';
import { admissionMetrics, registerAdmission } from './admission.ts';
import { readChunks } from './body-chunks.ts';
import { HEC_JSON, hecErrorHandler } from './client-error.ts';
import { checkContinueListener } from './continue.ts';
import { hecOnRequest } from './on-request.ts';
import { registerHecRoutes } from './routes.ts';

export interface HecPluginOptions {
  /** Fault injection per region (the root's `app.faults`). */
  faults: FaultRegistry;
  /** The compiled crossOriginSharingPolicy (null: none), for the preflight answer. */
  cors: CorsPolicy | null;
}

export async function hecPlugin(app: FastifyInstance, opts: HecPluginOptions): Promise<void> {
  const sim = app.sim;
  const limits = sim.cfg.limits;

  // this scope only: every content type as bytes (the root keeps Fastify's defaults, which serve no route of its own)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', readChunks(limits.maxBodyBytes));

  app.decorateRequest('region', null);
  app.decorateRequest('hec', null);

  // region routing + auth + channel; region-aware hooks (fault injection) go after this one
  app.addHook('onRequest', hecOnRequest);
  // queue depth and bytes in flight: 503 code 9 before the body is read (admission.ts)
  const admission = registerAdmission(app, sim.budgets, limits);
  admissionMetrics(sim.metrics.registry, sim.budgets, admission.admitted);
  registerFaults(app, opts.faults);
  sim.acks.fate = (region) => opts.faults.ackFate(region); // indexing delay and ack loss per region (src/service/faults)

  // Expect: 100-continue: refuse what the headers already decide before the client uploads (continue.ts)
  app.server.on('checkContinue', checkContinueListener(sim, (req, res) => app.server.emit('request', req, res)));

  app.setErrorHandler(hecErrorHandler(limits.maxBodyBytes, (e, req) => {
    if (req.region && req.routeOptions.config.hec) {
      sim.metrics.requests.inc({ region: req.region, endpoint: req.routeOptions.config.hec, status: String(e.statusCode), hec_code: String(e.hecCode ?? '') });
    }
  }));
  app.setNotFoundHandler((req, reply) => {
    const e = new SimError('SIM_ERR_HTTP_NOT_FOUND', { detail: `${req.method} ${req.url.split('?')[0]} is not an endpoint of this server` });
    reply.code(404).header('x-sim-error', e.code).type(HEC_JSON).send(e.body());
  });

  registerHecRoutes(app);
  registerPreflight(app, opts.cors);
}
