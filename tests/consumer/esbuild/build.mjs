// esbuild build of the shared page. esbuild leaves `new URL('./credit_engine_bg.wasm', import.meta.url)` as it is,
// so the .wasm is copied next to the bundle, where that URL points once bundled (see npm/README.md).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const dist = path.resolve('dist');
mkdirSync(dist, { recursive: true });
await build({ entryPoints: ['main.js'], bundle: true, format: 'esm', platform: 'browser', outfile: 'dist/main.js', logLevel: 'warning' });
const pkg = path.dirname(createRequire(import.meta.url).resolve('credit-engine/package.json'));
copyFileSync(path.join(pkg, 'credit_engine_bg.wasm'), path.join(dist, 'credit_engine_bg.wasm'));
copyFileSync('index.html', path.join(dist, 'index.html'));
