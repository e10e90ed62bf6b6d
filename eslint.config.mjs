// One ESLint config for the stacks, scripts, tests and worker: typescript-eslint's `recommended`,
// not the type-checked configs (types are checked once, by `npm run typecheck`). Prettier owns
// formatting, so no stylistic rules here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "worker/node_modules/",
      ".venv/",
      "cdktf.out/",
      "build/",
      "worker/dist/",
      "reports/",
      "coverage/",
      ".toolchain/",
      ".local/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
  },
);
