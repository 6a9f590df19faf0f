//! SPEC section 6 (`Wallet.fromJSON`/`toJSON`: lossless round trip, `E_SNAPSHOT`) and README "Snapshots": format
//! `credit-engine/wallet`, version 1; anything else, malformed, truncated or inconsistent input is `E_SNAPSHOT`,
//! and no input panics.

mod common;

use common::*;
use credit_engine::{ErrorCode, Wallet};
use serde_json::{json, Value};

const ZONE: &str = "America/New_York";

/// A wallet that has been through everything: trial, conversion, purchase, daily login, promotion, charge, refund
/// with an id, a captured and refunded hold, an open hold, a lapse and a renewal-free future.
fn rich_wallet() -> Wallet {
    let mut w = wallet(ZONE);
    w.start_trial(t("2026-01-10T15:00:00Z"), t("2026-01-17T15:00:00Z"), c(20))
        .unwrap();
    w.purchase("buy", t("2026-01-11T15:00:00Z"), c(40)).unwrap();
    w.activate_membership(
        t("2026-01-12T15:00:00Z"),
        t("2026-03-12T15:00:00Z"),
        c(100),
        c(30),
    )
    .unwrap();
    w.daily_login(t("2026-01-13T15:00:00Z"), c(5)).unwrap();
    w.grant_promotion(
        "promo",
        t("2026-01-13T15:00:00Z"),
        c(9),
        t("2026-02-01T00:00:00Z"),
    )
    .unwrap();
    w.charge(
        &req("agent.image_generation").units(3),
        t("2026-01-13T16:00:00Z"),
        "ch",
        &cat(),
    )
    .unwrap();
    w.refund("ch", 1, t("2026-01-13T16:01:00Z"), Some("auto-refund-1"))
        .unwrap();
    w.charge(
        &req("agent.video_generation").seconds(7.5),
        t("2026-01-13T16:02:00Z"),
        "vid",
        &cat(),
    )
    .unwrap();
    w.hold(
        &req("ai_background"),
        t("2026-01-13T17:00:00Z"),
        "h1",
        600_000,
        &cat(),
    )
    .unwrap();
    w.capture("h1", 1, t("2026-01-13T17:05:00Z")).unwrap();
    w.refund("h1", 1, t("2026-01-13T17:06:00Z"), None).unwrap();
    w.hold(
        &req("agent.ppt"),
        t("2026-01-13T18:00:00Z"),
        "open",
        3_600_000,
        &cat(),
    )
    .unwrap();
    w
}

fn snapshot_value(w: &Wallet) -> Value {
    serde_json::from_str(&snap(w)).unwrap()
}

fn load(v: &Value) -> Result<Wallet, credit_engine::Error> {
    Wallet::from_snapshot_json(&v.to_string())
}

fn refused(v: &Value) -> credit_engine::Error {
    let e = err(load(v));
    assert_eq!(e.code, ErrorCode::Snapshot, "{e}");
    assert!(!e.message.is_empty());
    e
}

#[test]
fn snapshot_round_trip_is_lossless() {
    let w = rich_wallet();
    let text = snap(&w);
    let back = Wallet::from_snapshot_json(&text).unwrap();
    assert_eq!(back, w);
    assert_eq!(snap(&back), text);
    assert_eq!(back.ledger(), w.ledger());
    assert_eq!(back.clock(), w.clock());
    assert_eq!(back.time_zone(), ZONE);
}

/// One step applied to two wallets; its outcome as text, for comparison.
type Step = Box<dyn Fn(&mut Wallet) -> String>;

#[test]
fn a_restored_wallet_behaves_identically_afterwards() {
    let original = rich_wallet();
    let mut a = original.clone();
    let mut b = Wallet::from_snapshot_json(&snap(&original)).unwrap();
    let steps: Vec<Step> = vec![
        Box::new(|w| {
            format!(
                "{:?}",
                w.charge(&req("agent.ppt"), t("2026-01-14T10:00:00Z"), "ch", &cat())
            )
        }),
        Box::new(|w| {
            format!(
                "{:?}",
                w.refund("ch", 1, t("2026-01-14T10:00:00Z"), Some("auto-refund-1"))
            )
        }),
        Box::new(|w| format!("{:?}", w.refund("vid", 1, t("2026-01-14T10:00:00Z"), None))),
        Box::new(|w| format!("{:?}", w.capture("open", 1, t("2026-01-14T10:00:00Z")))),
        Box::new(|w| format!("{:?}", w.purchase("buy", t("2026-01-11T15:00:00Z"), c(40)))),
        Box::new(|w| format!("{:?}", w.daily_login(t("2026-01-20T15:00:00Z"), c(5)))),
        Box::new(|w| {
            format!(
                "{:?}",
                w.charge(
                    &req("private_model"),
                    t("2026-02-20T10:00:00Z"),
                    "pm",
                    &cat()
                )
            )
        }),
        Box::new(|w| format!("{:?}", w.balance(t("2026-04-01T00:00:00Z")))),
        Box::new(|w| {
            format!(
                "{:?}",
                w.project(t("2026-02-20T10:00:00Z"), t("2027-01-01T00:00:00Z"))
            )
        }),
        Box::new(|w| {
            format!(
                "{:?}",
                w.activate_membership(
                    t("2026-04-01T00:00:00Z"),
                    t("2027-04-01T00:00:00Z"),
                    c(10),
                    c(1)
                )
            )
        }),
        Box::new(|w| {
            format!(
                "{:?}",
                w.charge(&req("agent.ppt"), t("2026-01-01T00:00:00Z"), "late", &cat())
            )
        }),
    ];
    for step in steps {
        assert_eq!(step(&mut a), step(&mut b));
        assert_eq!(snap(&a), snap(&b));
    }
}

#[test]
fn an_empty_wallet_round_trips() {
    let w = wallet("Australia/Sydney");
    let back = Wallet::from_snapshot_json(&snap(&w)).unwrap();
    assert_eq!(back, w);
}

#[test]
fn snapshot_carries_its_format_and_version() {
    let v = snapshot_value(&rich_wallet());
    assert_eq!(v["format"], "credit-engine/wallet");
    assert_eq!(v["version"], 2);
    assert_eq!(v["timeZone"], ZONE);
    assert_eq!(v["retentionDays"], 7);
}

#[test]
fn snapshot_of_an_unknown_version_is_refused() {
    for version in [json!(3), json!(0), json!("1"), json!(1.5), json!(null)] {
        let mut v = snapshot_value(&rich_wallet());
        v["version"] = version;
        let e = refused(&v);
        assert!(e.message.contains("version"), "{}", e.message);
    }
    let mut v = snapshot_value(&rich_wallet());
    v.as_object_mut().unwrap().remove("version");
    refused(&v);
}

#[test]
fn snapshot_of_a_wrong_format_is_refused() {
    for format in [
        json!("credit-engine/catalog"),
        json!(""),
        json!(1),
        json!(null),
    ] {
        let mut v = snapshot_value(&rich_wallet());
        v["format"] = format;
        let e = refused(&v);
        assert!(e.message.contains("format"), "{}", e.message);
    }
    // A catalog is not a wallet.
    assert_eq!(
        code(Wallet::from_snapshot_json(&cat().to_json())),
        ErrorCode::Snapshot
    );
}

#[test]
fn malformed_json_is_refused() {
    for text in [
        "",
        "   ",
        "{",
        "}",
        "nul",
        "[]",
        "\"wallet\"",
        "42",
        "{\"format\":}",
        "{'format':1}",
    ] {
        assert_eq!(
            code(Wallet::from_snapshot_json(text)),
            ErrorCode::Snapshot,
            "{text:?}"
        );
    }
    let nested = "[".repeat(100_000);
    assert_eq!(
        code(Wallet::from_snapshot_json(&nested)),
        ErrorCode::Snapshot
    );
}

#[test]
fn every_truncation_of_a_snapshot_is_refused() {
    let text = snap(&rich_wallet());
    let mut cut = text.len() - 1;
    loop {
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        assert_eq!(
            code(Wallet::from_snapshot_json(&text[..cut])),
            ErrorCode::Snapshot,
            "truncated at {cut}"
        );
        if cut == 0 {
            break;
        }
        cut = cut.saturating_sub(7);
    }
}

#[test]
fn an_unknown_field_is_refused() {
    let mut v = snapshot_value(&rich_wallet());
    v["extra"] = json!(true);
    let e = refused(&v);
    assert!(e.message.contains("extra"), "{}", e.message);
    let mut v = snapshot_value(&rich_wallet());
    v["lots"][0]["colour"] = json!("red");
    refused(&v);
}

#[test]
fn an_out_of_range_lot_index_in_a_record_is_refused() {
    // Version 2 records name lots by their index in the snapshot's `lots`, in a binary list (its index check is
    // in the unit tests of `codec`): one lot fewer leaves a record pointing past the end.
    let mut v = snapshot_value(&rich_wallet());
    let lots = v["lots"].as_array().unwrap().len();
    v["lots"].as_array_mut().unwrap().truncate(lots - 1);
    v["holds"] = json!([]);
    refused(&v);
    // Records in the version-1 shape are not read as version 2.
    let mut v = snapshot_value(&rich_wallet());
    v["records"] = json!({});
    let e = refused(&v);
    assert!(e.message.contains("records"), "{e}");
}

#[test]
fn an_out_of_range_lot_index_in_an_open_hold_is_refused() {
    let mut v = snapshot_value(&rich_wallet());
    v["holds"][0]["takes"][0][0] = json!(9_999);
    refused(&v);
    let mut v = snapshot_value(&rich_wallet());
    v["holds"][0]["takes"][0][0] = json!(-1);
    refused(&v);
}

#[test]
fn a_duplicate_lot_id_is_refused() {
    let mut v = snapshot_value(&rich_wallet());
    let first = v["lots"][0].clone();
    v["lots"].as_array_mut().unwrap().push(first);
    let e = refused(&v);
    assert!(e.message.contains("twice"), "{}", e.message);
}

/// Found by fuzzing (fuzz/corpus/snapshot_json/regression-engine-id-of-another-time): a lot whose engine-form id
/// named another time than its grant loaded, and a daily login at that time then made a second lot with the same
/// id, so the wallet's own snapshot no longer loaded. Engine ids must match their kind and grant time, and lots must
/// be in grant order and not after the clock.
#[test]
fn lot_ids_and_grant_times_must_be_the_engines_own() {
    let w = rich_wallet();
    let base = snapshot_value(&w);
    let engine = base["lots"]
        .as_array()
        .unwrap()
        .iter()
        .position(|l| l["id"].as_str().unwrap().contains('@'))
        .expect("an engine-made lot");
    // Its id names another time, another kind, or a malformed suffix.
    let id = base["lots"][engine]["id"].as_str().unwrap().to_string();
    let kind = base["lots"][engine]["kind"].as_str().unwrap().to_string();
    let (_, time) = id.split_once('@').unwrap();
    let later = {
        let ms = t(time).millis() + 3_600_000;
        credit_engine::Instant::from_millis(ms).unwrap().to_iso()
    };
    let other = if kind == "trial" {
        "purchased"
    } else {
        "trial"
    };
    for bad in [
        format!("{kind}@{later}"),
        format!("{other}@{time}"),
        format!("{id}#1"),
        format!("{id}#02"),
        format!("{id}#x"),
    ] {
        let mut v = base.clone();
        v["lots"][engine]["id"] = json!(bad);
        let e = refused(&v);
        assert!(e.message.contains("reserved id"), "{bad}: {}", e.message);
    }
    let mut v = base.clone();
    v["lots"][engine]["id"] = json!(format!("{id}#2"));
    assert!(
        load(&v).is_ok(),
        "a second lot of a kind at one instant is #2"
    );
    // Out of grant order, or granted after the clock.
    let mut v = base.clone();
    v["lots"].as_array_mut().unwrap().reverse();
    if v["lots"][0]["grantedAt"] != v["lots"].as_array().unwrap().last().unwrap()["grantedAt"] {
        assert!(refused(&v).message.contains("grant order"));
    }
    let mut v = base.clone();
    let n = v["lots"].as_array().unwrap().len();
    v["lots"][n - 1]["grantedAt"] = json!("2030-01-01T00:00:00.000Z");
    refused(&v);
}

#[test]
fn inconsistent_amounts_are_refused() {
    // More credits left than granted.
    let mut v = snapshot_value(&rich_wallet());
    let granted = v["lots"][0]["granted"].as_u64().unwrap();
    v["lots"][0]["credits"] = json!(granted + 1);
    refused(&v);
    // Negative or fractional credits.
    for bad in [
        json!(-1),
        json!(1.5),
        json!("5"),
        json!(9_007_199_254_740_992u64),
    ] {
        let mut v = snapshot_value(&rich_wallet());
        v["lots"][0]["credits"] = bad;
        refused(&v);
    }
}

#[test]
fn a_ledger_out_of_order_or_past_the_clock_is_refused() {
    let mut v = snapshot_value(&rich_wallet());
    v["ledger"][1]["seq"] = json!(7);
    refused(&v);
    let mut v = snapshot_value(&rich_wallet());
    let n = v["ledger"].as_array().unwrap().len();
    v["ledger"][n - 1]["at"] = json!("2030-01-01T00:00:00.000Z");
    refused(&v);
}

#[test]
fn bad_times_zones_and_kinds_inside_a_snapshot_are_refused() {
    let cases: Vec<(&str, Value)> = vec![
        ("/timeZone", json!("Mars/Base")),
        ("/clock", json!("2026-02-30T00:00:00Z")),
        ("/lots/0/kind", json!("bonus")),
        ("/lots/0/grantedAt", json!("yesterday")),
        ("/membership/status", json!("gold")),
        ("/ledger/0/type", json!("gift")),
        ("/records", json!("not base64url!")),
        ("/records", json!("AAAA")),
        ("/records", json!(42)),
        ("/hadTrial", json!("yes")),
    ];
    for (pointer, bad) in cases {
        let mut v = snapshot_value(&rich_wallet());
        *v.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = bad;
        refused(&v);
    }
}

#[test]
fn a_snapshot_larger_than_8_mib_is_refused() {
    let mut text = snap(&wallet(ZONE));
    text.push_str(&" ".repeat(8 * 1024 * 1024));
    assert_eq!(code(Wallet::from_snapshot_json(&text)), ErrorCode::Snapshot);
}

/// Runs a few operations of every sort on a loaded wallet; results do not matter, only that nothing panics.
fn exercise(mut w: Wallet) {
    let at = t("2026-01-14T10:00:00Z");
    let _ = w.balance(t("2027-01-01T00:00:00Z"));
    let _ = w.project(at, t("2026-06-01T00:00:00Z"));
    let _ = w.preview(&req("agent.ppt"), at, &cat());
    let _ = w.refund("ch", 1, at, Some("auto-refund-1"));
    let _ = w.refund("vid", 1, at, None);
    let _ = w.refund("h1", 1, at, None);
    let _ = w.capture("open", 1, at);
    let _ = w.release("open", at);
    let _ = w.charge(&req("agent.ppt"), at, "x", &cat());
    let _ = w.daily_login(t("2026-04-01T00:00:00Z"), c(1));
    let _ = w.to_snapshot_json();
}

#[test]
fn mangled_snapshots_never_panic() {
    let text = snap(&rich_wallet());
    let bytes = text.as_bytes();
    let replacements: [&[u8]; 6] = [b"x", b"9", b"\"", b"{", b"-", b""];
    let mut checked = 0;
    for pos in (0..bytes.len()).step_by(3) {
        for r in replacements {
            let mut m = bytes[..pos].to_vec();
            m.extend_from_slice(r);
            m.extend_from_slice(&bytes[pos + 1..]);
            let Ok(s) = String::from_utf8(m) else {
                continue;
            };
            let outcome = std::panic::catch_unwind(|| {
                let loaded = Wallet::from_snapshot_json(&s);
                if let Ok(w) = &loaded {
                    exercise(w.clone());
                }
                loaded
            });
            match outcome {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => assert_eq!(e.code, ErrorCode::Snapshot, "{e}"),
                Err(_) => panic!("panicked on mangled snapshot at byte {pos}"),
            }
            checked += 1;
        }
    }
    assert!(checked > 1000);
}

#[test]
fn a_wallet_keeps_working_after_a_refused_snapshot() {
    let mut w = rich_wallet();
    assert!(Wallet::from_snapshot_json("{").is_err());
    assert!(w
        .charge(
            &req("agent.ppt"),
            t("2026-01-14T10:00:00Z"),
            "after",
            &cat()
        )
        .is_ok());
}

/// Found by fuzzing: a snapshot whose unexpired lot expires before the clock loaded, and the next mutation then
/// wrote an expiry dated before earlier ledger entries, so the wallet's own snapshot no longer loaded.
#[test]
fn a_snapshot_with_an_overdue_scheduled_event_is_refused() {
    let mut w = Wallet::create("UTC").unwrap();
    w.grant_promotion(
        "p",
        t("2026-01-01T00:00:00Z"),
        c(5),
        t("2026-01-10T00:00:00Z"),
    )
    .unwrap();
    w.daily_login(t("2026-01-02T00:00:00Z"), c(1)).unwrap();
    let snap = w.to_snapshot_json().unwrap().replace(
        r#""expiresAt":"2026-01-10T00:00:00.000Z","frozen""#,
        r#""expiresAt":"2026-01-01T12:00:00.000Z","frozen""#,
    );
    let err = Wallet::from_snapshot_json(&snap).unwrap_err();
    assert_eq!(err.code, ErrorCode::Snapshot);
    assert!(err.message.contains("never applied"), "{}", err.message);
}

/// Found by fuzzing: reads far ahead under a long membership used to cost the square of the months.
#[test]
fn reading_centuries_ahead_under_a_long_membership_stays_linear() {
    let mut w = Wallet::create("Europe/Berlin").unwrap();
    w.activate_membership(
        t("2026-01-01T00:00:00Z"),
        t("9999-12-31T00:00:00Z"),
        c(1),
        c(1),
    )
    .unwrap();
    // 2,400 monthly distributions: quadratic work here took seconds in a debug build.
    let b = w.balance(t("2226-01-01T00:00:00Z")).unwrap();
    assert_eq!(b.total, 2_402);
}

#[test]
fn a_version_1_record_naming_a_lot_the_file_does_not_hold_is_refused() {
    // Found by fuzzing: a hand-edited version-1 file whose charge drew on a lot it no longer lists loaded, and the
    // version-2 snapshot it then wrote (which names lots by index) did not load back.
    let text = std::fs::read_to_string(format!(
        "{}/tests/golden/v1-member.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let edited = text.replace(
        "\"id\":\"spring\",\"kind\":\"promotion\"",
        "\"id\":\"summer\",\"kind\":\"promotion\"",
    );
    assert_ne!(
        edited, text,
        "the golden file lists the promotion lot 'spring'"
    );
    let e = Wallet::from_snapshot_json(edited.trim_end()).unwrap_err();
    assert_eq!(e.code, ErrorCode::Snapshot, "{e}");
    assert!(e.message.contains("video-1"), "{}", e.message);
}

#[test]
fn a_version_1_record_whose_derived_fields_disagree_is_refused() {
    // Found by fuzzing: a version-1 charge whose request said 0 units and whose result said 1 loaded, and the
    // version-2 snapshot it then wrote (which takes a charge's units from its request) did not load back. Every
    // field version 2 derives must agree in a version-1 file, or the file is refused.
    let text = std::fs::read_to_string(format!(
        "{}/tests/golden/v1-member.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(Wallet::from_snapshot_json(text.trim_end()).is_ok());
    let edits = [
        // The request's units against the result's.
        ("\"tier\":\"premium\",\"units\":3,", "\"tier\":\"premium\",\"units\":2,"),
        // The result's instant against the request's.
        (
            "\"at\":\"2026-01-30T16:00:00.000Z\"},\"feature\":\"agent.image_generation\"",
            "\"at\":\"2026-01-30T16:00:00.001Z\"},\"feature\":\"agent.image_generation\"",
        ),
        // A draw's kind against its lot's.
        (
            "{\"lotId\":\"daily_login@2026-01-30T15:00:00.000Z\",\"kind\":\"daily_login\",\"credits\":5}",
            "{\"lotId\":\"daily_login@2026-01-30T15:00:00.000Z\",\"kind\":\"trial\",\"credits\":5}",
        ),
        // What is still refundable against the draws and the refunds.
        ("\"remaining\":[[1,5],[0,1]]", "\"remaining\":[[1,4],[0,2]]"),
        // A refund's result against the refund.
        ("\"result\":{\"chargeId\":\"gen-1\",\"credits\":3,\"units\":1,", "\"result\":{\"chargeId\":\"gen-1\",\"credits\":3,\"units\":2,"),
    ];
    for (from, to) in edits {
        let edited = text.replacen(from, to, 1);
        assert_ne!(edited, text, "the golden file has {from}");
        let e = Wallet::from_snapshot_json(edited.trim_end()).unwrap_err();
        assert_eq!(e.code, ErrorCode::Snapshot, "{to}: {e}");
        assert!(e.message.contains("gen-1"), "{to}: {}", e.message);
    }
}
