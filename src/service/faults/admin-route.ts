/** GET / PUT / DELETE /admin/v1/regions/:region/faults, with the admin bearer token. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SchemaError } from '../../config/schema.ts';
import { parseFaultSpec } from './model.ts';
import type { FaultRegistry } from './registry.ts';

export interface FaultAdminOptions {
  registry: FaultRegistry;
  adminToken: string;
}

const JSON_TYPE = 'application/json; charset=UTF-8';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function faultAdminRoutes(app: FastifyInstance, opts: FaultAdminOptions): Promise<void> {
  const { registry, adminToken } = opts;

  const fail = (status: number, text: string, detail: string) => ({ status, body: { text, code: status, detail } });

  app.route<{ Params: { region: string } }>({
    method: ['GET', 'PUT', 'DELETE'],
    url: '/regions/:region/faults',
    handler: async (req, reply) => {
      const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || !sameSecret(m[1], adminToken)) {
        const f = fail(401, 'Admin token required', "send 'Authorization: Bearer <adminToken>'");
        return reply.code(f.status).header('www-authenticate', 'Bearer realm="ingestor-sim admin"').type(JSON_TYPE).send(f.body);
      }
      const region = req.params.region;
      if (!registry.regions.includes(region)) {
        const f = fail(404, 'Unknown region', `'${region}' is not a served region (${registry.regions.join(', ')})`);
        return reply.code(f.status).type(JSON_TYPE).send(f.body);
      }
      if (req.method === 'PUT') {
        let doc: unknown = req.body;
        if (Buffer.isBuffer(doc)) {
          try {
            doc = JSON.parse(doc.toString('utf8'));
          } catch (err) {
            const f = fail(400, 'Bad admin request', `the body is not JSON: ${(err as Error).message}`);
            return reply.code(f.status).type(JSON_TYPE).send(f.body);
          }
        }
        try {
          registry.set(region, parseFaultSpec(doc, `faults of region '${region}'`));
        } catch (err) {
          if (!(err instanceof SchemaError)) throw err;
          const f = { status: 400, body: { text: 'Bad admin request', code: 400, detail: err.message, problems: err.problems } };
          return reply.code(f.status).type(JSON_TYPE).send(f.body);
        }
        req.log.warn({ region, faults: registry.get(region) }, 'fault injection changed');
      } else if (req.method === 'DELETE') {
        registry.clear(region);
        req.log.warn({ region }, 'fault injection cleared');
      }
      return reply.type(JSON_TYPE).send(registry.view(region));
    },
  });
}
