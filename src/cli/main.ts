/**
 * The `dst` command: list, run, replay, sweep, hunt, variants, merge, coverage, shrink, view, export.
 *
 * Exit codes (exit-codes.ts): 0 ok; 1 a run had violations; 2 bad input (unknown
 * scenario, malformed seed, range, file or option, a plan that does not fit, an output
 * path that cannot be written), with one clear line on stderr; replay alone also
 * 3 (the run now passes) and 4 (diverged from the recording); sweep and merge with
 * --fail-on-gaps 5 (a declared rare state reached by fewer than 1% of runs).
 */
import { Command, CommanderError } from "commander";
import { VARIANT_SEEDS_MAX } from "../../scenarios/variant-catalogue/entry.ts";
import { CounterexampleError } from "../sim/counterexample.ts";
import { FaultPlanError } from "../sim/faults/plan.ts";
import { describeKnob } from "../sim/knobs.ts";
import { ScenarioError, type Scenario } from "../sim/runner.ts";
import { currentGitCommit, packageVersion } from "./code-version.ts";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.ts";
import { UsageError } from "./input.ts";
import { printable, printableLines } from "./printable.ts";
import { ConfigError, loadCatalogue, selectCatalogue, selectedCatalogue } from "./scenario-catalogue.ts";
import { replayCommand } from "./commands/replay.ts";
import { runCommand } from "./commands/run.ts";
import { exportCommand } from "./commands/export.ts";
import { huntCommand } from "./commands/hunt.ts";
import { shrinkCommand } from "./commands/shrink.ts";
import { sweepCommand } from "./commands/sweep.ts";
import { viewCommand } from "./commands/view.ts";
import { coverageCommand } from "./commands/coverage.ts";
import { mergeCommand } from "./commands/merge.ts";

export { EXIT_OK, EXIT_REPLAY_DIVERGED, EXIT_REPLAY_NOW_PASSES, EXIT_USAGE, EXIT_VIOLATION } from "./exit-codes.ts";

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Runs the CLI on `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[], given: Output = processOutput): Promise<number> {
  // Whatever reaches stderr may quote hostile input (a binary file, a file name): never as raw control bytes.
  const output: Output = { out: given.out, err: (text) => given.err(printableLines(text)) };
  let exitCode = EXIT_OK;
  const program = new Command("dst")
    .description("Deterministic simulation testing: run scenarios by seed, replay failures, sweep seeds.")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.trimEnd()),
      writeErr: (text) => output.err(text.trimEnd()),
      outputError: (text, write) => write(`dst: ${printable(text.replace(/^error: /, "").trim())}\n`),
    })
    .showSuggestionAfterError(true)
    .version(versionText(), "-V, --version", "print the version (and the git commit, when this is a git checkout)")
    .option(
      "--config <file>",
      "the config module naming your scenarios (default: ./dst.config.{mjs,js,ts,mts}; with none, the bundled systems' scenarios)",
    )
    // Every command resolves scenario names in the catalogue chosen here (and sweep workers load the same config);
    // without --config, those on a counterexample look for the module it names first.
    .hook("preAction", async (command, action) => {
      const { config } = command.opts<{ config?: string }>();
      const onCounterexample = COUNTEREXAMPLE_COMMANDS.includes(action.name()) && config === undefined;
      selectCatalogue(onCounterexample ? undefined : await loadCatalogue({ config }));
    });

  const done = (code: number) => (exitCode = code);
  addRunCommands(program, output, done);
  addSearchCommands(program, output, done);
  addFileCommands(program, output, done);

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    return handleError(error, output);
  }
}

/** The commands that read a counterexample, which names the module of its scenario (catalogueForCounterexample). */
const COUNTEREXAMPLE_COMMANDS: readonly string[] = ["replay", "shrink", "view", "export"];

/** Sets the process's exit code from a command's result. */
type Done = (code: number) => void;

/** list, run and replay: the commands on one scenario by name and seed. */
function addRunCommands(program: Command, output: Output, done: Done): void {
  program
    .command("list")
    .description("list the scenarios: name, then a one-line description")
    .option(
      "--knobs",
      "also list each scenario's knobs: the values a seed draws from, and the default shrinking moves toward",
      false,
    )
    .action((options: { knobs: boolean }) => {
      const { scenarios } = selectedCatalogue();
      const width = Math.max(...scenarios.map((scenario) => scenario.name.length));
      for (const scenario of scenarios) {
        output.out(`${scenario.name.padEnd(width)}  ${scenario.description}`);
        if (options.knobs)
          for (const [name, knob] of Object.entries(scenario.knobs ?? {}))
            output.out(`  knob ${name}: ${describeKnob(knob)}`);
      }
    });

  program
    .command("run")
    .description("run one scenario on one seed")
    .argument("<scenario>", "scenario name (see dst list)")
    .option("--seed <n>", "the run's seed (non-negative integer; default: a fresh one drawn at random, printed first)")
    .option("--faults <plan.json>", "an explicit fault plan instead of the swarm's")
    .option("--trace <out.jsonl>", "write the trace as JSON lines")
    .option("--variant <name>", "run a deliberately broken variant")
    .option("--buggify", "enable buggify fault points", false)
    .option("--wire <mode>", "RPC frames cross as copied objects or encoded frames (default: the swarm picks per seed)")
    .option(
      "--knob <name=value>",
      "fix a knob instead of the seed's draw (repeatable; dst run prints the run's knobs)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--json", "print one JSON object instead of the summary", false)
    .option("--out <dir>", "where to write a counterexample file", ".")
    .action(async (name: string, options) => {
      done(await runCommand(requireScenario(name), options, output));
    });

  program
    .command("replay")
    .description("rerun a counterexample exactly and confirm the same fingerprint")
    .argument("<counterexample.json>", "a file written by dst run or dst sweep")
    .option("--trace <out.jsonl>", "write the trace as JSON lines")
    .option("--json", "print one JSON object", false)
    .action(async (path: string, options) => {
      done(await replayCommand(path, options, output));
    });
}

/** sweep, variants and hunt: the commands that search many seeds for failures. */
function addSearchCommands(program: Command, output: Output, done: Done): void {
  program
    .command("sweep")
    .description("run a scenario (or all) over a range of seeds on worker threads, with a progress bar and a summary")
    .argument("<scenario>", "scenario name (see dst list), or all")
    .requiredOption("--seeds <A..B>", "inclusive seed range, e.g. 1..1000")
    .option("--workers <n>", "worker threads (default: all cores; 1 for fewer than 16 runs)")
    .option("--shard <i/n>", "run only seeds with seed % n == i - 1 (split a range over n machines)")
    .option("--check-determinism [every]", "rerun every Nth seed (default 10) and fail on any trace difference")
    .option("--variant <name>", "sweep a deliberately broken variant")
    .option(
      "--buggify",
      "enable buggify fault points in every run (each point active in some runs, firing sometimes)",
      false,
    )
    .option("--wire <mode>", "every run's RPC wire mode: objects or frames (default: the swarm picks per seed)")
    .option("--out <results.jsonl>", "write one JSON line per run, in seed order")
    .option("--counterexamples <dir>", "write a counterexample file for each failing run")
    .option("--no-progress", "no progress bar")
    .option(
      "--fail-on-gaps",
      "exit 5 when a scenario's declared rare state is reached by fewer than 1% of its runs (default: only reported)",
      false,
    )
    .action(async (name: string, options) => {
      done(await sweepCommand(name === "all" ? "all" : requireScenario(name), options, output));
    });

  program
    .command("variants")
    .description(
      "for every broken variant in the variant catalogue: the smallest seed its scenario's sweep catches it on; those no sweep reaches, with the property that catches them",
    )
    .option("--seeds <A..B>", "inclusive seed range each variant is searched in", `1..${VARIANT_SEEDS_MAX}`)
    .option(
      "--only <names>",
      "only these entries: variant, component/variant, component or system names, comma-separated (repeatable)",
      collect,
      [],
    )
    .option("--workers <n>", "worker threads (default: all cores)")
    .option("--json", "print the report as one JSON object", false)
    .option("--out <results.jsonl>", "write one JSON line per catalogue entry (a swept one as soon as it settles)")
    .option("--no-progress", "no progress bar")
    .action(async (options) => {
      // Imported on use: the variant catalogue imports every bundled system (and wa-sqlite), which a project's own
      // scenarios do not need.
      const { variantsCommand } = await import("./commands/variants.ts");
      done(await variantsCommand(options, output));
    });

  program
    .command("hunt")
    .description(
      "run fresh random seeds on worker threads until the first failure (counterexample written, exit 1) or until the time budget is spent (exit 0)",
    )
    .argument("<scenario>", "scenario name (see dst list), or all (each seed's scenario drawn at random, uniformly)")
    .option("--time <duration>", "wall-time budget, e.g. 90s, 10m, 2h or 1h30m (default 10m)")
    .option("--workers <n>", "worker threads (default: all cores)")
    .option("--variant <name>", "hunt a deliberately broken variant (how fast hunting finds it)")
    .option("--buggify", "enable buggify fault points in every run", false)
    .option("--wire <mode>", "every run's RPC wire mode: objects or frames (default: the swarm picks per seed)")
    .option(
      "--out <results.jsonl>",
      "write every finished run as a sweep record (JSON lines, in the order they finished)",
    )
    .option("--counterexamples <dir>", "where to write the failure's counterexample", ".")
    .option("--no-progress", "no progress line")
    .action(async (name: string, options) => {
      done(await huntCommand(name === "all" ? "all" : requireScenario(name), options, output));
    });
}

/** shrink, view, export, merge and coverage: the commands on files a run or sweep wrote. */
function addFileCommands(program: Command, output: Output, done: Done): void {
  program
    .command("shrink")
    .description("minimise a counterexample's fault plan, safety phase and workload, keeping the same failure")
    .argument("<counterexample.json>", "a file written by dst run or dst sweep")
    .option("--out <min.json>", "where to write the minimal counterexample (default: <input>.min.json)")
    .option("--max-runs <n>", "most scenario runs while shrinking (default 500)")
    .action(async (path: string, options) => {
      done(await shrinkCommand(path, options, output));
    });

  program
    .command("view")
    .description("write one self-contained HTML page: a space-time diagram of a run, with its event list")
    .argument("<input>", "a trace (.jsonl, from dst run --trace) or a counterexample (.json, replayed)")
    .requiredOption("-o, --output <run.html>", "the page to write")
    .action(async (input: string, options) => {
      done(await viewCommand(input, options, output));
    });

  program
    .command("export")
    .description("convert a run to another tool's format (chrome: Trace Event JSON for Perfetto / chrome://tracing)")
    .argument("<input>", "a trace (.jsonl) or a counterexample (.json, replayed)")
    .requiredOption("--format <name>", "output format: chrome")
    .option("-o, --output <file>", "the file to write (default, or -: standard output)")
    .action(async (input: string, options) => {
      done(await exportCommand(input, options, output));
    });

  program
    .command("merge")
    .description("combine sweep outputs (e.g. shards) into one summary table")
    .argument("<results.jsonl...>", "sweep outputs")
    .option("--out <merged.jsonl>", "write the merged runs as JSON lines")
    .option(
      "--fail-on-gaps",
      "exit 5 when a scenario's declared rare state is reached by fewer than 1% of its runs (default: only reported)",
      false,
    )
    .action((paths: string[], options) => {
      done(mergeCommand(paths, options, output));
    });

  program
    .command("coverage")
    .description("for each probe and buggify point in src/impl: how many runs hit it; the points never hit")
    .argument("<results.jsonl...>", "sweep outputs")
    .option("--json", "print the report as JSON", false)
    .action((paths: string[], options) => {
      done(coverageCommand(paths, options, output));
    });
}

/** `dst <package version>`, then the commit when known: what a bug report needs to name the code. */
function versionText(): string {
  const commit = currentGitCommit();
  return `dst ${packageVersion()}${commit === undefined ? "" : ` (git commit ${commit})`}`;
}

/** Commander's accumulator for a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function requireScenario(name: string): Scenario {
  const scenario = selectedCatalogue().find(name);
  if (scenario === undefined) throw new UsageError(`unknown scenario "${name}" (dst list shows them)`);
  return scenario;
}

function handleError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    )
      return EXIT_OK;
    return EXIT_USAGE; // commander already printed its one line through outputError
  }
  if (
    error instanceof UsageError ||
    error instanceof FaultPlanError ||
    error instanceof CounterexampleError ||
    error instanceof ScenarioError ||
    error instanceof ConfigError
  ) {
    output.err(`dst: ${printable(error.message)}`);
    return EXIT_USAGE;
  }
  throw error;
}
