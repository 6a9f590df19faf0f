//! Arbitrary bytes into `Wallet::from_snapshot_json`. Any wallet that loads must write a snapshot that loads back
//! to an equal wallet and the same bytes; `balance`, `preview`, `project`, `next_change` at its clock and a small
//! charge (on a copy) must not panic, and a failed charge must leave the snapshot unchanged.
#![no_main]

use credit_engine::{Catalog, Credits, Instant, UsageRequest, Wallet};
use credit_engine_fuzz::invariants::{check_error, round_trip, snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let w = match Wallet::from_snapshot_json(&text) {
        Ok(w) => w,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    let written = snapshot(&w);
    round_trip(&w);

    // 2026-01-01T00:00:00Z when the wallet has no clock yet.
    let clock = w.clock().unwrap_or_else(|| {
        Instant::from_millis(1_767_225_600_000).unwrap_or_else(|e| panic!("{e}"))
    });
    let cat = Catalog::default_catalog();
    let reads = [
        w.balance(clock).err(),
        w.preview(
            &UsageRequest::feature("agent.image_generation"),
            clock,
            &cat,
        )
        .err(),
        w.preview(&UsageRequest::feature("ai_background"), clock, &cat)
            .err(),
        clock
            .add_millis(31 * 86_400_000)
            .ok()
            .and_then(|to| w.project(clock, to).err()),
        w.next_change(clock).err(),
    ];
    for e in reads.iter().flatten() {
        check_error(e);
    }
    assert_eq!(snapshot(&w), written, "a read changed the wallet");

    for feature in ["agent.image_editing", "ai_background"] {
        let mut copy = w.clone();
        match copy.charge(&UsageRequest::feature(feature), clock, "fuzz-charge", &cat) {
            Ok(_) => {
                round_trip(&copy);
            }
            Err(e) => {
                check_error(&e);
                assert_eq!(
                    snapshot(&copy),
                    written,
                    "a failed charge changed the wallet: {e}"
                );
            }
        }
    }
    // A mutation an hour later (daily login of 5 credits) on a copy.
    if let (Ok(later), Ok(five)) = (clock.add_millis(3_600_000), Credits::new(5)) {
        let mut copy = w.clone();
        match copy.daily_login(later, five) {
            Ok(_) => {
                round_trip(&copy);
            }
            Err(e) => {
                check_error(&e);
                assert_eq!(
                    snapshot(&copy),
                    written,
                    "a failed daily login changed the wallet: {e}"
                );
            }
        }
    }
    // Version 2 (SPEC 9): a wallet whose ledger was taken writes a snapshot without it that loads back with the same
    // nextSeq; a mutation past the retention window forgets records and drops spent lots, and still round-trips.
    let mut taken = w.clone();
    let next = taken.next_seq();
    let entries = taken.take_ledger();
    assert_eq!(next, taken.next_seq(), "taking the ledger changed nextSeq");
    assert!(entries.iter().all(|e| e.seq < next), "a taken entry at or after nextSeq");
    assert_eq!(round_trip(&taken).next_seq(), next);
    let days = i64::from(taken.retention_days()) + 1;
    if let (Ok(later), Ok(one)) = (clock.add_millis(days * 86_400_000), Credits::new(1)) {
        match taken.daily_login(later, one) {
            Ok(_) => {
                round_trip(&taken);
            }
            Err(e) => check_error(&e),
        }
    }
});
