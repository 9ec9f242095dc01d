/**
 * RouteCache (route_cache.go): caches observed Routes of items (journals) so
 * RPCs go straight to the right broker, at most `size` routes, least recently
 * used evicted first, each trusted for `ttlMs` of host-local time after it was
 * cached (an expired route reads as a miss and is dropped). Updating with an
 * empty route (no members) or undefined invalidates the item. Route returns a
 * copy, or the empty route (primary -1) on a miss.
 */
import type { Clock } from "../../../sim/env.ts";
import { assert } from "../../common/assert.ts";
import type { Router } from "../protocol/journal-client.ts";
import { copyRoute, emptyRoute, type Route } from "../protocol/route.ts";

/** Broken variants for tests only; the shipping path never sets one. */
export type RouteCacheBrokenVariant = "no-ttl" | "evict-most-recent" | "ignore-empty-route";

interface CachedRoute {
  route: Route;
  atMs: number;
}

export class RouteCache implements Router {
  private readonly entries = new Map<string, CachedRoute>();

  constructor(
    private readonly size: number,
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly brokenVariant?: RouteCacheBrokenVariant,
  ) {
    assert(Number.isSafeInteger(size) && size > 0, "RouteCache size must be > 0");
    assert(ttlMs >= 0, "RouteCache ttl must be >= 0");
  }

  /** UpdateRoute: caches `route` for `item`, or invalidates it if undefined or empty. */
  updateRoute(item: string, route: Route | undefined): void {
    if (route === undefined || (route.members.length === 0 && this.brokenVariant !== "ignore-empty-route")) {
      this.entries.delete(item);
      return;
    }
    if (route.members.length === 0) return;
    this.entries.delete(item);
    this.entries.set(item, { route: copyRoute(route), atMs: this.clock.monotonic() });
    while (this.entries.size > this.size) {
      const keys = [...this.entries.keys()];
      const victim = this.brokenVariant === "evict-most-recent" ? keys[keys.length - 2] : keys[0];
      assert(victim !== undefined, "RouteCache: eviction without entries");
      this.entries.delete(victim);
    }
  }

  /** Route: the cached route of `item` (refreshing its recency), or the empty route. */
  route(item: string): Route {
    const cached = this.entries.get(item);
    if (cached === undefined) return emptyRoute();
    if (this.brokenVariant !== "no-ttl" && cached.atMs + this.ttlMs < this.clock.monotonic()) {
      this.entries.delete(item);
      return emptyRoute();
    }
    this.entries.delete(item);
    this.entries.set(item, cached);
    return copyRoute(cached.route);
  }

  isNoopRouter(): boolean {
    return false;
  }

  /** Items cached, least recently used first (for inspection). */
  items(): string[] {
    return [...this.entries.keys()];
  }
}
