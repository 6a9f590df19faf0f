//! Zone rules from the host's `Intl` (every runtime we target ships the IANA database): [`IntlZone`], a chrono
//! `TimeZone` and the calendar's [`crate::calendar::Rules`] in WebAssembly. Only "what is the UTC offset at this
//! instant" is asked of the host; DST gap and overlap resolution stay in the Rust calendar
//! ([`crate::calendar::resolve_local`]), identical in every runtime.

use crate::calendar::{resolve_local, ZoneRules};
use chrono::{
    FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use js_sys::{Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    type Dtf;
    #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = "DateTimeFormat")]
    fn new(locale: &str, options: &Object) -> Result<Dtf, JsValue>;
    #[wasm_bindgen(catch, method)]
    fn format(this: &Dtf, ms: f64) -> Result<String, JsValue>;
}

thread_local! {
    /// One formatter per zone: constructing an Intl.DateTimeFormat is the expensive part.
    static FORMATTERS: RefCell<Vec<(String, Dtf)>> = const { RefCell::new(Vec::new()) };
}

fn formatter(zone: &str) -> Option<Dtf> {
    let options = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&options, &k.into(), &v.into()).is_ok();
    let ok = set("timeZone", zone)
        && set("hourCycle", "h23")
        && set("year", "numeric")
        && set("month", "numeric")
        && set("day", "numeric")
        && set("hour", "numeric")
        && set("minute", "numeric")
        && set("second", "numeric")
        && set("era", "short");
    if !ok {
        return None;
    }
    Dtf::new("en-US", &options).ok()
}

fn with_formatter<T>(zone: &str, f: impl FnOnce(&Dtf) -> Option<T>) -> Option<T> {
    FORMATTERS.with(|cell| {
        let mut list = cell.try_borrow_mut().ok()?;
        let pos = match list.iter().position(|(z, _)| z == zone) {
            Some(pos) => pos,
            None => {
                if list.len() >= 16 {
                    list.remove(0);
                }
                list.push((zone.to_string(), formatter(zone)?));
                list.len() - 1
            }
        };
        f(&list.get(pos)?.1)
    })
}

/// An IANA zone whose offsets the host's `Intl.DateTimeFormat` computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntlZone {
    name: String,
}

/// The offset of an [`IntlZone`] at some instant (chrono's `TimeZone` needs an offset that knows its zone).
#[derive(Debug, Clone)]
pub struct IntlOffset {
    zone: IntlZone,
    fix: FixedOffset,
}

impl Offset for IntlOffset {
    fn fix(&self) -> FixedOffset {
        self.fix
    }
}

impl IntlZone {
    fn offset(&self, fix: FixedOffset) -> IntlOffset {
        IntlOffset {
            zone: self.clone(),
            fix,
        }
    }
}

impl ZoneRules for IntlZone {
    fn lookup(name: &str) -> Result<Self, String> {
        with_formatter(name, |_| Some(()))
            .map(|()| IntlZone {
                name: name.to_string(),
            })
            .ok_or_else(|| "not known to this runtime's Intl time-zone data".into())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn offset_at(&self, utc: &NaiveDateTime) -> Option<FixedOffset> {
        // Intl has second resolution: compare the wall time with the instant floored to the second.
        let utc_s = utc.and_utc().timestamp().checked_mul(1000)?;
        with_formatter(&self.name, |dtf| {
            // en-US with these options reads "M/D/Y AD, HH:MM:SS" in every runtime (formatToParts would cost two
            // property reads and two strings per part): the six numbers in order, and the era.
            let text = dtf.format(utc_s as f64).ok()?;
            let mut n = [0u32; 6];
            let mut count = 0;
            let mut in_number = false;
            for b in text.bytes() {
                if b.is_ascii_digit() {
                    if !in_number {
                        count += 1;
                    }
                    in_number = true;
                    let slot = n.get_mut(count - 1)?;
                    *slot = slot.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
                } else {
                    in_number = false;
                }
            }
            let [mo, d, y, h, mi, s] = n;
            if count != 6 {
                return None;
            }
            // 1 BC is year 0 (ISO 8601); hour 24 (some ICU versions at midnight) is 0.
            let y = i32::try_from(y).ok()?;
            let y = if text.bytes().any(|b| b == b'B') {
                1 - y
            } else {
                y
            };
            let local = NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h % 24, mi, s)?;
            let local_s = local.and_utc().timestamp();
            FixedOffset::east_opt(i32::try_from(local_s.checked_sub(utc_s / 1000)?).ok()?)
        })
    }
}

/// A chrono time zone like any other. Local times resolve through the calendar's one implementation; an offset the
/// host cannot give (it never fails for a zone it accepted) reads as UTC here, while the calendar itself asks
/// through [`ZoneRules::offset_at`] and reports `E_TIME_ZONE`.
impl TimeZone for IntlZone {
    type Offset = IntlOffset;

    fn from_offset(offset: &IntlOffset) -> IntlZone {
        offset.zone.clone()
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<IntlOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<IntlOffset> {
        let wall = local.and_utc().timestamp_millis();
        let at = |utc_ms: i64| {
            let secs = i32::try_from((wall - utc_ms) / 1000).ok()?;
            Some(self.offset(FixedOffset::east_opt(secs)?))
        };
        match resolve_local(self, local) {
            Ok(MappedLocalTime::Single(t)) => {
                at(t).map_or(MappedLocalTime::None, MappedLocalTime::Single)
            }
            Ok(MappedLocalTime::Ambiguous(a, b)) => match (at(a), at(b)) {
                (Some(a), Some(b)) => MappedLocalTime::Ambiguous(a, b),
                _ => MappedLocalTime::None,
            },
            _ => MappedLocalTime::None,
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> IntlOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> IntlOffset {
        self.offset(self.offset_at(utc).unwrap_or(Utc.fix()))
    }
}
