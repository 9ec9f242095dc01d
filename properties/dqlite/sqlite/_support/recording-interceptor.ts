/**
 * A WalInterceptor that writes everything through and records what SQLite did,
 * decoded with the WAL format: the 32-byte WAL header, then per frame a 24-byte
 * header (big-endian page number, then the database size in pages on a commit
 * frame, else 0) and the page. A write to a frame already written is a rewrite:
 * the page of an earlier frame rewritten in place, or a header whose checksum
 * SQLite recomputed. It can also refuse one write or one other operation.
 */
import type { WalInterceptor } from "../../../../src/impl/dqlite/sqlite/engine.ts";
import { SQLITE_IOERR, SQLITE_OK } from "../../../../src/impl/dqlite/sqlite/sqlite-error.ts";

export const WAL_HEADER_BYTES = 32;
export const FRAME_HEADER_BYTES = 24;
export const PAGE_BYTES = 4096;
const FRAME_BYTES = FRAME_HEADER_BYTES + PAGE_BYTES;

export type WalEvent =
  | { readonly kind: "wal-header"; readonly bytes: Uint8Array }
  | {
      readonly kind: "frame-header";
      readonly frame: number;
      readonly pageNumber: number;
      readonly commitSize: number;
      readonly rewrite: boolean;
    }
  | { readonly kind: "page"; readonly frame: number; readonly rewrite: boolean }
  | { readonly kind: "other" };

/** Which call to refuse with SQLITE_IOERR (counted from when it is armed), once. */
export type Refusal =
  | { readonly at: "commit-page" }
  | { readonly at: "wal-write"; readonly index: number }
  | { readonly at: "before-other"; readonly index: number };

export class RecordingInterceptor implements WalInterceptor {
  readonly events: WalEvent[] = [];
  /** Errors to throw from the next write (a bug in the interceptor). */
  throwOnWrite: Error | undefined;
  private refusal: Refusal | undefined;
  private writesSinceArmed = 0;
  private othersSinceArmed = 0;
  private refused = false;
  private headersWritten = new Set<number>();
  private pagesWritten = new Set<number>();
  private lastHeaderCommitSize = 0;

  /**
   * Starts a transaction: refuses one of its calls as `refusal` says (or none;
   * `fired` tells whether it happened), and forgets which frames were written (a
   * rewrite is a second write to a frame within one transaction: after a rollback
   * SQLite writes the next transaction's frames where the failed one's were).
   */
  arm(refusal: Refusal | undefined): void {
    this.headersWritten = new Set();
    this.pagesWritten = new Set();
    this.refusal = refusal;
    this.writesSinceArmed = 0;
    this.othersSinceArmed = 0;
    this.refused = false;
  }

  /** Whether the armed refusal happened. */
  get fired(): boolean {
    return this.refused;
  }

  async write(
    offset: number,
    data: Uint8Array,
    write: (offset: number, data: Uint8Array) => Promise<void>,
  ): Promise<number> {
    if (this.throwOnWrite !== undefined) {
      const error = this.throwOnWrite;
      this.throwOnWrite = undefined;
      throw error;
    }
    const event = this.decode(offset, data);
    const index = this.writesSinceArmed++;
    const refusal = this.refusal;
    const refuse =
      refusal !== undefined &&
      ((refusal.at === "wal-write" && refusal.index === index) ||
        (refusal.at === "commit-page" && event.kind === "page" && !event.rewrite && this.lastHeaderCommitSize > 0));
    if (refuse) return this.refuse();
    this.note(event);
    await write(offset, data);
    return SQLITE_OK;
  }

  beforeOther(): Promise<number> {
    const index = this.othersSinceArmed++;
    if (this.refusal?.at === "before-other" && this.refusal.index === index) return Promise.resolve(this.refuse());
    this.events.push({ kind: "other" });
    return Promise.resolve(SQLITE_OK);
  }

  /** Frame headers and pages in the order written. */
  frames(): Array<Extract<WalEvent, { kind: "frame-header" | "page" }>> {
    return this.events.filter(
      (event): event is Extract<WalEvent, { kind: "frame-header" | "page" }> =>
        event.kind === "frame-header" || event.kind === "page",
    );
  }

  private refuse(): number {
    this.refused = true;
    this.refusal = undefined;
    return SQLITE_IOERR;
  }

  private decode(offset: number, data: Uint8Array): WalEvent {
    if (offset === 0) return { kind: "wal-header", bytes: data.slice() };
    const frame = Math.floor((offset - WAL_HEADER_BYTES) / FRAME_BYTES) + 1;
    const within = (offset - WAL_HEADER_BYTES) % FRAME_BYTES;
    if (within === 0 && data.length === FRAME_HEADER_BYTES) {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      return {
        kind: "frame-header",
        frame,
        pageNumber: view.getUint32(0),
        commitSize: view.getUint32(4),
        rewrite: this.headersWritten.has(frame),
      };
    }
    if (within === FRAME_HEADER_BYTES && data.length === PAGE_BYTES)
      return { kind: "page", frame, rewrite: this.pagesWritten.has(frame) };
    throw new Error(`unexpected WAL write of ${data.length} bytes at ${offset}`);
  }

  private note(event: WalEvent): void {
    this.events.push(event);
    if (event.kind === "wal-header") {
      this.headersWritten = new Set();
      this.pagesWritten = new Set();
    } else if (event.kind === "frame-header") {
      this.headersWritten.add(event.frame);
      if (!event.rewrite) this.lastHeaderCommitSize = event.commitSize;
    } else if (event.kind === "page") {
      this.pagesWritten.add(event.frame);
    }
  }
}
