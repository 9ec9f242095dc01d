/**
 * Invariant (serveRead, Gazette's read_api.go): every content response of a
 * Read lies within the fragment of the metadata response sent before it, so an
 * offset jump between two fragments of one Read is announced by metadata at the
 * new offset before any of its content.
 *
 * Method: serveRead over a scripted fragment index (local content [0, 10), then
 * a jump over [10, 20) to [20, 30), as when retention removes the next
 * fragments while a Read streams), for reads from each offset of the first
 * fragment. Broken variant "no-jump-metadata" (the content after the jump goes
 * out without its metadata) fails it. No scenario catches that variant: the
 * client's Reader treats a content response above its offset as a jump too
 * (src/impl/gazette/client/reader.ts), so what it reads is the same.
 */
import { describe, expect, it } from "vitest";
import { FragmentTransports } from "../../../src/impl/gazette/client/fragment-transport.ts";
import { serveRead } from "../../../src/impl/gazette/broker/read.ts";
import {
  READ_BROKEN_VARIANTS,
  serveReadWithoutJumpMetadata,
  type ReadBrokenVariant,
} from "../_fixtures/broken-broker.ts";
import type { FragmentIndexApi, IndexedFragment, IndexQueryResult } from "../../../src/impl/gazette/broker/types.ts";
import type { Fragment } from "../../../src/impl/gazette/protocol/fragment.ts";
import { readRequest, type ReadResponse } from "../../../src/impl/gazette/protocol/messages.ts";
import { emptyRoute, type Header } from "../../../src/impl/gazette/protocol/route.ts";
import type { Env } from "../../../src/sim/env.ts";
import { fragmentOf, JOURNAL, memoryContent } from "./fragment/fragment-world.ts";

const FIRST = new TextEncoder().encode("0123456789");
const SECOND = new TextEncoder().encode("abcdefghij");
const SECOND_BEGIN = 20;

/** Local [0, 10), nothing in [10, 20) (a query there jumps to 20), local [20, 30). */
function scriptedIndex(): FragmentIndexApi {
  const first: IndexedFragment = { fragment: fragmentOf(FIRST, 0), local: memoryContent(FIRST, 0) };
  const second: IndexedFragment = {
    fragment: fragmentOf(SECOND, SECOND_BEGIN),
    local: memoryContent(SECOND, SECOND_BEGIN),
  };
  const writeHead = SECOND_BEGIN + SECOND.length;
  return {
    query: (offset: number): Promise<IndexQueryResult> => {
      if (offset < FIRST.length)
        return Promise.resolve({ status: "OK", offset, writeHead, fragment: first, jumped: false });
      if (offset < SECOND_BEGIN)
        return Promise.resolve({ status: "OK", offset: SECOND_BEGIN, writeHead, fragment: second, jumped: true });
      return Promise.resolve({ status: "OK", offset, writeHead, fragment: second, jumped: false });
    },
  } as unknown as FragmentIndexApi;
}

const header: Header = {
  processId: { zone: "zone-a", suffix: "broker-1" },
  route: emptyRoute(),
  etcd: { clusterId: 1, memberId: 1, revision: 1, raftTerm: 1 },
};

async function read(
  offset: number,
  brokenVariant?: ReadBrokenVariant,
): Promise<{ responses: ReadResponse[]; probes: string[] }> {
  const responses: ReadResponse[] = [];
  const probes: string[] = [];
  const env = { probe: (name: string) => probes.push(name) } as unknown as Env;
  const request = readRequest({ journal: JOURNAL, offset, endOffset: SECOND_BEGIN + SECOND.length });
  const serve = brokenVariant === undefined ? serveRead : serveReadWithoutJumpMetadata;
  await serve(request, (response) => Promise.resolve(void responses.push(response)), {
    env,
    index: scriptedIndex(),
    header,
    transports: new FragmentTransports(),
    signal: new AbortController().signal,
  });
  return { responses, probes };
}

/** The first content response that does not lie within the fragment of the metadata before it, described. */
function unannouncedContent(responses: readonly ReadResponse[]): string | undefined {
  let fragment: Fragment | undefined;
  for (const response of responses) {
    if (response.content === undefined) {
      fragment = response.fragment;
      continue;
    }
    const end = response.offset + response.content.length;
    if (fragment === undefined || response.offset < fragment.begin || end > fragment.end) {
      return `content [${response.offset}, ${end}) after metadata of ${fragment === undefined ? "no fragment" : `[${fragment.begin}, ${fragment.end})`}`;
    }
  }
  return undefined;
}

describe("gazette broker: serveRead", () => {
  it("announces every fragment, the one after an offset jump included, with metadata before its content", async () => {
    for (let offset = 0; offset < FIRST.length; offset++) {
      const { responses, probes } = await read(offset);
      expect(unannouncedContent(responses), `read from ${offset}`).toBeUndefined();
      const contents = responses.filter((response) => response.content !== undefined);
      expect(contents.map((response) => response.offset)).toEqual([offset, SECOND_BEGIN]);
      expect(responses[0]?.header).toEqual(header);
      expect(probes).toEqual(["gazette.broker.read-offset-jump"]);
    }
  });

  it(`catches the no-jump-metadata variant (${READ_BROKEN_VARIANTS["no-jump-metadata"]})`, async () => {
    const { responses } = await read(3, "no-jump-metadata");
    expect(unannouncedContent(responses)).toBe("content [20, 30) after metadata of [0, 10)");
  });
});
