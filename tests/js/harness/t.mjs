// A tiny test framework that runs unchanged in Node, Deno, workerd and the browser: no imports, no Node APIs, only
// what all four share (Promise, setTimeout, JSON). Test files call `test(...)` at import time; a runtime entry then
// calls `run()` once and ships the returned plain object (JSON-safe) back to tests/js/run-all.mjs.

const tests = [];
const notes = [];
let current = null;

/**
 * A line of information for the report (a count, a size), printed by run-all under the runtime's summary. Not an
 * assertion: a test still proves what it claims with assert.
 */
export function note(text) {
  notes.push(`${current ?? '(outside a test)'}: ${String(text)}`);
}

/** Registers a test. `fn` may be async. Names must be unique: run-all compares runtimes by test name. */
export function test(name, fn, { timeout } = {}) {
  if (typeof name !== 'string' || name === '') throw new TypeError('test(name, fn): name must be a non-empty string');
  if (typeof fn !== 'function') throw new TypeError(`test(${JSON.stringify(name)}, fn): fn must be a function`);
  if (tests.some((t) => t.name === name)) throw new Error(`duplicate test name: ${JSON.stringify(name)}`);
  tests.push({ name, fn, timeout });
}

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
  }
}

const fail = (message) => {
  throw new AssertionError(message);
};
const prefix = (what, msg) => (msg ? `${what}: ${msg}` : what);

/** Truthiness check. */
export function ok(value, msg) {
  if (!value) fail(prefix('ok failed', msg) + `\n  got: ${show(value)}`);
}

/** Deep equality (Object.is on leaves, so NaN equals NaN and 0 differs from -0); names the first differing path. */
export function eq(actual, expected, msg) {
  const d = firstDiff(actual, expected, '');
  if (!d) return;
  fail(
    prefix('eq failed', msg) +
      `\n  at ${d.path || '(root)'}: ${d.why ?? `expected ${show(d.expected)}, got ${show(d.actual)}`}` +
      `\n  expected: ${show(expected)}\n  actual:   ${show(actual)}`,
  );
}

/** Asserts `fn()` throws an Error whose `.code === code`; returns that error for further checks. Sync only. */
export function throwsCode(fn, code, msg) {
  let result;
  try {
    result = fn();
  } catch (err) {
    return checkCode(err, code, msg, 'throwsCode');
  }
  if (result && typeof result.then === 'function') {
    result.catch(() => {}); // keep an unawaited rejection from crashing the runtime
    fail(prefix('throwsCode failed', msg) + '\n  fn returned a promise: use `await rejectsCode(fn, code)`');
  }
  fail(prefix('throwsCode failed', msg) + `\n  expected an Error with code ${show(code)}, but nothing was thrown`);
}

/** Async twin of throwsCode: `await rejectsCode(async () => ..., code)`. */
export async function rejectsCode(fn, code, msg) {
  try {
    await fn();
  } catch (err) {
    return checkCode(err, code, msg, 'rejectsCode');
  }
  fail(prefix('rejectsCode failed', msg) + `\n  expected a rejection with code ${show(code)}, but it resolved`);
}

function checkCode(err, code, msg, what) {
  if (!(err instanceof Error)) {
    fail(prefix(`${what} failed`, msg) + `\n  expected an Error instance with code ${show(code)}, got ${show(err)}`);
  }
  if (err.code !== code) {
    fail(prefix(`${what} failed`, msg) + `\n  expected code ${show(code)}, got ${show(err.code)} (${err.name}: ${err.message})`);
  }
  return err;
}

export const assert = { ok, eq, throwsCode, rejectsCode };

/** Which runtime we are in; run-all checks it so an entry cannot silently run in the wrong one. */
export function detectRuntime() {
  const ua = globalThis.navigator?.userAgent ?? '';
  if (ua === 'Cloudflare-Workers') return 'workerd'; // before Node: workerd may expose `process` (nodejs_compat)
  if (typeof globalThis.Deno?.version?.deno === 'string') return 'deno'; // before Node: Deno 2 has `process`
  if (typeof globalThis.document === 'object') return /Chrome\//.test(ua) ? 'chromium' : 'browser';
  if (typeof globalThis.process?.versions?.node === 'string') return 'node';
  return 'unknown';
}

/**
 * Runs the registered tests one after another (tests share one wasm instance, so no interleaving).
 * filter: substring or RegExp on the test name. Returns
 * { runtime, passed, failed, failures: [{name, message}], tests: [{name, ok}] } (`tests` lets runtimes be compared).
 */
export async function run({ filter, timeout = 20_000 } = {}) {
  const match = filter == null || filter === '' ? () => true
    : filter instanceof RegExp ? (n) => filter.test(n) : (n) => n.includes(String(filter));
  const out = { runtime: detectRuntime(), passed: 0, failed: 0, failures: [], tests: [], notes };
  for (const t of tests.filter((t) => match(t.name))) {
    current = t.name;
    try {
      await withTimeout(new Promise((resolve) => resolve(t.fn())), t.timeout ?? timeout);
      out.passed++;
      out.tests.push({ name: t.name, ok: true });
    } catch (err) {
      out.failed++;
      out.failures.push({ name: t.name, message: describe(err) });
      out.tests.push({ name: t.name, ok: false });
    }
  }
  return out;
}

// A hung test must fail on its own instead of eating the whole runtime's time budget.
function withTimeout(promise, ms) {
  let timer;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new AssertionError(`test timed out after ${ms} ms`)), ms); // no stack: it'd be ours
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

function describe(err) {
  if (err instanceof AssertionError) return err.message; // its own message says it all; stacks differ per runtime
  if (err instanceof Error) {
    const code = err.code !== undefined ? ` [code ${show(err.code)}]` : '';
    // Stack frames only (V8 `    at ...`), without the harness's own, which are the same for every test.
    const stack = String(err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l) && !l.includes('harness/t.mjs')).slice(0, 6);
    return `${err.name}: ${err.message}${code}${stack.length ? '\n' + stack.join('\n') : ''}`;
  }
  return `non-Error thrown: ${show(err)}`;
}

// ---- deep equality -------------------------------------------------------------------------------------------------

function kind(v) {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  if (Array.isArray(v)) return 'array';
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return 'typedarray';
  if (v instanceof Map) return 'map';
  if (v instanceof Set) return 'set';
  if (v instanceof Date) return 'date';
  return 'object';
}

function firstDiff(actual, expected, path) {
  if (Object.is(actual, expected)) return null;
  const k = kind(actual);
  if (k !== kind(expected)) return { path, actual, expected };
  switch (k) {
    case 'array':
    case 'typedarray': {
      if (k === 'typedarray' && actual.constructor !== expected.constructor) {
        return { path, why: `expected a ${expected.constructor.name}, got a ${actual.constructor.name}` };
      }
      for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
        const d = firstDiff(actual[i], expected[i], `${path}[${i}]`);
        if (d) return d;
      }
      if (actual.length !== expected.length) {
        return { path: `${path}.length`, actual: actual.length, expected: expected.length };
      }
      return null;
    }
    case 'date':
      return Object.is(actual.getTime(), expected.getTime()) ? null : { path, actual, expected };
    case 'set': {
      for (const v of expected) if (!actual.has(v)) return { path, why: `missing set element ${show(v)}` };
      for (const v of actual) if (!expected.has(v)) return { path, why: `unexpected set element ${show(v)}` };
      return null;
    }
    case 'map': {
      for (const [key, v] of expected) {
        if (!actual.has(key)) return { path, why: `missing map key ${show(key)}` };
        const d = firstDiff(actual.get(key), v, `${path}.get(${show(key)})`);
        if (d) return d;
      }
      for (const key of actual.keys()) if (!expected.has(key)) return { path, why: `unexpected map key ${show(key)}` };
      return null;
    }
    case 'object': {
      // Plain and null-prototype objects compare alike (serde-wasm-bindgen may produce either); class instances must
      // share a prototype.
      const pa = Object.getPrototypeOf(actual), pe = Object.getPrototypeOf(expected);
      const plain = (p) => p === null || p === Object.prototype;
      if (pa !== pe && !(plain(pa) && plain(pe))) {
        const name = (p) => (p === null ? 'null-prototype object' : p.constructor?.name ?? 'object');
        return { path, why: `expected a ${name(pe)}, got a ${name(pa)}` };
      }
      const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
      for (const key of keys) {
        const p = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        if (!Object.hasOwn(actual, key)) return { path: p, why: `missing key (expected ${show(expected[key])})` };
        if (!Object.hasOwn(expected, key)) return { path: p, why: `unexpected key (got ${show(actual[key])})` };
        const d = firstDiff(actual[key], expected[key], p);
        if (d) return d;
      }
      return null;
    }
    default:
      return { path, actual, expected };
  }
}

/** Compact one-line rendering that keeps the types JSON loses (undefined, -0, NaN, bigint, Map, Set). */
export function show(v, max = 300) {
  let s;
  try {
    s = render(v, new Set());
  } catch {
    s = String(v);
  }
  return s.length > max ? s.slice(0, max) + '…' : s;
}

function render(v, seen) {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'bigint':
      return `${v}n`;
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'function':
      return `[Function ${v.name || 'anonymous'}]`;
    case 'symbol':
    case 'undefined':
    case 'boolean':
      return String(v);
  }
  if (v === null) return 'null';
  if (seen.has(v)) return '[Circular]';
  seen.add(v);
  try {
    if (v instanceof Error) return `${v.name}(${JSON.stringify(v.message)}${v.code !== undefined ? `, code ${render(v.code, seen)}` : ''})`;
    if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
    if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${render(k, seen)} => ${render(x, seen)}`).join(', ')}}`;
    if (v instanceof Set) return `Set{${[...v].map((x) => render(x, seen)).join(', ')}}`;
    if (Array.isArray(v)) return `[${v.map((x) => render(x, seen)).join(', ')}]`;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return `${v.constructor.name}[${Array.from(v).join(', ')}]`;
    const proto = Object.getPrototypeOf(v);
    const tag = proto && proto !== Object.prototype ? `${proto.constructor?.name ?? ''} ` : '';
    const body = Object.keys(v).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${render(v[k], seen)}`);
    return `${tag}{${body.join(', ')}}`;
  } finally {
    seen.delete(v);
  }
}
