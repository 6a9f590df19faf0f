//! SPEC section 2 and the membership decisions of section 8: trials, activation and monthly distributions,
//! renewal, lapse (freezing membership and purchased credits), reactivation, membership_agent credits, members-only
//! purchases and the profile-picture display rule. Most tests run in Asia/Shanghai (no DST) so anniversaries keep
//! their UTC time; DST-correct anniversaries are in `tests/calendar.rs`.

mod common;

use common::*;
use credit_engine::{EntryType, ErrorCode, Kind, Wallet};

const ZONE: &str = "Asia/Shanghai";
const JAN15: &str = "2026-01-15T10:00:00Z";
const FEB15: &str = "2026-02-15T10:00:00Z";
const MAR15: &str = "2026-03-15T10:00:00Z";
const APR15: &str = "2026-04-15T10:00:00Z";

fn grant_ats(w: &Wallet, kind: Kind) -> Vec<credit_engine::Instant> {
    entries_of(w, EntryType::Grant)
        .into_iter()
        .filter(|e| e.kind == Some(kind))
        .map(|e| e.at)
        .collect()
}

// ----- trial -----

#[test]
fn trial_grants_its_credits_at_once_expiring_at_the_trial_end() {
    let mut w = wallet(ZONE);
    w.start_trial(t(JAN15), t("2026-01-22T10:00:00Z"), c(30))
        .unwrap();
    let b = w.balance(t(JAN15)).unwrap();
    assert_eq!((b.total, b.regular, b.kinds.trial), (30, 30, 30));
    assert_eq!(b.lots.len(), 1);
    assert_eq!(b.lots[0].id, engine_lot(Kind::Trial, JAN15));
    assert_eq!(b.lots[0].expires_at, Some(t("2026-01-22T10:00:00Z")));
    assert!(!b.lots[0].agent_only);
    let grants = entries_of(&w, EntryType::Grant);
    assert_eq!(grants.len(), 1);
    assert_eq!((grants[0].kind, grants[0].credits), (Some(Kind::Trial), 30));
}

#[test]
fn trial_credits_expire_at_the_trial_end() {
    let mut w = wallet(ZONE);
    let until = t("2026-01-22T10:00:00Z");
    w.start_trial(t(JAN15), until, c(30)).unwrap();
    assert_eq!(w.balance(plus(until, -1)).unwrap().kinds.trial, 30);
    assert_eq!(w.balance(until).unwrap().kinds.trial, 0);
}

#[test]
fn trial_ending_at_or_before_its_start_is_a_bad_request() {
    let mut w = wallet(ZONE);
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.start_trial(t(JAN15), t(JAN15), c(30))
    });
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.start_trial(t(JAN15), t("2026-01-01T00:00:00Z"), c(30))
    });
}

#[test]
fn a_trial_counts_as_membership_for_purchases() {
    let mut w = wallet(ZONE);
    w.start_trial(t(JAN15), t("2026-01-22T10:00:00Z"), c(30))
        .unwrap();
    w.purchase("buy", t("2026-01-16T10:00:00Z"), c(40)).unwrap();
    assert_eq!(
        w.balance(t("2026-01-16T10:00:00Z"))
            .unwrap()
            .kinds
            .purchased,
        40
    );
}

#[test]
fn a_trial_that_ends_without_activation_freezes_purchased_credits_bought_during_it() {
    let mut w = wallet(ZONE);
    let until = t("2026-01-22T10:00:00Z");
    w.start_trial(t(JAN15), until, c(30)).unwrap();
    w.purchase("buy", t("2026-01-16T10:00:00Z"), c(40)).unwrap();
    let b = w.balance(until).unwrap();
    assert_eq!((b.frozen, b.kinds.purchased, b.total), (40, 0, 0));
    assert!(b.lots.iter().any(|l| l.id == "buy" && l.frozen));
    w.daily_login(t("2026-02-01T10:00:00Z"), c(1)).unwrap();
    let freezes = entries_of(&w, EntryType::Freeze);
    assert_eq!(freezes.len(), 1);
    assert_eq!(freezes[0].at, until);
    assert_eq!(freezes[0].lot_id.as_deref(), Some("buy"));
    assert_eq!(freezes[0].credits, 40);
    // A lapsed trial is no membership: buying is members-only again.
    fails_unchanged(&mut w, ErrorCode::MembersOnly, |w| {
        w.purchase("buy2", t("2026-02-01T10:00:00Z"), c(1))
    });
}

#[test]
fn activating_after_a_lapsed_trial_unfreezes_what_the_lapse_froze() {
    let mut w = wallet(ZONE);
    w.start_trial(t(JAN15), t("2026-01-22T10:00:00Z"), c(30))
        .unwrap();
    w.purchase("buy", t("2026-01-16T10:00:00Z"), c(40)).unwrap();
    let at = "2026-02-01T10:00:00Z";
    w.activate_membership(t(at), t("2027-02-01T10:00:00Z"), c(100), c(0))
        .unwrap();
    let unfreezes = entries_of(&w, EntryType::Unfreeze);
    assert_eq!(unfreezes.len(), 1);
    assert_eq!((unfreezes[0].at, unfreezes[0].credits), (t(at), 40));
    let b = w.balance(t(at)).unwrap();
    assert_eq!(
        (
            b.kinds.purchased,
            b.kinds.membership,
            b.kinds.trial,
            b.frozen
        ),
        (40, 100, 0, 0)
    );
}

#[test]
fn a_second_trial_is_a_bad_request() {
    let mut w = wallet(ZONE);
    w.start_trial(t(JAN15), t("2026-01-22T10:00:00Z"), c(30))
        .unwrap();
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.start_trial(t("2026-01-16T10:00:00Z"), t("2026-01-30T10:00:00Z"), c(30))
    });
    // Also after the first one ended.
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.start_trial(t("2026-03-01T10:00:00Z"), t("2026-03-08T10:00:00Z"), c(30))
    });
}

#[test]
fn a_trial_after_any_membership_is_a_bad_request() {
    let mut w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 10, 0);
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.start_trial(t("2026-01-20T10:00:00Z"), t("2026-01-27T10:00:00Z"), c(30))
    });
    // Still refused after that membership lapsed.
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.start_trial(t("2026-03-01T10:00:00Z"), t("2026-03-08T10:00:00Z"), c(30))
    });
}

#[test]
fn converting_a_trial_keeps_the_trial_lots_expiry() {
    let mut w = wallet(ZONE);
    let trial_end = t("2026-01-22T10:00:00Z");
    w.start_trial(t(JAN15), trial_end, c(30)).unwrap();
    w.purchase("buy", t("2026-01-16T10:00:00Z"), c(40)).unwrap();
    w.activate_membership(
        t("2026-01-17T10:00:00Z"),
        t("2027-01-17T10:00:00Z"),
        c(100),
        c(0),
    )
    .unwrap();
    let b = w.balance(t("2026-01-17T10:00:00Z")).unwrap();
    let trial = b.lots.iter().find(|l| l.kind == Kind::Trial).unwrap();
    assert_eq!(trial.expires_at, Some(trial_end));
    // At the old trial end only the trial lot goes; nothing freezes (the membership is active).
    let b = w.balance(trial_end).unwrap();
    assert_eq!(b.kinds.trial, 0);
    assert_eq!(
        (b.frozen, b.kinds.purchased, b.kinds.membership),
        (0, 40, 100)
    );
}

#[test]
fn converting_a_trial_distributes_the_first_month_at_activation() {
    let mut w = wallet(ZONE);
    w.start_trial(t(JAN15), t("2026-01-22T10:00:00Z"), c(30))
        .unwrap();
    let at = "2026-01-17T10:00:00Z";
    w.activate_membership(t(at), t("2027-01-17T10:00:00Z"), c(100), c(50))
        .unwrap();
    assert_eq!(grant_ats(&w, Kind::Membership), vec![t(at)]);
    assert_eq!(grant_ats(&w, Kind::MembershipAgent), vec![t(at)]);
    let b = w.balance(t(at)).unwrap();
    let agent_lot = b
        .lots
        .iter()
        .find(|l| l.id == engine_lot(Kind::MembershipAgent, at))
        .unwrap();
    assert_eq!(agent_lot.expires_at, Some(t("2026-02-17T10:00:00Z")));
}

// ----- activation and distributions -----

#[test]
fn activation_distributes_the_first_month_at_at() {
    let w = member(ZONE, JAN15, "2027-01-15T10:00:00Z", 100, 50);
    let b = w.balance(t(JAN15)).unwrap();
    assert_eq!((b.kinds.membership, b.kinds.membership_agent), (100, 50));
    assert_eq!((b.regular, b.agent, b.total), (100, 50, 150));
    let m = b
        .lots
        .iter()
        .find(|l| l.id == engine_lot(Kind::Membership, JAN15))
        .unwrap();
    assert_eq!(m.expires_at, None, "membership credits carry over");
    let a = b
        .lots
        .iter()
        .find(|l| l.id == engine_lot(Kind::MembershipAgent, JAN15))
        .unwrap();
    assert_eq!(a.expires_at, Some(t(FEB15)), "agent part lasts one month");
}

#[test]
fn activation_ending_at_or_before_at_is_a_bad_request() {
    let mut w = wallet(ZONE);
    fails_unchanged(&mut w, ErrorCode::BadRequest, |w| {
        w.activate_membership(t(JAN15), t(JAN15), c(1), c(1))
    });
}

#[test]
fn membership_distributes_on_each_monthly_anniversary_while_before_until() {
    let mut w = member(ZONE, JAN15, "2026-04-20T00:00:00Z", 100, 0);
    w.daily_login(t("2026-06-01T10:00:00Z"), c(1)).unwrap();
    assert_eq!(
        grant_ats(&w, Kind::Membership),
        vec![t(JAN15), t(FEB15), t(MAR15), t(APR15)]
    );
}

#[test]
fn membership_credits_carry_over_from_month_to_month() {
    let w = member(ZONE, JAN15, "2027-01-15T10:00:00Z", 100, 0);
    assert_eq!(w.balance(t(MAR15)).unwrap().kinds.membership, 300);
}

#[test]
fn no_distribution_on_an_anniversary_equal_to_until() {
    let mut w = member(ZONE, JAN15, APR15, 100, 0);
    w.daily_login(t("2026-06-01T10:00:00Z"), c(1)).unwrap();
    assert_eq!(
        grant_ats(&w, Kind::Membership),
        vec![t(JAN15), t(FEB15), t(MAR15)]
    );
    let freezes = entries_of(&w, EntryType::Freeze);
    assert!(freezes.iter().all(|e| e.at == t(APR15)));
    assert_eq!(freezes.iter().map(|e| e.credits).sum::<i64>(), 300);
}

#[test]
fn renewal_replaces_until_and_amounts_without_distributing() {
    let mut w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 100, 50);
    let ledger_before = w.ledger().len();
    w.activate_membership(
        t("2026-01-20T10:00:00Z"),
        t("2026-06-01T00:00:00Z"),
        c(200),
        c(0),
    )
    .unwrap();
    assert_eq!(
        w.ledger().len(),
        ledger_before,
        "renewal distributes nothing"
    );
    w.daily_login(t("2026-03-20T10:00:00Z"), c(1)).unwrap();
    // The anchor stays Jan 15; the new amounts apply from the next anniversary; no lapse on Feb 1.
    assert_eq!(
        grant_ats(&w, Kind::Membership),
        vec![t(JAN15), t(FEB15), t(MAR15)]
    );
    assert_eq!(grant_ats(&w, Kind::MembershipAgent), vec![t(JAN15)]);
    assert!(entries_of(&w, EntryType::Freeze).is_empty());
    let b = w.balance(t("2026-03-20T10:00:00Z")).unwrap();
    assert_eq!(b.kinds.membership, 100 + 200 + 200);
}

#[test]
fn monthly_amounts_may_be_zero_and_then_no_lot_is_made() {
    let w = member(ZONE, JAN15, "2027-01-15T10:00:00Z", 0, 30);
    assert!(grant_ats(&w, Kind::Membership).is_empty());
    assert_eq!(grant_ats(&w, Kind::MembershipAgent), vec![t(JAN15)]);
    let b = w.balance(t(JAN15)).unwrap();
    assert_eq!(b.lots.len(), 1);

    let w = member(ZONE, JAN15, "2027-01-15T10:00:00Z", 100, 0);
    assert!(grant_ats(&w, Kind::MembershipAgent).is_empty());
    assert_eq!(w.balance(t(JAN15)).unwrap().lots.len(), 1);

    let mut w = member(ZONE, JAN15, "2027-01-15T10:00:00Z", 0, 0);
    assert!(w.ledger().is_empty());
    // Still a membership: members may buy.
    w.purchase("buy", t(JAN15), c(5)).unwrap();
}

// ----- lapse -----

#[test]
fn lapse_at_until_freezes_membership_and_purchased_credits() {
    let until = t("2026-03-01T00:00:00Z");
    let mut w = member(ZONE, JAN15, "2026-03-01T00:00:00Z", 100, 50);
    w.purchase("buy", t("2026-01-20T10:00:00Z"), c(40)).unwrap();
    let before = w.balance(plus(until, -1)).unwrap();
    assert_eq!((before.regular, before.frozen), (240, 0));
    let b = w.balance(until).unwrap();
    assert_eq!(b.frozen, 240);
    assert_eq!(
        (b.regular, b.kinds.membership, b.kinds.purchased),
        (0, 0, 0)
    );
    assert!(b
        .lots
        .iter()
        .filter(|l| matches!(l.kind, Kind::Membership | Kind::Purchased))
        .all(|l| l.frozen));
    // The agent part distributed on Feb 15 is untouched and runs until Mar 15.
    assert_eq!(b.kinds.membership_agent, 50);
}

#[test]
fn lapse_is_recorded_in_the_ledger_at_until_not_at_the_observing_call() {
    let until = t("2026-03-01T00:00:00Z");
    let mut w = member(ZONE, JAN15, "2026-03-01T00:00:00Z", 100, 0);
    w.purchase("buy", t("2026-01-20T10:00:00Z"), c(40)).unwrap();
    w.daily_login(t("2026-04-10T10:00:00Z"), c(1)).unwrap();
    let freezes = entries_of(&w, EntryType::Freeze);
    assert_eq!(freezes.len(), 3, "one entry per lot with credits");
    assert!(freezes.iter().all(|e| e.at == until));
    let mut frozen: Vec<(Option<Kind>, i64)> =
        freezes.iter().map(|e| (e.kind, e.credits)).collect();
    frozen.sort();
    assert_eq!(
        frozen,
        vec![
            (Some(Kind::Membership), 100),
            (Some(Kind::Membership), 100),
            (Some(Kind::Purchased), 40)
        ]
    );
    // Reads never record anything.
    let len = w.ledger().len();
    w.balance(t("2027-01-01T00:00:00Z")).unwrap();
    assert_eq!(w.ledger().len(), len);
}

#[test]
fn agent_kinds_are_untouched_by_a_lapse() {
    let mut w = member(ZONE, JAN15, "2026-01-20T00:00:00Z", 10, 20);
    w.daily_login(t("2026-01-19T20:00:00Z"), c(3)).unwrap();
    w.grant_promotion(
        "p",
        t("2026-01-19T20:00:00Z"),
        c(4),
        t("2026-02-01T00:00:00Z"),
    )
    .unwrap();
    let b = w.balance(t("2026-01-20T00:00:00Z")).unwrap();
    assert_eq!(
        (
            b.kinds.daily_login,
            b.kinds.promotion,
            b.kinds.membership_agent
        ),
        (3, 4, 20)
    );
    assert_eq!(b.frozen, 10);
    assert!(b.lots.iter().filter(|l| l.agent_only).all(|l| !l.frozen));
}

#[test]
fn purchase_after_a_lapse_is_members_only() {
    let mut w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 10, 0);
    fails_unchanged(&mut w, ErrorCode::MembersOnly, |w| {
        w.purchase("buy", t("2026-02-02T00:00:00Z"), c(10))
    });
}

#[test]
fn purchase_without_membership_is_members_only() {
    let mut w = wallet(ZONE);
    w.daily_login(t(JAN15), c(5)).unwrap();
    let e = fails_unchanged(&mut w, ErrorCode::MembersOnly, |w| {
        w.purchase("buy", t(JAN15), c(10))
    });
    assert!(e.message.contains("membership"), "{}", e.message);
    // The id is still free once a membership exists.
    w.activate_membership(t(JAN15), t(APR15), c(0), c(0))
        .unwrap();
    w.purchase("buy", t(JAN15), c(10)).unwrap();
}

// ----- reactivation -----

#[test]
fn reactivation_unfreezes_with_unfreeze_entries_and_distributes_at_at() {
    let mut w = member(ZONE, JAN15, "2026-03-01T00:00:00Z", 100, 0);
    w.purchase("buy", t("2026-01-20T10:00:00Z"), c(40)).unwrap();
    let again = "2026-04-10T10:00:00Z";
    w.activate_membership(t(again), t("2027-04-10T10:00:00Z"), c(100), c(0))
        .unwrap();
    let unfreezes = entries_of(&w, EntryType::Unfreeze);
    assert_eq!(unfreezes.len(), 3);
    assert!(unfreezes.iter().all(|e| e.at == t(again)));
    assert_eq!(unfreezes.iter().map(|e| e.credits).sum::<i64>(), 240);
    let b = w.balance(t(again)).unwrap();
    assert_eq!((b.frozen, b.regular), (0, 240 + 100));
    assert_eq!(grant_ats(&w, Kind::Membership).last(), Some(&t(again)));
}

#[test]
fn reactivation_restarts_the_anchor() {
    let mut w = member(ZONE, JAN15, "2026-03-01T00:00:00Z", 100, 0);
    let again = "2026-04-10T10:00:00Z";
    w.activate_membership(t(again), t("2027-04-10T10:00:00Z"), c(100), c(0))
        .unwrap();
    w.daily_login(t("2026-06-20T10:00:00Z"), c(1)).unwrap();
    assert_eq!(
        grant_ats(&w, Kind::Membership),
        vec![
            t(JAN15),
            t(FEB15),
            t(again),
            t("2026-05-10T10:00:00Z"),
            t("2026-06-10T10:00:00Z")
        ]
    );
}

#[test]
fn a_frozen_purchased_lot_keeps_its_two_year_clock_and_expires_while_frozen() {
    let mut w = member(ZONE, JAN15, "2026-03-01T00:00:00Z", 0, 0);
    w.purchase("buy", t("2026-01-20T10:00:00Z"), c(40)).unwrap();
    let expiry = t("2028-01-20T10:00:00Z");
    // Reactivated after the purchase's two years ran out: nothing comes back.
    w.activate_membership(
        t("2028-02-01T00:00:00Z"),
        t("2029-02-01T00:00:00Z"),
        c(0),
        c(0),
    )
    .unwrap();
    let expired = entries_of(&w, EntryType::Expire);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].at, expiry);
    assert_eq!(expired[0].lot_id.as_deref(), Some("buy"));
    assert_eq!(expired[0].credits, -40);
    assert!(entries_of(&w, EntryType::Unfreeze).is_empty());
    let b = w.balance(t("2028-02-01T00:00:00Z")).unwrap();
    assert_eq!((b.kinds.purchased, b.frozen), (0, 0));
}

#[test]
fn a_purchased_lot_thawed_by_reactivation_keeps_its_original_expiry() {
    let mut w = member(ZONE, JAN15, "2026-03-01T00:00:00Z", 0, 0);
    w.purchase("buy", t("2026-01-20T10:00:00Z"), c(40)).unwrap();
    w.activate_membership(
        t("2027-06-01T00:00:00Z"),
        t("2029-06-01T00:00:00Z"),
        c(0),
        c(0),
    )
    .unwrap();
    let expiry = t("2028-01-20T10:00:00Z");
    assert_eq!(w.balance(plus(expiry, -1)).unwrap().kinds.purchased, 40);
    assert_eq!(w.balance(expiry).unwrap().kinds.purchased, 0);
}

// ----- membership_agent -----

#[test]
fn membership_agent_credits_last_one_month_without_carry_over() {
    let mut w = member(ZONE, JAN15, "2027-01-15T10:00:00Z", 0, 50);
    w.charge(
        &req("agent.image_editing").units(10),
        t("2026-01-20T10:00:00Z"),
        "ch",
        &cat(),
    )
    .unwrap();
    assert_eq!(
        w.balance(plus(t(FEB15), -1))
            .unwrap()
            .kinds
            .membership_agent,
        40
    );
    assert_eq!(w.balance(t(FEB15)).unwrap().kinds.membership_agent, 50);
    w.daily_login(t("2026-02-16T10:00:00Z"), c(1)).unwrap();
    let expired = entries_of(&w, EntryType::Expire);
    assert_eq!(expired.len(), 1);
    assert_eq!((expired[0].at, expired[0].credits), (t(FEB15), -40));
}

#[test]
fn the_last_membership_agent_lot_lasts_one_month_after_its_distribution_without_a_following_one() {
    let w = member(ZONE, JAN15, "2026-01-25T00:00:00Z", 10, 50);
    let after_lapse = w.balance(t("2026-02-01T00:00:00Z")).unwrap();
    assert_eq!(after_lapse.kinds.membership_agent, 50);
    assert_eq!(after_lapse.frozen, 10);
    assert_eq!(
        w.balance(plus(t(FEB15), -1))
            .unwrap()
            .kinds
            .membership_agent,
        50
    );
    assert_eq!(w.balance(t(FEB15)).unwrap().kinds.membership_agent, 0);
}

// ----- display rule -----

#[test]
fn display_is_false_with_no_credits_and_no_membership() {
    let w = wallet(ZONE);
    assert!(!w.balance(t(JAN15)).unwrap().display);
}

#[test]
fn display_counts_a_trial_even_with_no_credits_left() {
    let mut w = wallet(ZONE);
    w.start_trial(t(JAN15), t("2026-01-22T10:00:00Z"), c(1))
        .unwrap();
    w.charge(&req("ai_extender"), t(JAN15), "ch", &cat())
        .unwrap();
    let b = w.balance(t(JAN15)).unwrap();
    assert_eq!(b.total, 0);
    assert!(b.display);
}

#[test]
fn display_counts_an_active_membership_with_no_credits() {
    let w = member(ZONE, JAN15, APR15, 0, 0);
    let b = w.balance(t(FEB15)).unwrap();
    assert_eq!(b.total, 0);
    assert!(b.display);
}

#[test]
fn display_counts_frozen_credits() {
    let w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 10, 0);
    let b = w.balance(t("2026-02-02T00:00:00Z")).unwrap();
    assert_eq!((b.total, b.frozen), (0, 10));
    assert!(b.display);
}

#[test]
fn display_counts_held_credits() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p", t(JAN15), c(2), t(APR15)).unwrap();
    w.hold(
        &req("agent.image_generation"),
        t(JAN15),
        "h",
        600_000,
        &cat(),
    )
    .unwrap();
    let b = w.balance(t(JAN15)).unwrap();
    assert_eq!((b.total, b.held), (0, 2));
    assert!(b.display);
}

#[test]
fn display_turns_false_once_a_lapsed_wallet_has_nothing_left() {
    let w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 0, 0);
    assert!(w.balance(t(JAN15)).unwrap().display);
    assert!(!w.balance(t("2026-02-01T00:00:00Z")).unwrap().display);
}
