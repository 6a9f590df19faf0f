// Launcher: runs the suite in a fresh Node process (this same Node binary), resolving `credit-engine` through
// node-hooks.mjs. Node >= 20.6 is needed for module.register().
import path from 'node:path';
import { PKG_DIR, RUNTIMES_DIR, RuntimeError, parseResults, requireFile, runBounded } from './common.mjs';

/** Used only when the package's package.json has no "exports" (otherwise Node resolves through the exports map). */
const NODE_ENTRY = 'node.js';

export async function run({ filter, timeoutMs }) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 6)) throw new RuntimeError(`Node ${process.version} is too old: need >= 20.6`);
  requireFile(PKG_DIR, 'build the package first (make pkg), or point CREDIT_ENGINE_PKG at a built one');
  const r = await runBounded(process.execPath, ['--expose-gc', path.join(RUNTIMES_DIR, 'cli-entry.mjs'), ...(filter ? [filter] : [])], {
    timeoutMs,
    env: { CREDIT_ENGINE_PKG: PKG_DIR, CREDIT_ENGINE_NODE_ENTRY: NODE_ENTRY },
  });
  return parseResults('node', r, timeoutMs);
}
