/**
 * The logical database as a plain map of pages: what a node's DatabaseFiles must
 * show, without any WAL. A commit sets its pages and the size; pages past the size
 * stay readable until a checkpoint cuts the file (as in SQLite, whose WAL lookup
 * finds a page's latest frame even if a commit in between shrank the database).
 */
import { PAGE_SIZE } from "../../../../src/impl/dqlite/types.ts";

export class PageModel {
  private readonly pages = new Map<number, Uint8Array>();
  sizePages: number;
  committedFrames = 0;
  pendingFrames = 0;

  constructor(database: Uint8Array) {
    this.sizePages = database.length / PAGE_SIZE;
    for (let pageNumber = 1; pageNumber <= this.sizePages; pageNumber++) {
      this.pages.set(pageNumber, database.slice((pageNumber - 1) * PAGE_SIZE, pageNumber * PAGE_SIZE));
    }
  }

  /** Frames written but not committed yet. */
  append(frameCount: number): void {
    this.pendingFrames += frameCount;
  }

  /** The pending frames plus `pages` commit; the database has `sizePages` pages. */
  commit(pages: readonly { readonly pageNumber: number; readonly page: Uint8Array }[], sizePages: number): void {
    for (const { pageNumber, page } of pages) this.pages.set(pageNumber, page.slice());
    this.committedFrames += this.pendingFrames;
    this.pendingFrames = 0;
    this.sizePages = sizePages;
  }

  dropPending(): void {
    this.pendingFrames = 0;
  }

  checkpoint(): void {
    for (const pageNumber of [...this.pages.keys()]) if (pageNumber > this.sizePages) this.pages.delete(pageNumber);
    this.committedFrames = 0;
  }

  image(): Uint8Array {
    const image = new Uint8Array(this.sizePages * PAGE_SIZE);
    for (const [pageNumber, page] of this.pages)
      if (pageNumber <= this.sizePages) image.set(page, (pageNumber - 1) * PAGE_SIZE);
    return image;
  }
}
