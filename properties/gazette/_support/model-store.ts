/**
 * The model broker's state: an in-memory journal store shared by the model
 * broker hosts of a test world (a fixture, not a broker implementation). Each
 * journal is a list of fragments (one per committed append) over a byte
 * sequence; deleting fragments makes spans disappear, so reads of them jump to
 * the next available offset. Fragments may be marked persisted, in which case
 * `persistedFiles()` gives the files a shared fragment store (a NAS mounted on
 * the client) would hold, raw or gzip-compressed.
 *
 * It also logs what the brokers saw: every append attempt (journal, content,
 * true virtual time, outcome) and every commit, for the properties to check.
 */
import { gzipSync } from "fflate";
import type { LabelSet } from "../../../src/impl/gazette/protocol/labels.ts";
import { fragmentContentPath, fragmentSum, type Fragment } from "../../../src/impl/gazette/protocol/fragment.ts";
import type { CompressionCodec, JournalSpec } from "../../../src/impl/gazette/protocol/journal-spec.ts";
import type { Route } from "../../../src/impl/gazette/protocol/route.ts";
import { NODE_HASHES } from "../../../src/sim/hashes.ts";

export const BROKER_PORT = 7100;
export const BROKER_ZONE = "zone-a";
export const FRAGMENT_STORE = "file:///";

export interface FragmentRecord {
  fragment: Fragment;
  content: Uint8Array;
}

export interface AppendAttempt {
  journal: string;
  broker: string;
  content: Uint8Array;
  atMs: number;
  outcome: string;
}

export interface Commit {
  journal: string;
  begin: number;
  end: number;
  content: Uint8Array;
  atMs: number;
}

export function journalSpec(
  name: string,
  codec: CompressionCodec = "NONE",
  labels: LabelSet = { labels: [] },
): JournalSpec {
  return {
    name,
    replication: 1,
    labels,
    fragment: {
      length: 1 << 20,
      compressionCodec: codec,
      stores: [FRAGMENT_STORE],
      refreshIntervalMs: 60_000,
      retentionMs: 0,
      flushIntervalMs: 0,
    },
    flags: 0,
  };
}

export function brokerRoute(members: readonly string[], primary: string | undefined): Route {
  const sorted = [...members].sort();
  return {
    members: sorted.map((suffix) => ({ zone: BROKER_ZONE, suffix })),
    primary: primary === undefined ? -1 : sorted.indexOf(primary),
    endpoints: sorted.map((name) => `gazette://${name}:${BROKER_PORT}`),
  };
}

export class ModelJournal {
  readonly fragments: FragmentRecord[] = [];
  writeHead = 0;
  registers: LabelSet = { labels: [] };

  constructor(
    public spec: JournalSpec,
    public modRevision: number,
    public route: Route,
  ) {}

  /** Commits `content` as a new fragment at the write head. */
  append(content: Uint8Array, modTime: number, persisted: boolean): Fragment {
    const fragment: Fragment = {
      journal: this.spec.name,
      begin: this.writeHead,
      end: this.writeHead + content.length,
      sum: fragmentSum(NODE_HASHES, content),
      compressionCodec: this.spec.fragment.compressionCodec,
      backingStore: persisted ? FRAGMENT_STORE : "",
      modTime,
      pathPostfix: "",
    };
    if (content.length > 0) this.fragments.push({ fragment, content: content.slice() });
    this.writeHead = fragment.end;
    return fragment;
  }

  /** The fragment covering `offset`, else the first one after it (an offset jump), else undefined. */
  fragmentAt(offset: number): FragmentRecord | undefined {
    return this.fragments.find((record) => record.fragment.end > offset);
  }

  /** Removes the fragments at these indices (their spans become unavailable). */
  deleteFragments(indices: ReadonlySet<number>): void {
    const kept = this.fragments.filter((_, index) => !indices.has(index));
    this.fragments.length = 0;
    this.fragments.push(...kept);
  }

  /** The bytes a correct reader sees from `offset`: [(offset of the next span, bytes)]. */
  available(): FragmentRecord[] {
    return [...this.fragments];
  }
}

export class ModelStore {
  readonly journals = new Map<string, ModelJournal>();
  readonly attempts: AppendAttempt[] = [];
  readonly commits: Commit[] = [];
  revision = 1;
  /** True virtual time (set by the test to the world's clock). */
  now: () => number = () => 0;
  /** Whether new fragments are persisted to the fragment store (read directly with doNotProxy). */
  persistNewFragments = false;

  createJournal(spec: JournalSpec, route: Route): ModelJournal {
    const journal = new ModelJournal(spec, ++this.revision, route);
    this.journals.set(spec.name, journal);
    return journal;
  }

  /** Fills a journal with appends of these contents (one fragment each). */
  fill(name: string, contents: readonly Uint8Array[], persisted = false): void {
    const journal = this.journals.get(name);
    if (journal === undefined) throw new Error(`no journal ${name}`);
    for (const content of contents) journal.append(content, 1_000, persisted);
  }

  /** Files of persisted fragments, by path under the store root, encoded with each fragment's codec. */
  persistedFiles(): Array<{ path: string; data: Uint8Array }> {
    const files: Array<{ path: string; data: Uint8Array }> = [];
    for (const journal of this.journals.values()) {
      for (const record of journal.fragments) {
        if (record.fragment.backingStore === "") continue;
        const data =
          record.fragment.compressionCodec === "GZIP" ? gzipSync(record.content, { mtime: 0 }) : record.content;
        files.push({ path: `/${fragmentContentPath(record.fragment)}`, data });
      }
    }
    return files;
  }

  /** The journal's bytes as a correct reader starting at 0 sees them: each available span in order. */
  spans(name: string): Array<{ begin: number; content: Uint8Array }> {
    const journal = this.journals.get(name);
    if (journal === undefined) return [];
    return journal.fragments.map((record) => ({ begin: record.fragment.begin, content: record.content }));
  }
}
