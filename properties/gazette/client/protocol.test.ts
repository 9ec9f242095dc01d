/**
 * Invariants of the protocol package (src/impl/gazette/protocol):
 * - label selectors: Gazette's documented expressions parse as documented, and
 *   every valid selector reads back from its canonical string;
 * - journal names: accepted exactly when they are 4 to 512 bytes of letters,
 *   numbers and `-_+/.=`, a clean path, not rooted;
 * - wire messages: whatever a peer sends, decoding yields a valid message or a
 *   ValidationError naming the field, never another exception; valid messages
 *   round-trip.
 * Each property is shown failing on a broken variant (_fixtures/broken-protocol.ts).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { WireValue } from "../../../src/sim/env.ts";
import {
  labelSet,
  parseLabelSelector,
  selectorMatches,
  selectorToString,
  validateLabelSet,
  type LabelSelector,
} from "../../../src/impl/gazette/protocol/labels.ts";
import {
  journalMetaLabels,
  validateJournal,
  validateJournalSpec,
} from "../../../src/impl/gazette/protocol/journal-spec.ts";
import { fragmentSum, type Fragment } from "../../../src/impl/gazette/protocol/fragment.ts";
import { validateRoute } from "../../../src/impl/gazette/protocol/route.ts";
import {
  readRequest,
  validateReadRequest,
  type AppendResponse,
  type ReadResponse,
} from "../../../src/impl/gazette/protocol/messages.ts";
import { cleanPath, ValidationError } from "../../../src/impl/gazette/protocol/validation.ts";
import {
  decodeAppendCall,
  decodeAppendResponse,
  decodeApplyRequest,
  decodeFragmentsResponse,
  decodeListResponse,
  decodeReadRequest,
  decodeReadResponse,
  toWire,
} from "../../../src/impl/gazette/protocol/wire.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import {
  decodeReadResponseByCast,
  selectorToStringForgettingExclusions,
  validateJournalWithoutPathChecks,
} from "../_fixtures/broken-protocol.ts";
import { brokerRoute, journalSpec } from "../_support/model-store.ts";
import { mutate, wireValueArbitrary } from "../_support/wire-fuzz.ts";
import { NODE_HASHES } from "../../../src/sim/hashes.ts";

const check = async (property: fc.IAsyncProperty<unknown> | fc.IProperty<unknown>, name: string, runs: number) =>
  fc.check(property as fc.IProperty<unknown>, {
    ...propertyParameters(name, runs),
    reporter: undefined,
    endOnFailure: true,
  });

describe("gazette protocol: label selectors", () => {
  it("parses Gazette's documented expressions", () => {
    const parsed = (text: string) => selectorToString(parseLabelSelector(text));
    expect(parseLabelSelector("logs=clicks, source=mobile")).toEqual({
      include: labelSet("logs", "clicks", "source", "mobile"),
      exclude: { labels: [] },
    });
    expect(parsed("foo = bar")).toBe("foo=bar");
    expect(parsed("foo == bar")).toBe("foo=bar");
    expect(parsed("foo != bar")).toBe("foo!=bar");
    expect(parsed("foo")).toBe("foo");
    expect(parsed("!foo")).toBe("!foo");
    expect(parsed("foo in (bar,baz)")).toBe("foo in (bar,baz)");
    expect(parsed("foo notin (bar,baz)")).toBe("foo notin (bar,baz)");
    expect(parsed("foo not in (bar, baz)")).toBe("foo notin (bar,baz)");
    expect(parsed("topic in (topic/one, topic/two), prefix=/my/journal/prefix")).toBe(
      "prefix=/my/journal/prefix,topic in (topic/one,topic/two)",
    );
    expect(parsed("env in (production, qa), tier not in (frontend,backend), partition")).toBe(
      "env in (production,qa),partition,tier notin (backend,frontend)",
    );
    for (const bad of ["foo=", "=bar", "a=b", "foo in ()", "foo in (bar", "foo bar", ",", "foo=bar,,"]) {
      expect(() => parseLabelSelector(bad), bad).toThrow(ValidationError);
    }
  });

  it("matches as Gazette does: every include name matched (an empty value matches any), no exclude matched", () => {
    const set = labelSet("logs", "clicks", "source", "mobile", "source", "web");
    expect(selectorMatches(parseLabelSelector("logs=clicks, source=mobile"), set)).toBe(true);
    expect(selectorMatches(parseLabelSelector("logs=clicks, source in (ios, web)"), set)).toBe(true);
    expect(selectorMatches(parseLabelSelector("logs, source"), set)).toBe(true);
    expect(selectorMatches(parseLabelSelector("logs=views"), set)).toBe(false);
    expect(selectorMatches(parseLabelSelector("!source"), set)).toBe(false);
    expect(selectorMatches(parseLabelSelector("source!=web"), set)).toBe(false);
    expect(selectorMatches(parseLabelSelector("tier notin (a1,b1)"), set)).toBe(true);
    expect(selectorMatches(parseLabelSelector("prefix=a/"), journalMetaLabels("a/journal"))).toBe(true);
    expect(selectorMatches(parseLabelSelector("name=a/journal"), journalMetaLabels("a/journal"))).toBe(true);
    expect(() =>
      validateLabelSet({
        labels: [
          { name: "b1", value: "" },
          { name: "a1", value: "" },
        ],
      }),
    ).toThrow(/sorted order/);
    expect(() =>
      validateLabelSet({
        labels: [
          { name: "a1", value: "" },
          { name: "a1", value: "x" },
        ],
      }),
    ).toThrow(/empty & non-empty/);
  });

  const token = fc.stringMatching(/^[a-z0-9][a-z0-9/._+-]{1,8}$/);
  const selector: fc.Arbitrary<LabelSelector> = fc
    .record({
      include: fc.array(fc.tuple(token, fc.option(token, { nil: "" })), { maxLength: 5 }),
      exclude: fc.array(fc.tuple(token, fc.option(token, { nil: "" })), { maxLength: 5 }),
    })
    .map(({ include, exclude }) => {
      const build = (pairs: Array<[string, string]>) => {
        const byName = new Map<string, Set<string>>();
        for (const [name, value] of pairs) byName.set(name, (byName.get(name) ?? new Set()).add(value));
        const labels: Array<{ name: string; value: string }> = [];
        for (const [name, values] of byName) {
          const nonEmpty = [...values].filter((value) => value !== "");
          if (nonEmpty.length === 0) labels.push({ name, value: "" });
          else for (const value of nonEmpty) labels.push({ name, value });
        }
        return {
          labels: labels.sort((a, b) => (a.name === b.name ? (a.value < b.value ? -1 : 1) : a.name < b.name ? -1 : 1)),
        };
      };
      return { include: build(include), exclude: build(exclude) };
    });

  const roundTrip = (format: (selector: LabelSelector) => string) =>
    fc.property(selector, (value) => {
      const text = format(value);
      if (text === "") return; // The empty selector has an empty string.
      expect(parseLabelSelector(text)).toEqual(value);
    });

  it("reads every valid selector back from its canonical string", () => {
    fc.assert(roundTrip(selectorToString), propertyParameters("gazette-selector-round-trip", 300));
  });

  it("fails on a formatter that forgets exclusions", async () => {
    expect(
      (await check(roundTrip(selectorToStringForgettingExclusions), "gazette-selector-round-trip", 300)).failed,
    ).toBe(true);
  });
});

/**
 * Go's path.Clean leaves a path alone exactly when no component is empty (no '//',
 * no trailing '/', except the root itself), none is '.', and '..' appears only
 * leading a relative path: stated here without the code under test.
 */
function isCleanPath(value: string): boolean {
  if (value === "/" || value === ".") return true;
  const rooted = value.startsWith("/");
  let leading = !rooted;
  for (const part of (rooted ? value.slice(1) : value).split("/")) {
    if (part === ".." && leading) continue;
    leading = false;
    if (part === "" || part === "." || part === "..") return false;
  }
  return true;
}

describe("gazette protocol: clean paths", () => {
  const path = fc
    .array(fc.constantFrom("a", "b", "/", ".", "é"), { minLength: 0, maxLength: 12 })
    .map((parts) => parts.join(""));
  it("cleanPath returns a clean path, and a clean path unchanged", () => {
    fc.assert(
      fc.property(path, (value) => {
        const cleaned = cleanPath(value);
        expect(isCleanPath(cleaned), `${JSON.stringify(value)} -> ${JSON.stringify(cleaned)}`).toBe(true);
        if (isCleanPath(value)) expect(cleaned).toBe(value);
        expect(cleaned.startsWith("/")).toBe(value.startsWith("/"));
      }),
      propertyParameters("gazette-clean-path", 2000),
    );
  });
});

describe("gazette protocol: journal names", () => {
  it("accepts and refuses the documented examples", () => {
    for (const good of [
      "a/journal/name",
      "company-journals/interesting-topic/part-1234",
      "abcd",
      "date=2019-11-19/hour=22",
      "ünï/cødé",
    ])
      expect(() => validateJournal(good), good).not.toThrow();
    for (const bad of [
      "/leading",
      "trailing/",
      "a//b",
      "a/./b",
      "a/../b",
      "abc",
      "x".repeat(513),
      "has space",
      "bad#char",
      "semi;colon",
    ]) {
      expect(() => validateJournal(bad), bad).toThrow(ValidationError);
    }
  });

  const name = fc
    .array(fc.constantFrom("a", "b", "9", "é", "/", ".", "-", "_", "=", "+", " ", "#", "/"), {
      minLength: 0,
      maxLength: 14,
    })
    .map((parts) => parts.join(""));
  const model = (value: string): boolean => {
    const bytes = new TextEncoder().encode(value).length;
    if (bytes < 4 || bytes > 512) return false;
    if ([...value].some((character) => !/[\p{L}\p{N}]/u.test(character) && !"-_+/.=".includes(character))) return false;
    return isCleanPath(value) && !value.startsWith("/");
  };
  const agreesWithModel = (validate: (value: string) => void) =>
    fc.property(name, (value) => {
      let accepted = true;
      try {
        validate(value);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        accepted = false;
      }
      expect(accepted, JSON.stringify(value)).toBe(model(value));
    });

  it("accepts exactly the clean, non-rooted token paths of 4 to 512 bytes", () => {
    fc.assert(agreesWithModel(validateJournal), propertyParameters("gazette-journal-names", 1000));
  });

  it("fails on a validator without the path checks", async () => {
    expect((await check(agreesWithModel(validateJournalWithoutPathChecks), "gazette-journal-names", 1000)).failed).toBe(
      true,
    );
  });

  it("validates specs, routes and requests with a field path in the message", () => {
    expect(() => validateJournalSpec(journalSpec("a/journal"))).not.toThrow();
    expect(() => validateJournalSpec({ ...journalSpec("a/journal"), replication: 6 })).toThrow(/invalid Replication/);
    expect(() => validateJournalSpec({ ...journalSpec("a/journal"), labels: labelSet("name", "x1") })).toThrow(
      /cannot include label "name"/,
    );
    expect(() =>
      validateJournalSpec({
        ...journalSpec("a/journal"),
        fragment: { ...journalSpec("a/journal").fragment, length: 10 },
      }),
    ).toThrow(/^Fragment: invalid Length/);
    expect(() => validateRoute({ ...brokerRoute(["broker-a", "broker-b"], "broker-a"), primary: 2 })).toThrow(
      /invalid Primary/,
    );
    expect(() =>
      validateRoute({
        members: [
          { zone: "z", suffix: "bbbb" },
          { zone: "z", suffix: "aaaa" },
        ],
        primary: -1,
        endpoints: [],
      }),
    ).toThrow(/sorted order/);
    expect(() => validateReadRequest(readRequest({ journal: "a/journal", offset: -2 }))).toThrow(/invalid Offset/);
    expect(() => validateReadRequest(readRequest({ journal: "a/journal", offset: 10, endOffset: 5 }))).toThrow(
      /invalid EndOffset/,
    );
    expect(() => validateReadRequest(readRequest({ journal: "/bad" }))).toThrow(/^Journal: cannot begin with/);
  });

  it("sums fragments with SHA-1 (the zero sum for empty content)", () => {
    expect(fragmentSum(NODE_HASHES, new TextEncoder().encode("abc"))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(NODE_HASHES.sha1().update(new Uint8Array(0)).digestHex()).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(fragmentSum(NODE_HASHES, new TextEncoder().encode("a".repeat(1000)))).toBe(
      "291e9a6c66994949b57ba5e650361e98fc36b1ba",
    );
    expect(fragmentSum(NODE_HASHES, new Uint8Array(0))).toBe("0".repeat(40));
  });
});

const header = {
  processId: { zone: "zone-a", suffix: "broker-a" },
  route: brokerRoute(["broker-a"], "broker-a"),
  etcd: { clusterId: 1, memberId: 1, revision: 5, raftTerm: 1 },
};
const fragment: Fragment = {
  journal: "a/journal",
  begin: 0,
  end: 100,
  sum: "0".repeat(40),
  compressionCodec: "GZIP",
  backingStore: "file:///",
  modTime: 7,
  pathPostfix: "",
};
const validMessages: Array<[string, (value: WireValue) => unknown, object]> = [
  ["ReadRequest", decodeReadRequest, readRequest({ journal: "a/journal", offset: 5, header })],
  [
    "ReadResponse",
    decodeReadResponse,
    {
      status: "OK",
      header,
      offset: 10,
      writeHead: 200,
      fragment,
      fragmentUrl: "file:///a/journal/x.gz",
    } satisfies ReadResponse,
  ],
  [
    "ReadResponse (chunk)",
    decodeReadResponse,
    {
      status: "OK",
      offset: 10,
      writeHead: 0,
      fragmentUrl: "",
      content: new Uint8Array([1, 2, 3]),
    } satisfies ReadResponse,
  ],
  [
    "AppendResponse",
    decodeAppendResponse,
    {
      status: "OK",
      header,
      commit: fragment,
      registers: labelSet("owner", "me"),
      totalChunks: 2,
      delayedChunks: 0,
    } satisfies AppendResponse,
  ],
  [
    "ListResponse",
    decodeListResponse,
    {
      status: "OK",
      header,
      journals: [{ spec: journalSpec("a/journal"), modRevision: 3, route: header.route }],
      nextPageToken: "",
    },
  ],
  [
    "FragmentsResponse",
    decodeFragmentsResponse,
    { status: "OK", header, fragments: [{ spec: fragment, signedUrl: "" }], nextPageToken: 0 },
  ],
  [
    "ApplyRequest",
    decodeApplyRequest,
    {
      changes: [
        { expectModRevision: 0, upsert: journalSpec("a/journal") },
        { expectModRevision: 3, delete: "b/journal" },
      ],
    },
  ],
];

const wireValue = wireValueArbitrary(
  ["OK", "GZIP", "a/journal", "JOURNAL_NOT_FOUND", "file:///x"],
  ["status", "offset", "journal", "header", "fragment", "content", "route", "members", "labels", "spec", "etcd", "x"],
);

function decodingProperty(decoders: ReadonlyArray<readonly [string, (value: WireValue) => unknown, object]>) {
  return fc.property(
    fc.nat(decoders.length - 1),
    fc.array(fc.nat(20), { maxLength: 5 }),
    wireValue,
    fc.boolean(),
    (which, path, replacement, whole) => {
      const [, decode, message] = decoders[which]!;
      const input = whole ? replacement : mutate(toWire(message), path, replacement);
      try {
        decode(input);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw new Error(`not a ValidationError: ${String(error)}`);
        expect(error.message.length).toBeGreaterThan(0);
      }
    },
  );
}

describe("gazette protocol: wire decoding of untrusted input", () => {
  it("round-trips valid messages", () => {
    for (const [name, decode, message] of validMessages) expect(decode(toWire(message)), name).toEqual(message);
  });

  it("turns anything a peer sends into a valid message or a ValidationError", () => {
    fc.assert(decodingProperty(validMessages), propertyParameters("gazette-wire-decoding", 2000));
  });

  it("fails on a decoder that trusts the peer's types", async () => {
    const broken = validMessages.map(([name, , message]) => [name, decodeReadResponseByCast, message] as const);
    expect((await check(decodingProperty(broken), "gazette-wire-decoding", 2000)).failed).toBe(true);
  });

  it("names the field of a malformed message", () => {
    expect(() => decodeReadResponse({ status: "OK", offset: "ten" })).toThrow(
      /^ReadResponse\.Offset: expected an integer$/,
    );
    expect(() => decodeReadResponse({ status: "MAYBE" })).toThrow(/^ReadResponse\.Status: invalid status \(MAYBE\)$/);
    expect(() => decodeReadResponse(toWire({ status: "OK", offset: 1, content: new Uint8Array(1), header }))).toThrow(
      /unexpected Header with Content/,
    );
    expect(() => decodeAppendResponse(toWire({ status: "OK", header }))).toThrow(/expected Commit/);
    expect(() => decodeAppendCall({ request: { journal: "a/journal" }, chunks: [1] }, 10)).toThrow(
      /^AppendCall\.Chunks\.\[0\]: expected bytes$/,
    );
    expect(() => decodeReadResponse(null)).toThrow(/^ReadResponse: expected a map$/);
  });
});
