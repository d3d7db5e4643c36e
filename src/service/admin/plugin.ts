/**
 * The admin API as a Fastify plugin, registered under /admin/v1 (src/service/app.ts). In its own scope:
 * - the Bearer adminToken check on every route (onRequest, before anything is read);
 * - its own body parser: JSON whatever the Content-Type (the root reads every body as bytes for HEC);
 * - its own Ajv validator compiler and schemaErrorFormatter: each route's schema (schemas.ts) refuses bad
 *   params, query strings and bodies with SIM_ERR_ADMIN_BAD_REQUEST naming the field;
 * - the routes: routes.ts, and the fault routes (src/service/faults/admin-route.ts).
 * Errors go to the service's error handler (HEC-style JSON body, X-Sim-Error header).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SimError } from '../../errors/sim-error.ts';
import { faultAdminRoutes } from '../faults/admin-route.ts';
import { adminRoutes } from './routes.ts';
import { adminValidatorCompiler, formatErrors, parseAdminJson } from './validation.ts';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AdminPluginOptions {
  adminToken: string;
}

export async function adminPlugin(app: FastifyInstance, opts: AdminPluginOptions): Promise<void> {
  app.addHook('onRequest', async (req) => {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m || !sameSecret(m[1], opts.adminToken)) {
      throw new SimError('SIM_ERR_ADMIN_UNAUTHORIZED', { detail: "send 'Authorization: Bearer <adminToken>'", headers: { 'www-authenticate': 'Bearer realm="ingestor-sim admin"' } });
    }
  });

  // this scope only: the root keeps its HEC parser (every content type as bytes)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', '*'], { parseAs: 'string' }, (req, body, done) => parseAdminJson(req, body as string, done));

  // an empty query value is no value (`?region=` filters nothing), as before the schemas
  app.addHook('preValidation', async (req) => {
    const q = req.query as Record<string, unknown>;
    for (const k of Object.keys(q)) if (q[k] === '') delete q[k];
  });
  app.setValidatorCompiler(adminValidatorCompiler);
  app.setSchemaErrorFormatter((errors, dataVar) => formatErrors(errors, dataVar));

  await app.register(adminRoutes);
  if (app.hasDecorator('faults')) await app.register(faultAdminRoutes, { registry: app.faults });
}
