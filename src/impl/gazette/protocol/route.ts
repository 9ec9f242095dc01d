/**
 * Routes and Headers (route_extensions.go, header_extensions.go,
 * broker_spec_extensions.go).
 *
 * A Route lists the processes serving an item (a journal), sorted on
 * (zone, suffix), the index of its primary (-1 when none), and optionally each
 * member's endpoint. Every broker response carries a Header whose Route is the
 * broker's current view of the journal: clients feed it to their router
 * (RouteCache.updateRoute) so that the next RPC goes straight to the right broker.
 * An empty Route (no members) invalidates a cached one.
 */
import { ValidationError, validateInteger, validateToken, withContext } from "./validation.ts";

/** ProcessSpec.ID: a zone and a suffix unique within it. */
export interface ProcessSpecId {
  zone: string;
  suffix: string;
}

export interface Route {
  /** Members, in unique, ascending (zone, suffix) order. */
  members: ProcessSpecId[];
  /** Index of the primary within `members`, or -1 when none is primary. */
  primary: number;
  /** Empty, or one endpoint per member (same order); "" where unknown. */
  endpoints: string[];
}

/** Etcd's MVCC state under which the responding broker operated. */
export interface HeaderEtcd {
  clusterId: number;
  memberId: number;
  revision: number;
  raftTerm: number;
}

export interface Header {
  /** The responding process; zero-valued (both empty) within a proxied request. */
  processId: ProcessSpecId;
  /** The route of processes responsible for this RPC (empty if any may serve it). */
  route: Route;
  etcd: HeaderEtcd;
}

export const ZONE_LENGTH_MIN = 1;
export const ZONE_LENGTH_MAX = 32;
export const SUFFIX_LENGTH_MIN = 4;
export const SUFFIX_LENGTH_MAX = 128;

/** ProcessSpec_ID.Validate. */
export function validateProcessSpecId(id: ProcessSpecId): void {
  withContext("Zone", () => validateToken(id.zone, ZONE_LENGTH_MIN, ZONE_LENGTH_MAX));
  withContext("Suffix", () => validateToken(id.suffix, SUFFIX_LENGTH_MIN, SUFFIX_LENGTH_MAX));
}

/** ProcessSpec_ID.Less: (zone, suffix) order. */
export function processSpecIdLess(a: ProcessSpecId, b: ProcessSpecId): boolean {
  if (a.zone !== b.zone) return a.zone < b.zone;
  return a.suffix < b.suffix;
}

export function processSpecIdEqual(a: ProcessSpecId, b: ProcessSpecId): boolean {
  return a.zone === b.zone && a.suffix === b.suffix;
}

const ENDPOINT = /^([a-z][a-z0-9+.-]*):\/\/([^/\s:?#]+)(?::(\d{1,5}))?(\/[^\s]*)?$/;

/** A parsed endpoint URL ("gazette://broker-1:8080"). */
export interface ParsedEndpoint {
  scheme: string;
  host: string;
  /** The port, or undefined if the URL names none. */
  port: number | undefined;
  path: string;
}

/** Parses an Endpoint; throws ValidationError unless it is an absolute URL with a scheme and a host. */
export function parseEndpoint(endpoint: string): ParsedEndpoint {
  const match = ENDPOINT.exec(endpoint);
  if (match === null) throw new ValidationError(`not absolute with scheme and host (${endpoint})`);
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new ValidationError(`invalid port (${endpoint})`);
  return { scheme: match[1] as string, host: match[2] as string, port, path: match[4] ?? "" };
}

/** Endpoint.Validate. */
export function validateEndpoint(endpoint: string): void {
  parseEndpoint(endpoint);
}

/** Route.Validate. */
export function validateRoute(route: Route): void {
  route.members.forEach((member, index) => {
    withContext(`Members[${index}]`, () => validateProcessSpecId(member));
    if (index !== 0 && !processSpecIdLess(route.members[index - 1] as ProcessSpecId, member)) {
      throw new ValidationError(`Members not in unique, sorted order (index ${index})`);
    }
  });
  if (!Number.isSafeInteger(route.primary) || route.primary < -1 || route.primary >= route.members.length) {
    throw new ValidationError(`invalid Primary (${route.primary}; expected -1 <= Primary < ${route.members.length})`);
  }
  if (route.endpoints.length !== 0 && route.endpoints.length !== route.members.length) {
    throw new ValidationError(
      `len(Endpoints) != 0, and != len(Members) (${route.endpoints.length} vs ${route.members.length})`,
    );
  }
  route.endpoints.forEach((endpoint, index) => {
    if (endpoint !== "") withContext(`Endpoints[${index}]`, () => validateEndpoint(endpoint));
  });
}

/** Route.Equivalent: same members and primary (endpoints not compared). */
export function routesEquivalent(a: Route, b: Route | undefined): boolean {
  if (b === undefined || a.primary !== b.primary || a.members.length !== b.members.length) return false;
  return a.members.every((member, index) => processSpecIdEqual(member, b.members[index] as ProcessSpecId));
}

/** Route.Copy. */
export function copyRoute(route: Route): Route {
  return {
    members: route.members.map((member) => ({ ...member })),
    primary: route.primary,
    endpoints: [...route.endpoints],
  };
}

/** The empty route (no members, no primary): "any broker", or "forget the cached route". */
export function emptyRoute(): Route {
  return { members: [], primary: -1, endpoints: [] };
}

/** Header_Etcd.Validate. */
export function validateHeaderEtcd(etcd: HeaderEtcd): void {
  if (!Number.isSafeInteger(etcd.clusterId) || etcd.clusterId <= 0)
    throw new ValidationError("invalid ClusterId (expected != 0)");
  if (!Number.isSafeInteger(etcd.memberId) || etcd.memberId <= 0)
    throw new ValidationError("invalid MemberId (expected != 0)");
  validateInteger("Revision", etcd.revision, 1);
  if (!Number.isSafeInteger(etcd.raftTerm) || etcd.raftTerm <= 0)
    throw new ValidationError("invalid RaftTerm (expected != 0)");
}

/** Header.Validate. */
export function validateHeader(header: Header): void {
  if (header.processId.zone !== "" || header.processId.suffix !== "") {
    withContext("ProcessId", () => validateProcessSpecId(header.processId));
  }
  withContext("Route", () => validateRoute(header.route));
  withContext("Etcd", () => validateHeaderEtcd(header.etcd));
}
