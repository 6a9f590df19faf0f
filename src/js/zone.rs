//! Zone rules from the host's `Intl` (every runtime we target ships the IANA database), installed into the core's
//! calendar at module start. Only "what is the UTC offset at this instant" is asked of the host; DST gap and
//! overlap resolution stay in the Rust calendar, identical in every runtime.

use crate::calendar::ZoneRules;
use crate::time::days_from_civil;
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

pub struct IntlRules;

impl ZoneRules for IntlRules {
    fn validate(&self, zone: &str) -> Result<(), String> {
        with_formatter(zone, |_| Some(()))
            .ok_or_else(|| "not known to this runtime's Intl time-zone data".into())
    }

    fn offset_ms(&self, zone: &str, utc_ms: i64) -> Option<i64> {
        // Intl has second resolution: compare the wall time with the instant floored to the second.
        let utc_s = utc_ms.div_euclid(1000) * 1000;
        with_formatter(zone, |dtf| {
            // en-US with these options reads "M/D/Y AD, HH:MM:SS" in every runtime (formatToParts would cost two
            // property reads and two strings per part): the six numbers in order, and the era.
            let text = dtf.format(utc_s as f64).ok()?;
            let mut n = [0i64; 6];
            let mut count = 0;
            let mut in_number = false;
            for b in text.bytes() {
                if b.is_ascii_digit() {
                    if !in_number {
                        count += 1;
                    }
                    in_number = true;
                    let slot = n.get_mut(count - 1)?;
                    *slot = slot.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
                } else {
                    in_number = false;
                }
            }
            let [mo, d, y, h, mi, s] = n;
            if count != 6 {
                return None;
            }
            // 1 BC is year 0 (ISO 8601); hour 24 (some ICU versions at midnight) is 0.
            let y = if text.bytes().any(|b| b == b'B') {
                1 - y
            } else {
                y
            };
            let local = days_from_civil(y, u32::try_from(mo).ok()?, u32::try_from(d).ok()?)
                * 86_400_000
                + (h % 24) * 3_600_000
                + mi * 60_000
                + s * 1000;
            Some(local - utc_s)
        })
    }
}
