//! SPEC section 1 calendar rules: local wall clock in the account's IANA zone, months added anchored on the start
//! day and clamped to month end, anniversaries keeping the local time to the millisecond, a DST gap resolving to the
//! first instant after the gap and an overlap to the earlier instant.
//!
//! The cases live as data in `tests/vectors/calendar.json` so the JS runtimes can replay the very same vectors.
//! Format: a JSON array of objects, each
//!
//! ```text
//! { "group":    a behaviour name (the named tests below run one group each),
//!   "zone":     IANA zone name,
//!   "op":       "startOfNextDay" | "addMonths" | "toLocal",
//!   "input":    an instant, ISO-8601 UTC ("2026-01-31T16:00:00.000Z"),
//!   "months":   whole number, only for "addMonths",
//!   "expected": for startOfNextDay / addMonths an instant in toISOString() form;
//!               for toLocal the local wall time "YYYY-MM-DDTHH:MM:SS.mmm" (no offset),
//!   "note":     free text for people }
//! ```
//!
//! startOfNextDay(zone, input) = first instant of the local day after input's local day.
//! addMonths(zone, input, months) = same local day of month (clamped to month end) and same local time, `months`
//! months later. Every expected value was checked against Python's zoneinfo independently of the engine.

mod common;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use common::*;
use credit_engine::calendar::TimeZone;
use credit_engine::time::MS_PER_DAY;
use credit_engine::{ErrorCode, Kind};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/calendar.json");

fn vectors() -> Vec<Value> {
    let v: Value = serde_json::from_str(VECTORS).expect("calendar.json is JSON");
    v.as_array().expect("calendar.json is an array").clone()
}

fn local_text(l: &NaiveDateTime) -> String {
    l.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

/// Runs one vector; returns a description of the mismatch, if any.
fn run(v: &Value) -> Result<(), String> {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("vector {v} lacks '{k}'"))
    };
    let zone = TimeZone::new(s("zone")).map_err(|e| e.to_string())?;
    let input = t(s("input"));
    let expected = s("expected");
    let got = match s("op") {
        "startOfNextDay" => zone
            .start_of_next_day(input)
            .map_err(|e| e.to_string())?
            .to_iso(),
        "addMonths" => {
            let months = v.get("months").and_then(Value::as_u64).expect("months") as u32;
            zone.add_months(input, months)
                .map_err(|e| e.to_string())?
                .to_iso()
        }
        "toLocal" => local_text(&zone.to_local(input).map_err(|e| e.to_string())?),
        other => panic!("unknown op {other}"),
    };
    if got == expected {
        Ok(())
    } else {
        Err(format!("{v}: got {got}"))
    }
}

fn run_group(group: &str) {
    let all = vectors();
    let cases: Vec<&Value> = all
        .iter()
        .filter(|v| v.get("group").and_then(Value::as_str) == Some(group))
        .collect();
    assert!(!cases.is_empty(), "no vectors in group {group}");
    let failures: Vec<String> = cases.iter().filter_map(|v| run(v).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_calendar_vector_holds() {
    let all = vectors();
    assert!(all.len() >= 40);
    let failures: Vec<String> = all.iter().filter_map(|v| run(v).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn calendar_vectors_cover_all_five_zones_and_three_ops() {
    let all = vectors();
    for zone in [
        "America/New_York",
        "Europe/Berlin",
        "Australia/Sydney",
        "America/Sao_Paulo",
        "Asia/Shanghai",
    ] {
        assert!(
            all.iter().any(|v| v["zone"] == zone),
            "no vector for {zone}"
        );
    }
    for op in ["startOfNextDay", "addMonths", "toLocal"] {
        assert!(all.iter().any(|v| v["op"] == op), "no vector for {op}");
    }
}

#[test]
fn start_of_next_day_is_the_next_local_midnight() {
    run_group("next_day");
}

#[test]
fn months_are_anchored_on_the_start_day_and_clamped_to_month_end() {
    run_group("month_clamp");
}

#[test]
fn anniversaries_keep_the_local_time_to_the_millisecond() {
    run_group("month_keeps_local_time");
}

#[test]
fn a_local_time_in_a_dst_gap_resolves_to_the_first_instant_after_the_gap() {
    run_group("dst_gap");
}

#[test]
fn an_ambiguous_local_time_in_a_dst_overlap_resolves_to_the_earlier_instant() {
    run_group("dst_overlap");
}

#[test]
fn to_local_gives_the_wall_clock_time_of_the_zone() {
    run_group("to_local");
}

#[test]
fn from_local_resolves_gaps_and_overlaps_and_round_trips_ordinary_times() {
    let ny = TimeZone::new("America/New_York").unwrap();
    let at = |y, m, d, h, mi| {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    };
    // Gap: 02:30 on 2026-03-08 does not exist -> 03:00 EDT.
    assert_eq!(
        ny.from_local(&at(2026, 3, 8, 2, 30)).unwrap(),
        t("2026-03-08T07:00:00Z")
    );
    // Overlap: 01:30 on 2026-11-01 happens twice -> the earlier (EDT).
    assert_eq!(
        ny.from_local(&at(2026, 11, 1, 1, 30)).unwrap(),
        t("2026-11-01T05:30:00Z")
    );
    // Ordinary: round trip.
    let instant = t("2026-06-15T16:45:12.345Z");
    assert_eq!(
        ny.from_local(&ny.to_local(instant).unwrap()).unwrap(),
        instant
    );
}

#[test]
fn adding_months_to_every_day_of_a_year_clamps_and_never_goes_backwards() {
    for zone in ["America/New_York", "Australia/Sydney", "America/Sao_Paulo"] {
        let tz = TimeZone::new(zone).unwrap();
        let mut at = t("2018-01-01T12:00:00Z");
        for _ in 0..366 {
            let start = tz.to_local(at).unwrap();
            for months in [1u32, 2, 12, 24] {
                let next = tz.add_months(at, months).unwrap();
                assert!(next > at, "{zone} {at} + {months}");
                let l = tz.to_local(next).unwrap();
                let month_index = start.year() * 12 + start.month() as i32 - 1 + months as i32;
                assert_eq!(
                    l.year() * 12 + l.month() as i32 - 1,
                    month_index,
                    "{zone} {at}"
                );
                assert!(l.day() <= start.day(), "{zone} {at} + {months}: day grew");
            }
            at = plus(at, MS_PER_DAY);
        }
    }
}

#[test]
fn an_unknown_zone_is_refused() {
    for name in [
        "Mars/Olympus_Mons",
        "",
        "+05:00",
        "Europe/Berlin ",
        "../etc",
    ] {
        assert_eq!(code(TimeZone::new(name)), ErrorCode::TimeZone, "{name:?}");
    }
}

#[test]
fn membership_distributions_follow_the_anchored_clamped_calendar() {
    // Jan 31 10:00 Berlin: Feb 28, Mar 31 (now CEST, still 10:00 local), Apr 30.
    let mut w = member(
        "Europe/Berlin",
        "2026-01-31T09:00:00Z",
        "2026-05-15T00:00:00Z",
        10,
        0,
    );
    w.daily_login(t("2026-05-10T10:00:00Z"), c(1)).unwrap();
    let grants: Vec<_> = entries_of(&w, credit_engine::EntryType::Grant)
        .into_iter()
        .filter(|e| e.kind == Some(Kind::Membership))
        .map(|e| e.at)
        .collect();
    assert_eq!(
        grants,
        vec![
            t("2026-01-31T09:00:00Z"),
            t("2026-02-28T09:00:00Z"),
            t("2026-03-31T08:00:00Z"),
            t("2026-04-30T08:00:00Z"),
        ]
    );
}

#[test]
fn membership_anniversaries_are_counted_from_the_anchor_not_chained_through_a_dst_gap() {
    // Anchored at local midnight Oct 4 2018 in Sao Paulo. Nov 4 00:00 did not exist (-> 01:00 -02), but Dec 4 is
    // back at 00:00 local, not at 01:00.
    let mut w = member(
        "America/Sao_Paulo",
        "2018-10-04T03:00:00Z",
        "2019-01-01T00:00:00Z",
        10,
        0,
    );
    w.daily_login(t("2018-12-20T12:00:00Z"), c(1)).unwrap();
    let grants: Vec<_> = entries_of(&w, credit_engine::EntryType::Grant)
        .into_iter()
        .filter(|e| e.kind == Some(Kind::Membership))
        .map(|e| e.at)
        .collect();
    assert_eq!(
        grants,
        vec![
            t("2018-10-04T03:00:00Z"),
            t("2018-11-04T03:00:00Z"),
            t("2018-12-04T02:00:00Z"),
        ]
    );
}

#[test]
fn local_times_resolve_as_chrono_tz_resolves_them() {
    // The calendar resolves local times from UTC offsets alone (the only thing the host's Intl can give); natively
    // chrono-tz also resolves them from its transition table. Both must agree on every half hour of three years,
    // through every gap and overlap of the vector zones.
    use chrono::{MappedLocalTime, TimeZone as _};
    use credit_engine::calendar::resolve_local;
    for zone in [
        "America/New_York",
        "Europe/Berlin",
        "Australia/Sydney",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
    ] {
        let tz = TimeZone::new(zone).unwrap();
        let mut local = NaiveDate::from_ymd_opt(2017, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let (mut gaps, mut overlaps) = (0, 0);
        while local.year() < 2020 {
            let ours = resolve_local(tz.rules(), &local).unwrap();
            let theirs = tz
                .rules()
                .from_local_datetime(&local)
                .map(|t| t.timestamp_millis());
            match theirs {
                MappedLocalTime::None => gaps += 1,
                MappedLocalTime::Ambiguous(..) => overlaps += 1,
                MappedLocalTime::Single(_) => {}
            }
            assert_eq!(ours, theirs, "{zone} {local}");
            local += chrono::TimeDelta::minutes(30);
        }
        assert!(
            gaps >= 3 && overlaps >= 3,
            "{zone}: {gaps} gaps, {overlaps} overlaps"
        );
    }
}
