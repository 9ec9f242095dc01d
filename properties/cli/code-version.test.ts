/**
 * Invariants, one sentence each:
 * - A counterexample written by `dst run` (and `dst shrink`) records the code that made
 *   it: the git commit checked out (as `git rev-parse HEAD` names it) and the SHA-256
 *   of the sources, the one `sourcesSha256` computes for the package.
 * - The commit is read from .git's files in every layout git leaves: a branch ref, a
 *   packed ref, a detached HEAD, a linked worktree; no .git means unknown, not an error.
 * - The sources hash changes with any byte or any rename under src/ and scenarios/,
 *   and nothing else; without those directories it is unknown.
 * - A recorded code version is checked when read; files without one still read.
 * Run: counter-quorum seed 3, variant ack-before-fsync.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitCommit, sourcesSha256 } from "../../src/cli/code-version.ts";
import { main } from "../../src/cli/main.ts";
import { CounterexampleError, parseCounterexample } from "../../src/sim/counterexample.ts";
import { packageRoot } from "../../src/sim/package-root.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-code-version-"));
const quiet = { out: () => undefined, err: () => undefined };

function git(directory: string, ...argv: string[]): string {
  return execFileSync(
    "git",
    ["-C", directory, "-c", "user.name=dst", "-c", "user.email=dst@example.invalid", ...argv],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  ).trim();
}

function gitWorks(): boolean {
  try {
    git(scratch, "--version");
    return true;
  } catch {
    return false;
  }
}

const packageIsCheckout =
  gitWorks() &&
  (() => {
    try {
      return git(packageRoot(), "rev-parse", "HEAD").length > 0;
    } catch {
      return false;
    }
  })();

describe("counterexamples record the code that made them", () => {
  it("dst run and dst shrink write the commit and the sources hash", async () => {
    expect(
      await main(["run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--out", scratch], quiet),
    ).toBe(1);
    const path = join(scratch, "counter-quorum-seed-3-ack-before-fsync.counterexample.json");
    expect(await main(["shrink", path, "--max-runs", "3"], quiet)).toBe(0);
    for (const file of [path, join(scratch, "counter-quorum-seed-3-ack-before-fsync.counterexample.min.json")]) {
      const { codeVersion } = parseCounterexample(JSON.parse(readFileSync(file, "utf8")));
      expect(codeVersion?.sourcesSha256).toBe(sourcesSha256(packageRoot()));
      expect(codeVersion?.sourcesSha256).toMatch(/^[0-9a-f]{64}$/);
      if (packageIsCheckout) expect(codeVersion?.gitCommit).toBe(git(packageRoot(), "rev-parse", "HEAD"));
    }
  });
});

describe.skipIf(!gitWorks())("gitCommit reads .git as git does", () => {
  const repository = join(scratch, "repository");
  mkdirSync(repository);
  const commit = (message: string) => {
    writeFileSync(join(repository, "file.txt"), message);
    git(repository, "add", "file.txt");
    git(repository, "commit", "-q", "-m", message);
    return git(repository, "rev-parse", "HEAD");
  };

  it("a branch, a packed ref, a detached HEAD, a linked worktree", () => {
    git(repository, "init", "-q", "-b", "main");
    expect(gitCommit(repository)).toBeUndefined(); // no commit yet: the branch names nothing
    const first = commit("first");
    expect(gitCommit(repository)).toBe(first);
    git(repository, "pack-refs", "--all");
    expect(gitCommit(repository)).toBe(first);
    const second = commit("second");
    expect(gitCommit(repository)).toBe(second);
    git(repository, "checkout", "-q", "--detach", first);
    expect(gitCommit(repository)).toBe(first);
    const worktree = join(scratch, "worktree");
    git(repository, "worktree", "add", "-q", "-b", "other", worktree, second);
    expect(gitCommit(worktree)).toBe(second);
  });

  it("no .git, or a .git that is not one, is unknown", () => {
    const plain = join(scratch, "plain");
    mkdirSync(plain);
    expect(gitCommit(plain)).toBeUndefined();
    writeFileSync(join(plain, ".git"), "nonsense");
    expect(gitCommit(plain)).toBeUndefined();
  });
});

describe("sourcesSha256", () => {
  it("changes with a byte or a rename under src/ and scenarios/, and with nothing else", () => {
    const root = join(scratch, "package");
    expect(sourcesSha256(root)).toBeUndefined();
    mkdirSync(join(root, "src", "deep"), { recursive: true });
    mkdirSync(join(root, "scenarios"));
    mkdirSync(join(root, "properties"));
    writeFileSync(join(root, "src", "deep", "a.ts"), "export const a = 1;\n");
    writeFileSync(join(root, "scenarios", "b.ts"), "export const b = 2;\n");
    const before = sourcesSha256(root);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(root, "properties", "c.test.ts"), "ignored\n");
    expect(sourcesSha256(root)).toBe(before);
    writeFileSync(join(root, "scenarios", "b.ts"), "export const b = 3;\n");
    const edited = sourcesSha256(root);
    expect(edited).not.toBe(before);
    renameSync(join(root, "src", "deep", "a.ts"), join(root, "src", "deep", "z.ts"));
    expect(sourcesSha256(root)).not.toBe(edited);
  });
});

describe("a counterexample's codeVersion is checked when read", () => {
  const base = {
    format: "dst-counterexample",
    version: 1,
    scenario: "counter-quorum",
    seed: 1,
    buggify: false,
    faultPlan: { version: 1, faults: [] },
    expected: { fingerprint: "0123456789abcdef", violations: [] },
  };
  it("reads files without one, keeps a good one, refuses a malformed one", () => {
    expect(parseCounterexample(base).codeVersion).toBeUndefined();
    const codeVersion = { gitCommit: "a".repeat(40), sourcesSha256: "b".repeat(64) };
    expect(parseCounterexample({ ...base, codeVersion }).codeVersion).toEqual(codeVersion);
    for (const bad of ["v1", { gitCommit: "HEAD" }, { sourcesSha256: "B".repeat(64) }, { gitCommit: 7 }]) {
      expect(() => parseCounterexample({ ...base, codeVersion: bad })).toThrow(CounterexampleError);
    }
  });
});
