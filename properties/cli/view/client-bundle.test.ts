/**
 * Invariant: the page's script drops the client modules' imports of their
 * siblings (on one line or spread over several, as the formatter writes a long
 * one) and their `export` keywords, and refuses any other module syntax, which
 * would not run inline.
 */
import { describe, expect, it } from "vitest";
import { clientScript, stripModuleSyntax } from "../../../src/cli/view/client-bundle.ts";

describe("client bundle", () => {
  it("drops sibling imports, one-line and multi-line, and export keywords", () => {
    const source = [
      'import { a } from "./a.js";',
      "import {",
      "  b,",
      "  c,",
      '} from "./b-c.js";',
      "export function f() {",
      "  return a + b + c;",
      "}",
      "export const g = 1;",
    ].join("\n");
    expect(stripModuleSyntax(source, "m.js")).toBe(
      ["function f() {", "  return a + b + c;", "}", "const g = 1;"].join("\n"),
    );
  });

  it("refuses an import from outside the folder, a default export, and a closing script tag", () => {
    expect(() => stripModuleSyntax('import x from "node:fs";', "m.js")).toThrow(/relative imports/);
    expect(() => stripModuleSyntax("export default 1;", "m.js")).toThrow(/relative imports/);
    expect(() => stripModuleSyntax('const s = "</script>";', "m.js")).toThrow(/<\/script/);
  });

  it("joins the shipped modules without any import or export left", () => {
    expect(clientScript()).not.toMatch(/^\s*(import|export)\b/m);
  });
});
