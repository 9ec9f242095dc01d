// Types of determinism.mjs (plain JavaScript: ESLint loads it without a TypeScript loader).
import type { Linter } from "eslint";

export const AMBIENT_GLOBALS: readonly string[];
export const AMBIENT_PROPERTIES: ReadonlyArray<readonly [string, string]>;
export const RETAINING_PROPERTIES: ReadonlyArray<readonly [string, string, string]>;
export const AMBIENT_MODULES: string;
export const AMBIENT_MESSAGE: string;
export function determinism(options: {
  files: string[];
  message?: string;
  importPatterns?: Array<{ regex: string; message: string }>;
}): Linter.Config;
