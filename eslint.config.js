// Lint: house rules plus the determinism contract (DESIGN.md).
// src/impl may not touch ambient time, randomness, timers or real I/O: only the Env.
// src/sim may not import src/impl: the world does not know the systems it runs.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";
import prettier from "eslint-config-prettier";
import dst from "./src/lint/function-length.mjs";
import { determinism } from "./src/lint/determinism.mjs";

const ambientMessage = "Ambient nondeterminism: in src/impl, time, randomness, timers and I/O come only from the Env.";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "out/**",
      "coverage/**",
      ".stryker-tmp/**",
      "dist/**",
      "examples/*/node_modules/**",
      "examples/*/out/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Prettier formats (npm run lint checks it): the rules that would fight its layout are off.
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
      // Prettier formats code to 120 columns; what it cannot break (a long string, a URL) may pass, a comment may not.
      "max-len": [
        "error",
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  determinism({
    files: ["src/impl/**/*.ts"],
    message: ambientMessage,
    importPatterns: [
      {
        regex: "(^|/)sim/(?!(env|assert|msgpack-keys)(\\.ts)?$)",
        message:
          "src/impl may import from src/sim only the Env types (src/sim/env.ts), the one assert (src/sim/assert.ts) and the msgpack key cache (src/sim/msgpack-keys.ts).",
      },
    ],
  }),
  // The examples' systems, as a user lints theirs (dst-harness/eslint).
  determinism({ files: ["examples/*/src/**/*.ts"] }),
  {
    files: ["src/sim/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)impl(/|$)",
              message: "src/sim never imports src/impl (DESIGN.md: the dependency goes the other way).",
            },
          ],
        },
      ],
    },
  },
  {
    // The function-length ratchet (src/lint/function-length.mjs); tests' describe blocks are exempt.
    files: [
      "src/**/*.ts",
      "scenarios/**/*.ts",
      "bench/**/*.ts",
      "properties/**/_support/**/*.ts",
      "properties/**/_fixtures/**/*.ts",
    ],
    ignores: ["**/*.test.ts"],
    plugins: { dst },
    rules: { "dst/function-length": "error" },
  },
);
