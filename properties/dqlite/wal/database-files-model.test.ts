// DatabaseFiles against a page map: for random transactions (in pieces, committed, undone or abandoned), checkpoints,
// leader writes by real SQLite, reopens and snapshot restores, the node's image is the model's, and SQLite recovers
// exactly the committed frames.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { dqliteParts, type DatabaseFilesBrokenVariant } from "../../../scenarios/dqlite/variants.ts";
import type { DatabaseStoreOptions, DiskDatabaseStore } from "../../../src/impl/dqlite/wal/database-files.ts";
import { DiskDatabaseStore as Store } from "../../../src/impl/dqlite/wal/database-files.ts";
import { parseWal, walFrameOffset } from "../../../src/impl/dqlite/wal/wal-format.ts";
import { PAGE_SIZE } from "../../../src/impl/dqlite/types.ts";
import type { DatabaseFiles } from "../../../src/impl/dqlite/types.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { asBatches, capturedTransactions } from "./_support/frame-capture.ts";
import type { DiskHost } from "./_support/disk-host.ts";
import { DATABASE, DIRECTORY, leaderWrites, nodeFiles, nodeWithStore, sqliteReads } from "./_support/node-database.ts";
import { PageModel } from "./_support/page-model.ts";
import { emptyDatabaseTemplate, loadSqlite } from "./_support/wa-sqlite.ts";
import type { Sqlite } from "./_support/wa-sqlite.ts";
import { patternPage } from "./_support/wal-builder.ts";

let sqlite: Sqlite;
let template: Uint8Array;
beforeAll(async () => {
  sqlite = await loadSqlite();
  template = await emptyDatabaseTemplate(sqlite);
});

/** Pages the random transactions write: never page 1, which SQLite needs to read the (empty) schema. */
const MAXIMUM_PAGE = 8;

type Operation =
  | {
      readonly kind: "transaction";
      readonly frames: readonly { readonly pageNumber: number; readonly fill: number }[];
      readonly cuts: readonly number[];
      readonly commitSizePages: number;
      /** commit; undo after its frames; or abandon (the next transaction's `begin` drops it). */
      readonly ending: "commit" | "undo" | "abandon";
    }
  | { readonly kind: "checkpoint" }
  /** The node leads: its SQLite writes page 1 (`PRAGMA user_version`) into the same WAL. */
  | { readonly kind: "leader"; readonly userVersion: number }
  /** A new store on the same disk (the files outlive the store). */
  | { readonly kind: "reopen" }
  /** read() as a snapshot, clear, restore. */
  | { readonly kind: "restore" };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("transaction" as const),
      frames: fc.array(
        fc.record({ pageNumber: fc.integer({ min: 2, max: MAXIMUM_PAGE }), fill: fc.integer({ min: 0, max: 255 }) }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      cuts: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
      commitSizePages: fc.integer({ min: 1, max: MAXIMUM_PAGE }),
      ending: fc.constantFrom("commit" as const, "commit" as const, "undo" as const, "abandon" as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant<Operation>({ kind: "checkpoint" }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("leader" as const), userVersion: fc.integer({ min: 1, max: 1000 }) }),
  },
  { weight: 1, arbitrary: fc.constant<Operation>({ kind: "reopen" }) },
  { weight: 1, arbitrary: fc.constant<Operation>({ kind: "restore" }) },
);

/** One run: a node, its store and the model, stepped by operations. */
class Run {
  private store: DiskDatabaseStore;
  private files!: DatabaseFiles;
  private readonly model: PageModel;

  constructor(
    private readonly host: DiskHost,
    store: DiskDatabaseStore,
    /** The store's options: its broken files, if any. */
    private readonly storeOptions: DatabaseStoreOptions,
  ) {
    this.store = store;
    this.model = new PageModel(template);
  }

  static async start(seed: string, variant: DatabaseFilesBrokenVariant | undefined): Promise<Run> {
    const storeOptions: DatabaseStoreOptions = { createFiles: dqliteParts(variant).createFiles };
    const { host, store } = nodeWithStore(seed, template, storeOptions);
    const run = new Run(host, store, storeOptions);
    run.files = await host.run(() => store.open(DATABASE));
    return run;
  }

  async step(next: Operation): Promise<void> {
    if (
      next.kind !== "transaction" &&
      next.kind !== "leader" &&
      next.kind !== "reopen" &&
      this.model.pendingFrames > 0
    ) {
      // The FSM never checkpoints or snapshots in the middle of a follower transaction.
      await this.host.run(() => this.files.undo());
      this.model.dropPending();
    }
    if (next.kind === "transaction") await this.transaction(next);
    else if (next.kind === "checkpoint") {
      await this.host.run(() => this.files.checkpoint());
      this.model.checkpoint();
    } else if (next.kind === "leader") await this.leader(next.userVersion);
    else if (next.kind === "reopen") {
      this.store = new Store(this.host.env, DIRECTORY, template, this.storeOptions);
      this.files = await this.host.run(() => this.store.open(DATABASE));
      this.model.dropPending();
    } else await this.restore();
    await this.expectModel();
  }

  private async transaction(next: Extract<Operation, { kind: "transaction" }>): Promise<void> {
    const pages = next.frames.map((frame) => ({
      pageNumber: frame.pageNumber,
      page: patternPage(PAGE_SIZE, frame.fill),
    }));
    const pageData = new Uint8Array(pages.length * PAGE_SIZE);
    pages.forEach(({ page }, index) => pageData.set(page, index * PAGE_SIZE));
    const batches = asBatches(
      { pageNumbers: pages.map((page) => page.pageNumber), pageData, commitSizePages: next.commitSizePages },
      next.cuts,
    );
    const applied =
      next.ending === "commit" ? batches : batches.map((batch) => ({ ...batch, isCommit: false, truncate: 0 }));
    // An abandoned transaction's frames are dropped by this one's `begin`.
    this.model.dropPending();
    for (const [index, batch] of applied.entries()) {
      await this.host.run(() => this.files.applyFrames(batch, index === 0));
      this.model.append(batch.pageNumbers.length);
    }
    if (next.ending === "commit") this.model.commit(pages, next.commitSizePages);
    if (next.ending === "undo") {
      await this.host.run(() => this.files.undo());
      this.model.dropPending();
    }
  }

  private async leader(userVersion: number): Promise<void> {
    const before = await nodeFiles(this.host);
    const committedBytes = this.model.committedFrames === 0 ? 0 : walFrameOffset(PAGE_SIZE, this.model.committedFrames);
    const written = await leaderWrites(sqlite, this.host, `PRAGMA user_version=${userVersion}`);
    // SQLite appended after the committed frames it recovered, which must be all of ours.
    expect(
      Buffer.from(written.wal.subarray(0, committedBytes)).equals(Buffer.from(before.wal.subarray(0, committedBytes))),
    ).toBe(true);
    const transactions = capturedTransactions(written.wal, this.model.committedFrames);
    expect(transactions.length).toBe(1);
    for (const transaction of transactions) {
      this.model.dropPending();
      this.model.append(transaction.pageNumbers.length);
      const pages = transaction.pageNumbers.map((pageNumber, index) => ({
        pageNumber,
        page: transaction.pageData.subarray(index * PAGE_SIZE, (index + 1) * PAGE_SIZE),
      }));
      this.model.commit(pages, transaction.commitSizePages);
    }
    this.files.noteLeaderCommit(parseWal(written.wal).committedFrameCount);
  }

  private async restore(): Promise<void> {
    const generation = this.files.generation();
    const snapshot = await this.host.run(() => this.files.read());
    await this.host.run(() => this.store.clear());
    expect(await this.host.exists(`${DIRECTORY}/${DATABASE}`)).toBe(false);
    this.files = await this.host.run(() => this.store.restore(DATABASE, snapshot.database, snapshot.wal));
    expect(this.files.generation()).toBeGreaterThan(generation);
  }

  private async expectModel(): Promise<void> {
    expect(this.files.committedFrames()).toBe(this.model.committedFrames);
    expect(this.files.pendingFrames()).toBe(this.model.pendingFrames);
    const image = await this.host.run(() => this.files.image());
    expect(Buffer.from(image).equals(Buffer.from(this.model.image()))).toBe(true);
  }

  /** Real SQLite recovers exactly the committed frames and checkpoints them into the model's database. */
  async expectSqliteAgrees(): Promise<void> {
    const reading = await sqliteReads(sqlite, this.host);
    expect(reading.recoveredFrames).toBe(this.model.committedFrames);
    expect(Buffer.from(reading.checkpointed).equals(Buffer.from(this.model.image()))).toBe(true);
  }
}

function modelProperty(variant: DatabaseFilesBrokenVariant | undefined) {
  return fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), fc.nat(), async (operations, seed) => {
    const run = await Run.start(`model-${seed}`, variant);
    for (const next of operations) await run.step(next);
    await run.expectSqliteAgrees();
  });
}

/** Every broken variant of the files (DATABASE_FILES_BROKEN_VARIANTS, scenarios/dqlite/variants.ts). */
const BROKEN_VARIANTS: readonly DatabaseFilesBrokenVariant[] = [
  "unchained-batches",
  "undo-keeps-running-checksum",
  "undo-is-noop",
  "leader-commit-keeps-chain",
  "checkpoint-keeps-size",
];

describe("DatabaseFiles against a model and real SQLite", () => {
  it("the image is always the model's, and SQLite reads exactly the committed state", async () => {
    await fc.assert(modelProperty(undefined), propertyParameters("database files model", 80));
  });

  it.each(BROKEN_VARIANTS)("the property fails on the broken variant %s", async (variant) => {
    const details = await fc.check(
      modelProperty(variant),
      propertyParameters(`database files model (broken: ${variant})`, 200, { endOnFailure: true }),
    );
    expect(details.failed).toBe(true);
  });
});
