#!/usr/bin/env node
// The edge pre-check as the product uses it, end to end on 127.0.0.1: real workerd (deploy/cloudflare) in front of a
// stub generation service (a real local HTTP server started here) that captures or releases through the admin API
// the way the real one must. Covers capture, partial capture, release, expiry, the 402 that never reaches the
// account's object, and each attack of issue 12 refused:
//   - a token of account A cannot charge account B (the account comes from the token, never from the client);
//   - an unauthenticated PUT cannot set up an account;
//   - a request id reused for a costlier request is 409, not a replay;
//   - 50 MB bodies are refused early and workerd's memory stays bounded (RSS measured);
//   - a 196,538-byte body of 3-byte characters (65,512 UTF-16 units) is refused: the limit counts bytes;
//   - the client's cookie, token, Host, X-Forwarded-For and x-credit-* headers never reach the generation service.
// Plus the scenarios of the former edge/ test: tampered, truncated, expired, unknown-key and other-catalog tokens,
// daily credits signed yesterday that expired at midnight, agent credits that cannot pay a non-agent feature,
// malformed bodies, and 200 concurrent requests on one account: exactly the credits there are.
//   node tests/stack/precheck.mjs [driver]    (the driver must serve POST /v1/generate: the Cloudflare one does)
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, TOKEN_KEY, TOKEN_KEY_ID, eq, freePort, ok, rawRequest, runTests, startStack } from './lib.mjs';

const { ready, Catalog, Wallet, signSnapshot } = await import(pathToFileURL(path.join(ROOT, 'pkg/node.js')).href);
await ready();

const DAY = 86_400_000;
const HOUR = 3_600_000;
const HOLD_TTL = 5;
const RETIRED_KEY = 'stack-test-retired-key-0123456789abcd';
const iso = (ms) => new Date(ms).toISOString();
const RUN = Date.now().toString(36);
let n = 0;
const newId = (what = 'pc') => `${what}-${RUN}-${++n}`;

// ---- the stub generation service ------------------------------------------------------------------------------
// Body fields it reads: mode ('capture' | 'release' | 'none'), deliver (units to capture). It answers 200
// { delivered, account, hold } after its admin call, like the real service would after generating.
const seen = [];
let stack = null;
async function admin(method, p, body) {
  const res = await fetch(stack.url + p, { method, headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
const stub = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', async () => {
    const text = Buffer.concat(parts).toString();
    const record = { headers: req.headers, rawHeaders: req.rawHeaders, url: req.url, text };
    seen.push(record);
    let body = {};
    try {
      body = JSON.parse(text);
    } catch { /* answered below */ }
    const account = req.headers['x-credit-account'];
    const hold = req.headers['x-credit-hold'];
    let delivered = 0;
    let adminStatus = null;
    if (body.mode === 'capture') {
      const r = await admin('POST', `/v1/accounts/${account}/holds/${encodeURIComponent(hold)}/capture`, { units: body.deliver });
      adminStatus = r.status;
      delivered = r.status === 200 ? body.deliver : 0;
    } else if (body.mode === 'release') {
      adminStatus = (await admin('POST', `/v1/accounts/${account}/holds/${encodeURIComponent(hold)}/release`, {})).status;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ delivered, account, hold, adminStatus }));
  });
});

// ---- helpers ---------------------------------------------------------------------------------------------------
async function account({ credits, setup } = {}) {
  const id = newId();
  eq((await stack.api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'UTC' })).status, 201, 'account');
  if (credits !== undefined) {
    eq((await stack.api.call('POST', `/v1/accounts/${id}/trial`, { until: iso(Date.now() + 7 * DAY), credits })).status, 200, 'trial');
  }
  if (setup) await setup(id);
  return id;
}
async function tokenOf(id, ttlSeconds = 300) {
  const r = await stack.api.call('POST', `/v1/accounts/${id}/token`, { ttlSeconds });
  eq(r.status, 200, `token (${r.text})`);
  return r.body.token;
}
const sign = (w, o) => signSnapshot(w, { key: TOKEN_KEY, keyId: TOKEN_KEY_ID, ttlSeconds: 300, at: Date.now(), ...o });
async function generate(token, body, { requestId = newId('req'), cookie = false, headers = {}, raw = false } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (token && cookie) h.cookie = `theme=dark; wallet_token=${token}; session=abc`;
  else if (token) h['x-wallet-token'] = token;
  if (requestId !== null) h['x-request-id'] = requestId;
  const res = await fetch(`${stack.url}/v1/generate`, { method: 'POST', headers: h, body: raw ? body : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers, requestId };
}
const balance = async (id) => (await stack.api.call('GET', `/v1/accounts/${id}/balance`)).body;
async function ledger(id) {
  return (await stack.api.call('GET', `/v1/accounts/${id}/ledger?limit=1000`)).body.entries;
}
function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// ---- tests -----------------------------------------------------------------------------------------------------
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('capture: the hold is placed in the token\'s account, forwarded with x-credit-*, captured by the service', async () => {
  const id = await account({ credits: 50 });
  const before = seen.length;
  const r = await generate(await tokenOf(id), { feature: 'ai_background', units: 3, prompt: 'a red shoe', mode: 'capture', deliver: 3 });
  eq([r.status, r.body.delivered, r.body.adminStatus], [200, 3, 200], `generate (${JSON.stringify(r.body)})`);
  eq(seen.length, before + 1, 'the service got one request');
  const got = seen.at(-1);
  eq([got.headers['x-credit-account'], got.headers['x-credit-hold'], got.headers['x-request-id']], [id, r.requestId, r.requestId], 'x-credit headers');
  eq(JSON.parse(got.text).prompt, 'a red shoe', 'the body reaches the service');
  eq(r.headers.get('x-credit-hold'), r.requestId, 'the client learns the hold id');
  const b = await balance(id);
  eq([b.total, b.held], [44, 0], 'charged 6 for 3 images');
  eq((await ledger(id)).slice(1).map((e) => [e.type, e.ref, e.credits]), [['hold', r.requestId, -6], ['capture', r.requestId, 0]], 'ledger');
});

test('partial capture: 1 of 3 images delivered costs 2 credits, the rest is released', async () => {
  const id = await account({ credits: 50 });
  const r = await generate(await tokenOf(id), { feature: 'ai_background', units: 3, mode: 'capture', deliver: 1 }, { cookie: true });
  eq([r.status, r.body.delivered], [200, 1], `generate via cookie (${JSON.stringify(r.body)})`);
  const b = await balance(id);
  eq([b.total, b.held], [48, 0], 'balance');
});

test('release: the service releases, every credit comes back', async () => {
  const id = await account({ credits: 50 });
  const r = await generate(await tokenOf(id), { feature: 'ai_background', units: 3, mode: 'release' });
  eq([r.status, r.body.adminStatus], [200, 200], 'generate');
  eq([(await balance(id)).total, (await ledger(id)).at(-1).type], [50, 'release'], 'balance and ledger');
});

test(`expiry: a hold the service never closes releases itself after CE_HOLD_TTL_SECONDS (${HOLD_TTL} s here)`, async () => {
  const id = await account({ credits: 50 });
  const r = await generate(await tokenOf(id), { feature: 'ai_background', units: 3, mode: 'none' });
  eq(r.status, 200, 'generate');
  eq([(await balance(id)).total, (await balance(id)).held], [44, 6], 'held');
  await new Promise((res) => setTimeout(res, HOLD_TTL * 1000 + 300));
  eq([(await balance(id)).total, (await balance(id)).held], [50, 0], 'released at expiry');
  const late = await stack.api.call('POST', `/v1/accounts/${id}/holds/${r.requestId}/capture`, { units: 1 });
  eq(late.status, 404, 'a capture after expiry is 404');
});

test('402 at the edge: short on credits, never forwarded and no hold placed', async () => {
  const id = await account({ credits: 3 });
  const before = seen.length;
  const ledgerBefore = await ledger(id);
  const r = await generate(await tokenOf(id), { feature: 'ai_background', mode: 'capture', deliver: 2 });
  eq([r.status, r.body.code, r.body.credits, r.body.shortfall, r.body.balance], [402, 'E_INSUFFICIENT', 4, 1, { total: 3, agent: 0, regular: 3 }], 'body');
  eq(seen.length, before, 'not forwarded');
  eq(await ledger(id), ledgerBefore, 'the account\'s ledger is unchanged');
});

test('a stale token passes the edge but the account\'s object refuses the hold: 402, not forwarded', async () => {
  const id = await account({ credits: 5 });
  const token = await tokenOf(id);
  eq((await stack.api.call('POST', `/v1/accounts/${id}/charges`, { id: 'spent', request: { feature: 'ai_background', units: 2 } })).status, 200, 'spend 4 elsewhere');
  const before = seen.length;
  const r = await generate(token, { feature: 'ai_background', mode: 'capture', deliver: 2 });
  eq([r.status, r.body.code, r.body.shortfall], [402, 'E_INSUFFICIENT', 3], 'refused by the object');
  eq(seen.length, before, 'not forwarded');
});

test('attack: a token of account A cannot charge account B (client account headers are ignored)', async () => {
  const a = await account({ credits: 20 });
  const b = await account({ credits: 20 });
  const r = await generate(await tokenOf(a), { feature: 'ai_extender', mode: 'capture', deliver: 1, account: b },
    { headers: { 'x-credit-account': b, 'x-account': b, 'x-credit-hold': 'forged' } });
  eq(r.status, 200, 'generate');
  eq([seen.at(-1).headers['x-credit-account'], seen.at(-1).headers['x-credit-hold']], [a, r.requestId], 'the service sees A and the real hold');
  eq([(await balance(a)).total, (await balance(b)).total], [19, 20], 'A paid, B untouched');
  // A token for B signed with any key but the service's is refused.
  const w = Wallet.create({ timeZone: 'UTC' });
  w.startTrial({ at: Date.now() - HOUR, until: Date.now() + DAY, credits: 1000 });
  const forged = signSnapshot(w, { key: 'attacker-key-0123456789abcdef012345', keyId: TOKEN_KEY_ID, ttlSeconds: 300, at: Date.now(), account: b });
  const f = await generate(forged, { feature: 'ai_extender', mode: 'capture', deliver: 1 });
  eq([f.status, f.body.code], [401, 'E_TOKEN_SIGNATURE'], 'forged token');
  eq((await balance(b)).total, 20, 'B still untouched');
});

test('attack: an unauthenticated PUT (or any admin call) is refused', async () => {
  const id = newId();
  const r = await fetch(`${stack.url}/v1/accounts/${id}`, { method: 'PUT', body: JSON.stringify({ timeZone: 'UTC' }) });
  eq(r.status, 401, 'PUT without key');
  const t = await fetch(`${stack.url}/v1/accounts/${id}/trial`, { method: 'POST', headers: { authorization: 'Bearer guess' }, body: JSON.stringify({ until: iso(Date.now() + DAY), credits: 1e9 }) });
  eq(t.status, 401, 'a guessed key');
  eq((await stack.api.call('GET', `/v1/accounts/${id}/balance`)).status, 404, 'no account was made');
});

test('attack: a request id reused for a costlier request is 409, not a replay; the same request replays the hold', async () => {
  const id = await account({ credits: 20 });
  const token = await tokenOf(id);
  const first = await generate(token, { feature: 'ai_extender', mode: 'none' }, { requestId: 'req-reuse' });
  eq(first.status, 200, 'first');
  const before = seen.length;
  const costly = await generate(token, { feature: 'agent.web_page_creation', tier: 'premium', mode: 'capture', deliver: 1 }, { requestId: 'req-reuse' });
  eq([costly.status, costly.body.code], [409, 'E_IDEMPOTENCY_CONFLICT'], 'costlier request under the same id');
  eq(seen.length, before, 'not forwarded');
  const again = await generate(token, { feature: 'ai_extender', mode: 'none' }, { requestId: 'req-reuse' });
  eq(again.status, 200, 'the same request again');
  const b = await balance(id);
  eq([b.total, b.held], [19, 1], 'held once');
  eq((await ledger(id)).filter((e) => e.type === 'hold').length, 1, 'one hold in the ledger');
});

test('x-request-id is required; missing or invalid tokens are 401 E_TOKEN_*', async () => {
  const id = await account({ credits: 20 });
  const token = await tokenOf(id);
  const noId = await generate(token, { feature: 'ai_extender', mode: 'none' }, { requestId: null });
  eq([noId.status, noId.body.code], [400, 'E_BAD_REQUEST'], 'no x-request-id');
  const long = await generate(token, { feature: 'ai_extender', mode: 'none' }, { requestId: 'x'.repeat(129) });
  eq(long.status, 400, '129-character request id');
  const none = await generate(null, { feature: 'ai_extender' });
  eq([none.status, none.body.code], [401, 'E_TOKEN_MISSING'], 'no token');
  const [v, payload, sig] = token.split('.');
  // The payload is binary (postcard, the compact snapshot inside too): change one byte near its end (inside the
  // snapshot), keeping every length.
  const bytes = Buffer.from(payload, 'base64url');
  bytes[bytes.length - 3] ^= 0x01;
  const tampered = await generate([v, bytes.toString('base64url'), sig].join('.'), { feature: 'ai_extender' });
  eq([tampered.status, tampered.body.code], [401, 'E_TOKEN_SIGNATURE'], 'tampered');
  const cut = await generate(token.slice(0, -5), { feature: 'ai_extender' });
  eq([cut.status, cut.body.code], [401, 'E_TOKEN_MALFORMED'], 'truncated');
  const w = Wallet.create({ timeZone: 'UTC' });
  w.startTrial({ at: Date.now() - HOUR, until: Date.now() + DAY, credits: 5 });
  const old = await generate(sign(w, { at: Date.now() - 2 * HOUR, ttlSeconds: 60, account: id }), { feature: 'ai_extender' });
  eq([old.status, old.body.code], [401, 'E_TOKEN_EXPIRED'], 'expired');
  const otherKey = await generate(signSnapshot(w, { key: TOKEN_KEY, keyId: 'k9', ttlSeconds: 300, at: Date.now(), account: id }), { feature: 'ai_extender' });
  eq([otherKey.status, otherKey.body.code], [401, 'E_TOKEN_KEY'], 'unknown key id');
  const wrongKey = await generate(signSnapshot(w, { key: RETIRED_KEY, keyId: TOKEN_KEY_ID, ttlSeconds: 300, at: Date.now(), account: id }), { feature: 'ai_extender' });
  eq([wrongKey.status, wrongKey.body.code], [401, 'E_TOKEN_SIGNATURE'], 'known id, wrong key');
  const custom = Catalog.fromJSON({ version: 1, features: [{ id: 'ai_extender', agent: false, unit: 'image', defaultUnits: 1, prices: { general: 3 } }] });
  const cat = await generate(sign(w, { account: id, catalog: custom }), { feature: 'ai_extender' });
  eq([cat.status, cat.body.code], [401, 'E_TOKEN_CATALOG'], 'another catalog');
});

test('key rotation: a token under the retired key (CE_TOKEN_KEYS_RETIRED) still passes', async () => {
  const id = await account({ credits: 5 });
  const w = Wallet.create({ timeZone: 'UTC' });
  w.startTrial({ at: Date.now() - HOUR, until: Date.now() + DAY, credits: 5 });
  const r = await generate(signSnapshot(w, { key: RETIRED_KEY, keyId: 'k0', ttlSeconds: 300, at: Date.now(), account: id }), { feature: 'ai_extender', mode: 'capture', deliver: 1 });
  eq([r.status, (await balance(id)).total], [200, 4], 'accepted and charged');
});

test('the edge prices as of now: daily credits signed yesterday expired at midnight (402)', async () => {
  const dailyAt = Date.now() - 25 * HOUR;
  const id = await account();
  const w = Wallet.create({ timeZone: 'UTC' });
  w.dailyLogin({ at: dailyAt, credits: 5 });
  const r = await generate(sign(w, { at: dailyAt + 60_000, ttlSeconds: 30 * 3600, account: id }), { feature: 'agent.image_editing' });
  eq([r.status, r.body.code, r.body.shortfall, r.body.balance.total], [402, 'E_INSUFFICIENT', 1, 0], 'expired at midnight');
});

test('agent credits cannot pay a non-agent feature (402); an agent feature goes through', async () => {
  const id = await account({ setup: async (acct) => {
    eq((await stack.api.call('POST', `/v1/accounts/${acct}/daily-login`, { credits: 10 })).status, 200, 'daily');
  } });
  const token = await tokenOf(id);
  const r = await generate(token, { feature: 'ai_extender', mode: 'capture', deliver: 1 });
  eq([r.status, r.body.shortfall, r.body.balance], [402, 1, { total: 10, agent: 10, regular: 0 }], 'ai_extender');
  const a = await generate(token, { feature: 'agent.image_editing', mode: 'capture', deliver: 1 });
  eq([a.status, (await balance(id)).total], [200, 9], 'agent feature');
});

test('malformed bodies: 400 with a message', async () => {
  const id = await account({ credits: 5 });
  const token = await tokenOf(id);
  for (const body of ['{"feature": "ai_ext', '[1,2]', '{"units": 2}', '{"feature": "nope"}', '{"feature": "ai_extender", "units": -1}',
    '{"feature": "ai_model", "tier": "premium"}']) {
    const r = await generate(token, body, { raw: true });
    eq(r.status, 400, `${body} -> ${JSON.stringify(r.body)}`);
    ok(typeof r.body.message === 'string' && r.body.message.length > 5, `${body}: message`);
  }
});

test('attack: the client\'s cookie, token, Host, X-Forwarded-For and x-credit-* never reach the service', async () => {
  const id = await account({ credits: 20 });
  const token = await tokenOf(id);
  const headers = {
    'content-type': 'application/json', 'x-wallet-token': token, cookie: `session=secret; wallet_token=${token}`,
    'x-forwarded-for': '203.0.113.66', 'x-real-ip': '203.0.113.66', forwarded: 'for=203.0.113.66', 'x-credit-account': 'victim',
    'x-credit-credits': '0', 'x-request-id': newId('req'), 'user-agent': 'test-agent/1',
  };
  const r = await rawRequest(stack.url, { path: '/v1/generate', headers: { ...headers, host: 'evil.example' },
    chunks: [Buffer.from(JSON.stringify({ feature: 'ai_extender', mode: 'capture', deliver: 1 }))] });
  eq(r.status, 200, `generate (${r.text})`);
  const got = seen.at(-1).headers;
  const stubHost = new URL(stack.generationUrl).host;
  eq(got.host, stubHost, 'Host is the service\'s own');
  for (const h of ['cookie', 'x-wallet-token', 'x-real-ip', 'forwarded']) eq(got[h], undefined, `${h} not forwarded`);
  ok(!JSON.stringify(seen.at(-1).rawHeaders).includes('203.0.113.66'), 'the client address claim is not forwarded');
  ok(!JSON.stringify(seen.at(-1).rawHeaders).includes(token.slice(0, 40)), 'the token appears nowhere');
  eq([got['x-credit-account'], got['x-credit-credits'], got['user-agent']], [id, '1', 'test-agent/1'], 'the worker\'s own x-credit-*; user-agent kept');
});

test('attack: a 196,538-byte body of 3-byte characters (65,512 UTF-16 units) is 413', async () => {
  const id = await account({ credits: 5 });
  const token = await tokenOf(id);
  const head = '{"feature":"ai_extender","p":"';
  const tail = '"}';
  const room = 196_538 - head.length - tail.length;
  const count = Math.floor(room / 3);
  const text = head + 'x'.repeat(room - 3 * count) + '€'.repeat(count) + tail;
  eq([Buffer.byteLength(text), text.length <= 65_536], [196_538, true], 'bytes and UTF-16 length');
  const r = await generate(token, text, { raw: true });
  eq([r.status, r.body.code], [413, 'E_TOO_LARGE'], 'refused');
  eq((await balance(id)).held, 0, 'no hold');
});

test('attack: eight 50 MB bodies are refused early (413) and workerd\'s memory stays bounded', async () => {
  const id = await account({ credits: 5 });
  const token = await tokenOf(id);
  const pid = stack.pid();
  const rss0 = rssKb(pid);
  const MB = 1024 * 1024;
  const chunk = Buffer.alloc(MB, 0x20);
  const results = [];
  for (let i = 0; i < 8; i++) {
    const chunked = i % 2 === 1;
    const chunks = Array.from({ length: 50 }, () => chunk);
    const headers = { 'content-type': 'application/json', 'x-wallet-token': token, 'x-request-id': newId('big') };
    // workerd answers and closes without draining the rest of the upload, so a client still sending a chunked
    // body may see the connection reset instead of the 413 (curl and this client usually read the 413 first).
    results.push(await rawRequest(stack.url, { path: '/v1/generate', headers, chunks, chunked, timeoutMs: 60_000 })
      .catch((err) => ({ status: 'reset', sent: Number(/\((\d+) body bytes sent/.exec(err.message)?.[1] ?? NaN), chunked })));
  }
  const rss1 = rssKb(pid);
  for (const [i, r] of results.entries()) {
    if (r.status === 'reset') ok(i % 2 === 1, `body ${i} (Content-Length): the 413 must arrive`);
    else eq([r.status, r.body?.code], [413, 'E_TOO_LARGE'], `body ${i}`);
    ok(r.sent < 50 * MB, `body ${i}: refused before the client finished sending (${r.sent} bytes written)`);
  }
  eq((await fetch(`${stack.url}/v1/health`)).status, 200, 'workerd still serves');
  const growthMb = (rss1 - rss0) / 1024;
  console.log(`  (workerd RSS ${(rss0 / 1024).toFixed(0)} MB -> ${(rss1 / 1024).toFixed(0)} MB after eight 50 MB bodies; `
    + `client wrote ${results.map((r) => `${(r.sent / MB).toFixed(2)}${r.status === 'reset' ? ' (reset)' : ''}`).join(', ')} MB before the 413)`);
  ok(growthMb < 64, `workerd grew by ${growthMb.toFixed(0)} MB`);
  eq((await balance(id)).held, 0, 'no hold');
});

test('200 concurrent requests on one account through the edge: exactly the credits there are', async () => {
  const id = await account({ credits: 50 });
  const token = await tokenOf(id); // one token for all: the edge lets all 200 through, the object decides
  const before = seen.length;
  const results = await Promise.all(Array.from({ length: 200 }, () => generate(token, { feature: 'ai_extender', mode: 'capture', deliver: 1 })));
  const count = (s) => results.filter((r) => r.status === s).length;
  eq([count(200), count(402)], [50, 150], 'forwarded / refused');
  eq(seen.length - before, 50, 'the service got 50 requests');
  ok(results.filter((r) => r.status === 200).every((r) => r.body.adminStatus === 200), 'every capture succeeded');
  const b = await balance(id);
  eq([b.total, b.held], [0, 0], 'balance');
});

await runTests('edge pre-check', tests, {
  async setup() {
    const port = await freePort();
    await new Promise((r) => stub.listen(port, '127.0.0.1', r));
    const generationUrl = `http://127.0.0.1:${port}/generate`;
    stack = await startStack({ env: { CE_GENERATION_URL: generationUrl, CE_HOLD_TTL_SECONDS: String(HOLD_TTL),
      CE_TOKEN_KEYS_RETIRED: JSON.stringify({ k0: RETIRED_KEY }) } });
    stack.generationUrl = generationUrl;
    return stack;
  },
  async teardown(ctx) {
    await ctx.cleanup();
    stub.closeAllConnections();
    await new Promise((r) => stub.close(r));
  },
});
