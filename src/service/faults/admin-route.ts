/**
 * GET / PUT / DELETE /admin/v1/regions/:region/faults. Registered inside the admin plugin
 * (src/service/admin/plugin.ts), which checks the Bearer token, parses the JSON body and validates the route
 * schemas; the document itself is checked by parseFaultSpec (every bad path in `problems`).
 */
import type { FastifyInstance } from 'fastify';
import { SchemaError } from '../../config/schema.ts';
import { SimError } from '../../errors/sim-error.ts';
import { faultsSchema, putFaultsSchema } from '../admin/schemas.ts';
import { parseFaultSpec } from './model.ts';
import type { FaultRegistry } from './registry.ts';

export interface FaultAdminOptions {
  registry: FaultRegistry;
}

const JSON_TYPE = 'application/json; charset=UTF-8';

export async function faultAdminRoutes(app: FastifyInstance, opts: FaultAdminOptions): Promise<void> {
  const { registry } = opts;
  const served = (region: string) => {
    if (!registry.regions.includes(region)) {
      throw new SimError('SIM_ERR_ADMIN_UNKNOWN_REGION', { detail: `'${region}' is not a served region (${registry.regions.join(', ')})` });
    }
    return region;
  };

  app.get<{ Params: { region: string } }>('/regions/:region/faults', { schema: faultsSchema }, async (req, reply) => {
    return reply.type(JSON_TYPE).send(registry.view(served(req.params.region)));
  });

  app.put<{ Params: { region: string }; Body: Record<string, unknown> }>('/regions/:region/faults', { schema: putFaultsSchema }, async (req, reply) => {
    const region = served(req.params.region);
    try {
      registry.set(region, parseFaultSpec(req.body, `faults of region '${region}'`));
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err;
      throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: err.message, problems: err.problems });
    }
    req.log.warn({ region, faults: registry.get(region) }, 'fault injection changed');
    return reply.type(JSON_TYPE).send(registry.view(region));
  });

  app.delete<{ Params: { region: string } }>('/regions/:region/faults', { schema: faultsSchema }, async (req, reply) => {
    const region = served(req.params.region);
    registry.clear(region);
    req.log.warn({ region }, 'fault injection cleared');
    return reply.type(JSON_TYPE).send(registry.view(region));
  });
}
