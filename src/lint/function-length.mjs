// The function-length ratchet (issue 21): no function may grow past MAX_LINES
// lines of code (blank and comment-only lines not counted), except the ones
// recorded in function-length-baseline.json when the rule came in, and those
// may only shrink. A recorded function that shrinks below MAX_LINES, or goes,
// leaves the baseline at its next rewrite (`npm run lint:baseline`).
//
// A function is known by its file and its name: `Class.method`, the variable or
// property it is assigned to, or `<anonymous>` inside its enclosing function's
// name, numbered (`#2`) when a file has several of one name.
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const MAX_LINES = 70;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BASELINE_FILE = join(dirname(fileURLToPath(import.meta.url)), "function-length-baseline.json");

function loadBaseline() {
  try {
    return JSON.parse(readFileSync(BASELINE_FILE, "utf8"));
  } catch (error) {
    if (error.code === "ENOENT") return {};
    throw new Error(`${BASELINE_FILE}: ${error.message}`);
  }
}

function nameOf(node) {
  if (node.id?.name) return node.id.name;
  const parent = node.parent;
  if (parent?.type === "MethodDefinition" || parent?.type === "Property" || parent?.type === "PropertyDefinition") {
    const key = parent.key?.name ?? parent.key?.value ?? "<computed>";
    const owner = parent.parent?.parent;
    const className =
      owner?.type === "ClassDeclaration" || owner?.type === "ClassExpression" ? owner.id?.name : undefined;
    return className !== undefined ? `${className}.${key}` : String(key);
  }
  if (parent?.type === "VariableDeclarator" && parent.id?.type === "Identifier") return parent.id.name;
  return undefined;
}

/** Lines of code in `node`: neither blank nor only a comment. */
function codeLines(sourceCode, node) {
  const commentOnly = new Set();
  for (const comment of sourceCode.getAllComments()) {
    if (comment.loc.end.line < node.loc.start.line || comment.loc.start.line > node.loc.end.line) continue;
    for (let line = comment.loc.start.line; line <= comment.loc.end.line; line++) {
      const text = sourceCode.lines[line - 1];
      const before = line === comment.loc.start.line ? text.slice(0, comment.loc.start.column) : "";
      const after = line === comment.loc.end.line ? text.slice(comment.loc.end.column) : "";
      if (before.trim() === "" && after.trim() === "") commentOnly.add(line);
    }
  }
  let count = 0;
  for (let line = node.loc.start.line; line <= node.loc.end.line; line++) {
    if (sourceCode.lines[line - 1].trim() !== "" && !commentOnly.has(line)) count++;
  }
  return count;
}

export const functionLengthRule = {
  meta: {
    type: "suggestion",
    docs: { description: `functions of at most ${MAX_LINES} lines of code, with a baseline that may only shrink` },
    schema: [],
    messages: {
      tooLong: "{{key}} has {{lines}} lines of code (at most " + MAX_LINES + "): split it",
      grew:
        "{{key}} grew to {{lines}} lines of code (the baseline allows {{allowed}}, and no more than " +
        MAX_LINES +
        " for new code): split it",
    },
  },
  create(context) {
    const baseline = loadBaseline();
    // While the baseline is rewritten (npm run lint:baseline), every function over the limit is reported.
    const recording = process.env.DST_FUNCTION_LENGTH_RECORD === "1";
    const file = relative(ROOT, context.filename).split("\\").join("/");
    const sourceCode = context.sourceCode;
    const seen = new Map();
    const stack = [];
    const enter = (node) => {
      const own = nameOf(node);
      const name = own ?? `${stack.at(-1) ?? "<top>"}/<anonymous>`;
      stack.push(name);
      const lines = codeLines(sourceCode, node);
      if (lines <= MAX_LINES) return;
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      const key = `${file}::${name}${n > 1 ? `#${n}` : ""}`;
      const allowed = recording ? undefined : baseline[key];
      if (allowed === undefined) context.report({ node, messageId: "tooLong", data: { key, lines } });
      else if (lines > allowed) context.report({ node, messageId: "grew", data: { key, lines, allowed } });
    };
    const leave = () => stack.pop();
    return {
      FunctionDeclaration: enter,
      FunctionExpression: enter,
      ArrowFunctionExpression: enter,
      "FunctionDeclaration:exit": leave,
      "FunctionExpression:exit": leave,
      "ArrowFunctionExpression:exit": leave,
    };
  },
};

export default { rules: { "function-length": functionLengthRule } };
