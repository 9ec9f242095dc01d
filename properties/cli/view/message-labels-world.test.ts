/**
 * Arrow labels from a real world's trace, in both wire modes: a request or
 * notification sent with a `kind` (CallOptions.kind, NotifyOptions.kind) is
 * labelled with it, its response with it and the frame's type, one without with
 * its method; in the frames mode the label rides on the byte segment that carries
 * the frame. The kind is never sent: the server sees the same request either way.
 */
import { describe, expect, it } from "vitest";
import { buildDiagramModel } from "../../../src/cli/view/diagram-model.ts";
import type { WireValue } from "../../../src/sim/env.ts";
import { WIRE_MODES } from "../../../src/sim/net/rpc/frame-channel.ts";
import { World } from "../../../src/sim/world.ts";
import { runWorld } from "../../sim/_fixtures/rpc-world.ts";

const PORT = 7000;

describe.each(WIRE_MODES)("arrow labels (%s wire)", (wireMode) => {
  it("name messages by their kind where the sender gave one, else by method (seed 1)", async () => {
    const world = new World({ seed: 1, wireMode, trace: { keepRecords: true } });
    const seen: WireValue[] = [];
    world
      .addHost("b", async (env) => {
        const server = env.rpc.serve(PORT);
        server.unary("raft.call", async (request) => {
          seen.push(request);
          return "ok";
        });
        server.notification("raft.message", (message) => void seen.push(message));
        server.unary("echo", async (request) => request);
      })
      .start();
    world
      .addHost("a", async (env) => {
        await env.clock.sleep(1);
        env.rpc.notify("b", PORT, "raft.message", { type: "append-entries" }, { kind: "append-entries" });
        await env.rpc.call("b", PORT, "raft.call", { type: "request-vote" }, { kind: "request-vote" });
        await env.rpc.call("b", PORT, "echo", 1);
      })
      .start();
    await runWorld(world, 1000);
    const records = world.trace.records ?? [];
    const diagram = buildDiagramModel(records, "labels");
    const labels = diagram.messages
      .filter((message) => message.label !== undefined)
      .map((message) => [message.label, message.outcome]);
    expect(labels).toEqual([
      ["append-entries", "delivered"],
      ["request-vote", "delivered"],
      ["request-vote response", "delivered"],
      ["echo", "delivered"],
      ["echo response", "delivered"],
    ]);
    expect(seen).toEqual([{ type: "append-entries" }, { type: "request-vote" }]);
  });
});
