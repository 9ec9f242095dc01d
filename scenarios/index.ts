/**
 * The scenario registry: every named scenario, in listing order.
 * Names are kebab-case and begin with the system they exercise.
 */
import type { Scenario } from "../src/sim/runner.ts";
import { bmdbProvisioning } from "./bmdb/provisioning.ts";
import { bmdbSessions } from "./bmdb/sessions.ts";
import { etcdKv } from "./etcd/kv.ts";
import { etcdLeases } from "./etcd/leases.ts";
import { gazetteChurn } from "./gazette/churn.ts";
import { gazetteJournals } from "./gazette/journals.ts";
import { gazetteOutages } from "./gazette/outages.ts";
import { gazetteRetention } from "./gazette/retention.ts";
import { counterQuorum } from "./counter/quorum.ts";
import { dqliteBank } from "./dqlite/bank.ts";
import { dqliteLeadershipLoss, dqliteZombies } from "./dqlite/leadership-loss.ts";
import { dqliteRegister } from "./dqlite/register.ts";
import { dqliteMultiDatabase } from "./dqlite/multi-database.ts";
import { dqliteSnapshotCatchUp } from "./dqlite/snapshot-catch-up.ts";
import { pipeBufferTooSmall } from "./backedpipe/buffer-too-small.ts";
import { pipeFlakyLink } from "./backedpipe/flaky-link.ts";
import { raftKvLinearizable } from "./raft-kv/linearizable.ts";
import { raftLeadershipLoss } from "./raft-kv/leadership-loss.ts";
import { raftSnapshotCatchUp } from "./raft-kv/snapshot-catch-up.ts";
import { raftKvWipeRejoin } from "./raft-kv/wipe-rejoin.ts";

export const SCENARIOS: readonly Scenario[] = [
  counterQuorum,
  pipeFlakyLink,
  pipeBufferTooSmall,
  raftKvLinearizable,
  raftLeadershipLoss,
  raftSnapshotCatchUp,
  raftKvWipeRejoin,
  dqliteBank,
  dqliteRegister,
  dqliteLeadershipLoss,
  dqliteZombies,
  dqliteSnapshotCatchUp,
  dqliteMultiDatabase,
  bmdbProvisioning,
  bmdbSessions,
  etcdKv,
  etcdLeases,
  gazetteJournals,
  gazetteRetention,
  gazetteChurn,
  gazetteOutages,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.name === name);
}
