/**
 * The core refuses options it cannot run with, each with an AssertionError naming
 * the option (bad configuration is a programmer error, caught at construction):
 * an empty id, an election timeout below 2 ticks or not an integer, heartbeats not
 * more frequent than elections, a non-positive or fractional append size, in-flight
 * window, snapshot threshold or resend interval, and a negative or fractional
 * trailing log; the smallest valid values are accepted. Written because mutation
 * testing found the validation unchecked.
 */
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../src/sim/assert.ts";
import { resolveCoreOptions, type CoreOptions } from "../../src/impl/raft/core/index.ts";
import { LONGEST } from "./_support/hand-stepped.ts";

const valid: CoreOptions = {
  id: "n1",
  random: LONGEST,
  electionTimeoutTicks: 2,
  heartbeatIntervalTicks: 1,
  maxEntriesPerAppend: 1,
  maxInflightAppends: 1,
  snapshotThresholdEntries: 1,
  trailingLogEntries: 0,
  snapshotResendTicks: 1,
};

describe("core options", () => {
  it("accepts the smallest valid values", () => {
    expect(resolveCoreOptions(valid)).toMatchObject({
      electionTimeoutTicks: 2,
      heartbeatIntervalTicks: 1,
      trailingLogEntries: 0,
    });
  });

  const refused: Array<[Partial<CoreOptions>, RegExp]> = [
    [{ id: "" }, /server id must not be empty/],
    [{ electionTimeoutTicks: 1 }, /electionTimeoutTicks/],
    [{ electionTimeoutTicks: 2.5 }, /electionTimeoutTicks/],
    [{ electionTimeoutTicks: 3, heartbeatIntervalTicks: 3 }, /heartbeats must come more often/],
    [{ heartbeatIntervalTicks: 0 }, /heartbeatIntervalTicks/],
    [{ maxEntriesPerAppend: 0 }, /maxEntriesPerAppend/],
    [{ maxInflightAppends: 1.5 }, /maxInflightAppends/],
    [{ snapshotThresholdEntries: 0 }, /snapshotThresholdEntries/],
    [{ trailingLogEntries: -1 }, /trailingLogEntries/],
    [{ trailingLogEntries: 0.5 }, /trailingLogEntries/],
    [{ snapshotResendTicks: 0 }, /snapshotResendTicks/],
  ];
  for (const [change, message] of refused) {
    it(`refuses ${JSON.stringify(change)}`, () => {
      expect(() => resolveCoreOptions({ ...valid, ...change })).toThrow(AssertionError);
      expect(() => resolveCoreOptions({ ...valid, ...change })).toThrow(message);
    });
  }
});
