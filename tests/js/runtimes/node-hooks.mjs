// Node module-resolution hook (registered by cli-entry.mjs): makes the bare specifier `credit-engine` resolve to the
// package under test (CREDIT_ENGINE_PKG) without installing or linking it into node_modules.
// If the package's package.json has "exports", Node resolves it as the package referring to itself by name, i.e.
// through that exports map with Node's conditions, exactly as an npm user's `import 'credit-engine'` would;
// otherwise it falls back to NODE_ENTRY.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const NAME = 'credit-engine';
let pkgUrl, entryUrl, useExports;

export function initialize({ pkgDir, nodeEntry }) {
  pkgUrl = pathToFileURL(pkgDir + '/').href;
  entryUrl = new URL(nodeEntry, pkgUrl).href;
  const pj = new URL('package.json', pkgUrl);
  useExports = existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).exports !== undefined;
}

export async function resolve(specifier, context, next) {
  if (specifier === NAME || specifier.startsWith(NAME + '/')) {
    if (useExports) return next(specifier, { ...context, parentURL: new URL('package.json', pkgUrl).href });
    if (specifier === NAME) return { url: entryUrl, shortCircuit: true };
  }
  return next(specifier, context);
}
