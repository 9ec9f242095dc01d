/**
 * When a Raft-based cluster has caught up, shared by the cluster kits (raft-kv,
 * etcd, dqlite) and the tests that drive them: every server runs, one leads, and
 * every one applied the leader's commit index. Scenarios make it their progress
 * condition and compare the replicas only then, so that a difference is a safety
 * violation rather than a liveness failure that hides why.
 *
 * Judged from each node's reported state and indexes (`stats()`, hashicorp/raft's
 * names); a kit whose leader must be more than Raft's leader (dqlite's ready
 * leader) says so through `leads`. `describeServers` writes out each server's
 * progress and replica digest for the violation a difference raises.
 */

/** What the check reads of a Raft node. */
export interface RaftProgressView {
  state(): string;
  stats(): Record<string, string>;
}

/**
 * The servers of `hosts` (in that order) when every one runs and is not shut
 * down, one leads, and all applied the leader's commit index; undefined otherwise.
 */
export function caughtUpServers<S>(
  hosts: readonly string[],
  live: ReadonlyMap<string, S>,
  raftOf: (server: S) => RaftProgressView,
  leads: (server: S) => boolean = (server) => raftOf(server).state() === "Leader",
): S[] | undefined {
  const servers: S[] = [];
  for (const host of hosts) {
    const server = live.get(host);
    if (server === undefined || raftOf(server).state() === "Shutdown") return undefined;
    servers.push(server);
  }
  const leader = servers.find(leads);
  if (leader === undefined) return undefined;
  const commit = raftOf(leader).stats().commit_index;
  return servers.every((server) => raftOf(server).stats().applied_index === commit) ? servers : undefined;
}

/**
 * Each server of `hosts` (in that order) for a violation's details: down, or its Raft state, the index it applied and
 * `contentOf` it (a digest of its replica), so replicas that differ show where.
 */
export function describeServers<S>(
  hosts: readonly string[],
  live: ReadonlyMap<string, S>,
  raftOf: (server: S) => RaftProgressView,
  contentOf: (server: S) => string,
): string {
  return hosts
    .map((host) => {
      const server = live.get(host);
      if (server === undefined) return `${host}: down`;
      const raft = raftOf(server);
      return `${host}: ${raft.state()} applied ${raft.stats().applied_index} ${contentOf(server)}`;
    })
    .join("; ");
}
