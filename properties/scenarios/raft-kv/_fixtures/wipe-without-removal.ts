/**
 * A deliberately broken operator, never used by the scenarios: it wipes a server
 * whose disk cannot be read and starts it again under its old identity, as a
 * member of the cluster it bootstrapped, without removing it first (an operator
 * who deletes the data directory and restarts the process). The empty server
 * forgets the entries it acknowledged and the votes it cast, so a laggard can win
 * an election with its vote and lose committed writes.
 */
import { WipeAndRejoin, type RejoinStep } from "../../../../scenarios/harness/wipe-and-rejoin.ts";

export class WipeWithoutRemoval extends WipeAndRejoin {
  protected override steps(): readonly RejoinStep[] {
    return ["wipe"];
  }
}
