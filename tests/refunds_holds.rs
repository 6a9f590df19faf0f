//! SPEC section 5 and the "returning credits" decisions of section 8: refunds of undelivered units go back to the
//! lots they came from, last-drawn first, never more than charged; holds reserve credits, capture keeps the
//! first-drawn credits and releases the rest, and an uncaptured hold releases itself at its expiry.

mod common;

use common::*;
use credit_engine::{EntryType, ErrorCode, Kind, UsageRequest, Wallet};

const ZONE: &str = "Asia/Shanghai";
const T0: &str = "2026-03-01T10:00:00Z";
const LATER: &str = "2026-12-31T00:00:00Z";
const FEATURE: &str = "agent.image_generation";

/// The general unit price of the feature the tests charge.
fn p() -> u64 {
    unit_price(FEATURE)
}

fn images(n: u64) -> UsageRequest {
    req(FEATURE).units(n)
}

/// Two promotions: "a" (p+1 credits, expires first) and "b" (5p credits). Four images draw a: p+1, b: 3p-1.
fn two_lots() -> Wallet {
    let mut w = wallet(ZONE);
    w.grant_promotion("a", t(T0), c(p() + 1), t("2026-06-01T00:00:00Z"))
        .unwrap();
    w.grant_promotion("b", t(T0), c(5 * p()), t(LATER)).unwrap();
    w
}

fn four_images_charged() -> Wallet {
    let mut w = two_lots();
    let ch = w.charge(&images(4), t(T0), "ch", &cat()).unwrap();
    assert_eq!(draws(&ch.draws), ds(&[("a", p() + 1), ("b", 3 * p() - 1)]));
    w
}

// ----- refunds -----

#[test]
fn refund_returns_credits_to_the_original_lots_last_drawn_first() {
    let mut w = four_images_charged();
    let at = t("2026-03-01T10:01:00Z");
    let r1 = w.refund("ch", 1, at, None).unwrap();
    assert_eq!(
        (r1.charge_id.as_str(), r1.units, r1.credits.get()),
        ("ch", 1, p())
    );
    assert_eq!(draws(&r1.draws), ds(&[("b", p())]));
    let r2 = w.refund("ch", 2, at, None).unwrap();
    assert_eq!(draws(&r2.draws), ds(&[("b", 2 * p() - 1), ("a", 1)]));
    let r3 = w.refund("ch", 1, at, None).unwrap();
    assert_eq!(draws(&r3.draws), ds(&[("a", p())]));
    assert_eq!(lot_credits(&w, "a", at), p() + 1);
    assert_eq!(lot_credits(&w, "b", at), 5 * p());
}

#[test]
fn refund_writes_a_positive_refund_entry_referring_to_the_charge() {
    let mut w = four_images_charged();
    let at = t("2026-03-01T10:01:00Z");
    w.refund("ch", 1, at, None).unwrap();
    let e = w.ledger().last().unwrap().clone();
    assert_eq!(e.entry_type, EntryType::Refund);
    assert_eq!(e.credits, p() as i64);
    assert_eq!(e.reference.as_deref(), Some("ch"));
    assert_eq!(e.feature.as_deref(), Some(FEATURE));
    assert_eq!(e.total, w.balance(at).unwrap().total);
}

#[test]
fn refund_never_exceeds_the_charge() {
    let mut w = four_images_charged();
    let at = t("2026-03-01T10:01:00Z");
    fails_unchanged(&mut w, ErrorCode::RefundExceeds, |w| {
        w.refund("ch", 5, at, None)
    });
    w.refund("ch", 3, at, None).unwrap();
    fails_unchanged(&mut w, ErrorCode::RefundExceeds, |w| {
        w.refund("ch", 2, at, None)
    });
    w.refund("ch", 1, at, None).unwrap();
    fails_unchanged(&mut w, ErrorCode::RefundExceeds, |w| {
        w.refund("ch", 1, at, None)
    });
}

#[test]
fn refund_of_zero_units_is_a_bad_request() {
    let mut w = four_images_charged();
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.refund("ch", 0, t(T0), None)
    });
}

#[test]
fn refund_of_an_unknown_id_is_not_found() {
    let mut w = four_images_charged();
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.refund("nope", 1, t(T0), None)
    });
}

#[test]
fn purchases_promotions_and_open_holds_are_not_refundable() {
    let mut w = member(ZONE, T0, LATER, 50, 0);
    w.purchase("buy", t(T0), c(10)).unwrap();
    w.grant_promotion("promo", t(T0), c(10), t(LATER)).unwrap();
    w.hold(&images(1), t(T0), "h", 60_000, &cat()).unwrap();
    for id in ["buy", "promo", "h"] {
        fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
            w.refund(id, 1, t(T0), None)
        });
    }
}

#[test]
fn refund_to_a_lot_that_expired_meanwhile_expires_at_once() {
    let mut w = wallet(ZONE);
    let expiry = t("2026-03-01T11:00:00Z");
    w.grant_promotion("short", t(T0), c(2 * p()), expiry)
        .unwrap();
    w.grant_promotion("long", t(T0), c(10 * p()), t(LATER))
        .unwrap();
    w.charge(&images(2), t(T0), "ch", &cat()).unwrap();
    let at = t("2026-03-01T12:00:00Z");
    let total_before = w.balance(at).unwrap().total;
    let r = w.refund("ch", 1, at, None).unwrap();
    assert_eq!(draws(&r.draws), ds(&[("short", p())]));
    assert_eq!(
        w.balance(at).unwrap().total,
        total_before,
        "expiry is never extended"
    );
    let tail: Vec<_> = w.ledger().iter().rev().take(2).rev().cloned().collect();
    assert_eq!(tail[0].entry_type, EntryType::Refund);
    assert_eq!(tail[0].credits, p() as i64);
    assert_eq!(tail[1].entry_type, EntryType::Expire);
    assert_eq!(tail[1].at, at);
    assert_eq!(tail[1].lot_id.as_deref(), Some("short"));
    assert_eq!(tail[1].credits, -(p() as i64));
    assert_eq!(tail[1].total, total_before);
}

#[test]
fn refund_to_a_frozen_lot_stays_frozen() {
    let mut w = member(ZONE, T0, "2026-03-02T00:00:00Z", 10, 0);
    let r = req("ai_extender").units(4);
    w.charge(&r, t(T0), "ch", &cat()).unwrap();
    let at = t("2026-03-05T00:00:00Z");
    let before = w.balance(at).unwrap();
    assert_eq!((before.total, before.frozen), (0, 10 - cost(&r)));
    let refund = w.refund("ch", 2, at, None).unwrap();
    let after = w.balance(at).unwrap();
    assert_eq!(after.total, 0);
    assert_eq!(after.frozen, before.frozen + refund.credits.get());
    assert!(after.lots.iter().all(|l| l.frozen));
}

#[test]
fn refund_with_an_id_replays_the_first_result_and_changes_nothing() {
    let mut w = four_images_charged();
    let at = t("2026-03-01T10:01:00Z");
    let first = w.refund("ch", 1, at, Some("r1")).unwrap();
    let s = snap(&w);
    let again = w.refund("ch", 1, at, Some("r1")).unwrap();
    assert_eq!(again, first);
    assert_eq!(snap(&w), s);
    // Even a late replay (after the clock moved on) returns the first result.
    w.daily_login(t("2026-03-02T10:00:00Z"), c(1)).unwrap();
    assert_eq!(w.refund("ch", 1, at, Some("r1")).unwrap(), first);
}

#[test]
fn refund_id_with_a_different_payload_is_a_conflict() {
    let mut w = four_images_charged();
    w.charge(&images(1), t(T0), "ch2", &cat()).unwrap();
    let at = t("2026-03-01T10:01:00Z");
    w.refund("ch", 1, at, Some("r1")).unwrap();
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.refund("ch", 2, at, Some("r1"))
    });
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.refund("ch", 1, plus(at, 1), Some("r1"))
    });
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.refund("ch2", 1, at, Some("r1"))
    });
    // A refund id may not reuse a charge's id either.
    fails_unchanged(&mut w, ErrorCode::IdempotencyConflict, |w| {
        w.refund("ch", 1, at, Some("ch2"))
    });
}

// ----- holds -----

#[test]
fn a_hold_reserves_credits_that_stop_counting_as_usable() {
    let mut w = two_lots();
    let total = w.balance(t(T0)).unwrap().total;
    let h = w.hold(&images(4), t(T0), "h", 600_000, &cat()).unwrap();
    assert_eq!((h.id.as_str(), h.units, h.credits.get()), ("h", 4, 4 * p()));
    assert_eq!(h.expires_at, t("2026-03-01T10:10:00Z"));
    assert_eq!(draws(&h.draws), ds(&[("a", p() + 1), ("b", 3 * p() - 1)]));
    let b = w.balance(t(T0)).unwrap();
    assert_eq!((b.total, b.held), (total - 4 * p(), 4 * p()));
    let last = w.ledger().last().unwrap();
    assert_eq!(last.entry_type, EntryType::Hold);
    assert_eq!(last.credits, -((4 * p()) as i64));
    assert_eq!(last.reference.as_deref(), Some("h"));
    // Held credits cannot pay for anything else.
    let e = err(w.charge(&images(3), t(T0), "ch", &cat()));
    assert_eq!(e.code, ErrorCode::Insufficient);
}

#[test]
fn a_hold_that_cannot_be_covered_is_insufficient_and_changes_nothing() {
    let mut w = two_lots();
    let e = fails_unchanged(&mut w, ErrorCode::Insufficient, |w| {
        w.hold(&images(100), t(T0), "h", 600_000, &cat())
    });
    assert_eq!(e.shortfall, Some(100 * p() - 6 * p() - 1));
}

#[test]
fn capture_keeps_the_first_drawn_credits_for_delivered_units_and_releases_the_rest() {
    let mut w = two_lots();
    w.hold(&images(4), t(T0), "h", 600_000, &cat()).unwrap();
    let at = t("2026-03-01T10:05:00Z");
    let ch = w.capture("h", 1, at).unwrap();
    assert_eq!(
        (ch.id.as_str(), ch.units, ch.credits.get(), ch.at),
        ("h", 1, p(), at)
    );
    assert_eq!(
        draws(&ch.draws),
        ds(&[("a", p())]),
        "capture returns the kept draws"
    );
    assert_eq!(lot_credits(&w, "a", at), 1);
    assert_eq!(lot_credits(&w, "b", at), 5 * p());
    let b = w.balance(at).unwrap();
    assert_eq!(b.held, 0);
    let tail: Vec<_> = w.ledger().iter().rev().take(2).rev().cloned().collect();
    assert_eq!(
        (tail[0].entry_type, tail[0].credits),
        (EntryType::Capture, 0)
    );
    assert_eq!(
        (tail[1].entry_type, tail[1].credits),
        (EntryType::Release, (3 * p()) as i64)
    );
    assert!(tail.iter().all(|e| e.reference.as_deref() == Some("h")));
}

#[test]
fn capturing_every_held_unit_releases_nothing() {
    let mut w = two_lots();
    w.hold(&images(2), t(T0), "h", 600_000, &cat()).unwrap();
    let ch = w.capture("h", 2, t(T0)).unwrap();
    assert_eq!(ch.credits.get(), 2 * p());
    assert!(entries_of(&w, EntryType::Release).is_empty());
}

#[test]
fn capture_of_zero_units_or_more_than_held_is_a_bad_request() {
    let mut w = two_lots();
    w.hold(&images(2), t(T0), "h", 600_000, &cat()).unwrap();
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| w.capture("h", 0, t(T0)));
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| w.capture("h", 3, t(T0)));
}

#[test]
fn capture_or_release_of_a_hold_that_is_not_open_is_not_found() {
    let mut w = two_lots();
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| w.capture("nope", 1, t(T0)));
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| w.release("nope", t(T0)));

    w.hold(&images(1), t(T0), "captured", 600_000, &cat())
        .unwrap();
    w.capture("captured", 1, t(T0)).unwrap();
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.capture("captured", 1, t(T0))
    });
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.release("captured", t(T0))
    });

    w.hold(&images(1), t(T0), "released", 600_000, &cat())
        .unwrap();
    w.release("released", t(T0)).unwrap();
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.capture("released", 1, t(T0))
    });
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.release("released", t(T0))
    });

    w.hold(&images(1), t(T0), "expired", 60_000, &cat())
        .unwrap();
    let later = t("2026-03-01T11:00:00Z");
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.capture("expired", 1, later)
    });
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| w.release("expired", later));

    w.charge(&images(1), later, "charge", &cat()).unwrap();
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.capture("charge", 1, later)
    });
    fails_unchanged(&mut w, ErrorCode::NotFound, |w| w.release("charge", later));
}

#[test]
fn release_returns_every_held_credit() {
    let mut w = two_lots();
    let before = w.balance(t(T0)).unwrap();
    w.hold(&images(4), t(T0), "h", 600_000, &cat()).unwrap();
    w.release("h", t("2026-03-01T10:01:00Z")).unwrap();
    let after = w.balance(t("2026-03-01T10:01:00Z")).unwrap();
    assert_eq!((after.total, after.held), (before.total, 0));
    assert_eq!(after.lots, before.lots);
    let last = w.ledger().last().unwrap();
    assert_eq!(last.entry_type, EntryType::Release);
    assert_eq!(last.credits, (4 * p()) as i64);
    assert_eq!(last.reference.as_deref(), Some("h"));
}

#[test]
fn an_uncaptured_hold_releases_itself_at_its_expiry() {
    let mut w = two_lots();
    let h = w.hold(&images(2), t(T0), "h", 60_000, &cat()).unwrap();
    let expiry = t("2026-03-01T10:01:00Z");
    assert_eq!(h.expires_at, expiry);
    assert_eq!(w.balance(plus(expiry, -1)).unwrap().held, 2 * p());
    let at_expiry = w.balance(expiry).unwrap();
    assert_eq!((at_expiry.held, at_expiry.total), (0, 6 * p() + 1));
    w.daily_login(t("2026-03-01T13:00:00Z"), c(1)).unwrap();
    let releases = entries_of(&w, EntryType::Release);
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].at, expiry, "recorded at the hold's expiry");
    assert_eq!(releases[0].credits, (2 * p()) as i64);
    assert_eq!(releases[0].reference.as_deref(), Some("h"));
}

#[test]
fn release_to_a_lot_that_expired_meanwhile_expires_at_once() {
    let mut w = wallet(ZONE);
    let lot_expiry = t("2026-03-01T10:30:00Z");
    w.grant_promotion("short", t(T0), c(2 * p()), lot_expiry)
        .unwrap();
    w.hold(&images(2), t(T0), "h", 3_600_000, &cat()).unwrap();
    let at = t("2026-03-01T10:45:00Z");
    w.release("h", at).unwrap();
    let tail: Vec<_> = w.ledger().iter().rev().take(2).rev().cloned().collect();
    assert_eq!(
        (tail[0].entry_type, tail[0].credits),
        (EntryType::Release, (2 * p()) as i64)
    );
    assert_eq!(
        (tail[1].entry_type, tail[1].credits, tail[1].at),
        (EntryType::Expire, -((2 * p()) as i64), at)
    );
    assert_eq!(w.balance(at).unwrap().total, 0);
}

#[test]
fn hold_ttl_must_be_positive_and_at_most_30_days() {
    let mut w = two_lots();
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.hold(&images(1), t(T0), "h", 0, &cat())
    });
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.hold(&images(1), t(T0), "h", 30 * DAY as u64 + 1000, &cat())
    });
    let h = w
        .hold(&images(1), t(T0), "h", 30 * DAY as u64, &cat())
        .unwrap();
    assert_eq!(h.expires_at, plus(t(T0), 30 * DAY));
}

#[test]
fn a_captured_hold_is_refundable_like_a_charge() {
    let mut w = two_lots();
    w.hold(&images(4), t(T0), "h", 600_000, &cat()).unwrap();
    w.capture("h", 3, t(T0)).unwrap();
    // Kept: a p+1, b 2p-1. A refund of one unit returns the last-drawn credits (from b).
    let r = w.refund("h", 1, t(T0), None).unwrap();
    assert_eq!(r.charge_id, "h");
    assert_eq!(draws(&r.draws), ds(&[("b", p())]));
    w.refund("h", 2, t(T0), None).unwrap();
    fails_unchanged(&mut w, ErrorCode::RefundExceeds, |w| {
        w.refund("h", 1, t(T0), None)
    });
    assert_eq!(lot_credits(&w, "a", t(T0)), p() + 1);
    assert_eq!(lot_credits(&w, "b", t(T0)), 5 * p());
}

#[test]
fn hold_draws_follow_the_consumption_order() {
    let mut w = member(ZONE, T0, LATER, 20, 0);
    w.daily_login(t(T0), c(1)).unwrap();
    let h = w.hold(&images(2), t(T0), "h", 600_000, &cat()).unwrap();
    assert_eq!(
        draw_kinds(&h.draws),
        vec![(Kind::DailyLogin, 1), (Kind::Membership, 2 * p() - 1)]
    );
    let preview = w.preview(&images(2), t(T0), &cat()).unwrap();
    assert_eq!(preview.balance_after.total, 20 + 1 - 4 * p());
}
