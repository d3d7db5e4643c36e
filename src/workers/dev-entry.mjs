// A worker thread started from the TypeScript sources (spawn.ts): tsx first, then the module named by argv.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
