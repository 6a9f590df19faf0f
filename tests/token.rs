//! Signed wallet tokens (`credit_engine::token`, README "Edge pre-check"): a token verifies to a wallet that prices
//! exactly like the signed one; every way a token can be wrong has its own code; expiry allows 60 s of skew; keys
//! rotate by id. SHA-256/HMAC/base64url vectors are unit tests in src/token.rs.

mod common;

use common::*;
use credit_engine::token::{self, b64_decode, b64_encode, hmac_sha256, PREFIX, SKEW_MS};
use credit_engine::{ErrorCode, Result, Wallet};
use serde::{Deserialize, Serialize};

/// The payload as the module comment of src/token.rs documents it: these fields, in this order, in postcard.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Payload {
    alg: String,
    kid: String,
    account: String,
    iat: i64,
    exp: i64,
    catalog: String,
    snapshot: Vec<u8>,
}

impl Payload {
    fn bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap()
    }

    /// The same payload with one byte of the (binary) snapshot changed.
    fn with_snapshot_byte(&self, index: usize) -> Payload {
        let mut snapshot = self.snapshot.clone();
        snapshot[index] ^= 0x01;
        Payload {
            snapshot,
            ..self.clone()
        }
    }
}

/// The payload of a token: exactly one postcard record, nothing after it.
fn payload_of(tok: &str) -> Payload {
    let bytes = b64_decode(tok.split('.').nth(1).unwrap()).unwrap();
    let (p, rest) = postcard::take_from_bytes::<Payload>(&bytes).unwrap();
    assert!(rest.is_empty());
    p
}

/// Signs payload bytes with KEY under `prefix` (to reach the checks after the signature).
fn resign_bytes(prefix: &str, bytes: &[u8]) -> String {
    let signed = format!("{prefix}.{}", b64_encode(bytes));
    let mac = b64_encode(&hmac_sha256(KEY, signed.as_bytes()));
    format!("{signed}.{mac}")
}

fn resign(p: &Payload) -> String {
    resign_bytes(PREFIX, &p.bytes())
}

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

const ACCOUNT: &str = "acct-1";

fn sign(w: &Wallet, kid: &str, key: &[u8], at: &str, ttl_ms: i64) -> String {
    token::sign(w, cat().id(), kid, key, ACCOUNT, t(at), ttl_ms).unwrap()
}

fn verify_full(tok: &str, at: &str) -> Result<token::Verified> {
    token::verify(
        tok,
        t(at),
        cat().id(),
        &mut keys(&[("k1", KEY), ("k2", OTHER)]),
    )
}

fn verify(tok: &str, at: &str) -> Result<Wallet> {
    verify_full(tok, at).map(|v| v.wallet)
}

fn code<T>(r: Result<T>) -> ErrorCode {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.code,
    }
}

#[test]
fn a_verified_token_prices_like_the_signed_wallet() {
    let w = member();
    let tok = sign(&w, "k1", KEY, "2026-03-02T10:00:00Z", 300_000);
    assert!(tok.starts_with("ce2.") && PREFIX == "ce2");
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
    let payload = payload_of(&tok);
    assert_eq!(
        resign(&payload),
        tok,
        "the re-signing helper itself is right"
    );
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
        "ce2",
        "ce2..",
        "ce3.e30.AAAA",
        "ce2.e30.AAAA.x",
        "ce2.!!.AAAA",
        "garbage",
    ] {
        assert_eq!(code(verify(bad, at)), ErrorCode::TokenMalformed, "{bad}");
    }
    // A signed payload that is not a ce2 record.
    for bytes in [&b""[..], b"[1,2]", &[0xff; 40]] {
        assert_eq!(
            code(verify(&resign_bytes(PREFIX, bytes), at)),
            ErrorCode::TokenMalformed
        );
    }
    // Wrong algorithm, however well signed.
    for alg in ["none", "HS512", "hs256", ""] {
        let p = Payload {
            alg: alg.to_string(),
            ..payload.clone()
        };
        assert_eq!(
            code(verify(&resign(&p), at)),
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
    let altered = payload.with_snapshot_byte(payload.snapshot.len() / 2);
    let forged = format!("ce2.{}.{sig}", b64_encode(&altered.bytes()));
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
    let other = token::sign(&w, custom.id(), "k1", KEY, ACCOUNT, t(at), 300_000).unwrap();
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
        token::sign(&w, cat().id(), kid, key, ACCOUNT, t(at), ttl)
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
        "golden-account",
        t("2026-03-02T08:00:00Z"),
        300_000,
    )
    .unwrap();
    assert!(tok.ends_with(GOLDEN_SIG), "{tok}");
    assert_eq!(tok.len(), GOLDEN_LEN);
}

const GOLDEN_LEN: usize = 238;
const GOLDEN_SIG: &str = "yUKt3xn891Ucq-eiV0SI4tmXufhIDpXyP1U4H1SdwRE";

#[test]
fn a_remembering_verifier_answers_exactly_like_verify() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let tok = sign(&w, "k1", KEY, at, 300_000);
    let mut v = token::Verifier::default();
    let mut with = |keyring: &[(&str, &[u8])], tok: &str, when: &str, catalog: &str| {
        v.verify(tok, t(when), catalog, &mut keys(keyring))
            .map(|r| r.wallet.borrow().clone())
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
        let tok = token::sign(&w, cat().id(), "k1", KEY, ACCOUNT, at, 300_000).unwrap();
        v.verify(&tok, at, cat().id(), &mut keys(&[("k1", KEY)]))
            .unwrap();
        assert!(v.len() <= token::CACHE_TOKENS);
    }
    assert_eq!(v.len(), token::CACHE_TOKENS);
}

#[test]
fn a_remembering_verifier_does_not_keep_long_tokens() {
    let mut w = member();
    for i in 0..1200 {
        w.purchase(
            &format!("buy-{i}"),
            t("2026-03-02T09:30:00Z").add_millis(i).unwrap(),
            c(1),
        )
        .unwrap();
    }
    let at = t("2026-03-02T10:00:00Z");
    let tok = token::sign(&w, cat().id(), "k1", KEY, ACCOUNT, at, 300_000).unwrap();
    assert!(tok.len() > token::CACHE_TOKEN_BYTES, "{}", tok.len());
    let mut v = token::Verifier::default();
    let serial = v
        .verify(&tok, at, cat().id(), &mut keys(&[("k1", KEY)]))
        .unwrap()
        .serial;
    assert_eq!((serial, v.len()), (0, 0));
}

#[test]
fn a_remembered_token_reopens_by_serial_with_the_same_checks() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let tok = sign(&w, "k1", KEY, at, 300_000);
    let mut v = token::Verifier::default();
    let k1: &[(&str, &[u8])] = &[("k1", KEY)];
    let first = v.verify(&tok, t(at), cat().id(), &mut keys(k1)).unwrap();
    let second = v.verify(&tok, t(at), cat().id(), &mut keys(k1)).unwrap();
    let serial = first.serial;
    assert_eq!(serial, second.serial);
    assert!(
        std::rc::Rc::ptr_eq(&first.wallet, &second.wallet),
        "the HMAC and the load are paid once"
    );
    let reopened = v
        .reopen(serial, t(at), cat().id(), &mut keys(k1))
        .unwrap()
        .unwrap();
    assert!(std::rc::Rc::ptr_eq(&first.wallet, &reopened.wallet));
    // The account comes back from memory too, by text and by serial.
    assert_eq!(
        (&*first.account, &*second.account, &*reopened.account),
        (ACCOUNT, ACCOUNT, ACCOUNT)
    );
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
    for i in 0..4000 {
        w.purchase(
            &format!("buy-{i:04}"),
            t("2026-03-02T09:30:00Z").add_millis(i).unwrap(),
            c(1),
        )
        .unwrap();
    }
    // Signing refuses a token the edge would refuse; verifying refuses anything longer than the limit.
    let err = token::sign(&w, cat().id(), "k1", KEY, ACCOUNT, at, 300_000).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadRequest, "{err}");
    let long = format!("ce2.{}.x", "A".repeat(token::MAX_TOKEN_BYTES));
    assert_eq!(
        code(verify(&long, "2026-03-02T10:00:00Z")),
        ErrorCode::TokenMalformed
    );
}

#[test]
fn a_token_is_bound_to_the_account_it_was_signed_for() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    for account in [
        "acct-A",
        "acct-B",
        "user:42@example.com",
        &"é".repeat(64),
        &"x".repeat(128),
    ] {
        let tok = token::sign(&w, cat().id(), "k1", KEY, account, t(at), 300_000).unwrap();
        let v = verify_full(&tok, at).unwrap();
        assert_eq!(v.account, account);
        let mut remembered = token::Verifier::default();
        let r = remembered
            .verify(&tok, t(at), cat().id(), &mut keys(&[("k1", KEY)]))
            .unwrap();
        assert_eq!(&*r.account, account);
    }
    // The account is signed: another account in the same token breaks the signature ...
    let tok = token::sign(&w, cat().id(), "k1", KEY, "acct-A", t(at), 300_000).unwrap();
    let (head, sig) = tok.rsplit_once('.').unwrap();
    let payload = payload_of(head);
    assert_eq!(payload.account, "acct-A");
    let changed = Payload {
        account: "acct-B".to_string(),
        ..payload.clone()
    };
    let forged = format!("ce2.{}.{sig}", b64_encode(&changed.bytes()));
    assert_eq!(code(verify(&forged, at)), ErrorCode::TokenSignature);
    // ... and only a holder of the key can make one for acct-B.
    assert_eq!(
        verify_full(&resign(&changed), at).unwrap().account,
        "acct-B"
    );
    // A payload without an account (the fields of a ce1 payload, in postcard) is malformed.
    #[derive(Serialize)]
    struct NoAccount<'a>(&'a str, &'a str, i64, i64, &'a str, &'a [u8]);
    let p = &payload;
    let without = NoAccount(&p.alg, &p.kid, p.iat, p.exp, &p.catalog, &p.snapshot);
    assert_eq!(
        code(verify(
            &resign_bytes(PREFIX, &postcard::to_allocvec(&without).unwrap()),
            at
        )),
        ErrorCode::TokenMalformed
    );
}

#[test]
fn signing_refuses_a_missing_or_strange_account() {
    let w = member();
    let at = t("2026-03-02T10:00:00Z");
    for bad in [
        String::new(),
        "x".repeat(129),
        "é".repeat(65),
        "a\nb".to_string(),
        "tab\there".to_string(),
        "nul\0".to_string(),
        "del\u{7f}".to_string(),
        "c1\u{85}".to_string(),
    ] {
        let e = token::sign(&w, cat().id(), "k1", KEY, &bad, at, 300_000).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRequest, "{bad:?}");
        assert!(e.message.contains("account"), "{e}");
    }
}

/// A payload in the JSON shape of the earlier formats (ce1: without `account`; pre-release ce2: with it).
fn json_payload(p: &Payload, account: bool) -> String {
    let iso = |ms: i64| credit_engine::Instant::from_millis(ms).unwrap().to_iso();
    let account = if account {
        format!("\"account\":\"{}\",", p.account)
    } else {
        String::new()
    };
    format!(
        "{{\"alg\":\"HS256\",\"kid\":\"{}\",{account}\"iat\":\"{}\",\"exp\":\"{}\",\"catalog\":\"{}\",\"snapshot\":{}}}",
        p.kid,
        iso(p.iat),
        iso(p.exp),
        p.catalog,
        "{}"
    )
}

#[test]
fn older_tokens_are_refused_with_a_message_to_sign_a_new_one() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let payload = payload_of(&sign(&w, "k1", KEY, at, 300_000));
    // A ce1 token as the first format wrote it: a JSON payload without account, signed over `ce1.<payload>`; and a
    // ce2 token with the JSON payload of pre-release builds (the key is right, the format is not).
    for old in [
        resign_bytes("ce1", json_payload(&payload, false).as_bytes()),
        resign_bytes("ce2", json_payload(&payload, true).as_bytes()),
    ] {
        let e = verify(&old, at).map(|_| ()).unwrap_err();
        assert_eq!(e.code, ErrorCode::TokenMalformed);
        assert!(
            e.message.contains("format changed") && e.message.contains("sign a new token"),
            "{e}"
        );
        let mut v = token::Verifier::default();
        let e = v
            .verify(&old, t(at), cat().id(), &mut keys(&[("k1", KEY)]))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::TokenMalformed);
    }
}

#[test]
fn a_token_lives_at_most_30_days_and_is_issued_before_it_expires() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let payload = payload_of(&sign(&w, "k1", KEY, at, 300_000));
    assert_eq!(
        (payload.iat, payload.exp),
        (t(at).millis(), t("2026-03-02T10:05:00Z").millis())
    );
    let with = |iat: &str, exp: &str| {
        resign(&Payload {
            iat: t(iat).millis(),
            exp: t(exp).millis(),
            ..payload.clone()
        })
    };
    // iat after exp: refused even at a time inside [iat - 60 s, exp + 60 s).
    let backwards = with("2026-03-02T10:00:00Z", "2026-03-02T09:59:30Z");
    assert_eq!(
        code(verify(&backwards, "2026-03-02T09:59:45Z")),
        ErrorCode::TokenExpired
    );
    // Exactly 30 days verifies; a millisecond more does not, however recent `at` is.
    let month = with("2026-03-02T10:00:00Z", "2026-04-01T10:00:00Z");
    assert!(verify(&month, "2026-03-02T10:00:01Z").is_ok());
    let over = with("2026-03-02T10:00:00Z", "2026-04-01T10:00:00.001Z");
    let e = verify(&over, "2026-03-02T10:00:01Z")
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TokenExpired, "{e}");
    assert!(e.message.contains("30 days"), "{e}");
    let decade = with("2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
    assert_eq!(code(verify(&decade, at)), ErrorCode::TokenExpired);
    // iat == exp: a token valid for no time at all but within the skew, as the window allows.
    let instant = with("2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z");
    assert!(verify(&instant, "2026-03-02T10:00:30Z").is_ok());
    // Times outside the years 0001-9999 (any i64 decodes) are malformed, not a panic or an overflow.
    for (iat, exp) in [
        (i64::MIN, i64::MIN),
        (i64::MAX, i64::MAX),
        (0, i64::MAX),
        (i64::MIN, 0),
    ] {
        let p = Payload {
            iat,
            exp,
            ..payload.clone()
        };
        assert_eq!(
            code(verify(&resign(&p), at)),
            ErrorCode::TokenMalformed,
            "{iat} {exp}"
        );
    }
    // The remembering verifier refuses them the same way.
    let mut v = token::Verifier::default();
    for (tok, when) in [
        (&backwards, "2026-03-02T09:59:45Z"),
        (&over, "2026-03-02T10:00:01Z"),
    ] {
        let r = v.verify(tok, t(when), cat().id(), &mut keys(&[("k1", KEY)]));
        assert_eq!(r.map(|_| ()).unwrap_err().code, ErrorCode::TokenExpired);
    }
}

/// SPEC 9: a payload with a repeated key is `E_TOKEN_MALFORMED`. The payload is positional, so a field cannot be
/// named twice; what could carry a second value is a payload that is more (or less) than exactly one well-formed
/// record, and that is malformed, however well signed. The snapshot inside is still JSON text: a key repeated
/// there is malformed too.
#[test]
fn a_payload_that_is_not_exactly_one_record_is_malformed() {
    let w = member();
    let at = "2026-03-02T10:00:00Z";
    let payload = payload_of(&sign(&w, "k1", KEY, at, 300_000));
    let bytes = payload.bytes();
    assert!(verify(&resign_bytes(PREFIX, &bytes), at).is_ok());
    let second = Payload {
        account: "acct-2".to_string(),
        kid: "k2".to_string(),
        ..payload.clone()
    }
    .bytes();
    // Where the account's length is: alg (1 + 5 bytes) and kid (1 + 2 bytes) come first.
    let account_len = 1 + 5 + 1 + 2;
    assert_eq!(bytes[account_len], 6);
    let mut lying_len = bytes.clone();
    lying_len[account_len] = 0x7f;
    let mut not_utf8 = bytes.clone();
    not_utf8[account_len + 1] = 0xff;
    let mut overlong = bytes[..account_len].to_vec();
    overlong.extend([
        0x86, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
    ]);
    let cases: [(&str, Vec<u8>); 7] = [
        (
            "a second record after the first (two accounts, two key ids)",
            [&bytes[..], &second].concat(),
        ),
        ("one byte after the record", [&bytes[..], &[0]].concat()),
        (
            "the record with its last byte cut",
            bytes[..bytes.len() - 1].to_vec(),
        ),
        ("only the first fields", bytes[..account_len + 3].to_vec()),
        ("a length past the end", lying_len),
        ("text that is not UTF-8", not_utf8),
        ("a varint longer than ten bytes", overlong),
    ];
    for (what, bad) in cases {
        let e = verify(&resign_bytes(PREFIX, &bad), at)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::TokenMalformed, "{what}: {e}");
    }
    let e = verify(&resign_bytes(PREFIX, &[&bytes[..], &second].concat()), at)
        .map(|_| ())
        .unwrap_err();
    assert!(e.message.contains("bytes follow the payload"), "{e}");
    // The snapshot it carries is positional binary too (no member can be given twice): bytes after its end, or a
    // snapshot cut short, are refused.
    let mut longer = payload.clone();
    longer.snapshot.push(0);
    let e = verify(&resign(&longer), at).map(|_| ()).unwrap_err();
    assert_eq!(e.code, ErrorCode::Snapshot, "{e}");
    let mut shorter = payload.clone();
    shorter.snapshot.pop();
    let e = verify(&resign(&shorter), at).map(|_| ()).unwrap_err();
    assert_eq!(e.code, ErrorCode::Snapshot, "{e}");
}
