// Facts derived from a whole render context (which sites own a Nova cell, how many selected sites share a region…),
// computed once per context instead of once per unit, so rendering a plan stays linear in its units. Keyed by the
// context object: a copy of a context (e.g. with other secrets) computes its own. A fact must depend on the context
// alone, never on the unit being rendered; renderers stay pure.
import type { RenderContext } from './types.js';

const facts = new WeakMap<RenderContext, Map<string, unknown>>();

/** The fact `key` of `ctx`, computed on first use. */
export function derived<T>(ctx: RenderContext, key: string, compute: () => T): T {
  let cache = facts.get(ctx);
  if (!cache) facts.set(ctx, (cache = new Map()));
  if (cache.has(key)) return cache.get(key) as T;
  const value = compute();
  cache.set(key, value);
  return value;
}
