//! Every conversion between JavaScript values and core types, in one place. Nothing here trusts its input: any
//! value of any type arrives as a `JsValue` and leaves as a typed core value or a typed `Error`.

use crate::catalog::{positive_whole, UsageRequest};
use crate::credits::{Credits, MAX_CREDITS};
use crate::error::{num_text, Error, ErrorCode, Result};
use crate::time::Instant;
use js_sys::{Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Turns an engine error into the JS `Error` thrown to callers: `.code`, a readable `.message`, and `.shortfall`
/// for `E_INSUFFICIENT`.
pub fn to_js_error(err: Error) -> JsValue {
    let js = js_sys::Error::new(&format!("{}: {}", err.code.as_str(), err.message));
    let _ = Reflect::set(&js, &"code".into(), &err.code.as_str().into());
    if let Some(s) = err.shortfall {
        let _ = Reflect::set(&js, &"shortfall".into(), &JsValue::from_f64(s as f64));
    }
    js.into()
}

pub type JsResult<T> = std::result::Result<T, JsValue>;

/// Runs a core call and converts its error.
pub fn js<T>(r: Result<T>) -> JsResult<T> {
    r.map_err(to_js_error)
}

/// A plain object (not null, not an array) or `E_BAD_REQUEST` naming what was expected.
pub fn object<'a>(v: &'a JsValue, what: &str) -> Result<&'a JsValue> {
    if v.is_object() && !js_sys::Array::is_array(v) && !v.is_function() {
        Ok(v)
    } else {
        Err(Error::bad_request(format!(
            "{what} must be an object, got {}",
            type_name(v)
        )))
    }
}

/// `undefined` and `null` both mean "not given".
pub fn optional(v: JsValue) -> Option<JsValue> {
    if v.is_undefined() || v.is_null() {
        None
    } else {
        Some(v)
    }
}

pub fn type_name(v: &JsValue) -> String {
    if v.is_null() {
        "null".into()
    } else if js_sys::Array::is_array(v) {
        "an array".into()
    } else {
        v.js_typeof()
            .as_string()
            .unwrap_or_else(|| "an unknown value".into())
    }
}

pub fn string(v: &JsValue, what: &str) -> Result<String> {
    v.as_string()
        .ok_or_else(|| Error::bad_request(format!("{what} must be a string, got {}", type_name(v))))
}

pub fn number(v: &JsValue, what: &str) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| Error::bad_request(format!("{what} must be a number, got {}", type_name(v))))
}

/// A time: a `Date`, epoch milliseconds or an ISO-8601 string with `Z` or an offset.
pub fn time(v: &JsValue, what: &str) -> Result<Instant> {
    let wrap = |e: Error| Error::new(ErrorCode::Time, format!("{what}: {}", e.message));
    if let Some(ms) = v.as_f64() {
        return Instant::from_f64_millis(ms).map_err(wrap);
    }
    if let Some(date) = v.dyn_ref::<js_sys::Date>() {
        return Instant::from_f64_millis(date.get_time()).map_err(wrap);
    }
    if let Some(text) = v.as_string() {
        return Instant::parse(&text).map_err(wrap);
    }
    Err(Error::new(
        ErrorCode::Time,
        format!(
            "{what} must be a Date, epoch milliseconds or an ISO-8601 string, got {}",
            type_name(v)
        ),
    ))
}

/// Whole credits from a JS number: positive (or zero when `allow_zero`) and at most 2^53 - 1.
pub fn credits(v: &JsValue, what: &str, allow_zero: bool) -> Result<Credits> {
    let n = number(v, what)?;
    let min = if allow_zero { 0.0 } else { 1.0 };
    if !n.is_finite() || n.fract() != 0.0 || n < min || n > MAX_CREDITS as f64 {
        let range = if allow_zero { "0" } else { "1" };
        return Err(Error::bad_request(format!(
            "{what} must be a whole number of credits from {range} to 2^53 - 1, got {}",
            num_text(n)
        )));
    }
    Credits::new(n as u64)
}

/// A signing key: a string (its UTF-8 bytes) or a `Uint8Array`, at least 32 bytes.
pub fn key_bytes(v: &JsValue, what: &str) -> Result<Vec<u8>> {
    let bytes = if let Some(s) = v.as_string() {
        s.into_bytes()
    } else if let Some(a) = v.dyn_ref::<js_sys::Uint8Array>() {
        a.to_vec()
    } else {
        return Err(Error::bad_request(format!(
            "{what} must be a string or a Uint8Array of at least 32 bytes, got {}",
            type_name(v)
        )));
    };
    crate::token::check_key(&bytes)?;
    Ok(bytes)
}

/// A `UsageRequest` object: `{ feature, units?, tier?, seconds? }`.
pub fn usage_request(v: &JsValue) -> Result<UsageRequest> {
    let r: RequestIn = options(v, "the usage request")?;
    let feature = string(&r.feature, "feature")?;
    let units = optional(r.units).map(|u| number(&u, "units")).transpose()?;
    let tier = optional(r.tier).map(|t| string(&t, "tier")).transpose()?;
    let seconds = optional(r.seconds)
        .map(|s| number(&s, "seconds"))
        .transpose()?;
    UsageRequest::from_raw(&feature, units, tier.as_deref(), seconds)
}

/// `retentionDays`: a whole number of days from 1 to 400 (`E_BAD_REQUEST` otherwise).
pub fn retention_days(v: &JsValue) -> Result<u32> {
    let n = number(v, "retentionDays")?;
    let max = f64::from(crate::wallet::MAX_RETENTION_DAYS);
    if !n.is_finite() || n.fract() != 0.0 || !(1.0..=max).contains(&n) {
        return Err(Error::bad_request(format!(
            "retentionDays must be a whole number of days from 1 to {}, got {}",
            crate::wallet::MAX_RETENTION_DAYS,
            num_text(n)
        )));
    }
    Ok(n as u32)
}

/// A result that cannot fail to convert, as a JS value.
pub fn to_js_ok<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    js(to_js(value))
}

/// A positive whole number of units (to refund).
pub fn units(v: &JsValue, what: &str) -> Result<u64> {
    positive_whole(number(v, what)?, what, crate::catalog::MAX_UNITS)
}

#[wasm_bindgen]
extern "C" {
    /// The host's `TextEncoder` (every runtime this package supports has one; wasm-bindgen's own glue uses it).
    #[wasm_bindgen(js_name = TextEncoder)]
    type HostEncoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> HostEncoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(
        this: &HostEncoder,
        text: &js_sys::JsString,
        dest: &js_sys::Uint8Array,
    ) -> Progress;
    /// What `encodeInto` returns.
    type Progress;
    #[wasm_bindgen(method, getter)]
    fn read(this: &Progress) -> f64;
}

thread_local! {
    static ENCODER: HostEncoder = HostEncoder::new();
    /// The bytes `js_text` encodes into, kept between calls up to [`KEPT_TEXT_BUFFER`] bytes.
    static TEXT_BUFFER: std::cell::RefCell<Option<js_sys::Uint8Array>> = const { std::cell::RefCell::new(None) };
}

/// The largest encoding buffer kept between calls (a larger text gets one of its own).
const KEPT_TEXT_BUFFER: u32 = 1 << 20;

/// A JS string as Rust text. A long ASCII string (a snapshot, a catalog) is copied by the host's native
/// `TextEncoder.encodeInto` and one typed-array copy: wasm-bindgen's own path copies ASCII one character at a time
/// in JavaScript (measured here: 155 us for a 28 KB snapshot, against 5 us). Anything else takes wasm-bindgen's
/// path (`as_string`), which also replaces lone surrogates as `encodeInto` does.
pub fn js_text(v: &JsValue) -> Option<String> {
    let s = v.dyn_ref::<js_sys::JsString>()?;
    let n = s.length();
    if n < 2048 {
        return v.as_string();
    }
    let kept = TEXT_BUFFER.with(|b| {
        let mut b = b.try_borrow_mut().ok()?;
        if b.as_ref().is_none_or(|a| a.length() < n) && n <= KEPT_TEXT_BUFFER {
            *b = Some(js_sys::Uint8Array::new_with_length(
                n.next_power_of_two().min(KEPT_TEXT_BUFFER),
            ));
        }
        b.as_ref()
            .filter(|a| a.length() >= n)
            .map(|a| a.subarray(0, n))
    });
    let buf = kept.unwrap_or_else(|| js_sys::Uint8Array::new_with_length(n));
    let read = ENCODER.with(|e| e.encode_into(s, &buf).read());
    // Every unit read into one byte each: the string is ASCII, its UTF-8 is exactly `n` bytes.
    if read != f64::from(n) {
        return v.as_string();
    }
    let mut out = vec![0u8; n as usize];
    buf.copy_to(&mut out);
    String::from_utf8(out).ok()
}

/// Text from an object given as a JSON string or as an object (serialized with `JSON.stringify`).
pub fn json_text(v: &JsValue, what: &str, code: ErrorCode) -> Result<String> {
    if let Some(text) = js_text(v) {
        return Ok(text);
    }
    if !v.is_object() {
        return Err(Error::new(
            code,
            format!(
                "{what} must be an object or a JSON string, got {}",
                type_name(v)
            ),
        ));
    }
    JSON::stringify(v)
        .ok()
        .and_then(|s| js_text(&s))
        .ok_or_else(|| {
            Error::new(
                code,
                format!("{what} cannot be serialized as JSON (cycle, BigInt or a throwing getter)"),
            )
        })
}

/// A core result as a plain JS value, by serde-wasm-bindgen: plain objects (not `Map`s), `null` for `None`,
/// instants as ISO-8601 text.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| Error::bad_request("cannot convert the result"))
}

/// JSON text the module wrote, as a JS value (one `JSON.parse`: for large results such as a snapshot, cheaper than
/// building the object member by member across the boundary).
pub fn json_to_js(text: &str) -> Result<JsValue> {
    JSON::parse(text).map_err(|_| Error::bad_request("cannot convert the result"))
}

/// An options object read by serde-wasm-bindgen (its own members, by `Object.entries`) into the struct of the
/// members a call reads (`options!`), each kept as the JS value it is: the checks and messages of SPEC 7 and 8
/// (`time`, `credits`, `string`...) then apply to each. Arguments reach the module as the plain copies npm/args.js
/// makes, so no getter runs while this reads them.
pub fn options<T: FromBag>(v: &JsValue, what: &str) -> Result<T> {
    object(v, what)?;
    let bag: Bag = serde_wasm_bindgen::from_value(v.clone()).map_err(|e| {
        Error::bad_request(format!("{what} cannot be read: {}", js_message(&e.into())))
    })?;
    Ok(T::from_bag(bag))
}

/// The members of an options object, by name (one reader for every options shape: a small module).
pub struct Bag(Vec<(String, Raw)>);

/// A member's value as it is.
pub struct Raw(JsValue);

impl<'de> serde::Deserialize<'de> for Raw {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Raw, D::Error> {
        serde_wasm_bindgen::preserve::deserialize(d).map(Raw)
    }
}

impl<'de> serde::Deserialize<'de> for Bag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Bag, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an options object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> std::result::Result<Bag, M::Error> {
                let mut out = Vec::new();
                while let Some(entry) = m.next_entry::<String, Raw>()? {
                    out.push(entry);
                }
                Ok(Bag(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Bag {
    /// The member `name`, `undefined` when absent.
    pub fn take(&mut self, name: &str) -> JsValue {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => std::mem::replace(&mut v.0, JsValue::UNDEFINED),
            None => JsValue::UNDEFINED,
        }
    }
}

/// An options struct built from a [`Bag`].
pub trait FromBag {
    fn from_bag(bag: Bag) -> Self;
}

/// The message of a JS error value.
pub fn js_message(v: &JsValue) -> String {
    v.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "an unknown error".into())
}

/// Declares an options struct: each member a JS value (`undefined` when absent) under its JS name.
macro_rules! options {
    ($(#[$doc:meta])* $name:ident { $($field:ident : $js:literal),* $(,)? }) => {
        $(#[$doc])*
        pub struct $name {
            $(pub $field: JsValue,)*
        }
        impl FromBag for $name {
            fn from_bag(mut bag: Bag) -> $name {
                $name { $($field: bag.take($js),)* }
            }
        }
    };
}

options!(
    /// `UsageRequest`.
    RequestIn { feature: "feature", units: "units", tier: "tier", seconds: "seconds" }
);
options!(CreateIn {
    time_zone: "timeZone",
    retention_days: "retentionDays"
});
options!(TrialIn {
    at: "at",
    until: "until",
    credits: "credits"
});
options!(MembershipIn {
    at: "at",
    until: "until",
    monthly_credits: "monthlyCredits",
    monthly_agent_credits: "monthlyAgentCredits",
});
options!(LoginIn {
    at: "at",
    credits: "credits"
});
options!(PromotionIn {
    id: "id",
    at: "at",
    credits: "credits",
    expires_at: "expiresAt"
});
options!(PurchaseIn {
    id: "id",
    at: "at",
    credits: "credits"
});
options!(ChargeIn {
    id: "id",
    catalog: "catalog"
});
options!(RefundIn {
    units: "units",
    at: "at",
    id: "id"
});
options!(HoldIn {
    id: "id",
    ttl_seconds: "ttlSeconds",
    catalog: "catalog"
});
options!(CaptureIn {
    units: "units",
    at: "at"
});
options!(AtIn { at: "at" });
options!(ProjectIn {
    from: "from",
    to: "to"
});
options!(WatchIn { now: "now" });
options!(SignIn {
    key: "key",
    key_id: "keyId",
    ttl_seconds: "ttlSeconds",
    at: "at",
    account: "account",
    catalog: "catalog",
});
options!(VerifyIn {
    keys: "keys",
    at: "at",
    catalog: "catalog"
});
