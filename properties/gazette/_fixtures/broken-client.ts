/**
 * Broken parts of Gazette's client package that no scenario offers: RouteCaches
 * and FragmentReaders with one decision overridden through the seam their class
 * documents (the scenarios' client variants are in scenarios/gazette/variants/client.ts).
 * Never used on the shipping path.
 */
import type { Clock } from "../../../src/sim/env.ts";
import { FragmentReader } from "../../../src/impl/gazette/client/fragment-reader.ts";
import { RouteCache } from "../../../src/impl/gazette/client/route-cache.ts";
import type { Route } from "../../../src/impl/gazette/protocol/route.ts";

export type RouteCacheBrokenVariant = "no-ttl" | "evict-most-recent" | "ignore-empty-route";
export type FragmentReaderBrokenVariant = "no-eof-check";

/** The RouteCache subclass of each variant. */
const ROUTE_CACHES: Record<RouteCacheBrokenVariant, typeof RouteCache> = {
  /** Routes never expire. */
  "no-ttl": class extends RouteCache {
    protected override expired(): boolean {
      return false;
    }
  },
  /** A full cache evicts the route used most recently before the one just cached. */
  "evict-most-recent": class extends RouteCache {
    protected override victim(items: readonly string[]): string | undefined {
      return items[items.length - 2];
    }
  },
  /** An empty route is ignored instead of invalidating the item. */
  "ignore-empty-route": class extends RouteCache {
    protected override invalidate(item: string, route: Route | undefined): void {
      if (route === undefined) super.invalidate(item, route);
    }
  },
};

/** A RouteCache of a variant (the real one for none). */
export function routeCacheOf(size: number, ttlMs: number, clock: Clock, variant?: RouteCacheBrokenVariant): RouteCache {
  const Cache = variant === undefined ? RouteCache : ROUTE_CACHES[variant];
  return new Cache(size, ttlMs, clock);
}

/** no-eof-check: a FragmentReader that returns what the file holds, ending early or late. */
class NoEofCheckFragmentReader extends FragmentReader {
  protected override withinFragment(chunk: Uint8Array | null): Uint8Array | null {
    return chunk;
  }
}

/** The FragmentReader class of a variant (the real one for none): call its `open`. */
export function fragmentReaderOf(variant?: FragmentReaderBrokenVariant): typeof FragmentReader {
  return variant === undefined ? FragmentReader : NoEofCheckFragmentReader;
}
