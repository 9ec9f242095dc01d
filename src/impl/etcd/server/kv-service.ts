/**
 * The KV service of one member (etcdserverpb.KV): `etcd.range`, `etcd.put`,
 * `etcd.deleteRange`, `etcd.txn`, `etcd.compact`, plus `etcd.status`.
 *
 * Every request is decoded with each field checked (wire.ts) and checked as etcd
 * checks it (mvcc/check.ts) before anything else, so a malformed or invalid request
 * is refused with its typed error and never reaches Raft. Writes are proposed on
 * the leader; ranges are linearizable (ReadIndex) unless `serializable`, which any
 * member serves from its own replica. A txn is linearizable as a whole: a txn with
 * only ranges is a read (no revision), anything else goes through the log.
 *
 * Probes: "etcd.compacted-revision-refused" (a read or compaction below the
 * compaction point), "etcd.txn-failure-branch" (a txn's compares failed).
 */
import type { RpcServer, WireValue } from "../../../sim/env.ts";
import { ErrCompacted, ErrNotLeader, EtcdError } from "../errors.ts";
import { checkRangeRequest, checkPutRequest, checkDeleteRequest, checkTxnRequest } from "../mvcc/check.ts";
import type { RangeRequest, RequestOp, TxnRequest, TxnResponse } from "../types.ts";
import {
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
  fieldsOf,
  integerField,
  toWire,
} from "../wire.ts";
import type { Member } from "./member.ts";

export function serveKv(server: RpcServer, member: Member): void {
  server.unary("etcd.range", (request) => member.serve(() => range(member, decodeRangeRequest(request))));
  server.unary("etcd.put", (request) =>
    member.serve(async () => {
      const put = decodePutRequest(request);
      throwIf(checkPutRequest(put));
      return toWire((await member.propose({ type: "put", request: put })) as object);
    }),
  );
  server.unary("etcd.deleteRange", (request) =>
    member.serve(async () => {
      const deleteRange = decodeDeleteRangeRequest(request);
      throwIf(checkDeleteRequest(deleteRange));
      return toWire((await member.propose({ type: "deleteRange", request: deleteRange })) as object);
    }),
  );
  server.unary("etcd.txn", (request) => member.serve(() => txn(member, decodeTxnRequest(request))));
  server.unary("etcd.compact", (request) =>
    member.serve(async () => {
      const revision = integerField(fieldsOf(request, "compact"), "revision", "compact");
      try {
        return toWire((await member.propose({ type: "compact", revision })) as object);
      } catch (error) {
        if (error instanceof ErrCompacted) member.env.probe("etcd.compacted-revision-refused");
        throw error;
      }
    }),
  );
  server.unary("etcd.status", () =>
    member.serve(async () => {
      const stats = member.node.stats();
      return toWire({
        header: member.header(),
        leader: member.node.leader() ?? null,
        raftIndex: Number(stats.commit_index),
        appliedIndex: Number(stats.applied_index),
        raftTerm: Number(stats.term),
      });
    }),
  );
}

function throwIf(error: EtcdError | undefined): void {
  if (error !== undefined) throw error;
}

async function range(member: Member, request: RangeRequest): Promise<WireValue> {
  throwIf(checkRangeRequest(request));
  if (request.serializable !== true) await member.linearizable();
  const response = member.fsm.mvcc.range(request, (revision) => member.header(revision));
  if (response instanceof ErrCompacted) member.env.probe("etcd.compacted-revision-refused");
  if (response instanceof EtcdError) throw response;
  return toWire(response);
}

/** True when the txn only reads, whichever branch runs. */
function readOnly(request: TxnRequest): boolean {
  const only = (ops: readonly RequestOp[]): boolean =>
    ops.every((op) => "range" in op || ("txn" in op && readOnly(op.txn)));
  return only(request.success) && only(request.failure);
}

async function txn(member: Member, request: TxnRequest): Promise<WireValue> {
  throwIf(checkTxnRequest(request));
  let response: TxnResponse;
  if (readOnly(request)) {
    // etcd serves a read-only txn as a linearizable read, off the log.
    if (member.node.state() !== "Leader") throw new ErrNotLeader(member.node.leader() ?? null);
    await member.linearizable();
    const result = member.fsm.mvcc.txn(request, (revision) => member.header(revision));
    if (result instanceof EtcdError) throw result;
    response = result;
  } else {
    response = (await member.propose({ type: "txn", request })) as TxnResponse;
  }
  if (!response.succeeded) member.env.probe("etcd.txn-failure-branch");
  return toWire(response);
}
