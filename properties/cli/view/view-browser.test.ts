/**
 * The viewer page in a real browser: headless Chromium through playwright-core,
 * loading the page from a file:// URL (src/cli/view/page-html.ts, client/).
 *
 * Invariants, one sentence each:
 * - The page of a failing run renders a lane per host, the run's messages as arrows, and its violation, with no script
 *   error.
 * - The event list and the diagram select together: a row selects its event in the diagram, the violation button
 *   selects the violation's row.
 * - Search and host filters narrow the list and the diagram.
 * - A 100,000-record trace makes a page under 15 MB that loads and renders, with a list of a few dozen rows in the
 *   page, not one per record.
 * - With 15 hosts every lane is reachable: scrolled to, under an axis that stays on top, or all fitted in view; a lane
 *   collapses to a strip and back; arrows carry their RPC method.
 * - A linearizability violation is one line, with its prefix and unplaceable operation on demand; the Violation button
 *   goes to that operation (not to the final check), marks the prefix and fades the other keys' operations.
 *
 * Runs wherever /usr/bin/chromium exists, and always in CI (.ci/run installs it);
 * elsewhere it is skipped with a message. It saves out/view-screenshot.png.
 */
import { existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { viewCommand } from "../../../src/cli/commands/view.ts";
import { main } from "../../../src/cli/main.ts";
import { writeOutputFile } from "../../../src/cli/output-files.ts";
import { buildDiagramModel } from "../../../src/cli/view/diagram-model.ts";
import { viewPageHtml } from "../../../src/cli/view/page-html.ts";
import { MANY_HOSTS, manyHostsTrace } from "./_support/many-hosts-trace.ts";
import { CHECK_TIME_MS, KEY_IDS, LINEARIZED_IDS, linearizabilityTrace } from "./_support/linearizability-trace.ts";
import { syntheticTrace } from "./_support/synthetic-trace.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGUMENTS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = resolve("out/view-screenshot.png");
const VIEWPORT = { width: 1600, height: 1000 };
const LARGE_TRACE_RECORDS = 100_000;
const LARGE_PAGE_BYTES_MAX = 15 * 1024 * 1024;

const runsHere = existsSync(CHROMIUM) || process.env.CI !== undefined;
if (!runsHere)
  console.warn(
    `view-browser: skipped: ${CHROMIUM} is absent (apt-get install chromium to run these tests; CI always runs them)`,
  );

const scratch = mkdtempSync(join(tmpdir(), "dst-view-browser-"));
const quiet = { out: () => {}, err: () => {} };

interface DstViewSummary {
  ready: boolean;
  lanes: string[];
  events: number;
  messages: number;
  messagesDelivered: number;
  violations: Array<{ invariant: string; time: number; host: string; unplaceable: number; linearized: number }>;
}

async function openPage(browser: Browser, path: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(pathToFileURL(path).href);
  await page.waitForFunction(
    () => (globalThis as unknown as { __dstView?: { ready: boolean } }).__dstView?.ready === true,
    undefined,
    { timeout: 60_000 },
  );
  return page;
}

const summaryOf = (page: Page) =>
  page.evaluate(() => {
    const view = (globalThis as unknown as { __dstView: DstViewSummary & { drawn(): Record<string, number> } })
      .__dstView;
    return { ...view, drawn: view.drawn() };
  });
const call = <T>(page: Page, method: string, ...args: unknown[]) =>
  page.evaluate(
    ([name, parameters]) =>
      (globalThis as unknown as { __dstView: Record<string, (...values: unknown[]) => unknown> }).__dstView[
        name as string
      ]?.(...(parameters as unknown[])),
    [method, args] as const,
  ) as Promise<T>;

describe.skipIf(!runsHere)(`view page in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let failingPage = "";

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGUMENTS });
    const tracePath = join(scratch, "failing.jsonl");
    expect(
      await main(
        [
          "run",
          "counter-quorum",
          "--seed",
          "3",
          "--variant",
          "ack-before-fsync",
          "--trace",
          tracePath,
          "--out",
          scratch,
        ],
        quiet,
      ),
    ).toBe(1);
    failingPage = join(scratch, "failing.html");
    await viewCommand(
      join(scratch, "counter-quorum-seed-3-ack-before-fsync.counterexample.json"),
      { output: failingPage },
      quiet,
    );
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("counter-quorum seed 3 ack-before-fsync: hosts, messages and the violation render", async () => {
    const errors: string[] = [];
    const page = await openPage(browser, failingPage, errors);
    const summary = await summaryOf(page);
    expect(summary.lanes).toEqual(["(world)", "n1", "n2", "n3", "client"]);
    expect(await page.locator(".lane-label strong").allTextContents()).toEqual(["world", "n1", "n2", "n3", "client"]);
    expect(summary.messages).toBeGreaterThan(1000);
    expect(summary.messagesDelivered).toBeGreaterThan(1000);
    expect(summary.drawn.messages).toBe(summary.messages);
    expect(summary.drawn.events).toBeGreaterThan(500);
    expect(summary.drawn.lanes).toBe(5);
    expect(summary.violations.map((violation) => violation.invariant)).toEqual(["counter.acknowledged-write-lost"]);
    expect(summary.drawn.violations).toBe(1);
    await expect(page.locator(".violation-banner").textContent()).resolves.toMatch(
      /safety violation: counter\.acknowledged-write-lost/,
    );
    expect(await page.locator("#dst-view").getAttribute("data-violations")).toBe("1");
    mkdirSync("out", { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the list and the diagram select together", async () => {
    const errors: string[] = [];
    const page = await openPage(browser, failingPage, errors);
    await page.click("#zoom-violation");
    const selected = await call<number>(page, "selected");
    await expect(page.locator(".event-row.selected .cell-kind").textContent()).resolves.toBe("violation");
    await expect(page.locator("#details h3").textContent()).resolves.toBe("violation");
    const view = await call<{ start: number; end: number }>(page, "view");
    const summary = await summaryOf(page);
    const violationTime = summary.violations[0]?.time ?? Number.NaN;
    expect(view.start).toBeLessThan(violationTime);
    expect(view.end).toBeGreaterThan(violationTime);
    const row = page.locator(".event-row").nth(2);
    const position = Number(await row.getAttribute("data-position"));
    await row.click();
    expect(await call<number>(page, "selected")).toBe(position);
    expect(position).not.toBe(selected);
    await expect(page.locator("#details h3").textContent()).resolves.toBe(
      await row.locator(".cell-kind").textContent(),
    );
    const canvas = await page.locator("#diagram-canvas").boundingBox();
    const world = await page.locator('.lane-label[data-lane="(world)"]').boundingBox();
    if (canvas === null || world === null) throw new Error("no diagram on the page");
    const x = canvas.x + ((violationTime - view.start) / (view.end - view.start)) * canvas.width;
    await page.mouse.click(x, world.y + world.height / 2);
    expect(await call<number>(page, "selected")).toBe(selected);
    await expect(page.locator(".event-row.selected .cell-kind").textContent()).resolves.toBe("violation");
    await page.screenshot({ path: resolve("out/view-screenshot-violation.png") });
    await page.mouse.move(x, world.y + world.height / 2);
    await page.mouse.wheel(0, -400);
    await expect
      .poll(async () => {
        const zoomed = await call<{ start: number; end: number }>(page, "view");
        return zoomed.end - zoomed.start;
      })
      .toBeLessThan((view.end - view.start) * 0.8);
    await page.click("#zoom-fit");
    await expect.poll(async () => (await call<{ start: number; end: number }>(page, "view")).start).toBeLessThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("search and host filters narrow the list and the diagram", async () => {
    const errors: string[] = [];
    const page = await openPage(browser, failingPage, errors);
    const total = await call<number>(page, "filtered");
    await page.fill("#search", "app.client.ok");
    await page.press("#search", "Enter");
    await expect.poll(() => call<number>(page, "filtered")).toBe(478);
    await expect(page.locator("#list-count").textContent()).resolves.toMatch(/^478 of /);
    await page.fill("#search", "");
    await page.press("#search", "Enter");
    await expect.poll(() => call<number>(page, "filtered")).toBe(total);
    await page.uncheck('#host-filters input[data-lane="client"]');
    await expect.poll(async () => (await summaryOf(page)).drawn.lanes).toBe(4);
    expect(await call<number>(page, "filtered")).toBeLessThan(total);
    expect(await page.locator(".lane-label strong").allTextContents()).toEqual(["world", "n1", "n2", "n3"]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it(`a ${LARGE_TRACE_RECORDS.toLocaleString("en")}-record trace stays small and usable`, async () => {
    const records = syntheticTrace({ records: LARGE_TRACE_RECORDS });
    const path = join(scratch, "large.html");
    writeOutputFile(path, viewPageHtml(buildDiagramModel(records, "large")), "page");
    expect(statSync(path).size).toBeLessThan(LARGE_PAGE_BYTES_MAX);
    const errors: string[] = [];
    const page = await openPage(browser, path, errors);
    const summary = await summaryOf(page);
    expect(summary.events).toBe(records.length);
    expect(summary.drawn.events).toBeGreaterThan(1000);
    expect(summary.drawn.messages).toBeGreaterThan(10_000);
    expect(await page.locator(".event-row").count()).toBeLessThan(200);
    await call(page, "showRange", 1000, 1100);
    expect((await summaryOf(page)).drawn.messages).toBeGreaterThan(0);
    await page.locator("#event-list").evaluate((element) => element.scrollTo(0, element.scrollHeight));
    await expect.poll(() => page.locator(".event-row:visible .cell-kind").last().textContent()).toBe("violation");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a linearizability violation: one line, details on demand, the button goes to the operation that cannot be placed", async () => {
    const path = join(scratch, "linearizability.html");
    writeOutputFile(path, viewPageHtml(buildDiagramModel(linearizabilityTrace(), "linearizability")), "page");
    const errors: string[] = [];
    const page = await openPage(browser, path, errors);
    const banner = page.locator(".violation-banner");
    await expect(banner.locator("summary").textContent()).resolves.toMatch(
      /kv\.linearizable — not linearizable \(kv, key "x"\): after 3 linearized operations, read by c2 at 20\.000 ms cannot be placed · checked at 5\D000\.000 ms/,
    );
    expect((await banner.locator("summary").boundingBox())?.height).toBeLessThan(30);
    expect(await banner.evaluate((element) => (element as unknown as { open: boolean }).open)).toBe(false);
    await banner.locator("summary strong").click();
    await expect(banner.locator(".violation-details ol li").count()).resolves.toBe(LINEARIZED_IDS.length);
    await expect(banner.locator(".violation-details li.unplaceable").textContent()).resolves.toMatch(
      /^#5 read by c2: key=x value=null → output=1 \(20\.000 – 40\.000 ms\)/,
    );
    await page.click("#zoom-violation");
    const summary = await summaryOf(page);
    const unplaceable = summary.violations[0]?.unplaceable ?? -1;
    expect(await call<number>(page, "selected")).toBe(await call<number>(page, "operationInvoke", unplaceable));
    await expect(page.locator("#details h3").textContent()).resolves.toBe("app.client.invoke");
    await expect(page.locator("#details").textContent()).resolves.toMatch(
      /cannot be placed after the 3 linearized operations/,
    );
    const view = await call<{ start: number; end: number }>(page, "view");
    expect(view.start).toBeLessThan(20);
    expect(view.end).toBeGreaterThan(20);
    expect(view.end).toBeLessThan(CHECK_TIME_MS);
    expect(await call<number>(page, "focused")).toBe(KEY_IDS.length);
    expect((await summaryOf(page)).drawn.marked).toBe(KEY_IDS.length);
    await banner.locator(".violation-details ol li").first().locator("button").click();
    expect(await call<number>(page, "selected")).toBe(await call<number>(page, "operationInvoke", 0));
    await page.screenshot({ path: resolve("out/view-screenshot-linearizability.png") });
    await page.click("#zoom-fit");
    expect(await call<number>(page, "focused")).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("15 hosts: every lane reachable (scrolled under a fixed axis, or all fitted), lanes collapse, arrows labelled with their method", async () => {
    const path = join(scratch, "many-hosts.html");
    writeOutputFile(path, viewPageHtml(buildDiagramModel(manyHostsTrace(2_000), "many hosts")), "page");
    const errors: string[] = [];
    const page = await openPage(browser, path, errors);
    const scroller = page.locator("#diagram-scroller");
    const visible = async (name: string) => {
      const box = await page.locator(`.lane-label[data-lane="${name}"]`).boundingBox();
      const frame = await scroller.boundingBox();
      return box !== null && frame !== null && box.y >= frame.y - 1 && box.y + box.height <= frame.y + frame.height + 1;
    };
    const last = MANY_HOSTS[MANY_HOSTS.length - 1] as string;
    expect(await visible(last), "15 lanes at full height overflow this window").toBe(false);
    const scrollTop = await scroller.evaluate((element) => {
      element.scrollTop = element.scrollHeight;
      return element.scrollTop;
    });
    expect(scrollTop).toBeGreaterThan(0);
    await expect.poll(() => visible(last)).toBe(true);
    await expect.poll(async () => (await summaryOf(page)).drawn.axisTop).toBe(scrollTop);
    await expect(
      page
        .locator(".axis-label")
        .boundingBox()
        .then((box) => box?.y),
    ).resolves.toBeCloseTo((await scroller.boundingBox())?.y ?? 0, 0);
    await page.click("#fit-lanes");
    await expect.poll(() => scroller.evaluate((element) => element.scrollHeight <= element.clientHeight)).toBe(true);
    for (const name of MANY_HOSTS) expect(await visible(name), name).toBe(true);
    await page.click('.lane-label[data-lane="broker-3"]');
    await expect
      .poll(async () => (await page.locator('.lane-label[data-lane="broker-3"]').boundingBox())?.height)
      .toBeLessThan(20);
    await page.click('.lane-label[data-lane="broker-3"]');
    await expect
      .poll(async () => (await page.locator('.lane-label[data-lane="broker-3"]').boundingBox())?.height)
      .toBeGreaterThan(20);
    await call(page, "showRange", 100, 112);
    await expect.poll(async () => (await summaryOf(page)).drawn.labels).toBeGreaterThan(5);
    await page.screenshot({ path: resolve("out/view-screenshot-many-hosts.png") });
    await page.uncheck("#arrow-labels");
    await expect.poll(async () => (await summaryOf(page)).drawn.labels).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
