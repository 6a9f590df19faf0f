#!/usr/bin/env node
// The HTTP contract of the wallet service (SPEC section 10), run against one deployment through its driver:
//   node tests/stack/contract.mjs [tests/stack/driver-cloudflare.mjs | tests/stack/driver-node.mjs]
// Every route, every status, the admin key, ledger paging, 413 for bodies over 65,536 bytes (with Content-Length and
// chunked), idempotent retries, and answers that survive a restart. Decisions where SPEC is silent are the team's
// (BRIEF) and are written next to the test that pins them:
//   - checks in this order: admin key (401) -> route (404, wrong method 405 with Allow) -> account id (400) ->
//     account exists (404) -> body size (413) -> JSON (400);
//   - PUT answers { account, timeZone, retentionDays }; other settings for an existing account: 409
//     E_IDEMPOTENCY_CONFLICT;
//   - trial, membership, purchases, promotions and release answer 200 { ok: true }; daily-login { granted };
//   - a retried call with the same id runs at the first call's `at` (the engine compares the payload with its `at`),
//     so it replays the first answer; the same id with another payload is 409;
//   - a capture or release retried after it applied is 404 (the hold is no longer open).
import { Buffer } from 'node:buffer';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, TOKEN_KEY, TOKEN_KEY_ID, eq, ok, rawRequest, runTests, startStack } from './lib.mjs';

const { ready, verifySnapshot } = await import(pathToFileURL(path.join(ROOT, 'pkg/node.js')).href);
await ready();

const DAY = 86_400_000;
const iso = (ms) => new Date(ms).toISOString();
const RUN = Date.now().toString(36);
let n = 0;
const newId = (what = 'acct') => `${what}-${RUN}-${++n}`;

/** A new account (PUT), optionally with a trial of `credits` for 7 days. */
async function account(api, { credits, timeZone = 'UTC' } = {}) {
  const id = newId();
  const put = await api.call('PUT', `/v1/accounts/${id}`, { timeZone });
  eq(put.status, 201, `PUT ${id} (${put.text})`);
  if (credits !== undefined) {
    const t = await api.call('POST', `/v1/accounts/${id}/trial`, { until: iso(Date.now() + 7 * DAY), credits });
    eq(t.status, 200, `trial (${t.text})`);
  }
  return id;
}
const errorShape = (r, status, code, what) => {
  eq([r.status, r.body?.code, typeof r.body?.message], [status, code, 'string'], `${what} (${r.text.slice(0, 300)})`);
};

const ROUTES = [
  ['PUT', ''], ['POST', '/trial'], ['POST', '/membership'], ['POST', '/daily-login'], ['POST', '/purchases'],
  ['POST', '/promotions'], ['POST', '/charges'], ['POST', '/charges/c1/refunds'], ['POST', '/holds'],
  ['POST', '/holds/h1/capture'], ['POST', '/holds/h1/release'], ['GET', '/balance'], ['GET', '/ledger'], ['POST', '/token'],
];

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('GET /v1/health answers 200 { ok: true } without a key', async ({ api }) => {
  const r = await api.call('GET', '/v1/health', undefined, { key: null });
  eq([r.status, r.body], [200, { ok: true }], 'health');
});

test('every admin route without the key, with a wrong key or another scheme: 401 E_UNAUTHORIZED', async ({ api }) => {
  const id = await account(api);
  for (const [method, rest] of [...ROUTES, ['GET', '/nonexistent'], ['DELETE', '']]) {
    const body = method === 'GET' ? undefined : {};
    errorShape(await api.call(method, `/v1/accounts/${id}${rest}`, body, { key: null }), 401, 'E_UNAUTHORIZED', `${method} ${rest} no key`);
    errorShape(await api.call(method, `/v1/accounts/${id}${rest}`, body, { key: 'wrong' }), 401, 'E_UNAUTHORIZED', `${method} ${rest} wrong key`);
  }
  const basic = await api.call('GET', `/v1/accounts/${id}/balance`, undefined, { key: null, headers: { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` } });
  errorShape(basic, 401, 'E_UNAUTHORIZED', 'Basic scheme');
  // The key comes before the route: an unknown path without the key is 401, not 404.
  errorShape(await api.call('GET', '/v1/nothing-here', undefined, { key: null }), 401, 'E_UNAUTHORIZED', 'unknown path, no key');
});

test('unknown routes are 404; a wrong method on a known path is 405 E_BAD_REQUEST with Allow', async ({ api }) => {
  const id = await account(api);
  for (const p of ['/v1/nothing-here', '/v1/accounts', `/v1/accounts/${id}/nothing`, `/v1/accounts/${id}/charges/x/y`, `/v2/accounts/${id}`]) {
    errorShape(await api.call('GET', p), 404, 'E_NOT_FOUND', p);
  }
  for (const [method, rest, allow] of [['GET', '', 'PUT'], ['POST', '', 'PUT'], ['DELETE', '', 'PUT'], ['GET', '/charges', 'POST'],
    ['POST', '/balance', 'GET'], ['PUT', '/ledger', 'GET'], ['GET', '/holds/h/capture', 'POST']]) {
    const r = await api.call(method, `/v1/accounts/${id}${rest}`, method === 'GET' ? undefined : {});
    errorShape(r, 405, 'E_BAD_REQUEST', `${method} ${rest}`);
    eq(r.headers.get('allow'), allow, `Allow of ${method} ${rest}`);
  }
});

test('account ids: 1-128 of [A-Za-z0-9._:-], anything else is 400', async ({ api }) => {
  const okId = `A.b_c:d-${RUN}`;
  eq((await api.call('PUT', `/v1/accounts/${okId}`, { timeZone: 'UTC' })).status, 201, 'punctuation allowed');
  const long = 'a'.repeat(128);
  eq((await api.call('PUT', `/v1/accounts/${long}`, { timeZone: 'UTC' })).status, 201, '128 characters');
  for (const bad of ['a'.repeat(129), 'a%20b', '%C3%A4', 'a%2Fb', 'a+b', 'a~b']) {
    errorShape(await api.call('PUT', `/v1/accounts/${bad}`, { timeZone: 'UTC' }), 400, 'E_BAD_REQUEST', `PUT ${bad}`);
    errorShape(await api.call('GET', `/v1/accounts/${bad}/balance`), 400, 'E_BAD_REQUEST', `GET ${bad}`);
  }
});

test('an unknown account is 404 E_NOT_FOUND on every route but PUT', async ({ api }) => {
  const id = newId('ghost');
  for (const [method, rest] of ROUTES.slice(1)) {
    const r = await api.call(method, `/v1/accounts/${id}${rest}`, method === 'GET' ? undefined : { id: 'x', credits: 1 });
    errorShape(r, 404, 'E_NOT_FOUND', `${method} ${rest}`);
  }
});

test('PUT: 201 created, 200 the same settings again, 409 other settings, 400 bad zone or retention', async ({ api }) => {
  const id = newId();
  const a = await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'Europe/Berlin' });
  eq([a.status, a.body], [201, { account: id, timeZone: 'Europe/Berlin', retentionDays: 7 }], 'created');
  const b = await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'Europe/Berlin' });
  eq([b.status, b.body], [200, { account: id, timeZone: 'Europe/Berlin', retentionDays: 7 }], 'same again');
  eq((await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'Europe/Berlin', retentionDays: 7 })).status, 200, 'explicit default');
  errorShape(await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'Asia/Tokyo' }), 409, 'E_IDEMPOTENCY_CONFLICT', 'other zone');
  errorShape(await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'Europe/Berlin', retentionDays: 30 }), 409, 'E_IDEMPOTENCY_CONFLICT', 'other retention');
  errorShape(await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'Europe/Berlin', retentionDays: 0 }), 400, 'E_BAD_REQUEST', 'invalid settings on an existing account');
  errorShape(await api.call('PUT', `/v1/accounts/${newId()}`, { timeZone: 'Mars/Olympus' }), 400, 'E_TIME_ZONE', 'bad zone');
  errorShape(await api.call('PUT', `/v1/accounts/${newId()}`, {}), 400, 'E_TIME_ZONE', 'no zone');
  const r30 = newId();
  eq((await api.call('PUT', `/v1/accounts/${r30}`, { timeZone: 'UTC', retentionDays: 30 })).body,
    { account: r30, timeZone: 'UTC', retentionDays: 30 }, 'retention 30');
  const nul = newId();
  eq((await api.call('PUT', `/v1/accounts/${nul}`, { timeZone: 'UTC', retentionDays: null })).body,
    { account: nul, timeZone: 'UTC', retentionDays: 7 }, 'retention null is the default (as in the engine)');
  for (const bad of [0, 401, 1.5, '7']) {
    errorShape(await api.call('PUT', `/v1/accounts/${newId()}`, { timeZone: 'UTC', retentionDays: bad }), 400, 'E_BAD_REQUEST', `retention ${bad}`);
  }
  // The zone is checked first.
  errorShape(await api.call('PUT', `/v1/accounts/${newId()}`, { timeZone: 'Nope/Nope', retentionDays: 0 }), 400, 'E_TIME_ZONE', 'zone first');
});

test('bodies: 400 for non-JSON, non-objects and invalid UTF-8; no body where one is needed is 400', async ({ api }) => {
  const id = await account(api, { credits: 10 });
  for (const [body, what] of [['{"id": "x", ', 'truncated'], ['[1,2]', 'array'], ['"text"', 'string'], ['null', 'null'], ['', 'empty']]) {
    errorShape(await api.call('POST', `/v1/accounts/${id}/charges`, body, { raw: true }), 400, 'E_BAD_REQUEST', what);
  }
  const invalid = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff\xfe":1}
  errorShape(await api.call('POST', `/v1/accounts/${id}/purchases`, invalid, { raw: true }), 400, 'E_BAD_REQUEST', 'invalid UTF-8');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c', request: 'ai_background' }), 400, 'E_BAD_REQUEST', 'request not an object');
});

test('413 E_TOO_LARGE for a body over 65,536 bytes, with Content-Length or chunked; 65,536 bytes pass', async ({ api, url, adminKey }) => {
  const id = await account(api, { credits: 10 });
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const padded = (size) => {
    const head = '{"id":"big-1","credits":1,"pad":"';
    const tail = '"}';
    return Buffer.from(head + 'x'.repeat(size - head.length - tail.length) + tail);
  };
  // A trial account is a member, so the purchase is allowed: 65,536 bytes exactly is accepted.
  const exact = await rawRequest(url, { path: `/v1/accounts/${id}/purchases`, headers, chunks: [padded(65_536)] });
  eq(exact.status, 200, `65,536 bytes (${exact.text})`);
  const over = await rawRequest(url, { path: `/v1/accounts/${id}/purchases`, headers, chunks: [padded(65_537)] });
  errorShape(over, 413, 'E_TOO_LARGE', '65,537 bytes with Content-Length');
  // Chunked: 17 chunks of 4,096 bytes = 69,632 bytes, no Content-Length.
  const big = padded(69_632);
  const chunks = Array.from({ length: 17 }, (_, i) => big.subarray(i * 4096, (i + 1) * 4096));
  errorShape(await rawRequest(url, { path: `/v1/accounts/${id}/purchases`, headers, chunks, chunked: true }), 413, 'E_TOO_LARGE', 'chunked');
  // Chunked in small pieces that add up to 65,537.
  const small = padded(65_537);
  const pieces = Array.from({ length: Math.ceil(small.length / 1000) }, (_, i) => small.subarray(i * 1000, (i + 1) * 1000));
  errorShape(await rawRequest(url, { path: `/v1/accounts/${id}/purchases`, headers, chunks: pieces, chunked: true }), 413, 'E_TOO_LARGE', 'chunked, 65,537');
  // Counted in bytes, not characters: 30,000 three-byte characters are 90,000 bytes.
  const wide = Buffer.from(`{"id":"w","credits":1,"pad":"${'€'.repeat(30_000)}"}`);
  errorShape(await rawRequest(url, { path: `/v1/accounts/${id}/purchases`, headers, chunks: [wide] }), 413, 'E_TOO_LARGE', 'multi-byte');
  // Size comes before JSON: an oversized non-JSON body is 413; an unknown account is 404 before the size.
  errorShape(await rawRequest(url, { path: `/v1/accounts/${id}/charges`, headers, chunks: [Buffer.alloc(70_000, 0x7b)] }), 413, 'E_TOO_LARGE', 'not JSON');
  errorShape(await rawRequest(url, { path: `/v1/accounts/${newId('ghost')}/charges`, headers, chunks: [Buffer.alloc(70_000, 0x7b)] }), 404, 'E_NOT_FOUND', 'unknown account');
  // The key comes before the size.
  errorShape(await rawRequest(url, { path: `/v1/accounts/${id}/charges`, headers: { 'content-type': 'application/json' }, chunks: [Buffer.alloc(70_000, 0x7b)] }), 401, 'E_UNAUTHORIZED', 'no key');
  const bal = await api.call('GET', `/v1/accounts/${id}/balance`);
  eq(bal.body.total, 11, 'only the 65,536-byte purchase applied');
});

test('grants: trial, membership, daily-login, purchases, promotions answer 200 and show in the balance', async ({ api }) => {
  const id = await account(api);
  const now = Date.now();
  errorShape(await api.call('POST', `/v1/accounts/${id}/purchases`, { id: 'p0', credits: 10 }), 403, 'E_MEMBERS_ONLY', 'purchase before membership');
  const m = await api.call('POST', `/v1/accounts/${id}/membership`, { until: iso(now + 60 * DAY), monthlyCredits: 100, monthlyAgentCredits: 20 });
  eq([m.status, m.body], [200, { ok: true }], 'membership');
  const d1 = await api.call('POST', `/v1/accounts/${id}/daily-login`, { credits: 5 });
  eq([d1.status, d1.body], [200, { granted: true }], 'first daily login');
  const d2 = await api.call('POST', `/v1/accounts/${id}/daily-login`, { credits: 5 });
  eq([d2.status, d2.body], [200, { granted: false }], 'second daily login the same day');
  eq((await api.call('POST', `/v1/accounts/${id}/purchases`, { id: 'p1', credits: 50 })).body, { ok: true }, 'purchase');
  eq((await api.call('POST', `/v1/accounts/${id}/promotions`, { id: 'promo1', credits: 7, expiresAt: iso(now + 3 * DAY) })).body, { ok: true }, 'promotion');
  errorShape(await api.call('POST', `/v1/accounts/${id}/promotions`, { id: 'promo2', credits: 7, expiresAt: iso(now - DAY) }), 400, 'E_BAD_REQUEST', 'promotion already expired');
  errorShape(await api.call('POST', `/v1/accounts/${id}/promotions`, { id: 'promo3', credits: 7, expiresAt: '2026-02-30T00:00:00Z' }), 400, 'E_TIME', 'impossible date');
  errorShape(await api.call('POST', `/v1/accounts/${id}/trial`, { until: iso(now + DAY), credits: 5 }), 400, 'E_BAD_REQUEST', 'trial after membership');
  errorShape(await api.call('POST', `/v1/accounts/${id}/purchases`, { id: 'p2', credits: -1 }), 400, 'E_BAD_REQUEST', 'negative credits');
  const b = await api.call('GET', `/v1/accounts/${id}/balance`);
  eq(b.status, 200, 'balance');
  eq([b.body.total, b.body.agent, b.body.regular, b.body.kinds.purchased, b.body.kinds.promotion, b.body.kinds.daily_login],
    [182, 32, 150, 50, 7, 5], 'balance after grants');
  ok(typeof b.body.at === 'string' && Array.isArray(b.body.lots) && b.body.display === true, 'Balance shape');
});

test('charges: 200 Charge, 402 with shortfall, 400 unknown feature or tier, 409 reused id, a retry replays', async ({ api }) => {
  const id = await account(api, { credits: 10 });
  const c = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c1', request: { feature: 'ai_background' } });
  eq(c.status, 200, `charge (${c.text})`);
  eq([c.body.id, c.body.credits, c.body.units, c.body.draws.length, typeof c.body.at], ['c1', 4, 2, 1, 'string'], 'Charge');
  const again = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c1', request: { feature: 'ai_background' } });
  eq([again.status, again.body], [200, c.body], 'a retry with the same id replays the first answer');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c1', request: { feature: 'ai_background', units: 3 } }), 409, 'E_IDEMPOTENCY_CONFLICT', 'same id, other request');
  const short = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c2', request: { feature: 'private_model' } });
  errorShape(short, 402, 'E_INSUFFICIENT', 'short');
  eq(short.body.shortfall, 14, 'shortfall');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c3', request: { feature: 'nope' } }), 400, 'E_UNKNOWN_FEATURE', 'unknown feature');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c4', request: { feature: 'ai_model', tier: 'premium' } }), 400, 'E_TIER_UNAVAILABLE', 'premium');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c5', request: { feature: 'ai_extender', units: 0 } }), 400, 'E_BAD_REQUEST', 'zero units');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges`, { request: { feature: 'ai_extender' } }), 400, 'E_BAD_REQUEST', 'no id');
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.total, 6, 'one charge applied');
});

test('refunds: 200 Refund, 422 beyond the charge, 404 for no such charge, idempotent with an id', async ({ api }) => {
  const id = await account(api, { credits: 20 });
  await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'gen-1', request: { feature: 'ai_background', units: 3 } });
  const r = await api.call('POST', `/v1/accounts/${id}/charges/gen-1/refunds`, { units: 1, id: 'gen-1/r1' });
  eq([r.status, r.body.chargeId, r.body.credits, r.body.units], [200, 'gen-1', 2, 1], `refund (${r.text})`);
  const again = await api.call('POST', `/v1/accounts/${id}/charges/gen-1/refunds`, { units: 1, id: 'gen-1/r1' });
  eq([again.status, again.body], [200, r.body], 'retried refund replays');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges/gen-1/refunds`, { units: 3, id: 'gen-1/r2' }), 422, 'E_REFUND_EXCEEDS', 'beyond the charge');
  errorShape(await api.call('POST', `/v1/accounts/${id}/charges/nothing/refunds`, { units: 1 }), 404, 'E_NOT_FOUND', 'no such charge');
  // An id with characters that need percent-encoding in the path.
  await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'gen/2 ä', request: { feature: 'ai_extender' } });
  eq((await api.call('POST', `/v1/accounts/${id}/charges/${encodeURIComponent('gen/2 ä')}/refunds`, { units: 1 })).status, 200, 'encoded id');
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.total, 16, 'balance after refunds');
});

test('holds: 200 Hold, capture 200 Charge, release 200, 404 when not open, 400 capturing 0 or too many', async ({ api }) => {
  const id = await account(api, { credits: 30 });
  const h = await api.call('POST', `/v1/accounts/${id}/holds`, { id: 'h1', request: { feature: 'ai_background', units: 3 }, ttlSeconds: 600 });
  eq([h.status, h.body.id, h.body.credits, h.body.units, typeof h.body.expiresAt], [200, 'h1', 6, 3, 'string'], `hold (${h.text})`);
  eq((await api.call('POST', `/v1/accounts/${id}/holds`, { id: 'h1', request: { feature: 'ai_background', units: 3 }, ttlSeconds: 600 })).body, h.body, 'retried hold replays');
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds`, { id: 'h1', request: { feature: 'ai_background', units: 4 }, ttlSeconds: 600 }), 409, 'E_IDEMPOTENCY_CONFLICT', 'same id, other hold');
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.held, 6, 'held');
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds/h1/capture`, { units: 0 }), 400, 'E_BAD_REQUEST', 'capture 0');
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds/h1/capture`, { units: 4 }), 400, 'E_BAD_REQUEST', 'capture more than held');
  const cap = await api.call('POST', `/v1/accounts/${id}/holds/h1/capture`, { units: 2 });
  eq([cap.status, cap.body.id, cap.body.credits, cap.body.units], [200, 'h1', 4, 2], `capture (${cap.text})`);
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds/h1/capture`, { units: 2 }), 404, 'E_NOT_FOUND', 'captured twice');
  const h2 = await api.call('POST', `/v1/accounts/${id}/holds`, { id: 'h2', request: { feature: 'ai_extender' }, ttlSeconds: 60 });
  eq(h2.status, 200, 'second hold');
  const rel = await api.call('POST', `/v1/accounts/${id}/holds/h2/release`, {});
  eq([rel.status, rel.body], [200, { ok: true }], 'release');
  const relEmpty = await api.call('POST', `/v1/accounts/${id}/holds/h2/release`);
  errorShape(relEmpty, 404, 'E_NOT_FOUND', 'released twice (empty body)');
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds/none/release`, {}), 404, 'E_NOT_FOUND', 'no such hold');
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds`, { id: 'h3', request: { feature: 'ai_extender' }, ttlSeconds: 0 }), 400, 'E_BAD_REQUEST', 'ttl 0');
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds`, { id: 'h4', request: { feature: 'private_model', units: 2 }, ttlSeconds: 60 }), 402, 'E_INSUFFICIENT', 'hold too big');
  const b = (await api.call('GET', `/v1/accounts/${id}/balance`)).body;
  eq([b.total, b.held], [26, 0], 'after capture and release');
});

test('a hold releases itself at its expiry', async ({ api }) => {
  const id = await account(api, { credits: 5 });
  eq((await api.call('POST', `/v1/accounts/${id}/holds`, { id: 'short', request: { feature: 'ai_extender' }, ttlSeconds: 1 })).status, 200, 'hold');
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.held, 1, 'held');
  await new Promise((r) => setTimeout(r, 1300));
  const b = (await api.call('GET', `/v1/accounts/${id}/balance`)).body;
  eq([b.total, b.held], [5, 0], 'back after expiry');
  errorShape(await api.call('POST', `/v1/accounts/${id}/holds/short/capture`, { units: 1 }), 404, 'E_NOT_FOUND', 'capture after expiry');
});

test('422 E_OVERFLOW when credits would pass 2^53 - 1', async ({ api }) => {
  const id = await account(api);
  const m = await api.call('POST', `/v1/accounts/${id}/membership`, { until: iso(Date.now() + 40 * DAY), monthlyCredits: 0, monthlyAgentCredits: 0 });
  eq(m.status, 200, 'membership without credits');
  eq((await api.call('POST', `/v1/accounts/${id}/purchases`, { id: 'p1', credits: Number.MAX_SAFE_INTEGER })).status, 200, 'first');
  errorShape(await api.call('POST', `/v1/accounts/${id}/purchases`, { id: 'p2', credits: Number.MAX_SAFE_INTEGER }), 422, 'E_OVERFLOW', 'second');
});

test('ledger: every entry once, in seq order, pages of `limit` with `next`; bad paging is 400', async ({ api }) => {
  const id = await account(api, { credits: 100 });
  for (let i = 0; i < 12; i++) {
    eq((await api.call('POST', `/v1/accounts/${id}/charges`, { id: `l${i}`, request: { feature: 'ai_extender' } })).status, 200, `charge ${i}`);
  }
  await api.call('POST', `/v1/accounts/${id}/charges/l0/refunds`, { units: 1, id: 'l0-refund' });
  const all = await api.call('GET', `/v1/accounts/${id}/ledger`);
  eq(all.status, 200, 'ledger');
  eq([all.body.entries.length, all.body.next], [14, null], 'one page (grant, 12 charges, a refund)');
  const seqs = all.body.entries.map((e) => e.seq);
  ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `seq order ${seqs}`);
  eq(all.body.entries.filter((e) => e.type === 'charge').map((e) => e.ref), Array.from({ length: 12 }, (_, i) => `l${i}`), 'charges name their id in ref');
  eq(all.body.entries.at(-1).type, 'refund', 'refund last');
  eq(all.body.entries.at(-1).total, 89, 'each entry has the usable total after it');
  // Pages of 5: 5, 5, 4; next is the seq of the page's last entry, null on the last page.
  const pages = [];
  let after;
  for (let i = 0; i < 10; i++) {
    const r = await api.call('GET', `/v1/accounts/${id}/ledger?limit=5${after === undefined ? '' : `&after=${after}`}`);
    eq(r.status, 200, 'page');
    pages.push(r.body.entries.map((e) => e.seq));
    if (r.body.next === null) break;
    eq(r.body.next, r.body.entries.at(-1).seq, 'next = last seq');
    after = r.body.next;
  }
  eq(pages.map((p) => p.length), [5, 5, 4], 'page sizes');
  eq(pages.flat(), seqs, 'pages cover the ledger once');
  const exact = await api.call('GET', `/v1/accounts/${id}/ledger?limit=14`);
  eq([exact.body.entries.length, exact.body.next], [14, null], 'a limit equal to the count ends with null');
  const past = await api.call('GET', `/v1/accounts/${id}/ledger?after=${seqs.at(-1)}`);
  eq([past.status, past.body], [200, { entries: [], next: null }], 'after the last entry');
  for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'limit=1.5', 'after=-1', 'after=x', 'after=1e3', 'limit=']) {
    errorShape(await api.call('GET', `/v1/accounts/${id}/ledger?${q}`), 400, 'E_BAD_REQUEST', q);
  }
  eq((await api.call('GET', `/v1/accounts/${id}/ledger?limit=1000`)).status, 200, 'limit 1000');
});

test('token: 200 { token } bound to the account, default ttl 300 s; ttl outside 1..2592000 is 400', async ({ api }) => {
  const id = await account(api, { credits: 9 });
  const r = await api.call('POST', `/v1/accounts/${id}/token`, {});
  eq(r.status, 200, `token (${r.text})`);
  ok(typeof r.body.token === 'string' && r.body.token.startsWith('ce2.'), `a ce2 token: ${r.body.token?.slice(0, 8)}`);
  const w = verifySnapshot(r.body.token, { keys: { [TOKEN_KEY_ID]: TOKEN_KEY }, at: Date.now() });
  eq([w.account, w.balance(Date.now()).total], [id, 9], 'account and balance in the token');
  w.free();
  // The payload is postcard (src/token.rs): alg, kid, account (varint length + UTF-8), then iat and exp (zigzag varints, ms).
  const payload = Buffer.from(r.body.token.split('.')[1], 'base64url');
  let at = 0;
  const varint = () => { let v = 0n, shift = 0n, b; do { b = payload[at++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80); return v; };
  for (let field = 0; field < 3; field++) { const length = Number(varint()); at += length; }
  const [iat, exp] = [varint() >> 1n, varint() >> 1n];
  eq(Number(exp - iat) / 1000, 300, 'default ttl');
  const long = await api.call('POST', `/v1/accounts/${id}/token`, { ttlSeconds: 2_592_000 });
  eq(long.status, 200, 'ttl 30 days');
  eq((await api.call('POST', `/v1/accounts/${id}/token`)).status, 200, 'empty body');
  for (const bad of [0, 2_592_001, 'x', -5]) {
    errorShape(await api.call('POST', `/v1/accounts/${id}/token`, { ttlSeconds: bad }), 400, 'E_BAD_REQUEST', `ttl ${bad}`);
  }
});

test('answered changes survive a restart of the service', async (ctx) => {
  const { api } = ctx;
  const id = await account(api, { credits: 10 });
  const c = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'before-restart', request: { feature: 'ai_extender' } });
  eq(c.status, 200, 'charge');
  const before = (await api.call('GET', `/v1/accounts/${id}/ledger`)).body;
  await ctx.restart();
  const after = (await api.call('GET', `/v1/accounts/${id}/ledger`)).body;
  eq(after, before, 'ledger');
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.total, 9, 'balance');
  const again = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'before-restart', request: { feature: 'ai_extender' } });
  eq([again.status, again.body], [200, c.body], 'a retry after the restart replays');
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.total, 9, 'still 9');
});

test('no input makes a 500: odd JSON values in every body field', async ({ api }) => {
  const id = await account(api, { credits: 10 });
  const odd = [null, true, 1e308, -0, '', 'x'.repeat(300), [], {}, { valueOf: 1 }, '\u0000'];
  const shapes = [
    ['/trial', (v) => ({ until: v, credits: v })], ['/membership', (v) => ({ until: v, monthlyCredits: v, monthlyAgentCredits: v })],
    ['/daily-login', (v) => ({ credits: v })], ['/purchases', (v) => ({ id: v, credits: v })],
    ['/promotions', (v) => ({ id: v, credits: v, expiresAt: v })], ['/charges', (v) => ({ id: v, request: v })],
    ['/charges', (v) => ({ id: 'odd', request: { feature: v, units: v, tier: v, seconds: v } })],
    ['/charges/odd/refunds', (v) => ({ units: v, id: v })], ['/holds', (v) => ({ id: v, request: v, ttlSeconds: v })],
    ['/holds/odd/capture', (v) => ({ units: v })], ['/token', (v) => ({ ttlSeconds: v })],
  ];
  for (const [rest, make] of shapes) {
    for (const v of odd) {
      const r = await api.call('POST', `/v1/accounts/${id}${rest}`, make(v));
      ok(r.status < 500, `${rest} ${JSON.stringify(make(v)).slice(0, 80)} -> ${r.status} ${r.text.slice(0, 200)}`);
      ok(r.status === 200 || typeof r.body?.code === 'string', `${rest}: error without a code: ${r.text.slice(0, 200)}`);
    }
  }
});

await runTests('SPEC 10 contract', tests, {
  setup: async () => startStack(),
  teardown: async (ctx) => ctx.cleanup(),
});
