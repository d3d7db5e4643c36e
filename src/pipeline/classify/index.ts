import { DEFAULT_CATALOG_PATH, loadCatalog } from './catalog.ts';
import { compileMatcher, type Matcher } from './compile.ts';

export { loadCatalog, crossCheckCatalog, DEFAULT_CATALOG_PATH } from './catalog.ts';
export { compileMatcher, type Matcher } from './compile.ts';
export { normalizeName, nameCandidates } from './normalize.ts';
export * from './types.ts';

let defaultMatcher: Matcher | undefined;

/** The matcher of schemas/catalog.json, loaded, validated and compiled once per process. */
export function getDefaultMatcher(): Matcher {
  if (defaultMatcher === undefined) defaultMatcher = compileMatcher(loadCatalog(DEFAULT_CATALOG_PATH));
  return defaultMatcher;
}
