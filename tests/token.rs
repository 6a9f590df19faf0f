//! Signed wallet tokens (`credit_engine::token`, README "Edge pre-check"): a token verifies to a wallet that prices
//! exactly like the signed one; every way a token can be wrong has its own code; expiry allows 60 s of skew; keys
//! rotate by id. SHA-256/HMAC/base64url vectors are unit tests in src/token.rs.

mod common;

use common::*;
use credit_engine::token::{self, b64_decode, b64_encode, hmac_sha256, SKEW_MS};
use credit_engine::{ErrorCode, Result, Wallet};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const OTHER: &[u8] = b"fedcba9876543210fedcba9876543210";

fn keys<'a>(pairs: &'a [(&'a str, &'a [u8])]) -> impl FnMut(&str) -> Result<Option<Vec<u8>>> + 'a {
    move |kid| {
        Ok(pairs
            .iter()
            .find(|(k, _)| *k == kid)
            .map(|(_, v)| v.to_vec()))
    }
}

/// A member wallet with a bit of history, an open hold and a spent daily login.
fn member() -> Wallet {
    let mut w = wallet("Europe/Berlin");
    w.activate_membership(
        t("2026-03-01T08:00:00Z"),
        t("2026-06-01T08:00:00Z"),
        c(100),
        c(20),
    )
    .unwrap();
    w.daily_login(t("2026-03-02T08:00:00Z"), c(3)).unwrap();
    w.charge(
        &req("agent.image_editing"),
        t("2026-03-02T09:00:00Z"),
        "c1",
        &cat(),
    )
    .unwrap();
    w.charge(
        &req("agent.image_editing"),
        t("2026-03-02T09:01:00Z"),
        "c2",
        &cat(),
    )
    .unwrap();
    w.charge(
        &req("agent.image_editing"),
        t("2026-03-02T09:02:00Z"),
        "c3",
        &cat(),
    )
    .unwrap();
    w.hold(
        &req("ai_background"),
        t("2026-03-02T09:03:00Z"),
        "h1",
        600_000,
        &cat(),
    )
    .unwrap();
    w
}

fn sign(w: &Wallet, kid: &str, key: &[u8], at: &str, ttl_ms: i64) -> String {
    token::sign(w, cat().id(), kid, key, t(at), ttl_ms).unwrap()
}

fn verify(tok: &str, at: &str) -> Result<Wallet> {
    token::verify(
        tok,
        t(at),
        cat().id(),
        &mut keys(&[("k1", KEY), ("k2", OTHER)]),
    )
}

fn code(r: Result<Wallet>) -> ErrorCode {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.code,
    }
}

#[test]
fn a_verified_token_prices_like_the_signed_wallet() {
    let w = member();
    let tok = sign(&w, "k1", KEY, "2026-03-02T10:00:00Z", 300_000);
    assert!(tok.starts_with("ce1."));
    let v = verify(&tok, "2026-03-02T10:01:00Z").unwrap();
    for (f, at) in [
        ("agent.ppt", "2026-03-02T10:01:00Z"),
        ("ai_background", "2026-03-02T10:01:00Z"),
        ("agent.image_generation", "2026-03-03T10:01:00Z"), // after the daily lot's midnight
    ] {
        assert_eq!(
            v.preview(&req(f), t(at), &cat()).unwrap(),
            w.preview(&req(f), t(at), &cat()).unwrap(),
            "{f} at {at}"
        );
        assert_eq!(v.balance(t(at)).unwrap(), w.balance(t(at)).unwrap());
    }
    // The compact form leaves out the ledger, closed records and empty lots: smaller than the full snapshot.
    assert!(v.ledger().is_empty());
    assert!(tok.len() < w.to_snapshot_json().unwrap().len());
    // Deterministic: the same wallet, key and time give the same token in every runtime.
    assert_eq!(tok, sign(&w, "k1", KEY, "2026-03-02T10:00:00Z", 300_000));
}

#[test]
fn every_kind_of_bad_token_has_its_own_code() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let tok = sign(&w, "k1", KEY, at, 300_000);
    let (head, sig) = tok.rsplit_once('.').unwrap();
    let payload = String::from_utf8(b64_decode(head.split('.').nth(1).unwrap()).unwrap()).unwrap();
    let resign = |text: &str| {
        let signed = format!("ce1.{}", b64_encode(text.as_bytes()));
        let mac = b64_encode(&hmac_sha256(KEY, signed.as_bytes()));
        format!("{signed}.{mac}")
    };
    assert!(verify(&resign(&payload), at).is_ok());

    // Truncated anywhere, or not a token at all.
    for cut in [0, 3, 4, 10, tok.len() / 2, tok.len() - 44, tok.len() - 1] {
        assert_eq!(
            code(verify(&tok[..cut], at)),
            ErrorCode::TokenMalformed,
            "cut at {cut}"
        );
    }
    for bad in [
        "",
        "ce1",
        "ce1..",
        "ce2.e30.AAAA",
        "ce1.e30.AAAA.x",
        "ce1.!!.AAAA",
        "garbage",
    ] {
        assert_eq!(code(verify(bad, at)), ErrorCode::TokenMalformed, "{bad}");
    }
    assert_eq!(
        code(verify(&resign("[1,2]"), at)),
        ErrorCode::TokenMalformed
    );
    assert_eq!(
        code(verify(&resign(&payload.replace("\"kid\"", "\"kidd\"")), at)),
        ErrorCode::TokenMalformed
    );
    // Wrong algorithm, however well signed.
    for alg in ["none", "HS512", "hs256"] {
        let text = payload.replace("\"alg\":\"HS256\"", &format!("\"alg\":\"{alg}\""));
        assert_eq!(
            code(verify(&resign(&text), at)),
            ErrorCode::TokenAlgorithm,
            "{alg}"
        );
    }
    // Unknown key id.
    assert_eq!(
        code(verify(&sign(&w, "k0", KEY, at, 300_000), at)),
        ErrorCode::TokenKey
    );
    // Altered: one payload byte, the signature, or a token signed with another key under a known id.
    let altered = payload.replace("\"credits\":96", "\"credits\":99");
    assert_ne!(altered, payload);
    let forged = format!("ce1.{}.{sig}", b64_encode(altered.as_bytes()));
    assert_eq!(code(verify(&forged, at)), ErrorCode::TokenSignature);
    let mut flipped = b64_decode(sig).unwrap();
    flipped[31] ^= 1;
    assert_eq!(
        code(verify(&format!("{head}.{}", b64_encode(&flipped)), at)),
        ErrorCode::TokenSignature
    );
    assert_eq!(
        code(verify(&sign(&w, "k2", KEY, at, 300_000), at)),
        ErrorCode::TokenSignature
    );
    // Another catalog.
    let custom = credit_engine::Catalog::from_json(
        r#"{"version":1,"features":[{"id":"x","agent":false,"unit":"image","defaultUnits":1,"prices":{"general":1}}]}"#,
    )
    .unwrap();
    let other = token::sign(&w, custom.id(), "k1", KEY, t(at), 300_000).unwrap();
    assert_eq!(code(verify(&other, at)), ErrorCode::TokenCatalog);
}

#[test]
fn expiry_allows_bounded_skew_both_ways() {
    let w = member();
    let tok = sign(&w, "k1", KEY, "2026-03-02T10:00:00Z", 300_000); // valid 10:00 to 10:05
    assert_eq!(SKEW_MS, 60_000);
    assert!(verify(&tok, "2026-03-02T10:05:59.999Z").is_ok());
    assert_eq!(
        code(verify(&tok, "2026-03-02T10:06:00Z")),
        ErrorCode::TokenExpired
    );
    assert_eq!(
        code(verify(&tok, "2026-03-03T10:00:00Z")),
        ErrorCode::TokenExpired
    );
    assert!(verify(&tok, "2026-03-02T09:59:00Z").is_ok()); // verifier's clock a minute behind
    assert_eq!(
        code(verify(&tok, "2026-03-02T09:58:59.999Z")),
        ErrorCode::TokenExpired
    );
}

#[test]
fn keys_rotate_by_id_and_signing_refuses_weak_input() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    // Old (k1) and new (k2) tokens both verify while the verifier holds both keys.
    assert!(verify(&sign(&w, "k1", KEY, at, 60_000), at).is_ok());
    assert!(verify(&sign(&w, "k2", OTHER, at, 60_000), at).is_ok());
    // After k1 is retired its tokens are E_TOKEN_KEY.
    let only_new = token::verify(
        &sign(&w, "k1", KEY, at, 60_000),
        t(at),
        cat().id(),
        &mut keys(&[("k2", OTHER)]),
    );
    assert_eq!(code(only_new), ErrorCode::TokenKey);
    let bad = |kid: &str, key: &[u8], ttl: i64| {
        token::sign(&w, cat().id(), kid, key, t(at), ttl)
            .unwrap_err()
            .code
    };
    assert_eq!(bad("k1", b"short key", 60_000), ErrorCode::BadRequest);
    assert_eq!(bad("", KEY, 60_000), ErrorCode::BadRequest);
    assert_eq!(bad("a b", KEY, 60_000), ErrorCode::BadRequest);
    assert_eq!(bad("k1", KEY, 0), ErrorCode::BadRequest);
    assert_eq!(bad("k1", KEY, 31 * DAY), ErrorCode::BadRequest);
    // A verifier configured with a short key is a configuration error, not a forged token.
    let weak = token::verify(
        &sign(&w, "k1", KEY, at, 60_000),
        t(at),
        cat().id(),
        &mut keys(&[("k1", b"short")]),
    );
    assert_eq!(code(weak), ErrorCode::BadRequest);
}

#[test]
fn a_stale_snapshot_loses_its_daily_credits_at_midnight() {
    // Signed at 23:59 Berlin with 5 daily credits; verified at 00:01 the token is still valid but the credits are gone.
    let mut w = wallet("Europe/Berlin");
    w.daily_login(t("2026-03-02T21:00:00Z"), c(5)).unwrap();
    let tok = sign(&w, "k1", KEY, "2026-03-02T22:59:00Z", 600_000);
    let v = verify(&tok, "2026-03-02T23:01:00Z").unwrap();
    let p = v
        .preview(
            &req("agent.image_editing"),
            t("2026-03-02T23:01:00Z"),
            &cat(),
        )
        .unwrap();
    assert!(!p.sufficient);
    assert_eq!(v.balance(t("2026-03-02T22:59:30Z")).unwrap().total, 5);
}

#[test]
fn no_input_panics_the_verifier() {
    let w = member();
    let tok = sign(&w, "k1", KEY, "2026-03-02T10:00:00Z", 300_000);
    let bytes = tok.as_bytes();
    for i in (0..bytes.len()).step_by(7) {
        for b in [b'.', b'A', b'_', 0xff] {
            let mut m = bytes.to_vec();
            m[i] = b;
            let text = String::from_utf8_lossy(&m).into_owned();
            let _ = verify(&text, "2026-03-02T10:00:00Z");
        }
    }
}

/// The same token, byte for byte, as tests/js/token.test.mjs expects in Node, Deno, workerd and Chromium.
#[test]
fn golden_token_matches_every_runtime() {
    let mut w = wallet("UTC");
    w.daily_login(t("2026-03-02T08:00:00Z"), c(5)).unwrap();
    let key = "k".repeat(32);
    let tok = token::sign(
        &w,
        cat().id(),
        "golden",
        key.as_bytes(),
        t("2026-03-02T08:00:00Z"),
        300_000,
    )
    .unwrap();
    assert_eq!(tok.len(), GOLDEN_LEN);
    assert!(tok.ends_with(GOLDEN_SIG), "{tok}");
}

const GOLDEN_LEN: usize = 820;
const GOLDEN_SIG: &str = "s6kQWhA_dCiOC25Gx3tDUMye4kapPoAPwz6kxUwldWE";

#[test]
fn a_remembering_verifier_answers_exactly_like_verify() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let tok = sign(&w, "k1", KEY, at, 300_000);
    let mut v = token::Verifier::default();
    let mut with = |keyring: &[(&str, &[u8])], tok: &str, when: &str, catalog: &str| {
        v.verify(tok, t(when), catalog, &mut keys(keyring))
            .map(|(_, w)| w.borrow().clone())
    };
    let both: &[(&str, &[u8])] = &[("k1", KEY), ("k2", OTHER)];
    let first = with(both, &tok, at, cat().id()).unwrap();
    // Found again: the same wallet, and still checked against the clock and the catalog on every use.
    let again = with(both, &tok, "2026-03-02T10:04:00Z", cat().id()).unwrap();
    assert_eq!(
        first.to_snapshot_json().unwrap(),
        again.to_snapshot_json().unwrap()
    );
    assert_eq!(
        code(with(both, &tok, "2026-03-02T10:06:00Z", cat().id())),
        ErrorCode::TokenExpired
    );
    assert_eq!(
        code(with(both, &tok, "2026-03-02T09:58:59.999Z", cat().id())),
        ErrorCode::TokenExpired
    );
    assert_eq!(
        code(with(both, &tok, at, "cat-0000000000000000")),
        ErrorCode::TokenCatalog
    );
    // Only with the very key that verified it: retired -> E_TOKEN_KEY, replaced -> E_TOKEN_SIGNATURE.
    assert_eq!(
        code(with(&[("k2", OTHER)], &tok, at, cat().id())),
        ErrorCode::TokenKey
    );
    assert_eq!(
        code(with(&[("k1", OTHER)], &tok, at, cat().id())),
        ErrorCode::TokenSignature
    );
    assert!(with(both, &tok, at, cat().id()).is_ok());
    // A token differing in one character is not found again (and fails its own checks).
    let mut altered = tok.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert!(matches!(
        code(with(both, &altered, at, cat().id())),
        ErrorCode::TokenSignature | ErrorCode::TokenMalformed
    ));
}

#[test]
fn a_remembering_verifier_stays_within_its_bounds() {
    let w = member();
    let mut v = token::Verifier::default();
    for i in 0..(token::CACHE_TOKENS as i64 + 40) {
        let at = t("2026-03-02T10:00:00Z").add_millis(i).unwrap();
        let tok = token::sign(&w, cat().id(), "k1", KEY, at, 300_000).unwrap();
        v.verify(&tok, at, cat().id(), &mut keys(&[("k1", KEY)]))
            .unwrap();
        assert!(v.len() <= token::CACHE_TOKENS);
    }
    assert_eq!(v.len(), token::CACHE_TOKENS);
}

#[test]
fn a_remembering_verifier_does_not_keep_long_tokens() {
    let mut w = member();
    for i in 0..200 {
        w.purchase(
            &format!("buy-{i}"),
            t("2026-03-02T09:30:00Z").add_millis(i).unwrap(),
            c(1),
        )
        .unwrap();
    }
    let at = t("2026-03-02T10:00:00Z");
    let tok = token::sign(&w, cat().id(), "k1", KEY, at, 300_000).unwrap();
    assert!(tok.len() > token::CACHE_TOKEN_BYTES, "{}", tok.len());
    let mut v = token::Verifier::default();
    let (serial, _) = v
        .verify(&tok, at, cat().id(), &mut keys(&[("k1", KEY)]))
        .unwrap();
    assert_eq!((serial, v.len()), (0, 0));
}

#[test]
fn a_remembered_token_reopens_by_serial_with_the_same_checks() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let tok = sign(&w, "k1", KEY, at, 300_000);
    let mut v = token::Verifier::default();
    let k1: &[(&str, &[u8])] = &[("k1", KEY)];
    let (serial, first) = v.verify(&tok, t(at), cat().id(), &mut keys(k1)).unwrap();
    let (again, second) = v.verify(&tok, t(at), cat().id(), &mut keys(k1)).unwrap();
    assert_eq!(serial, again);
    assert!(
        std::rc::Rc::ptr_eq(&first, &second),
        "the HMAC and the load are paid once"
    );
    let reopened = v
        .reopen(serial, t(at), cat().id(), &mut keys(k1))
        .unwrap()
        .unwrap();
    assert!(std::rc::Rc::ptr_eq(&first, &reopened));
    // Expired and foreign-catalog uses are the same errors as with the text.
    let at_late = t("2026-03-02T10:06:00Z");
    let late = v
        .reopen(serial, at_late, cat().id(), &mut keys(k1))
        .map(|o| o.is_some());
    assert_eq!(late.unwrap_err().code, ErrorCode::TokenExpired);
    let foreign = v
        .reopen(serial, t(at), "cat-0", &mut keys(k1))
        .map(|o| o.is_some());
    assert_eq!(foreign.unwrap_err().code, ErrorCode::TokenCatalog);
    // Another key under the id, no key, or an unknown serial: not found (the text path then gives the error).
    assert!(v
        .reopen(serial, t(at), cat().id(), &mut keys(&[("k1", OTHER)]))
        .unwrap()
        .is_none());
    assert!(v
        .reopen(serial, t(at), cat().id(), &mut keys(&[]))
        .unwrap()
        .is_none());
    assert!(v
        .reopen(serial + 1, t(at), cat().id(), &mut keys(k1))
        .unwrap()
        .is_none());
}

#[test]
fn tokens_stay_within_what_an_edge_verifies_in_a_few_ms() {
    let mut w = member();
    let at = t("2026-03-02T10:00:00Z");
    for i in 0..600 {
        w.purchase(
            &format!("buy-{i:04}"),
            t("2026-03-02T09:30:00Z").add_millis(i).unwrap(),
            c(1),
        )
        .unwrap();
    }
    // Signing refuses a token the edge would refuse; verifying refuses anything longer than the limit.
    let err = token::sign(&w, cat().id(), "k1", KEY, at, 300_000).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadRequest, "{err}");
    let long = format!("ce1.{}.x", "A".repeat(token::MAX_TOKEN_BYTES));
    assert_eq!(
        code(verify(&long, "2026-03-02T10:00:00Z")),
        ErrorCode::TokenMalformed
    );
}
