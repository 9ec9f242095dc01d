/**
 * The code this `dst` runs: the package's version, the git commit when the package is
 * a git checkout, and a hash of its sources. A counterexample records the last two, so
 * a replay that diverges can say whether the code changed since it was written (a
 * fingerprint depends on every line of the simulation and the systems under test).
 *
 * The commit is read from the files under .git (HEAD, the ref it names, or
 * packed-refs; a worktree's `gitdir:` file and `commondir` followed), not by running
 * git, which may be absent or slow. Any failure means "not known", never an error.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CodeVersion } from "../sim/counterexample.ts";
import { packageRoot } from "../sim/package-root.ts";

/** The directories whose files make the sources hash: everything a run executes. */
export const SOURCE_DIRECTORIES: readonly string[] = ["src", "scenarios"];

const OBJECT_NAME = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

let cached: CodeVersion | undefined;

/** The code this process runs (computed once: the sources do not change under a running command). */
export function currentCodeVersion(): CodeVersion {
  if (cached !== undefined) return cached;
  const root = packageRoot();
  const version: CodeVersion = {};
  const commit = gitCommit(root);
  if (commit !== undefined) version.gitCommit = commit;
  const sources = sourcesSha256(root);
  if (sources !== undefined) version.sourcesSha256 = sources;
  cached = version;
  return version;
}

/** The commit of the package's checkout, without hashing the sources (for --version). */
export function currentGitCommit(): string | undefined {
  return cached !== undefined ? cached.gitCommit : gitCommit(packageRoot());
}

/** The `version` field of the package's package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}

/** The commit checked out in `root` (a git checkout or worktree); undefined when it is none or cannot be read. */
export function gitCommit(root: string): string | undefined {
  try {
    const gitDirectory = gitDirectoryOf(root);
    if (gitDirectory === undefined) return undefined;
    const head = readFileSync(join(gitDirectory, "HEAD"), "utf8").trim();
    if (OBJECT_NAME.test(head)) return head; // a detached HEAD
    const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
    if (ref === undefined) return undefined;
    const commonPath = join(gitDirectory, "commondir");
    const common = existsSync(commonPath)
      ? resolve(gitDirectory, readFileSync(commonPath, "utf8").trim())
      : gitDirectory;
    return looseRef(gitDirectory, ref) ?? looseRef(common, ref) ?? packedRef(common, ref);
  } catch {
    return undefined;
  }
}

/** `.git` itself, or where a worktree's `.git` file points. */
function gitDirectoryOf(root: string): string | undefined {
  const dotGit = join(root, ".git");
  if (!existsSync(dotGit)) return undefined;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1];
  return pointer === undefined ? undefined : resolve(root, pointer.trim());
}

function looseRef(directory: string, ref: string): string | undefined {
  const path = join(directory, ref);
  if (!existsSync(path)) return undefined;
  const name = readFileSync(path, "utf8").trim();
  return OBJECT_NAME.test(name) ? name : undefined;
}

function packedRef(directory: string, ref: string): string | undefined {
  const path = join(directory, "packed-refs");
  if (!existsSync(path)) return undefined;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const [name, refName] = line.trim().split(" ");
    if (refName === ref && name !== undefined && OBJECT_NAME.test(name)) return name;
  }
  return undefined;
}

/**
 * SHA-256 over every file under SOURCE_DIRECTORIES, in path order: each file's path
 * (relative, with "/"), its length and its bytes, so a rename or a moved byte changes
 * it. Undefined when none of the directories exists (an install without sources).
 */
export function sourcesSha256(root: string): string | undefined {
  const paths = SOURCE_DIRECTORIES.filter((directory) => existsSync(join(root, directory))).flatMap((directory) =>
    filesUnder(root, directory),
  );
  if (paths.length === 0) return undefined;
  const hash = createHash("sha256");
  for (const path of paths.sort()) {
    const content = readFileSync(join(root, path));
    hash.update(`${path}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex");
}

function filesUnder(root: string, directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
    const path = `${directory}/${entry.name}`;
    if (entry.isDirectory()) files.push(...filesUnder(root, path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * Whether the code changed between two versions: the sources decide when both are known, else the commits; undefined
 * when neither can tell.
 */
export function codeChanged(recorded: CodeVersion | undefined, current: CodeVersion): boolean | undefined {
  if (recorded?.sourcesSha256 !== undefined && current.sourcesSha256 !== undefined)
    return recorded.sourcesSha256 !== current.sourcesSha256;
  if (recorded?.gitCommit !== undefined && current.gitCommit !== undefined)
    return recorded.gitCommit !== current.gitCommit;
  return undefined;
}

/** One line for a replay that diverged: whether, and how, the code changed since the counterexample was written. */
export function describeCodeChange(recorded: CodeVersion | undefined, current: CodeVersion): string {
  const changed = codeChanged(recorded, current);
  if (changed === undefined) {
    return recorded === undefined
      ? "code: the counterexample does not record the code that made it, so whether the code changed is unknown"
      : "code: the recorded and current code versions share nothing to compare, so whether the code changed is unknown";
  }
  const commits =
    recorded?.gitCommit !== undefined && current.gitCommit !== undefined && recorded.gitCommit !== current.gitCommit
      ? `commit ${recorded.gitCommit.slice(0, 12)} -> ${current.gitCommit.slice(0, 12)}`
      : `commit ${(current.gitCommit ?? "unknown").slice(0, 12)}`;
  if (!changed)
    return `code: unchanged since the counterexample was written (same sources, ${commits}): the divergence comes from outside them (dependencies, Node.js, an edited file) or is nondeterminism`;
  const sources =
    recorded?.sourcesSha256 !== undefined && current.sourcesSha256 !== undefined
      ? "sources differ"
      : "sources not compared";
  return `code: changed since the counterexample was written (${sources}, ${commits})`;
}
