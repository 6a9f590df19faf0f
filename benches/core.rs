//! Native micro-benchmark of the hot reads: `Wallet::preview` (an agent and a non-agent feature), `Wallet::balance`
//! and `Wallet::from_snapshot_json`, on wallets of 10, 1,000 and 10,000 lots. Plain `std::time`, no criterion.
//!
//! Run: `cargo bench --bench core` (the `bench` profile: opt-level 3, thin LTO).
//!
//! Wallets: the 10- and 1,000-lot wallets are built through the public API (an active membership with monthly
//! distributions, a daily login every day, promotions with expiries from a week to a year, purchases). The
//! 10,000-lot wallet is the 1,000-lot one replicated 10 times through its snapshot (ids suffixed, copies granted at
//! the last original grant, expiries shifted by a few ms), because building it call by call is quadratic (every
//! mutation copies the state). Every read happens
//! at the wallet clock, where no scheduled event is due (checked), so reads never copy the state.
//!
//! Targets: preview and balance grow no worse than n log n (a step of n by k may cost at most about
//! k x log(k n) / log(n): 300x from 10 to 1,000 lots, 13.3x from 1,000 to 10,000; 10,000 lots of this kind are
//! about 4 MiB of snapshot, half the 8 MiB a wallet may reach), and a 10-lot preview stays
//! under 1 microsecond.

use credit_engine::{Catalog, Credits, EntryType, Instant, UsageRequest, Wallet};
use std::hint::black_box;
use std::time::Instant as Clock;

const DAY: i64 = 86_400_000;
const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// A small deterministic generator (no dependencies).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn at(ms: i64) -> Instant {
    Instant::from_millis(ms).expect("instant")
}

fn credits(n: u64) -> Credits {
    Credits::new(n).expect("credits")
}

/// A wallet of exactly `n` lots (n >= 10) built through the public API.
fn build(n: usize) -> Wallet {
    let mut w = Wallet::create("Europe/Berlin").expect("zone");
    let mut rng = Lcg(n as u64);
    w.activate_membership(at(T0), at(T0 + 3 * 365 * DAY), credits(500), credits(200))
        .expect("membership");
    // Every lot has exactly one grant entry (no zero-credit lots here).
    let count = |w: &Wallet| {
        w.ledger()
            .iter()
            .filter(|e| e.entry_type == EntryType::Grant)
            .count()
    };
    // Grants per day so that the wallet reaches n lots in about two months (10 lots: a few days).
    let per_day = (n / 60).max(2);
    let mut day = 0i64;
    let mut seq = 0usize;
    'days: loop {
        let base = T0 + day * DAY + 9 * 3_600_000;
        if count(&w) >= n {
            break;
        }
        w.daily_login(at(base), credits(5)).expect("daily login");
        for k in 0..per_day {
            if count(&w) >= n {
                break 'days;
            }
            let t = base + 60_000 * (k as i64 + 1);
            seq += 1;
            if k % 2 == 0 {
                let ttl = (7 + rng.next(358) as i64) * DAY;
                w.grant_promotion(
                    &format!("promo-{seq}"),
                    at(t),
                    credits(10 + rng.next(90)),
                    at(t + ttl),
                )
                .expect("promotion");
            } else {
                w.purchase(&format!("buy-{seq}"), at(t), credits(100 + rng.next(900)))
                    .expect("purchase");
            }
        }
        day += 1;
    }
    w
}

fn lot_count(w: &Wallet) -> usize {
    let v: serde_json::Value =
        serde_json::from_str(&w.to_snapshot_json().expect("snapshot")).expect("json");
    v["lots"].as_array().map_or(0, Vec::len)
}

/// The wallet's lots replicated `times` times (ids suffixed, live expiries shifted by the copy number in ms).
fn replicate(w: &Wallet, times: usize) -> Wallet {
    let mut v: serde_json::Value =
        serde_json::from_str(&w.to_snapshot_json().expect("snapshot")).expect("json");
    let lots = v["lots"].as_array().expect("lots").clone();
    // Copies come after the originals (record and hold indices stay valid), granted at the last original's time so
    // the list stays in grant order as loading requires.
    let last_grant = lots
        .last()
        .and_then(|l| l["grantedAt"].as_str())
        .expect("grantedAt")
        .to_string();
    let mut out = Vec::with_capacity(lots.len() * times);
    for copy in 0..times {
        for lot in &lots {
            let mut lot = lot.clone();
            if copy > 0 {
                let id = format!("{}~{copy}", lot["id"].as_str().expect("id"));
                lot["id"] = id.into();
                lot["grantedAt"] = last_grant.clone().into();
                if let Some(e) = lot["expiresAt"].as_str() {
                    let shifted = Instant::parse(e)
                        .and_then(|e| e.add_millis(copy as i64))
                        .expect("expiry");
                    lot["expiresAt"] = shifted.to_iso().into();
                }
            }
            out.push(lot);
        }
    }
    v["lots"] = serde_json::Value::Array(out);
    Wallet::from_snapshot_json(&v.to_string()).expect("replicated snapshot")
}

/// Median ns per call over `batches` batches of `iters` calls.
fn time<T>(batches: usize, iters: usize, mut f: impl FnMut() -> T) -> f64 {
    for _ in 0..iters.min(1_000) {
        black_box(f());
    }
    let mut per_call: Vec<f64> = (0..batches)
        .map(|_| {
            let start = Clock::now();
            for _ in 0..iters {
                black_box(f());
            }
            start.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    per_call[per_call.len() / 2]
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let cat = Catalog::default_catalog();
    let agent = UsageRequest::feature("agent.image_generation");
    let regular = UsageRequest::feature("ai_background");

    let small = build(10);
    let medium = build(1_000);
    let large = replicate(&medium, 10);
    let wallets = [(10usize, &small), (1_000, &medium), (10_000, &large)];

    println!("credit-engine native micro-benchmark (median of batches, ns per call)\n");
    let mut rows: Vec<(&str, Vec<f64>)> = vec![
        ("preview agent.image_generation", vec![]),
        ("preview ai_background", vec![]),
        ("balance", vec![]),
    ];
    for (n, w) in wallets {
        let clock = w.clock().expect("clock");
        let next = w.next_change(clock).expect("next change");
        assert!(
            next.is_none_or(|t| t > clock),
            "events due at the read instant"
        );
        let live = w.balance(clock).expect("balance").lots.len();
        let all = lot_count(w);
        println!("{n:>7}-lot wallet: {all} lots ({live} with credits), read at {clock}");
        let p = w.preview(&agent, clock, &cat).expect("preview");
        assert!(p.sufficient);
        let q = w.preview(&regular, clock, &cat).expect("preview");
        assert!(q.sufficient);
        let (batches, iters) = match n {
            10 => (15, 200_000),
            1_000 => (11, 2_000),
            _ => (9, 200),
        };
        rows[0].1.push(time(batches, iters, || {
            w.preview(&agent, clock, &cat).expect("preview")
        }));
        rows[1].1.push(time(batches, iters, || {
            w.preview(&regular, clock, &cat).expect("preview")
        }));
        rows[2]
            .1
            .push(time(batches, iters, || w.balance(clock).expect("balance")));
    }

    println!(
        "\n{:<32} {:>10} {:>10} {:>10}   {:>10} {:>12}",
        "operation", "10", "1,000", "10,000", "x 10->1k", "x 1k->10k"
    );
    for (name, t) in &rows {
        println!(
            "{:<32} {:>10} {:>10} {:>10}   {:>9.1}x {:>11.1}x",
            name,
            fmt_ns(t[0]),
            fmt_ns(t[1]),
            fmt_ns(t[2]),
            t[1] / t[0],
            t[2] / t[1]
        );
    }
    println!(
        "{:<32} {:>10} {:>10} {:>10}   {:>9.1}x {:>11.1}x",
        "n log n bound", "", "", "", 300.0, 13.3
    );

    let snap = medium.to_snapshot_json().expect("snapshot");
    let load = time(11, 200, || Wallet::from_snapshot_json(&snap).expect("load"));
    println!(
        "\nfrom_snapshot_json, 1,000-lot wallet ({} KiB, {} ledger entries): {} per call",
        snap.len() / 1024,
        medium.ledger().len(),
        fmt_ns(load)
    );

    let preview10 = rows[0].1[0].max(rows[1].1[0]);
    println!(
        "\n10-lot preview target < 1 us: {} ({})",
        if preview10 < 1_000.0 { "met" } else { "MISSED" },
        fmt_ns(preview10)
    );
    for (name, t) in &rows {
        let ok = t[1] / t[0] <= 300.0 && t[2] / t[1] <= 13.3;
        println!(
            "{name}: growth {} n log n",
            if ok { "within" } else { "WORSE THAN" }
        );
    }
}
