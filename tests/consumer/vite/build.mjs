// Vite production build of the shared page (index.html -> dist/). Vite turns the package's
// `new URL('./credit_engine_bg.wasm', import.meta.url)` into an emitted asset.
import { build } from 'vite';

await build({ root: process.cwd(), logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true } });
