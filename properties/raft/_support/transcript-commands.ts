/**
 * The command language of Raft core transcripts (after etcd raft's
 * rafttest/interaction_env_handler.go). Node ids are 1, 2, 3, ...; options use the
 * core's own names (CoreOptions).
 *
 *   add-nodes <count> [electionTimeoutTicks=3 preVote=false ... seed=1]
 *                                    first call: a cluster of nodes 1..count, each
 *                                    bootstrapped with entry 1/1 naming them all;
 *                                    later calls: empty servers, to be added
 *   tick <id> [count]                tick the core
 *   tick-heartbeat <id>              tick one heartbeat interval
 *   tick-election <id>               a leader: one election timeout of ticks; any
 *                                    other node: until its election timer fires
 *   campaign <id>                    tick a non-leader until its election timer
 *                                    fires (the core has no call that starts one)
 *   propose <id> <text>              propose a command
 *   propose-conf-change <id> add-voter|remove-server <server>
 *   transfer-leadership <id> [to=<id>]
 *   process-ready <id>...            carry out the pending Readies, printing each
 *   deliver-msgs [<to>...] [from=<id>] [type=<message type>] [drop=(<to>,...)]
 *                                    deliver (or drop) the messages in flight
 *   drop [from=<id>] [to=<id>] [type=<message type>]
 *   stabilize [<id>...]              process Readies and deliver messages until quiet
 *   partition (<id>,...) ...         cut the groups off from each other (the nodes in
 *                                    none form one more group); isolate <id>...; heal
 *   restart <id>                     crash and restart from the durable state
 *   status <id>, raft-log <id>, raft-state
 *   log-level none|all               none: print only errors and safety violations
 */
import type { RaftError } from "../../../src/impl/raft/errors.ts";
import type { CommandArgument, ParsedCommand } from "../../../src/impl/raft/testing/transcript-file.ts";
import type { CoreTuning } from "./core-cluster.ts";
import type { MessageFilter, TranscriptEnv } from "./transcript-env.ts";

type Handler = (env: TranscriptEnv, command: Arguments) => void;

/** Options `add-nodes` takes, by their CoreOptions name: integers, or booleans. */
const INTEGER_OPTIONS = [
  "electionTimeoutTicks",
  "heartbeatIntervalTicks",
  "maxEntriesPerAppend",
  "maxInflightAppends",
  "snapshotThresholdEntries",
  "trailingLogEntries",
  "snapshotResendTicks",
] as const;
const BOOLEAN_OPTIONS = ["preVote", "checkQuorum"] as const;

/** A command's arguments, read by position and by key. */
class Arguments {
  constructor(private readonly command: ParsedCommand) {}

  /** Every argument without a key and with one value (node ids, counts, words). */
  get words(): string[] {
    return this.unkeyed()
      .filter((values) => values.length === 1)
      .map((values) => values[0] as string);
  }

  /** Every argument without a key written as a list `(a,b)`. */
  get lists(): string[][] {
    return this.unkeyed().filter((values) => values.length !== 1);
  }

  private unkeyed(): string[][] {
    return this.command.arguments
      .filter((argument) => argument.key === undefined)
      .map((argument) => [...argument.values]);
  }

  word(position: number, what: string): string {
    const word = this.words[position];
    if (word === undefined) throw new Error(`${this.command.name}: missing ${what}`);
    return word;
  }

  integer(position: number, what: string, fallback?: number): number {
    if (this.words[position] === undefined && fallback !== undefined) return fallback;
    return toInteger(this.word(position, what), what);
  }

  keyed(): CommandArgument[] {
    return this.command.arguments.filter((argument) => argument.key !== undefined);
  }

  value(key: string): string | undefined {
    const argument = this.command.arguments.find((candidate) => candidate.key === key);
    if (argument !== undefined && argument.values.length !== 1) throw new Error(`${key}: one value expected`);
    return argument?.values[0];
  }

  list(key: string): string[] {
    return [...(this.command.arguments.find((candidate) => candidate.key === key)?.values ?? [])];
  }

  /** Fails on a key the command does not take. */
  only(...keys: readonly string[]): void {
    for (const argument of this.keyed()) {
      if (!keys.includes(argument.key as string)) throw new Error(`${this.command.name} takes no ${argument.key}=`);
    }
  }
}

function toInteger(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${what}: not an integer: ${text}`);
  return value;
}

function formatRefusal(error: RaftError): string {
  return `refused: ${error.name}: ${error.message}`;
}

/** Messages picked by `from=`, `to=` and `type=` (each optional). */
function messageFilter(command: Arguments, recipients: readonly string[] = []): MessageFilter {
  const from = command.value("from");
  const to = command.value("to");
  const type = command.value("type");
  return (message) =>
    (from === undefined || message.from === from) &&
    (to === undefined || message.to === to) &&
    (recipients.length === 0 || recipients.includes(message.to)) &&
    (type === undefined || message.type === type);
}

function addNodes(env: TranscriptEnv, command: Arguments): void {
  command.only("seed", ...INTEGER_OPTIONS, ...BOOLEAN_OPTIONS);
  const tuning: Record<string, number | boolean> = {};
  for (const name of INTEGER_OPTIONS) {
    const value = command.value(name);
    if (value !== undefined) tuning[name] = toInteger(value, name);
  }
  for (const name of BOOLEAN_OPTIONS) {
    const value = command.value(name);
    if (value !== undefined && value !== "true" && value !== "false")
      throw new Error(`${name}: true or false, not ${value}`);
    if (value !== undefined) tuning[name] = value === "true";
  }
  env.addNodes(
    command.integer(0, "a node count"),
    tuning as CoreTuning,
    toInteger(command.value("seed") ?? "1", "seed"),
  );
}

function tickElection(env: TranscriptEnv, command: Arguments): void {
  const id = command.word(0, "a node");
  if (env.node(id).core.status().role === "leader") env.tick(id, env.electionTimeoutTicks);
  else env.tickUntilElection(id);
}

function campaign(env: TranscriptEnv, command: Arguments): void {
  const id = command.word(0, "a node");
  if (env.node(id).core.status().role === "leader") throw new Error(`${id} leads: a leader does not campaign`);
  env.tickUntilElection(id);
}

function propose(env: TranscriptEnv, command: Arguments): void {
  const outcome = env.cluster.proposeCommand(
    command.word(0, "a node"),
    new TextEncoder().encode(command.word(1, "a command")),
  );
  env.write(outcome.ok ? `accepted at ${outcome.index}/${outcome.term}` : formatRefusal(outcome.error));
}

function proposeConfChange(env: TranscriptEnv, command: Arguments): void {
  const kind = command.word(1, "add-voter or remove-server");
  if (kind !== "add-voter" && kind !== "remove-server")
    throw new Error(`propose-conf-change: add-voter or remove-server, not ${kind}`);
  const error = env.cluster.changeConfiguration(command.word(0, "a node"), { kind, id: command.word(2, "a server") });
  env.write(error === undefined ? "accepted" : formatRefusal(error));
}

function transferLeadership(env: TranscriptEnv, command: Arguments): void {
  command.only("to");
  const error = env.cluster.transfer(command.word(0, "a node"), command.value("to"));
  env.write(error === undefined ? "accepted" : formatRefusal(error));
}

function deliverMsgs(env: TranscriptEnv, command: Arguments): void {
  command.only("from", "type", "drop");
  const dropped = command.list("drop");
  const recipients = command.words.length > 0 ? command.words : env.cluster.ids.filter((id) => !dropped.includes(id));
  let handled = 0;
  if (dropped.length > 0) handled += env.drop(messageFilter(command, dropped));
  if (recipients.length > 0) handled += env.deliver(messageFilter(command, recipients));
  if (handled === 0) env.write("no messages");
}

function drop(env: TranscriptEnv, command: Arguments): void {
  command.only("from", "to", "type");
  if (env.drop(messageFilter(command)) === 0) env.write("no messages");
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  "add-nodes": addNodes,
  tick: (env, command) => env.tick(command.word(0, "a node"), command.integer(1, "a tick count", 1)),
  "tick-heartbeat": (env, command) => env.tick(command.word(0, "a node"), env.heartbeatIntervalTicks),
  "tick-election": tickElection,
  campaign,
  propose,
  "propose-conf-change": proposeConfChange,
  "transfer-leadership": transferLeadership,
  "process-ready": (env, command) => env.processReady(command.words),
  "deliver-msgs": deliverMsgs,
  drop,
  stabilize: (env, command) => env.stabilize(command.words.length > 0 ? command.words : env.cluster.ids),
  partition: (env, command) => env.partition(command.lists),
  isolate: (env, command) => env.partition(command.words.map((id) => [id])),
  heal: (env) => env.heal(),
  restart: (env, command) => env.restart(command.word(0, "a node")),
  status: (env, command) => env.status(command.word(0, "a node")),
  "raft-log": (env, command) => env.describeDurable(command.word(0, "a node"), `${command.word(0, "a node")}:`),
  "raft-state": (env) => env.raftState(),
  "log-level": (env, command) => env.setLogLevel(command.word(0, "none or all")),
};

/** Runs one command; its output goes to `env`. Throws on a command or argument it does not know. */
export function runCommand(env: TranscriptEnv, command: ParsedCommand): void {
  const handler = HANDLERS[command.name];
  if (handler === undefined) throw new Error(`unknown command ${command.name}`);
  handler(env, new Arguments(command));
}
