#!/usr/bin/env node
// The CLI from the TypeScript sources through tsx (a devDependency), no build needed: `npm run dev -- serve`.
// Worker threads started from the sources register tsx themselves (src/workers/spawn.ts, dev-entry.mjs).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/tools/cli/index.ts');
process.exitCode = await main(process.argv);
