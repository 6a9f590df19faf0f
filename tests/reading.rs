//! SPEC sections 6 and 8 on reading: the balance fields, reads that never change the wallet, reads before the
//! clock answered as of the clock, projections (one point per instant at which something changes, labelled as
//! README "Projection" says), and the ledger (totals are the usable balance after each entry; signs as the user
//! reads them).

mod common;

use common::*;
use credit_engine::{EntryType, ErrorCode, Kind, LedgerEntry, Wallet};
use serde_json::Value;

const ZONE: &str = "Asia/Shanghai";
const JAN15: &str = "2026-01-15T10:00:00Z";

/// A member with every kind of credit and an open hold, read on Jan 15 at 12:00Z.
fn busy_wallet() -> Wallet {
    let mut w = member(ZONE, JAN15, "2027-01-15T10:00:00Z", 100, 20);
    w.purchase("buy", t("2026-01-15T11:00:00Z"), c(40)).unwrap();
    w.daily_login(t("2026-01-15T11:00:00Z"), c(5)).unwrap();
    w.grant_promotion(
        "promo",
        t("2026-01-15T11:00:00Z"),
        c(7),
        t("2026-01-18T00:00:00Z"),
    )
    .unwrap();
    // Agent-first, soonest expiry first: daily login 5, then promotion 5 of 7.
    w.hold(
        &req("agent.ppt"),
        t("2026-01-15T12:00:00Z"),
        "h",
        3_600_000,
        &cat(),
    )
    .unwrap();
    w
}

#[test]
fn balance_total_is_agent_plus_regular_with_frozen_and_held_outside() {
    let w = busy_wallet();
    let b = w.balance(t("2026-01-15T12:00:00Z")).unwrap();
    let held = cost(&req("agent.ppt"));
    assert_eq!(b.held, held);
    assert_eq!(b.total, b.agent + b.regular);
    assert_eq!(b.regular, 100 + 40);
    assert_eq!(b.agent, 20 + 5 + 7 - held);
    assert_eq!(b.frozen, 0);
}

#[test]
fn balance_kinds_list_usable_credits_of_all_six_kinds() {
    let w = busy_wallet();
    let b = w.balance(t("2026-01-15T12:00:00Z")).unwrap();
    let k = &b.kinds;
    assert_eq!(
        (
            k.daily_login,
            k.membership_agent,
            k.promotion,
            k.membership,
            k.trial,
            k.purchased
        ),
        (0, 20, 2, 100, 0, 40)
    );
    let json: Value = serde_json::from_str(&json_of(&b)).unwrap();
    let kinds = json["kinds"].as_object().unwrap();
    let mut names: Vec<&str> = kinds.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "daily_login",
            "membership",
            "membership_agent",
            "promotion",
            "purchased",
            "trial"
        ]
    );
    assert_eq!(json["kinds"]["trial"], 0);
}

#[test]
fn balance_json_has_every_field_of_the_contract() {
    let w = busy_wallet();
    let json: Value =
        serde_json::from_str(&json_of(&w.balance(t("2026-01-15T12:00:00Z")).unwrap())).unwrap();
    for key in [
        "at",
        "total",
        "agent",
        "regular",
        "frozen",
        "held",
        "display",
        "kinds",
        "nextExpiry",
        "lots",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["at"], "2026-01-15T12:00:00.000Z");
    let lot = &json["lots"][0];
    for key in [
        "id",
        "kind",
        "credits",
        "grantedAt",
        "expiresAt",
        "frozen",
        "agentOnly",
    ] {
        assert!(lot.get(key).is_some(), "lot missing {key}");
    }
}

#[test]
fn next_expiry_is_the_soonest_expiry_of_usable_credits() {
    let w = busy_wallet();
    let b = w.balance(t("2026-01-15T12:00:00Z")).unwrap();
    // The daily-login lot expires sooner but is fully held: only the promotion's 2 usable credits count.
    let next = b.next_expiry.unwrap();
    assert_eq!((next.at, next.credits), (t("2026-01-18T00:00:00Z"), 2));
}

#[test]
fn next_expiry_adds_up_lots_expiring_at_the_same_instant() {
    let mut w = wallet(ZONE);
    let exp = t("2026-02-01T00:00:00Z");
    w.grant_promotion("a", t(JAN15), c(3), exp).unwrap();
    w.grant_promotion("b", t(JAN15), c(4), exp).unwrap();
    w.grant_promotion("c", t(JAN15), c(5), t("2026-03-01T00:00:00Z"))
        .unwrap();
    let next = w.balance(t(JAN15)).unwrap().next_expiry.unwrap();
    assert_eq!((next.at, next.credits), (exp, 7));
}

#[test]
fn next_expiry_ignores_frozen_lots_and_is_null_without_expiring_credits() {
    let mut w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 10, 0);
    w.purchase("buy", t(JAN15), c(40)).unwrap();
    assert!(w.balance(t(JAN15)).unwrap().next_expiry.map(|n| n.credits) == Some(40));
    w.grant_promotion(
        "p",
        t("2026-02-02T00:00:00Z"),
        c(3),
        t("2029-01-01T00:00:00Z"),
    )
    .unwrap();
    let b = w.balance(t("2026-02-02T00:00:00Z")).unwrap();
    // The frozen purchase expires in 2028, sooner than the promotion, but frozen credits are not usable.
    let next = b.next_expiry.unwrap();
    assert_eq!((next.at, next.credits), (t("2029-01-01T00:00:00Z"), 3));
    let only_membership = member(ZONE, JAN15, "2027-01-01T00:00:00Z", 10, 0);
    let b = only_membership.balance(t(JAN15)).unwrap();
    assert_eq!(b.next_expiry, None);
    let json: Value = serde_json::from_str(&json_of(&b)).unwrap();
    assert!(json["nextExpiry"].is_null(), "{json}");
}

#[test]
fn balance_lots_list_only_lots_with_credits_frozen_ones_flagged_agent_only_first() {
    let mut w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 10, 0);
    w.purchase("buy", t(JAN15), c(40)).unwrap();
    w.grant_promotion("p", t(JAN15), c(1), t("2026-06-01T00:00:00Z"))
        .unwrap();
    w.grant_promotion("spent", t(JAN15), c(1), t("2026-05-01T00:00:00Z"))
        .unwrap();
    w.charge(&req("agent.image_editing"), t(JAN15), "ch", &cat())
        .unwrap();
    let b = w.balance(t("2026-02-02T00:00:00Z")).unwrap();
    let listed: Vec<(&str, Kind, u64, bool, bool)> = b
        .lots
        .iter()
        .map(|l| (l.id.as_str(), l.kind, l.credits, l.frozen, l.agent_only))
        .collect();
    let membership_id = engine_lot(Kind::Membership, JAN15);
    assert_eq!(
        listed,
        vec![
            ("p", Kind::Promotion, 1, false, true),
            ("buy", Kind::Purchased, 40, true, false),
            (membership_id.as_str(), Kind::Membership, 10, true, false),
        ]
    );
    let buy = b.lots.iter().find(|l| l.id == "buy").unwrap();
    assert_eq!(buy.granted_at, t(JAN15));
    assert_eq!(buy.expires_at, Some(t("2028-01-15T10:00:00Z")));
}

#[test]
fn reads_never_change_the_wallet() {
    let w = busy_wallet();
    let s = snap(&w);
    let far = t("2026-03-01T00:00:00Z");
    w.balance(far).unwrap();
    w.preview(&req("agent.ppt"), far, &cat()).unwrap();
    w.project(t("2026-01-15T12:00:00Z"), far).unwrap();
    assert_eq!(snap(&w), s);
    assert_eq!(w.clock(), Some(t("2026-01-15T12:00:00Z")));
}

#[test]
fn a_what_if_next_month_read_does_not_block_a_charge_now() {
    let mut w = busy_wallet();
    w.balance(t("2026-02-20T00:00:00Z")).unwrap();
    w.project(t("2026-01-15T12:00:00Z"), t("2026-06-01T00:00:00Z"))
        .unwrap();
    assert!(w
        .charge(
            &req("ai_background"),
            t("2026-01-15T12:00:00Z"),
            "now",
            &cat()
        )
        .is_ok());
}

#[test]
fn a_read_before_the_wallet_clock_is_answered_as_of_the_clock() {
    let w = busy_wallet();
    let clock = t("2026-01-15T12:00:00Z");
    let early = w.balance(t("2026-01-15T09:00:00Z")).unwrap();
    assert_eq!(
        early.at, clock,
        "the returned at says which instant was read"
    );
    let mut at_clock = w.balance(clock).unwrap();
    at_clock.at = early.at;
    assert_eq!(early, at_clock);
    let p = w
        .preview(&req("agent.ppt"), t("2026-01-01T00:00:00Z"), &cat())
        .unwrap();
    let p_now = w.preview(&req("agent.ppt"), clock, &cat()).unwrap();
    assert_eq!(p, p_now);
    let points = w
        .project(t("2026-01-01T00:00:00Z"), t("2026-01-15T12:30:00Z"))
        .unwrap();
    assert_eq!(points[0].at, clock);
}

#[test]
fn a_balance_after_the_clock_is_answered_at_the_asked_instant() {
    let w = busy_wallet();
    let at = t("2026-01-20T00:00:00Z");
    assert_eq!(w.balance(at).unwrap().at, at);
}

// ----- projection -----

fn point_summary(w: &Wallet, from: &str, to: &str) -> Vec<(String, u64, u64, u64, u64, String)> {
    w.project(t(from), t(to))
        .unwrap()
        .into_iter()
        .map(|p| {
            assert_eq!(p.total, p.agent + p.regular);
            (
                p.at.to_iso(),
                p.total,
                p.agent,
                p.regular,
                p.frozen,
                p.event,
            )
        })
        .collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn project_gives_the_start_and_one_labelled_point_per_instant_something_changes() {
    let mut w = member(ZONE, JAN15, "2026-03-20T00:00:00Z", 100, 50);
    w.grant_promotion("promo", t(JAN15), c(7), t("2026-02-01T00:00:00Z"))
        .unwrap();
    // Agent-first, soonest expiry first: promotion 7, then membership_agent 3.
    w.hold(&req("agent.ppt"), t(JAN15), "h", 3_600_000, &cat())
        .unwrap();
    assert_eq!(cost(&req("agent.ppt")), 10);
    let points = point_summary(&w, "2026-01-15T10:10:00Z", "2026-04-30T00:00:00Z");
    assert_eq!(
        points,
        vec![
            (s("2026-01-15T10:10:00.000Z"), 147, 47, 100, 0, s("start")),
            (
                s("2026-01-15T11:00:00.000Z"),
                157,
                57,
                100,
                0,
                s("hold_expiry")
            ),
            (s("2026-02-01T00:00:00.000Z"), 150, 50, 100, 0, s("expire")),
            (
                s("2026-02-15T10:00:00.000Z"),
                250,
                50,
                200,
                0,
                s("expire,distribution")
            ),
            (
                s("2026-03-15T10:00:00.000Z"),
                350,
                50,
                300,
                0,
                s("expire,distribution")
            ),
            (s("2026-03-20T00:00:00.000Z"), 50, 50, 0, 300, s("lapse")),
            (s("2026-04-15T10:00:00.000Z"), 0, 0, 0, 300, s("expire")),
        ]
    );
}

#[test]
fn project_includes_a_change_exactly_at_to_and_not_a_second_point_at_from() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p", t(JAN15), c(7), t("2026-02-01T00:00:00Z"))
        .unwrap();
    let to_expiry = point_summary(&w, JAN15, "2026-02-01T00:00:00Z");
    assert_eq!(to_expiry.len(), 2);
    assert_eq!(to_expiry[1].5, "expire");
    let from_expiry = point_summary(&w, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z");
    assert_eq!(
        from_expiry,
        vec![(s("2026-02-01T00:00:00.000Z"), 0, 0, 0, 0, s("start"))]
    );
    let just_before = point_summary(&w, JAN15, "2026-01-31T23:59:59.999Z");
    assert_eq!(just_before.len(), 1);
}

#[test]
fn project_skips_the_expiry_of_an_empty_lot() {
    let mut w = wallet(ZONE);
    w.daily_login(t(JAN15), c(1)).unwrap();
    w.charge(&req("agent.image_editing"), t(JAN15), "ch", &cat())
        .unwrap();
    let points = point_summary(&w, JAN15, "2026-01-20T00:00:00Z");
    assert_eq!(points.len(), 1, "{points:?}");
}

#[test]
fn project_with_to_before_from_is_a_bad_request_and_to_equal_from_is_one_point() {
    let w = busy_wallet();
    assert_eq!(
        code(w.project(t("2026-02-01T00:00:00Z"), t("2026-01-31T00:00:00Z"))),
        ErrorCode::BadRequest
    );
    let one = w
        .project(t("2026-02-01T00:00:00Z"), t("2026-02-01T00:00:00Z"))
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].event, "start");
}

#[test]
fn project_agrees_with_the_balance_at_every_point() {
    let w = busy_wallet();
    for p in w
        .project(t("2026-01-15T12:00:00Z"), t("2027-03-01T00:00:00Z"))
        .unwrap()
    {
        let b = w.balance(p.at).unwrap();
        assert_eq!(
            (p.total, p.agent, p.regular, p.frozen),
            (b.total, b.agent, b.regular, b.frozen),
            "at {}",
            p.at
        );
    }
}

#[test]
fn project_refuses_more_than_ten_thousand_points() {
    // A membership of more than 10,000 months: every monthly distribution is a point.
    let w = member(ZONE, JAN15, "2900-01-01T00:00:00Z", 1, 0);
    let tz = credit_engine::calendar::TimeZone::new(ZONE).unwrap();
    let start = t(JAN15);
    assert_eq!(
        code(w.project(start, tz.add_months(start, 10_000).unwrap())),
        ErrorCode::BadRequest
    );
    let points = w
        .project(start, tz.add_months(start, 9_999).unwrap())
        .unwrap();
    assert_eq!(points.len(), 10_000);
    assert!(points[1..].iter().all(|p| p.event == "distribution"));
}

// ----- ledger -----

/// A scenario that writes every entry type; returns the wallet and the instants of its mutations.
fn every_entry_type() -> Wallet {
    let mut w = member(ZONE, JAN15, "2026-02-01T00:00:00Z", 100, 0);
    w.purchase("buy", t("2026-01-15T11:00:00Z"), c(40)).unwrap();
    w.grant_promotion(
        "promo",
        t("2026-01-15T11:00:00Z"),
        c(6),
        t("2026-01-20T00:00:00Z"),
    )
    .unwrap();
    w.charge(
        &req("ai_background"),
        t("2026-01-15T12:00:00Z"),
        "ch",
        &cat(),
    )
    .unwrap();
    w.refund("ch", 1, t("2026-01-15T12:05:00Z"), None).unwrap();
    w.hold(
        &req("agent.image_generation").units(2),
        t("2026-01-15T13:00:00Z"),
        "h",
        600_000,
        &cat(),
    )
    .unwrap();
    w.capture("h", 2, t("2026-01-15T13:05:00Z")).unwrap();
    w.hold(
        &req("agent.image_generation"),
        t("2026-01-15T13:10:00Z"),
        "h2",
        600_000,
        &cat(),
    )
    .unwrap();
    w.release("h2", t("2026-01-15T13:15:00Z")).unwrap();
    // Lapse on Feb 1 (freeze), promotion expiry on Jan 20, then reactivation (unfreeze).
    w.activate_membership(
        t("2026-02-10T00:00:00Z"),
        t("2027-02-10T00:00:00Z"),
        c(10),
        c(0),
    )
    .unwrap();
    w
}

#[test]
fn ledger_amounts_are_signed_as_the_user_reads_them() {
    let w = every_entry_type();
    let mut seen = std::collections::BTreeSet::new();
    for e in w.ledger() {
        seen.insert(e.entry_type.as_str());
        match e.entry_type {
            EntryType::Grant | EntryType::Refund | EntryType::Release => {
                assert!(e.credits > 0, "{e:?}")
            }
            EntryType::Charge | EntryType::Hold | EntryType::Expire => {
                assert!(e.credits < 0, "{e:?}")
            }
            EntryType::Freeze | EntryType::Unfreeze => assert!(e.credits > 0, "{e:?}"),
            EntryType::Capture => assert_eq!(e.credits, 0, "{e:?}"),
        }
    }
    assert_eq!(
        seen.len(),
        9,
        "scenario should write every entry type: {seen:?}"
    );
}

#[test]
fn ledger_entries_are_numbered_from_1_and_in_time_order() {
    let w = every_entry_type();
    for (i, e) in w.ledger().iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }
    assert!(w.ledger().windows(2).all(|p| p[0].at <= p[1].at));
}

#[test]
fn ledger_references_name_the_charge_or_hold_and_lots_name_their_lot() {
    let w = every_entry_type();
    for e in w.ledger() {
        match e.entry_type {
            EntryType::Charge => assert_eq!(e.reference.as_deref(), Some("ch")),
            EntryType::Refund => assert_eq!(e.reference.as_deref(), Some("ch")),
            EntryType::Hold | EntryType::Capture | EntryType::Release => {
                assert!(matches!(e.reference.as_deref(), Some("h" | "h2")), "{e:?}")
            }
            _ => {
                assert!(e.lot_id.is_some() && e.kind.is_some(), "{e:?}");
                assert!(e.reference.is_none());
            }
        }
        if matches!(
            e.entry_type,
            EntryType::Charge | EntryType::Refund | EntryType::Hold | EntryType::Capture
        ) {
            assert!(e.lot_id.is_none() && e.feature.is_some(), "{e:?}");
        }
    }
}

/// The usable balance after an entry, computed from the previous one for a scenario without refunds into
/// frozen or expired lots: every amount moves usable credits by its sign, freezes take them out.
fn expected_total(prev: u64, e: &LedgerEntry) -> u64 {
    let moved = match e.entry_type {
        EntryType::Freeze => -e.credits,
        _ => e.credits,
    };
    (prev as i64 + moved) as u64
}

#[test]
fn ledger_totals_are_the_usable_balance_after_each_entry() {
    let w = every_entry_type();
    let mut total = 0u64;
    for e in w.ledger() {
        total = expected_total(total, e);
        assert_eq!(e.total, total, "{e:?}");
    }
    let last = w.ledger().last().unwrap();
    assert_eq!(last.total, w.balance(last.at).unwrap().total);
}

#[test]
fn a_partial_capture_entry_totals_the_balance_before_the_release_that_follows_it() {
    let mut w = wallet(ZONE);
    w.grant_promotion("p", t(JAN15), c(100), t("2026-06-01T00:00:00Z"))
        .unwrap();
    let r = req("agent.image_generation").units(4);
    w.hold(&r, t(JAN15), "h", 600_000, &cat()).unwrap();
    w.capture("h", 1, t(JAN15)).unwrap();
    let tail: Vec<(EntryType, i64, u64)> = w
        .ledger()
        .iter()
        .map(|e| (e.entry_type, e.credits, e.total))
        .collect();
    let held = cost(&r);
    let released = held - cost(&req("agent.image_generation"));
    assert_eq!(
        tail,
        vec![
            (EntryType::Grant, 100, 100),
            (EntryType::Hold, -(held as i64), 100 - held),
            (EntryType::Capture, 0, 100 - held),
            (EntryType::Release, released as i64, 100 - held + released),
        ]
    );
}

#[test]
fn ledger_last_total_matches_the_balance_after_every_mutation() {
    // Retention long enough for the refund five weeks after its charge (SPEC 9; the default is 7 days).
    let mut w = Wallet::create_with(ZONE, 60).unwrap();
    w.activate_membership(t(JAN15), t("2026-03-01T00:00:00Z"), c(30), c(10))
        .unwrap();
    let check = |w: &Wallet, at: &str| {
        let last = w.ledger().last().unwrap();
        assert_eq!(
            last.total,
            w.balance(t(at)).unwrap().total,
            "after the call at {at}"
        );
    };
    check(&w, JAN15);
    w.daily_login(t("2026-01-16T10:00:00Z"), c(3)).unwrap();
    check(&w, "2026-01-16T10:00:00Z");
    w.charge(&req("agent.ppt"), t("2026-01-16T11:00:00Z"), "a", &cat())
        .unwrap();
    check(&w, "2026-01-16T11:00:00Z");
    w.hold(
        &req("ai_background"),
        t("2026-01-16T12:00:00Z"),
        "h",
        60_000,
        &cat(),
    )
    .unwrap();
    check(&w, "2026-01-16T12:00:00Z");
    w.refund("a", 1, t("2026-02-20T00:00:00Z"), None).unwrap();
    check(&w, "2026-02-20T00:00:00Z");
    w.grant_promotion(
        "p",
        t("2026-03-05T00:00:00Z"),
        c(2),
        t("2026-03-06T00:00:00Z"),
    )
    .unwrap();
    check(&w, "2026-03-05T00:00:00Z");
}

#[test]
fn ledger_json_uses_the_contract_field_names() {
    let w = every_entry_type();
    let json: Value = serde_json::from_str(&json_of(w.ledger())).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), w.ledger().len());
    for e in entries {
        for key in e.as_object().unwrap().keys() {
            assert!(
                ["seq", "at", "type", "kind", "lotId", "credits", "ref", "feature", "total"]
                    .contains(&key.as_str()),
                "unexpected key {key}"
            );
        }
        for key in ["seq", "at", "type", "credits", "total"] {
            assert!(e.get(key).is_some(), "missing {key} in {e}");
        }
    }
}
