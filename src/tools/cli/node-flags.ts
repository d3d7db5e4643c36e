/**
 * The Node.js flags the `ingestor-sim` command runs with: the first line of bin/ingestor-sim.js
 * (`#!/usr/bin/env -S node …`) and `npm start` give them, and the benchmarks start the emulator with them
 * (tests/unit/tools/cli/node-flags.test.ts holds the three to this list). V8 flags cannot be set once the
 * process runs (v8.setFlagsFromString of a GC flag crashes a running heap), so they are on the command line.
 *
 * `--single-threaded-gc`: each of the process's V8 heaps (the event loop's, every ingest thread's, the store
 * writer's) collects its garbage on its own thread, without V8's helper threads for parallel scavenges and
 * concurrent marking. The emulator already keeps a machine's cores busy with its own threads; the helpers then
 * wait for a core and spin: an ingest thread's scavenge took 5–6 ms with them and about 1 ms without
 * (--trace-gc, store none, 2 ingest threads, 2 cores). Whole-process CPU per event under bench:http's load,
 * the same build with and without the flag in interleaved turns (bench/http-ab.ts --v8-b): on a busy machine
 * × 0.82–0.95 toward the none store and × 0.81–0.91 toward the default store, on a quiet one × 0.95; events/s
 * not lower. The bare Fastify baseline (one heap, no threads of its own) gains × 0.99 on a busy machine and
 * × 0.94–0.99 on a quiet one.
 */
export const NODE_FLAGS: readonly string[] = Object.freeze(['--single-threaded-gc']);
