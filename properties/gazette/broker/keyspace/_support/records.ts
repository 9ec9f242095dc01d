/**
 * Synthetic key-space records and etcd KeyValues for the key space, allocator,
 * resolver and List tests (no etcd needed).
 */
import { toBytes } from "../../../../../src/impl/etcd/bytes.ts";
import type { KeyValue, ResponseHeader } from "../../../../../src/impl/etcd/types.ts";
import {
  assignmentKey,
  encodeAssignment,
  encodeBrokerSpec,
  encodeJournalSpec,
  itemKey,
  KEYSPACE_ROOT_DEFAULT,
  memberKey,
} from "../../../../../src/impl/gazette/broker/keyspace.ts";
import type {
  AssignmentRecord,
  BrokerSpec,
  ItemRecord,
  MemberRecord,
} from "../../../../../src/impl/gazette/broker/types.ts";
import type { JournalSpec } from "../../../../../src/impl/gazette/protocol/journal-spec.ts";
import type { LabelSet } from "../../../../../src/impl/gazette/protocol/labels.ts";
import type { ProcessSpecId } from "../../../../../src/impl/gazette/protocol/route.ts";

export const ROOT = KEYSPACE_ROOT_DEFAULT;
export const CLUSTER_ID = 7;

export function journalSpec(name: string, replication = 2, labels: LabelSet = { labels: [] }): JournalSpec {
  return {
    name,
    replication,
    labels,
    fragment: {
      length: 1 << 20,
      compressionCodec: "NONE",
      stores: [],
      refreshIntervalMs: 60_000,
      retentionMs: 0,
      flushIntervalMs: 0,
    },
    flags: 0,
  };
}

export function brokerSpec(zone: string, suffix: string, journalLimit = 0): BrokerSpec {
  return { id: { zone, suffix }, endpoint: `sim://${suffix}:8080`, journalLimit };
}

export function itemRecord(spec: JournalSpec, modRevision = 1): ItemRecord {
  return { spec, key: itemKey(ROOT, spec.name), createRevision: modRevision, modRevision };
}

export function memberRecord(spec: BrokerSpec, createRevision: number, lease = createRevision * 100): MemberRecord {
  return { spec, key: memberKey(ROOT, spec.id), createRevision, modRevision: createRevision, lease };
}

export function assignmentRecord(
  journal: string,
  member: ProcessSpecId,
  slot: number,
  modRevision = 1,
): AssignmentRecord {
  return {
    journal,
    member: { ...member },
    slot,
    key: assignmentKey(ROOT, journal, member),
    createRevision: modRevision,
    modRevision,
  };
}

export function keyValue(
  key: string,
  value: string | Uint8Array,
  modRevision: number,
  lease = 0,
  createRevision = modRevision,
): KeyValue {
  return { key: toBytes(key), value: toBytes(value), createRevision, modRevision, version: 1, lease };
}

export function itemKv(spec: JournalSpec, modRevision: number): KeyValue {
  return keyValue(itemKey(ROOT, spec.name), encodeJournalSpec(spec), modRevision);
}

export function memberKv(spec: BrokerSpec, modRevision: number, lease = 1000 + modRevision): KeyValue {
  return keyValue(memberKey(ROOT, spec.id), encodeBrokerSpec(spec), modRevision, lease);
}

export function assignmentKv(journal: string, member: ProcessSpecId, slot: number, modRevision: number): KeyValue {
  return keyValue(assignmentKey(ROOT, journal, member), encodeAssignment(slot), modRevision);
}

export function responseHeader(revision: number): ResponseHeader {
  return { clusterId: CLUSTER_ID, memberId: 11, revision, raftTerm: 2 };
}
