/**
 * The RPC layer (src/sim/net/rpc.ts) in a simulated world, one behaviour per test:
 * every call settles with its own answer or a typed RpcError, and a broken peer
 * never takes the server down.
 */
import { describe, expect, it } from "vitest";
import { NetError, RpcError, type Env, type WireValue } from "../../src/sim/env.ts";
import { RPC_CLIENT_CONNECTIONS_MAX } from "../../src/sim/net/rpc.ts";
import { RPC_NOTIFICATIONS_QUEUED_MAX } from "../../src/sim/net/rpc/limits.ts";
import { WIRE_MODES, type WireMode } from "../../src/sim/net/rpc/frame-channel.ts";
import { World } from "../../src/sim/world.ts";
import {
  collect,
  runWorld,
  settle,
  worldProblems,
  type CallOutcome,
  type StreamOutcome,
} from "./_fixtures/rpc-world.ts";

const PORT = 7000;

/** Serves the methods most tests use. `log` receives what the handlers saw. */
function serveStandard(env: Env, log: string[] = []): void {
  const server = env.rpc.serve(PORT);
  server.unary("echo", async (request, context) => ({ echoed: request, peer: context.peer }));
  server.unary("refuse", async (request) => {
    throw new RpcError("APPLICATION", "no such key", { key: request });
  });
  server.unary("explode", async () => {
    throw new TypeError("handler bug");
  });
  server.unary("slow", async (request, context) => {
    context.signal.addEventListener("abort", () =>
      log.push(`aborted: ${String((context.signal.reason as Error).message)}`),
    );
    await env.clock.sleep(request as number);
    log.push("slow finished");
    return "slow done";
  });
  server.serverStream("count", async (request, send) => {
    for (let index = 0; index < (request as number); index++) await send(index);
  });
}

/** The behaviours every wire mode shares. */
function wireModeTests(wireMode: WireMode): void {
  describe(`rpc (${wireMode} wire): unary calls`, () => {
    it("round-trips a request and its response (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      let outcome: CallOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          const request = { text: "hello", bytes: new Uint8Array([1, 2, 3]), list: [1, null, true, { nested: "x" }] };
          outcome = await settle(env.rpc.call("b", PORT, "echo", request), env.clock);
        })
        .start();
      await runWorld(world, 1000);
      expect(outcome).toMatchObject({
        ok: true,
        value: {
          echoed: { text: "hello", bytes: new Uint8Array([1, 2, 3]), list: [1, null, true, { nested: "x" }] },
          peer: "a",
        },
      });
      expect(worldProblems(world)).toEqual([]);
    });

    it("carries an application error's code, message and details (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      let outcome: CallOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcome = await settle(env.rpc.call("b", PORT, "refuse", "k1"), env.clock);
        })
        .start();
      await runWorld(world, 1000);
      expect(outcome).toMatchObject({
        ok: false,
        code: "APPLICATION",
        message: "APPLICATION: no such key",
        details: { key: "k1" },
      });
    });

    it("turns any other handler error into INTERNAL with its message (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      let outcome: CallOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcome = await settle(env.rpc.call("b", PORT, "explode", null), env.clock);
        })
        .start();
      await runWorld(world, 1000);
      expect(outcome).toMatchObject({
        ok: false,
        code: "INTERNAL",
        message: "INTERNAL: handler bug",
        details: { name: "TypeError" },
      });
      expect(worldProblems(world)).toEqual([]);
    });

    it("answers an unknown method, or one called as the wrong kind, with UNIMPLEMENTED (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      const outcomes: Array<CallOutcome | StreamOutcome> = [];
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcomes.push(await settle(env.rpc.call("b", PORT, "nope", null), env.clock));
          outcomes.push(await settle(env.rpc.call("b", PORT, "count", 3), env.clock));
          outcomes.push(await collect(env.rpc.serverStream("b", PORT, "echo", null), env.clock));
        })
        .start();
      await runWorld(world, 1000);
      expect(outcomes[0]).toMatchObject({ ok: false, code: "UNIMPLEMENTED" });
      expect(outcomes[1]).toMatchObject({ ok: false, code: "UNIMPLEMENTED" });
      expect((outcomes[2] as StreamOutcome).error?.code).toBe("UNIMPLEMENTED");
    });

    it("fails with DEADLINE_EXCEEDED at the deadline when the server is slow, and aborts the handler (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      const log: string[] = [];
      world.addHost("b", async (env) => serveStandard(env, log)).start();
      let outcome: CallOutcome | undefined;
      let startedAtMs = 0;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          startedAtMs = env.clock.monotonic();
          outcome = await settle(env.rpc.call("b", PORT, "slow", 500, { deadlineMs: 100 }), env.clock);
        })
        .start();
      await runWorld(world, 2000);
      expect(outcome).toMatchObject({ ok: false, code: "DEADLINE_EXCEEDED" });
      expect(outcome?.atMs).toBe(startedAtMs + 100);
      expect(log[0]).toMatch(/^aborted: CANCELLED/);
      expect(log).toContain("slow finished"); // the handler ignored its signal; its late answer is dropped
    });

    it("fails with UNAVAILABLE when nobody listens (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async () => undefined).start();
      let outcome: CallOutcome | undefined;
      world
        .addHost("a", async (env) => {
          outcome = await settle(env.rpc.call("b", PORT, "echo", null), env.clock);
        })
        .start();
      await runWorld(world, 1000);
      expect(outcome).toMatchObject({ ok: false, code: "UNAVAILABLE" });
      expect(outcome?.ok === false && outcome.message).toMatch(/ECONNREFUSED/);
    });

    it("rejects bad arguments as programmer errors, not RpcErrors (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      const errors: unknown[] = [];
      world
        .addHost("a", async (env) => {
          const rpc = env.rpc;
          for (const attempt of [
            () => rpc.call("b", PORT, "echo", new Date(0) as unknown as WireValue),
            () => rpc.call("b", PORT, "echo", null, { deadlineMs: 0 }),
            () => rpc.call("b", 70000, "echo", null),
            () => rpc.call("b", PORT, "", null),
          ]) {
            errors.push(await attempt().catch((error: unknown) => error));
          }
        })
        .start();
      await runWorld(world, 100);
      expect(errors.map((error) => (error as Error).name)).toEqual([
        "TypeError",
        "RangeError",
        "RangeError",
        "RangeError",
      ]);
    });

    it("fails fast with UNAVAILABLE beyond the pending-call limit of a connection (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      const outcomes: CallOutcome[] = [];
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          const rpc = env.rpc;
          const calls = Array.from({ length: 1025 }, () => settle(rpc.call("b", PORT, "slow", 10), env.clock));
          outcomes.push(...(await Promise.all(calls)));
        })
        .start();
      await runWorld(world, 1000);
      expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1024);
      expect(outcomes[1024]).toMatchObject({
        ok: false,
        code: "UNAVAILABLE",
        message: expect.stringMatching(/too many pending calls/) as unknown,
      });
      expect(outcomes[1024]?.atMs).toBe(1);
    });
  });

  describe(`rpc (${wireMode} wire): connection pool`, () => {
    it("closes the oldest idle connection to stay within the pool limit (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode, trace: { keepRecords: true } });
      const ports = Array.from({ length: RPC_CLIENT_CONNECTIONS_MAX + 1 }, (_, index) => 8000 + index);
      world
        .addHost("b", async (env) => {
          const rpc = env.rpc;
          for (const port of ports) rpc.serve(port).unary("port", async () => port);
        })
        .start();
      const answers: WireValue[] = [];
      world
        .addHost("a", async (env) => {
          const rpc = env.rpc;
          await env.clock.sleep(1);
          for (const port of ports) answers.push(await rpc.call("b", port, "port", null));
          answers.push(await rpc.call("b", ports[1] as number, "port", null)); // still pooled: no new dial
        })
        .start();
      await runWorld(world, 10_000);
      expect(answers).toEqual([...ports, ports[1]]);
      expect(world.network.stats.connectionsOpened).toBe(ports.length);
      const closedByClient = (world.trace.records ?? []).filter(
        (record) => record.kind === "net.stream.close" && record.host === "a",
      );
      expect(closedByClient).toHaveLength(1);
    });
  });

  describe(`rpc (${wireMode} wire): faults`, () => {
    it("fails a call in flight with UNAVAILABLE when the server crashes, and redials after the restart (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      const server = world.addHost("b", async (env) => serveStandard(env));
      server.start();
      const outcomes: CallOutcome[] = [];
      world
        .addHost("a", async (env) => {
          const rpc = env.rpc;
          await env.clock.sleep(1);
          outcomes.push(await settle(rpc.call("b", PORT, "echo", "before"), env.clock));
          outcomes.push(await settle(rpc.call("b", PORT, "slow", 1000), env.clock)); // b crashes at 50 ms
          outcomes.push(await settle(rpc.call("b", PORT, "echo", "while down"), env.clock));
          await env.clock.sleep(200); // b restarts at 150 ms
          outcomes.push(await settle(rpc.call("b", PORT, "echo", "after"), env.clock));
        })
        .start();
      world.scheduler.schedule(50, () => world.host("b").crash());
      world.scheduler.schedule(150, () => world.host("b").start());
      await runWorld(world, 2000);
      expect(outcomes.map((outcome) => (outcome.ok ? "ok" : outcome.code))).toEqual([
        "ok",
        "UNAVAILABLE",
        "UNAVAILABLE",
        "ok",
      ]);
      expect(outcomes[1]?.atMs).toBeLessThan(60);
      expect(outcomes[3]).toMatchObject({ value: { echoed: "after" } });
      expect(world.network.stats.connectionsOpened).toBe(2);
      expect(worldProblems(world)).toEqual([]);
    });

    it("gives UNAVAILABLE or DEADLINE_EXCEEDED across a partition, never a hang, and works again after heal (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      const outcomes: Array<CallOutcome & { startedAtMs: number }> = [];
      world
        .addHost("a", async (env) => {
          const rpc = env.rpc;
          const call = async (request: WireValue, method = "echo") => {
            const startedAtMs = env.clock.monotonic();
            outcomes.push({
              ...(await settle(rpc.call("b", PORT, method, request, { deadlineMs: 300 }), env.clock)),
              startedAtMs,
            });
          };
          await env.clock.sleep(1);
          await call("warm up");
          await call(200, "slow"); // the partition at 20 ms cuts this call's connection
          await call("during the partition"); // the dial's SYN is lost: the deadline fires
          await env.clock.sleep(1000); // healed at 700 ms
          await call("after heal");
        })
        .start();
      world.scheduler.schedule(20, () => world.network.partition([["a"], ["b"]]));
      world.scheduler.schedule(700, () => world.network.heal());
      await runWorld(world, 5000);
      expect(outcomes.map((outcome) => (outcome.ok ? "ok" : outcome.code))).toEqual([
        "ok",
        "UNAVAILABLE",
        "DEADLINE_EXCEEDED",
        "ok",
      ]);
      for (const outcome of outcomes) expect(outcome.atMs - outcome.startedAtMs).toBeLessThanOrEqual(300);
    });

    it("gives up a dial across a partition after the call's dialTimeoutMs, not its whole deadline, and redials after heal (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      const outcomes: StreamOutcome[] = [];
      world
        .addHost("a", async (env) => {
          const stream = () =>
            collect(env.rpc.serverStream("b", PORT, "count", 2, { deadlineMs: 60_000, dialTimeoutMs: 200 }), env.clock);
          await env.clock.sleep(1);
          outcomes.push(await stream()); // the dial's SYN is lost: the dial timeout fires, long before the deadline
          await env.clock.sleep(300); // healed at 250 ms
          outcomes.push(await stream());
        })
        .start();
      world.network.partition([["a"], ["b"]]);
      world.scheduler.schedule(250, () => world.network.heal());
      await runWorld(world, 5000);
      expect(outcomes[0]?.error?.code).toBe("UNAVAILABLE");
      expect(outcomes[0]?.atMs).toBeLessThanOrEqual(201);
      expect(outcomes[1]?.messages).toEqual([0, 1]);
    });

    it("aborts calls in flight when the server closes (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      const log: string[] = [];
      world
        .addHost("b", async (env) => {
          const server = env.rpc.serve(PORT);
          server.unary("wait", async (_request, context) => {
            await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
            log.push(`aborted: ${(context.signal.reason as Error).message}`);
            return null;
          });
          await env.clock.sleep(50);
          server.close();
        })
        .start();
      let outcome: CallOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcome = await settle(env.rpc.call("b", PORT, "wait", null), env.clock);
        })
        .start();
      await runWorld(world, 1000);
      expect(outcome).toMatchObject({ ok: false, code: "UNAVAILABLE" });
      expect(log).toEqual(["aborted: CANCELLED: server on port 7000 closed"]);
    });
  });

  describe(`rpc (${wireMode} wire): notifications`, () => {
    it("delivers notifications once, in order with the calls on the connection, and drops those nobody serves (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      const seen: string[] = [];
      world
        .addHost("b", async (env) => {
          const server = env.rpc.serve(PORT);
          server.notification("note", (message, context) => {
            seen.push(`note ${String(message)} from ${context.peer}`);
          });
          server.notification("refused", () => {
            throw new RpcError("APPLICATION", "not now");
          });
          server.unary("echo", async (request) => {
            seen.push(`echo ${String(request)}`);
            return request;
          });
        })
        .start();
      const sent: boolean[] = [];
      let outcome: CallOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          sent.push(env.rpc.notify("b", PORT, "note", 1));
          const call = settle(env.rpc.call("b", PORT, "echo", 2), env.clock);
          sent.push(env.rpc.notify("b", PORT, "unserved", 3));
          sent.push(env.rpc.notify("b", PORT, "refused", 4));
          sent.push(env.rpc.notify("b", PORT, "note", 5));
          sent.push(env.rpc.notify("b", PORT, "echo", 6)); // a unary method: not served as a notification
          outcome = await call;
          sent.push(env.rpc.notify("b", PORT, "note", 7));
          await env.clock.sleep(10);
        })
        .start();
      await runWorld(world, 1000);
      expect(sent).toEqual([true, true, true, true, true, true]);
      expect(seen).toEqual(["note 1 from a", "echo 2", "note 5 from a", "note 7 from a"]);
      expect(outcome).toMatchObject({ ok: true, value: 2 });
      expect(worldProblems(world)).toEqual([]);
    });

    it(`drops notifications beyond ${RPC_NOTIFICATIONS_QUEUED_MAX} queued on a connection, and loses the queued ones with it (seed 1)`, async () => {
      const world = new World({ seed: 1, wireMode });
      world
        .addHost("b", async (env) => {
          env.rpc.serve(PORT).notification("note", () => undefined);
        })
        .start();
      const sent: boolean[] = [];
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          // While the first dial is under way, everything waits in the connection's queue.
          for (let index = 0; index <= RPC_NOTIFICATIONS_QUEUED_MAX; index++)
            sent.push(env.rpc.notify("c", PORT, "note", index));
        })
        .start();
      await runWorld(world, 5000);
      expect(sent.filter((accepted) => accepted)).toHaveLength(RPC_NOTIFICATIONS_QUEUED_MAX);
      expect(sent.at(-1)).toBe(false);
      expect(worldProblems(world)).toEqual([]);
    });

    it("rejects bad arguments as programmer errors (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      const thrown: string[] = [];
      world
        .addHost("a", async (env) => {
          const attempts: Array<() => boolean> = [
            () => env.rpc.notify("", PORT, "note", null),
            () => env.rpc.notify("b", -1, "note", null),
            () => env.rpc.notify("b", PORT, "note", { bad: new Date(0) } as unknown as WireValue),
            () => env.rpc.notify("b", PORT, "note", null, { dialTimeoutMs: 0 }),
          ];
          for (const attempt of attempts) {
            try {
              attempt();
              thrown.push("none");
            } catch (error) {
              thrown.push((error as Error).name);
            }
          }
        })
        .start();
      await runWorld(world, 100);
      expect(thrown).toEqual(["TypeError", "RangeError", "TypeError", "RangeError"]);
    });
  });

  describe(`rpc (${wireMode} wire): server streaming`, () => {
    it("delivers every message in order, then ends (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      let outcome: StreamOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcome = await collect(env.rpc.serverStream("b", PORT, "count", 200), env.clock);
        })
        .start();
      await runWorld(world, 5000);
      expect(outcome?.error).toBeUndefined();
      expect(outcome?.messages).toEqual(Array.from({ length: 200 }, (_, index) => index));
    });

    it("cancels the stream at the server when the consumer breaks out (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      const log: string[] = [];
      world
        .addHost("b", async (env) => {
          const server = env.rpc.serve(PORT);
          server.serverStream("forever", async (_request, send, context) => {
            try {
              for (let index = 0; ; index++) await send(index);
            } catch (error) {
              log.push(`send threw ${(error as Error).message}; aborted=${context.signal.aborted}`);
              throw error;
            }
          });
        })
        .start();
      let outcome: StreamOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcome = await collect(env.rpc.serverStream("b", PORT, "forever", null), env.clock, 5);
        })
        .start();
      await runWorld(world, 1000);
      expect(outcome).toMatchObject({ messages: [0, 1, 2, 3, 4], error: undefined });
      expect(log).toEqual([expect.stringMatching(/^send threw CANCELLED: .*aborted=true$/) as unknown]);
    });

    it("holds the server's send while a slow consumer has a full window (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      let sent = 0;
      let taken = 0;
      let mostAhead = 0;
      world
        .addHost("b", async (env) => {
          const server = env.rpc.serve(PORT);
          server.serverStream("fast", async (_request, send) => {
            for (let index = 0; index < 100; index++) {
              await send(index);
              sent++;
              mostAhead = Math.max(mostAhead, sent - taken);
            }
          });
        })
        .start();
      let outcome: StreamOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          const messages: WireValue[] = [];
          for await (const message of env.rpc.serverStream("b", PORT, "fast", null, { deadlineMs: 60_000 })) {
            messages.push(message);
            taken++;
            await env.clock.sleep(10);
          }
          outcome = { messages, error: undefined, atMs: env.clock.monotonic() };
        })
        .start();
      await runWorld(world, 60_000);
      expect(outcome?.messages).toHaveLength(100);
      expect(mostAhead).toBeLessThanOrEqual(32);
      expect(mostAhead).toBeGreaterThan(16);
    });

    it("fails the stream with DEADLINE_EXCEEDED after the messages it got (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world
        .addHost("b", async (env) => {
          env.rpc.serve(PORT).serverStream("ticks", async (_request, send) => {
            for (let index = 0; index < 10; index++) {
              await send(index);
              await env.clock.sleep(30);
            }
          });
        })
        .start();
      let outcome: StreamOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcome = await collect(env.rpc.serverStream("b", PORT, "ticks", null, { deadlineMs: 100 }), env.clock);
        })
        .start();
      await runWorld(world, 1000);
      expect(outcome?.error?.code).toBe("DEADLINE_EXCEEDED");
      expect(outcome?.messages).toEqual([0, 1, 2, 3]);
      expect(outcome?.atMs).toBe(101);
    });

    it("fails the stream with UNAVAILABLE when the server crashes mid-stream (seed 1)", async () => {
      const world = new World({ seed: 1, wireMode });
      world
        .addHost("b", async (env) => {
          env.rpc.serve(PORT).serverStream("ticks", async (_request, send) => {
            for (let index = 0; ; index++) {
              await send(index);
              await env.clock.sleep(10);
            }
          });
        })
        .start();
      let outcome: StreamOutcome | undefined;
      world
        .addHost("a", async (env) => {
          await env.clock.sleep(1);
          outcome = await collect(env.rpc.serverStream("b", PORT, "ticks", null), env.clock);
        })
        .start();
      world.scheduler.schedule(55, () => world.host("b").crash());
      await runWorld(world, 1000);
      expect(outcome?.error?.code).toBe("UNAVAILABLE");
      expect(outcome?.messages).toEqual([0, 1, 2, 3, 4, 5]);
    });
  });
}

for (const wireMode of WIRE_MODES) wireModeTests(wireMode);

describe("rpc (frames wire): malformed frames from a broken peer", () => {
  it("resets a connection that sends a malformed frame, and keeps serving others (seed 1)", async () => {
    const world = new World({ seed: 1, wireMode: "frames" });
    world.addHost("b", async (env) => serveStandard(env)).start();
    const rawResults: string[] = [];
    const rawAttack = async (env: Env, bytes: Uint8Array): Promise<void> => {
      const connection = await env.net.dial("b", PORT);
      await connection.write(bytes);
      try {
        const chunk = await connection.read();
        rawResults.push(chunk === null ? "end" : "data");
      } catch (error) {
        rawResults.push(error instanceof NetError ? error.code : String(error));
      }
    };
    let outcome: CallOutcome | undefined;
    world
      .addHost("a", async (env) => {
        await env.clock.sleep(1);
        await rawAttack(env, new Uint8Array([0, 0, 0, 3, 0xc1, 0xc1, 0xc1])); // 0xc1 is never used in msgpack
        await rawAttack(env, new Uint8Array([0xff, 0xff, 0xff, 0xff])); // a 4 GiB frame
        await rawAttack(env, new Uint8Array([0, 0, 0, 2, 0x92, 0x63])); // [99, ...] truncated: does not decode
        await rawAttack(env, new Uint8Array([0, 0, 0, 3, 0x92, 0x04, 0x01])); // [4, 1]: a response frame from a client
        outcome = await settle(env.rpc.call("b", PORT, "echo", "still there?"), env.clock);
      })
      .start();
    await runWorld(world, 1000);
    expect(rawResults).toEqual(["ECONNRESET", "ECONNRESET", "ECONNRESET", "ECONNRESET"]);
    expect(outcome).toMatchObject({ ok: true, value: { echoed: "still there?" } });
    expect(worldProblems(world)).toEqual([]);
  });

  it("fails calls with MALFORMED when the server sends a malformed frame (seed 1)", async () => {
    const world = new World({ seed: 1, wireMode: "frames" });
    world
      .addHost("b", async (env) => {
        const listener = env.net.listen(PORT);
        const connection = await listener.accept();
        await connection.read();
        await connection.write(new Uint8Array([0, 0, 0, 1, 0xc1]));
      })
      .start();
    let outcome: CallOutcome | undefined;
    world
      .addHost("a", async (env) => {
        await env.clock.sleep(1);
        outcome = await settle(env.rpc.call("b", PORT, "echo", null), env.clock);
      })
      .start();
    await runWorld(world, 1000);
    expect(outcome).toMatchObject({ ok: false, code: "MALFORMED" });
  });
});

describe("rpc: determinism", () => {
  it("gives the same trace fingerprint for the same seed (seeds 1 and 2)", async () => {
    const fingerprint = async (seed: number, wireMode: WireMode): Promise<string> => {
      const world = new World({ seed, wireMode });
      world.addHost("b", async (env) => serveStandard(env)).start();
      world
        .addHost("a", async (env) => {
          const rpc = env.rpc;
          await env.clock.sleep(1);
          await Promise.all([
            settle(rpc.call("b", PORT, "echo", 1), env.clock),
            settle(rpc.call("b", PORT, "slow", 20, { deadlineMs: 10 }), env.clock),
            collect(rpc.serverStream("b", PORT, "count", 40), env.clock),
          ]);
        })
        .start();
      await runWorld(world, 1000);
      return world.trace.fingerprint();
    };
    for (const wireMode of WIRE_MODES) {
      expect(await fingerprint(1, wireMode)).toBe(await fingerprint(1, wireMode));
      expect(await fingerprint(2, wireMode)).toBe(await fingerprint(2, wireMode));
    }
  });
});
