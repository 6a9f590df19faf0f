//! The signed-token decoder (`token::verify` and the remembering `token::Verifier`). Three tokens come from each
//! input: the bytes themselves; a genuine token with bytes of it replaced (the input gives positions and values);
//! and the input as a payload signed with the verifier's key, which reaches the checks after the signature and the
//! snapshot loader behind them. Nothing may panic; every error carries a documented code (a token code, or the
//! snapshot's or a request's); a changed token never verifies; the remembering verifier answers exactly like
//! `verify`, the second time from memory too; and whatever verifies is a wallet that round-trips.
#![no_main]

use credit_engine::token::{self, b64_encode, hmac_sha256, Verifier};
use credit_engine::{Catalog, Credits, ErrorCode, Instant, Result, Wallet};
use credit_engine_fuzz::invariants::{check_error, round_trip, snapshot};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const KEY: &[u8] = b"fuzz-key-0123456789abcdef-012345";
/// 2026-01-01T00:00:00Z.
const AT_MS: i64 = 1_767_225_600_000;

fn at() -> Instant {
    Instant::from_millis(AT_MS).unwrap_or_else(|e| panic!("{e}"))
}

fn keys(kid: &str) -> Result<Option<Vec<u8>>> {
    Ok((kid == "k").then(|| KEY.to_vec()))
}

/// A token of a member wallet with some history, signed once.
fn genuine() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let t = |ms: i64| Instant::from_millis(ms).unwrap_or_else(|e| panic!("{e}"));
        let c = |n: u64| Credits::new(n).unwrap_or_else(|e| panic!("{e}"));
        let mut w = Wallet::create("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
        let day = 86_400_000;
        w.activate_membership(t(AT_MS - 40 * day), t(AT_MS + 300 * day), c(100), c(20))
            .unwrap_or_else(|e| panic!("{e}"));
        w.purchase("buy-1", t(AT_MS - 30 * day), c(50))
            .unwrap_or_else(|e| panic!("{e}"));
        w.daily_login(t(AT_MS - 60_000), c(5))
            .unwrap_or_else(|e| panic!("{e}"));
        token::sign(
            &w,
            Catalog::default_catalog().id(),
            "k",
            KEY,
            "fuzz-account",
            t(AT_MS - 1000),
            600_000,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Verifies `text` plainly and through a remembering verifier (twice), checks they agree, and returns the result.
fn check(text: &str) -> Option<Wallet> {
    let cat = Catalog::default_catalog();
    let plain = token::verify(text, at(), cat.id(), &mut keys);
    let mut v = Verifier::default();
    for round in 0..2 {
        let remembered = v.verify(text, at(), cat.id(), &mut keys);
        match (&plain, &remembered) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    snapshot(&a.wallet),
                    snapshot(&b.wallet.borrow()),
                    "round {round}"
                );
                assert_eq!(a.account, &*b.account, "round {round}");
            }
            (Err(a), Err(b)) => assert_eq!(a.code, b.code, "round {round}: {a} / {b}"),
            (a, b) => panic!(
                "verify and the remembering verifier disagree: {:?} / {:?}",
                a.is_ok(),
                b.is_ok()
            ),
        }
    }
    match plain {
        Ok(v) => {
            round_trip(&v.wallet);
            Some(v.wallet)
        }
        Err(e) => {
            check_error(&e);
            assert!(
                matches!(
                    e.code,
                    ErrorCode::TokenMalformed
                        | ErrorCode::TokenAlgorithm
                        | ErrorCode::TokenKey
                        | ErrorCode::TokenSignature
                        | ErrorCode::TokenExpired
                        | ErrorCode::TokenCatalog
                        | ErrorCode::Snapshot
                        | ErrorCode::Time
                        | ErrorCode::TimeZone
                ),
                "unexpected code for a token: {e}"
            );
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // 1. The bytes as a token.
    check(&String::from_utf8_lossy(data));

    // 2. A genuine token with bytes replaced: (position, value) pairs from the input.
    let original = genuine();
    let mut bytes = original.as_bytes().to_vec();
    for pair in data.chunks_exact(3) {
        let pos = (usize::from(pair[0]) << 8 | usize::from(pair[1])) % bytes.len();
        bytes[pos] = pair[2];
    }
    if let Ok(text) = String::from_utf8(bytes) {
        let verified = check(&text).is_some();
        assert!(
            !verified || text == original,
            "a changed token verified: {text}"
        );
    }

    // 3. The input as a payload, signed with the verifier's key.
    let head = format!("ce2.{}", b64_encode(data));
    let signed = format!("{head}.{}", b64_encode(&hmac_sha256(KEY, head.as_bytes())));
    check(&signed);
});
