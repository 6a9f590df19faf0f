//! Tiny helpers shared by the integration tests. Prices are never written here: a test that needs a price asks the
//! default catalog (`cost(..)`), so a rule of SPEC section 3 is stated once, in `tests/pricing.rs`.
#![allow(dead_code)]

use credit_engine::spend::Draw;
use credit_engine::{
    Catalog, Credits, EntryType, Error, ErrorCode, Instant, Kind, LedgerEntry, UsageRequest, Wallet,
};

pub const SECOND: i64 = 1_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// An instant from ISO-8601 text (panics on bad test input).
pub fn t(text: &str) -> Instant {
    Instant::parse(text).unwrap_or_else(|e| panic!("bad test instant {text}: {e}"))
}

/// `at` moved by `ms` milliseconds.
pub fn plus(at: Instant, ms: i64) -> Instant {
    at.add_millis(ms).expect("instant in range")
}

/// A credit amount.
pub fn c(n: u64) -> Credits {
    Credits::new(n).expect("credits in range")
}

/// The embedded default catalog.
pub fn cat() -> Catalog {
    Catalog::default_catalog()
}

/// A request for a feature with the catalog's defaults.
pub fn req(feature: &str) -> UsageRequest {
    UsageRequest::feature(feature)
}

/// What a request costs under the default catalog.
pub fn cost(r: &UsageRequest) -> u64 {
    cat().quote(r).expect("quotable request").credits.get()
}

/// The unit price of a feature's general tier under the default catalog.
pub fn unit_price(feature: &str) -> u64 {
    cat()
        .quote(&req(feature).units(1))
        .expect("quotable")
        .unit_credits
        .get()
}

/// A new empty wallet.
pub fn wallet(zone: &str) -> Wallet {
    Wallet::create(zone).expect("known zone")
}

/// A wallet whose membership started at `at` (until `until`) with the given monthly amounts.
pub fn member(zone: &str, at: &str, until: &str, monthly: u64, agent: u64) -> Wallet {
    let mut w = wallet(zone);
    w.activate_membership(t(at), t(until), c(monthly), c(agent))
        .expect("activation");
    w
}

/// The code of an error result (panics if the call succeeded).
pub fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> ErrorCode {
    match r {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e.code,
    }
}

/// The error of a result (panics if the call succeeded).
pub fn err<T: std::fmt::Debug>(r: Result<T, Error>) -> Error {
    match r {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e,
    }
}

/// The wallet's snapshot text (its toJSON).
pub fn snap(w: &Wallet) -> String {
    w.to_snapshot_json().expect("snapshot")
}

/// Runs a call that must fail with `expected` and proves the wallet did not change at all.
pub fn fails_unchanged<T: std::fmt::Debug>(
    w: &mut Wallet,
    expected: ErrorCode,
    f: impl FnOnce(&mut Wallet) -> Result<T, Error>,
) -> Error {
    let before = snap(w);
    let ledger_len = w.ledger().len();
    let e = err(f(w));
    assert_eq!(e.code, expected, "wrong code: {e}");
    assert!(!e.message.is_empty(), "an error must say what to do");
    assert_eq!(w.ledger().len(), ledger_len, "ledger changed on failure");
    assert_eq!(snap(w), before, "wallet changed on failure");
    e
}

/// Draws as (lot id, credits) pairs, in order.
pub fn draws(d: &[Draw]) -> Vec<(String, u64)> {
    d.iter()
        .map(|d| (d.lot_id.to_string(), d.credits.get()))
        .collect()
}

/// Draws as (kind, credits) pairs, in order.
pub fn draw_kinds(d: &[Draw]) -> Vec<(Kind, u64)> {
    d.iter().map(|d| (d.kind, d.credits.get())).collect()
}

/// Shorthand for expected draws.
pub fn ds(items: &[(&str, u64)]) -> Vec<(String, u64)> {
    items.iter().map(|(id, n)| (id.to_string(), *n)).collect()
}

/// The lot id the engine gives a lot it makes itself (README: `kind@instant`).
pub fn engine_lot(kind: Kind, at: &str) -> String {
    format!("{}@{}", kind.as_str(), t(at))
}

/// Credits left in a lot (usable or frozen) as of `at`, 0 if it is not listed.
pub fn lot_credits(w: &Wallet, id: &str, at: Instant) -> u64 {
    w.balance(at)
        .expect("balance")
        .lots
        .iter()
        .find(|l| l.id == id)
        .map_or(0, |l| l.credits)
}

/// The ledger entries of one type.
pub fn entries_of(w: &Wallet, ty: EntryType) -> Vec<LedgerEntry> {
    w.ledger()
        .iter()
        .filter(|e| e.entry_type == ty)
        .cloned()
        .collect()
}

/// The ledger as (type, at, credits) triples, for compact comparisons.
pub fn ledger_brief(w: &Wallet) -> Vec<(EntryType, Instant, i64)> {
    w.ledger()
        .iter()
        .map(|e| (e.entry_type, e.at, e.credits))
        .collect()
}

/// A value's JSON text (the shape JavaScript receives).
pub fn json_of<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("JSON")
}
