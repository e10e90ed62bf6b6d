// `node --import ./compat/cdktn/use-cdktn.mjs build/main.js`: the same compiled app, with cdktf,
// constructs and the provider bindings loaded from compat/cdktn/node_modules (cdktf there is CDK
// Terrain, cdktn 0.24.0). Everything else (zod, yaml, the app itself) resolves as usual.
import { createRequire, registerHooks } from "node:module";
import { URL, pathToFileURL } from "node:url";

const fromCompat = createRequire(new URL("./package.json", import.meta.url));
const REDIRECTED = /^(cdktf|constructs|@cdktf\/provider-[a-z]+)(\/.*)?$/;
let resolving = false; // fromCompat.resolve comes back through this hook: let that call pass

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (resolving || !REDIRECTED.test(specifier)) return nextResolve(specifier, context);
    resolving = true;
    try {
      return { url: pathToFileURL(fromCompat.resolve(specifier)).href, format: "commonjs", shortCircuit: true };
    } finally {
      resolving = false;
    }
  },
});
