#!/usr/bin/env node
// The `dst` command: loads the TypeScript sources through tsx, then runs the CLI.
import { register } from "tsx/esm/api";

// A reader that goes away (`dst sweep ... | head`) ends the output quietly, not with a trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
