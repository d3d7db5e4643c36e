// The entry of an ingest worker thread (src/workers/pool.ts): the thread loads the TypeScript sources through
// tsx as the CLI does (a worker thread does not inherit the parent's loader hooks).
import { register } from 'tsx/esm/api';

register();
await import('./ingest-worker.ts');
