#!/usr/bin/env node
// Runs every worked example of docs/rules.md (and the ```js blocks of npm/README.md and docs/api.md marked `run`)
// against the built package, so the rule book cannot drift from the engine.
//
// A runnable block is a ```js block of docs/rules.md (any block of the other files whose info string has `run`);
// ```js no-run blocks are shown only. Each block runs on its own, as the body of an async function with `ready`,
// `Catalog`, `Wallet`, `signSnapshot`, `verifySnapshot` and `memoryBytes` in scope. Two comment forms turn a line
// into an assertion:
//   EXPRESSION;   // → VALUE        the expression's value deep-equals VALUE (a JS literal; results are plain JSON)
//   STATEMENT;    // throws E_CODE  the statement throws an Error whose `code` is E_CODE (and changes nothing)
// A block whose info string says `needs=FEATURE` describes API this session adds (SPEC 9): it runs when the built
// package has FEATURE, and is listed as pending otherwise (so a package with the feature must pass it).
//
//   node tests/docs/rules-examples.test.mjs     (needs pkg/: make pkg; CREDIT_ENGINE_PKG to use another)
// Prints one line per block and `N passed, N failed, N pending`; exits non-zero on any failure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = path.resolve(process.env.CREDIT_ENGINE_PKG ?? path.join(ROOT, 'pkg'));
const engine = await import(pathToFileURL(path.join(PKG, 'node.js')).href);
await engine.ready();

/** What `needs=` can name, and how to tell whether the built package has it. */
const FEATURES = {
  retention: () => {
    try {
      const w = engine.Wallet.create({ timeZone: 'UTC', retentionDays: 3 });
      const has = w.retentionDays === 3;
      w.free();
      return has;
    } catch {
      return false;
    }
  },
  takeLedger: () => typeof engine.Wallet.prototype.takeLedger === 'function',
  ce2: () => {
    const w = engine.Wallet.create({ timeZone: 'UTC' });
    try {
      return engine.signSnapshot(w, { key: 'k'.repeat(32), keyId: 'k1', ttlSeconds: 60, at: 0, account: 'a' }).startsWith('ce2.');
    } catch {
      return false;
    } finally {
      w.free();
    }
  },
};

/** The blocks of one Markdown file: { file, line, info, code }. */
function blocks(file, all) {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out = [];
  const re = /^```(\S*)([^\n]*)\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(re)) {
    const [, lang, rest, code] = m;
    const info = rest.trim();
    if (lang !== 'js' || /\bno-run\b/.test(info)) continue;
    if (!all && !/\brun\b/.test(info)) continue;
    out.push({ file, line: text.slice(0, m.index).split('\n').length, info, code });
  }
  return out;
}

/** Rewrites the assertion comments of a block into calls of __eq / __throws; other lines stay as they are. */
function compile(code, where) {
  const out = [];
  const raw = code.split('\n');
  raw.forEach((line, i) => {
    // `// → VALUE` alone on a line asserts the expression statement on the line before it.
    const alone = line.match(/^\s*\/\/ → (.+)$/);
    if (alone) {
      const prev = out.pop();
      if (prev === undefined || prev.startsWith('__') || /^\s*\/\//.test(prev)) throw new Error(`${where}+${i + 1}: "// →" with no expression before it`);
      line = `${prev.replace(/;\s*$/, '')}; // → ${alone[1]}`;
    }
    const arrow = line.match(/^(\s*)(.*?);?\s*\/\/ → (.+)$/);
    if (arrow) {
      const [, indent, expr, value] = arrow;
      if (/^(const|let|var)\s/.test(expr)) throw new Error(`${where}+${i + 1}: "// →" after a declaration; assert an expression`);
      out.push(`__eq(() => (${expr}), (${value}), ${i + 1}); ${indent}`);
      return;
    }
    const throws = line.match(/^(\s*)(.*?);?\s*\/\/ throws (E_[A-Z_]+)\b.*$/);
    if (throws) {
      const [, , stmt, code] = throws;
      out.push(`__throws(() => { ${stmt}; }, '${code}', ${i + 1});`);
      return;
    }
    out.push(line);
  });
  return out.join('\n');
}

function plain(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

let passed = 0;
let failed = 0;
let pending = 0;
const list = [...blocks('docs/rules.md', true), ...blocks('npm/README.md', false), ...blocks('docs/api.md', false)];
for (const b of list) {
  const where = `${b.file}:${b.line}`;
  const needs = [...b.info.matchAll(/needs=(\w+)/g)].map((m) => m[1]);
  const unknown = needs.filter((n) => !FEATURES[n]);
  if (unknown.length) {
    failed++;
    console.log(`not ok - ${where}: unknown needs=${unknown.join(',')}`);
    continue;
  }
  const missing = needs.filter((n) => !FEATURES[n]());
  if (missing.length) {
    pending++;
    console.log(`pending - ${where}: the built package lacks ${missing.join(', ')} (SPEC 9, this session)`);
    continue;
  }
  let asserts = 0;
  const __eq = (fn, want, line) => {
    asserts++;
    let got;
    try {
      got = fn();
    } catch (err) {
      throw new Error(`line +${line}: threw ${err.code ?? ''} ${err.message}`);
    }
    try {
      assert.deepStrictEqual(plain(got), plain(want));
    } catch {
      throw new Error(`line +${line}: got ${JSON.stringify(got)}\n    want ${JSON.stringify(want)}`);
    }
  };
  const __throws = (fn, code, line) => {
    asserts++;
    try {
      fn();
    } catch (err) {
      if (!(err instanceof Error) || err.code !== code) throw new Error(`line +${line}: threw ${err?.code} (${err?.message}), want ${code}`);
      return;
    }
    throw new Error(`line +${line}: did not throw, want ${code}`);
  };
  try {
    const body = compile(b.code, where);
    const fn = new Function('engine', '__eq', '__throws',
      `const { ready, Catalog, Wallet, signSnapshot, verifySnapshot, memoryBytes } = engine;\nreturn (async () => {\n${body}\n})();`);
    await fn(engine, __eq, __throws);
    if (asserts === 0) throw new Error('the example asserts nothing (add `// → value` or `// throws E_CODE`)');
    passed++;
    console.log(`ok - ${where} (${asserts} assertions)`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${where}\n  ${String(err?.message ?? err).split('\n').join('\n  ')}`);
  }
}
if (list.length === 0) {
  failed++;
  console.log('no examples found');
}
console.log(`${passed} passed, ${failed} failed, ${pending} pending`);
process.exitCode = failed ? 1 : 0;
