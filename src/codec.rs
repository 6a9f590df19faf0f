//! How core types cross the boundary, with serde: the small types every shape is made of (instants, credits, kinds,
//! tiers, entry types), the membership, and the idempotency records of a snapshot in their three forms:
//!
//! - version 2 (written): a compact binary list, postcard over [`RecordsBin`], carried in the snapshot as base64url
//!   text. Draws name lots by their index in the snapshot's `lots`, features and catalogs by an index into tables
//!   the list carries, instants are epoch milliseconds, and what a record can rebuild is not written (a result's id
//!   is the record's key, a charge's units and instant are its request's, a hold's expiry is `at + ttl`, the draws
//!   still refundable are the draws less the refunded credits taken from the end).
//! - version 1 (read only): a JSON object of records with every field spelled out.
//!
//! The result types (charge, refund, hold, preview, balance, ledger entry, projection point, quote) derive
//! `Serialize` where they are defined; serde_json writes them as JSON text, serde-wasm-bindgen as JS values.
//! Every decoder names what is wrong and answers `E_SNAPSHOT` (or the caller's code).

use crate::catalog::Tier;
use crate::credits::Credits;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::EntryType;
use crate::lot::{Kind, Lot};
use crate::spend::{take_from_end, Draw};
use crate::state::Membership;
use crate::time::Instant;
use crate::wallet::{
    Charge, ChargeState, Hold, Record, Records, RecordsText, Refund, RequestPayload, Seg, MORE_LOTS,
};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

const SNAP: ErrorCode = ErrorCode::Snapshot;

fn snap_err(message: impl Into<String>) -> Error {
    Error::new(SNAP, message)
}

// ----- the small types -----

/// ISO-8601 UTC text in JSON and JS values; epoch milliseconds in binary forms.
impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.with_iso(|iso| s.serialize_str(iso))
        } else {
            s.serialize_i64(self.millis())
        }
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Instant, D::Error> {
        struct Iso;
        impl Visitor<'_> for Iso {
            type Value = Instant;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO-8601 time")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Instant, E> {
                Instant::parse(v).map_err(|e| E::custom(&e.message))
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(Iso)
        } else {
            Instant::from_millis(i64::deserialize(d)?).map_err(|e| de::Error::custom(&e.message))
        }
    }
}

impl Serialize for Credits {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.get())
    }
}

impl<'de> Deserialize<'de> for Credits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Credits, D::Error> {
        Credits::new(u64::deserialize(d)?)
            .map_err(|_| de::Error::custom("a credit amount above 2^53 - 1"))
    }
}

/// A whole number of credits as a plain `u64` field (a ledger entry's `total`), held to 2^53 - 1.
pub fn credit_amount<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    Credits::deserialize(d).map(Credits::get)
}

/// Enumerations written as their names in JSON and as one byte (their index) in binary forms.
macro_rules! named_enum {
    ($ty:ty, $all:expr, $what:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(self.as_str())
                } else {
                    let i = $all.iter().position(|k| k == self).unwrap_or(0);
                    s.serialize_u8(i as u8)
                }
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<$ty, D::Error> {
                if d.is_human_readable() {
                    // A visitor of `&str`: no allocation for the name (a `Cow` would own it).
                    struct Name;
                    impl Visitor<'_> for Name {
                        type Value = $ty;
                        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                            f.write_str($what)
                        }
                        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<$ty, E> {
                            $all.into_iter().find(|k| k.as_str() == v).ok_or_else(|| {
                                E::custom(format!(
                                    "'{}' is not {}",
                                    crate::error::clip(v, 32),
                                    $what
                                ))
                            })
                        }
                    }
                    d.deserialize_str(Name)
                } else {
                    let i = u8::deserialize(d)?;
                    $all.get(usize::from(i))
                        .copied()
                        .ok_or_else(|| de::Error::custom(concat!("not ", $what)))
                }
            }
        }
    };
}

named_enum!(Kind, Kind::ALL, "a credit kind");
named_enum!(Tier, [Tier::General, Tier::Premium], "a tier");
named_enum!(
    EntryType,
    [
        EntryType::Grant,
        EntryType::Charge,
        EntryType::Refund,
        EntryType::Hold,
        EntryType::Capture,
        EntryType::Release,
        EntryType::Expire,
        EntryType::Freeze,
        EntryType::Unfreeze,
    ],
    "a ledger entry type"
);

// ----- JSON text -----

/// A shared string read in one allocation (serde's own `Arc<str>` reads a `Box<str>` first and copies it again).
pub fn arc_str<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Arc<str>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Arc<str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Arc<str>, E> {
            Ok(Arc::from(v))
        }
    }
    d.deserialize_str(V)
}

/// 64-bit FNV-1a over bytes: the catalog's content id and the order the snapshot checks sort ids in (never a
/// secret, never a defence against chosen inputs).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// JSON text of any serializable value (serde_json cannot fail on these types: every map key is a string).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A value from JSON text, or `code` with what serde_json found wrong (`what` names the document).
pub fn from_json<'a, T: Deserialize<'a>>(text: &'a str, what: &str, code: ErrorCode) -> Result<T> {
    serde_json::from_str(text).map_err(|e| json_error(what, code, text, &e))
}

/// `code` with what serde_json found wrong, where, and the text just before that point (which names the member).
pub fn json_error(what: &str, code: ErrorCode, text: &str, e: &serde_json::Error) -> Error {
    Error::new(code, format!("{what}: {}", json_error_text(text, e)))
}

/// What serde_json found wrong, where, and the text just before that point.
pub fn json_error_text(text: &str, e: &serde_json::Error) -> String {
    // serde_json counts lines from 1 and columns in bytes from 1.
    let start = text
        .split_inclusive('\n')
        .take(e.line().saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let end = (start + e.column()).min(text.len());
    let from = (end.saturating_sub(48)..=end)
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(end);
    let near = text.get(from..end).unwrap_or_default();
    if near.is_empty() {
        e.to_string()
    } else {
        format!("{e} (after `{near}`)")
    }
}

/// A member read as whatever JSON value it is, to be checked with a message that names it: a whole number, or
/// something else (a negative or fractional number, text, `null`, an object...).
pub enum Loose {
    Whole(u64),
    Text(String),
    Other,
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Loose, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Loose, E> {
                Ok(Loose::Whole(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Loose, E> {
                Ok(u64::try_from(v).map_or(Loose::Other, Loose::Whole))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Loose, E> {
                // A fraction, `1.0` in JSON text, or a number past 2^53.
                Ok(Loose::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Loose, E> {
                Ok(Loose::Text(v.chars().take(64).collect()))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Loose, A::Error> {
                while a.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Loose, A::Error> {
                while a.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

// ----- membership -----

impl Serialize for Membership {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Membership::None => {
                let mut o = s.serialize_struct("Membership", 1)?;
                o.serialize_field("status", "none")?;
                o.end()
            }
            Membership::Trial { until } => {
                let mut o = s.serialize_struct("Membership", 2)?;
                o.serialize_field("status", "trial")?;
                o.serialize_field("until", until)?;
                o.end()
            }
            Membership::Lapsed { since } => {
                let mut o = s.serialize_struct("Membership", 2)?;
                o.serialize_field("status", "lapsed")?;
                o.serialize_field("since", since)?;
                o.end()
            }
            Membership::Active {
                anchor,
                until,
                monthly_credits,
                monthly_agent_credits,
                next_index,
                next_at,
            } => {
                let mut o = s.serialize_struct("Membership", 7)?;
                o.serialize_field("status", "active")?;
                o.serialize_field("anchor", anchor)?;
                o.serialize_field("until", until)?;
                o.serialize_field("monthlyCredits", monthly_credits)?;
                o.serialize_field("monthlyAgentCredits", monthly_agent_credits)?;
                o.serialize_field("nextIndex", next_index)?;
                o.serialize_field("nextAt", next_at)?;
                o.end()
            }
        }
    }
}

/// The membership as a snapshot holds it: one flat object whose `status` says which other members it has.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembershipDoc {
    status: String,
    until: Option<Instant>,
    since: Option<Instant>,
    anchor: Option<Instant>,
    monthly_credits: Option<Credits>,
    monthly_agent_credits: Option<Credits>,
    next_index: Option<u32>,
    #[serde(default)]
    next_at: Option<Instant>,
}

impl MembershipDoc {
    pub fn into_membership(self) -> Result<Membership> {
        let bad = |what: &str| snap_err(format!("snapshot.membership {what}"));
        let need =
            |v: Option<Instant>, name: &str| v.ok_or_else(|| bad(&format!("needs '{name}'")));
        let only = |extra: bool| {
            if extra {
                Err(bad("has members its status does not have"))
            } else {
                Ok(())
            }
        };
        let active_members = self.anchor.is_some()
            || self.monthly_credits.is_some()
            || self.monthly_agent_credits.is_some()
            || self.next_index.is_some()
            || self.next_at.is_some();
        Ok(match self.status.as_str() {
            "none" => {
                only(self.until.is_some() || self.since.is_some() || active_members)?;
                Membership::None
            }
            "trial" => {
                only(self.since.is_some() || active_members)?;
                Membership::Trial {
                    until: need(self.until, "until")?,
                }
            }
            "lapsed" => {
                only(self.until.is_some() || active_members)?;
                Membership::Lapsed {
                    since: need(self.since, "since")?,
                }
            }
            "active" => {
                only(self.since.is_some())?;
                Membership::Active {
                    anchor: need(self.anchor, "anchor")?,
                    until: need(self.until, "until")?,
                    monthly_credits: self
                        .monthly_credits
                        .ok_or_else(|| bad("needs 'monthlyCredits'"))?,
                    monthly_agent_credits: self
                        .monthly_agent_credits
                        .ok_or_else(|| bad("needs 'monthlyAgentCredits'"))?,
                    next_index: self.next_index.ok_or_else(|| bad("needs 'nextIndex'"))?,
                    next_at: self.next_at,
                }
            }
            _ => return Err(bad("status must be none, trial, active or lapsed")),
        })
    }
}

// ----- records, version 2 (binary) -----

/// `[lot index, credits]` pairs: what a record drew, by the lot's index in the snapshot's `lots`.
type Takes = Vec<(u32, Credits)>;

/// The records of a version-2 snapshot: postcard over this, as base64url text.
#[derive(Serialize, Deserialize)]
pub struct RecordsBin<'a> {
    /// Catalog ids the records name; index 0 is the default catalog when any record uses it.
    #[serde(borrow)]
    catalogs: Vec<Cow<'a, str>>,
    /// Feature ids the records name.
    #[serde(borrow)]
    features: Vec<Cow<'a, str>>,
    /// Records in id order; each id written as the length it shares with the previous id and the rest.
    #[serde(borrow)]
    records: Vec<(u32, Cow<'a, str>, RecordBin<'a>)>,
}

#[derive(Serialize, Deserialize)]
struct RequestBin {
    feature: u32,
    tier: Tier,
    units: u64,
    /// The f64's bits, so a replay compares equal after a round trip.
    seconds: Option<u64>,
    at: Instant,
    catalog: u32,
}

#[derive(Serialize, Deserialize)]
struct ChargeBin {
    credits: Credits,
    draws: Takes,
    refunded_units: u64,
    /// Absent when it is the charge's own instant.
    changed: Option<Instant>,
}

#[derive(Serialize, Deserialize)]
enum RecordBin<'a> {
    Purchase {
        credits: Credits,
        at: Instant,
    },
    Promotion {
        credits: Credits,
        at: Instant,
        expires_at: Instant,
    },
    Charge {
        request: RequestBin,
        unit_credits: Credits,
        charge: ChargeBin,
    },
    Hold {
        request: RequestBin,
        ttl_ms: u64,
        unit_credits: Credits,
        credits: Credits,
        draws: Takes,
        /// Units and instant of the capture, and what it charged.
        captured: Option<(u64, Instant, ChargeBin)>,
        released: Option<Instant>,
    },
    Refund {
        #[serde(borrow)]
        charge_id: Cow<'a, str>,
        units: u64,
        at: Instant,
        credits: Credits,
        draws: Takes,
    },
}

/// Lot id -> index in the snapshot's lot list, for writing version-2 records.
pub struct LotKeys<'a>(Vec<(&'a str, u32)>);

impl<'a> LotKeys<'a> {
    /// The keys of the lots a snapshot writes, in the order it writes them.
    pub fn of(lots: &[&'a Lot]) -> LotKeys<'a> {
        let keys: Vec<(&str, u32)> = lots
            .iter()
            .enumerate()
            .map(|(i, l)| (&*l.id, i as u32))
            .collect();
        LotKeys(crate::sort::sorted(&keys, &|a, b| a.cmp(b)))
    }
    fn key(&self, id: &str) -> u32 {
        // The writer only names lots the snapshot keeps (Wallet::live_lots); u32::MAX would fail loading loudly.
        self.0
            .binary_search_by(|(x, _)| (*x).cmp(id))
            .ok()
            .and_then(|k| self.0.get(k))
            .map_or(u32::MAX, |(_, i)| *i)
    }
    fn takes(&self, draws: &[Draw]) -> Takes {
        draws
            .iter()
            .map(|d| (self.key(&d.lot_id), d.credits))
            .collect()
    }
}

/// Index of `s` in `table`, added when missing.
fn intern<'a, T: AsRef<str> + From<&'a str>>(table: &mut Vec<T>, s: &'a str) -> u32 {
    match table.iter().position(|c| c.as_ref() == s) {
        Some(i) => i as u32,
        None => {
            table.push(T::from(s));
            (table.len() - 1) as u32
        }
    }
}

/// How many leading bytes `id` shares with `previous`, at a char boundary (the rest must be UTF-8 on its own).
fn shared_prefix(previous: &str, id: &str) -> usize {
    let shared = previous
        .bytes()
        .zip(id.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    (0..=shared)
        .rev()
        .find(|&k| id.is_char_boundary(k))
        .unwrap_or(0)
}

/// One record in its binary form: lots by their index in the snapshot (`keys`), features and catalogs by their
/// index in the tables (added when missing).
fn record_bin<'a, T: AsRef<str> + From<&'a str>>(
    r: &'a Record,
    keys: &LotKeys<'_>,
    features: &mut Vec<T>,
    catalogs: &mut Vec<T>,
) -> RecordBin<'a> {
    let mut request = |p: &'a RequestPayload| RequestBin {
        feature: intern(features, &p.feature),
        tier: p.tier,
        units: p.units,
        seconds: p.seconds.map(f64::to_bits),
        at: p.at,
        catalog: intern(catalogs, &p.catalog),
    };
    let charge = |c: &ChargeState| ChargeBin {
        credits: c.result.credits,
        draws: keys.takes(&c.result.draws),
        refunded_units: c.refunded_units,
        changed: (c.changed != c.result.at).then_some(c.changed),
    };
    match r {
        Record::Purchase { credits, at } => RecordBin::Purchase {
            credits: *credits,
            at: *at,
        },
        Record::Promotion {
            credits,
            at,
            expires_at,
        } => RecordBin::Promotion {
            credits: *credits,
            at: *at,
            expires_at: *expires_at,
        },
        Record::Charge {
            request: p,
            charge: c,
        } => RecordBin::Charge {
            request: request(p),
            unit_credits: c.unit_credits,
            charge: charge(c),
        },
        Record::Hold {
            request: p,
            ttl_ms,
            result,
            unit_credits,
            captured,
            released,
        } => RecordBin::Hold {
            request: request(p),
            ttl_ms: *ttl_ms,
            unit_credits: *unit_credits,
            credits: result.credits,
            draws: keys.takes(&result.draws),
            captured: captured
                .as_ref()
                .map(|c| (c.result.units, c.result.at, charge(c))),
            released: *released,
        },
        Record::Refund {
            charge_id,
            units,
            at,
            result,
        } => RecordBin::Refund {
            charge_id: Cow::Borrowed(charge_id.as_str()),
            units: *units,
            at: *at,
            credits: result.credits,
            draws: keys.takes(&result.draws),
        },
    }
}

/// Records (in id order) as the binary list of a compact snapshot (a signed token's).
pub fn records_bin<'a>(
    records: impl Iterator<Item = (&'a str, &'a Record)>,
    keys: &LotKeys<'_>,
) -> RecordsBin<'a> {
    let mut out = RecordsBin {
        catalogs: Vec::new(),
        features: Vec::new(),
        records: Vec::new(),
    };
    let mut previous = "";
    for (id, r) in records {
        let shared = shared_prefix(previous, id);
        previous = id;
        let rest = id.get(shared..).unwrap_or(id);
        let bin = record_bin(r, keys, &mut out.features, &mut out.catalogs);
        out.records.push((shared as u32, Cow::Borrowed(rest), bin));
    }
    out
}

/// The id of the first record that its version-2 binary form does not give back exactly, if any: a record whose
/// derived fields disagree with what they derive from (only a version-1 file can hold one, since version 2 does not
/// write them).
pub fn first_not_rebuilt<'a>(records: &'a Records, lots: &[Lot]) -> Result<Option<&'a str>> {
    let refs: Vec<&Lot> = lots.iter().collect();
    let keys = LotKeys::of(&refs);
    let bin = records_bin(records.iter().map(|(id, r)| (id.as_str(), r)), &keys);
    let rebuilt = records_from_bin(&bin, lots)?;
    Ok(records
        .iter()
        .zip(&rebuilt)
        .find(|((id, r), (id2, r2))| id.as_str() != id2.as_str() || *r != r2)
        .map(|((id, _), _)| id.as_str()))
}

/// Writes a wallet's records as the `records` text of a version-2 snapshot: base64url pieces joined by `.`, the
/// first postcard over the catalog and feature tables, then one per record in id order, postcard over (bytes of
/// the id shared with the previous record's, the rest of the id, [`RecordBin`]).
///
/// A save rewrites only what changed: a record's piece is kept from the last text written or read while the record
/// is unchanged, the id before it is the same, and the lots it names keep their index (the snapshot's lot list
/// still starts with the lots of that text). Otherwise every piece is written anew, with new tables.
pub fn records_text<'a>(records: &'a Records, kept: &[&Lot]) -> TextRef<'a> {
    match records.text.try_borrow_mut() {
        Ok(mut c) => {
            write_records(records, kept, &mut c);
            TextRef::Kept(c)
        }
        // Never expected (nothing else holds it during a save): write without keeping anything.
        Err(_) => {
            let mut local = RecordsText::default();
            write_records(records, kept, &mut local);
            TextRef::Own(local.text)
        }
    }
}

/// The records text of a snapshot: the wallet's kept text, or one written for this call only.
pub enum TextRef<'a> {
    Kept(std::cell::RefMut<'a, RecordsText>),
    Own(String),
}

impl std::ops::Deref for TextRef<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            TextRef::Kept(c) => &c.text,
            TextRef::Own(s) => s,
        }
    }
}

fn write_records(records: &Records, kept: &[&Lot], c: &mut RecordsText) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let n = records.len();
    let same_lots =
        c.lots.len() <= kept.len() && c.lots.iter().zip(kept).all(|(a, l)| **a == *l.id);
    if !same_lots || c.segs.len() != n {
        c.segs.clear();
        c.segs.resize(n, Seg::Stale);
        c.features.clear();
        c.catalogs.clear();
        c.text.clear();
    }
    if !same_lots || c.lots.len() != kept.len() {
        c.lots = kept.iter().map(|l| l.id.clone()).collect();
    }
    let keys = LotKeys::of(kept);
    // The pieces written anew, in one buffer: (record index, start, end, lot mask).
    let mut fresh = String::new();
    let mut spans: Vec<(usize, usize, usize, u64)> = Vec::new();
    let mut bytes = Vec::new();
    let mut previous = "";
    for (i, ((id, r), seg)) in records.iter().zip(&c.segs).enumerate() {
        if *seg == Seg::Stale {
            let shared = shared_prefix(previous, id);
            let rest = id.get(shared..).unwrap_or(id);
            let bin = record_bin(r, &keys, &mut c.features, &mut c.catalogs);
            let mask = lot_mask(&bin);
            bytes.clear();
            bytes = postcard::to_extend(&(shared as u32, rest, bin), bytes).unwrap_or_default();
            let start = fresh.len();
            b64.encode_string(&bytes, &mut fresh);
            spans.push((i, start, fresh.len(), mask));
        }
        previous = id;
    }
    bytes.clear();
    bytes = postcard::to_extend(&(&c.catalogs, &c.features), bytes).unwrap_or_default();
    // Written into the buffer of the text before last (allocated with room when the wallet was read): a save
    // allocates nothing of the text's size.
    let mut out = std::mem::take(&mut c.spare);
    out.clear();
    out.reserve(c.text.len() + fresh.len() + 2 * bytes.len() + 8);
    b64.encode_string(&bytes, &mut out);
    // Kept pieces that lie next to each other in the last text (most of them) are copied as one run, with the dots
    // between them: a save copies a few runs, not a piece per record.
    let mut spans = spans.into_iter().peekable();
    let mut run: Option<(usize, usize)> = None; // bytes of the last text, from the dot before the run's first piece
    let mut run_at = 0; // where the run goes in `out`
    let flush = |run: &mut Option<(usize, usize)>, out: &mut String| {
        if let Some((s, e)) = run.take() {
            // A range the last text does not have would leave pieces empty: loading fails loudly, never misreads.
            out.push_str(c.text.get(s..e).unwrap_or_default());
        }
    };
    /// Where a record's piece comes from: bytes of the last text, or text to write here.
    enum Next<'t> {
        Copy(usize, usize, u64),
        Write(Option<&'t str>, u64),
    }
    for (i, seg) in c.segs.iter_mut().enumerate() {
        let next = match (spans.next_if(|f| f.0 == i), *seg) {
            (Some((_, s, e, m)), _) => Next::Write(fresh.get(s..e), m),
            (None, Seg::Kept(s, e, m)) if s >= 1 => Next::Copy(s as usize, e as usize, m),
            // Every stale piece was written above.
            (None, _) => Next::Write(None, MORE_LOTS),
        };
        match next {
            Next::Copy(s, e, m) => {
                match &mut run {
                    Some((_, end)) if *end == s - 1 => *end = e,
                    _ => {
                        flush(&mut run, &mut out);
                        run = Some((s - 1, e));
                        run_at = out.len();
                    }
                }
                let from = run.map_or(s - 1, |(rs, _)| rs);
                let start = run_at + (s - from);
                *seg = Seg::Kept(start as u32, (start + (e - s)) as u32, m);
            }
            Next::Write(piece, m) => {
                flush(&mut run, &mut out);
                out.push('.');
                let start = out.len();
                out.push_str(piece.unwrap_or_default());
                *seg = Seg::Kept(start as u32, out.len() as u32, m);
            }
        }
    }
    flush(&mut run, &mut out);
    c.spare = std::mem::replace(&mut c.text, out);
}

/// Reads the `records` text of a version-2 snapshot against the snapshot's lots: the records, each with its piece
/// kept for the next save ([`records_text`]).
pub fn records_from_text(text: String, lots: &[Lot]) -> Result<Records> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let not_text = || {
        snap_err("snapshot.records is not the text Wallet.toJSON() writes (base64url pieces joined by '.')")
    };
    let mut bytes = Vec::new();
    // Split on the byte '.' (ASCII, so never inside a multibyte character): a slice split is a plain loop where
    // `str::split` runs a char searcher per piece.
    let mut pieces = text.as_bytes().split(|b| *b == b'.');
    let head = pieces.next().unwrap_or_default();
    b64.decode_vec(head, &mut bytes).map_err(|_| not_text())?;
    let (catalogs, features): (Vec<&str>, Vec<&str>) = whole(&bytes, "its tables")?;
    let catalogs: Vec<Arc<str>> = catalogs.into_iter().map(Arc::from).collect();
    let features: Vec<Arc<str>> = features.into_iter().map(Arc::from).collect();
    let mut records = Records::default();
    // Room for the snapshot's records and a quarter more: the wallet's next records insert without moving the list
    // (a list at capacity would be copied whole by the first charge, measured at 0.5 ms).
    let n = text.as_bytes().iter().filter(|b| **b == b'.').count();
    records.reserve(n + n / 4 + 16);
    let mut previous = String::new();
    let mut end = head.len();
    for piece in pieces {
        let start = end + 1;
        end = start + piece.len();
        bytes.clear();
        b64.decode_vec(piece, &mut bytes).map_err(|_| not_text())?;
        let (shared, rest, bin): (u32, &str, RecordBin<'_>) = whole(&bytes, "a record")?;
        let id = rebuild_id(&previous, shared, rest)?;
        let record = record_from_bin(&id, &bin, &features, &catalogs, lots)?;
        previous.clone_from(&id);
        let piece = Seg::Kept(start as u32, end as u32, lot_mask(&bin));
        if !records.insert_with(id, record, piece) {
            return Err(record_twice(&previous));
        }
    }
    let t = records.text.get_mut();
    t.spare = String::with_capacity(text.len() + text.len() / 8 + 64);
    t.text = text;
    t.lots = lots.iter().map(|l| l.id.clone()).collect();
    t.features = features;
    t.catalogs = catalogs;
    Ok(records)
}

/// Which lots a record's binary form names, as a kept piece's mask ([`Seg::Kept`]).
fn lot_mask(r: &RecordBin<'_>) -> u64 {
    let takes: [&[(u32, Credits)]; 2] = match r {
        RecordBin::Purchase { .. } | RecordBin::Promotion { .. } => [&[], &[]],
        RecordBin::Charge { charge, .. } => [&charge.draws, &[]],
        RecordBin::Hold {
            draws, captured, ..
        } => [
            draws,
            captured.as_ref().map_or(&[][..], |(_, _, c)| &c.draws),
        ],
        RecordBin::Refund { draws, .. } => [draws, &[]],
    };
    takes
        .iter()
        .flat_map(|t| t.iter())
        .fold(0, |m, &(i, _)| m | if i < 63 { 1 << i } else { MORE_LOTS })
}

/// A record id written as the bytes it shares with the previous id and the rest ([`shared_prefix`]).
fn rebuild_id(previous: &str, shared: u32, rest: &str) -> Result<String> {
    let before = previous
        .get(..shared as usize)
        .ok_or_else(|| snap_err("snapshot.records has a record id that cannot be rebuilt"))?;
    let mut id = String::with_capacity(before.len() + rest.len());
    id.push_str(before);
    id.push_str(rest);
    Ok(id)
}

/// A snapshot that gives a record id twice (`E_SNAPSHOT`).
pub fn record_twice(id: &str) -> Error {
    snap_err(format!(
        "record id '{}' appears twice",
        crate::error::clip(id, 64)
    ))
}

/// One postcard value that is the whole of `bytes`.
fn whole<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T> {
    let (v, rest) = postcard::take_from_bytes(bytes)
        .map_err(|e| snap_err(format!("snapshot.records: {what} cannot be read: {e}")))?;
    if !rest.is_empty() {
        return Err(snap_err(format!(
            "snapshot.records: {what} has bytes after its end"
        )));
    }
    Ok(v)
}

/// Reads the binary records of a compact snapshot against its lots.
pub fn records_from_bin(bin: &RecordsBin<'_>, lots: &[Lot]) -> Result<Vec<(String, Record)>> {
    let mut out: Vec<(String, Record)> = Vec::with_capacity(bin.records.len());
    let features: Vec<Arc<str>> = bin.features.iter().map(|f| Arc::from(f.as_ref())).collect();
    let catalogs: Vec<Arc<str>> = bin.catalogs.iter().map(|c| Arc::from(c.as_ref())).collect();
    let mut previous = String::new();
    for (shared, rest, r) in &bin.records {
        let id = rebuild_id(&previous, *shared, rest)?;
        let record = record_from_bin(&id, r, &features, &catalogs, lots)?;
        previous.clone_from(&id);
        out.push((id, record));
    }
    Ok(out)
}

/// One record from its binary form, against the tables and lots of its snapshot.
fn record_from_bin(
    id: &str,
    r: &RecordBin<'_>,
    features: &[Arc<str>],
    catalogs: &[Arc<str>],
    lots: &[Lot],
) -> Result<Record> {
    let table = |t: &[Arc<str>], i: u32, what: &str| -> Result<Arc<str>> {
        t.get(i as usize).cloned().ok_or_else(|| {
            snap_err(format!(
                "snapshot.records names a {what} its table does not hold"
            ))
        })
    };
    let request = |r: &RequestBin| -> Result<RequestPayload> {
        Ok(RequestPayload {
            feature: table(features, r.feature, "feature")?,
            tier: r.tier,
            units: r.units,
            seconds: r.seconds.map(f64::from_bits),
            at: r.at,
            catalog: table(catalogs, r.catalog, "catalog")?,
        })
    };
    Ok(match r {
        RecordBin::Purchase { credits, at } => Record::Purchase {
            credits: *credits,
            at: *at,
        },
        RecordBin::Promotion {
            credits,
            at,
            expires_at,
        } => Record::Promotion {
            credits: *credits,
            at: *at,
            expires_at: *expires_at,
        },
        RecordBin::Charge {
            request: q,
            unit_credits,
            charge,
        } => {
            let request = request(q)?;
            let charge = charge_state(
                id,
                request.units,
                request.at,
                &request.feature,
                *unit_credits,
                charge,
                lots,
            )?;
            Record::Charge { request, charge }
        }
        RecordBin::Hold {
            request: q,
            ttl_ms,
            unit_credits,
            credits,
            draws,
            captured,
            released,
        } => {
            let request = request(q)?;
            let expires_at = request
                .at
                .add_millis(i64::try_from(*ttl_ms).unwrap_or(i64::MAX))
                .map_err(|_| {
                    snap_err(format!(
                        "hold '{}' lives too long",
                        crate::error::clip(id, 64)
                    ))
                })?;
            let captured = match captured {
                None => None,
                Some((units, at, c)) => Some(charge_state(
                    id,
                    *units,
                    *at,
                    &request.feature,
                    *unit_credits,
                    c,
                    lots,
                )?),
            };
            Record::Hold {
                result: Hold {
                    id: id.to_string(),
                    credits: *credits,
                    units: request.units,
                    draws: lot_draws(draws, lots)?.1,
                    expires_at,
                },
                request,
                ttl_ms: *ttl_ms,
                unit_credits: *unit_credits,
                captured,
                released: *released,
            }
        }
        RecordBin::Refund {
            charge_id,
            units,
            at,
            credits,
            draws,
        } => Record::Refund {
            result: Refund {
                charge_id: charge_id.to_string(),
                credits: *credits,
                units: *units,
                draws: lot_draws(draws, lots)?.1,
            },
            charge_id: charge_id.to_string(),
            units: *units,
            at: *at,
        },
    })
}

/// Draws `[lot index, credits]` against the snapshot's lots: (index, credits) and the draws with ids and kinds.
/// (lot index, credits) pairs and the same draws with lot ids and kinds.
type Drawn = (Vec<(usize, Credits)>, Vec<Draw>);

fn lot_draws(takes: &[(u32, Credits)], lots: &[Lot]) -> Result<Drawn> {
    let mut out = Vec::with_capacity(takes.len());
    let mut draws = Vec::with_capacity(takes.len());
    for &(i, credits) in takes {
        let lot = lots
            .get(i as usize)
            .ok_or_else(|| snap_err("snapshot.records names a lot the snapshot does not hold"))?;
        out.push((i as usize, credits));
        draws.push(Draw {
            lot_id: lot.id.clone(),
            kind: lot.kind,
            credits,
        });
    }
    Ok((out, draws))
}

/// A charge state from a version-2 record: its own units, instant and draws; what is still refundable is rebuilt.
fn charge_state(
    id: &str,
    units: u64,
    at: Instant,
    feature: &Arc<str>,
    unit_credits: Credits,
    c: &ChargeBin,
    lots: &[Lot],
) -> Result<ChargeState> {
    let (mut remaining, draws) = lot_draws(&c.draws, lots)?;
    let refunded = unit_credits.times(c.refunded_units).map_err(|_| {
        snap_err(format!(
            "record '{}' refunded too many units",
            crate::error::clip(id, 64)
        ))
    })?;
    take_from_end(&mut remaining, refunded)?;
    Ok(ChargeState {
        result: Charge {
            id: id.to_string(),
            credits: c.credits,
            units,
            draws,
            at,
        },
        feature: feature.clone(),
        unit_credits,
        refunded_units: c.refunded_units,
        remaining,
        changed: c.changed.unwrap_or(at),
    })
}

// ----- records in JSON (version 1): read only -----

/// The records of a version-1 snapshot: an object of id -> record, in document order.
pub struct RecordsJson(pub Vec<(String, RecordJson)>);

impl<'de> Deserialize<'de> for RecordsJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RecordsJson;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of records")
            }
            fn visit_map<M: MapAccess<'de>>(
                self,
                mut m: M,
            ) -> std::result::Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some(entry) = m.next_entry::<String, RecordJson>()? {
                    out.push(entry);
                }
                Ok(RecordsJson(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The members of every version-1 record shape, all optional: which ones a record must and may have depends on its
/// `op`, checked by [`RecordJson::into_record`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordJson {
    op: String,
    credits: Option<Credits>,
    at: Option<Instant>,
    expires_at: Option<Instant>,
    request: Option<PayloadV1>,
    charge: Option<ChargeStateV1>,
    ttl_ms: Option<u64>,
    result: Option<ResultV1>,
    unit_credits: Option<Credits>,
    #[serde(default, deserialize_with = "some")]
    captured: Option<Option<ChargeStateV1>>,
    released: Option<Instant>,
    charge_id: Option<String>,
    units: Option<u64>,
}

/// A member that may be `null`: absent is `None`, `null` is `Some(None)`.
fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayloadV1 {
    feature: String,
    tier: Tier,
    units: u64,
    #[serde(default, deserialize_with = "some")]
    seconds_bits: Option<Option<String>>,
    at: Instant,
    catalog: String,
}

/// A result as version 1 writes it: a charge's, a hold's or a refund's members.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResultV1 {
    id: Option<String>,
    charge_id: Option<String>,
    credits: Credits,
    units: u64,
    draws: Vec<Draw>,
    at: Option<Instant>,
    expires_at: Option<Instant>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChargeStateV1 {
    result: ResultV1,
    feature: String,
    unit_credits: Credits,
    refunded_units: u64,
    remaining: Vec<(usize, Credits)>,
    changed: Option<Instant>,
}

fn seconds_of(bits: Option<&str>, what: &str) -> Result<Option<f64>> {
    bits.map(|b| {
        u64::from_str_radix(b, 16)
            .ok()
            .filter(|_| b.len() == 16)
            .map(f64::from_bits)
            .ok_or_else(|| snap_err(format!("{what} must be 16 hex digits")))
    })
    .transpose()
}

impl ChargeStateV1 {
    fn into_state(self, path: &str) -> Result<ChargeState> {
        let r = self.result;
        let (Some(id), None, Some(at), None) = (r.id, &r.charge_id, r.at, r.expires_at) else {
            return Err(snap_err(format!(
                "{path}.result must be a charge (id, credits, units, draws, at)"
            )));
        };
        Ok(ChargeState {
            // Version 1 has no `changed`: the snapshot loader rebuilds it from the ledger.
            changed: self.changed.unwrap_or(at),
            result: Charge {
                id: id.to_string(),
                credits: r.credits,
                units: r.units,
                draws: r.draws,
                at,
            },
            feature: Arc::from(self.feature.as_str()),
            unit_credits: self.unit_credits,
            refunded_units: self.refunded_units,
            remaining: self.remaining,
        })
    }
}

impl RecordJson {
    /// The members present, by name, for the "only these members" check.
    fn present(&self) -> Vec<&'static str> {
        let mut p = Vec::new();
        let mut add = |name: &'static str, here: bool| {
            if here {
                p.push(name);
            }
        };
        add("credits", self.credits.is_some());
        add("at", self.at.is_some());
        add("expiresAt", self.expires_at.is_some());
        add("request", self.request.is_some());
        add("charge", self.charge.is_some());
        add("ttlMs", self.ttl_ms.is_some());
        add("result", self.result.is_some());
        add("unitCredits", self.unit_credits.is_some());
        add("captured", self.captured.is_some());
        add("released", self.released.is_some());
        add("chargeId", self.charge_id.is_some());
        add("units", self.units.is_some());
        p
    }

    pub fn into_record(self, path: &str) -> Result<Record> {
        let present = self.present();
        let members = |allowed: &[&str], required: &[&str]| -> Result<()> {
            if let Some(m) = present.iter().find(|m| !allowed.contains(m)) {
                return Err(snap_err(format!(
                    "{path} has an unknown member '{m}' for a {} record",
                    self.op
                )));
            }
            if let Some(m) = required.iter().find(|m| !present.contains(m)) {
                return Err(snap_err(format!("{path} is missing '{m}'")));
            }
            Ok(())
        };
        let need =
            |v: Option<Instant>| v.ok_or_else(|| snap_err(format!("{path} is missing a time")));
        let cred =
            |v: Option<Credits>| v.ok_or_else(|| snap_err(format!("{path} is missing an amount")));
        match self.op.as_ref() {
            "purchase" => {
                members(&["credits", "at"], &["credits", "at"])?;
                Ok(Record::Purchase {
                    credits: cred(self.credits)?,
                    at: need(self.at)?,
                })
            }
            "promotion" => {
                members(
                    &["credits", "at", "expiresAt"],
                    &["credits", "at", "expiresAt"],
                )?;
                Ok(Record::Promotion {
                    credits: cred(self.credits)?,
                    at: need(self.at)?,
                    expires_at: need(self.expires_at)?,
                })
            }
            "charge" => {
                members(&["request", "charge"], &["request", "charge"])?;
                let Some(c) = self.charge else {
                    return Err(snap_err(format!("{path} is missing 'charge'")));
                };
                Ok(Record::Charge {
                    request: payload_v1(self.request, path)?,
                    charge: c.into_state(&format!("{path}.charge"))?,
                })
            }
            "hold" => {
                members(
                    &[
                        "request",
                        "ttlMs",
                        "result",
                        "unitCredits",
                        "captured",
                        "released",
                    ],
                    &["request", "ttlMs", "result", "unitCredits"],
                )?;
                let Some(r) = self.result else {
                    return Err(snap_err(format!("{path} is missing 'result'")));
                };
                let (Some(rid), None, None, Some(expires_at)) =
                    (r.id, &r.charge_id, r.at, r.expires_at)
                else {
                    return Err(snap_err(format!(
                        "{path}.result must be a hold (id, credits, units, draws, expiresAt)"
                    )));
                };
                let captured = match self.captured.flatten() {
                    None => None,
                    Some(c) => Some(c.into_state(&format!("{path}.captured"))?),
                };
                Ok(Record::Hold {
                    request: payload_v1(self.request, path)?,
                    ttl_ms: self.ttl_ms.unwrap_or_default(),
                    result: Hold {
                        id: rid.to_string(),
                        credits: r.credits,
                        units: r.units,
                        draws: r.draws,
                        expires_at,
                    },
                    unit_credits: cred(self.unit_credits)?,
                    captured,
                    released: self.released,
                })
            }
            "refund" => {
                members(
                    &["chargeId", "units", "at", "result"],
                    &["chargeId", "units", "at", "result"],
                )?;
                let Some(r) = self.result else {
                    return Err(snap_err(format!("{path} is missing 'result'")));
                };
                let (None, Some(result_charge), None, None) =
                    (r.id, r.charge_id, r.at, r.expires_at)
                else {
                    return Err(snap_err(format!(
                        "{path}.result must be a refund (chargeId, credits, units, draws)"
                    )));
                };
                Ok(Record::Refund {
                    charge_id: self.charge_id.unwrap_or_default(),
                    units: self.units.unwrap_or_default(),
                    at: need(self.at)?,
                    result: Refund {
                        charge_id: result_charge.to_string(),
                        credits: r.credits,
                        units: r.units,
                        draws: r.draws,
                    },
                })
            }
            _ => Err(snap_err(format!(
                "{path}.op must be purchase, promotion, charge, hold or refund"
            ))),
        }
    }
}

fn payload_v1(p: Option<PayloadV1>, path: &str) -> Result<RequestPayload> {
    let p = p.ok_or_else(|| snap_err(format!("{path} is missing 'request'")))?;
    Ok(RequestPayload {
        seconds: seconds_of(
            p.seconds_bits.flatten().as_deref(),
            &format!("{path}.request.secondsBits"),
        )?,
        feature: Arc::from(p.feature.as_str()),
        tier: p.tier,
        units: p.units,
        at: p.at,
        catalog: Arc::from(p.catalog.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot(id: &str) -> Lot {
        Lot {
            id: id.into(),
            kind: Kind::Purchased,
            granted: Credits::new(10).unwrap(),
            credits: Credits::new(6).unwrap(),
            granted_at: Instant::from_millis(0).unwrap(),
            expires_at: None,
            frozen: false,
            expired: false,
        }
    }

    fn charge(draw: &str) -> Record {
        let at = Instant::from_millis(5).unwrap();
        let four = Credits::new(4).unwrap();
        Record::Charge {
            request: RequestPayload {
                feature: "ai_background".into(),
                tier: Tier::General,
                units: 1,
                seconds: None,
                at,
                catalog: "cat-1".into(),
            },
            charge: ChargeState {
                result: Charge {
                    id: "c1".to_string(),
                    credits: four,
                    units: 1,
                    draws: vec![Draw {
                        lot_id: draw.into(),
                        kind: Kind::Purchased,
                        credits: four,
                    }],
                    at,
                },
                feature: "ai_background".into(),
                unit_credits: four,
                refunded_units: 0,
                remaining: vec![(0, four)],
                changed: at,
            },
        }
    }

    fn purchase(ms: i64) -> Record {
        Record::Purchase {
            credits: Credits::new(1).unwrap(),
            at: Instant::from_millis(ms).unwrap(),
        }
    }

    /// A record's text as a fresh wallet would write it (no piece kept).
    fn fresh_text(records: &Records, lots: &[&Lot]) -> String {
        write(&records.without_kept_text(), lots)
    }

    fn write(records: &Records, lots: &[&Lot]) -> String {
        records_text(records, lots).to_string()
    }

    /// The records, with what loading rebuilds against the snapshot's own lot order (the lot indices still
    /// refundable) left out, and each charge's result named by its record as loading names it.
    fn list(records: &Records) -> Vec<(String, Record)> {
        records
            .iter()
            .map(|(id, r)| (id.clone(), r.clone()))
            .map(|(id, mut r)| {
                if let Record::Charge { charge, .. } = &mut r {
                    charge.remaining.clear();
                    charge.result.id.clone_from(&id);
                }
                (id, r)
            })
            .collect()
    }

    #[test]
    fn binary_records_round_trip_and_refuse_a_lot_index_out_of_range() {
        let lots = [lot("a")];
        let mut records = Records::default();
        records.insert("c1".to_string(), charge("a"));
        let text = write(&records, &[&lots[0]]);
        let read = records_from_text(text.clone(), &lots).unwrap();
        assert_eq!(list(&read), list(&records));
        // Read back and written again: the same text, from the kept pieces.
        assert_eq!(write(&read, &[&lots[0]]), text);
        // The same piece against a snapshot without that lot.
        let e = records_from_text(text.clone(), &[]).unwrap_err();
        assert_eq!(e.code, ErrorCode::Snapshot);
        assert!(e.message.contains("lot"), "{e}");
        // A draw of a lot the snapshot does not hold (index 1 of a one-lot list).
        let two = [lot("a"), lot("b")];
        let mut other = Records::default();
        other.insert("c1".to_string(), charge("b"));
        let text = write(&other, &[&two[0], &two[1]]);
        let e = records_from_text(text, &lots).unwrap_err();
        assert!(e.message.contains("lot"), "{e}");
    }

    #[test]
    fn binary_records_refuse_trailing_bytes_and_bad_text() {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let lots = [lot("a")];
        let mut records = Records::default();
        records.insert("c1".to_string(), charge("a"));
        let text = write(&records, &[&lots[0]]);
        let (head, piece) = text.split_once('.').unwrap();
        let mut bytes = engine.decode(piece).unwrap();
        bytes.push(0);
        let e = records_from_text(format!("{head}.{}", engine.encode(&bytes)), &lots).unwrap_err();
        assert!(e.message.contains("after"), "{e}");
        for bad in [
            "***".to_string(),
            "AA=".to_string(),
            String::new(),
            format!("{text}."),
            format!("{head}..{piece}"),
            format!("{piece}.{head}"),
            format!("{text}.{piece}"),
        ] {
            assert_eq!(
                records_from_text(bad.clone(), &lots).unwrap_err().code,
                ErrorCode::Snapshot,
                "{bad}"
            );
        }
        // No records at all: the tables alone.
        let empty = write(&Records::default(), &[]);
        assert!(records_from_text(empty, &[]).unwrap().is_empty());
    }

    #[test]
    fn record_ids_share_prefixes_and_come_back_whole() {
        let lots = [lot("a")];
        let ids = [
            "gen-100",
            "gen-101",
            "gen-1011",
            "h\u{e9}llo",
            "h\u{e9}llz",
            "z",
        ];
        let mut records = Records::default();
        for id in ids {
            records.insert(id.to_string(), purchase(1));
        }
        let text = write(&records, &[&lots[0]]);
        let back = records_from_text(text, &lots).unwrap();
        let back: Vec<&str> = back.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(back, ids);
    }

    /// The pieces kept between saves never go stale unnoticed: after inserts before, between and after kept
    /// records, changes, removals and lots leaving, each save reads back as exactly the records, and reads back
    /// equal to what a wallet keeping nothing writes.
    #[test]
    fn kept_pieces_follow_every_change() {
        let all = [lot("a"), lot("b"), lot("c")];
        let refs: Vec<&Lot> = all.iter().collect();
        let mut records = Records::default();
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let mut lots: &[&Lot] = &refs;
        for step in 0..400 {
            match next() % 6 {
                0 | 1 => {
                    let prefix = ["gen-", "gen-1", "g", "gen-12", "h\u{e9}"][(next() % 5) as usize];
                    let id = format!("{prefix}{}", next() % 100);
                    let draw = ["a", "b", "c"][(next() % 3) as usize];
                    let r = if next().is_multiple_of(2) {
                        charge(draw)
                    } else {
                        purchase(step)
                    };
                    // A lot a record names stays in the snapshot (as Wallet::live_lots keeps it).
                    if lots.iter().any(|l| &*l.id == draw) {
                        records.insert(id, r);
                    }
                }
                2 => {
                    let ids: Vec<String> = records.iter().map(|(id, _)| id.clone()).collect();
                    if let Some(id) = ids.get((next() % 50) as usize) {
                        if let Some(Record::Purchase { credits, .. }) = records.get_mut(id) {
                            *credits = Credits::new(2 + step as u64).unwrap();
                        }
                    }
                }
                3 if step % 4 == 0 => {
                    let cut = next() % 7;
                    let mut k = 0u64;
                    records.retain(i64::MAX, |_, _| {
                        k += 1;
                        k % 7 != cut
                    });
                }
                4 if step == 200 => {
                    // Lot "a" leaves: nothing names it any more.
                    records.retain(i64::MAX, |_, r| r.lot_ids().all(|id| id != "a"));
                    lots = &refs[1..];
                }
                _ => {}
            }
            if next().is_multiple_of(3) {
                let text = write(&records, lots);
                let owned: Vec<Lot> = lots.iter().map(|l| (*l).clone()).collect();
                let back = records_from_text(text.clone(), &owned).unwrap();
                assert_eq!(list(&back), list(&records), "step {step}");
                let fresh = records_from_text(fresh_text(&records, lots), &owned).unwrap();
                assert_eq!(list(&fresh), list(&records), "step {step}");
                // A wallet read from this text writes it again unchanged.
                assert_eq!(write(&back, lots), text, "step {step}");
            }
        }
        assert!(
            records.len() > 20,
            "the walk kept {} records",
            records.len()
        );
    }
}
