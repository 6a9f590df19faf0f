//! `Instant`: a point in time as whole milliseconds since 1970-01-01T00:00:00Z, with strict ISO-8601 parsing and
//! formatting identical to JavaScript's `Date.prototype.toISOString`. Dates and times are chrono's: an instant
//! converts to and from `DateTime<Utc>`, text is validated and combined with `NaiveDate`/`NaiveTime`/`FixedOffset`
//! and written as fixed-width digits of chrono's fields (checked against chrono's RFC 3339 writer). The engine
//! never reads a clock: every instant comes from the caller.

use crate::error::{clip, num_text, Error, ErrorCode, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use std::fmt;

/// Earliest supported instant: 0001-01-01T00:00:00.000Z.
pub const MIN_MS: i64 = -62_135_596_800_000;
/// Latest supported instant: 9999-12-31T23:59:59.999Z.
pub const MAX_MS: i64 = 253_402_300_799_999;

pub const MS_PER_SECOND: i64 = 1_000;
pub const MS_PER_DAY: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(i64);

fn time_err(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Time, message)
}

impl Instant {
    /// From epoch milliseconds; outside years 0001..=9999 is `E_TIME`.
    pub fn from_millis(ms: i64) -> Result<Instant> {
        if !(MIN_MS..=MAX_MS).contains(&ms) {
            return Err(time_err(format!(
                "{ms} ms since the epoch is outside the supported years 0001 to 9999"
            )));
        }
        Ok(Instant(ms))
    }

    /// From a JS number of epoch milliseconds: must be a finite whole number in range.
    pub fn from_f64_millis(ms: f64) -> Result<Instant> {
        if !ms.is_finite() || ms.fract() != 0.0 {
            return Err(time_err(format!(
                "a time as a number must be whole epoch milliseconds, got {}",
                num_text(ms)
            )));
        }
        if ms < MIN_MS as f64 || ms > MAX_MS as f64 {
            return Err(time_err(format!(
                "{} ms since the epoch is outside the supported years 0001 to 9999",
                num_text(ms)
            )));
        }
        Instant::from_millis(ms as i64)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// `self + ms`, refusing to leave the supported range.
    pub fn add_millis(self, ms: i64) -> Result<Instant> {
        self.0
            .checked_add(ms)
            .ok_or_else(|| time_err("time arithmetic overflowed"))
            .and_then(Instant::from_millis)
    }

    /// Parses ISO-8601 date-time text that carries `Z` or a UTC offset, e.g. `2026-01-31T10:00:00Z`,
    /// `2026-01-31T10:00:00.250+01:00`. Seconds and fractions are optional; fractions beyond milliseconds are
    /// truncated. Impossible dates (Feb 30), missing offsets and anything else are `E_TIME`.
    pub fn parse(text: &str) -> Result<Instant> {
        parse_iso(text).ok_or_else(|| {
            let shown = clip(text, 64);
            time_err(format!(
                "'{shown}' is not an ISO-8601 date-time with a Z or a UTC offset (e.g. 2026-01-31T10:00:00Z)"
            ))
        })?
    }

    /// The instant `to_iso` wrote as exactly this text (`YYYY-MM-DDTHH:MM:SS.mmmZ`), or `None` for any other text:
    /// one instant has one such text, so comparing instants compares the texts.
    pub fn from_canonical(text: &str) -> Option<Instant> {
        parse_canonical(text).flatten().and_then(|r| r.ok())
    }

    /// The instant as a chrono UTC date-time (always representable: chrono's range is far wider than 0001..9999).
    pub fn to_datetime(self) -> DateTime<Utc> {
        // `from_millis` keeps every instant inside chrono's range, so the default (the epoch) is never taken.
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// From a chrono date-time in any zone; sub-millisecond parts are dropped, outside years 0001..=9999 is `E_TIME`.
    pub fn from_datetime<Tz: TimeZone>(at: &DateTime<Tz>) -> Result<Instant> {
        Instant::from_millis(at.timestamp_millis())
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as JavaScript's `toISOString` writes it (years are always four digits here).
    pub fn to_iso(self) -> String {
        self.with_iso(str::to_string)
    }

    /// [`Instant::to_iso`]'s text lent to `f`, without an allocation (a snapshot writes two per lot).
    pub fn with_iso<T>(self, f: impl FnOnce(&str) -> T) -> T {
        let bytes = self.iso_bytes();
        // ASCII digits and separators only.
        f(std::str::from_utf8(&bytes).unwrap_or_default())
    }

    /// Chrono's date and time fields, written as fixed-width digits. A test checks the text against chrono's
    /// RFC 3339 writer.
    fn iso_bytes(self) -> [u8; 24] {
        use chrono::{Datelike, Timelike};
        let t = self.to_datetime();
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut v: u32| {
            for k in (at..at + width).rev() {
                if let Some(b) = out.get_mut(k) {
                    *b = b'0' + (v % 10) as u8;
                }
                v /= 10;
            }
        };
        // Years 1..=9999 only (`from_millis`), so four digits and never a sign.
        put(0, 4, t.year().unsigned_abs());
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        put(20, 3, t.timestamp_subsec_millis());
        out
    }
}

impl From<Instant> for DateTime<Utc> {
    fn from(at: Instant) -> DateTime<Utc> {
        at.to_datetime()
    }
}

impl TryFrom<DateTime<Utc>> for Instant {
    type Error = Error;
    fn try_from(at: DateTime<Utc>) -> Result<Instant> {
        Instant::from_datetime(&at)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

// The text is read by a small fixed-width scanner and everything it finds is handed to chrono, which decides whether
// the date, time and offset exist and computes the instant. chrono's own parsers do not accept exactly SPEC 8's set:
// `DateTime::parse_from_rfc3339` requires seconds (refusing `2026-01-31T10:00Z`), accepts the leap second `:60` and
// refuses `+0100`/`+01` offsets and `,` fractions; `%Y` in a format string takes any number of digits and a sign, so
// reproducing the set would take several format strings plus checks around them, and chrono's format-string
// machinery costs about 5 KB gzipped in the module (docs: TOOLCHAIN "Sizes of the card's crates").

/// A cursor over ASCII bytes; `None` anywhere means "not the format".
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn digits(&mut self, n: usize) -> Option<u32> {
        let mut v: u32 = 0;
        for _ in 0..n {
            let c = self.peek()?;
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
            self.pos += 1;
        }
        Some(v)
    }
}

fn parse_iso(text: &str) -> Option<Result<Instant>> {
    match parse_canonical(text) {
        Some(found) => found,
        None => parse_general(text),
    }
}

/// The form this engine and JavaScript's `toISOString` write, `YYYY-MM-DDTHH:MM:SS.mmmZ`, read in one step (a
/// snapshot of 1,000 lots has 2,000 of them). `None`: not that form, for [`parse_general`]; otherwise exactly what
/// [`parse_general`] answers for the same text (checked by a test), with chrono deciding what exists.
fn parse_canonical(text: &str) -> Option<Option<Result<Instant>>> {
    let bytes: &[u8; 24] = text.as_bytes().try_into().ok()?;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1, b'.', f0, f1, f2, b'Z'] =
        *bytes
    else {
        return None;
    };
    // Each digit's value; a byte that is not a digit wraps past 9.
    let v = |b: u8| u32::from(b.wrapping_sub(b'0'));
    let digits = [
        y0, y1, y2, y3, m0, m1, d0, d1, h0, h1, i0, i1, s0, s1, f0, f1, f2,
    ];
    if digits.iter().any(|&b| v(b) > 9) {
        return None;
    }
    let year = v(y0) * 1000 + v(y1) * 100 + v(y2) * 10 + v(y3);
    if year == 0 {
        return Some(None);
    }
    let exists = || {
        let date = NaiveDate::from_ymd_opt(
            i32::try_from(year).ok()?,
            v(m0) * 10 + v(m1),
            v(d0) * 10 + v(d1),
        )?;
        let time = NaiveTime::from_hms_milli_opt(
            v(h0) * 10 + v(h1),
            v(i0) * 10 + v(i1),
            v(s0) * 10 + v(s1),
            v(f0) * 100 + v(f1) * 10 + v(f2),
        )?;
        Some(Instant::from_millis(
            date.and_time(time).and_utc().timestamp_millis(),
        ))
    };
    Some(exists())
}

fn parse_general(text: &str) -> Option<Result<Instant>> {
    if text.len() > 64 {
        return None;
    }
    let mut c = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    let mut second = 0;
    let mut millis = 0;
    if c.eat(b':') {
        second = c.digits(2)?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.pos;
            let mut scale = 100;
            while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                millis += u32::from(d - b'0') * scale;
                scale /= 10;
                c.pos += 1;
            }
            let n = c.pos - start;
            if n == 0 || n > 9 {
                return None;
            }
        }
    }
    let offset_seconds: i32 = if c.eat(b'Z') || c.eat(b'z') {
        0
    } else {
        let sign = if c.eat(b'+') {
            1
        } else if c.eat(b'-') {
            -1
        } else {
            return None;
        };
        let oh = c.digits(2)?;
        let colon = c.eat(b':');
        let om = if colon || c.peek().is_some() {
            c.digits(2)?
        } else {
            0
        };
        // +00:75 would be a valid 4,500 s for chrono, but it is not how an offset is written.
        if oh > 23 || om > 59 {
            return None;
        }
        sign * i32::try_from(oh * 3_600 + om * 60).ok()?
    };
    if c.pos != c.bytes.len() {
        return None;
    }
    // Year 0 is refused before the offset is applied (0000-12-31T23:30-01:00 would land in year 1).
    if year == 0 {
        return None;
    }
    // chrono decides what exists: Feb 30, month 13, hour 24, second 60 and offsets of a day or more are `None`.
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = NaiveTime::from_hms_milli_opt(hour, minute, second, millis)?;
    let offset = FixedOffset::east_opt(offset_seconds)?;
    let utc = date.and_time(time).checked_sub_offset(offset)?;
    Some(Instant::from_millis(utc.and_utc().timestamp_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digit writer gives exactly chrono's RFC 3339 text (milliseconds, `Z`), across the whole range: both
    /// ends, every month's edges and random instants.
    #[test]
    fn iso_text_is_chronos_rfc_3339_text() {
        let chrono_text = |i: Instant| {
            i.to_datetime()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        let span = (MAX_MS - MIN_MS) as u64 + 1;
        let check = |ms: i64| {
            let i = Instant::from_millis(ms).expect("in range");
            assert_eq!(i.to_iso(), chrono_text(i), "{ms}");
        };
        check(MIN_MS);
        check(MAX_MS);
        check(0);
        check(-1);
        for _ in 0..300_000 {
            check(MIN_MS + (next() % span) as i64);
        }
        for year in [1, 4, 100, 1600, 1970, 2000, 2024, 2026, 9999] {
            for month in 1..=12 {
                let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a date");
                let ms = first
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_utc()
                    .timestamp_millis();
                check(ms);
                if ms > MIN_MS {
                    check(ms - 1);
                }
            }
        }
    }

    /// The one-step reading of the canonical form answers exactly what the general scanner answers.
    #[test]
    fn canonical_form_reads_as_the_general_scanner_does() {
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let mut checked = 0;
        for k in 0..200_000u64 {
            let r = next();
            // Mostly plausible fields, with out-of-range ones (month 13, Feb 30, hour 24, second 60, year 0).
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                if k % 50 == 0 { 0 } else { r % 10_000 },
                (r >> 14) % 14,
                (r >> 18) % 33,
                (r >> 24) % 26,
                (r >> 30) % 61,
                (r >> 36) % 62,
                (r >> 42) % 1000
            );
            let fast = parse_canonical(&text).expect("the canonical form");
            let general = parse_general(&text);
            assert_eq!(
                fast.map(|r| r.map_err(|e| e.message.clone())),
                general.map(|r| r.map_err(|e| e.message.clone())),
                "{text}"
            );
            checked += 1;
        }
        assert_eq!(checked, 200_000);
        for other in [
            "2026-01-31T10:00:00Z",
            "2026-01-31T10:00:00.000+00:00",
            "2026-01-31t10:00:00.000Z",
            "2026-01-31T10:00:00.000z",
            "+026-01-31T10:00:00.000Z",
            "2026-01-31T10:00:00,000Z",
        ] {
            assert!(parse_canonical(other).is_none(), "{other}");
        }
    }

    #[test]
    fn converts_to_and_from_chrono() {
        for ms in [MIN_MS, -1, 0, 1, 1_769_853_600_123, MAX_MS] {
            let at = Instant(ms);
            let dt: DateTime<Utc> = at.into();
            assert_eq!(dt.timestamp_millis(), ms);
            assert_eq!(Instant::try_from(dt).unwrap(), at);
        }
        let past = DateTime::from_timestamp_millis(MAX_MS + 1).unwrap();
        assert_eq!(Instant::try_from(past).unwrap_err().code, ErrorCode::Time);
    }

    #[test]
    fn formats_like_javascript() {
        assert_eq!(Instant(0).to_iso(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Instant(MAX_MS).to_iso(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Instant(MIN_MS).to_iso(), "0001-01-01T00:00:00.000Z");
    }
}
