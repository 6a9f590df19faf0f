//! Resource limits (README "Limits"): no wallet can grow past the 8 MiB snapshot the engine loads, the change that
//! would take it there is refused with E_BAD_REQUEST and changes nothing, and the loader refuses what is larger.

mod common;

use common::*;
use credit_engine::snapshot::MAX_SNAPSHOT_BYTES;
use credit_engine::state::MAX_LOTS;
use credit_engine::{ErrorCode, Wallet};

#[test]
fn a_wallet_cannot_grow_past_the_snapshot_it_could_load_again() {
    let mut w = wallet("UTC");
    let start = t("2026-01-01T00:00:00Z");
    w.activate_membership(start, plus(start, 300 * DAY), c(1), c(1))
        .unwrap();
    w.purchase("bulk", start, c(1_000_000_000)).unwrap();
    let mut refused = None;
    // Charges with the longest ids: about 1 KB of ledger entry and idempotency record each.
    for i in 0..40_000 {
        let id = format!("{i:0>128}");
        match w.charge(&req("ai_background"), plus(start, 1000 + i), &id, &cat()) {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.code, ErrorCode::BadRequest, "{e}");
                assert!(e.message.contains("8 MiB"), "{e}");
                refused = Some((i, e));
                break;
            }
        }
    }
    let (i, _) = refused.expect("the wallet grew without limit");
    let text = w.to_snapshot_json().unwrap();
    assert!(text.len() <= MAX_SNAPSHOT_BYTES, "{} bytes", text.len());
    // Not refused far from the limit: the bound is within a few percent of the truth near it.
    assert!(
        text.len() > MAX_SNAPSHOT_BYTES * 9 / 10,
        "refused at {} bytes",
        text.len()
    );
    // The refused change changed nothing, the wallet still loads, and reads and small changes still work.
    let again = w.charge(
        &req("ai_background"),
        plus(start, 1000 + i),
        &format!("{i:0>128}"),
        &cat(),
    );
    assert_eq!(again.unwrap_err().code, ErrorCode::BadRequest);
    assert_eq!(w.to_snapshot_json().unwrap(), text);
    let mut loaded = Wallet::from_snapshot_json(&text).unwrap();
    assert_eq!(loaded.to_snapshot_json().unwrap(), text);
    // Loaded again, it is held to the same limit.
    let more = loaded.charge(
        &req("ai_background"),
        plus(start, 1000 + i),
        &format!("{i:0>128}"),
        &cat(),
    );
    assert_eq!(more.unwrap_err().code, ErrorCode::BadRequest);
    assert_eq!(loaded.to_snapshot_json().unwrap(), text);
    assert!(w.balance(plus(start, 100_000)).is_ok());
}

#[test]
fn the_loader_refuses_what_is_larger_than_the_limits() {
    let big = format!("{{\"format\":\"{}\"}}", " ".repeat(MAX_SNAPSHOT_BYTES));
    let e = Wallet::from_snapshot_json(&big).unwrap_err();
    assert_eq!(e.code, ErrorCode::Snapshot);
    assert!(e.message.contains("limit"), "{e}");
    // One lot more than a wallet may hold (tiny lots: the text itself is within the byte limit).
    let lot = |i: usize| {
        format!(
            "{{\"id\":\"l{i}\",\"kind\":\"purchased\",\"credits\":1,\"granted\":1,\"grantedAt\":\"2026-01-01T00:00:00.000Z\",\"expiresAt\":null,\"frozen\":false,\"expired\":false}}"
        )
    };
    let one = Wallet::create("UTC").unwrap().to_snapshot_json().unwrap();
    let lots: Vec<String> = (0..=MAX_LOTS).map(lot).collect();
    let text = one.replace("\"lots\":[]", &format!("\"lots\":[{}]", lots.join(",")));
    assert!(text.len() < MAX_SNAPSHOT_BYTES, "{}", text.len());
    let e = Wallet::from_snapshot_json(&text).unwrap_err();
    assert_eq!(e.code, ErrorCode::Snapshot, "{e}");
}

#[test]
fn the_size_bound_covers_charges_that_draw_on_many_lots_with_long_ids() {
    let mut w = wallet("UTC");
    let start = t("2026-01-01T00:00:00Z");
    // 300 one-credit promotions with 128-byte ids of quotes (escaped: twice as long), then one charge that draws on
    // every one of them, and its refund.
    for i in 0..300 {
        let id = format!("{i:\"<128}");
        w.grant_promotion(&id, plus(start, i), c(1), plus(start, 300 * DAY))
            .unwrap();
    }
    let mut agent = req("agent.image_generation");
    agent.units = Some(150);
    // Each change adds to the bound at least what it adds to the snapshot.
    let sizes = |w: &Wallet| (w.to_snapshot_json().unwrap().len(), w.snapshot_size_bound());
    let (len0, bound0) = sizes(&w);
    w.charge(&agent, plus(start, 1000), "all-of-them", &cat())
        .unwrap();
    let (len1, bound1) = sizes(&w);
    // Version 2 names a lot by its index in the snapshot (two or three bytes for each draw, base64url), not by
    // its id.
    assert!(
        len1 > len0 + 300 * 3,
        "the record names every lot: {len0} -> {len1}"
    );
    assert!(
        bound1 - bound0 >= len1 - len0,
        "grew {} but the bound {}",
        len1 - len0,
        bound1 - bound0
    );
    w.refund("all-of-them", 150, plus(start, 2000), Some("back"))
        .unwrap();
    let (len2, bound2) = sizes(&w);
    assert!(
        bound2 - bound1 >= len2.saturating_sub(len1),
        "grew {} but the bound {}",
        len2.saturating_sub(len1),
        bound2 - bound1
    );
    assert!(len2 <= bound2);
    // A hold on all of them and a capture that keeps it all (its record names each kept lot; no lot changes).
    w.hold(&agent, plus(start, 3000), "hold-all", 600_000, &cat())
        .unwrap();
    let (len3, bound3) = sizes(&w);
    assert!(bound3 - bound2 >= len3.saturating_sub(len2));
    w.capture("hold-all", 150, plus(start, 4000)).unwrap();
    let (len4, bound4) = sizes(&w);
    // The capture's record names the kept lots by index (binary), shorter than the open hold's JSON draws that
    // leave; whatever the difference, the bound covers it.
    assert!(
        bound4 - bound3 >= len4.saturating_sub(len3),
        "grew {} but the bound {}",
        len4.saturating_sub(len3),
        bound4 - bound3
    );
}
