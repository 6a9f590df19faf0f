//! SPEC section 9: history leaves the wallet. Retention of records (replays, refunds, forgotten ids), the ledger as
//! a journal the host takes, and lots with nothing left leaving the wallet.
mod common;
use common::*;
use credit_engine::{EntryType, ErrorCode, Wallet};

const ZONE: &str = "Europe/Berlin";

/// The wallet's snapshot without its ledger (which names every id and lot it ever saw).
fn state_of(w: &Wallet) -> String {
    let mut copy = w.clone();
    copy.take_ledger();
    snap(&copy)
}

/// A member wallet with `days` of retention, membership from 2026-01-01 for a year (500 regular a month).
fn member_with(days: u32) -> Wallet {
    let mut w = Wallet::create_with(ZONE, days).expect("wallet");
    w.activate_membership(
        t("2026-01-01T00:00:00Z"),
        t("2027-01-01T00:00:00Z"),
        c(500),
        c(0),
    )
    .expect("activation");
    w
}

#[test]
fn retention_defaults_to_seven_days_and_accepts_one_to_four_hundred() {
    assert_eq!(wallet(ZONE).retention_days(), 7);
    assert_eq!(Wallet::create_with(ZONE, 1).unwrap().retention_days(), 1);
    assert_eq!(
        Wallet::create_with(ZONE, 400).unwrap().retention_days(),
        400
    );
    for bad in [0, 401, u32::MAX] {
        assert_eq!(code(Wallet::create_with(ZONE, bad)), ErrorCode::BadRequest);
    }
    // The zone is checked first.
    assert_eq!(
        code(Wallet::create_with("Mars/Olympus", 0)),
        ErrorCode::TimeZone
    );
}

#[test]
fn a_replay_inside_the_window_answers_the_first_result() {
    let mut w = member_with(1);
    let first = w
        .charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    // Exactly one day later the record is still held.
    w.daily_login(t("2026-01-03T10:00:00Z"), c(1)).unwrap();
    let again = w
        .charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(entries_of(&w, EntryType::Charge).len(), 1);
}

#[test]
fn a_record_is_held_at_exactly_the_window_and_forgotten_one_millisecond_later() {
    let mut w = member_with(1);
    w.charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    // A mutation at exactly +1 day keeps it: a refund still finds it.
    w.daily_login(t("2026-01-03T10:00:00Z"), c(1)).unwrap();
    assert!(w.has_record("c1"));
    // A mutation 1 ms later forgets it.
    w.daily_login(t("2026-01-03T10:00:00.001Z"), c(1)).unwrap();
    assert!(!w.has_record("c1"), "record past retention");
    // Now the id is a new call: a second charge, not a replay.
    let before = w.balance(t("2026-01-03T11:00:00Z")).unwrap().total;
    w.charge(&req("ai_extender"), t("2026-01-03T11:00:00Z"), "c1", &cat())
        .unwrap();
    let after = w.balance(t("2026-01-03T11:00:00Z")).unwrap().total;
    assert_eq!(before - after, cost(&req("ai_extender")));
    assert_eq!(entries_of(&w, EntryType::Charge).len(), 2);
}

#[test]
fn refunding_a_charge_forgotten_by_the_refunds_instant_is_not_found() {
    let mut w = member_with(2);
    w.charge(&req("ai_model"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    // Held when the call arrives, but forgotten as of the refund's own `at`.
    let e = fails_unchanged(&mut w, ErrorCode::NotFound, |w| {
        w.refund("c1", 1, t("2026-01-04T10:00:00.001Z"), None)
    });
    assert!(e.message.contains("retention"), "{}", e.message);
    // Inside the window it refunds, and the refund is a change that keeps the record longer.
    w.refund("c1", 1, t("2026-01-04T10:00:00Z"), None).unwrap();
    w.daily_login(t("2026-01-06T09:00:00Z"), c(1)).unwrap();
    w.refund("c1", 1, t("2026-01-06T10:00:00Z"), None).unwrap();
    w.daily_login(t("2026-01-08T10:00:00.001Z"), c(1)).unwrap();
    assert_eq!(
        code(w.refund("c1", 1, t("2026-01-08T10:00:00.002Z"), None)),
        ErrorCode::NotFound
    );
}

#[test]
fn a_late_retry_replays_even_when_its_window_ends_between_the_clock_and_its_instant() {
    let mut w = member_with(1);
    let first = w
        .charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    // The retry arrives with an `at` two days later; the record is still held (no mutation since).
    let again = w
        .charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    assert_eq!(again, first);
    // A replay forgets nothing and moves no clock.
    assert_eq!(w.clock(), Some(t("2026-01-02T10:00:00Z")));
    assert!(w.has_record("c1"));
}

#[test]
fn a_retry_of_a_forgotten_call_before_the_clock_is_a_clock_regression() {
    let mut w = member_with(1);
    w.charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    w.daily_login(t("2026-01-05T10:00:00Z"), c(1)).unwrap();
    fails_unchanged(&mut w, ErrorCode::ClockRegression, |w| {
        w.charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
    });
}

#[test]
fn failed_calls_forget_nothing() {
    let mut w = member_with(1);
    w.charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    // A failing call far in the future (insufficient credits) leaves the record in place.
    fails_unchanged(&mut w, ErrorCode::Insufficient, |w| {
        w.charge(
            &req("private_model").units(1000),
            t("2026-01-20T10:00:00Z"),
            "big",
            &cat(),
        )
    });
    assert!(w.has_record("c1"));
}

/// Hold "h1" on 2026-01-02T10:00Z for 30 days (it expires on 2026-02-01).
fn hold_h1_for_30_days(w: &mut Wallet) {
    w.hold(
        &req("ai_model"),
        t("2026-01-02T10:00:00Z"),
        "h1",
        30 * DAY as u64,
        &cat(),
    )
    .unwrap();
}

#[test]
fn open_holds_are_never_forgotten_and_closed_holds_are_after_their_last_change() {
    let mut w = member_with(1);
    hold_h1_for_30_days(&mut w);
    w.daily_login(t("2026-01-20T10:00:00Z"), c(1)).unwrap();
    let captured = w.capture("h1", 1, t("2026-01-20T11:00:00Z")).unwrap();
    assert_eq!(captured.id, "h1");
    // The captured hold is a charge: refundable inside the window of its capture.
    w.refund("h1", 1, t("2026-01-21T11:00:00Z"), None).unwrap();
    w.daily_login(t("2026-01-22T11:00:00.001Z"), c(1)).unwrap();
    assert_eq!(
        code(w.refund("h1", 1, t("2026-01-22T12:00:00Z"), None)),
        ErrorCode::NotFound
    );
    // An expired hold's last change is its expiry.
    w.hold(
        &req("ai_model"),
        t("2026-01-23T10:00:00Z"),
        "h2",
        HOUR as u64 / 1000 * 1000,
        &cat(),
    )
    .unwrap();
    w.daily_login(t("2026-01-24T11:00:00Z"), c(1)).unwrap();
    assert!(w.has_record("h2"), "held until expiry + 1 day");
    w.daily_login(t("2026-01-24T11:00:00.001Z"), c(1)).unwrap();
    assert!(!w.has_record("h2"));
}

/// A capture moves a hold's last change back from its expiry to the capture. A wallet whose only forgettable
/// record is that hold must still forget it one window after the capture, even though every earlier scan saw the
/// hold open with its expiry weeks ahead (nothing else lowers the bound the scans keep).
#[test]
fn a_capture_long_before_the_expiry_is_forgotten_one_window_after_the_capture() {
    let mut w = member_with(1);
    hold_h1_for_30_days(&mut w);
    // Scans while the hold is open (its expiry is 2026-02-01), with no other record to forget.
    w.daily_login(t("2026-01-04T10:00:00Z"), c(1)).unwrap();
    w.purchase("order-1", t("2026-01-04T11:00:00Z"), c(100))
        .unwrap();
    w.capture("h1", 1, t("2026-01-05T10:00:00Z")).unwrap();
    w.daily_login(t("2026-01-06T10:00:00Z"), c(1)).unwrap();
    assert!(w.has_record("h1"), "held for one day after the capture");
    w.daily_login(t("2026-01-07T10:00:00.001Z"), c(1)).unwrap();
    assert!(
        !w.has_record("h1"),
        "forgotten one window after the capture"
    );
    assert!(w.has_record("order-1"));
}

#[test]
fn purchase_and_promotion_ids_stay_taken_for_the_wallets_life() {
    let mut w = member_with(1);
    w.purchase("order-1", t("2026-01-02T10:00:00Z"), c(100))
        .unwrap();
    w.grant_promotion(
        "promo",
        t("2026-01-02T10:00:00Z"),
        c(5),
        t("2026-01-03T10:00:00Z"),
    )
    .unwrap();
    w.daily_login(t("2026-12-20T10:00:00Z"), c(1)).unwrap();
    let total = w.balance(t("2026-12-20T10:00:00Z")).unwrap().total;
    // Re-sent a year later: a replay, never a second credit.
    w.purchase("order-1", t("2026-01-02T10:00:00Z"), c(100))
        .unwrap();
    assert_eq!(w.balance(t("2026-12-20T10:00:00Z")).unwrap().total, total);
    assert_eq!(
        code(w.purchase("order-1", t("2026-12-20T10:00:00Z"), c(100))),
        ErrorCode::IdempotencyConflict
    );
    assert_eq!(
        code(w.grant_promotion(
            "promo",
            t("2026-12-20T10:00:00Z"),
            c(5),
            t("2026-12-21T10:00:00Z")
        )),
        ErrorCode::IdempotencyConflict
    );
}

#[test]
fn taking_the_ledger_empties_it_and_seq_keeps_counting_across_snapshots() {
    let mut w = member_with(7);
    w.charge(&req("ai_extender"), t("2026-01-02T10:00:00Z"), "c1", &cat())
        .unwrap();
    let first = w.take_ledger();
    assert_eq!(
        first.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=first.len() as u64).collect::<Vec<_>>()
    );
    assert!(w.ledger().is_empty());
    assert!(
        w.take_ledger().is_empty(),
        "a second take hands over nothing"
    );
    // Taking moves no clock.
    assert_eq!(w.clock(), Some(t("2026-01-02T10:00:00Z")));
    let mut w = Wallet::from_snapshot_json(&snap(&w)).unwrap();
    w.charge(&req("ai_extender"), t("2026-01-02T11:00:00Z"), "c2", &cat())
        .unwrap();
    let second = w.take_ledger();
    assert_eq!(second.first().map(|e| e.seq), Some(first.len() as u64 + 1));
}

#[test]
fn a_lot_with_nothing_left_leaves_the_wallet_once_nothing_points_at_it() {
    let mut w = member_with(1);
    w.daily_login(t("2026-01-02T08:00:00Z"), c(2)).unwrap();
    let daily = engine_lot(credit_engine::Kind::DailyLogin, "2026-01-02T08:00:00Z");
    // Spent entirely by a charge: the charge's record still points at it.
    w.charge(
        &req("agent.image_editing").units(2),
        t("2026-01-02T09:00:00Z"),
        "c1",
        &cat(),
    )
    .unwrap();
    w.daily_login(t("2026-01-03T09:00:00Z"), c(2)).unwrap();
    assert!(
        state_of(&w).contains(&daily),
        "the retained charge points at it"
    );
    w.daily_login(t("2026-01-04T09:00:00Z"), c(2)).unwrap();
    assert!(
        !state_of(&w).contains(&daily),
        "nothing points at it any more"
    );
    // The snapshot loads and behaves like the wallet.
    let mut back = Wallet::from_snapshot_json(&snap(&w)).unwrap();
    assert_eq!(snap(&back), snap(&w));
    let a = w
        .charge(&req("ai_model"), t("2026-01-04T10:00:00Z"), "c2", &cat())
        .unwrap();
    let b = back
        .charge(&req("ai_model"), t("2026-01-04T10:00:00Z"), "c2", &cat())
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn an_expired_lot_that_nothing_points_at_leaves_the_snapshot() {
    let mut w = member_with(7);
    w.daily_login(t("2026-01-02T08:00:00Z"), c(2)).unwrap();
    let daily = engine_lot(credit_engine::Kind::DailyLogin, "2026-01-02T08:00:00Z");
    w.daily_login(t("2026-01-03T09:00:00Z"), c(2)).unwrap();
    assert!(!state_of(&w).contains(&daily));
    // The ledger still tells its story.
    assert!(w
        .ledger()
        .iter()
        .any(|e| e.entry_type == EntryType::Expire && e.lot_id.as_deref() == Some(daily.as_str())));
}

#[test]
fn many_spent_lots_leave_the_wallet_in_memory_too() {
    let mut w = member_with(1);
    let start = t("2026-01-02T08:00:00Z");
    for day in 0..100 {
        let at = plus(start, day * DAY);
        w.daily_login(at, c(1)).unwrap();
        w.charge(
            &req("agent.image_editing"),
            plus(at, HOUR),
            &format!("c{day}"),
            &cat(),
        )
        .unwrap();
        w.take_ledger();
    }
    // Live: the membership lots plus at most a batch of spent ones still pointed at or awaiting removal.
    let lots = w.lot_count();
    assert!(lots < 60, "{lots} lots held in memory after 100 days");
}

/// A snapshot reuses each unchanged record's piece of the last text (SPEC 9: a save's cost follows what changed).
/// Whatever a wallet did between saves (charges before, between and after kept ids, refunds, holds captured,
/// released or expired, records forgotten, lots spent, expired and removed, reloads), its snapshot keeps exactly the
/// lots a wallet keeping nothing keeps, and reads back as the same wallet.
#[test]
fn kept_record_pieces_never_change_what_a_snapshot_says() {
    let mut w = member_with(2);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let start = t("2026-01-02T06:00:00Z");
    let mut charges: Vec<String> = Vec::new();
    let mut saves = 0;
    for step in 0..1200i64 {
        let at = plus(start, step * 17 * 60_000);
        match next() % 10 {
            0 => {
                let _ = w.daily_login(at, c(1 + next() % 30));
            }
            1 => {
                let id = format!("buy-{step}");
                let _ = w.purchase(&id, at, c(50 + next() % 200));
            }
            2 if !charges.is_empty() => {
                let id = &charges[(next() as usize) % charges.len()];
                let _ = w.refund(id, 1, at, Some(&format!("{id}/r{step}")));
            }
            3 => {
                let id = format!("h{}", next() % 1000);
                if w.hold(&req("ai_extender"), at, &id, 3_600_000, &cat())
                    .is_ok()
                {
                    match next() % 3 {
                        0 => drop(w.capture(&id, 1, plus(at, 60_000))),
                        1 => drop(w.release(&id, plus(at, 60_000))),
                        _ => {}
                    }
                }
            }
            _ => {
                let prefix = ["gen-", "gen-1", "g", "x-"][(next() % 4) as usize];
                let id = format!("{prefix}{}", next() % 5000);
                if w.charge(&req("ai_background"), at, &id, &cat()).is_ok() {
                    charges.push(id);
                }
            }
        }
        if next() % 5 == 0 {
            saves += 1;
            let text = snap(&w);
            let fresh = snap(&w.without_kept_text());
            // A copy writes what its original writes.
            assert!(
                snap(&w.clone()) == text,
                "step {step}: a copy writes another text"
            );
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            let plain: serde_json::Value = serde_json::from_str(&fresh).unwrap();
            for member in ["lots", "holds", "membership", "clock", "nextSeq"] {
                assert_eq!(doc[member], plain[member], "step {step}: {member}");
            }
            let back = Wallet::from_snapshot_json(&text).unwrap();
            // (The wallet itself may still hold spent lots it removes in batches; no snapshot carries them.)
            let plain_back = Wallet::from_snapshot_json(&fresh).unwrap();
            assert!(
                back == plain_back,
                "step {step}: the two texts read back differently"
            );
            // The wallet read back writes the same text, and goes on from its pieces.
            assert!(
                snap(&back) == text,
                "step {step}: read back, the wallet writes another text"
            );
            if next() % 4 == 0 {
                w = back;
            }
        }
    }
    assert!(
        saves > 150 && charges.len() > 300,
        "{saves} saves, {} charges",
        charges.len()
    );
}
