/**
 * Field paths, bounded (issue 13 item 5): a store keeps its per-path state (a classification row, an id, a
 * cache entry) once per distinct *shape* of path, not once per name a client ever sent. A path's shape folds
 * array indexes (`tags[3]` → `tags[]`) and numeric segments (`metrics.1712.value` → `metrics.#.value`); past
 * `cap` distinct shapes, new ones go to one overflow bucket (OVERFLOW_PATH) and are counted. The exact path
 * of each field still goes to the log with its event (a chunk's exact paths, event-log.ts), so that the
 * admin API shows every field as it was sent.
 */
import { OVERFLOW_PATH } from './event-log.ts';

/** Where paths past the cap are folded (defined with the log, which counts its fields in the totals). */
export { OVERFLOW_PATH } from './event-log.ts';
/** The default cap of distinct path shapes per region store (store.maxFieldPaths). */
export const DEFAULT_MAX_FIELD_PATHS = 10_000;

/** The shape of a path: array indexes and numeric segments folded. */
export function foldPath(path: string): string {
  if (!/\d/.test(path)) return path; // most paths: no digit, nothing to fold
  return path.replace(/\[\d+\]/g, '[]').replace(/(^|\.)\d+(?=$|\.|\[)/g, '$1#');
}

/** The distinct path shapes of a store, up to `cap`. */
export class PathShapes {
  private readonly known = new Set<string>();
  /** Fields counted in the overflow bucket (the SQLite store reads its total back at open). */
  overflowFields = 0;

  constructor(readonly cap: number = DEFAULT_MAX_FIELD_PATHS) {}

  get distinct(): number {
    return this.known.size;
  }

  /** A shape the store holds already (read back at open): counted, whatever the cap. */
  add(shape: string): void {
    if (shape !== OVERFLOW_PATH) this.known.add(shape);
  }

  /** The shape `path` is kept under: its fold, or OVERFLOW_PATH once `cap` shapes are known. */
  of(path: string): string {
    const shape = foldPath(path);
    if (this.known.has(shape)) return shape;
    if (this.known.size >= this.cap) return OVERFLOW_PATH;
    this.known.add(shape);
    return shape;
  }
}
