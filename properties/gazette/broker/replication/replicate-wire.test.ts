/**
 * The Replicate wire (replicate-wire.ts):
 * - valid ReplicateRequests and ReplicateResponses round-trip through msgpack
 *   and decoding unchanged;
 * - whatever a peer sends decodes to a valid message or a ValidationError
 *   naming the field (shown failing on a decoder that trusts the peer's types,
 *   _fixtures/broken-replicate-wire.ts);
 * - Gazette's message rules are enforced (content xor proposal, registers with
 *   proposals, acknowledgement with headers, headers with WRONG_ROUTE, ...);
 * - over env.rpc, serveReplicate refuses a malformed request with a typed
 *   error and never runs the handler, and the client maps refusals back.
 */
import { decode as unpack, encode as pack } from "@msgpack/msgpack";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeReplicateRequest,
  decodeReplicateResponse,
  encodeReplicateRequest,
  encodeReplicateResponse,
  ErrReplicateRefused,
  REPLICATE_METHOD,
  replicateOverRpc,
  serveReplicate,
} from "../../../../src/impl/gazette/broker/replicate-wire.ts";
import {
  BROKER_PORT,
  type ReplicateRequest,
  type ReplicateResponse,
} from "../../../../src/impl/gazette/broker/types.ts";
import type { Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import { COMPRESSION_CODECS, type CompressionCodec } from "../../../../src/impl/gazette/protocol/journal-spec.ts";
import type { LabelSet } from "../../../../src/impl/gazette/protocol/labels.ts";
import type { Header } from "../../../../src/impl/gazette/protocol/route.ts";
import { STATUSES } from "../../../../src/impl/gazette/protocol/status.ts";
import { ValidationError } from "../../../../src/impl/gazette/protocol/validation.ts";
import { RpcError, type WireValue } from "../../../../src/sim/env.ts";
import { World } from "../../../../src/sim/world.ts";
import { propertyParameters } from "../../../_support/fast-check.ts";
import { decodeReplicateRequestByCast } from "./_fixtures/broken-replicate-wire.ts";
import { mutate, wireValueArbitrary } from "../../_support/wire-fuzz.ts";

const JOURNALS = ["a/journal", "replication/example/part-0"];
const token = fc.constantFrom("owner", "alpha", "beta", "epoch", "e1", "p-1", "pipe.2", "x_y");
const labelSetArbitrary: fc.Arbitrary<LabelSet> = fc
  .uniqueArray(fc.tuple(token, token), { maxLength: 4, selector: ([name]) => name })
  .map((pairs) => ({
    labels: pairs.map(([name, value]) => ({ name, value })).sort((a, b) => (a.name < b.name ? -1 : 1)),
  }));

const fragmentOf = (journal: string): fc.Arbitrary<Fragment> =>
  fc
    .record({
      begin: fc.nat(1 << 20),
      length: fc.nat(1 << 16),
      sum: fc.constantFrom(
        "0".repeat(40),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "1e61fe1e47593d783345ac78ef213cc0446fd78c",
      ),
      compressionCodec: fc.constantFrom(
        ...(COMPRESSION_CODECS.filter((codec) => codec !== "INVALID") as CompressionCodec[]),
      ),
      backingStore: fc.constantFrom("", "sim://store:9090/fragments/"),
      modTime: fc.nat(),
      pathPostfix: fc.constantFrom("", "date=2024-01-01"),
    })
    .map(({ begin, length, ...rest }) => ({ journal, begin, end: begin + length, ...rest }));

const headerArbitrary: fc.Arbitrary<Header> = fc
  .record({
    members: fc.uniqueArray(fc.constantFrom("broker-a", "broker-b", "broker-c", "broker-d"), {
      minLength: 1,
      maxLength: 4,
    }),
    primary: fc.nat(3),
    endpoints: fc.boolean(),
    revision: fc.integer({ min: 1, max: 1000 }),
    self: fc.nat(3),
  })
  .map(({ members, primary, endpoints, revision, self }) => {
    const sorted = [...members].sort();
    return {
      processId: { zone: "local", suffix: sorted[self % sorted.length] as string },
      route: {
        members: sorted.map((suffix) => ({ zone: "local", suffix })),
        primary: (primary % (sorted.length + 1)) - 1,
        endpoints: endpoints ? sorted.map((suffix) => `sim://${suffix}:${BROKER_PORT}`) : [],
      },
      etcd: { clusterId: 1, memberId: 2, revision, raftTerm: 3 },
    };
  });

const requestArbitrary: fc.Arbitrary<ReplicateRequest> = fc.constantFrom(...JOURNALS).chain((journal) =>
  fc.oneof(
    fc
      .record({
        proposal: fragmentOf(journal),
        registers: labelSetArbitrary,
        header: fc.option(headerArbitrary, { nil: undefined }),
        acknowledge: fc.boolean(),
        pipeline: token,
      })
      .map(({ header, acknowledge, ...rest }) => {
        const request: ReplicateRequest = {
          journal,
          contentDelta: 0,
          acknowledge: header !== undefined || acknowledge,
          ...rest,
        };
        if (header !== undefined) request.header = header;
        return request;
      }),
    fc
      .record({ content: fc.uint8Array({ maxLength: 64 }), contentDelta: fc.nat(1 << 20), pipeline: token })
      .map((rest) => ({ journal, acknowledge: false, ...rest })),
  ),
);

const responseArbitrary: fc.Arbitrary<ReplicateResponse> = fc.constantFrom(...STATUSES).chain((status) =>
  fc
    .record({
      header: fc.option(headerArbitrary, { nil: undefined }),
      fragment: fragmentOf("a/journal"),
      registers: labelSetArbitrary,
    })
    .map(({ header, fragment, registers }) => {
      const response: ReplicateResponse = { status };
      if (header !== undefined || status === "WRONG_ROUTE")
        response.header = header ?? {
          processId: { zone: "local", suffix: "broker-a" },
          route: { members: [], primary: -1, endpoints: [] },
          etcd: { clusterId: 1, memberId: 1, revision: 1, raftTerm: 1 },
        };
      if (status === "PROPOSAL_MISMATCH") Object.assign(response, { fragment, registers });
      return response;
    }),
);

/** What msgpack makes of a WireValue (the rpc layer's encoding). */
const overTheWire = (value: WireValue): WireValue => unpack(pack(value)) as WireValue;

const wireValue = wireValueArbitrary(
  ["OK", "PROPOSAL_MISMATCH", "WRONG_ROUTE", "a/journal", "NONE"],
  [
    "journal",
    "pipeline",
    "proposal",
    "registers",
    "content",
    "contentDelta",
    "header",
    "acknowledge",
    "labels",
    "status",
    "fragment",
    "x",
  ],
);

function decodingProperty(decodeRequest: (value: WireValue) => unknown) {
  return fc.property(
    fc.boolean(),
    requestArbitrary,
    responseArbitrary,
    fc.array(fc.nat(20), { maxLength: 5 }),
    wireValue,
    fc.boolean(),
    (asRequest, request, response, path, replacement, whole) => {
      const message = asRequest ? encodeReplicateRequest(request) : encodeReplicateResponse(response);
      const input = whole ? replacement : mutate(overTheWire(message), path, replacement);
      try {
        if (asRequest) decodeRequest(input);
        else decodeReplicateResponse(input);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw new Error(`not a ValidationError: ${String(error)}`);
      }
    },
  );
}

const header: Header = {
  processId: { zone: "local", suffix: "broker-b" },
  route: { members: [{ zone: "local", suffix: "broker-a" }], primary: 0, endpoints: [] },
  etcd: { clusterId: 1, memberId: 1, revision: 4, raftTerm: 1 },
};
const proposal: Fragment = {
  journal: "a/journal",
  begin: 0,
  end: 3,
  sum: "0".repeat(40),
  compressionCodec: "NONE",
  backingStore: "",
  modTime: 0,
  pathPostfix: "",
};
const base = { journal: "a/journal", pipeline: "p-1", contentDelta: 0, acknowledge: true };

describe("gazette broker: Replicate wire", () => {
  it("round-trips valid requests and responses through msgpack", () => {
    fc.assert(
      fc.property(requestArbitrary, responseArbitrary, (request, response) => {
        expect(decodeReplicateRequest(overTheWire(encodeReplicateRequest(request)))).toEqual(request);
        expect(decodeReplicateResponse(overTheWire(encodeReplicateResponse(response)))).toEqual(response);
      }),
      propertyParameters("replicate wire round trip", 300),
    );
  });

  it("turns anything a peer sends into a valid message or a ValidationError", () => {
    fc.assert(decodingProperty(decodeReplicateRequest), propertyParameters("replicate wire decoding", 2000));
  });

  it("fails on a decoder that trusts the peer's types", () => {
    const result = fc.check(decodingProperty(decodeReplicateRequestByCast), {
      ...propertyParameters("replicate wire decoding", 2000),
      reporter: undefined,
      endOnFailure: true,
    });
    expect(result.failed).toBe(true);
  });

  it("enforces Gazette's message rules, naming the field", () => {
    const refuse = (value: object | null, pattern: RegExp) =>
      expect(() => decodeReplicateRequest(value as WireValue)).toThrow(pattern);
    refuse(
      { ...base, proposal, registers: { labels: [] }, content: new Uint8Array(1) },
      /unexpected Content with Proposal/,
    );
    refuse({ ...base, proposal }, /expected Registers with Proposal/);
    refuse(
      { ...base, proposal, registers: { labels: [] }, header, acknowledge: false },
      /expected Acknowledge with Header/,
    );
    refuse(
      { ...base, proposal: { ...proposal, journal: "other/journal" }, registers: { labels: [] } },
      /Proposal.Journal mismatch/,
    );
    refuse({ ...base, proposal, registers: { labels: [] }, contentDelta: 2 }, /unexpected ContentDelta with Proposal/);
    refuse({ ...base, acknowledge: false }, /expected Content or Proposal/);
    refuse({ ...base, acknowledge: false, content: new Uint8Array(1), contentDelta: -1 }, /invalid ContentDelta/);
    refuse({ ...base, acknowledge: false, content: new Uint8Array(1), header }, /unexpected Header with Content/);
    refuse({ ...base, content: new Uint8Array(1) }, /unexpected Acknowledge with Content/);
    refuse({ ...base, acknowledge: false, content: new Uint8Array(1), pipeline: "" }, /invalid Pipeline/);
    refuse({ ...base, acknowledge: false, content: "text" }, /^ReplicateRequest\.Content: expected bytes$/);
    refuse(
      { ...base, proposal: { ...proposal, begin: 5 }, registers: { labels: [] } },
      /^ReplicateRequest\.Proposal: expected Begin <= End/,
    );
    refuse(null, /^ReplicateRequest: expected a map$/);
    const refuseResponse = (value: object, pattern: RegExp) =>
      expect(() => decodeReplicateResponse(value as WireValue)).toThrow(pattern);
    refuseResponse({ status: "WRONG_ROUTE" }, /expected Header/);
    refuseResponse({ status: "PROPOSAL_MISMATCH", registers: { labels: [] } }, /expected Fragment/);
    refuseResponse({ status: "PROPOSAL_MISMATCH", fragment: encodeReplicateResponse({ status: "OK" }) }, /Fragment/);
    refuseResponse({ status: "OK", fragment: proposal }, /unexpected Fragment/);
    refuseResponse({ status: "MAYBE" }, /^ReplicateResponse\.Status: invalid status \(MAYBE\)$/);
  });

  it("over env.rpc: a malformed request is refused with a typed error before the handler; refusals map back", async () => {
    const world = new World({ seed: 5 });
    const handled: ReplicateRequest[] = [];
    const outcome: { done: boolean; results: unknown[] } = { done: false, results: [] };
    world
      .addHost("broker-b", async (env) => {
        serveReplicate(env.rpc.serve(BROKER_PORT), async (request) => {
          handled.push(request);
          if (request.pipeline === "unknown") throw new ErrReplicateRefused("message of an unknown pipeline");
          return { status: "OK" };
        });
        await new Promise<void>((resolve) => env.lifetime.signal.addEventListener("abort", () => resolve()));
      })
      .start();
    world
      .addHost("broker-a", async (env) => {
        await env.clock.sleep(1);
        const transport = replicateOverRpc(env, (peer) =>
          peer.suffix === "broker-b" ? `sim://broker-b:${BROKER_PORT}` : undefined,
        );
        const peer = { zone: "local", suffix: "broker-b" };
        const settle = (promise: Promise<unknown>) =>
          promise.then(
            (value) => value,
            (error: unknown) => error,
          );
        outcome.results.push(
          await settle(
            env.rpc.call("broker-b", BROKER_PORT, REPLICATE_METHOD, {
              ...base,
              proposal: proposal as unknown as WireValue,
            }),
          ),
        );
        outcome.results.push(
          await settle(
            transport(peer, { ...base, acknowledge: false, content: new Uint8Array(2), pipeline: "unknown" }),
          ),
        );
        outcome.results.push(await settle(transport(peer, { ...base, proposal, registers: { labels: [] } })));
        outcome.results.push(
          await settle(
            transport({ zone: "local", suffix: "broker-x" }, { ...base, proposal, registers: { labels: [] } }),
          ),
        );
        outcome.done = true;
      })
      .start();
    await world.scheduler.run({ untilTime: 60_000, predicate: () => outcome.done });
    const [malformed, refused, ok, noEndpoint] = outcome.results;
    expect(malformed).toBeInstanceOf(RpcError);
    expect((malformed as RpcError).code).toBe("APPLICATION");
    expect((malformed as RpcError).details).toMatchObject({ kind: "validation" });
    expect(refused).toBeInstanceOf(ErrReplicateRefused);
    expect(ok).toEqual({ status: "OK" });
    expect(String(noEndpoint)).toMatch(/ErrNoPeerEndpoint/);
    expect(handled.map((request) => request.pipeline)).toEqual(["unknown", "p-1"]);
  });
});
