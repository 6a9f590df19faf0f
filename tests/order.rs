//! SPEC section 4: the consumption order (agent-only lots first for agent features, regular only for the others;
//! soonest expiry first, never-expiring last, then earlier grant, then lot id), all-or-nothing charges, and
//! previews that agree with charges and report insufficiency instead of failing.

mod common;

use common::*;
use credit_engine::{ErrorCode, Kind, UsageRequest, Wallet};

const ZONE: &str = "Europe/Berlin";
const T0: &str = "2026-01-10T09:00:00Z";
const YEAR_LATER: &str = "2027-01-10T09:00:00Z";

/// A request for `n` credits' worth of a per-unit agent feature (price 1 per unit in the default catalog).
fn agent_units(n: u64) -> UsageRequest {
    let r = req("agent.image_editing").units(n);
    assert_eq!(cost(&r), n * unit_price("agent.image_editing"));
    r
}

/// A request for a per-unit regular feature.
fn regular_units(n: u64) -> UsageRequest {
    req("ai_extender").units(n)
}

fn charge(w: &mut Wallet, r: &UsageRequest, at: &str, id: &str) -> credit_engine::Charge {
    w.charge(r, t(at), id, &cat()).expect("charge")
}

#[test]
fn agent_credits_are_spent_before_regular() {
    let r = req("agent.brand_creation");
    let price = cost(&r);
    let mut w = member(ZONE, T0, YEAR_LATER, 100, 0);
    let daily = price / 2;
    assert!(w.daily_login(t("2026-01-10T10:00:00Z"), c(daily)).unwrap());
    let ch = charge(&mut w, &r, "2026-01-10T10:05:00Z", "ch1");
    assert_eq!(
        draw_kinds(&ch.draws),
        vec![(Kind::DailyLogin, daily), (Kind::Membership, price - daily)]
    );
    assert_eq!(ch.credits.get(), price);
}

#[test]
fn agent_group_comes_first_even_when_a_regular_lot_expires_sooner() {
    let mut w = wallet(ZONE);
    w.start_trial(t(T0), t("2026-01-11T09:00:00Z"), c(10))
        .unwrap();
    w.grant_promotion("promo", t(T0), c(10), t("2026-02-10T09:00:00Z"))
        .unwrap();
    let ch = charge(&mut w, &agent_units(12), "2026-01-10T10:00:00Z", "ch");
    assert_eq!(ch.draws.len(), 2);
    assert_eq!(
        draw_kinds(&ch.draws),
        vec![
            (Kind::Promotion, 10),
            (Kind::Trial, cost(&agent_units(12)) - 10)
        ]
    );
}

#[test]
fn non_agent_features_never_touch_agent_lots() {
    let mut w = member(ZONE, T0, YEAR_LATER, 100, 50);
    w.daily_login(t("2026-01-10T10:00:00Z"), c(5)).unwrap();
    let r = req("ai_background");
    let ch = charge(&mut w, &r, "2026-01-10T10:05:00Z", "bg");
    assert_eq!(draw_kinds(&ch.draws), vec![(Kind::Membership, cost(&r))]);
    let b = w.balance(t("2026-01-10T10:05:00Z")).unwrap();
    assert_eq!(b.agent, 55, "agent credits untouched");
}

#[test]
fn non_agent_feature_is_insufficient_with_shortfall_even_if_agent_credits_would_cover_it() {
    let r = req("ai_background");
    let price = cost(&r);
    let mut w = member(ZONE, T0, YEAR_LATER, price - 1, 40);
    w.daily_login(t("2026-01-10T10:00:00Z"), c(50)).unwrap();
    w.grant_promotion("p", t("2026-01-10T10:00:00Z"), c(50), t(YEAR_LATER))
        .unwrap();
    let e = fails_unchanged(&mut w, ErrorCode::Insufficient, |w| {
        w.charge(&r, t("2026-01-10T10:05:00Z"), "bg", &cat())
    });
    assert_eq!(e.shortfall, Some(1));
}

#[test]
fn soonest_expiry_is_spent_first_within_the_agent_group() {
    let mut w = wallet(ZONE);
    // Granted first but expires later.
    w.grant_promotion("late", t(T0), c(10), t("2026-01-20T09:00:00Z"))
        .unwrap();
    w.grant_promotion(
        "soon",
        t("2026-01-10T09:01:00Z"),
        c(10),
        t("2026-01-12T09:00:00Z"),
    )
    .unwrap();
    let r = agent_units(12);
    let ch = charge(&mut w, &r, "2026-01-10T09:02:00Z", "ch");
    assert_eq!(
        draws(&ch.draws),
        ds(&[("soon", 10), ("late", cost(&r) - 10)])
    );
}

#[test]
fn daily_login_credits_expiring_tonight_go_before_membership_agent_credits() {
    let mut w = member(ZONE, T0, YEAR_LATER, 0, 10);
    w.daily_login(t("2026-01-10T10:00:00Z"), c(3)).unwrap();
    let ch = charge(&mut w, &agent_units(5), "2026-01-10T10:01:00Z", "ch");
    assert_eq!(
        draw_kinds(&ch.draws),
        vec![(Kind::DailyLogin, 3), (Kind::MembershipAgent, 2)]
    );
}

#[test]
fn soonest_expiry_first_in_the_regular_group_trial_then_purchased_then_membership() {
    let mut w = wallet(ZONE);
    w.start_trial(t(T0), t("2026-01-17T09:00:00Z"), c(5))
        .unwrap();
    w.purchase("buy", t("2026-01-10T10:00:00Z"), c(5)).unwrap();
    // Converting the trial: the membership lot never expires, the trial lot still ends on Jan 17.
    w.activate_membership(t("2026-01-10T11:00:00Z"), t(YEAR_LATER), c(5), c(0))
        .unwrap();
    let r = regular_units(12);
    let ch = charge(&mut w, &r, "2026-01-10T12:00:00Z", "ch");
    assert_eq!(
        draw_kinds(&ch.draws),
        vec![
            (Kind::Trial, 5),
            (Kind::Purchased, 5),
            (Kind::Membership, cost(&r) - 10)
        ]
    );
}

#[test]
fn never_expiring_lots_are_spent_last_even_if_granted_first() {
    let mut w = member(ZONE, T0, YEAR_LATER, 10, 0);
    w.purchase("buy", t("2026-01-11T09:00:00Z"), c(10)).unwrap();
    let ch = charge(&mut w, &regular_units(4), "2026-01-11T10:00:00Z", "ch");
    assert_eq!(draws(&ch.draws), ds(&[("buy", cost(&regular_units(4)))]));
}

#[test]
fn equal_expiry_spends_the_earlier_grant_first() {
    let mut w = wallet(ZONE);
    let expires = t("2026-01-15T09:00:00Z");
    w.grant_promotion("z-earlier", t(T0), c(3), expires)
        .unwrap();
    w.grant_promotion("a-later", t("2026-01-10T09:30:00Z"), c(3), expires)
        .unwrap();
    let ch = charge(&mut w, &agent_units(4), "2026-01-10T10:00:00Z", "ch");
    assert_eq!(draws(&ch.draws), ds(&[("z-earlier", 3), ("a-later", 1)]));
}

#[test]
fn equal_expiry_and_grant_time_spends_the_smaller_lot_id_first() {
    let mut w = wallet(ZONE);
    let expires = t("2026-01-15T09:00:00Z");
    w.grant_promotion("b", t(T0), c(3), expires).unwrap();
    w.grant_promotion("a", t(T0), c(3), expires).unwrap();
    let ch = charge(&mut w, &agent_units(4), "2026-01-10T10:00:00Z", "ch");
    assert_eq!(draws(&ch.draws), ds(&[("a", 3), ("b", 1)]));
}

#[test]
fn a_charge_drains_lots_one_after_another_and_leaves_the_rest() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p1", t(T0), c(2), t("2026-01-11T09:00:00Z"))
        .unwrap();
    w.grant_promotion("p2", t(T0), c(2), t("2026-01-12T09:00:00Z"))
        .unwrap();
    w.grant_promotion("p3", t(T0), c(2), t("2026-01-13T09:00:00Z"))
        .unwrap();
    let ch = charge(&mut w, &agent_units(5), T0, "ch");
    assert_eq!(draws(&ch.draws), ds(&[("p1", 2), ("p2", 2), ("p3", 1)]));
    assert_eq!(lot_credits(&w, "p3", t(T0)), 1);
    assert_eq!(w.balance(t(T0)).unwrap().total, 1);
}

#[test]
fn frozen_lots_are_never_spent() {
    let mut w = member(ZONE, T0, "2026-01-20T09:00:00Z", 50, 0);
    w.purchase("buy", t("2026-01-11T09:00:00Z"), c(50)).unwrap();
    // After the lapse on Jan 20 both regular lots are frozen.
    let r = req("ai_background");
    let e = fails_unchanged(&mut w, ErrorCode::Insufficient, |w| {
        w.charge(&r, t("2026-01-21T09:00:00Z"), "bg", &cat())
    });
    assert_eq!(e.shortfall, Some(cost(&r)));
}

#[test]
fn a_failed_charge_debits_nothing_and_leaves_the_ledger_and_snapshot_unchanged() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p", t(T0), c(9), t(YEAR_LATER)).unwrap();
    let r = agent_units(10);
    let before = w.balance(t(T0)).unwrap();
    let e = fails_unchanged(&mut w, ErrorCode::Insufficient, |w| {
        w.charge(&r, t(T0), "ch", &cat())
    });
    assert_eq!(e.shortfall, Some(cost(&r) - 9));
    assert_eq!(w.balance(t(T0)).unwrap(), before);
    // The wallet keeps working and the id was not used up.
    let ok = w.charge(&agent_units(9), t(T0), "ch", &cat()).unwrap();
    assert_eq!(ok.credits.get(), 9);
}

#[test]
fn insufficient_error_message_says_how_much_is_missing() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p", t(T0), c(1), t(YEAR_LATER)).unwrap();
    let e = err(w.charge(&req("agent.ppt"), t(T0), "x", &cat()));
    let missing = cost(&req("agent.ppt")) - 1;
    assert_eq!(e.shortfall, Some(missing));
    assert!(e.message.contains(&missing.to_string()), "{}", e.message);
}

// ----- previews -----

/// A wallet with every kind of lot: promotion, daily login, membership_agent, trial, purchased, membership.
fn rich_wallet() -> Wallet {
    let mut w = wallet(ZONE);
    w.start_trial(t(T0), t("2026-01-17T09:00:00Z"), c(7))
        .unwrap();
    w.purchase("buy", t("2026-01-10T09:30:00Z"), c(11)).unwrap();
    w.activate_membership(t("2026-01-10T10:00:00Z"), t(YEAR_LATER), c(13), c(6))
        .unwrap();
    w.daily_login(t("2026-01-10T10:30:00Z"), c(4)).unwrap();
    w.grant_promotion(
        "promo",
        t("2026-01-10T10:45:00Z"),
        c(5),
        t("2026-01-25T00:00:00Z"),
    )
    .unwrap();
    w
}

#[test]
fn preview_agrees_with_charge_on_credits_draws_and_balance_after() {
    let at = t("2026-01-10T11:00:00Z");
    let requests = [
        agent_units(3),
        agent_units(20),
        regular_units(15),
        req("ai_background"),
        req("agent.video_generation").seconds(7.0),
        req("private_model"),
    ];
    for (k, r) in requests.iter().enumerate() {
        let mut w = rich_wallet();
        let p = w.preview(r, at, &cat()).unwrap();
        assert!(p.sufficient, "{r:?}");
        assert_eq!(p.shortfall, 0);
        assert_eq!(p.quote, cat().quote(r).unwrap());
        let ch = w.charge(r, at, &format!("c{k}"), &cat()).unwrap();
        assert_eq!(p.draws, ch.draws, "{r:?}");
        assert_eq!(p.credits, ch.credits.get());
        let b = w.balance(at).unwrap();
        assert_eq!(
            (
                p.balance_after.total,
                p.balance_after.agent,
                p.balance_after.regular
            ),
            (b.total, b.agent, b.regular),
            "{r:?}"
        );
    }
}

#[test]
fn preview_reports_insufficiency_without_failing() {
    let w = rich_wallet();
    let at = t("2026-01-10T11:00:00Z");
    let b = w.balance(at).unwrap();
    let r = agent_units(b.total + 3);
    let p = w
        .preview(&r, at, &cat())
        .expect("preview never fails for insufficiency");
    assert!(!p.sufficient);
    assert_eq!(p.shortfall, cost(&r) - b.total);
    assert!(p.draws.is_empty());
    assert_eq!(
        (
            p.balance_after.total,
            p.balance_after.agent,
            p.balance_after.regular
        ),
        (b.total, b.agent, b.regular)
    );
    assert_eq!(p.credits, cost(&r));
}

#[test]
fn preview_of_a_regular_feature_with_only_agent_credits_is_short_by_the_whole_cost() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p", t(T0), c(100), t(YEAR_LATER))
        .unwrap();
    let r = req("private_model");
    let p = w.preview(&r, t(T0), &cat()).unwrap();
    assert!(!p.sufficient);
    assert_eq!(p.shortfall, cost(&r));
    assert!(p.draws.is_empty());
    assert_eq!(p.balance_after.agent, 100);
}

#[test]
fn preview_changes_nothing() {
    let w = rich_wallet();
    let before = snap(&w);
    for r in [agent_units(3), agent_units(1000), req("ai_background")] {
        w.preview(&r, t("2026-03-01T00:00:00Z"), &cat()).unwrap();
    }
    assert_eq!(snap(&w), before);
}

#[test]
fn preview_still_errors_on_a_bad_request() {
    let w = rich_wallet();
    let at = t("2026-01-10T11:00:00Z");
    assert_eq!(
        code(w.preview(&req("agent.teleport"), at, &cat())),
        ErrorCode::UnknownFeature
    );
    assert_eq!(
        code(w.preview(
            &req("ai_model").tier(credit_engine::Tier::Premium),
            at,
            &cat()
        )),
        ErrorCode::TierUnavailable
    );
}
