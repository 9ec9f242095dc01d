/**
 * Invariant: a pair of BackedPipes over links that break delivers, in both
 * directions, exactly the bytes written, in order, and a pipe never gives up a
 * live connection because of an error of a generation it has already replaced.
 *
 * Method: a client and a server pipe, each always reading, exchange writes (held
 * in flight until the test delivers them) while the test resets links, forces reconnections on either side and lets
 * late errors
 * of closed connections arrive (settling "zombie" reads) at chosen moments. A pipe
 * closing its end of a link that is still live without having been asked to is a
 * reconnection caused by a stale error. After the actions, with every late error
 * delivered, both pipes must converge and deliver everything. Each property must
 * fail on a pipe with the bug it is about (_fixtures/broken-backed-pipes.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BackedPipe } from "../../src/impl/backedpipe/backed-pipe.ts";
import type { PipeConnection } from "../../src/impl/backedpipe/connection.ts";
import { ErrPipeClosed } from "../../src/impl/backedpipe/errors.ts";
import type { Connection } from "../../src/sim/env.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { pipeThatReconnectsOnStaleErrors, pipeWithOffByOneReplay, realPipe } from "./_fixtures/broken-backed-pipes.ts";
import type { PipeFactory } from "./_fixtures/broken-backed-pipes.ts";
import { FakeNetwork } from "./_support/fake-network.ts";
import type { Side } from "./_support/fake-network.ts";
import { drainMicrotasks, observe, streamBytes } from "./_support/microtasks.ts";

type Action =
  | { readonly kind: "write"; readonly side: Side; readonly length: number }
  | { readonly kind: "reset-latest" }
  | { readonly kind: "reset-link"; readonly index: number }
  | { readonly kind: "force"; readonly side: Side }
  | { readonly kind: "settle-zombies" }
  | { readonly kind: "deliver" };

const sides = fc.constantFrom<Side>("client", "server");
const actions: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("write" as const), side: sides, length: fc.integer({ min: 0, max: 12 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "reset-latest" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reset-link" as const), index: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("force" as const), side: sides }) },
  { weight: 2, arbitrary: fc.constant({ kind: "settle-zombies" as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: "deliver" as const }) },
);

/** Rounds of (settle zombies, deliver, drain) the pipes get to converge after the actions. */
const convergenceRoundsMaximum = 20;

/** Compile-time check: the simulator's connections fit the pipe's structural interface. */
export const simulatedConnectionFits = (connection: Connection): PipeConnection => connection;

const other = (side: Side): Side => (side === "client" ? "server" : "client");

class PipeRun {
  readonly network = new FakeNetwork();
  readonly pipes: Record<Side, BackedPipe>;
  readonly written: Record<Side, number[]> = { client: [], server: [] };
  readonly received: Record<Side, number[]> = { client: [], server: [] };
  readonly writes: ReturnType<typeof observe<void>>[] = [];
  readonly allowLiveClose: Record<Side, boolean> = { client: false, server: false };
  readonly unjustifiedCloses: string[] = [];
  readonly reconnectFailures: string[] = [];
  readonly probes: Set<string>;

  /** The pipes' buggify points, when the run enables them. */
  readonly #buggify: ((point: string) => boolean) | undefined;

  constructor(create: PipeFactory, probes: Set<string>, buggify?: (point: string) => boolean) {
    this.probes = probes;
    this.#buggify = buggify;
    this.network.onLiveClose = (end) => {
      if (!this.allowLiveClose[end.side]) this.unjustifiedCloses.push(`${end.side} closed live link ${end.link.id}`);
    };
    const pipe = (side: Side): BackedPipe =>
      create({
        reconnector: side === "client" ? this.network.clientReconnector : this.network.serverReconnector,
        bufferCapacityBytes: 1024,
        maximumReconnectAttempts: 50,
        probe: (name) => this.probes.add(name),
        ...(this.#buggify === undefined ? {} : { buggify: this.#buggify }),
        onReconnectFailed: (error) => this.reconnectFailures.push(`${side}: ${error.message}`),
      });
    this.pipes = { client: pipe("client"), server: pipe("server") };
  }

  async start(): Promise<void> {
    const connects = [observe(this.pipes.client.connect()), observe(this.pipes.server.connect())];
    await drainMicrotasks();
    for (const connect of connects) expect(connect.current.state).toBe("resolved");
    this.#pump("client");
    this.#pump("server");
  }

  async perform(action: Action): Promise<void> {
    switch (action.kind) {
      case "write": {
        const bytes = streamBytes(this.written[action.side].length, action.length);
        this.written[action.side].push(...bytes);
        // With buggify, a write may start a reconnection, which closes the live connection: justified.
        this.allowLiveClose[action.side] = this.#buggify !== undefined;
        this.writes.push(observe(this.pipes[action.side].write(bytes)));
        this.allowLiveClose[action.side] = false;
        break;
      }
      case "reset-latest":
        this.network.latestLink?.reset();
        break;
      case "reset-link":
        this.network.links[action.index % this.network.links.length]?.reset();
        break;
      case "force":
        // A forced reconnection closes the live connection synchronously, and that close is justified.
        this.allowLiveClose[action.side] = true;
        observe(this.pipes[action.side].forceReconnect());
        this.allowLiveClose[action.side] = false;
        break;
      case "settle-zombies":
        this.network.settleZombies();
        break;
      case "deliver":
        this.network.deliverAll();
        break;
    }
    await drainMicrotasks();
  }

  /** Lets late errors arrive and the pipes converge; returns whether everything was delivered. */
  async converge(): Promise<boolean> {
    for (let round = 0; round < convergenceRoundsMaximum; round++) {
      this.network.settleZombies();
      this.network.deliverAll();
      await drainMicrotasks();
      if (this.#delivered()) return true;
    }
    return false;
  }

  close(): void {
    this.pipes.client.close();
    this.pipes.server.close();
    this.network.settleZombies();
  }

  #delivered(): boolean {
    const complete = (side: Side): boolean => this.received[side].length >= this.written[other(side)].length;
    return complete("client") && complete("server") && this.writes.every((write) => write.current.state !== "pending");
  }

  #pump(side: Side): void {
    const loop = async (): Promise<void> => {
      for (;;) {
        const chunk = await this.pipes[side].read();
        if (chunk === null) return;
        this.received[side].push(...chunk);
      }
    };
    void loop();
  }
}

/**
 * Runs the actions on a fresh pair of pipes and hands the finished run to `check`;
 * with `buggify`, each ask of a buggify point fires by the next of a drawn schedule
 * (cycled), and `fired` collects the points that fired.
 */
function pipeProperty(
  create: PipeFactory,
  check: (run: PipeRun, converged: boolean) => void,
  probes = new Set<string>(),
  buggify?: { readonly fired: Set<string> },
) {
  const schedules =
    buggify === undefined ? fc.constant(undefined) : fc.array(fc.boolean(), { minLength: 1, maxLength: 8 });
  return fc.asyncProperty(fc.array(actions, { maxLength: 40 }), schedules, async (list, schedule) => {
    let asked = 0;
    const fire = (point: string): boolean => {
      const fires = schedule?.[asked++ % schedule.length] === true;
      if (fires) buggify?.fired.add(point);
      return fires;
    };
    const run = new PipeRun(create, probes, schedule === undefined ? undefined : fire);
    try {
      await run.start();
      for (const action of list) await run.perform(action);
      const converged = await run.converge();
      check(run, converged);
    } finally {
      run.close();
      await drainMicrotasks();
    }
  });
}

function checkNoStaleReconnect(run: PipeRun, converged: boolean): void {
  expect(run.unjustifiedCloses, "stale-generation reconnect").toEqual([]);
  expect(run.reconnectFailures, "reconnect gave up").toEqual([]);
  expect(converged, "pipes converged").toBe(true);
}

function checkExactDelivery(run: PipeRun, converged: boolean): void {
  expect(run.reconnectFailures, "reconnect gave up").toEqual([]);
  // Bytes first: a gap or duplicate also keeps the pipes from converging, and the bytes say more.
  expect(run.received.server, "client to server bytes").toEqual(run.written.client);
  expect(run.received.client, "server to client bytes").toEqual(run.written.server);
  expect(converged, "pipes converged").toBe(true);
  for (const write of run.writes) expect(write.current.state, "write completed").toBe("resolved");
  expect(run.pipes.client.writerSequenceNum()).toBe(run.written.client.length);
  expect(run.pipes.server.readerSequenceNum()).toBe(run.written.client.length);
}

const staleName = "backedpipe pipe never reconnects because of a stale-generation error";
const deliveryName = "backedpipe pipe pair delivers exactly the bytes written in both directions";

describe("BackedPipe", () => {
  it(staleName, async () => {
    await fc.assert(
      pipeProperty(realPipe, checkNoStaleReconnect),
      propertyParameters(staleName, 150, { includeErrorInReport: true }),
    );
  });

  it(`${staleName}: fails on a pipe that reconnects on stale errors`, async () => {
    const details = await fc.check(
      pipeProperty(pipeThatReconnectsOnStaleErrors, checkNoStaleReconnect),
      propertyParameters(staleName, 150),
    );
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toContain("stale-generation reconnect");
  });

  it(deliveryName, async () => {
    await fc.assert(
      pipeProperty(realPipe, checkExactDelivery),
      propertyParameters(deliveryName, 150, { includeErrorInReport: true }),
    );
  });

  it(`${deliveryName}: fails on a pipe whose writer replays from one byte too far`, async () => {
    const details = await fc.check(
      pipeProperty(pipeWithOffByOneReplay, checkExactDelivery),
      propertyParameters(deliveryName, 150),
    );
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/(client to server|server to client) bytes/);
  });

  it(`${deliveryName}, with its buggify points firing`, async () => {
    const fired = new Set<string>();
    await fc.assert(
      pipeProperty(realPipe, checkExactDelivery, new Set<string>(), { fired }),
      propertyParameters(`${deliveryName} (buggify)`, 150, { includeErrorInReport: true }),
    );
    expect([...fired].sort()).toEqual(["backedpipe.reconnect-racing-write", "backedpipe.short-ring-buffer-read"]);
  });

  it(`${deliveryName}, with its buggify points firing: fails on a pipe whose writer replays from one byte too far`, async () => {
    const details = await fc.check(
      pipeProperty(pipeWithOffByOneReplay, checkExactDelivery, new Set<string>(), { fired: new Set<string>() }),
      propertyParameters(`${deliveryName} (buggify)`, 150),
    );
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/(client to server|server to client) bytes/);
  });

  it("reaches the rare paths it is about", async () => {
    const probes = new Set<string>();
    await fc.assert(
      pipeProperty(realPipe, () => {}, probes),
      propertyParameters(deliveryName, 150, { includeErrorInReport: true }),
    );
    expect(probes).toContain("backedpipe.stale-generation-error-ignored");
    expect(probes).toContain("backedpipe.replay-from-ring-buffer");
  });

  it("refuses use after close, and a second connect", async () => {
    const network = new FakeNetwork();
    const client = realPipe({ reconnector: network.clientReconnector, bufferCapacityBytes: 16 });
    const server = realPipe({ reconnector: network.serverReconnector, bufferCapacityBytes: 16 });
    await Promise.all([client.connect(), server.connect()]);
    expect(client.connected() && server.connected()).toBe(true);
    expect(client.generation()).toBe(1);
    await expect(client.connect()).rejects.toMatchObject({ code: "pipe-already-connected" });
    const blockedRead = observe(client.read());
    client.close();
    await drainMicrotasks();
    expect(blockedRead.current).toEqual({ state: "resolved", value: null });
    await expect(client.write(new Uint8Array([1]))).rejects.toBeInstanceOf(ErrPipeClosed);
    await expect(client.forceReconnect()).rejects.toBeInstanceOf(ErrPipeClosed);
    expect(await client.read()).toBeNull();
    server.close();
  });
});
