//! Property tests of SPEC section 9 over random histories: the host takes the ledger at random moments and saves
//! and reloads the wallet at others, time jumps past retention windows, and after every step:
//! - seq continuity: every entry ever taken, then the held ones, are numbered 1, 2, 3... without gap or repeat;
//! - conservation over taken plus held entries: grants + refunds + releases - charges - holds - expiries equals the
//!   usable plus frozen credits at the wallet clock;
//! - a snapshot round trip is lossless (the reloaded wallet writes the same bytes and keeps its seq);
//! - the snapshot carries only live lots: every lot it lists has credits or is named by an open hold or a record.
mod common;
use common::*;
use credit_engine::{EntryType, ErrorCode, Instant, LedgerEntry, Wallet};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Wait(i64),
    Login,
    Purchase(u8),
    Charge(u8),
    Refund(u8),
    Hold(u32),
    Capture(u8),
    Release(u8),
    Take,
    Reload,
    Replay(u8),
}

const FEATURES: [&str; 5] = [
    "ai_extender",
    "agent.image_generation",
    "ai_model",
    "agent.ppt",
    "private_model",
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1i64..6 * DAY).prop_map(Step::Wait),
        1 => (6 * DAY..40 * DAY).prop_map(Step::Wait),
        3 => Just(Step::Login),
        1 => any::<u8>().prop_map(Step::Purchase),
        8 => any::<u8>().prop_map(Step::Charge),
        3 => any::<u8>().prop_map(Step::Refund),
        2 => (60u32..20 * 86_400).prop_map(Step::Hold),
        2 => any::<u8>().prop_map(Step::Capture),
        1 => any::<u8>().prop_map(Step::Release),
        3 => Just(Step::Take),
        2 => Just(Step::Reload),
        2 => any::<u8>().prop_map(Step::Replay),
    ]
}

/// Signed effect of an entry on usable + frozen credits (freeze/unfreeze move between the two; a capture is 0).
fn effect(e: &LedgerEntry) -> i128 {
    match e.entry_type {
        EntryType::Freeze | EntryType::Unfreeze | EntryType::Capture => 0,
        _ => i128::from(e.credits),
    }
}

struct Run {
    w: Wallet,
    now: Instant,
    taken: Vec<LedgerEntry>,
    charges: Vec<(String, Instant, usize)>,
    holds: Vec<String>,
    n: u32,
}

impl Run {
    fn check(&self) {
        let all: Vec<&LedgerEntry> = self.taken.iter().chain(self.w.ledger()).collect();
        for (k, e) in all.iter().enumerate() {
            assert_eq!(e.seq, k as u64 + 1, "seq continuity across takes");
        }
        assert_eq!(self.w.next_seq(), all.len() as u64 + 1);
        if let Some(clock) = self.w.clock() {
            let b = self.w.balance(clock).unwrap();
            let sum: i128 = all.iter().map(|e| effect(e)).sum();
            assert_eq!(
                sum,
                i128::from(b.total) + i128::from(b.frozen),
                "conservation over taken plus held entries"
            );
            if let Some(last) = all.last() {
                assert_eq!(last.total, b.total, "the last entry's total is the balance");
            }
        }
        let text = snap(&self.w);
        let back = Wallet::from_snapshot_json(&text).unwrap();
        assert_eq!(snap(&back), text, "lossless snapshot round trip");
        assert_eq!(back.next_seq(), self.w.next_seq());
        // Live lots only: a reloaded wallet holds no lot that a removal would drop.
        let mut pruned = back.clone();
        let before = pruned.lot_count();
        pruned.take_ledger();
        assert_eq!(
            Wallet::from_snapshot_json(&snap(&pruned))
                .unwrap()
                .lot_count(),
            before
        );
    }

    fn id(&mut self, p: &str) -> String {
        self.n += 1;
        format!("{p}{}", self.n)
    }

    fn apply(&mut self, s: &Step) {
        let cat = cat();
        match s {
            Step::Wait(ms) => self.now = plus(self.now, *ms),
            Step::Login => {
                self.w.daily_login(self.now, c(7)).unwrap();
            }
            Step::Purchase(n) => {
                let id = self.id("p");
                self.w
                    .purchase(&id, self.now, c(u64::from(*n) + 1))
                    .unwrap();
            }
            Step::Charge(f) => {
                let id = self.id("c");
                let r = req(FEATURES[usize::from(*f) % FEATURES.len()]);
                match self.w.charge(&r, self.now, &id, &cat) {
                    Ok(ch) => self.charges.push((id, self.now, ch.units as usize)),
                    Err(e) => assert_eq!(e.code, ErrorCode::Insufficient),
                }
            }
            Step::Refund(k) => {
                if self.charges.is_empty() {
                    return;
                }
                let (id, at, _) = self.charges[usize::from(*k) % self.charges.len()].clone();
                match self.w.refund(&id, 1, self.now, None) {
                    Ok(_) => {}
                    Err(e) => {
                        let forgotten = !self.w.has_record(&id)
                            || self.now.millis() - at.millis()
                                > i64::from(self.w.retention_days()) * DAY;
                        assert!(
                            matches!(e.code, ErrorCode::RefundExceeds)
                                || (forgotten && e.code == ErrorCode::NotFound),
                            "{e}"
                        );
                    }
                }
            }
            Step::Hold(ttl) => {
                let id = self.id("h");
                if self
                    .w
                    .hold(
                        &req("ai_model"),
                        self.now,
                        &id,
                        u64::from(*ttl) * 1000,
                        &cat,
                    )
                    .is_ok()
                {
                    self.holds.push(id);
                }
            }
            Step::Capture(k) | Step::Release(k) => {
                if self.holds.is_empty() {
                    return;
                }
                let id = self.holds[usize::from(*k) % self.holds.len()].clone();
                let r = if matches!(s, Step::Capture(_)) {
                    self.w.capture(&id, 1, self.now).map(|ch| {
                        self.charges.push((id.clone(), self.now, ch.units as usize));
                    })
                } else {
                    self.w.release(&id, self.now)
                };
                if let Err(e) = r {
                    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
                }
            }
            Step::Take => {
                let mut t = self.w.take_ledger();
                self.taken.append(&mut t);
            }
            Step::Reload => {
                self.w = Wallet::from_snapshot_json(&snap(&self.w)).unwrap();
            }
            Step::Replay(k) => {
                // A held charge record replays with its first result and changes nothing.
                if self.charges.is_empty() {
                    return;
                }
                let (id, at, _) = self.charges[usize::from(*k) % self.charges.len()].clone();
                if id.starts_with('c') && self.w.has_record(&id) {
                    let before = snap(&self.w);
                    let feature = FEATURES.iter().find_map(|f| {
                        self.w
                            .charge(&req(f), at, &id, &cat)
                            .ok()
                            .map(|_| f.to_string())
                    });
                    assert!(feature.is_some(), "a held charge replays");
                    assert_eq!(snap(&self.w), before, "a replay changes nothing");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn history_leaves_the_wallet_without_losing_anything(
        retention in 1u32..10,
        steps in proptest::collection::vec(step(), 1..120),
    ) {
        let mut w = Wallet::create_with("America/New_York", retention).unwrap();
        let start = t("2026-01-01T12:00:00Z");
        w.activate_membership(start, t("2028-01-01T12:00:00Z"), c(60), c(20)).unwrap();
        let mut run = Run { w, now: start, taken: Vec::new(), charges: Vec::new(), holds: Vec::new(), n: 0 };
        for s in &steps {
            run.apply(s);
            run.check();
        }
    }
}
