/**
 * dst-harness/systems/gazette: the Gazette cluster kit (scenarios/gazette/cluster.ts:
 * startGazetteCluster on an etcd cluster, a fragment store and brokers; its knobs,
 * broker faults and journal spec; brokersClient, a routed journal client). Needs no
 * wa-sqlite.
 */
export * from "../../scenarios/gazette/cluster.ts";
export type { RoutedJournalClient } from "../impl/gazette/protocol/journal-client.ts";
export type { JournalSpec } from "../impl/gazette/protocol/journal-spec.ts";
export type { Broker, BrokerOptions } from "../impl/gazette/broker/broker.ts";
