//! Signed wallet tokens: how the origin hands a wallet to the edge for a pre-check it can trust.
//!
//! Format: `ce2.<payload>.<signature>`, both parts base64url without padding (canonical: no `=`, unused trailing
//! bits zero). The payload is one [postcard](https://docs.rs/postcard) record of the fields, in this order:
//! `alg` (text, `HS256`), `kid` (text), `account` (text, the caller's account id the token is bound to), `iat`
//! and `exp` (i64, milliseconds since the epoch), `catalog` (text, the catalog id) and `snapshot` (bytes, the
//! wallet's compact snapshot, see [`Wallet::to_compact_snapshot`]); text is a varint length and UTF-8, an i64 a
//! zigzag varint, bytes a varint length and the bytes. Fields are positional, so none can appear twice. The
//! signature is HMAC-SHA-256 under the key named by `kid` over the ASCII text `ce2.<payload>`.
//!
//! Verification checks, in this order, each with its own code: shape, base64 and the payload being exactly one
//! well-formed record with nothing after it (`E_TOKEN_MALFORMED`; a signature that is not 32 bytes is a truncated
//! token; a `ce1.` token, or a `ce2.` token with the JSON payload of pre-release builds, is of a format no longer
//! read), `alg` (`E_TOKEN_ALGORITHM`), `kid` (`E_TOKEN_KEY`), the signature, compared in constant time
//! (`E_TOKEN_SIGNATURE`), the lifetime (`iat` not after `exp`, at most [`MAX_TTL_MS`]) and the validity window
//! with [`SKEW_MS`] of clock skew either way (`E_TOKEN_EXPIRED`), and the catalog id (`E_TOKEN_CATALOG`). Only
//! then is the snapshot loaded. SHA-256 and HMAC come from RustCrypto's `sha2` and `hmac` crates, base64url from
//! the `base64` crate, the payload encoding from `postcard` over a serde struct.

use crate::error::{Error, ErrorCode, Result};
use crate::time::Instant;
use crate::wallet::Wallet;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

/// The payload, as postcard writes it (field order is the format: see the module comment). Text and bytes are
/// borrowed from the decoded payload, so reading one copies nothing.
#[derive(Serialize, Deserialize)]
struct Payload<'a> {
    alg: &'a str,
    kid: &'a str,
    account: &'a str,
    iat: i64,
    exp: i64,
    catalog: &'a str,
    #[serde(serialize_with = "as_bytes")]
    snapshot: &'a [u8],
}

/// Writes bytes in one piece (serde writes a `&[u8]` as a sequence, one call per byte; postcard encodes both alike).
fn as_bytes<S: serde::Serializer>(bytes: &&[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes)
}

/// The bytes of the wallet's compact snapshot a token carries (postcard, see `Wallet::to_compact_snapshot`).
fn snapshot_bytes(w: &Wallet) -> Vec<u8> {
    w.to_compact_snapshot()
}

/// The wallet a token's snapshot bytes hold ([`snapshot_bytes`] read back): positional binary, so no member can be
/// given twice; anything else is `E_SNAPSHOT` as for `Wallet::fromJSON`.
fn wallet_from(bytes: &[u8]) -> Result<Wallet> {
    Wallet::from_compact_snapshot(bytes)
}

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
        || crate::wallet::has_control(account)
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
    let snapshot = snapshot_bytes(wallet);
    let payload = Payload {
        alg: ALG,
        kid,
        account,
        iat: at.millis(),
        exp: at.add_millis(ttl_ms)?.millis(),
        catalog,
        snapshot: &snapshot,
    };
    let payload = postcard::to_allocvec(&payload)
        .map_err(|_| Error::bad_request("the token payload could not be encoded"))?;
    let mut token = format!("{PREFIX}.{}", b64_encode(&payload));
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
    let (signed, snapshot) = open(token, key_for)?;
    signed.valid(at, catalog)?;
    Ok(Verified {
        account: signed.account.to_string(),
        wallet: wallet_from(&snapshot)?,
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
    let (signed, snapshot) = open(token, key_for)?;
    Ok((signed, wallet_from(&snapshot)?))
}

/// [`check`] up to the snapshot: what the token says about itself, and the bytes of the snapshot it carries
/// (loaded by the caller once the clock and the catalog check out too).
fn open(
    token: &str,
    key_for: &mut dyn FnMut(&str) -> Result<Option<Vec<u8>>>,
) -> Result<(Signed, Vec<u8>)> {
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
    let bytes = b64_decode(body).ok_or_else(|| malformed("the payload is not base64url"))?;
    let payload = match postcard::take_from_bytes::<Payload>(&bytes) {
        Ok((payload, [])) => payload,
        // The JSON payload of pre-release ce2 builds: its first byte, `{`, would start a 123-byte `alg`.
        _ if bytes.first() == Some(&b'{') => {
            return Err(malformed(
                "the token format changed (this ce2 token has the JSON payload of a pre-release build): \
                 sign a new token with signSnapshot",
            ))
        }
        Ok(_) => return Err(malformed("bytes follow the payload")),
        Err(_) => return Err(malformed("the payload is not one well-formed ce2 record")),
    };
    let sig = b64_decode(sig)
        .filter(|s| s.len() == 32)
        .ok_or_else(|| malformed("the signature is not 32 base64url-encoded bytes (truncated?)"))?;
    if payload.alg != ALG {
        return Err(err(
            ErrorCode::TokenAlgorithm,
            "token algorithm must be HS256",
        ));
    }
    let kid = payload.kid;
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
    if !mac_matches(&key, signed.as_bytes(), &sig) {
        return Err(err(
            ErrorCode::TokenSignature,
            "token signature does not match (altered, or signed with another key)",
        ));
    }
    let instant = |ms: i64| {
        Instant::from_millis(ms)
            .map_err(|_| malformed("iat or exp is outside the years 0001 to 9999"))
    };
    let (iat, exp) = (instant(payload.iat)?, instant(payload.exp)?);
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
        account: Rc::from(payload.account),
        iat,
        exp,
        catalog: payload.catalog.to_string(),
    };
    Ok((signed, payload.snapshot.to_vec()))
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
        let (signed, snapshot) = open(token, key_for)?;
        signed.valid(at, catalog)?;
        let wallet = Rc::new(RefCell::new(wallet_from(&snapshot)?));
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

// ----- SHA-256, HMAC, base64url (RustCrypto `sha2` + `hmac`, the `base64` crate) -----

/// base64url (RFC 4648 section 5) without padding, canonical only: `=` is refused, and so is a last character
/// whose unused low bits are not zero (two texts must never decode to the same bytes).
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

type HmacSha256 = Hmac<Sha256>;

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// HMAC-SHA-256 under `key` over `data`, not yet finalized. HMAC takes keys of every length (a long one is hashed
/// first), so this is never `None`; the `Option` keeps a panic path out of the module.
fn mac(key: &[u8], data: &[u8]) -> Option<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(key).ok()?;
    m.update(data);
    Some(m)
}

/// HMAC-SHA-256 (RFC 2104; test vectors RFC 4231).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    mac(key, data).map_or([0; 32], |m| m.finalize().into_bytes().into())
}

/// `true` when `tag` is the HMAC-SHA-256 of `data` under `key`, compared in constant time (`verify_slice`).
fn mac_matches(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    mac(key, data).is_some_and(|m| m.verify_slice(tag).is_ok())
}

/// base64url without padding.
pub fn b64_encode(data: &[u8]) -> String {
    // `encode_slice` rather than `encode`: the latter's `expect` on its UTF-8 check brings `Debug` formatting of
    // the error (about 2 KB) into the module. The buffer is exactly the encoded length, so both results are `Ok`.
    let mut out = vec![0; base64::encoded_len(data.len(), false).unwrap_or(0)];
    match B64.encode_slice(data, &mut out) {
        Ok(n) => out.truncate(n),
        Err(_) => out.clear(),
    }
    String::from_utf8(out).unwrap_or_default()
}

/// base64url without padding, canonical only (no `=`, unused trailing bits zero); `None` for anything else.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    B64.decode(text).ok()
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
        // Not base64url, padded, a lone character, or a last character with unused bits set ("Zh" and "Zg" both
        // end in the bits of "f"; only "Zg" is canonical): refused, so two texts never decode to the same bytes.
        for bad in [
            "Z", "Zh", "Zm9=", "Zg==", "Zm8=", "Zm+v", "Zm/v", "Zm9vY", " Zm8", "Zm9", "Zm-",
            "Zm_", "Zm9vYh", "-__-_",
        ] {
            assert_eq!(b64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_signature_check_takes_exactly_the_tag() {
        let tag = hmac_sha256(b"key", b"data");
        assert!(mac_matches(b"key", b"data", &tag));
        assert!(!mac_matches(b"key", b"datA", &tag));
        assert!(!mac_matches(b"kez", b"data", &tag));
        let mut flipped = tag;
        flipped[31] ^= 0x80;
        assert!(!mac_matches(b"key", b"data", &flipped));
        // A truncated or extended tag is not the tag.
        assert!(!mac_matches(b"key", b"data", &tag[..16]));
        assert!(!mac_matches(b"key", b"data", &[&tag[..], &[0]].concat()));
        assert!(!mac_matches(b"key", b"data", &[]));
    }

    #[test]
    fn the_payload_borrows_its_text_and_bytes_and_refuses_trailing_bytes() {
        let p = Payload {
            alg: ALG,
            kid: "k1",
            account: "acct",
            iat: -1,
            exp: i64::MAX,
            catalog: "cat-0",
            snapshot: b"{}",
        };
        let bytes = postcard::to_allocvec(&p).unwrap();
        // Text and bytes are a varint length and the raw bytes; i64 is a zigzag varint.
        assert_eq!(&bytes[..6], b"\x05HS256");
        let (q, rest) = postcard::take_from_bytes::<Payload>(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            (q.alg, q.kid, q.account, q.iat, q.exp, q.catalog, q.snapshot),
            (ALG, "k1", "acct", -1, i64::MAX, "cat-0", &b"{}"[..])
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            postcard::take_from_bytes::<Payload>(&longer).unwrap().1,
            [0]
        );
        assert!(postcard::take_from_bytes::<Payload>(&bytes[..bytes.len() - 1]).is_err());
    }
}
