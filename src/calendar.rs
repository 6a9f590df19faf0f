//! Calendar maths on the account's local wall clock: IANA zones, the start of the next local day, and month
//! arithmetic anchored on a start day and clamped to month end. DST gaps resolve to the first instant after the gap,
//! overlaps to the earlier instant (SPEC section 1).
//!
//! Local dates and times are chrono's `NaiveDate`/`NaiveDateTime`, months are added with chrono's `Months` (which
//! clamps the day to the month's end). Zone *rules* come from a chrono [`chrono::TimeZone`] chosen per target
//! ([`Rules`]): natively the IANA database compiled into `chrono-tz`; in WebAssembly a zone backed by the host's
//! `Intl` (`js/zone.rs`), which every target runtime ships, so the module carries no database of its own. The
//! calendar asks a zone only for the offset in force at a UTC instant; turning a local time back into an instant
//! (gaps and overlaps) is written once here, for both, and is what the `Intl` zone's own `TimeZone` impl uses
//! (natively, chrono-tz's own resolution from its transition table agrees with it: `tests/calendar.rs`).

use crate::error::{Error, ErrorCode, Result};
use crate::time::Instant;
use chrono::{
    DateTime, Days, FixedOffset, MappedLocalTime, Months, NaiveDateTime, NaiveTime, Offset,
};
use std::fmt::Debug;

/// A source of zone rules: a chrono time zone that can be found by IANA name.
pub trait ZoneRules: chrono::TimeZone + Debug + PartialEq + Eq {
    /// The zone of this name, or a short reason why there is none.
    fn lookup(name: &str) -> std::result::Result<Self, String>;

    /// The zone's IANA name.
    fn name(&self) -> &str;

    /// The offset in force at a UTC date-time: `offset_from_utc_datetime(utc).fix()`, but `None` when the source
    /// cannot tell (the host's `Intl` failed), where chrono's trait has no way to say so.
    fn offset_at(&self, utc: &NaiveDateTime) -> Option<FixedOffset> {
        Some(self.offset_from_utc_datetime(utc).fix())
    }
}

/// The zone rules of this target.
#[cfg(not(target_arch = "wasm32"))]
pub type Rules = chrono_tz::Tz;
/// The zone rules of this target.
#[cfg(target_arch = "wasm32")]
pub type Rules = crate::js::zone::IntlZone;

#[cfg(not(target_arch = "wasm32"))]
impl ZoneRules for chrono_tz::Tz {
    fn lookup(name: &str) -> std::result::Result<Self, String> {
        name.parse::<chrono_tz::Tz>()
            .ok()
            .or_else(|| chrono_tz::Tz::from_str_insensitive(name).ok())
            .ok_or_else(|| "not in the IANA time-zone database".to_string())
    }

    fn name(&self) -> &str {
        chrono_tz::Tz::name(*self)
    }
}

fn zone_err(zone: &str) -> Error {
    Error::new(ErrorCode::TimeZone, format!("no offset for zone '{zone}'"))
}

fn range_err() -> Error {
    Error::new(ErrorCode::Time, "date arithmetic went past the year 9999")
}

/// Milliseconds of a UTC date-time since the epoch (the engine's unit for instants).
fn millis(utc: &NaiveDateTime) -> i64 {
    utc.and_utc().timestamp_millis()
}

/// The UTC date-time `ms` milliseconds after the epoch.
fn utc_at(ms: i64) -> Result<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.naive_utc())
        .ok_or_else(range_err)
}

/// The offset of `zone` at `utc_ms`, in milliseconds.
fn offset_ms<Z: ZoneRules>(zone: &Z, utc_ms: i64) -> Result<i64> {
    let off = zone
        .offset_at(&utc_at(utc_ms)?)
        .ok_or_else(|| zone_err(zone.name()))?;
    Ok(i64::from(off.local_minus_utc()) * 1_000)
}

/// The instants (epoch milliseconds) a local wall time denotes in `zone`: one, two in an overlap (earlier first),
/// none in a gap. Asks only for offsets at UTC instants, so it is the same for every source of rules.
pub fn resolve_local<Z: ZoneRules>(
    zone: &Z,
    local: &NaiveDateTime,
) -> Result<MappedLocalTime<i64>> {
    Ok(Candidates::of(zone, local)?.found)
}

const DAY_MS: i64 = 86_400_000;

/// What resolving a local wall time learns: its instants, and the offsets in force around it.
struct Candidates {
    wall: i64,
    /// Offsets at the wall time read as UTC, a day before and a day after.
    before: i64,
    after: i64,
    found: MappedLocalTime<i64>,
}

impl Candidates {
    fn of<Z: ZoneRules>(zone: &Z, local: &NaiveDateTime) -> Result<Candidates> {
        let wall = millis(local);
        // Offsets in force a day either side (and at the wall time read as UTC) cover every transition near `wall`;
        // the instants they give that read back as `wall` are its candidates (the earliest and latest matter).
        let around = [
            offset_ms(zone, wall - DAY_MS)?,
            offset_ms(zone, wall)?,
            offset_ms(zone, wall + DAY_MS)?,
        ];
        let mut span: Option<(i64, i64)> = None;
        for off in around {
            let t = wall - off;
            if offset_ms(zone, t)? == off {
                span = Some(span.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
            }
        }
        let [before, _, after] = around;
        Ok(Candidates {
            wall,
            before,
            after,
            found: match span {
                None => MappedLocalTime::None,
                Some((t, u)) if t == u => MappedLocalTime::Single(t),
                Some((earlier, later)) => MappedLocalTime::Ambiguous(earlier, later),
            },
        })
    }
}

/// The instant a local wall time denotes: an ambiguous time (DST overlap) is the earlier instant; a time that does
/// not exist (DST gap) is the first instant after the gap.
fn local_to_utc_ms<Z: ZoneRules>(zone: &Z, local: &NaiveDateTime) -> Result<i64> {
    let c = Candidates::of(zone, local)?;
    match c.found {
        MappedLocalTime::Single(t) | MappedLocalTime::Ambiguous(t, _) => Ok(t),
        MappedLocalTime::None => {
            // In a gap: the wall time read with the earlier offset lands after the transition and read with the
            // later offset lands before it. Search the transition instant between them.
            let mut lo = c.wall - c.after;
            let mut hi = c.wall - c.before;
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let lo_offset = offset_ms(zone, lo)?;
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_ms(zone, mid)? == lo_offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            Ok(hi)
        }
    }
}

/// The account's IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    name: String,
    rules: Rules,
}

impl TimeZone {
    /// Validates an IANA zone name (e.g. `Europe/Berlin`); anything unknown is `E_TIME_ZONE`.
    pub fn new(name: &str) -> Result<TimeZone> {
        let plausible = !name.is_empty()
            && name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'+' | b'-'));
        let shown = crate::error::clip(name, 64);
        if !plausible {
            return Err(Error::new(
                ErrorCode::TimeZone,
                format!("'{shown}' is not an IANA time-zone name such as 'Europe/Berlin'"),
            ));
        }
        let rules = Rules::lookup(name).map_err(|why| {
            Error::new(
                ErrorCode::TimeZone,
                format!("unknown time zone '{shown}': {why}"),
            )
        })?;
        Ok(TimeZone {
            name: name.to_string(),
            rules,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's rules as a chrono time zone.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The local wall-clock date and time at an instant.
    pub fn to_local(&self, at: Instant) -> Result<NaiveDateTime> {
        let utc = at.to_datetime().naive_utc();
        let offset = self
            .rules
            .offset_at(&utc)
            .ok_or_else(|| zone_err(&self.name))?;
        utc.checked_add_offset(offset).ok_or_else(range_err)
    }

    /// The local calendar day at an instant as a day count since 1970-01-01 (a stable key for "one per local day").
    pub fn day_number(&self, at: Instant) -> Result<i64> {
        Ok(i64::from(self.to_local(at)?.date().to_epoch_days()))
    }

    /// The instant a local wall-clock time denotes: an ambiguous time (DST overlap) is the earlier instant; a time
    /// that does not exist (DST gap) is the first instant after the gap.
    pub fn from_local(&self, local: &NaiveDateTime) -> Result<Instant> {
        Instant::from_millis(local_to_utc_ms(&self.rules, local)?)
    }

    /// The first instant of the local calendar day after the one containing `at`.
    pub fn start_of_next_day(&self, at: Instant) -> Result<Instant> {
        let tomorrow = self
            .to_local(at)?
            .date()
            .checked_add_days(Days::new(1))
            .ok_or_else(range_err)?;
        self.from_local(&tomorrow.and_time(NaiveTime::MIN))
    }

    /// The instant `months` calendar months after `anchor` on the local wall clock: same day of month (clamped to
    /// the month's last day) and the same local time to the millisecond.
    pub fn add_months(&self, anchor: Instant, months: u32) -> Result<Instant> {
        let local = self
            .to_local(anchor)?
            .checked_add_months(Months::new(months))
            .filter(|l| chrono::Datelike::year(l) <= 9999)
            .ok_or_else(range_err)?;
        self.from_local(&local)
    }
}
