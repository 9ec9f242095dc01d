/**
 * The Appender, `append`, the RPC binding's robustness and the AppendService's
 * API, one behaviour per test (examples on model brokers in the simulator):
 * an Appender commits exactly what was written on close, nothing on abort, and
 * maps statuses to named errors; `append` joins its sources and retries a
 * non-primary broker; an append beyond the binding's limit is refused before
 * sending; a broker sending garbage gives the client a ValidationError and a
 * client sending garbage gets a typed refusal without harming the broker;
 * OpFutures, the backoff table, startAppend's batching, require/release and
 * pendingExcept behave as the seed documents.
 */
import { describe, expect, it } from "vitest";
import { RpcError } from "../../../src/sim/env.ts";
import { append, Appender } from "../../../src/impl/gazette/client/appender.ts";
import { AppendService } from "../../../src/impl/gazette/client/append-service.ts";
import { backoff } from "../../../src/impl/gazette/client/backoff.ts";
import {
  ErrDependencyFailed,
  ErrNotJournalPrimaryBroker,
  ErrRegisterMismatch,
} from "../../../src/impl/gazette/client/errors.ts";
import { listAllJournals } from "../../../src/impl/gazette/client/list.ts";
import { AsyncOperation, finishedOperation, OpFutures } from "../../../src/impl/gazette/client/op-future.ts";
import { Reader } from "../../../src/impl/gazette/client/reader.ts";
import { parseLabelSelector } from "../../../src/impl/gazette/protocol/labels.ts";
import { appendRequest, listRequest, readRequest } from "../../../src/impl/gazette/protocol/messages.ts";
import {
  APPEND_CONTENT_BYTES_MAX,
  ErrAppendTooLarge,
  JOURNAL_METHODS,
  journalClientOverRpc,
  routeDialer,
} from "../../../src/impl/gazette/protocol/rpc-binding.ts";
import { noopRouter, routedJournalClient } from "../../../src/impl/gazette/protocol/journal-client.ts";
import { ValidationError } from "../../../src/impl/gazette/protocol/validation.ts";
import { World } from "../../../src/sim/world.ts";
import { runGazette } from "../_support/gazette-world.ts";
import { BROKER_PORT, brokerRoute, journalSpec, ModelStore } from "../_support/model-store.ts";

const JOURNAL = "appends/example/part-0";
const BROKERS = ["broker-a", "broker-b"];
const text = (value: string) => new TextEncoder().encode(value);
const decoded = (store: ModelStore) =>
  new TextDecoder().decode(new Uint8Array(store.commits.flatMap((commit) => [...commit.content])));

function storeWithJournal(primary = "broker-a"): ModelStore {
  const store = new ModelStore();
  store.createJournal(journalSpec(JOURNAL), brokerRoute(BROKERS, primary));
  return store;
}

describe("gazette client: Appender and append", () => {
  it("commits what was written on close, and nothing on abort; reset makes it reusable", async () => {
    const store = storeWithJournal();
    const run = await runGazette({
      seed: 1,
      store,
      brokers: BROKERS,
      client: async ({ client }) => {
        const aborted = new Appender(client, appendRequest({ journal: JOURNAL }));
        await aborted.write(text("never "));
        aborted.abort();
        const appender = new Appender(client, appendRequest({ journal: JOURNAL }));
        await appender.write(text("hello, "));
        await appender.write(new Uint8Array(0));
        await appender.write(text("gazette"));
        const response = await appender.close();
        appender.reset();
        await appender.write(text("!"));
        await appender.close();
        return response;
      },
    });
    expect(run.error).toBeUndefined();
    expect(decoded(store)).toBe("hello, gazette!");
    expect(run.result?.commit).toMatchObject({ journal: JOURNAL, begin: 0, end: 14 });
    expect(store.attempts.map((attempt) => attempt.outcome)).toEqual(["OK", "OK"]);
  });

  it("maps statuses to named errors, and append retries a non-primary broker after the route correction", async () => {
    const store = storeWithJournal("broker-b");
    store.journals.get(JOURNAL)!.registers = { labels: [{ name: "owner", value: "them" }] };
    const run = await runGazette({
      seed: 2,
      store,
      brokers: BROKERS,
      client: async ({ env, client, router }) => {
        router.updateRoute(JOURNAL, brokerRoute(BROKERS, "broker-a")); // Stale: broker-a is not the primary.
        const notPrimary = new Appender(client, appendRequest({ journal: JOURNAL }));
        await notPrimary.write(text("x"));
        const first = await notPrimary.close().catch((error: unknown) => error);
        const mismatch = new Appender(
          client,
          appendRequest({ journal: JOURNAL, checkRegisters: parseLabelSelector("owner=me") }),
        );
        await mismatch.write(text("y"));
        const second = await mismatch.close().catch((error: unknown) => error);
        router.updateRoute(JOURNAL, brokerRoute(BROKERS, "broker-a"));
        const response = await append(env.clock, client, appendRequest({ journal: JOURNAL }), [
          text("one,"),
          { readAt: async (position: number, length: number) => text("two").subarray(position, position + length) },
        ]);
        return { first, second, response };
      },
    });
    expect(run.result?.first).toBeInstanceOf(ErrNotJournalPrimaryBroker);
    expect(run.result?.second).toBeInstanceOf(ErrRegisterMismatch);
    expect(String(run.result?.second)).toContain("selector owner=me doesn't match registers owner=them");
    expect(decoded(store)).toBe("one,two");
  });

  it("refuses an append beyond the binding's limit before sending anything", async () => {
    const store = storeWithJournal();
    const run = await runGazette({
      seed: 3,
      store,
      brokers: BROKERS,
      client: async ({ client }) => {
        const appender = new Appender(client, appendRequest({ journal: JOURNAL }));
        await appender.write(new Uint8Array(APPEND_CONTENT_BYTES_MAX));
        await appender.write(new Uint8Array(1)).catch(() => undefined);
        return appender.close().catch((error: unknown) => error);
      },
    });
    expect(run.result).toBeInstanceOf(ErrAppendTooLarge);
    expect(store.attempts).toEqual([]);
  });
});

describe("gazette protocol: the RPC binding with untrusted peers", () => {
  it("a broker sending malformed responses gives the client ValidationErrors; garbage sent to a broker is refused as a validation error", async () => {
    const world = new World({ seed: 4 });
    world
      .addHost("rogue", async (env) => {
        const server = env.rpc.serve(BROKER_PORT);
        server.unary(JOURNAL_METHODS.list, async () => ({
          status: "OK",
          header: { etcd: { clusterId: 1 } },
          journals: "many",
        }));
        server.serverStream(JOURNAL_METHODS.read, async (_request, send) => {
          await send({ status: "OK", offset: 3, content: "not bytes" });
        });
      })
      .start();
    const store = storeWithJournal();
    world
      .addHost("broker-a", async (env) => {
        const { ModelBroker } = await import("../_support/model-broker.ts");
        ModelBroker.serve(env, store, {}, { reads: 0 });
      })
      .start();
    const outcomes: unknown[] = [];
    world
      .addHost("client", async (env) => {
        await env.clock.sleep(1);
        const rogue = routedJournalClient(
          journalClientOverRpc(env, routeDialer({ fallback: { address: "rogue", port: BROKER_PORT } })),
          noopRouter,
        );
        outcomes.push(await listAllJournals(rogue, listRequest()).catch((error: unknown) => error));
        outcomes.push(
          await new Reader(rogue, readRequest({ journal: JOURNAL })).read().catch((error: unknown) => error),
        );
        outcomes.push(
          await env.rpc
            .call("broker-a", BROKER_PORT, JOURNAL_METHODS.append, { request: { journal: "/bad" }, chunks: [] })
            .catch((error: unknown) => error),
        );
        outcomes.push(
          await env.rpc.call("broker-a", BROKER_PORT, JOURNAL_METHODS.list, [1, 2, 3]).catch((error: unknown) => error),
        );
        const honest = routedJournalClient(
          journalClientOverRpc(env, routeDialer({ fallback: { address: "broker-a", port: BROKER_PORT } })),
          noopRouter,
        );
        outcomes.push((await listAllJournals(honest, listRequest())).journals.length);
      })
      .start();
    await world.scheduler.run({ untilTime: 10_000 });
    expect(outcomes[0]).toBeInstanceOf(ValidationError);
    expect(String(outcomes[0])).toContain("ListResponse.Journals: expected an array");
    expect(outcomes[1]).toBeInstanceOf(ValidationError);
    expect(String(outcomes[1])).toContain("ReadResponse.Content: expected bytes");
    expect(outcomes[2]).toBeInstanceOf(RpcError);
    expect((outcomes[2] as RpcError).details).toMatchObject({ kind: "validation" });
    expect((outcomes[3] as RpcError).code).toBe("APPLICATION");
    expect(outcomes[4]).toBe(1);
    expect(world.uncaughtProcessErrors).toEqual([]);
  });
});

describe("gazette client: OpFutures, backoff and the AppendService API", () => {
  it("OpFutures.isSubsetOf, finished operations, and Gazette's backoff table", async () => {
    const a = new AsyncOperation();
    const b = finishedOperation(new Error("boom"));
    expect(new OpFutures([a]).isSubsetOf(new OpFutures([a, b]))).toBe(true);
    expect(new OpFutures([a, b]).isSubsetOf(new OpFutures([a]))).toBe(false);
    expect(new OpFutures().isSubsetOf(new OpFutures())).toBe(true);
    expect(String(await b.err())).toContain("boom");
    a.resolve();
    expect(await a.err()).toBeUndefined();
    expect(() => a.resolve()).toThrow(/twice/);
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(backoff)).toEqual([50, 50, 100, 100, 1000, 1000, 5000, 5000]);
  });

  it("batches identical appends, rolls back a failed require, and hands failures to pendingExcept", async () => {
    const store = storeWithJournal();
    store.createJournal(journalSpec("appends/other/part-0"), brokerRoute(BROKERS, "broker-a"));
    const run = await runGazette({
      seed: 5,
      store,
      brokers: BROKERS,
      faults: { append: (_request, attempt) => (attempt === 0 ? { kind: "delay", ms: 200 } : undefined) },
      client: async ({ env, client }) => {
        const service = new AppendService(env, client);
        const inFlight = await service.startAppend(appendRequest({ journal: JOURNAL }));
        await inFlight.writer().write("hello, ");
        await inFlight.release();
        await env.clock.sleep(50); // The first append is now in flight (slow): the next ones queue and batch.
        const first = await service.startAppend(appendRequest({ journal: JOURNAL }));
        await first.writer().write("gaz");
        await first.release();
        const second = await service.startAppend(appendRequest({ journal: JOURNAL }));
        const batched = second === first && first !== inFlight;
        await second.writer().write("oops");
        const rolledBack = await second
          .require(new Error("caller failed"))
          .release()
          .catch((error: unknown) => String(error));
        const third = await service.startAppend(appendRequest({ journal: JOURNAL }));
        await third.writer().write("ette");
        await third.release();
        const failing = await service.startAppend(
          appendRequest({ journal: "appends/other/part-0" }),
          new OpFutures([finishedOperation(new Error("upstream"))]),
        );
        await failing.writer().write("never");
        await failing.release();
        await failing.done();
        const barrier = service.pendingExcept(JOURNAL);
        const barrierErrors = await Promise.all([...barrier].map((future) => future.err()));
        await third.done();
        return { batched, rolledBack, failure: await failing.err(), barrierErrors, response: third.response() };
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.batched).toBe(true);
    expect(run.result?.rolledBack).toContain("caller failed");
    expect(run.result?.failure).toBeInstanceOf(ErrDependencyFailed);
    expect(run.result?.barrierErrors.some((error) => error instanceof ErrDependencyFailed)).toBe(true);
    expect(decoded(store)).toBe("hello, gazette");
    // One commit for the batch "gaz" + "ette".
    expect(run.result?.response?.commit).toMatchObject({ begin: 7, end: 14 });
  });
});
