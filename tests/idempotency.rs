//! SPEC section 5 and the idempotency decisions of section 8: the same id with the same payload returns the first
//! result and changes nothing; the same id with a different payload is `E_IDEMPOTENCY_CONFLICT`; the compared payload
//! is the request after defaults, its `at` and the catalog id; the id check comes before the clock check; ids are
//! one namespace per wallet; a re-sent purchase never double-credits.

mod common;

use common::*;
use credit_engine::{Catalog, EntryType, ErrorCode, Tier, Wallet};

const ZONE: &str = "Europe/Berlin";
const T0: &str = "2026-05-01T08:00:00Z";
const T1: &str = "2026-05-01T09:00:00Z";
const UNTIL: &str = "2027-05-01T08:00:00Z";

fn funded() -> Wallet {
    let mut w = member(ZONE, T0, UNTIL, 500, 100);
    w.grant_promotion("promo", t(T0), c(50), t(UNTIL)).unwrap();
    w
}

/// A catalog with the default prices for ai_background and agent.ppt but a different content (so another id).
fn other_catalog() -> Catalog {
    let mut v = cat().to_json();
    v = v.replacen("\"unit\":\"image\"", "\"unit\":\"picture\"", 1);
    let other = Catalog::from_json(&v).unwrap();
    assert_ne!(other.id(), cat().id());
    other
}

#[test]
fn a_repeated_charge_returns_the_first_result_and_changes_nothing() {
    let mut w = funded();
    let r = req("agent.ppt");
    let first = w.charge(&r, t(T1), "ch", &cat()).unwrap();
    let (s, len) = (snap(&w), w.ledger().len());
    let again = w.charge(&r, t(T1), "ch", &cat()).unwrap();
    assert_eq!(again, first);
    assert_eq!(w.ledger().len(), len);
    assert_eq!(snap(&w), s);
}

#[test]
fn the_payload_is_compared_after_defaults_are_filled_in() {
    let mut w = funded();
    let first = w
        .charge(&req("ai_background"), t(T1), "ch", &cat())
        .unwrap();
    let default_units = cat().quote(&req("ai_background")).unwrap().units;
    let explicit = req("ai_background")
        .units(default_units)
        .tier(Tier::General);
    let s = snap(&w);
    assert_eq!(w.charge(&explicit, t(T1), "ch", &cat()).unwrap(), first);
    assert_eq!(snap(&w), s);
}

#[test]
fn same_charge_id_with_different_units_is_a_conflict() {
    let mut w = funded();
    w.charge(&req("ai_background"), t(T1), "ch", &cat())
        .unwrap();
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.charge(&req("ai_background").units(3), t(T1), "ch", &cat())
    });
}

#[test]
fn same_charge_id_with_a_different_at_is_a_conflict() {
    let mut w = funded();
    w.charge(&req("ai_background"), t(T1), "ch", &cat())
        .unwrap();
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.charge(&req("ai_background"), plus(t(T1), 1), "ch", &cat())
    });
}

#[test]
fn same_charge_id_with_a_different_catalog_is_a_conflict() {
    let mut w = funded();
    w.charge(&req("ai_background"), t(T1), "ch", &cat())
        .unwrap();
    let other = other_catalog();
    assert_eq!(
        other.quote(&req("ai_background")).unwrap().credits,
        cat().quote(&req("ai_background")).unwrap().credits,
        "same price, different catalog"
    );
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.charge(&req("ai_background"), t(T1), "ch", &other)
    });
}

#[test]
fn same_charge_id_with_a_different_feature_or_tier_is_a_conflict() {
    let mut w = funded();
    w.charge(&req("agent.ppt"), t(T1), "ch", &cat()).unwrap();
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.charge(&req("agent.brand_creation"), t(T1), "ch", &cat())
    });
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.charge(&req("agent.ppt").tier(Tier::Premium), t(T1), "ch", &cat())
    });
}

#[test]
fn same_charge_id_with_different_video_seconds_is_a_conflict_even_in_the_same_block() {
    let mut w = funded();
    w.charge(
        &req("agent.video_generation").seconds(6.0),
        t(T1),
        "v",
        &cat(),
    )
    .unwrap();
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.charge(
            &req("agent.video_generation").seconds(7.0),
            t(T1),
            "v",
            &cat(),
        )
    });
    assert!(w
        .charge(
            &req("agent.video_generation").seconds(6.0),
            t(T1),
            "v",
            &cat()
        )
        .is_ok());
}

#[test]
fn the_id_check_comes_before_the_clock_check_so_a_late_replay_returns_the_first_result() {
    let mut w = funded();
    let first = w.charge(&req("agent.ppt"), t(T1), "ch", &cat()).unwrap();
    w.daily_login(t("2026-05-02T08:00:00Z"), c(1)).unwrap();
    let s = snap(&w);
    assert_eq!(
        w.charge(&req("agent.ppt"), t(T1), "ch", &cat()).unwrap(),
        first
    );
    assert_eq!(snap(&w), s);
    // A late call with a new id is a clock regression.
    fails_unchanged(&mut w, ErrorCode::ClockRegression, |w| {
        w.charge(&req("agent.ppt"), t(T1), "new", &cat())
    });
    // A late call with the same id and a different payload is a conflict, not a clock regression.
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.charge(&req("agent.ppt").units(2), t(T1), "ch", &cat())
    });
}

#[test]
fn late_replays_of_purchases_promotions_and_holds_return_the_first_result() {
    let mut w = funded();
    w.purchase("buy", t(T1), c(10)).unwrap();
    w.grant_promotion("p2", t(T1), c(10), t(UNTIL)).unwrap();
    let h = w
        .hold(&req("agent.ppt"), t(T1), "h", 60_000, &cat())
        .unwrap();
    w.daily_login(t("2026-05-03T08:00:00Z"), c(1)).unwrap();
    let s = snap(&w);
    w.purchase("buy", t(T1), c(10)).unwrap();
    w.grant_promotion("p2", t(T1), c(10), t(UNTIL)).unwrap();
    assert_eq!(
        w.hold(&req("agent.ppt"), t(T1), "h", 60_000, &cat())
            .unwrap(),
        h
    );
    assert_eq!(snap(&w), s);
}

#[test]
fn a_resent_purchase_never_double_credits() {
    let mut w = funded();
    for _ in 0..3 {
        w.purchase("order-42", t(T1), c(100)).unwrap();
    }
    let b = w.balance(t(T1)).unwrap();
    assert_eq!(b.kinds.purchased, 100);
    let purchase_grants = entries_of(&w, EntryType::Grant)
        .into_iter()
        .filter(|e| e.lot_id.as_deref() == Some("order-42"))
        .count();
    assert_eq!(purchase_grants, 1);
}

#[test]
fn same_purchase_id_with_different_credits_or_at_is_a_conflict() {
    let mut w = funded();
    w.purchase("order-42", t(T1), c(100)).unwrap();
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.purchase("order-42", t(T1), c(101))
    });
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.purchase("order-42", plus(t(T1), 1000), c(100))
    });
}

#[test]
fn a_repeated_promotion_returns_quietly_and_a_different_one_conflicts() {
    let mut w = funded();
    w.grant_promotion("spring", t(T1), c(20), t(UNTIL)).unwrap();
    let s = snap(&w);
    w.grant_promotion("spring", t(T1), c(20), t(UNTIL)).unwrap();
    assert_eq!(snap(&w), s);
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.grant_promotion("spring", t(T1), c(20), plus(t(UNTIL), 1))
    });
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.grant_promotion("spring", t(T1), c(21), t(UNTIL))
    });
}

#[test]
fn a_repeated_hold_returns_the_first_hold_and_a_different_ttl_conflicts() {
    let mut w = funded();
    let h = w
        .hold(&req("agent.ppt"), t(T1), "h", 60_000, &cat())
        .unwrap();
    let s = snap(&w);
    assert_eq!(
        w.hold(&req("agent.ppt"), t(T1), "h", 60_000, &cat())
            .unwrap(),
        h
    );
    assert_eq!(snap(&w), s);
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.hold(&req("agent.ppt"), t(T1), "h", 120_000, &cat())
    });
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.hold(&req("agent.ppt").units(2), t(T1), "h", 60_000, &cat())
    });
}

#[test]
fn ids_are_one_namespace_across_purchase_promotion_charge_and_hold() {
    let mut w = funded();
    w.purchase("x-buy", t(T1), c(10)).unwrap();
    w.grant_promotion("x-promo", t(T1), c(10), t(UNTIL))
        .unwrap();
    w.charge(&req("agent.ppt"), t(T1), "x-charge", &cat())
        .unwrap();
    w.hold(&req("agent.ppt"), t(T1), "x-hold", 60_000, &cat())
        .unwrap();
    let ids = ["x-buy", "x-promo", "x-charge", "x-hold"];
    for id in ids {
        if id != "x-buy" {
            fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
                w.purchase(id, t(T1), c(10))
            });
        }
        if id != "x-promo" {
            fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
                w.grant_promotion(id, t(T1), c(10), t(UNTIL))
            });
        }
        if id != "x-charge" {
            fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
                w.charge(&req("agent.ppt"), t(T1), id, &cat())
            });
        }
        if id != "x-hold" {
            fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
                w.hold(&req("agent.ppt"), t(T1), id, 60_000, &cat())
            });
        }
    }
}

#[test]
/// Engine lot ids (`kind@instant`) are reserved: a caller id of that form is refused before anything else.
fn a_caller_id_equal_to_an_engine_lot_id_is_a_bad_request() {
    let mut w = funded();
    let engine_id = w
        .balance(t(T0))
        .unwrap()
        .lots
        .iter()
        .find(|l| l.id.starts_with("membership@"))
        .unwrap()
        .id
        .clone();
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.purchase(&engine_id, t(T1), c(10))
    });
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.grant_promotion(&engine_id, t(T1), c(10), t(UNTIL))
    });
}

#[test]
fn a_failed_call_does_not_use_up_its_id() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p", t(T0), c(5), t(UNTIL)).unwrap();
    let r = req("agent.ppt");
    fails_unchanged(&mut w, ErrorCode::Insufficient, |w| {
        w.charge(&r, t(T1), "ch", &cat())
    });
    w.grant_promotion("p2", t(T1), c(100), t(UNTIL)).unwrap();
    let ch = w.charge(&r, t(T1), "ch", &cat()).unwrap();
    assert_eq!(ch.credits.get(), cost(&r));
}

#[test]
fn caller_ids_must_be_1_to_128_bytes_without_control_characters() {
    let mut w = funded();
    let long = "x".repeat(129);
    for id in ["", long.as_str(), "tab\there", "nl\n"] {
        fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
            w.charge(&req("agent.ppt"), t(T1), id, &cat())
        });
        fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
            w.grant_promotion(id, t(T1), c(1), t(UNTIL))
        });
    }
    let ok = "y".repeat(128);
    w.charge(&req("agent.ppt"), t(T1), &ok, &cat()).unwrap();
    w.charge(&req("agent.ppt"), t(T1), "ünïcödé id", &cat())
        .unwrap();
}
