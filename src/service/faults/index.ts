/** Fault injection per region: model (pure decisions), registry (per region, changeable), Fastify plugin. */
export { decideFault, drawLatency, mulberry32, parseFaultSpec, ERROR_ANSWERS, type FaultDecision, type FaultSpec, type LatencySpec } from './model.ts';
export { FaultRegistry } from './registry.ts';
export { registerFaults, guardListener, resetSocket, trickleResponse, type FaultPluginOptions } from './plugin.ts';
