/**
 * Invariant (List / Apply): List returns exactly the journals whose labels and
 * meta-labels ("name", "prefix") match the selector, in name order, each with its
 * modRevision and Route, and paging by pageLimit / pageToken yields every match
 * once; Apply changes all-or-nothing in one txn, guarded by expectModRevision
 * (0: must not exist, > 0: must equal, -1: no check), answers
 * ETCD_TRANSACTION_FAILED otherwise, reads its own write before answering, leaves
 * a deleted journal's assignments to the allocator, and refuses more than etcd's
 * 128 changes with a typed error.
 * Broken variants: "page-token-inclusive" and "ignore-expect-mod-revision" are caught.
 * Method: List over a synthetic key space (fast-check over page limits and
 * selectors); Apply against a 3-member etcd cluster.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TXN_OPS } from "../../../../src/impl/etcd/index.ts";
import { assignmentKey, encodeAssignment, KeySpace } from "../../../../src/impl/gazette/broker/keyspace.ts";
import { applyJournals, ErrTooManyChanges, listJournals } from "../../../../src/impl/gazette/broker/list-apply.ts";
import { LIST_APPLY_RULES, type ListApplyBrokenVariant } from "../../../../scenarios/gazette/variants/broker.ts";
import { labelSet, parseLabelSelector } from "../../../../src/impl/gazette/protocol/labels.ts";
import { listRequest, type ApplyRequest } from "../../../../src/impl/gazette/protocol/messages.ts";
import { ValidationError } from "../../../../src/impl/gazette/protocol/validation.ts";
import type { Env } from "../../../../src/sim/env.ts";
import { addHost, createEtcdWorld, etcdClient, etcdReady, onOneHost, runWorld } from "./_support/etcd-world.ts";
import { assignmentKv, brokerSpec, itemKv, journalSpec, memberKv, responseHeader, ROOT } from "./_support/records.ts";

const LOCAL = { zone: "za", suffix: "local" };
const SELECTORS = [
  "",
  "topic=clicks",
  "prefix=a/x/",
  "name=b/four",
  "topic=clicks,env!=dev",
  "!topic",
  "topic in (views,clicks), prefix=a/",
];

function listKeyspace(env: Env): KeySpace {
  const keyspace = new KeySpace(env, etcdClient(env));
  keyspace.reset(
    [
      itemKv(journalSpec("a/x/one", 1, labelSet("topic", "clicks", "env", "prod")), 2),
      itemKv(journalSpec("a/x/two", 1, labelSet("topic", "views", "env", "prod")), 3),
      itemKv(journalSpec("a/y/three", 1, labelSet("topic", "clicks", "env", "dev")), 4),
      itemKv(journalSpec("b/four", 1, labelSet("topic", "clicks")), 5),
      itemKv(journalSpec("b/five", 1), 6),
      memberKv(brokerSpec("za", "local"), 7),
      assignmentKv("a/x/one", LOCAL, 0, 8),
    ],
    responseHeader(8),
  );
  return keyspace;
}

function pagesOf(
  keyspace: KeySpace,
  selector: string,
  pageLimit: number,
  variant?: ListApplyBrokenVariant,
): string[][] {
  const header = keyspace.header(LOCAL, { members: [], primary: -1, endpoints: [] });
  const pages: string[][] = [];
  let pageToken = "";
  for (let page = 0; page < 20; page++) {
    const response = listJournals(
      keyspace,
      listRequest({ selector: parseLabelSelector(selector), pageLimit, pageToken }),
      header,
      variant === undefined ? {} : { rules: LIST_APPLY_RULES[variant] },
    );
    const names = response.journals.map((journal) => journal.spec.name);
    pages.push(names);
    if (response.nextPageToken === "") break;
    expect(response.nextPageToken).toBe(names[names.length - 1]);
    pageToken = response.nextPageToken;
  }
  return pages;
}

function pagingProperty(keyspace: KeySpace, variant?: ListApplyBrokenVariant) {
  return fc.property(fc.constantFrom(...SELECTORS), fc.integer({ min: 1, max: 6 }), (selector, pageLimit) => {
    const all = pagesOf(keyspace, selector, 0)[0] ?? [];
    const pages = pagesOf(keyspace, selector, pageLimit, variant);
    if (JSON.stringify(pages.flat()) !== JSON.stringify(all))
      throw new Error(`pages ${JSON.stringify(pages)} != ${JSON.stringify(all)}`);
    if (pages.length !== Math.max(1, Math.ceil(all.length / pageLimit)))
      throw new Error(`${pages.length} pages of ${pageLimit} for ${all.length}`);
  });
}

describe("listJournals", () => {
  it("selects on labels and meta-labels, in name order, with routes and modRevisions", async () => {
    const result = await onOneHost(1, async (env) => {
      const keyspace = listKeyspace(env);
      const selected = Object.fromEntries(
        SELECTORS.map((selector) => [selector, pagesOf(keyspace, selector, 0)[0]?.join(" ")]),
      );
      const header = keyspace.header(LOCAL, { members: [], primary: -1, endpoints: [] });
      const first = listJournals(keyspace, listRequest({ selector: parseLabelSelector("name=a/x/one") }), header)
        .journals[0];
      let invalid = "accepted";
      try {
        listJournals(keyspace, listRequest({ selector: parseLabelSelector("prefix=a/x") }), header);
      } catch (error) {
        if (error instanceof ValidationError) invalid = error.message;
      }
      return { selected, first: { modRevision: first?.modRevision, route: first?.route }, invalid };
    });
    expect(result.selected).toEqual({
      "": "a/x/one a/x/two a/y/three b/five b/four",
      "topic=clicks": "a/x/one a/y/three b/four",
      "prefix=a/x/": "a/x/one a/x/two",
      "name=b/four": "b/four",
      "topic=clicks,env!=dev": "a/x/one b/four",
      "!topic": "b/five",
      "topic in (views,clicks), prefix=a/": "a/x/one a/x/two a/y/three",
    });
    expect(result.first).toEqual({
      modRevision: 2,
      route: { members: [LOCAL], primary: 0, endpoints: ["sim://local:8080"] },
    });
    expect(result.invalid).toMatch(/expected trailing '\/'/);
  });

  it("pages through every match exactly once (fast-check over selectors and page limits)", async () => {
    await onOneHost(2, async (env) => {
      fc.assert(pagingProperty(listKeyspace(env)), { seed: 1, numRuns: 100 });
    });
  });

  it("catches the page-token-inclusive variant", async () => {
    const failed = await onOneHost(
      3,
      async (env) =>
        fc.check(pagingProperty(listKeyspace(env), "page-token-inclusive"), { seed: 1, numRuns: 100 }).failed,
    );
    expect(failed).toBe(true);
  });
});

async function applyScript(variant: ListApplyBrokenVariant | undefined) {
  const etcd = createEtcdWorld(4);
  const { world } = etcd;
  const record: Record<string, unknown> = {};
  addHost(world, "d1", async (env) => {
    const client = etcdClient(env);
    await etcdReady(env, client);
    const keyspace = new KeySpace(env, client);
    await keyspace.start(env.lifetime.signal);
    const options = { processId: LOCAL, ...(variant !== undefined ? { rules: LIST_APPLY_RULES[variant] } : {}) };
    const apply = async (request: ApplyRequest) => {
      try {
        const response = await applyJournals(client, keyspace, request, options);
        return { status: response.status, revision: response.header.etcd.revision };
      } catch (error) {
        if (error instanceof ValidationError || error instanceof ErrTooManyChanges)
          return { status: error.name, revision: 0 };
        throw error;
      }
    };
    const replicationOf = (name: string) => keyspace.item(name)?.spec.replication ?? 0;
    const created = await apply({ changes: [{ expectModRevision: 0, upsert: journalSpec("jrn/a", 2) }] });
    record.create = created.status;
    record.readOwnWrite = keyspace.item("jrn/a")?.modRevision === created.revision;
    record.createAgain = (await apply({ changes: [{ expectModRevision: 0, upsert: journalSpec("jrn/a", 1) }] })).status;
    const updated = await apply({
      changes: [{ expectModRevision: created.revision, upsert: journalSpec("jrn/a", 3) }],
    });
    record.update = `${updated.status} r${replicationOf("jrn/a")}`;
    record.stale = `${(await apply({ changes: [{ expectModRevision: created.revision, upsert: journalSpec("jrn/a", 1) }] })).status} r${replicationOf("jrn/a")}`;
    const forced = await apply({ changes: [{ expectModRevision: -1, upsert: journalSpec("jrn/a", 2) }] });
    record.unchecked = `${forced.status} r${replicationOf("jrn/a")}`;
    record.atomic = `${
      (
        await apply({
          changes: [
            { expectModRevision: 0, upsert: journalSpec("jrn/b", 1) },
            { expectModRevision: updated.revision, upsert: journalSpec("jrn/a", 1) },
          ],
        })
      ).status
    } b=${keyspace.item("jrn/b") !== undefined}`;
    await client.put(assignmentKey(ROOT, "jrn/a", LOCAL), encodeAssignment(0));
    record.deleteStale = (await apply({ changes: [{ expectModRevision: updated.revision, delete: "jrn/a" }] })).status;
    record.delete = `${(await apply({ changes: [{ expectModRevision: forced.revision, delete: "jrn/a" }] })).status} item=${keyspace.item("jrn/a") !== undefined} assignments=${keyspace.assignments("jrn/a").length}`;
    record.deleteZero = (await apply({ changes: [{ expectModRevision: 0, delete: "jrn/b" }] })).status;
    record.duplicate = (
      await apply({
        changes: [
          { expectModRevision: -1, upsert: journalSpec("jrn/c", 1) },
          { expectModRevision: -1, delete: "jrn/c" },
        ],
      })
    ).status;
    record.tooMany = (
      await apply({
        changes: Array.from({ length: MAX_TXN_OPS + 1 }, (_, index) => ({
          expectModRevision: -1,
          upsert: journalSpec(`jrn/m${index}`, 1),
        })),
      })
    ).status;
    record.done = true;
  });
  const problems = await runWorld(etcd, 30_000, () => record.done === true);
  return { problems, record };
}

describe("applyJournals", () => {
  it("changes all-or-nothing under expectModRevision, reads its own write, leaves assignments to the allocator", async () => {
    const { problems, record } = await applyScript(undefined);
    expect(problems).toEqual([]);
    expect(record).toEqual({
      create: "OK",
      readOwnWrite: true,
      createAgain: "ETCD_TRANSACTION_FAILED",
      update: "OK r3",
      stale: "ETCD_TRANSACTION_FAILED r3",
      unchecked: "OK r2",
      atomic: "ETCD_TRANSACTION_FAILED b=false",
      deleteStale: "ETCD_TRANSACTION_FAILED",
      delete: "OK item=false assignments=1",
      deleteZero: "ValidationError",
      duplicate: "ValidationError",
      tooMany: "ErrTooManyChanges",
      done: true,
    });
  });

  it("catches the ignore-expect-mod-revision variant", async () => {
    const { record } = await applyScript("ignore-expect-mod-revision");
    expect(record.createAgain).toBe("OK");
    expect(record.stale).toBe("OK r1");
  });
});
