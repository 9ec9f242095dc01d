/**
 * RouteCache (route_cache.go): caches observed Routes of items (journals) so
 * RPCs go straight to the right broker, at most `size` routes, least recently
 * used evicted first, each trusted for `ttlMs` of host-local time after it was
 * cached (an expired route reads as a miss and is dropped). Updating with an
 * empty route (no members) or undefined invalidates the item. Route returns a
 * copy, or the empty route (primary -1) on a miss.
 *
 * Seams for test fixtures (protected, overridden by a subclass): `invalidate`,
 * `victim` and `expired` decide what an empty route, a full cache and an old
 * entry do.
 */
import type { Clock } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import type { Router } from "../protocol/journal-client.ts";
import { copyRoute, emptyRoute, type Route } from "../protocol/route.ts";

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
  ) {
    assert(Number.isSafeInteger(size) && size > 0, "RouteCache size must be > 0");
    assert(ttlMs >= 0, "RouteCache ttl must be >= 0");
  }

  /** UpdateRoute: caches `route` for `item`, or invalidates it if undefined or empty. */
  updateRoute(item: string, route: Route | undefined): void {
    if (route === undefined || route.members.length === 0) {
      this.invalidate(item, route);
      return;
    }
    this.entries.delete(item);
    this.entries.set(item, { route: copyRoute(route), atMs: this.clock.monotonic() });
    while (this.entries.size > this.size) {
      const victim = this.victim([...this.entries.keys()]);
      assert(victim !== undefined, "RouteCache: eviction without entries");
      this.entries.delete(victim);
    }
  }

  /** Route: the cached route of `item` (refreshing its recency), or the empty route. */
  route(item: string): Route {
    const cached = this.entries.get(item);
    if (cached === undefined) return emptyRoute();
    if (this.expired(cached.atMs)) {
      this.entries.delete(item);
      return emptyRoute();
    }
    this.entries.delete(item);
    this.entries.set(item, cached);
    return copyRoute(cached.route);
  }

  /** Seam: drops `item`'s route, on an update with `route` undefined or empty. */
  protected invalidate(item: string, _route: Route | undefined): void {
    this.entries.delete(item);
  }

  /** Seam: the item evicted from a full cache, of `items` least recently used first (the first). */
  protected victim(items: readonly string[]): string | undefined {
    return items[0];
  }

  /** Seam: whether a route cached at `cachedAtMs` (host-local monotonic time) is past its TTL. */
  protected expired(cachedAtMs: number): boolean {
    return cachedAtMs + this.ttlMs < this.clock.monotonic();
  }

  isNoopRouter(): boolean {
    return false;
  }

  /** Items cached, least recently used first (for inspection). */
  items(): string[] {
    return [...this.entries.keys()];
  }
}
