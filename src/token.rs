//! Signed wallet tokens: how the origin hands a wallet to the edge for a pre-check it can trust.
//!
//! Format (version 2): `ce2.<payload>.<signature>`, both parts base64url without padding. The payload is the JSON
//! object `{"alg":"HS256","kid","account","iat","exp","catalog","snapshot"}` (times as ISO-8601 UTC, `account` the
//! caller's account id the token is bound to, `snapshot` the wallet's compact snapshot, see
//! [`Wallet::to_compact_snapshot`]); the signature is HMAC-SHA-256 under the key named by `kid` over the ASCII text
//! `ce2.<payload>`. Verification checks, in this order, each with its own code: shape, base64 and JSON, no key
//! repeated in any object (`E_TOKEN_MALFORMED`; a signature that is not 32 bytes is a truncated token, a `ce1.`
//! token is of a format no longer read), `alg` (`E_TOKEN_ALGORITHM`), `kid` (`E_TOKEN_KEY`), the signature,
//! compared in constant time (`E_TOKEN_SIGNATURE`), the lifetime (`iat` not after `exp`, at most [`MAX_TTL_MS`])
//! and the validity window with [`SKEW_MS`] of clock skew either way (`E_TOKEN_EXPIRED`), and the catalog id
//! (`E_TOKEN_CATALOG`). Only then is the snapshot loaded. SHA-256 (FIPS 180-4), HMAC (RFC 2104) and
//! base64url (RFC 4648) are written here, in a few hundred bytes of WebAssembly, rather than taken from crates.

use crate::error::{Error, ErrorCode, Result};
use crate::json::{Fields, Json, Obj};
use crate::time::Instant;
use crate::wallet::Wallet;
use std::cell::RefCell;
use std::rc::Rc;

/// The version prefix of every token this engine writes and reads.
pub const PREFIX: &str = "ce2";
/// The prefix of the first token format (no account, JSON payload), refused with a message saying so.
pub const OLD_PREFIX: &str = "ce1.";
/// The only signature algorithm: HMAC-SHA-256.
pub const ALG: &str = "HS256";
/// Clock skew tolerated between signer and verifier, either way: 60 seconds.
pub const SKEW_MS: i64 = 60_000;
/// Shortest signing key, in bytes (the HMAC-SHA-256 output size).
pub const MIN_KEY_BYTES: usize = 32;
/// Longest token signed or accepted, in bytes: verifying one this long takes about 1 ms in Node and 3 ms in workerd
/// (README "Limits"). It is a wallet with about 260 live lots; a cookie carries 4 KB, a header a few tens of KB.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;
/// Longest token lifetime: 30 days.
pub const MAX_TTL_MS: i64 = 30 * 86_400_000;
/// Longest account id a token carries, in bytes.
pub const MAX_ACCOUNT_BYTES: usize = 128;

const FIELDS: [&str; 7] = ["alg", "kid", "account", "iat", "exp", "catalog", "snapshot"];

fn err(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(code, message)
}

fn malformed(what: &str) -> Error {
    err(
        ErrorCode::TokenMalformed,
        format!("not a valid wallet token: {what}"),
    )
}

/// Key ids are 1-64 ASCII letters, digits, `.`, `_` or `-`.
pub fn check_key_id(kid: &str) -> Result<()> {
    if kid.is_empty()
        || kid.len() > 64
        || !kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(Error::bad_request(
            "keyId must be 1-64 ASCII letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(())
}

/// Account ids are 1-128 bytes of UTF-8 without control characters.
pub fn check_account(account: &str) -> Result<()> {
    if account.is_empty()
        || account.len() > MAX_ACCOUNT_BYTES
        || account.chars().any(char::is_control)
    {
        return Err(Error::bad_request(
            "account must be the caller's account id: 1-128 bytes (UTF-8) without control characters",
        ));
    }
    Ok(())
}

/// Keys are at least [`MIN_KEY_BYTES`] bytes.
pub fn check_key(key: &[u8]) -> Result<()> {
    if key.len() < MIN_KEY_BYTES {
        return Err(Error::bad_request(format!(
            "a signing key must be at least {MIN_KEY_BYTES} bytes, got {}",
            key.len()
        )));
    }
    Ok(())
}

/// Signs `wallet` (its compact snapshot) for `account`, as priced by `catalog`, valid from `at` for `ttl_ms`.
pub fn sign(
    wallet: &Wallet,
    catalog: &str,
    kid: &str,
    key: &[u8],
    account: &str,
    at: Instant,
    ttl_ms: i64,
) -> Result<String> {
    check_key_id(kid)?;
    check_key(key)?;
    check_account(account)?;
    if !(1..=MAX_TTL_MS).contains(&ttl_ms) {
        return Err(Error::bad_request(
            "ttlSeconds must be more than 0 and at most 2592000 (30 days)",
        ));
    }
    let payload = Obj::new()
        .put("alg", ALG)
        .put("kid", kid)
        .put("account", account)
        .put("iat", at)
        .put("exp", at.add_millis(ttl_ms)?)
        .put("catalog", catalog)
        .put(
            "snapshot",
            Json::parse(&wallet.to_compact_snapshot(), ErrorCode::Snapshot)?,
        )
        .done()
        .write();
    let mut token = format!("{PREFIX}.{}", b64_encode(payload.as_bytes()));
    let mac = hmac_sha256(key, token.as_bytes());
    token.push('.');
    token.push_str(&b64_encode(&mac));
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::bad_request(
            "the wallet's token would be over 64 KiB, more than an edge verifies in a few ms \
             (too many live lots or open holds for a pre-check)",
        ));
    }
    Ok(token)
}

/// A verified token: the account it is bound to and the wallet it carries.
pub struct Verified {
    pub account: String,
    pub wallet: Wallet,
}

/// Verifies `token` at `at` for a verifier pricing with `catalog`; `key_for(kid)` gives the key of a key id, or
/// `None` when the verifier does not hold it. Returns the account and the wallet the token carries.
pub fn verify(
    token: &str,
    at: Instant,
    catalog: &str,
    key_for: &mut dyn FnMut(&str) -> Result<Option<Vec<u8>>>,
) -> Result<Verified> {
    let (signed, wallet) = check(token, key_for)?;
    signed.valid(at, catalog)?;
    Ok(Verified {
        account: signed.account.to_string(),
        wallet,
    })
}

/// What a token whose signature checked out says about itself; what is left to check on each use depends on the
/// verifier's clock and catalog ([`Signed::valid`]).
pub struct Signed {
    kid: String,
    key: Vec<u8>,
    account: Rc<str>,
    iat: Instant,
    exp: Instant,
    catalog: String,
}

impl Signed {
    /// The account the token is bound to.
    pub fn account(&self) -> &Rc<str> {
        &self.account
    }

    /// `Ok` if the token is valid at `at` (with [`SKEW_MS`] either way) and was priced with `catalog`.
    pub fn valid(&self, at: Instant, catalog: &str) -> Result<()> {
        let ms = at.millis();
        if ms >= self.exp.millis().saturating_add(SKEW_MS)
            || ms < self.iat.millis().saturating_sub(SKEW_MS)
        {
            return Err(err(
                ErrorCode::TokenExpired,
                format!(
                    "token is valid from {} to {} (60 s skew allowed), not at {at}",
                    self.iat, self.exp
                ),
            ));
        }
        if self.catalog != catalog {
            return Err(err(
                ErrorCode::TokenCatalog,
                format!(
                    "token was priced with catalog '{}', this verifier uses '{catalog}'",
                    crate::error::clip(&self.catalog, 64)
                ),
            ));
        }
        Ok(())
    }
}

/// Everything about `token` that does not depend on when or where it is used (see the module comment), and the
/// wallet it carries.
pub fn check(
    token: &str,
    key_for: &mut dyn FnMut(&str) -> Result<Option<Vec<u8>>>,
) -> Result<(Signed, Wallet)> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(malformed("longer than 64 KiB"));
    }
    if token.starts_with(OLD_PREFIX) {
        return Err(malformed(
            "the token format changed (ce1 tokens are no longer read, ce2 tokens carry the account): \
             sign a new token with signSnapshot",
        ));
    }
    // `ce2.<payload>.<signature>`: a dot left in the payload fails its base64 decoding.
    let dot = token.bytes().rposition(|b| b == b'.').unwrap_or(0);
    let signed = token.get(..dot).unwrap_or_default();
    let body = signed
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_prefix('.'));
    let (Some(body), Some(sig)) = (body, token.get(dot + 1..)) else {
        return Err(malformed("expected ce2.<payload>.<signature>"));
    };
    let text = b64_decode(body)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| malformed("the payload is not base64url-encoded UTF-8"))?;
    let payload =
        Json::parse(&text, ErrorCode::TokenMalformed).map_err(|e| malformed(&e.message))?;
    if let Some(key) = repeated_key(&payload) {
        return Err(malformed(&format!(
            "the payload repeats the key '{}'",
            crate::error::clip(key, 64)
        )));
    }
    let sig = b64_decode(sig)
        .filter(|s| s.len() == 32)
        .ok_or_else(|| malformed("the signature is not 32 base64url-encoded bytes (truncated?)"))?;
    let f = Fields::of(&payload, "token", &FIELDS, ErrorCode::TokenMalformed)?;
    if f.str("alg")? != ALG {
        return Err(err(
            ErrorCode::TokenAlgorithm,
            "token algorithm must be HS256",
        ));
    }
    let kid = f.str("kid")?;
    let key = key_for(kid)?.ok_or_else(|| {
        err(
            ErrorCode::TokenKey,
            format!(
                "token key id '{}' is not one of the verifier's keys",
                crate::error::clip(kid, 64)
            ),
        )
    })?;
    check_key(&key)?;
    if !same(&hmac_sha256(&key, signed.as_bytes()), &sig) {
        return Err(err(
            ErrorCode::TokenSignature,
            "token signature does not match (altered, or signed with another key)",
        ));
    }
    let (iat, exp) = (f.instant("iat")?, f.instant("exp")?);
    let life = exp.millis().saturating_sub(iat.millis());
    if !(0..=MAX_TTL_MS).contains(&life) {
        return Err(err(
            ErrorCode::TokenExpired,
            format!(
                "token lifetime from {iat} to {exp} is not valid: a token is issued before it expires and \
                 lives at most 30 days"
            ),
        ));
    }
    let signed = Signed {
        kid: kid.to_string(),
        key,
        account: Rc::from(f.str("account")?),
        iat,
        exp,
        catalog: f.str("catalog")?.to_string(),
    };
    Ok((
        signed,
        Wallet::from_snapshot_json(&f.req("snapshot")?.write())?,
    ))
}

/// The first key found twice in one object anywhere in `value` (a repeated key could mean two things to two
/// readers, so a token with one is refused).
fn repeated_key(value: &Json) -> Option<&str> {
    let mut todo = vec![value];
    let mut keys: Vec<&str> = Vec::new();
    while let Some(v) = todo.pop() {
        if let Some(fields) = v.as_object() {
            // Sorted, so a payload of many keys costs n log n, not n^2 (this runs before the signature check).
            keys.clear();
            keys.extend(fields.iter().map(|(k, _)| k.as_ref()));
            keys.sort_unstable();
            if let Some(w) = keys.windows(2).find(|w| w.first() == w.get(1)) {
                return w.first().copied();
            }
            todo.extend(fields.iter().map(|(_, child)| child));
        } else if let Some(items) = v.as_array() {
            todo.extend(items);
        }
    }
    None
}

/// Most tokens a [`Verifier`] remembers, and the longest it remembers (longer ones are verified every time): at
/// most 1 MiB of token text, plus the wallets they carry.
pub const CACHE_TOKENS: usize = 64;
pub const CACHE_TOKEN_BYTES: usize = 16 * 1024;

/// A wallet loaded from a token, shared by every use of that token: a read copy (the package refuses to change it).
pub type SharedWallet = Rc<RefCell<Wallet>>;

/// What a [`Verifier`] answers for a valid token: its serial number (0: a token too long to be remembered), the
/// account it is bound to and its wallet, both shared by every use of the token.
#[derive(Clone)]
pub struct Remembered {
    pub serial: u64,
    pub account: Rc<str>,
    pub wallet: SharedWallet,
}

/// [`verify`] with a memory of the last tokens whose signature checked out. A client sends the same token with
/// every request until it expires, so an edge isolate pays the HMAC and the snapshot load once per token. A token
/// is found again only by its exact text (or by the serial number it was given, see [`Verifier::reopen`]), and only
/// if the verifier still holds the very key that verified it; the validity window and the catalog are checked on
/// every use. Errors are exactly [`verify`]'s; the wallet is shared between the uses of one token, so callers must
/// not change it.
#[derive(Default)]
pub struct Verifier {
    /// Oldest first: the token text, its serial number, what it says, its wallet.
    seen: Vec<(String, u64, Signed, SharedWallet)>,
    serials: u64,
}

impl Verifier {
    /// [`verify`], remembered; also returns the token's serial number for [`Verifier::reopen`] (0: a token too long to
    /// be remembered).
    pub fn verify(
        &mut self,
        token: &str,
        at: Instant,
        catalog: &str,
        key_for: &mut dyn FnMut(&str) -> Result<Option<Vec<u8>>>,
    ) -> Result<Remembered> {
        if let Some(pos) = self.seen.iter().position(|(t, ..)| t == token) {
            if let Some(found) = self.reopen_at(pos, at, catalog, key_for)? {
                return Ok(found);
            }
        }
        let (signed, wallet) = check(token, key_for)?;
        signed.valid(at, catalog)?;
        let wallet = Rc::new(RefCell::new(wallet));
        let account = Rc::clone(&signed.account);
        self.seen.retain(|(t, ..)| t != token);
        if token.len() > CACHE_TOKEN_BYTES {
            return Ok(Remembered {
                serial: 0,
                account,
                wallet,
            });
        }
        if self.seen.len() >= CACHE_TOKENS {
            self.seen.remove(0);
        }
        self.serials += 1;
        let entry = (token.to_string(), self.serials, signed, Rc::clone(&wallet));
        self.seen.push(entry);
        Ok(Remembered {
            serial: self.serials,
            account,
            wallet,
        })
    }

    /// The token with serial number `serial` verified again at `at`, without its text: `None` when it is no longer
    /// remembered or the verifier no longer holds the very key that verified it (then [`Verifier::verify`] with the
    /// text answers, with the right error); a validity or catalog error as [`verify`] gives it.
    pub fn reopen(
        &mut self,
        serial: u64,
        at: Instant,
        catalog: &str,
        key_for: &mut dyn FnMut(&str) -> Result<Option<Vec<u8>>>,
    ) -> Result<Option<Remembered>> {
        match self.seen.iter().position(|e| e.1 == serial) {
            Some(pos) => self.reopen_at(pos, at, catalog, key_for),
            None => Ok(None),
        }
    }

    fn reopen_at(
        &self,
        pos: usize,
        at: Instant,
        catalog: &str,
        key_for: &mut dyn FnMut(&str) -> Result<Option<Vec<u8>>>,
    ) -> Result<Option<Remembered>> {
        let Some((_, serial, signed, wallet)) = self.seen.get(pos) else {
            return Ok(None);
        };
        if key_for(&signed.kid)?.as_deref() != Some(signed.key.as_slice()) {
            return Ok(None);
        }
        signed.valid(at, catalog)?;
        Ok(Some(Remembered {
            serial: *serial,
            account: Rc::clone(&signed.account),
            wallet: Rc::clone(wallet),
        }))
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

// ----- SHA-256, HMAC, base64url -----

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 (FIPS 180-4) of `first` (one whole block, if given) followed by `data`, streamed block by block (the
/// message is never copied). HMAC's padded key is exactly that first block.
fn digest(first: Option<&[u8; 64]>, data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut total = data.len() as u64;
    if let Some(block) = first {
        compress(&mut h, block);
        total += 64;
    }
    let mut blocks = data.chunks_exact(64);
    for block in &mut blocks {
        compress(&mut h, block);
    }
    // The tail, 0x80, zeros and the length in bits: one block, or two when the tail leaves fewer than 9 bytes.
    let tail = blocks.remainder();
    let mut buf = [0u8; 128];
    let end = if tail.len() < 56 { 64 } else { 128 };
    for (b, t) in buf.iter_mut().zip(tail.iter().chain(&[0x80])) {
        *b = *t;
    }
    if let Some(bits) = buf.get_mut(end - 8..end) {
        bits.copy_from_slice(&total.wrapping_mul(8).to_be_bytes());
    }
    for block in buf.chunks_exact(64).take(end / 64) {
        compress(&mut h, block);
    }
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// One SHA-256 compression of a 64-byte block, with the message schedule kept as a ring of 16 words.
fn compress(h: &mut [u32; 8], block: &[u8]) {
    let mut w = [0u32; 16];
    for (wi, c) in w.iter_mut().zip(block.chunks_exact(4)) {
        *wi = u32::from_be_bytes(c.try_into().unwrap_or([0; 4]));
    }
    let at = |w: &[u32; 16], i: usize| w.get(i & 15).copied().unwrap_or(0);
    let mut s = *h;
    for (t, k) in K.iter().enumerate() {
        let wt = if t < 16 {
            at(&w, t)
        } else {
            // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]; W[t-16] is the slot being replaced.
            let (a, b) = (at(&w, t + 1), at(&w, t + 14));
            let v = at(&w, t)
                .wrapping_add(a.rotate_right(7) ^ a.rotate_right(18) ^ (a >> 3))
                .wrapping_add(at(&w, t + 9))
                .wrapping_add(b.rotate_right(17) ^ b.rotate_right(19) ^ (b >> 10));
            if let Some(x) = w.get_mut(t & 15) {
                *x = v;
            }
            v
        };
        let [a, b, c, d, e, f, g, hh] = s;
        let t1 = hh
            .wrapping_add(e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25))
            .wrapping_add((e & f) ^ (!e & g))
            .wrapping_add(*k)
            .wrapping_add(wt);
        let t2 = (a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22))
            .wrapping_add((a & b) ^ (a & c) ^ (b & c));
        s = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
    }
    for (x, y) in h.iter_mut().zip(s) {
        *x = x.wrapping_add(y);
    }
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    digest(None, data)
}

/// HMAC-SHA-256 (RFC 2104; test vectors RFC 4231).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let hashed;
    let key = if key.len() > 64 {
        hashed = sha256(key);
        hashed.as_slice()
    } else {
        key
    };
    let mut k = [0u8; 64];
    for (d, s) in k.iter_mut().zip(key) {
        *d = *s;
    }
    let pad = |p: u8| k.map(|b| b ^ p);
    digest(Some(&pad(0x5c)), &digest(Some(&pad(0x36)), data))
}

/// Equal, in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y));
    a.len() == b.len() && std::hint::black_box(diff) == 0
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() / 3 * 4 + 4);
    for c in data.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=c.len() {
            let six = (n >> (18 - 6 * i)) as usize & 63;
            out.push(char::from(B64.get(six).copied().unwrap_or(b'A')));
        }
    }
    out
}

/// base64url without padding, canonical only (unused trailing bits zero); `None` for anything else.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6 && acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn sha256_fips_180_4_vectors() {
        let cases: [(&[u8], &str); 4] = [
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(hex(&sha256(input)), want);
        }
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex(&sha256(&million)),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
        // Every length around the padding boundaries agrees with a one-shot vs. split update.
        // A leading whole block streams like the same bytes in one message, at every tail length.
        for n in 0..200 {
            let data: Vec<u8> = (0..n + 64).map(|i| (i * 7 + 3) as u8).collect();
            let (block, rest) = data.split_at(64);
            let block: &[u8; 64] = block.try_into().unwrap();
            assert_eq!(sha256(&data), digest(Some(block), rest), "length {n}");
        }
    }

    #[test]
    fn hmac_rfc_4231_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &data)), want);
        }
        // Test case 5 (output truncated to 128 bits).
        let t5 = hmac_sha256(&[0x0c; 20], b"Test With Truncation");
        assert_eq!(hex(&t5[..16]), "a3b6167473100ee06e0c796c2955552b");
    }

    #[test]
    fn base64url_round_trips_and_rejects_non_canonical() {
        for (raw, enc) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xff, 0xfe], "-__-"),
        ] {
            assert_eq!(b64_encode(raw), enc);
            assert_eq!(b64_decode(enc).as_deref(), Some(raw));
        }
        for bad in ["Z", "Zh", "Zm9=", "Zm+v", "Zm/v", "Zm9vY", " Zm8"] {
            assert_eq!(b64_decode(bad), None, "{bad}");
        }
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }
}
