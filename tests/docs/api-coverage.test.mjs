#!/usr/bin/env node
// Checks that docs/api.md documents every name declared in the package's types (npm/index.d.ts): each export
// (function, class, interface, type), each member and field of the exported interfaces and classes, each parameter
// and option field of their methods, and each error code. A name counts as documented when it appears in api.md as
// `code` (in backticks, alone or inside a longer code span) or in one of its code blocks.
//   node tests/docs/api-coverage.test.mjs [path/to/index.d.ts]
// Prints the missing names and `N passed, N failed`; exits non-zero when any is missing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dts = readFileSync(process.argv[2] ?? path.join(ROOT, 'npm/index.d.ts'), 'utf8')
  .replace(/\/\*[\s\S]*?\*\//g, '') // block and JSDoc comments
  .replace(/\/\/.*$/gm, '');
const api = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');

const names = new Map(); // name -> what it is
const add = (name, what) => { if (!names.has(name)) names.set(name, what); };
for (const m of dts.matchAll(/export\s+(?:declare\s+)?(function|class|interface|type|const)\s+(\w+)/g)) add(m[2], m[1]);
// Members, fields, parameters and option fields: every `name:`, `name?:` and `name(` inside braces or parentheses.
for (const m of dts.matchAll(/(?:^|[\s{(;,])(?:readonly\s+|static\s+)?(\w+)\??\s*[:(]/g)) {
  const name = m[1];
  if (['export', 'function', 'class', 'interface', 'type', 'private', 'constructor', 'field'].includes(name)) continue;
  add(name, 'member, field or parameter');
}
for (const m of dts.matchAll(/'(E_[A-Z_]+)'/g)) add(m[1], 'error code');
for (const m of dts.matchAll(/'([a-z_]+)'/g)) add(m[1], 'literal'); // kinds, tiers, ledger entry types

// Everything api.md shows as code: inline spans and fenced blocks.
const code = [...api.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((m) => m[0]).join('\n');
let passed = 0;
const missing = [];
for (const [name, what] of names) {
  if (new RegExp(`(^|[^\\w])${name}([^\\w]|$)`).test(code)) passed++;
  else missing.push(`${name} (${what})`);
}
if (names.size < 50) missing.push(`only ${names.size} names found in index.d.ts: the parser is broken`);
for (const m of missing) console.log(`not documented in docs/api.md: ${m}`);
console.log(`${passed} passed, ${missing.length} failed (names declared in index.d.ts, found in docs/api.md)`);
process.exitCode = missing.length ? 1 : 0;
