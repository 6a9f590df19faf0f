//! Zone rules from the host's `Intl` (every runtime we target ships the IANA database), installed into the core's
//! calendar at module start. Only "what is the UTC offset at this instant" is asked of the host; DST gap and
//! overlap resolution stay in the Rust calendar, identical in every runtime.

use crate::calendar::ZoneRules;
use crate::time::days_from_civil;
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    type Dtf;
    #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = "DateTimeFormat")]
    fn new(locale: &str, options: &Object) -> Result<Dtf, JsValue>;
    #[wasm_bindgen(catch, method, js_name = formatToParts)]
    fn format_to_parts(this: &Dtf, ms: f64) -> Result<Array, JsValue>;
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
            let parts = dtf.format_to_parts(utc_s as f64).ok()?;
            let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut bc) =
                (0i64, 0u32, 0u32, 0i64, 0i64, 0i64, false);
            for part in parts.iter() {
                let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
                let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
                let num = || value.trim().parse::<i64>().ok();
                match kind.as_str() {
                    "year" => y = num()?,
                    "month" => mo = u32::try_from(num()?).ok()?,
                    "day" => d = u32::try_from(num()?).ok()?,
                    "hour" => h = num()? % 24,
                    "minute" => mi = num()?,
                    "second" => s = num()?,
                    "era" => bc = value.starts_with('B'),
                    _ => {}
                }
            }
            if bc {
                y = 1 - y;
            }
            let local =
                days_from_civil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000;
            Some(local - utc_s)
        })
    }
}
