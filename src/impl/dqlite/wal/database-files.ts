/**
 * One node's databases on its own disk (`<directory>/<name>` and `<name>-wal`), as
 * the FSM sees them: `DatabaseFiles` and `DatabaseStore` of ../types.ts on `env.disk`.
 *
 * The files are a valid SQLite WAL database at every step, so a SQLite connection
 * opened on them (this node becoming leader) recovers exactly the committed frames;
 * SQLite and this module take turns appending to one WAL. Follower frames continue
 * the WAL's salts and checksum chain from its last commit frame; an empty or absent
 * WAL gets a fresh header (new salts, next checkpoint sequence), as SQLite does when
 * it restarts a WAL, so frames of an older WAL can never chain into the new one.
 *
 * No fsyncs: a restarted node rebuilds every database from the Raft snapshot and
 * log (the FSM is volatile state), so nothing here needs to survive a crash, and an
 * fsync would only cost time. Disk errors (DiskError) propagate as they are: the
 * caller decides. Reading back checks what it reads (`read`, `checkpoint` and a
 * re-read after the leader's commits verify the WAL), and surfaces a mismatch as
 * `ErrWalMalformed` rather than serving it.
 *
 * Seams for testing: DiskDatabaseStore builds each database's files through its
 * `createFiles` option, and a subclass of DiskDatabaseFiles may override the
 * protected decisions (continuedChecksum, checksumAfterDrop, undoPending,
 * rereadsChainAfterLeaderCommit, cutCheckpointed): the broken files of
 * scenarios/dqlite/variants.ts do.
 */
import type { Disk, Env, FileHandle, Random } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { PAGE_SIZE } from "../types.ts";
import type { DatabaseFiles, DatabaseStore, FrameBatch } from "../types.ts";
import {
  chainAfterHeader,
  databaseImage,
  decodeWalFrameHeader,
  decodeWalHeader,
  encodeWalFrames,
  encodeWalHeader,
  ErrWalMalformed,
  parseWal,
  WAL_FRAME_HEADER_SIZE,
  WAL_HEADER_SIZE,
  walFrameOffset,
} from "./wal-format.ts";
import type { ParsedWal, WalChain, WalChecksum, WalHeader } from "./wal-format.ts";

export interface DatabaseStoreOptions {
  /** Seam for testing: builds each database's files. Default: `new DiskDatabaseFiles(init)`. */
  readonly createFiles?: (init: DatabaseFilesInit) => DiskDatabaseFiles;
}

/** Offsets 18 and 19 of a SQLite database header: file format write and read versions, both 2 in WAL mode. */
const DATABASE_HEADER_WRITE_VERSION_OFFSET = 18;
const DATABASE_HEADER_READ_VERSION_OFFSET = 19;
const WAL_MODE_FORMAT_VERSION = 2;

/**
 * What outlives one DatabaseFiles object of a database within a store: a restore or
 * a clear replaces the object, but the generation must keep growing (a connection
 * opened before must see a change) and a new WAL must not reuse the last salts.
 */
interface Lineage {
  generation: number;
  /** The highest checkpoint sequence seen in or written to this database's WAL headers; -1 before any. */
  checkpointSequence: number;
  /** Salt-1 of the last WAL header seen or written. */
  salt1: number | undefined;
}

/** The WAL's header and checksums, when a DiskDatabaseFiles knows them. */
export interface WalChainState {
  readonly header: WalHeader;
  /** After the last frame written (committed or pending). */
  running: WalChecksum;
  /** After the last commit frame (the header's checksum without one). */
  committed: WalChecksum;
}

/** What a DiskDatabaseFiles starts from (made by DiskDatabaseStore). */
export interface DatabaseFilesInit {
  readonly disk: Disk;
  readonly random: Random;
  readonly filename: string;
  readonly databasePath: string;
  readonly walPath: string;
  readonly lineage: Lineage;
  /** The WAL found on disk, and its length in bytes. */
  readonly wal: ParsedWal;
  readonly walLength: number;
}

/** DatabaseFiles on `env.disk`; made by DiskDatabaseStore. */
export class DiskDatabaseFiles implements DatabaseFiles {
  readonly filename: string;
  private readonly disk: Disk;
  private readonly random: Random;
  private readonly databasePath: string;
  private readonly walPath: string;
  private readonly lineage: Lineage;
  private committed: number;
  private pending = 0;
  /** Undefined: no usable header (the next append writes a fresh one). */
  private chain: WalChainState | undefined;
  /** SQLite wrote the WAL itself since: `chain` must be read back from disk before the next append. */
  private chainStale = false;
  /** The WAL may hold bytes past the committed and pending frames: truncate before appending. */
  private tailDirty: boolean;
  /** A restore or clear replaced this object: the FSM must not use it any more. */
  private retired = false;
  /** The WAL, open from its first use until this object is retired (see `withWal`). */
  private wal: FileHandle | undefined;
  private queue: Promise<void> = Promise.resolve();

  /** @internal Use DiskDatabaseStore.open / restore. */
  constructor(init: DatabaseFilesInit) {
    this.filename = init.filename;
    this.disk = init.disk;
    this.random = init.random;
    this.databasePath = init.databasePath;
    this.walPath = init.walPath;
    this.lineage = init.lineage;
    const { header } = init.wal;
    if (header !== undefined) {
      if (header.pageSize !== PAGE_SIZE)
        throw new ErrWalMalformed(`${init.walPath}: page size ${header.pageSize}, expected ${PAGE_SIZE}`);
      this.noteHeader(header);
    }
    this.committed = init.wal.committedFrameCount;
    this.chain =
      header === undefined || this.committed === 0
        ? undefined
        : { header, running: init.wal.checksum, committed: init.wal.checksum };
    this.tailDirty = init.walLength > this.committedWalLength();
  }

  committedFrames(): number {
    return this.committed;
  }

  pendingFrames(): number {
    return this.pending;
  }

  generation(): number {
    return this.lineage.generation;
  }

  applyFrames(batch: FrameBatch, begin: boolean): Promise<void> {
    this.assertUsable("applyFrames");
    validateBatch(batch);
    return this.serialize(async () => {
      if (this.chainStale) await this.loadChain();
      if (begin && this.pending > 0) this.dropPending();
      try {
        await this.appendFrames(batch);
      } finally {
        this.lineage.generation++;
      }
    });
  }

  undo(): Promise<void> {
    this.assertUsable("undo");
    return this.serialize(() => this.undoPending());
  }

  checkpoint(): Promise<void> {
    this.assertUsable("checkpoint");
    return this.serialize(async () => {
      assert(this.pending === 0, `${this.filename}: checkpoint with ${this.pending} pending frames`);
      try {
        await this.copyCommittedFrames();
        await this.withWal((wal) => wal.truncate(0));
        this.committed = 0;
        this.chain = undefined;
        this.chainStale = false;
        this.tailDirty = false;
      } finally {
        this.lineage.generation++;
      }
    });
  }

  /**
   * SQLite recovered the WAL up to the last commit and wrote after it: frames of an
   * unfinished follower transaction, if any, are gone (overwritten or garbage).
   */
  noteLeaderCommit(frameCount: number): void {
    assert(
      Number.isInteger(frameCount) && frameCount >= 0,
      `${this.filename}: leader commit at frame count ${frameCount}`,
    );
    if (this.pending > 0) this.tailDirty = true;
    this.pending = 0;
    this.committed = frameCount;
    this.chainStale = this.rereadsChainAfterLeaderCommit();
  }

  noteLeaderRollback(): void {
    // SQLite may have restarted the WAL (new header) or left frames past the commit.
    this.pending = 0;
    this.chainStale = true;
    this.tailDirty = true;
  }

  read(): Promise<{ readonly database: Uint8Array; readonly wal: Uint8Array }> {
    return this.serialize(async () => {
      const database = await this.disk.readFile(this.databasePath);
      const wal = this.committed === 0 ? new Uint8Array(0) : await this.readCommittedWal();
      return { database, wal };
    });
  }

  image(): Promise<Uint8Array> {
    return this.serialize(async () => {
      const database = await this.disk.readFile(this.databasePath);
      const wal = (await this.disk.exists(this.walPath)) ? await this.disk.readFile(this.walPath) : new Uint8Array(0);
      return databaseImage(database, wal);
    });
  }

  /** @internal The store replaced this object (restore, clear): its WAL handle is closed after what is queued. */
  retire(): void {
    this.retired = true;
    void this.serialize(async () => {
      const wal = this.wal;
      this.wal = undefined;
      await wal?.close();
    }).catch(() => undefined);
  }

  /** Seam for testing: undo's work (in turn with the other operations): the frames after the last commit go. */
  protected async undoPending(): Promise<void> {
    if (this.pending === 0 && !this.tailDirty) return;
    this.dropPending();
    try {
      await this.withWal((wal) => wal.truncate(this.committedWalLength()));
      this.tailDirty = false;
    } finally {
      this.lineage.generation++;
    }
  }

  /**
   * Seam for testing: whether the checksum chain is read back from the WAL before
   * the next append once SQLite committed on its own (it wrote frames this object
   * never saw, so the chain in memory is not the WAL's).
   */
  protected rereadsChainAfterLeaderCommit(): boolean {
    return true;
  }

  /** Seam for testing: the checksum a batch's first frame continues: the running one, after the last frame written. */
  protected continuedChecksum(chain: WalChainState): WalChecksum {
    return chain.running;
  }

  /** Seam for testing: the running checksum once the frames after the last commit are dropped: the commit's. */
  protected checksumAfterDrop(chain: WalChainState): WalChecksum {
    return chain.committed;
  }

  /** Seam for testing: cuts the database file to the last commit's size after a checkpoint's copy. */
  protected cutCheckpointed(database: FileHandle, sizeBytes: number): Promise<void> {
    return database.truncate(sizeBytes);
  }

  /** Runs operations one at a time, in call order, whatever each one's outcome. */
  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private assertUsable(operation: string): void {
    assert(!this.retired, `${this.filename}: ${operation} on files replaced by a restore or clear`);
  }

  private committedWalLength(): number {
    return this.committed === 0 ? 0 : walFrameOffset(PAGE_SIZE, this.committed);
  }

  private noteHeader(header: WalHeader): void {
    this.lineage.salt1 = header.salt1;
    this.lineage.checkpointSequence = Math.max(this.lineage.checkpointSequence, header.checkpointSequence);
  }

  /** Forgets the frames after the last commit (their bytes are cut at the next write). */
  private dropPending(): void {
    if (this.pending > 0) this.tailDirty = true;
    this.pending = 0;
    if (this.committed === 0) this.chain = undefined;
    else if (this.chain !== undefined) this.chain.running = this.checksumAfterDrop(this.chain);
  }

  private async appendFrames(batch: FrameBatch): Promise<void> {
    const fresh = this.chain === undefined;
    assert(!fresh || this.committed + this.pending === 0, `${this.filename}: frames in a WAL without a header`);
    const chain = this.chain ?? this.freshChain();
    const frameIndex = this.committed + this.pending;
    const start = fresh ? 0 : walFrameOffset(PAGE_SIZE, frameIndex);
    const running = this.continuedChecksum(chain);
    const link: WalChain = { ...chainAfterHeader(chain.header), checksum: running };
    const frames = encodeWalFrames(
      link,
      PAGE_SIZE,
      batch.pageNumbers,
      batch.pageData,
      batch.isCommit ? batch.truncate : 0,
      fresh ? WAL_HEADER_SIZE : 0,
    );
    const bytes = frames.bytes;
    if (fresh) bytes.set(encodeWalHeader(chain.header), 0);
    const truncateFirst = fresh || this.tailDirty;
    // Until the write is known to be whole, the WAL may end in a partial frame.
    this.tailDirty = true;
    await this.withWal(async (wal) => {
      if (truncateFirst) await wal.truncate(start);
      await wal.write(start, bytes);
    });
    this.tailDirty = false;
    this.chain = chain;
    chain.running = frames.checksum;
    this.pending += batch.pageNumbers.length;
    if (batch.isCommit) {
      this.committed += this.pending;
      this.pending = 0;
      chain.committed = frames.checksum;
    }
  }

  /** A new WAL header, as SQLite writes one when it restarts a WAL: salt-1 moves on, salt-2 is new. */
  private freshChain(): WalChainState {
    const checkpointSequence = (this.lineage.checkpointSequence + 1) >>> 0;
    const salt1 = this.lineage.salt1 === undefined ? this.random.uint32() : (this.lineage.salt1 + 1) >>> 0;
    const salt2 = this.random.uint32();
    const encoded = encodeWalHeader({
      bigEndianChecksum: false,
      pageSize: PAGE_SIZE,
      checkpointSequence,
      salt1,
      salt2,
    });
    const { header } = decodeWalHeader(encoded);
    this.noteHeader(header);
    return { header, running: header.checksum, committed: header.checksum };
  }

  /**
   * After SQLite appended or rolled back on its own: the header and the checksum of
   * the last commit frame, read back from disk (the rest of the chain is SQLite's).
   */
  private async loadChain(): Promise<void> {
    if (this.committed === 0) {
      this.chain = undefined;
      this.chainStale = false;
      return;
    }
    const frameOffset = walFrameOffset(PAGE_SIZE, this.committed - 1);
    const { headerBytes, frameBytes } = await this.withWal(async (wal) => ({
      headerBytes: await wal.read(0, WAL_HEADER_SIZE),
      frameBytes: await wal.read(frameOffset, WAL_FRAME_HEADER_SIZE),
    }));
    const { header, checksumValid } = decodeWalHeader(headerBytes);
    if (!checksumValid) throw new ErrWalMalformed(`${this.walPath}: WAL header checksum mismatch`);
    if (header.pageSize !== PAGE_SIZE)
      throw new ErrWalMalformed(`${this.walPath}: page size ${header.pageSize}, expected ${PAGE_SIZE}`);
    if (frameBytes.length < WAL_FRAME_HEADER_SIZE)
      throw new ErrWalMalformed(`${this.walPath}: no frame ${this.committed}`);
    const frame = decodeWalFrameHeader(frameBytes);
    if (frame.salt1 !== header.salt1 || frame.salt2 !== header.salt2 || frame.commitSizePages === 0) {
      throw new ErrWalMalformed(`${this.walPath}: frame ${this.committed} is not a commit frame of this WAL`);
    }
    this.noteHeader(header);
    this.chain = { header, running: frame.checksum, committed: frame.checksum };
    this.chainStale = false;
  }

  /** The committed part of the WAL, checked: it must hold exactly the committed frames. */
  private async readCommittedWal(): Promise<Uint8Array> {
    const length = this.committedWalLength();
    const bytes = await this.withWal((wal) => wal.read(0, length));
    const parsed = parseWal(bytes);
    if (bytes.length !== length || parsed.committedFrameCount !== this.committed || parsed.framesAfterCommit !== 0) {
      throw new ErrWalMalformed(
        `${this.walPath}: expected ${this.committed} committed frames, found ${parsed.committedFrameCount} in ${bytes.length} bytes`,
      );
    }
    return bytes;
  }

  /**
   * Checkpoint's copy: the latest committed version of each page, in page order (as
   * SQLite's checkpoint writes them), then the database file cut to the last commit's size.
   */
  private async copyCommittedFrames(): Promise<void> {
    if (this.committed === 0) return;
    const wal = await this.readCommittedWal();
    const parsed = parseWal(wal);
    const latest = new Map<number, number>();
    for (const frame of parsed.frames) {
      if (frame.pageNumber <= parsed.databaseSizePages) latest.set(frame.pageNumber, frame.offset);
    }
    const database = await this.disk.open(this.databasePath, { create: true });
    try {
      for (const pageNumber of [...latest.keys()].sort((a, b) => a - b)) {
        const offset = latest.get(pageNumber) ?? 0;
        const page = wal.subarray(offset + WAL_FRAME_HEADER_SIZE, offset + WAL_FRAME_HEADER_SIZE + PAGE_SIZE);
        await database.write((pageNumber - 1) * PAGE_SIZE, page);
      }
      await this.cutCheckpointed(database, parsed.databaseSizePages * PAGE_SIZE);
    } finally {
      await database.close();
    }
  }

  /**
   * Runs `use` on the WAL, opened (created if absent) at the first use and kept open
   * until `retire`, as a server keeps its files open: the file stays the same one
   * meanwhile (SQLite never deletes the WAL here: its connections close without a
   * checkpoint; the store replaces a database's files only through a new object).
   */
  private async withWal<T>(use: (wal: FileHandle) => Promise<T>): Promise<T> {
    if (!this.retired) {
      this.wal ??= await this.disk.open(this.walPath, { create: true });
      return use(this.wal);
    }
    // A read of retired files (a snapshot racing a restore): opened for this use only.
    const wal = await this.disk.open(this.walPath, { create: true });
    try {
      return await use(wal);
    } finally {
      await wal.close();
    }
  }
}

/**
 * DatabaseStore on `env.disk`, in `directory` (which belongs to the store alone:
 * `clear` deletes every file in it). `template` is a new empty database file in WAL
 * mode with page size PAGE_SIZE (made by SQLite), copied for each new database.
 */
export class DiskDatabaseStore implements DatabaseStore {
  private readonly disk: Disk;
  private readonly random: Random;
  private readonly template: Uint8Array;
  private readonly databases = new Map<string, DiskDatabaseFiles>();
  /** Per database name, for as long as this store lives (across restores and clears). */
  private readonly lineages = new Map<string, Lineage>();
  private readonly createFiles: (init: DatabaseFilesInit) => DiskDatabaseFiles;
  private directoryReady = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    env: Env,
    private readonly directory: string,
    template: Uint8Array,
    options: DatabaseStoreOptions = {},
  ) {
    this.createFiles = options.createFiles ?? ((init) => new DiskDatabaseFiles(init));
    validateTemplate(template);
    this.disk = env.disk;
    this.random = env.random.fork("dqlite-wal-salts");
    this.template = template.slice();
  }

  open(filename: string): Promise<DatabaseFiles> {
    validateFilename(filename);
    return this.serialize(async () => {
      const known = this.databases.get(filename);
      if (known !== undefined) return known;
      await this.ensureDirectory();
      const databasePath = this.pathOf(filename);
      const walPath = `${databasePath}-wal`;
      if (!(await this.disk.exists(databasePath))) {
        // A WAL without its database file belongs to no database: it must not apply to the template.
        if (await this.disk.exists(walPath)) await this.disk.unlink(walPath);
        await this.disk.writeFile(databasePath, this.template);
      }
      const wal = (await this.disk.exists(walPath)) ? await this.disk.readFile(walPath) : new Uint8Array(0);
      return this.install(filename, wal);
    });
  }

  get(filename: string): DatabaseFiles | undefined {
    return this.databases.get(filename);
  }

  names(): readonly string[] {
    return [...this.databases.keys()].sort();
  }

  async restore(filename: string, database: Uint8Array, wal: Uint8Array): Promise<DatabaseFiles> {
    validateFilename(filename);
    // Refuse a malformed snapshot (ErrWalMalformed) before touching the disk.
    parseWal(wal);
    return this.serialize(async () => {
      await this.ensureDirectory();
      this.databases.get(filename)?.retire();
      this.databases.delete(filename);
      const databasePath = this.pathOf(filename);
      await this.disk.writeFile(databasePath, database);
      await this.disk.writeFile(`${databasePath}-wal`, wal);
      return this.install(filename, wal);
    });
  }

  clear(): Promise<void> {
    return this.serialize(async () => {
      for (const [filename, files] of this.databases) {
        files.retire();
        this.lineageOf(filename).generation++;
      }
      this.databases.clear();
      if (!(await this.disk.exists(this.directory))) return;
      for (const name of await this.disk.list(this.directory)) {
        const path = this.pathOf(name);
        if (!(await this.disk.stat(path)).isDirectory) await this.disk.unlink(path);
      }
    });
  }

  private install(filename: string, walBytes: Uint8Array): DiskDatabaseFiles {
    const lineage = this.lineageOf(filename);
    // A new object for the name: whatever was opened on the previous one is stale.
    lineage.generation++;
    const databasePath = this.pathOf(filename);
    const files = this.createFiles({
      disk: this.disk,
      random: this.random,
      filename,
      databasePath,
      walPath: `${databasePath}-wal`,
      lineage,
      wal: parseWal(walBytes),
      walLength: walBytes.length,
    });
    this.databases.set(filename, files);
    return files;
  }

  private lineageOf(filename: string): Lineage {
    let lineage = this.lineages.get(filename);
    if (lineage === undefined) {
      lineage = { generation: 0, checkpointSequence: -1, salt1: undefined };
      this.lineages.set(filename, lineage);
    }
    return lineage;
  }

  private pathOf(name: string): string {
    return this.directory.endsWith("/") ? `${this.directory}${name}` : `${this.directory}/${name}`;
  }

  private async ensureDirectory(): Promise<void> {
    if (this.directoryReady) return;
    if (!(await this.disk.exists(this.directory))) await this.disk.mkdir(this.directory);
    this.directoryReady = true;
  }

  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function validateBatch(batch: FrameBatch): void {
  assert(batch.pageSize === PAGE_SIZE, `frames of page size ${batch.pageSize}, expected ${PAGE_SIZE}`);
  assert(batch.pageNumbers.length > 0, "a frames batch without frames");
  assert(
    batch.pageData.length === batch.pageNumbers.length * batch.pageSize,
    "page data does not match the page count",
  );
  for (const pageNumber of batch.pageNumbers) {
    assert(
      Number.isInteger(pageNumber) && pageNumber >= 1 && pageNumber <= 0xffffffff,
      `invalid page number ${pageNumber}`,
    );
  }
  if (batch.isCommit)
    assert(Number.isInteger(batch.truncate) && batch.truncate >= 1, `commit to ${batch.truncate} pages`);
  else assert(batch.truncate === 0, `truncate ${batch.truncate} on frames that do not commit`);
}

function validateTemplate(template: Uint8Array): void {
  assert(
    template.length > 0 && template.length % PAGE_SIZE === 0,
    `template of ${template.length} bytes is not whole pages`,
  );
  const pageSizeField = ((template[16] ?? 0) << 8) | (template[17] ?? 0);
  assert(pageSizeField === PAGE_SIZE, `template page size ${pageSizeField}, expected ${PAGE_SIZE}`);
  assert(
    template[DATABASE_HEADER_WRITE_VERSION_OFFSET] === WAL_MODE_FORMAT_VERSION,
    "template is not a WAL-mode database",
  );
  assert(
    template[DATABASE_HEADER_READ_VERSION_OFFSET] === WAL_MODE_FORMAT_VERSION,
    "template is not a WAL-mode database",
  );
}

function validateFilename(filename: string): void {
  assert(filename.length > 0 && !filename.includes("/"), `invalid database name ${JSON.stringify(filename)}`);
  assert(!filename.endsWith("-wal"), `database name ${JSON.stringify(filename)} would clash with a WAL`);
}
