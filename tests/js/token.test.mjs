// Signed wallet tokens (signSnapshot / verifySnapshot) in every runtime: the same bytes as the Rust tests (the same
// Rust code signs everywhere), an HMAC the host's own WebCrypto agrees with, and one typed code per kind of bad token.
import { ready, Catalog, Wallet, signSnapshot, verifySnapshot } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

const KEY = 'k'.repeat(32);
const AT = '2026-03-02T08:00:00Z';
const MS = Date.parse(AT);
// From tests/token.rs (golden_token_matches_every_runtime).
const GOLDEN_LEN = 238;
const GOLDEN_SIG = 'yUKt3xn891Ucq-eiV0SI4tmXufhIDpXyP1U4H1SdwRE';
const ACCOUNT = 'acct-1';

async function daily() {
  await ready();
  const w = Wallet.create({ timeZone: 'UTC' });
  w.dailyLogin({ at: AT, credits: 5 });
  return w;
}

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
async function hmac(key, text) {
  const k = await crypto.subtle.importKey('raw', new TextEncoder().encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return b64url(await crypto.subtle.sign('HMAC', k, new TextEncoder().encode(text)));
}

// The payload (src/token.rs): one postcard record of alg, kid, account (text: varint length, UTF-8), iat, exp (i64
// milliseconds: zigzag varint), catalog (text) and snapshot (bytes: varint length, then the compact snapshot, itself
// postcard).
function decodePayload(bytes) {
  let i = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = bytes[i++];
      if (b === undefined) throw new Error('payload cut short');
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  const str = () => { const n = Number(varint()); const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + n)); i += n; return s; };
  const i64 = () => { const z = varint(); return Number((z >> 1n) ^ -(z & 1n)); };
  const raw = () => { const n = Number(varint()); const b = bytes.slice(i, i + n); if (b.length !== n) throw new Error('payload cut short'); i += n; return b; };
  const p = { alg: str(), kid: str(), account: str(), iat: i64(), exp: i64(), catalog: str(), snapshot: raw() };
  if (i !== bytes.length) throw new Error('bytes follow the payload');
  return p;
}
function encodePayload(p) {
  const out = [];
  const uvarint = (v) => { for (; v >= 0x80n; v >>= 7n) out.push(Number(v & 0x7fn) | 0x80); out.push(Number(v)); };
  const str = (s) => { const b = new TextEncoder().encode(s); uvarint(BigInt(b.length)); for (const x of b) out.push(x); };
  const i64 = (n) => { const v = BigInt(n); uvarint(v < 0n ? (-v << 1n) - 1n : v << 1n); };
  const raw = (b) => { uvarint(BigInt(b.length)); for (const x of b) out.push(x); };
  str(p.alg); str(p.kid); str(p.account); i64(p.iat); i64(p.exp); str(p.catalog); raw(p.snapshot);
  return Uint8Array.from(out);
}
const bytesOf = (payload) => (typeof payload === 'string' ? new TextEncoder().encode(payload) : payload instanceof Uint8Array ? payload : encodePayload(payload));
/** Signs a payload (a payload object, raw bytes, or text) with the right key (to reach the checks after the signature). */
async function resign(payload, key = KEY, prefix = 'ce2') {
  const head = `${prefix}.` + b64url(bytesOf(payload));
  return `${head}.${await hmac(key, head)}`;
}
const payloadBytes = (token) => Uint8Array.from(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const payloadOf = (token) => decodePayload(payloadBytes(token));
/** The payload in the JSON shape of the earlier formats (ce1: without account; pre-release ce2: with it). */
const jsonPayload = (p, account) => JSON.stringify({ alg: p.alg, kid: p.kid, ...(account ? { account: p.account } : {}),
  iat: new Date(p.iat).toISOString(), exp: new Date(p.exp).toISOString(), catalog: p.catalog, snapshot: {} });

test('token: the golden token is byte-identical to the Rust one, and WebCrypto agrees on its HMAC', async () => {
  const w = await daily();
  const token = signSnapshot(w, { key: KEY, keyId: 'golden', ttlSeconds: 300, at: AT, account: 'golden-account' });
  assert.ok(token.startsWith('ce2.') && token.endsWith('.' + GOLDEN_SIG), token);
  assert.eq(token.length, GOLDEN_LEN);
  const dot = token.lastIndexOf('.');
  assert.eq(await hmac(KEY, token.slice(0, dot)), token.slice(dot + 1));
  const p = payloadOf(token);
  assert.eq([p.alg, p.kid, p.account, p.iat, p.exp, p.catalog], ['HS256', 'golden', 'golden-account', MS, MS + 300_000, Catalog.default().id]);
  assert.ok(new TextDecoder().decode(p.snapshot).includes('daily_login@2026-03-02T08:00:00.000Z'), 'the compact snapshot names its one lot');
  assert.eq(b64url(encodePayload(p)), token.split('.')[1], 'this test\'s postcard writer gives the same bytes');
  // A Uint8Array key is the same key.
  assert.eq(signSnapshot(w, { key: new TextEncoder().encode(KEY), keyId: 'golden', ttlSeconds: 300, at: MS, account: 'golden-account' }), token);
});

test('token: a verified wallet previews like the signed one, as of the request time', async () => {
  const w = await daily();
  w.grantPromotion({ id: 'p', at: AT, credits: 3, expiresAt: '2026-03-10T00:00:00Z' });
  const token = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 3600, at: AT, account: ACCOUNT });
  const v = verifySnapshot(token, { keys: { k1: KEY }, at: MS + 60_000 });
  assert.ok(v instanceof Wallet);
  for (const at of [MS + 60_000, '2026-03-03T00:00:01Z']) {
    assert.eq(v.preview({ feature: 'agent.image_generation', units: 3 }, at), w.preview({ feature: 'agent.image_generation', units: 3 }, at));
  }
  assert.eq(v.balance(MS).total, 8);
  assert.eq(v.balance('2026-03-03T00:00:00Z').total, 3, 'daily credits expire at midnight after verification too');
  v.free();
});

test('token: tampered, truncated, wrong algorithm, unknown key, expired and foreign-catalog tokens have distinct codes', async () => {
  const w = await daily();
  const token = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 300, at: AT, account: ACCOUNT });
  const keys = { k1: KEY, k2: 'n'.repeat(40) };
  const verify = (t, at = MS) => verifySnapshot(t, { keys, at });
  const payload = payloadOf(token);
  verify(await resign(payload)); // the re-signing helper itself is right
  for (const cut of [0, 3, 4, 20, token.length - 43, token.length - 1]) assert.throwsCode(() => verify(token.slice(0, cut)), 'E_TOKEN_MALFORMED', `cut ${cut}`);
  assert.throwsCode(() => verify(token + '.x'), 'E_TOKEN_MALFORMED');
  assert.throwsCode(() => verify(token.replace('ce2.', 'ce3.')), 'E_TOKEN_MALFORMED');
  assert.throwsCode(() => verify(42), 'E_TOKEN_MALFORMED');
  const bytes = encodePayload(payload);
  const [cutJson, cutRecord, none, hs512] = await Promise.all([resign('{"alg":"HS256"'), resign(bytes.subarray(0, bytes.length - 1)),
    resign({ ...payload, alg: 'none' }), resign({ ...payload, alg: 'HS512' })]);
  assert.throwsCode(() => verify(cutJson), 'E_TOKEN_MALFORMED');
  assert.throwsCode(() => verify(cutRecord), 'E_TOKEN_MALFORMED');
  assert.throwsCode(() => verify(none), 'E_TOKEN_ALGORITHM');
  assert.throwsCode(() => verify(hs512), 'E_TOKEN_ALGORITHM');
  assert.throwsCode(() => verify(signSnapshot(w, { key: KEY, keyId: 'k0', ttlSeconds: 300, at: AT, account: ACCOUNT })), 'E_TOKEN_KEY');
  assert.throwsCode(() => verify(signSnapshot(w, { key: KEY, keyId: 'toString', ttlSeconds: 300, at: AT, account: ACCOUNT })), 'E_TOKEN_KEY', 'inherited names are not keys');
  const altered = token.split('.');
  const changed = payload.snapshot.slice();
  changed[changed.length >> 1] ^= 1;
  altered[1] = b64url(encodePayload({ ...payload, snapshot: changed }));
  assert.throwsCode(() => verify(altered.join('.')), 'E_TOKEN_SIGNATURE');
  assert.throwsCode(() => verify(signSnapshot(w, { key: 'x'.repeat(32), keyId: 'k1', ttlSeconds: 300, at: AT, account: ACCOUNT })), 'E_TOKEN_SIGNATURE');
  const err = assert.throwsCode(() => verify(token, MS + 361_000), 'E_TOKEN_EXPIRED');
  assert.ok(/60 s/.test(err.message), err.message);
  verify(token, MS + 359_000); // within the 60 s skew past exp
  verify(token, MS - 59_000); // verifier a minute behind
  assert.throwsCode(() => verify(token, MS - 61_000), 'E_TOKEN_EXPIRED');
  const custom = Catalog.fromJSON({ version: 1, features: [{ id: 'x', agent: false, unit: 'image', defaultUnits: 1, prices: { general: 1 } }] });
  const foreign = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 300, at: AT, catalog: custom, account: ACCOUNT });
  assert.throwsCode(() => verify(foreign), 'E_TOKEN_CATALOG');
  verifySnapshot(foreign, { keys, at: MS, catalog: custom }).free();
});

test('token: keys rotate by id; bad keys and options are E_BAD_REQUEST', async () => {
  const w = await daily();
  const oldKey = 'o'.repeat(32), newKey = new Uint8Array(48).fill(7);
  const oldTok = signSnapshot(w, { key: oldKey, keyId: '2026-02', ttlSeconds: 60, at: AT, account: ACCOUNT });
  const newTok = signSnapshot(w, { key: newKey, keyId: '2026-03', ttlSeconds: 60, at: AT, account: ACCOUNT });
  const both = { '2026-02': oldKey, '2026-03': newKey };
  verifySnapshot(oldTok, { keys: both, at: AT }).free();
  verifySnapshot(newTok, { keys: both, at: AT }).free();
  assert.throwsCode(() => verifySnapshot(oldTok, { keys: { '2026-03': newKey }, at: AT }), 'E_TOKEN_KEY');
  const base = { key: KEY, keyId: 'k', ttlSeconds: 60, at: AT, account: ACCOUNT };
  for (const bad of [{ ...base, key: 'short' }, { ...base, keyId: 'has space' }, { ...base, ttlSeconds: 0 }, { ...base, ttlSeconds: 31 * 86400 },
    { ...base, ttlSeconds: NaN }, { ...base, key: 42 }, null,
    // account: required, a string of 1-128 bytes (UTF-8) without control characters.
    { ...base, account: undefined }, { ...base, account: '' }, { ...base, account: 42 }, { ...base, account: 'x'.repeat(129) },
    { ...base, account: 'é'.repeat(65) }, { ...base, account: 'a\nb' }, { ...base, account: 'nul\0' }, { ...base, account: 'c1\u0085' }]) {
    assert.throwsCode(() => signSnapshot(w, bad), 'E_BAD_REQUEST', JSON.stringify(bad));
  }
  assert.throwsCode(() => signSnapshot({}, { key: KEY, keyId: 'k', ttlSeconds: 60, at: AT, account: ACCOUNT }), 'E_BAD_REQUEST');
  assert.throwsCode(() => signSnapshot(w, { key: KEY, keyId: 'k', ttlSeconds: 60, at: 'soon', account: ACCOUNT }), 'E_TIME');
  assert.throwsCode(() => verifySnapshot(newTok, { keys: { '2026-03': 'short' }, at: AT }), 'E_BAD_REQUEST');
  assert.throwsCode(() => verifySnapshot(newTok, { keys: null, at: AT }), 'E_BAD_REQUEST');
  // The keys are read as the map's own properties (npm/args.js copies them before the module sees them).
  assert.throwsCode(() => verifySnapshot(newTok, { keys: new Proxy({ '2026-03': newKey }, { getOwnPropertyDescriptor() { throw new Error('trap'); } }), at: AT }), 'E_BAD_REQUEST');
  const freed = Wallet.create({ timeZone: 'UTC' });
  freed.free();
  assert.throwsCode(() => signSnapshot(freed, { key: KEY, keyId: 'k', ttlSeconds: 60, at: AT, account: ACCOUNT }), 'E_BAD_REQUEST');
});

test('token: a verified wallet is a read copy; verifying the same token again is answered from memory, same checks', async () => {
  const w = await daily();
  const token = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 300, at: AT, account: ACCOUNT });
  const a = verifySnapshot(token, { keys: { k1: KEY }, at: MS });
  const before = JSON.stringify(a.toJSON());
  for (const change of [
    () => a.charge({ feature: 'ai_background' }, MS, { id: 'c-edge' }),
    () => a.dailyLogin({ at: MS, credits: 5 }),
    () => a.hold({ feature: 'ai_background' }, MS, { id: 'h-edge', ttlSeconds: 60 }),
  ]) assert.throwsCode(change, 'E_BAD_REQUEST');
  assert.eq(JSON.stringify(a.toJSON()), before, 'a refused change leaves the wallet as it was');
  a.free();
  // Freeing one use does not free the token's wallet for the next; the window and the keys are checked every time.
  const b = verifySnapshot(token, { keys: { k1: KEY }, at: MS + 1 });
  assert.eq(JSON.stringify(b.toJSON()), before);
  assert.eq(b.preview({ feature: 'agent.image_editing' }, MS).sufficient, true);
  b.free();
  assert.throwsCode(() => verifySnapshot(token, { keys: { k1: KEY }, at: MS + 400_000 }), 'E_TOKEN_EXPIRED');
  assert.throwsCode(() => verifySnapshot(token, { keys: { k2: KEY }, at: MS }), 'E_TOKEN_KEY');
  assert.throwsCode(() => verifySnapshot(token, { keys: { k1: 'x'.repeat(32) }, at: MS }), 'E_TOKEN_SIGNATURE');
  verifySnapshot(token, { keys: { k1: KEY }, at: MS }).free();
});

test('token: a token is bound to its account; the verified wallet says which, also from memory; others say null', async () => {
  const w = await daily();
  assert.eq(w.account, null, 'a created wallet is not from a token');
  assert.eq(Wallet.fromJSON(w.toJSON()).account, null, 'nor is a loaded one');
  const keys = { k1: KEY };
  for (const account of ['acct-A', 'acct-B', 'user:42@example.com', 'é'.repeat(64), 'x'.repeat(128)]) {
    const token = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 300, at: AT, account });
    for (const at of [MS, MS + 1]) { // the second is answered from the remembered token
      const v = verifySnapshot(token, { keys, at });
      assert.eq(v.account, account);
      v.free();
    }
  }
  // The account is signed: changing it breaks the signature; only the key's holder can sign another account.
  const token = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 300, at: AT, account: 'acct-A' });
  const payload = payloadOf(token);
  assert.eq(payload.account, 'acct-A');
  const changed = { ...payload, account: 'acct-B' };
  const parts = token.split('.');
  parts[1] = b64url(encodePayload(changed));
  assert.throwsCode(() => verifySnapshot(parts.join('.'), { keys, at: MS }), 'E_TOKEN_SIGNATURE');
  const resigned = verifySnapshot(await resign(changed), { keys, at: MS });
  assert.eq(resigned.account, 'acct-B');
  resigned.free();
  const freed = verifySnapshot(token, { keys, at: MS });
  freed.free();
  assert.throwsCode(() => freed.account, 'E_BAD_REQUEST', 'a freed wallet');
});

test('token: older tokens are refused with a message to sign a new one; a payload that is not exactly one record is malformed', async () => {
  const w = await daily();
  const keys = { k1: KEY };
  const token = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 300, at: AT, account: ACCOUNT });
  const payload = payloadOf(token);
  // A ce1 token (JSON payload, no account) and a ce2 token with the JSON payload of pre-release builds.
  for (const old of [await resign(jsonPayload(payload, false), KEY, 'ce1'), await resign(jsonPayload(payload, true))]) {
    const err = assert.throwsCode(() => verifySnapshot(old, { keys, at: MS }), 'E_TOKEN_MALFORMED');
    assert.ok(/format changed/.test(err.message) && /sign a new token/.test(err.message), err.message);
  }
  // SPEC 9's repeated key: the payload is positional, so a second account or key id can only come as more than one
  // record, and that is malformed however well signed. The snapshot inside is positional binary too: a byte more
  // or less is refused (E_SNAPSHOT, below).
  const bytes = encodePayload(payload);
  const second = encodePayload({ ...payload, account: 'acct-2', kid: 'k2' });
  for (const [what, bad, message] of [
    ['a second record', Uint8Array.from([...bytes, ...second]), /bytes follow the payload/],
    ['one byte more', Uint8Array.from([...bytes, 0]), /bytes follow the payload/],
  ]) {
    const signed = await resign(bad);
    const e = assert.throwsCode(() => verifySnapshot(signed, { keys, at: MS }), 'E_TOKEN_MALFORMED', what);
    assert.ok(message.test(e.message), `${what}: ${e.message}`);
  }
  for (const snapshot of [Uint8Array.from([...payload.snapshot, 0]), payload.snapshot.slice(0, -1)]) {
    const signed = await resign({ ...payload, snapshot });
    assert.throwsCode(() => verifySnapshot(signed, { keys, at: MS }), 'E_SNAPSHOT');
  }
});

test('token: iat after exp, or a lifetime over 30 days, is E_TOKEN_EXPIRED even inside the window', async () => {
  const w = await daily();
  const keys = { k1: KEY };
  const payload = payloadOf(signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 300, at: AT, account: ACCOUNT }));
  const withTimes = (iat, exp) => resign({ ...payload, iat: Date.parse(iat), exp: Date.parse(exp) });
  const backwards = await withTimes('2026-03-02T08:00:00Z', '2026-03-02T07:59:30Z');
  assert.throwsCode(() => verifySnapshot(backwards, { keys, at: MS - 15_000 }), 'E_TOKEN_EXPIRED');
  const month = await withTimes('2026-03-02T08:00:00Z', '2026-04-01T08:00:00Z');
  verifySnapshot(month, { keys, at: MS + 1000 }).free();
  const over = await withTimes('2026-03-02T08:00:00Z', '2026-04-01T08:00:00.001Z');
  const e = assert.throwsCode(() => verifySnapshot(over, { keys, at: MS + 1000 }), 'E_TOKEN_EXPIRED');
  assert.ok(/30 days/.test(e.message), e.message);
});
