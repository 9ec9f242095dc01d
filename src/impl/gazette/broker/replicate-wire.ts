/**
 * The Replicate protocol on env.rpc: validation of ReplicateRequest and
 * ReplicateResponse (Gazette's rpc_extensions.go), their encoding as
 * WireValues and strict decoding, the client (`replicateOverRpc`) and the
 * server helper (`serveReplicate`).
 *
 * Gazette's Replicate is a bidirectional stream; env.rpc has unary calls, so
 * here each message of the stream is one unary call (method
 * `gazette.Journal/Replicate`) carrying the journal and the pipeline's id, and
 * every message gets an answer (see ReplicateRequest in types.ts).
 *
 * Message shapes (as Gazette validates them):
 * - a proposal carries registers, no content and no content delta; with a
 *   Header (the first message of a pipeline) it must ask for an acknowledgement;
 * - otherwise it carries content (possibly empty) at a content delta >= 0, and
 *   no header, registers or acknowledgement;
 * - a response carries a Header with WRONG_ROUTE (required) and may carry one
 *   otherwise; a fragment and registers with PROPOSAL_MISMATCH (required), and
 *   never otherwise.
 *
 * A malformed message is refused: the server answers an APPLICATION RpcError
 * whose details are `{ kind: "validation", message }` (the client turns it back
 * into a ValidationError), and a malformed response rejects the call with a
 * ValidationError. A handler's typed refusal (ErrReplicateRefused) crosses as
 * `{ kind: "replicate", message }`.
 */
import { RpcError, type Env, type RpcContext, type RpcServer, type WireValue } from "../../../sim/env.ts";
import { validateFragment } from "../protocol/fragment.ts";
import { validateJournal } from "../protocol/journal-spec.ts";
import { validateLabelSet } from "../protocol/labels.ts";
import { parseEndpoint, validateHeader, type ProcessSpecId } from "../protocol/route.ts";
import { APPEND_CONTENT_BYTES_MAX } from "../protocol/rpc-binding.ts";
import { isStatus, validateStatus, type Status } from "../protocol/status.ts";
import { ValidationError, withContext } from "../protocol/validation.ts";
import { readFragment, readHeader, readLabelSet, toWire } from "../protocol/wire.ts";
import { BROKER_PORT, type ReplicateRequest, type ReplicateResponse } from "./types.ts";

export const REPLICATE_METHOD = "gazette.Journal/Replicate";
/** Most content bytes one Replicate message carries. */
export const REPLICATE_CONTENT_BYTES_MAX = APPEND_CONTENT_BYTES_MAX;
/** Longest pipeline id. */
export const PIPELINE_ID_LENGTH_MAX = 256;
/** Default deadline of one Replicate call (host-local ms). */
export const REPLICATE_DEADLINE_MS_DEFAULT = 5_000;

/**
 * A peer refused a Replicate message for a reason the protocol has no status for (unknown pipeline, bad delta, disk).
 */
export class ErrReplicateRefused extends Error {
  override readonly name = "ErrReplicateRefused";
}

/** The route names a peer without a usable endpoint. */
export class ErrNoPeerEndpoint extends Error {
  override readonly name = "ErrNoPeerEndpoint";
}

/** ReplicateRequest.Validate. */
export function validateReplicateRequest(request: ReplicateRequest): void {
  withContext("Journal", () => validateJournal(request.journal));
  if (
    typeof request.pipeline !== "string" ||
    request.pipeline === "" ||
    request.pipeline.length > PIPELINE_ID_LENGTH_MAX
  ) {
    throw new ValidationError(`invalid Pipeline (expected 1 to ${PIPELINE_ID_LENGTH_MAX} characters)`);
  }
  if (request.proposal !== undefined) {
    const proposal = request.proposal;
    if (request.header !== undefined) {
      const header = request.header;
      withContext("Header", () => validateHeader(header));
      if (!request.acknowledge) throw new ValidationError("expected Acknowledge with Header");
    }
    withContext("Proposal", () => validateFragment(proposal));
    if (proposal.journal !== request.journal)
      throw new ValidationError(`Journal and Proposal.Journal mismatch (${request.journal} vs ${proposal.journal})`);
    if (request.registers === undefined) throw new ValidationError("expected Registers with Proposal");
    const registers = request.registers;
    withContext("Registers", () => validateLabelSet(registers));
    if (request.content !== undefined)
      throw new ValidationError(`unexpected Content with Proposal (len ${request.content.length})`);
    if (request.contentDelta !== 0)
      throw new ValidationError(`unexpected ContentDelta with Proposal (${request.contentDelta})`);
    return;
  }
  if (request.content === undefined) throw new ValidationError("expected Content or Proposal");
  if (request.content.length > REPLICATE_CONTENT_BYTES_MAX)
    throw new ValidationError(`Content longer than ${REPLICATE_CONTENT_BYTES_MAX} bytes`);
  if (!Number.isSafeInteger(request.contentDelta) || request.contentDelta < 0) {
    throw new ValidationError(`invalid ContentDelta (${request.contentDelta}; expected >= 0)`);
  }
  if (request.header !== undefined) throw new ValidationError("unexpected Header with Content");
  if (request.registers !== undefined) throw new ValidationError("unexpected Registers with Content");
  if (request.acknowledge) throw new ValidationError("unexpected Acknowledge with Content");
}

/** ReplicateResponse.Validate. */
export function validateReplicateResponse(response: ReplicateResponse): void {
  withContext("Status", () => validateStatus(response.status));
  if (response.header !== undefined) {
    const header = response.header;
    withContext("Header", () => validateHeader(header));
  } else if (response.status === "WRONG_ROUTE") {
    throw new ValidationError("expected Header");
  }
  if (response.status === "PROPOSAL_MISMATCH") {
    if (response.fragment === undefined) throw new ValidationError("expected Fragment");
    const fragment = response.fragment;
    withContext("Fragment", () => validateFragment(fragment));
    if (response.registers === undefined) throw new ValidationError("expected Registers");
    const registers = response.registers;
    withContext("Registers", () => validateLabelSet(registers));
    return;
  }
  if (response.fragment !== undefined) throw new ValidationError("unexpected Fragment");
  if (response.registers !== undefined) throw new ValidationError("unexpected Registers");
}

type WireMap = { readonly [key: string]: WireValue | undefined };

function asMap(value: WireValue | undefined): WireMap {
  if (
    value === null ||
    value === undefined ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  ) {
    throw new ValidationError("expected a map");
  }
  return value as WireMap;
}

function present(map: WireMap, key: string): WireValue | undefined {
  const value = map[key];
  return value === null ? undefined : value;
}

function readAs<T>(
  map: WireMap,
  key: string,
  context: string,
  check: (value: WireValue) => value is WireValue & T,
  expected: string,
): T | undefined {
  const value = present(map, key);
  if (value === undefined) return undefined;
  if (!check(value)) throw new ValidationError(`expected ${expected}`).extend(context);
  return value;
}

const isString = (value: WireValue): value is string => typeof value === "string";
const isInteger = (value: WireValue): value is number => typeof value === "number" && Number.isSafeInteger(value);
const isBoolean = (value: WireValue): value is boolean => typeof value === "boolean";
const isBytes = (value: WireValue): value is Uint8Array => value instanceof Uint8Array;

function readNested<T>(map: WireMap, key: string, context: string, read: (value: WireValue) => T): T | undefined {
  const value = present(map, key);
  return value === undefined ? undefined : withContext(context, () => read(value));
}

/** Decodes and validates a ReplicateRequest; throws ValidationError naming the offending field. */
export function decodeReplicateRequest(value: WireValue): ReplicateRequest {
  return withContext("ReplicateRequest", () => {
    const map = asMap(value);
    const request: ReplicateRequest = {
      journal: readAs(map, "journal", "Journal", isString, "a string") ?? "",
      pipeline: readAs(map, "pipeline", "Pipeline", isString, "a string") ?? "",
      contentDelta: readAs(map, "contentDelta", "ContentDelta", isInteger, "an integer") ?? 0,
      acknowledge: readAs(map, "acknowledge", "Acknowledge", isBoolean, "a boolean") ?? false,
    };
    const header = readNested(map, "header", "Header", readHeader);
    if (header !== undefined) request.header = header;
    const proposal = readNested(map, "proposal", "Proposal", readFragment);
    if (proposal !== undefined) request.proposal = proposal;
    const registers = readNested(map, "registers", "Registers", readLabelSet);
    if (registers !== undefined) request.registers = registers;
    const content = readAs(map, "content", "Content", isBytes, "bytes");
    if (content !== undefined) request.content = content;
    validateReplicateRequest(request);
    return request;
  });
}

/** Decodes and validates a ReplicateResponse; throws ValidationError naming the offending field. */
export function decodeReplicateResponse(value: WireValue): ReplicateResponse {
  return withContext("ReplicateResponse", () => {
    const map = asMap(value);
    const status = readAs(map, "status", "Status", isString, "a string") ?? "OK";
    if (!isStatus(status)) throw new ValidationError(`invalid status (${status})`).extend("Status");
    const response: ReplicateResponse = { status: status as Status };
    const header = readNested(map, "header", "Header", readHeader);
    if (header !== undefined) response.header = header;
    const fragment = readNested(map, "fragment", "Fragment", readFragment);
    if (fragment !== undefined) response.fragment = fragment;
    const registers = readNested(map, "registers", "Registers", readLabelSet);
    if (registers !== undefined) response.registers = registers;
    validateReplicateResponse(response);
    return response;
  });
}

export function encodeReplicateRequest(request: ReplicateRequest): WireValue {
  return toWire(request);
}

export function encodeReplicateResponse(response: ReplicateResponse): WireValue {
  return toWire(response);
}

/** Sends one Replicate message to a peer and returns its answer. */
export type ReplicateTransport = (
  peer: ProcessSpecId,
  request: ReplicateRequest,
  options?: { deadlineMs?: number },
) => Promise<ReplicateResponse>;

/** Maps an APPLICATION refusal back to the typed error it stands for; other errors pass. */
function mapRefusal(error: unknown): unknown {
  if (!(error instanceof RpcError) || error.code !== "APPLICATION") return error;
  const details = error.details as { kind?: unknown; message?: unknown } | null | undefined;
  if (details === null || details === undefined || typeof details !== "object") return error;
  if (details.kind === "validation")
    return new ValidationError(String(details.message), ["peer refused the Replicate message"]);
  if (details.kind === "replicate") return new ErrReplicateRefused(String(details.message));
  return error;
}

/**
 * The client side: sends each message to the endpoint of `peer`
 * ("sim://host:port"; the broker port when it names none).
 */
export function replicateOverRpc(
  env: Env,
  endpointOf: (peer: ProcessSpecId) => string | undefined,
  defaults: { deadlineMs?: number } = {},
): ReplicateTransport {
  return async (peer, request, options) => {
    validateReplicateRequest(request);
    const endpoint = endpointOf(peer);
    if (endpoint === undefined || endpoint === "")
      throw new ErrNoPeerEndpoint(`no endpoint for ${peer.zone}/${peer.suffix}`);
    const parsed = parseEndpoint(endpoint);
    const deadlineMs = options?.deadlineMs ?? defaults.deadlineMs ?? REPLICATE_DEADLINE_MS_DEFAULT;
    let value: WireValue;
    try {
      value = await env.rpc.call(
        parsed.host,
        parsed.port ?? BROKER_PORT,
        REPLICATE_METHOD,
        encodeReplicateRequest(request),
        { deadlineMs },
      );
    } catch (error) {
      throw mapRefusal(error);
    }
    return decodeReplicateResponse(value);
  };
}

/** What serves Replicate on a broker: the peer side of one message. */
export type ReplicateHandler = (request: ReplicateRequest, context: RpcContext) => Promise<ReplicateResponse>;

/** Registers Replicate on `server`: requests are validated before `handler` sees them. */
export function serveReplicate(server: RpcServer, handler: ReplicateHandler): void {
  server.unary(REPLICATE_METHOD, async (value, context) => {
    let request: ReplicateRequest;
    try {
      request = decodeReplicateRequest(value);
    } catch (error) {
      if (error instanceof ValidationError)
        throw new RpcError("APPLICATION", error.message, { kind: "validation", message: error.message });
      throw error;
    }
    try {
      return encodeReplicateResponse(await handler(request, context));
    } catch (error) {
      if (error instanceof ErrReplicateRefused || error instanceof ValidationError) {
        throw new RpcError("APPLICATION", error.message, {
          kind: error instanceof ValidationError ? "validation" : "replicate",
          message: error.message,
        });
      }
      throw error;
    }
  });
}
