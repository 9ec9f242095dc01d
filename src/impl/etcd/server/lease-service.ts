/**
 * The lease service of one member (etcdserverpb.Lease): `etcd.leaseGrant`,
 * `etcd.leaseRevoke`, `etcd.leaseKeepAlive` (one renewal per call: the client
 * repeats it), `etcd.leaseTimeToLive`, `etcd.leaseLeases`.
 *
 * Grant and revoke are Raft commands. The leader picks a grant's id when the
 * client gives none (53 random bits from the member's stream; a collision is
 * refused by the FSM as ErrLeaseExist) and raises a TTL below the minimum to it,
 * as etcd's lessor does. Keep-alive and time-to-live are served by the leader from
 * its lessor after a linearizable read barrier (etcd waits for its applied index
 * too), so a lease revoked before the call is never renewed.
 *
 * Buggify point "etcd.lease-keepalive-delayed" takes a keep-alive up to
 * KEEPALIVE_DELAY_MS_MAX late: the client counts the TTL from when it sent the
 * renewal, so a late renewal only shortens what it believes it has.
 */
import type { RpcServer } from "../../../sim/env.ts";
import { ErrInvalidRequest, ErrLeaseTTLTooLarge, ErrNotLeader } from "../errors.ts";
import { decodeLeaseId, fieldsOf, integerField, MAX_LEASE_TTL_SECONDS, toWire } from "../wire.ts";
import type { Member } from "./member.ts";

/** Longest wait before a keep-alive is taken up, at the buggify point, in ms. */
export const KEEPALIVE_DELAY_MS_MAX = 300;

export function serveLeases(server: RpcServer, member: Member, minTtlSeconds: number): void {
  server.unary("etcd.leaseGrant", (request) =>
    member.serve(async () => {
      const fields = fieldsOf(request, "leaseGrant");
      const requested = integerField(fields, "ttl", "leaseGrant");
      const given = fields.id === undefined || fields.id === null ? 0 : integerField(fields, "id", "leaseGrant");
      if (requested > MAX_LEASE_TTL_SECONDS) throw new ErrLeaseTTLTooLarge();
      const ttl = Math.max(requested, minTtlSeconds);
      const id = given !== 0 ? given : randomLeaseId(member);
      return toWire((await member.propose({ type: "leaseGrant", id, ttl })) as object);
    }),
  );
  server.unary("etcd.leaseRevoke", (request) =>
    member.serve(async () =>
      toWire(
        (await member.propose({
          type: "leaseRevoke",
          id: decodeLeaseId(request, "leaseRevoke"),
          expired: false,
        })) as object,
      ),
    ),
  );
  server.unary("etcd.leaseKeepAlive", (request) =>
    member.serve(async () => {
      const id = decodeLeaseId(request, "leaseKeepAlive");
      // Buggify: taken up late (before the leadership check, so that a member deposed meanwhile refuses it).
      if (member.env.buggify("etcd.lease-keepalive-delayed"))
        await member.env.clock.sleep(member.env.random.int(1, KEEPALIVE_DELAY_MS_MAX));
      await leaderRead(member);
      return toWire({ header: member.header(), id, ttl: member.lessor.renew(id) });
    }),
  );
  server.unary("etcd.leaseTimeToLive", (request) =>
    member.serve(async () => {
      const id = decodeLeaseId(request, "leaseTimeToLive");
      const fields = fieldsOf(request, "leaseTimeToLive");
      if (fields.keys !== undefined && fields.keys !== null && typeof fields.keys !== "boolean")
        throw new ErrInvalidRequest("etcdserver: malformed request: leaseTimeToLive.keys: expected a boolean");
      await leaderRead(member);
      const lease = member.fsm.mvcc.lease(id);
      const keys =
        lease === undefined || fields.keys !== true
          ? []
          : [...lease.keys].sort().map((key) => Uint8Array.from(key, (char) => char.charCodeAt(0)));
      return toWire({
        header: member.header(),
        id,
        ttl: member.lessor.remainingSeconds(id),
        grantedTtl: lease?.ttl ?? 0,
        keys,
      });
    }),
  );
  server.unary("etcd.leaseLeases", () =>
    member.serve(async () => {
      await leaderRead(member);
      return toWire({ header: member.header(), leases: member.fsm.mvcc.leaseIds().map((id) => ({ id })) });
    }),
  );
}

async function leaderRead(member: Member): Promise<void> {
  if (member.node.state() !== "Leader") throw new ErrNotLeader(member.node.leader() ?? null);
  await member.linearizable();
  if (!member.lessor.isLeader) throw new ErrNotLeader(member.node.leader() ?? null);
}

/** A random lease id in [1, 2^53). */
function randomLeaseId(member: Member): number {
  const high = member.env.random.uint32() & 0x1fffff;
  const id = high * 2 ** 32 + member.env.random.uint32();
  return id === 0 ? 1 : id;
}
