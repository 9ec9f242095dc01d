// Placeholder while the RPC layer is written (replaced before commit).
import type { Clock, Net, Rpc } from "../env.ts";
export function createRpc(_net: Net, _clock: Clock): Rpc {
  throw new Error("rpc: not written yet");
}
