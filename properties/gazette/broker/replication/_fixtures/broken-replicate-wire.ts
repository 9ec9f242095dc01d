/**
 * Deliberately broken variants of the Replicate wire functions, for showing
 * that the wire properties can fail. Never used on the shipping path.
 */
import type { WireValue } from "../../../../../src/sim/env.ts";
import type { ReplicateRequest } from "../../../../../src/impl/gazette/broker/types.ts";
import { validateReplicateRequest } from "../../../../../src/impl/gazette/broker/replicate-wire.ts";

/** Decodes a ReplicateRequest by casting, trusting the peer's types. */
export function decodeReplicateRequestByCast(value: WireValue): ReplicateRequest {
  const request = value as unknown as ReplicateRequest;
  validateReplicateRequest(request);
  return request;
}
