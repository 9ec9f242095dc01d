// Types of function-length.mjs (plain JavaScript: ESLint loads it without a TypeScript loader).
import type { ESLint, Rule } from "eslint";

export const MAX_LINES: number;
export const BASELINE_FILE: string;
export const functionLengthRule: Rule.RuleModule;
declare const plugin: ESLint.Plugin;
export default plugin;
