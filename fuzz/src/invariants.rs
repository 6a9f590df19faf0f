//! Ledger and balance invariants, checked on public views only (ported from `tests/properties.rs`, with plain
//! asserts: in a fuzz target a failed assert is a crash).

use credit_engine::view::LotView;
use credit_engine::{Balance, EntryType, Error, ErrorCode, Instant, Wallet};
use std::cmp::Ordering;

/// SPEC section 4 within a group, on the public lot view.
pub fn lot_order(a: &LotView, b: &LotView) -> Ordering {
    let e = match (a.expires_at, b.expires_at) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    e.then(a.granted_at.cmp(&b.granted_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// A typed error: a known code, a message a person can act on, a shortfall only for `E_INSUFFICIENT`.
pub fn check_error(e: &Error) {
    assert!(
        ErrorCode::ALL.contains(&e.code),
        "unknown error code {:?}",
        e.code
    );
    assert!(
        !e.message.is_empty(),
        "error {:?} without a message",
        e.code
    );
    assert_eq!(
        e.shortfall.is_some(),
        e.code == ErrorCode::Insufficient,
        "shortfall on {e}"
    );
}

/// One balance view is consistent with itself.
pub fn check_balance(b: &Balance) {
    assert_eq!(
        Some(b.total),
        b.agent.checked_add(b.regular),
        "total != agent + regular"
    );
    let k = &b.kinds;
    assert_eq!(
        u128::from(b.agent),
        u128::from(k.daily_login) + u128::from(k.membership_agent) + u128::from(k.promotion)
    );
    assert_eq!(
        u128::from(b.regular),
        u128::from(k.membership) + u128::from(k.trial) + u128::from(k.purchased)
    );
    let mut usable = 0u128;
    let mut frozen = 0u128;
    let mut next: Option<(Instant, u128)> = None;
    for l in &b.lots {
        assert!(l.credits > 0, "lot '{}' listed with no credits", l.id);
        assert_eq!(l.agent_only, l.kind.agent_only());
        if let Some(e) = l.expires_at {
            assert!(e > b.at, "lot '{}' listed after its expiry {}", l.id, e);
        }
        if l.frozen {
            assert!(
                l.kind.freezes_on_lapse(),
                "lot '{}' of kind {:?} frozen",
                l.id,
                l.kind
            );
            frozen += u128::from(l.credits);
        } else {
            usable += u128::from(l.credits);
            if let Some(e) = l.expires_at {
                next = match next {
                    Some((t, c)) if t == e => Some((t, c + u128::from(l.credits))),
                    Some((t, c)) if t < e => Some((t, c)),
                    _ => Some((e, u128::from(l.credits))),
                };
            }
        }
    }
    assert_eq!(
        usable,
        u128::from(b.total),
        "lots do not add up to the total"
    );
    assert_eq!(frozen, u128::from(b.frozen), "frozen lots do not add up");
    assert_eq!(
        b.next_expiry
            .as_ref()
            .map(|n| (n.at, u128::from(n.credits))),
        next,
        "nextExpiry"
    );
    if u128::from(b.total) + u128::from(b.frozen) + u128::from(b.held) > 0 {
        assert!(b.display, "credits but no display");
    }
    for w in b.lots.windows(2) {
        let ord = w[1]
            .agent_only
            .cmp(&w[0].agent_only)
            .then_with(|| lot_order(&w[0], &w[1]));
        assert_eq!(ord, Ordering::Less, "lots listed out of order");
    }
}

/// The whole wallet: ledger signs and totals, the last total is the balance at the clock, and conservation:
/// sum of grants = usable + held + consumed (charges + captures - refunds) + expired + frozen, in i128.
pub fn check_wallet(w: &Wallet) {
    let Some(clock) = w.clock() else {
        assert!(w.ledger().is_empty(), "ledger entries without a clock");
        return;
    };
    let b = match w.balance(clock) {
        Ok(b) => b,
        Err(e) => panic!("balance at the wallet clock {clock} failed: {e}"),
    };
    assert_eq!(b.at, clock);
    check_balance(&b);
    let (mut granted, mut charged, mut refunded, mut held_in, mut released, mut expired) =
        (0i128, 0i128, 0i128, 0i128, 0i128, 0i128);
    let mut prev_total = 0i128;
    let mut prev_at: Option<Instant> = None;
    for (n, e) in w.ledger().iter().enumerate() {
        assert_eq!(e.seq, n as u64 + 1, "ledger seq");
        assert!(
            e.at <= clock && prev_at.is_none_or(|p| p <= e.at),
            "ledger time order at seq {}",
            e.seq
        );
        prev_at = Some(e.at);
        let c = i128::from(e.credits);
        let t = i128::from(e.total);
        match e.entry_type {
            EntryType::Grant => {
                assert!(c > 0, "grant {c}");
                assert_eq!(t, prev_total + c, "grant entry total (seq {})", e.seq);
                granted += c;
            }
            EntryType::Charge => {
                assert!(c < 0, "charge {c}");
                assert_eq!(t, prev_total + c, "charge entry total (seq {})", e.seq);
                charged -= c;
            }
            EntryType::Hold => {
                assert!(c < 0, "hold {c}");
                assert_eq!(t, prev_total + c, "hold entry total (seq {})", e.seq);
                held_in -= c;
            }
            EntryType::Capture => {
                assert_eq!(c, 0, "capture amount");
                assert_eq!(t, prev_total, "capture entry total (seq {})", e.seq);
            }
            EntryType::Refund | EntryType::Release => {
                assert!(c > 0, "{:?} {c}", e.entry_type);
                assert!(
                    t >= prev_total && t <= prev_total + c,
                    "{:?} entry total (seq {})",
                    e.entry_type,
                    e.seq
                );
                if e.entry_type == EntryType::Refund {
                    refunded += c;
                } else {
                    released += c;
                }
            }
            EntryType::Expire => {
                assert!(c < 0, "expire {c}");
                assert!(
                    t == prev_total || t == prev_total + c,
                    "expire entry total (seq {})",
                    e.seq
                );
                expired -= c;
            }
            EntryType::Freeze => {
                assert!(c > 0, "freeze {c}");
                assert_eq!(t, prev_total - c, "freeze entry total (seq {})", e.seq);
            }
            EntryType::Unfreeze => {
                assert!(c > 0, "unfreeze {c}");
                assert_eq!(t, prev_total + c, "unfreeze entry total (seq {})", e.seq);
            }
        }
        assert!(t >= 0, "negative total at seq {}", e.seq);
        prev_total = t;
    }
    assert_eq!(
        prev_total,
        i128::from(b.total),
        "last ledger total != balance(clock).total"
    );
    let held = i128::from(b.held);
    let captured = held_in - released - held;
    assert!(captured >= 0, "captured credits negative: {captured}");
    let consumed = charged + captured - refunded;
    assert!(consumed >= 0, "consumed credits negative: {consumed}");
    assert_eq!(
        granted,
        i128::from(b.total) + held + consumed + expired + i128::from(b.frozen),
        "conservation: granted != usable + held + consumed + expired + frozen"
    );
}

/// The snapshot round trip: the reloaded twin equals the wallet and writes the same bytes. Returns the twin.
pub fn round_trip(w: &Wallet) -> Wallet {
    let text = snapshot(w);
    let twin = match Wallet::from_snapshot_json(&text) {
        Ok(t) => t,
        Err(e) => panic!("a wallet's own snapshot does not load: {e}\n{text}"),
    };
    // Not `twin == *w`: a wallet in memory may still hold spent lots that nothing points at (removed in batches,
    // never written to a snapshot; SPEC 9), so the comparison is of what both write.
    assert_eq!(
        snapshot(&twin),
        text,
        "snapshot not byte-identical after a round trip"
    );
    twin
}

/// `to_snapshot_json`, which must not fail.
pub fn snapshot(w: &Wallet) -> String {
    let text = match w.to_snapshot_json() {
        Ok(s) => s,
        Err(e) => panic!("to_snapshot_json failed: {e}"),
    };
    // The bound the wallet keeps for its size limit is never below its snapshot (README "Limits").
    assert!(
        text.len() <= w.snapshot_size_bound(),
        "snapshot of {} bytes above the wallet's bound {}",
        text.len(),
        w.snapshot_size_bound()
    );
    text
}
