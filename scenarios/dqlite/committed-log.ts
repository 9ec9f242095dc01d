/**
 * CommittedDatabases: what a dqlite cluster's committed Raft log says every database
 * holds, the oracle for "each node's copy of a database is exactly the committed
 * transactions' frames" (the FSM model's end check, properties/dqlite/fsm, made
 * cluster-wide).
 *
 * Contract (go-dqlite's replication FSM, seed 001): a transaction's frames become
 * visible only with its commit frames, all at once and in log order (later frames of
 * a page win); an Undo discards the transaction's frames, and so does another
 * transaction's first frames on the same database (the earlier one was abandoned);
 * a commit sizes the database to its `truncate` pages; Open creates the database
 * from the empty template; a Checkpoint changes no content.
 * Observed: the entries each node's Raft applied (its observer). State-machine
 * safety (the Raft safety checker) makes them one log, so the first application of
 * each index is folded, in index order; the model keeps one image per database,
 * never the log. Entries are decoded with the log's codec (commands.ts, tested on
 * its own); a malformed one changes nothing here (the FSM reports it).
 */
import { decodeCommand } from "../../src/impl/dqlite/fsm/commands.ts";
import { PAGE_SIZE, type Command, type FramesPayload } from "../../src/impl/dqlite/types.ts";
import type { LogEntry } from "../../src/impl/raft/core/types.ts";

/** Entries applied ahead of a gap, waiting for it to fill (none is expected: see `applied`). */
const WAITING_ENTRIES_MAX = 10_000;

/** One database as the committed log describes it. */
interface ExpectedDatabase {
  /** Committed pages by number (pages past `sizePages` dropped). */
  readonly pages: Map<number, Uint8Array>;
  /** Pages after the last commit; undefined before any (the template's size). */
  sizePages: number | undefined;
  /** The frames of the transaction in flight on this database, if any. */
  pending: { readonly txid: number; readonly frames: FramesPayload[] } | undefined;
}

export class CommittedDatabases {
  readonly #databases = new Map<string, ExpectedDatabase>();
  readonly #waiting = new Map<number, LogEntry>();
  #index = 0;
  #malformed = 0;
  #overflow: number | undefined;

  /** The last index folded: the log through it is known without a gap. */
  get index(): number {
    return this.#index;
  }

  /** Committed entries whose data was no command. */
  get malformed(): number {
    return this.#malformed;
  }

  /** Why the model cannot be trusted, if it cannot: entries kept arriving past a gap. */
  get problem(): string | undefined {
    return this.#overflow === undefined
      ? undefined
      : `more than ${WAITING_ENTRIES_MAX} entries applied past index ${this.#overflow + 1}, which none applied`;
  }

  /** The databases the log opened, sorted. */
  names(): string[] {
    return [...this.#databases.keys()].sort();
  }

  /**
   * A node applied `entry`. A node applies index i only on top of i-1, applied by
   * itself or by the node whose snapshot it installed, so indices arrive without
   * gaps; later applications of an index are ignored.
   */
  applied(entry: LogEntry): void {
    if (entry.index <= this.#index || this.#waiting.has(entry.index)) return;
    if (this.#waiting.size >= WAITING_ENTRIES_MAX) {
      this.#overflow ??= this.#index;
      return;
    }
    this.#waiting.set(entry.index, entry);
    for (let next = this.#waiting.get(this.#index + 1); next !== undefined; next = this.#waiting.get(this.#index + 1)) {
      this.#waiting.delete(next.index);
      this.#index = next.index;
      if (next.kind === "command") this.#fold(next.data);
    }
  }

  /** The logical database `name` the log describes (undefined if never opened), over the empty database `template`. */
  image(name: string, template: Uint8Array): Uint8Array | undefined {
    const database = this.#databases.get(name);
    if (database === undefined) return undefined;
    const sizePages = database.sizePages ?? Math.ceil(template.length / PAGE_SIZE);
    const image = new Uint8Array(sizePages * PAGE_SIZE);
    image.set(template.subarray(0, Math.min(template.length, image.length)));
    for (const [number, page] of database.pages) if (number <= sizePages) image.set(page, (number - 1) * PAGE_SIZE);
    return image;
  }

  #fold(data: Uint8Array): void {
    let command: Command;
    try {
      command = decodeCommand(data);
    } catch {
      this.#malformed += 1;
      return;
    }
    switch (command.kind) {
      case "open":
        if (!this.#databases.has(command.name))
          this.#databases.set(command.name, { pages: new Map(), sizePages: undefined, pending: undefined });
        return;
      case "frames":
        this.#frames(command);
        return;
      case "undo":
        for (const database of this.#databases.values())
          if (database.pending?.txid === command.txid) database.pending = undefined;
        return;
      case "begin":
      case "end":
      case "checkpoint":
        return;
    }
  }

  #frames(frames: FramesPayload): void {
    const database = this.#databases.get(frames.filename);
    // Frames of a database never opened, or of another page size: the FSM refuses them (a violation it reports).
    if (database === undefined || frames.pageSize !== PAGE_SIZE) return;
    if (database.pending?.txid !== frames.txid) database.pending = { txid: frames.txid, frames: [] };
    database.pending.frames.push(frames);
    if (!frames.isCommit) return;
    for (const batch of database.pending.frames) {
      batch.pageNumbers.forEach((number, position) => {
        database.pages.set(number, batch.pageData.slice(position * PAGE_SIZE, (position + 1) * PAGE_SIZE));
      });
    }
    database.pending = undefined;
    database.sizePages = frames.truncate;
    for (const number of [...database.pages.keys()]) if (number > frames.truncate) database.pages.delete(number);
  }
}
