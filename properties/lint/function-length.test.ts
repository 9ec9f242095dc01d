/**
 * Invariant: lint rejects a function of more than 70 lines of code (blank and
 * comment-only lines not counted) in the sources, scenarios, benches and test
 * support, and accepts one of 70; test files' describe blocks are exempt.
 */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { MAX_LINES } from "../../src/lint/function-length.mjs";

const eslint = new ESLint({ cwd: process.cwd() });

async function lengthErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === "dst/function-length")
    .map((message) => message.message);
}

/** A function named `name` with `lines` lines of code, padded with blank and comment lines that do not count. */
function functionOf(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  total += ${i};\n\n  // a comment line\n`).join("");
  return `export function ${name}(): number {\n  let total = 0;\n${body}  return total;\n}\n`;
}

describe("function-length lint", () => {
  it(`accepts a function of ${MAX_LINES} lines of code, however many blank and comment lines it has`, async () => {
    // functionOf(n) has n - 2 body lines plus `let`, `return` and the two brace lines: n + 2 in all.
    expect(await lengthErrors(functionOf("fits", MAX_LINES - 2), "src/impl/example/fits.ts")).toEqual([]);
  });

  for (const path of [
    "src/impl/example/long.ts",
    "src/sim/long.ts",
    "scenarios/example/long.ts",
    "bench/long.ts",
    "properties/example/_support/long.ts",
  ]) {
    it(`rejects a function of ${MAX_LINES + 1} lines of code in ${path}`, async () => {
      const errors = await lengthErrors(functionOf("tooLong", MAX_LINES - 1), path);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`${path}::tooLong has ${MAX_LINES + 1} lines of code`);
    });
  }

  it("names methods by their class and arrow functions by their variable", async () => {
    const method = `export class Box {\n  run(): number {\n${Array.from({ length: MAX_LINES }, (_, i) => `    void ${i};\n`).join("")}    return 0;\n  }\n}\n`;
    const arrow = `export const go = (): number => {\n${Array.from({ length: MAX_LINES }, (_, i) => `  void ${i};\n`).join("")}  return 0;\n};\n`;
    expect((await lengthErrors(method, "src/sim/box.ts"))[0]).toContain("src/sim/box.ts::Box.run has");
    expect((await lengthErrors(arrow, "src/sim/go.ts"))[0]).toContain("src/sim/go.ts::go has");
  });

  it("leaves test files' describe blocks alone", async () => {
    const test = `describe("x", () => {\n${Array.from({ length: MAX_LINES + 5 }, (_, i) => `  void ${i};\n`).join("")}});\n`;
    expect(await lengthErrors(test, "properties/example/long.test.ts")).toEqual([]);
  });
});
