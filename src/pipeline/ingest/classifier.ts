import { getDefaultMatcher, type Matcher } from '../classify/index.ts';
import { applyPolicy, compilePolicy, isPolicyError, type Policy } from '../filter/index.ts';
import type { ClassifierDeps } from './pipeline.ts';

/** The catalog's classifier (schemas/catalog.json, compiled once) and the filter, as the service uses them. */
export function defaultClassifier(): ClassifierDeps {
  const matcher: Matcher = getDefaultMatcher();
  return {
    matcher,
    compilePolicy: (_m, opts) => compilePolicy(matcher, opts),
    applyPolicy: (policy, event, fields, ctx, sink) => applyPolicy(policy as Policy, event, fields, ctx, sink),
    isPolicyError,
    inWorkers: true,
  };
}
