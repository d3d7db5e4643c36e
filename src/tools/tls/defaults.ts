/**
 * The default folder of `ca init` and `serve --tls` (relative to the working directory). Its own module so that
 * their `--help` can show it without loading node-forge (src/tools/tls/ca.ts re-exports it).
 */
export const DEFAULT_TLS_DIR = './.ingestor-sim/tls';
