// Launcher: runs the suite with the `deno` binary from node_modules/.bin (npm package `deno`), resolving bare
// specifiers through a generated import map; the only permission granted is reading the package (to load its .wasm).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BIN_DIR, PKG_DIR, RUNTIMES_DIR, bareMap, makeTempDir, parseResults, removeTempDir, requireFile, requirePkgEntry, runBounded,
} from './common.mjs';

/** The package file that `credit-engine` maps to in Deno. */
const DENO_ENTRY = 'index.js';

export async function run({ filter, timeoutMs }) {
  const deno = requireFile(path.join(BIN_DIR, 'deno'), 'run `npm ci` (or scripts/ensure-tools.sh js) to install npm package deno');
  requirePkgEntry(DENO_ENTRY);
  const tmp = makeTempDir('ce-deno-');
  try {
    const imports = Object.fromEntries(Object.entries(bareMap(DENO_ENTRY)).map(([k, f]) => [k, pathToFileURL(f).href]));
    const importMap = path.join(tmp, 'import-map.json');
    writeFileSync(importMap, JSON.stringify({ imports }, null, 2));
    const args = [
      'run', '--quiet', '--no-prompt', '--no-lock', '--v8-flags=--expose-gc',
      '--no-config', // ignore the repo's package.json / any deno.json: resolution comes from the import map alone
      `--import-map=${importMap}`,
      `--allow-read=${PKG_DIR}`,
      path.join(RUNTIMES_DIR, 'cli-entry.mjs'),
      ...(filter ? [filter] : []),
    ];
    // DENO_DIR in tmp: a fresh module cache each run (no state carried between runs); no update check (no network).
    const r = await runBounded(deno, args, {
      timeoutMs, env: { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(tmp, 'deno-dir'), NO_COLOR: '1' },
    });
    return parseResults('deno', r, timeoutMs);
  } finally {
    removeTempDir(tmp);
  }
}
