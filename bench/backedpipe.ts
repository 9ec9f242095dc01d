/**
 * BackedPipe benchmark: bytes per wall second through a pair of BackedPipes on a
 * healthy simulated link (dial, resume handshake, then every write numbered, kept in
 * the ring buffer and sent), side by side with the same bytes in the same chunks
 * through a bare simulated stream. The ratio is the pipe's overhead in the simulator.
 */
import { BackedPipe } from "../src/impl/backedpipe/index.ts";
import type { ProcessMain } from "../src/sim/env.ts";
import { World } from "../src/sim/world.ts";
import { AcceptingReconnector } from "../scenarios/backedpipe/accepting-reconnector.ts";
import { dialingReconnector } from "../scenarios/backedpipe/dialing-reconnector.ts";
import type { BenchSection } from "./lib.ts";
import { timeBest } from "./lib.ts";

const PORT = 9;
/** Bytes streamed per measurement. */
const TOTAL_BYTES = 32 * 1024 * 1024;
/** The pipes' ring buffers (Coder's default is 64 MiB; the cost per byte does not depend on it). */
const BUFFER_CAPACITY_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 1000;

/** Runs a world of a sender and a receiver to quiescence and checks every byte arrived. */
async function transfer(send: ProcessMain, receive: (finished: () => void) => ProcessMain): Promise<void> {
  const world = new World({ seed: 1 });
  let done = false;
  world
    .addHost(
      "server",
      receive(() => (done = true)),
    )
    .start();
  world.addHost("client", send).start();
  await world.scheduler.run();
  if (!done) throw new Error(`bench: the receiver did not get all ${TOTAL_BYTES} bytes`);
}

/** Bytes per wall second through a bare simulated stream, in `chunkBytes` writes. */
async function bareStreamBytesPerSecond(chunkBytes: number): Promise<number> {
  const chunk = new Uint8Array(chunkBytes);
  const ms = await timeBest(() =>
    transfer(
      async (env) => {
        const connection = await env.net.dial("server", PORT);
        for (let sent = 0; sent < TOTAL_BYTES; sent += chunkBytes) await connection.write(chunk);
      },
      (finished) => async (env) => {
        const connection = await env.net.listen(PORT).accept();
        for (let received = 0; received < TOTAL_BYTES; ) {
          const data = await connection.read();
          if (data === null) return;
          received += data.length;
        }
        finished();
      },
    ),
  );
  return TOTAL_BYTES / (ms / 1000);
}

/** Bytes per wall second through a pair of BackedPipes over the same stream, in `chunkBytes` writes. */
async function pipeBytesPerSecond(chunkBytes: number): Promise<number> {
  const chunk = new Uint8Array(chunkBytes);
  const ms = await timeBest(() =>
    transfer(
      async (env) => {
        const reconnector = dialingReconnector({
          env,
          peer: "server",
          port: PORT,
          dialTimeoutMs: TIMEOUT_MS,
          handshakeTimeoutMs: TIMEOUT_MS,
        });
        const pipe = new BackedPipe({ reconnector, bufferCapacityBytes: BUFFER_CAPACITY_BYTES });
        await pipe.connect();
        for (let sent = 0; sent < TOTAL_BYTES; sent += chunkBytes) await pipe.write(chunk);
      },
      (finished) => async (env) => {
        const listener = env.net.listen(PORT);
        const accepting = new AcceptingReconnector(env, TIMEOUT_MS);
        const pipe = new BackedPipe({ reconnector: accepting.reconnector, bufferCapacityBytes: BUFFER_CAPACITY_BYTES });
        const connected = pipe.connect();
        accepting.offer(await listener.accept());
        await connected;
        for (let received = 0; received < TOTAL_BYTES; ) {
          const data = await pipe.read();
          if (data === null) return;
          received += data.length;
        }
        finished();
        pipe.close();
      },
    ),
  );
  return TOTAL_BYTES / (ms / 1000);
}

/** The BackedPipe section of `npm run bench`. */
export async function benchBackedPipe(): Promise<BenchSection> {
  const rows: BenchSection["rows"] = [];
  for (const chunkBytes of [16 * 1024, 1024]) {
    const bare = await bareStreamBytesPerSecond(chunkBytes);
    const pipe = await pipeBytesPerSecond(chunkBytes);
    const size = `${chunkBytes / 1024} KiB writes`;
    rows.push({
      name: `BackedPipe, ${size}`,
      value: pipe / 1e6,
      unit: "MB/s",
      baseline: bare / 1e6,
      baselineName: `bare stream, ${size}`,
    });
  }
  return {
    title: "BackedPipe: bytes through a healthy simulated link (npm run bench)",
    rows,
    notes: [
      `Each figure streams ${TOTAL_BYTES / (1024 * 1024)} MiB one way, best of 3, in wall time. The pipe copies each write into its ring buffer (${BUFFER_CAPACITY_BYTES / (1024 * 1024)} MiB) and takes turns through its writer and reader queues; the ratio is what that costs over the bare simulated stream.`,
    ],
  };
}
