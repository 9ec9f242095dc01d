/**
 * One node's FSM for tests: a DqliteFsm on a fake store with a recording env, plus
 * builders of commands whose pages carry a recognisable byte, and a log that hands
 * out increasing Raft indexes.
 */
import { encodeCommand } from "../../../../src/impl/dqlite/fsm/commands.ts";
import type { FsmApplyError } from "../../../../src/impl/dqlite/fsm/errors.ts";
import { dqliteParts, type DqliteFsmBrokenVariant } from "../../../../scenarios/dqlite/variants.ts";
import { DqliteFsm, type DqliteFsmOptions } from "../../../../src/impl/dqlite/fsm/fsm.ts";
import { PAGE_SIZE, type Command, type TxnId } from "../../../../src/impl/dqlite/types.ts";
import type { LogRecord } from "../../../../src/impl/raft/node/fsm.ts";
import { FakeDatabaseStore } from "./fake-database-store.ts";
import { recordingEnv, type RecordingEnv } from "./fake-env.ts";

export class FsmNode {
  readonly env: RecordingEnv = recordingEnv();
  readonly store = new FakeDatabaseStore(PAGE_SIZE);
  readonly fsm: DqliteFsm;

  constructor(
    readonly name: string,
    variant?: DqliteFsmBrokenVariant,
  ) {
    const createFsm = dqliteParts(variant).createFsm ?? ((options: DqliteFsmOptions) => new DqliteFsm(options));
    this.fsm = createFsm({ env: this.env, store: this.store });
  }

  get registry(): DqliteFsm["registry"] {
    return this.fsm.registry;
  }

  /** The files of `name`, which must be open. */
  files(name: string): NonNullable<ReturnType<FakeDatabaseStore["get"]>> {
    const files = this.store.get(name);
    if (files === undefined) throw new Error(`${this.name}: ${name} is not open`);
    return files;
  }

  apply(record: LogRecord): Promise<FsmApplyError | undefined> {
    return this.fsm.apply(record);
  }
}

/** Hands out log records with increasing indexes, in the current term. */
export class TestLog {
  index = 0;
  term = 1;

  record(command: Command): LogRecord {
    this.index++;
    return { index: this.index, term: this.term, data: encodeCommand(command) };
  }
}

/** A transaction ID of `term` (term in the high bits, as the leaders make them). */
export function txidOf(term: number, counter: number): TxnId {
  return term * 2 ** 32 + counter;
}

/** A page whose every byte is `fill`. */
export function page(fill: number): Uint8Array {
  return new Uint8Array(PAGE_SIZE).fill(fill);
}

/** Frames of `pages` (page number and fill byte); a commit when `truncate` is given. */
export function frames(
  txid: TxnId,
  filename: string,
  pages: readonly (readonly [number, number])[],
  truncate?: number,
): Command & { kind: "frames" } {
  const pageData = new Uint8Array(pages.length * PAGE_SIZE);
  pages.forEach(([, fill], position) => pageData.fill(fill, position * PAGE_SIZE, (position + 1) * PAGE_SIZE));
  return {
    kind: "frames",
    txid,
    filename,
    pageSize: PAGE_SIZE,
    pageNumbers: pages.map(([number]) => number),
    pageData,
    truncate: truncate ?? 0,
    isCommit: truncate !== undefined,
  };
}

/** The fill byte of each page of an image (undefined for a page that is not uniform). */
export function fills(image: Uint8Array): (number | undefined)[] {
  const result: (number | undefined)[] = [];
  for (let offset = 0; offset < image.length; offset += PAGE_SIZE) {
    const first = image[offset];
    const uniform = image.subarray(offset, offset + PAGE_SIZE).every((byte) => byte === first);
    result.push(uniform ? first : undefined);
  }
  return result;
}
