//! SPEC section 1 (validity of each kind) and section 8: daily-login credits until the next local midnight (one
//! grant per local calendar day), purchased credits for two calendar years, promotions until their own expiry,
//! exclusive expiry, and the `expire` ledger entries.

mod common;

use common::*;
use credit_engine::{EntryType, ErrorCode, Instant, Kind};

/// Logs in once at `at` in `zone` and returns the daily-login lot's expiry.
fn daily_expiry(zone: &str, at: &str) -> Instant {
    let mut w = wallet(zone);
    assert!(w.daily_login(t(at), c(5)).unwrap());
    let b = w.balance(t(at)).unwrap();
    assert_eq!(b.lots.len(), 1);
    let lot = &b.lots[0];
    assert_eq!(lot.kind, Kind::DailyLogin);
    assert_eq!(lot.id, engine_lot(Kind::DailyLogin, at));
    assert!(lot.agent_only);
    lot.expires_at.expect("daily login credits expire")
}

#[test]
fn daily_login_lasts_until_the_next_local_midnight_in_new_york() {
    // 11:00 EST on Jan 31 -> midnight EST = 05:00Z.
    assert_eq!(
        daily_expiry("America/New_York", "2026-01-31T16:00:00Z"),
        t("2026-02-01T05:00:00Z")
    );
}

#[test]
fn daily_login_lasts_until_the_next_local_midnight_in_new_york_even_after_utc_midnight() {
    // 22:00 EST on Jan 31 is already Feb 1 in UTC; the local day still ends at 05:00Z.
    assert_eq!(
        daily_expiry("America/New_York", "2026-02-01T03:00:00Z"),
        t("2026-02-01T05:00:00Z")
    );
}

#[test]
fn daily_login_lasts_until_the_next_local_midnight_in_berlin() {
    assert_eq!(
        daily_expiry("Europe/Berlin", "2026-01-31T10:00:00Z"),
        t("2026-01-31T23:00:00Z")
    );
    // Summer time: midnight CEST is 22:00Z.
    assert_eq!(
        daily_expiry("Europe/Berlin", "2026-07-01T10:00:00Z"),
        t("2026-07-01T22:00:00Z")
    );
}

#[test]
fn daily_login_lasts_until_the_next_local_midnight_in_sydney() {
    // 21:00 AEDT on Jan 31 -> midnight Feb 1 AEDT = 13:00Z Jan 31.
    assert_eq!(
        daily_expiry("Australia/Sydney", "2026-01-31T10:00:00Z"),
        t("2026-01-31T13:00:00Z")
    );
}

#[test]
fn daily_login_lasts_until_the_next_local_midnight_in_shanghai() {
    assert_eq!(
        daily_expiry("Asia/Shanghai", "2026-01-31T10:00:00Z"),
        t("2026-01-31T16:00:00Z")
    );
}

#[test]
fn daily_login_before_a_skipped_midnight_lasts_until_the_first_instant_after_the_gap() {
    // Sao Paulo, 2018-11-04: clocks went from 00:00 straight to 01:00 (-03 -> -02). Local midnight did not exist;
    // the day starts at 01:00 local = 03:00Z.
    assert_eq!(
        daily_expiry("America/Sao_Paulo", "2018-11-03T15:00:00Z"),
        t("2018-11-04T03:00:00Z")
    );
}

#[test]
fn expiry_is_exclusive_usable_one_millisecond_before_and_not_at_expires_at() {
    let mut w = wallet("Europe/Berlin");
    w.daily_login(t("2026-01-31T10:00:00Z"), c(5)).unwrap();
    let exp = t("2026-01-31T23:00:00Z");
    let just_before = plus(exp, -1);
    assert_eq!(w.balance(just_before).unwrap().kinds.daily_login, 5);
    assert_eq!(w.balance(exp).unwrap().kinds.daily_login, 0);
    assert_eq!(w.balance(exp).unwrap().total, 0);

    let r = req("agent.image_editing");
    let mut early = w.clone();
    let ch = early.charge(&r, just_before, "ch", &cat()).unwrap();
    assert_eq!(draw_kinds(&ch.draws), vec![(Kind::DailyLogin, cost(&r))]);
    let e = err(w.charge(&r, exp, "ch", &cat()));
    assert_eq!(e.code, ErrorCode::Insufficient);
    assert_eq!(e.shortfall, Some(cost(&r)));
}

#[test]
fn daily_login_is_granted_once_per_local_calendar_day() {
    let mut w = wallet("Europe/Berlin");
    assert!(w.daily_login(t("2026-01-31T10:00:00Z"), c(5)).unwrap());
    // 23:30 local, same local day.
    assert!(!w.daily_login(t("2026-01-31T22:30:00Z"), c(5)).unwrap());
    // 00:00 local on Feb 1: a new local day.
    assert!(w.daily_login(t("2026-01-31T23:00:00Z"), c(5)).unwrap());
    assert_eq!(entries_of(&w, EntryType::Grant).len(), 2);
}

#[test]
fn the_local_day_not_the_utc_day_decides_a_second_login() {
    let mut w = wallet("America/New_York");
    assert!(w.daily_login(t("2026-01-31T16:00:00Z"), c(5)).unwrap());
    // UTC moved to Feb 1 but it is Jan 31 22:00 in New York.
    assert!(!w.daily_login(t("2026-02-01T03:00:00Z"), c(5)).unwrap());
    assert!(w.daily_login(t("2026-02-01T05:00:00Z"), c(5)).unwrap());
}

#[test]
fn a_second_login_on_the_same_day_grants_nothing() {
    let mut w = wallet("Asia/Shanghai");
    w.daily_login(t("2026-01-31T01:00:00Z"), c(5)).unwrap();
    let ledger = w.ledger().to_vec();
    assert!(!w.daily_login(t("2026-01-31T02:00:00Z"), c(50)).unwrap());
    assert_eq!(w.ledger(), ledger.as_slice());
    assert_eq!(w.balance(t("2026-01-31T02:00:00Z")).unwrap().total, 5);
}

#[test]
fn a_refused_second_login_still_moves_the_wallet_clock() {
    let mut w = wallet("Europe/Berlin");
    assert!(w.daily_login(t("2026-01-31T10:00:00Z"), c(5)).unwrap());
    assert!(!w.daily_login(t("2026-01-31T12:00:00Z"), c(5)).unwrap());
    assert_eq!(w.clock(), Some(t("2026-01-31T12:00:00Z")));
    fails_unchanged(&mut w, ErrorCode::ClockRegression, |w| {
        w.grant_promotion(
            "p",
            t("2026-01-31T11:00:00Z"),
            c(1),
            t("2026-02-05T00:00:00Z"),
        )
    });
}

#[test]
fn yesterdays_daily_login_credits_do_not_carry_over() {
    let mut w = wallet("Europe/Berlin");
    w.daily_login(t("2026-01-31T10:00:00Z"), c(5)).unwrap();
    w.daily_login(t("2026-02-01T10:00:00Z"), c(5)).unwrap();
    let b = w.balance(t("2026-02-01T10:00:00Z")).unwrap();
    assert_eq!(b.kinds.daily_login, 5);
    let expired = entries_of(&w, EntryType::Expire);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].at, t("2026-01-31T23:00:00Z"));
    assert_eq!(expired[0].credits, -5);
}

#[test]
fn daily_login_of_zero_credits_is_a_bad_request() {
    let mut w = wallet("Europe/Berlin");
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.daily_login(t("2026-01-31T10:00:00Z"), c(0))
    });
}

// ----- purchased: two calendar years on the local calendar -----

fn purchased_expiry(zone: &str, member_from: &str, at: &str) -> Instant {
    let mut w = member(zone, member_from, "2033-01-01T00:00:00Z", 10, 0);
    w.purchase("buy", t(at), c(100)).unwrap();
    let b = w.balance(t(at)).unwrap();
    let lot = b
        .lots
        .iter()
        .find(|l| l.id == "buy")
        .expect("purchased lot");
    assert_eq!(lot.kind, Kind::Purchased);
    lot.expires_at.expect("purchased credits expire")
}

#[test]
fn purchased_credits_last_two_calendar_years() {
    assert_eq!(
        purchased_expiry(
            "Europe/Berlin",
            "2026-01-01T00:00:00Z",
            "2026-07-01T12:00:00Z"
        ),
        t("2028-07-01T12:00:00Z")
    );
    // Local 22:00 on Dec 31 (UTC Jan 1) -> local 22:00 on Dec 31 two years later.
    assert_eq!(
        purchased_expiry(
            "America/New_York",
            "2025-12-01T00:00:00Z",
            "2026-01-01T03:00:00Z"
        ),
        t("2028-01-01T03:00:00Z")
    );
}

#[test]
fn purchased_on_february_29_expires_on_february_28_two_years_later() {
    assert_eq!(
        purchased_expiry(
            "Europe/Berlin",
            "2028-02-01T00:00:00Z",
            "2028-02-29T12:00:00Z"
        ),
        t("2030-02-28T12:00:00Z")
    );
}

#[test]
fn purchased_two_years_are_counted_on_the_local_calendar_not_utc() {
    // 2028-02-28T14:00Z is Feb 29 01:00 in Sydney (AEDT): expiry is Feb 28 2030 01:00 local = Feb 27 14:00Z.
    assert_eq!(
        purchased_expiry(
            "Australia/Sydney",
            "2028-02-01T00:00:00Z",
            "2028-02-28T14:00:00Z"
        ),
        t("2030-02-27T14:00:00Z")
    );
}

#[test]
fn purchased_credits_are_usable_until_just_before_their_expiry() {
    let mut w = member(
        "Europe/Berlin",
        "2026-01-01T00:00:00Z",
        "2033-01-01T00:00:00Z",
        0,
        0,
    );
    w.purchase("buy", t("2026-07-01T12:00:00Z"), c(100))
        .unwrap();
    let exp = t("2028-07-01T12:00:00Z");
    assert_eq!(w.balance(plus(exp, -1)).unwrap().kinds.purchased, 100);
    assert_eq!(w.balance(exp).unwrap().kinds.purchased, 0);
}

// ----- promotions -----

#[test]
fn promotion_credits_last_until_the_promotions_expires_at() {
    let mut w = wallet("Europe/Berlin");
    let exp = t("2026-02-14T12:34:56.789Z");
    w.grant_promotion("valentine", t("2026-02-01T00:00:00Z"), c(8), exp)
        .unwrap();
    let b = w.balance(t("2026-02-01T00:00:00Z")).unwrap();
    assert_eq!(b.lots[0].id, "valentine");
    assert_eq!(b.lots[0].kind, Kind::Promotion);
    assert_eq!(b.lots[0].expires_at, Some(exp));
    assert_eq!(w.balance(plus(exp, -1)).unwrap().kinds.promotion, 8);
    assert_eq!(w.balance(exp).unwrap().kinds.promotion, 0);
}

#[test]
fn promotion_expiring_at_or_before_its_grant_is_a_bad_request() {
    let mut w = wallet("Europe/Berlin");
    let at = t("2026-02-01T00:00:00Z");
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.grant_promotion("p", at, c(8), at)
    });
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.grant_promotion("p", at, c(8), plus(at, -1))
    });
    // The id was not used up by the failures.
    w.grant_promotion("p", at, c(8), plus(at, 1)).unwrap();
}

#[test]
fn membership_credits_never_expire_while_membership_is_active() {
    let w = member(
        "Europe/Berlin",
        "2026-01-01T00:00:00Z",
        "2030-01-01T00:00:00Z",
        10,
        0,
    );
    let b = w.balance(t("2029-12-31T00:00:00Z")).unwrap();
    let first = b
        .lots
        .iter()
        .find(|l| l.id == engine_lot(Kind::Membership, "2026-01-01T00:00:00Z"))
        .expect("first month's lot is still there");
    assert_eq!(first.expires_at, None);
    assert_eq!(first.credits, 10);
}

// ----- the ledger of expiries -----

#[test]
fn expiry_writes_an_expire_entry_at_the_expiry_instant_for_the_credits_left() {
    let mut w = wallet("Europe/Berlin");
    let exp = t("2026-02-10T00:00:00Z");
    w.grant_promotion("p", t("2026-02-01T00:00:00Z"), c(5), exp)
        .unwrap();
    w.grant_promotion(
        "q",
        t("2026-02-01T00:00:00Z"),
        c(7),
        t("2026-03-01T00:00:00Z"),
    )
    .unwrap();
    w.charge(
        &req("agent.image_editing").units(2),
        t("2026-02-02T00:00:00Z"),
        "ch",
        &cat(),
    )
    .unwrap();
    // Nothing is written until a later mutation observes the expiry.
    assert!(entries_of(&w, EntryType::Expire).is_empty());
    w.daily_login(t("2026-02-20T10:00:00Z"), c(1)).unwrap();
    let expired = entries_of(&w, EntryType::Expire);
    assert_eq!(expired.len(), 1);
    let e = &expired[0];
    assert_eq!(e.at, exp, "recorded when due, not at the observing call");
    assert_eq!(e.kind, Some(Kind::Promotion));
    assert_eq!(e.lot_id.as_deref(), Some("p"));
    assert_eq!(e.credits, -3);
    assert_eq!(e.total, 7);
}

#[test]
fn a_lot_spent_to_zero_expires_without_a_ledger_entry() {
    let mut w = wallet("Europe/Berlin");
    w.grant_promotion(
        "p",
        t("2026-02-01T00:00:00Z"),
        c(1),
        t("2026-02-02T00:00:00Z"),
    )
    .unwrap();
    w.charge(
        &req("agent.image_editing"),
        t("2026-02-01T01:00:00Z"),
        "ch",
        &cat(),
    )
    .unwrap();
    w.daily_login(t("2026-02-05T10:00:00Z"), c(1)).unwrap();
    assert!(entries_of(&w, EntryType::Expire).is_empty());
}

#[test]
fn reads_see_an_expiry_without_writing_it() {
    let mut w = wallet("Europe/Berlin");
    w.grant_promotion(
        "p",
        t("2026-02-01T00:00:00Z"),
        c(5),
        t("2026-02-02T00:00:00Z"),
    )
    .unwrap();
    let before = snap(&w);
    assert_eq!(w.balance(t("2026-02-03T00:00:00Z")).unwrap().total, 0);
    assert_eq!(snap(&w), before);
    assert_eq!(w.balance(t("2026-02-01T00:00:00Z")).unwrap().total, 5);
}
