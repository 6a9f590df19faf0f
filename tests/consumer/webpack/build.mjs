// webpack 5 production build of the shared page (main.js -> dist/main.js, index.html copied). webpack's asset
// modules pick up the package's `new URL('./credit_engine_bg.wasm', import.meta.url)` with no configuration.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import webpack from 'webpack';

const dist = path.resolve('dist');
const stats = await new Promise((resolve, reject) => {
  webpack({
    mode: 'production',
    context: process.cwd(),
    entry: './main.js',
    output: { path: dist, filename: 'main.js', clean: true },
    performance: { hints: false },
  }, (err, s) => (err ? reject(err) : resolve(s)));
});
if (stats.hasErrors() || stats.hasWarnings()) {
  console.error(stats.toString({ all: false, errors: true, warnings: true }));
  process.exit(1);
}
mkdirSync(dist, { recursive: true });
copyFileSync('index.html', path.join(dist, 'index.html'));
