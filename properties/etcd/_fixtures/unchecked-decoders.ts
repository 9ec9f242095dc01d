/**
 * Broken decoders (test fixtures, never on the shipping path): they trust the wire
 * and the disk. The wire property and the snapshot property must fail on them.
 */
import { decode } from "../../../src/impl/common/msgpack.ts";
import type { StoreState, TxnRequest } from "../../../src/impl/etcd/index.ts";

/** Casts whatever arrived to a TxnRequest. */
export function uncheckedTxnDecoder(value: unknown): TxnRequest {
  return value as TxnRequest;
}

/** Decodes a snapshot without checking a field (the msgpack shape cast to the store's state). */
export function uncheckedSnapshotDecoder(data: Uint8Array): StoreState {
  const raw = decode(data) as {
    revision: number;
    compactRevision: number;
    keys: Array<[Uint8Array, unknown[]]>;
    history: unknown[];
    leases: Array<[number, number]>;
  };
  return {
    revision: raw.revision,
    compactRevision: raw.compactRevision,
    keys: raw.keys.map(([key, versions]) => [
      String.fromCharCode(...key),
      versions.map((version) => {
        const [modRevision, kv] = version as [number, unknown[] | undefined];
        return {
          modRevision,
          kv:
            kv === undefined
              ? undefined
              : {
                  key: kv[0] as Uint8Array,
                  createRevision: kv[1] as number,
                  modRevision: kv[2] as number,
                  version: kv[3] as number,
                  value: kv[4] as Uint8Array,
                  lease: kv[5] as number,
                },
        };
      }),
    ]),
    history: raw.history as StoreState["history"],
    leases: raw.leases,
  };
}
