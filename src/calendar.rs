//! Calendar maths on the account's local wall clock: IANA zones, the start of the next local day, and month
//! arithmetic anchored on a start day and clamped to month end. DST gaps resolve to the first instant after the gap,
//! overlaps to the earlier instant (SPEC section 1).
//!
//! Zone *rules* (the UTC offset in force at an instant) come from a pluggable [`ZoneRules`] source; everything else
//! (gap/overlap resolution, month clamping) is written once here. Natively the source is the IANA database compiled
//! in by `chrono-tz`; in WebAssembly the JS layer installs a source backed by the host's `Intl`, which every target
//! runtime ships, so the module does not carry its own copy of the database.

use crate::error::{Error, ErrorCode, Result};
use crate::time::{civil_from_days, days_from_civil, days_in_month, Instant, MS_PER_DAY};
use std::sync::OnceLock;

/// A source of UTC offsets for IANA zone names.
pub trait ZoneRules: Send + Sync {
    /// `Ok(())` if the zone is known, else a short reason.
    fn validate(&self, zone: &str) -> std::result::Result<(), String>;
    /// Milliseconds to add to UTC to get local wall time, at the UTC instant `utc_ms`; `None` if unknown.
    fn offset_ms(&self, zone: &str, utc_ms: i64) -> Option<i64>;
}

static RULES: OnceLock<Box<dyn ZoneRules>> = OnceLock::new();

/// Installs the zone-rules source; the first one installed wins (returns false if one was already there).
pub fn install_zone_rules(rules: Box<dyn ZoneRules>) -> bool {
    RULES.set(rules).is_ok()
}

fn rules() -> Result<&'static dyn ZoneRules> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        Ok(RULES
            .get_or_init(|| Box::new(native::ChronoTzRules))
            .as_ref())
    }
    #[cfg(target_arch = "wasm32")]
    {
        RULES.get().map(|r| r.as_ref()).ok_or_else(|| {
            Error::new(
                ErrorCode::TimeZone,
                "no time-zone rules are installed: call ready() first",
            )
        })
    }
}

/// A wall-clock date and time with no zone attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    /// Milliseconds since local midnight.
    pub ms_of_day: i64,
}

impl LocalDateTime {
    fn as_utc_ms(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * MS_PER_DAY + self.ms_of_day
    }
    fn from_utc_ms(ms: i64) -> LocalDateTime {
        let (year, month, day) = civil_from_days(ms.div_euclid(MS_PER_DAY));
        LocalDateTime {
            year,
            month,
            day,
            ms_of_day: ms.rem_euclid(MS_PER_DAY),
        }
    }
    /// Local calendar day as a day count since 1970-01-01 (a stable key for "one per local day").
    pub fn day_number(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }
}

/// The account's IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    name: String,
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
        rules()?.validate(name).map_err(|why| {
            Error::new(
                ErrorCode::TimeZone,
                format!("unknown time zone '{shown}': {why}"),
            )
        })?;
        Ok(TimeZone {
            name: name.to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UTC offset in force at `utc_ms`, in milliseconds.
    fn offset(&self, utc_ms: i64) -> Result<i64> {
        rules()?.offset_ms(&self.name, utc_ms).ok_or_else(|| {
            Error::new(
                ErrorCode::TimeZone,
                format!("no offset for zone '{}'", self.name),
            )
        })
    }

    /// The local wall-clock date and time at an instant.
    pub fn to_local(&self, at: Instant) -> Result<LocalDateTime> {
        let ms = at.millis();
        Ok(LocalDateTime::from_utc_ms(ms + self.offset(ms)?))
    }

    /// The instant a local wall-clock time denotes: an ambiguous time (DST overlap) is the earlier instant; a time
    /// that does not exist (DST gap) is the first instant after the gap.
    pub fn from_local(&self, local: &LocalDateTime) -> Result<Instant> {
        let wall = local.as_utc_ms();
        // Offsets in force a day either side (and at the wall time read as UTC) cover every transition near `wall`.
        let around = [
            self.offset(wall - MS_PER_DAY)?,
            self.offset(wall)?,
            self.offset(wall + MS_PER_DAY)?,
        ];
        let mut best: Option<i64> = None;
        for off in around {
            let t = wall - off;
            if self.offset(t)? == off {
                best = Some(best.map_or(t, |b: i64| b.min(t)));
            }
        }
        let ms = match best {
            Some(t) => t,
            None => {
                // In a gap: the wall time read with the earlier offset lands after the transition and read with
                // the later offset lands before it. Search the transition instant between them.
                let (before, after) = (around[0], around[2]);
                let mut lo = wall - after;
                let mut hi = wall - before;
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let lo_offset = self.offset(lo)?;
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if self.offset(mid)? == lo_offset {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                hi
            }
        };
        Instant::from_millis(ms)
    }

    /// The first instant of the local calendar day after the one containing `at`.
    pub fn start_of_next_day(&self, at: Instant) -> Result<Instant> {
        let today = self.to_local(at)?;
        let (year, month, day) = civil_from_days(today.day_number() + 1);
        self.from_local(&LocalDateTime {
            year,
            month,
            day,
            ms_of_day: 0,
        })
    }

    /// The instant `months` calendar months after `anchor` on the local wall clock: same day of month (clamped to
    /// the month's last day) and the same local time to the millisecond.
    pub fn add_months(&self, anchor: Instant, months: u32) -> Result<Instant> {
        let start = self.to_local(anchor)?;
        let index = start.year * 12 + i64::from(start.month) - 1 + i64::from(months);
        let year = index.div_euclid(12);
        let month = (index.rem_euclid(12) + 1) as u32;
        if year > 9999 {
            return Err(Error::new(
                ErrorCode::Time,
                "date arithmetic went past the year 9999",
            ));
        }
        let day = start.day.min(days_in_month(year, month));
        self.from_local(&LocalDateTime {
            year,
            month,
            day,
            ms_of_day: start.ms_of_day,
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::ZoneRules;
    use chrono::{DateTime, Offset, TimeZone as _};
    use chrono_tz::Tz;

    /// The IANA database compiled into `chrono-tz` (native builds only).
    pub struct ChronoTzRules;

    fn lookup(zone: &str) -> Option<Tz> {
        zone.parse::<Tz>()
            .ok()
            .or_else(|| Tz::from_str_insensitive(zone).ok())
    }

    impl ZoneRules for ChronoTzRules {
        fn validate(&self, zone: &str) -> Result<(), String> {
            lookup(zone)
                .map(|_| ())
                .ok_or_else(|| "not in the IANA time-zone database".to_string())
        }
        fn offset_ms(&self, zone: &str, utc_ms: i64) -> Option<i64> {
            let tz = lookup(zone)?;
            let utc = DateTime::from_timestamp_millis(utc_ms)?.naive_utc();
            Some(i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1_000)
        }
    }
}
