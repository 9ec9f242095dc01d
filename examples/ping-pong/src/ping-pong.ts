/**
 * The system under test: "pong" counts the pings it answers, durably, so that the
 * count survives a crash; "ping" pings it forever. Both see the world only through
 * the Env dst hands them (its clock, disk and RPC), which is what makes a run
 * replayable from its seed.
 *
 * The planted bug (`skipFsync`): pong answers before its count is durable, so a
 * crash can forget pings it already acknowledged.
 */
import { RpcError, type Env } from "dst-harness";

export const PONG_PORT = 9000;
const COUNT_PATH = "/count";
const PING_DEADLINE_MS = 200;
const PING_INTERVAL_MS = 20;

export interface PongOptions {
  /** The planted bug: write the count without making it durable. */
  readonly skipFsync?: boolean;
}

export async function runPong(env: Env, options: PongOptions): Promise<void> {
  const stored = (await env.disk.exists(COUNT_PATH)) ? await env.disk.readFile(COUNT_PATH) : undefined;
  let count = stored === undefined ? 0 : Number(new TextDecoder().decode(stored));
  // One ping at a time: a ping whose caller gave up may still be running when the next one comes.
  let tail: Promise<unknown> = Promise.resolve();
  const answer = async () => {
    count += 1;
    const bytes = new TextEncoder().encode(String(count));
    if (options.skipFsync === true) await env.disk.writeFile(COUNT_PATH, bytes);
    else await env.disk.writeFileAtomic(COUNT_PATH, bytes);
    return { count };
  };
  env.rpc.serve(PONG_PORT).unary("ping", () => {
    const answered = tail.then(answer);
    tail = answered.catch(() => undefined);
    return answered;
  });
}

/** Pings pong forever; `acknowledged` hears each count pong answered with. */
export async function runPing(env: Env, acknowledged: (count: number) => void): Promise<never> {
  while (true) {
    try {
      const reply = (await env.rpc.call("pong", PONG_PORT, "ping", {}, { deadlineMs: PING_DEADLINE_MS })) as {
        count: number;
      };
      acknowledged(reply.count);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error; // lost, timed out, refused: try again
    }
    await env.clock.sleep(PING_INTERVAL_MS);
  }
}
