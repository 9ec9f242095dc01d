/**
 * dst-harness/systems/harness: what every cluster kit of the bundled systems shares
 * (scenarios/harness): the supervisor and its restart backoff, the supervised
 * Raft-server body, the caught-up check, Raft's safety observers and problem records,
 * wipe-and-rejoin, the disk knob, client-operation records and history checks. For a
 * kit of your own built the way the bundled ones are.
 */
export * from "../../scenarios/harness/caught-up.ts";
export * from "../../scenarios/harness/client-operations.ts";
export * from "../../scenarios/harness/cluster-records.ts";
export * from "../../scenarios/harness/disk-knob.ts";
export * from "../../scenarios/harness/history-check.ts";
export * from "../../scenarios/harness/kv-model.ts";
export * from "../../scenarios/harness/raft-server.ts";
export * from "../../scenarios/harness/supervisor.ts";
export * from "../../scenarios/harness/wipe-and-rejoin.ts";
