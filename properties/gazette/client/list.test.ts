/**
 * Invariant: a PolledList's list is the result of its most recent poll, and its
 * update signal fires after each poll, so a change to the journal set is seen
 * within one interval of it. The listing helpers join every page
 * (ListAllJournals, ListAllFragments), GetJournal finds a journal or says it does
 * not exist, and ApplyJournalsInBatches may partly succeed, as documented.
 *
 * Method: fast-check generates changes to the journal set (created, deleted,
 * relabelled) at times between polls; the client waits for each update signal
 * and records the list, which must equal the selected journals of the store at
 * that time, and every change must be seen. Broken variants: a PolledList that
 * never signals, and one that keeps its first listing. Examples cover the
 * helpers against the model brokers.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  applyJournals,
  applyJournalsInBatches,
  getJournal,
  listAllFragments,
  listAllJournals,
} from "../../../src/impl/gazette/client/list.ts";
import { polledListOf, type PolledListBrokenVariant } from "../../../scenarios/gazette/variants/client.ts";
import { ErrJournalNotFound } from "../../../src/impl/gazette/client/errors.ts";
import {
  labelSet,
  parseLabelSelector,
  selectorMatches,
  unionLabelSets,
} from "../../../src/impl/gazette/protocol/labels.ts";
import { journalMetaLabels } from "../../../src/impl/gazette/protocol/journal-spec.ts";
import { fragmentsRequest, listRequest } from "../../../src/impl/gazette/protocol/messages.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { runGazette } from "../_support/gazette-world.ts";
import { brokerRoute, journalSpec, ModelStore } from "../_support/model-store.ts";

const BROKERS = ["broker-a"];
const SELECTOR = "logs=clicks, source=mobile";
const INTERVAL_MS = 1000;
const NAMES = ["logs/a/part-0", "logs/b/part-0", "logs/c/part-0", "logs/d/part-0"];

const labelChoices = [
  labelSet("logs", "clicks", "source", "mobile"),
  labelSet("logs", "clicks", "source", "web"),
  labelSet("logs", "views", "source", "mobile"),
];

const change = fc.record({
  name: fc.constantFrom(...NAMES),
  labels: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
});
const pollCase = fc.record({ seed: fc.nat(1000), changes: fc.array(change, { minLength: 1, maxLength: 6 }) });

function selectedNames(store: ModelStore): string[] {
  const selector = parseLabelSelector(SELECTOR);
  return [...store.journals.values()]
    .filter((journal) =>
      selectorMatches(selector, unionLabelSets(journal.spec.labels, journalMetaLabels(journal.spec.name))),
    )
    .map((journal) => journal.spec.name)
    .sort();
}

function pollProperty(variant?: PolledListBrokenVariant) {
  return fc.asyncProperty(pollCase, async (input) => {
    const store = new ModelStore();
    store.createJournal(journalSpec("logs/a/part-0", "NONE", labelChoices[0]!), brokerRoute(BROKERS, "broker-a"));
    const expectedAfterChange: string[][] = [];
    const run = await runGazette({
      seed: input.seed,
      store,
      brokers: BROKERS,
      client: async ({ env, client }) => {
        const controller = new AbortController();
        const list = await polledListOf(variant).create(
          env,
          client,
          INTERVAL_MS,
          listRequest({ selector: parseLabelSelector(SELECTOR) }),
          { signal: controller.signal },
        );
        const seen: Array<{ names: string[]; expected: string[] }> = [];
        for (const [index, step] of input.changes.entries()) {
          // Change the journal set halfway between polls, then wait for the next update.
          await env.clock.sleep(index === 0 ? INTERVAL_MS / 2 : 0);
          if (step.labels === undefined) store.journals.delete(step.name);
          else if (store.journals.has(step.name))
            store.journals.get(step.name)!.spec = journalSpec(step.name, "NONE", labelChoices[step.labels]!);
          else
            store.createJournal(
              journalSpec(step.name, "NONE", labelChoices[step.labels]!),
              brokerRoute(BROKERS, "broker-a"),
            );
          store.revision++;
          expectedAfterChange.push(selectedNames(store));
          const woke = await Promise.race([
            list.waitForUpdate().then(() => true),
            env.clock.sleep(3 * INTERVAL_MS).then(() => false),
          ]);
          if (!woke) throw new Error(`no update signal within ${3 * INTERVAL_MS} ms of change ${index}`);
          seen.push({
            names: list
              .list()
              .journals.map((journal) => journal.spec.name)
              .sort(),
            expected: selectedNames(store),
          });
          await env.clock.sleep(INTERVAL_MS / 2);
        }
        controller.abort();
        return seen;
      },
    });
    if (run.error !== undefined) throw run.error instanceof Error ? run.error : new Error(String(run.error));
    for (const [index, observation] of (run.result ?? []).entries()) {
      expect(observation.names, `list after change ${index}`).toEqual(observation.expected);
      expect(observation.names).toEqual(expectedAfterChange[index]);
    }
  });
}

describe("gazette client: PolledList", () => {
  it("signals after each poll, and lists what the last poll saw", async () => {
    await fc.assert(pollProperty(), propertyParameters("gazette-polled-list", 30));
  });

  for (const variant of ["no-update-signal", "keep-first-listing"] as const) {
    it(`fails on the ${variant} variant`, async () => {
      const details = await fc.check(pollProperty(variant), {
        ...propertyParameters("gazette-polled-list", 30),
        reporter: undefined,
        endOnFailure: true,
      });
      expect(details.failed).toBe(true);
    });
  }
});

describe("gazette client: listing and applying journals and fragments", () => {
  it("joins pages, gets journals, applies changes and reports a partial batch failure", async () => {
    const store = new ModelStore();
    for (const name of NAMES)
      store.createJournal(journalSpec(name, "NONE", labelChoices[0]!), brokerRoute(BROKERS, "broker-a"));
    store.fill(
      "logs/a/part-0",
      [1, 2, 3, 4, 5].map((size) => new Uint8Array(size)),
    );
    const run = await runGazette({
      seed: 3,
      store,
      brokers: BROKERS,
      client: async ({ client, router }) => {
        const all = await listAllJournals(client, listRequest({ pageLimit: 3 }));
        const selected = await listAllJournals(client, listRequest({ selector: parseLabelSelector("prefix=logs/a/") }));
        const spec = await getJournal(client, "logs/b/part-0");
        const missing = await getJournal(client, "logs/zz/part-0").catch((error: unknown) => error);
        const fragments = await listAllFragments(client, fragmentsRequest({ journal: "logs/a/part-0", pageLimit: 2 }));
        const created = await applyJournals(client, {
          changes: [{ expectModRevision: 0, upsert: journalSpec("new/journal/one") }],
        });
        const revision = store.journals.get("logs/c/part-0")!.modRevision;
        const partial = await applyJournalsInBatches(
          client,
          {
            changes: [
              { expectModRevision: 0, upsert: journalSpec("new/journal/two") },
              { expectModRevision: 0, upsert: journalSpec("new/journal/three") },
              { expectModRevision: revision + 100, delete: "logs/c/part-0" },
            ],
          },
          2,
        ).catch((error: unknown) => error);
        return {
          all,
          selected,
          spec,
          missing,
          fragments,
          created,
          partial,
          cachedRoute: router.route("logs/d/part-0"),
        };
      },
    });
    expect(run.error).toBeUndefined();
    const result = run.result!;
    expect(result.all.journals.map((journal) => journal.spec.name)).toEqual([...NAMES].sort());
    expect(result.all.nextPageToken).toBe("");
    expect(result.selected.journals.map((journal) => journal.spec.name)).toEqual(["logs/a/part-0"]);
    expect(result.spec.name).toBe("logs/b/part-0");
    expect(result.missing).toBeInstanceOf(ErrJournalNotFound);
    expect(result.fragments.fragments.map((fragment) => fragment.spec.end)).toEqual([1, 3, 6, 10, 15]);
    expect(result.created.status).toBe("OK");
    expect(store.journals.has("new/journal/one")).toBe(true);
    expect(String(result.partial)).toMatch(/ETCD_TRANSACTION_FAILED \(after 2 changes were applied\)/);
    expect(
      store.journals.has("new/journal/two") &&
        store.journals.has("new/journal/three") &&
        store.journals.has("logs/c/part-0"),
    ).toBe(true);
    expect(result.cachedRoute).toEqual(brokerRoute(BROKERS, "broker-a")); // ListAllJournals feeds routes to the router.
  });
});
