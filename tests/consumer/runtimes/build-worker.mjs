// Bundles the smoke Worker the way wrangler does: esbuild with the `workerd`/`worker` conditions (the package's
// workerd.js entry) and the .wasm import left in place, to be listed as a `wasm` module in workerd's config.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

mkdirSync('dist', { recursive: true });
await build({
  entryPoints: ['worker.mjs'], bundle: true, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker'],
  external: ['*.wasm'], outfile: 'dist/worker.js', logLevel: 'warning',
});
const pkg = path.dirname(createRequire(import.meta.url).resolve('credit-engine/package.json'));
copyFileSync(path.join(pkg, 'credit_engine_bg.wasm'), path.join('dist', 'credit_engine_bg.wasm'));
