//! The JSON shape of every core type, in one place: results handed to JavaScript (SPEC section 6, field for field)
//! and the parts of the version-1 wallet snapshot. Decoders check every field and report the path that is wrong.

use crate::catalog::Tier;
use crate::credits::Credits;
use crate::error::{Error, ErrorCode, Result};
use crate::journal::ProjectionPoint;
use crate::json::{Fields, Json, Obj, ToJson};
use crate::ledger::{EntryType, LedgerEntry};
use crate::lot::{Kind, Lot};
use crate::spend::{take_from_end, Draw};
use crate::state::{Membership, OpenHold};
use crate::time::Instant;
use crate::view::{Balance, Kinds, LotView, Preview, Totals};
use crate::wallet::{Charge, ChargeState, Hold, Record, Refund, RequestPayload};

const SNAP: ErrorCode = ErrorCode::Snapshot;

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Json {
        // A plain loop: at opt-level z an iterator adapter per element type costs more module than it saves.
        let mut items = Vec::with_capacity(self.len());
        for item in self {
            items.push(item.to_json());
        }
        Json::Arr(items)
    }
}
impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Json {
        self.as_slice().to_json()
    }
}
impl From<Credits> for Json {
    fn from(c: Credits) -> Json {
        Json::from(c.get())
    }
}
impl From<Kind> for Json {
    fn from(k: Kind) -> Json {
        Json::from(k.as_str())
    }
}
impl<T: ToJson> From<&Vec<T>> for Json {
    fn from(v: &Vec<T>) -> Json {
        v.to_json()
    }
}

// ----- results (SPEC section 6) -----

impl ToJson for Draw {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("lotId", &self.lot_id)
            .put("kind", self.kind)
            .put("credits", self.credits)
            .done()
    }
}

impl ToJson for Charge {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("id", &self.id)
            .put("credits", self.credits)
            .put("units", self.units)
            .put("draws", &self.draws)
            .put("at", self.at)
            .done()
    }
}

impl ToJson for Refund {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("chargeId", &self.charge_id)
            .put("credits", self.credits)
            .put("units", self.units)
            .put("draws", &self.draws)
            .done()
    }
}

impl ToJson for Hold {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("id", &self.id)
            .put("credits", self.credits)
            .put("units", self.units)
            .put("draws", &self.draws)
            .put("expiresAt", self.expires_at)
            .done()
    }
}

impl ToJson for LotView {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("id", &self.id)
            .put("kind", self.kind)
            .put("credits", self.credits)
            .put("grantedAt", self.granted_at)
            .put("expiresAt", self.expires_at)
            .put("frozen", self.frozen)
            .put("agentOnly", self.agent_only)
            .done()
    }
}

impl ToJson for Kinds {
    fn to_json(&self) -> Json {
        Kind::ALL
            .iter()
            .fold(Obj::new(), |o, k| o.put(k.as_str(), self.get(*k)))
            .done()
    }
}

impl ToJson for Balance {
    fn to_json(&self) -> Json {
        let next = self
            .next_expiry
            .as_ref()
            .map(|n| Obj::new().put("at", n.at).put("credits", n.credits).done());
        Obj::new()
            .put("at", self.at)
            .put("total", self.total)
            .put("agent", self.agent)
            .put("regular", self.regular)
            .put("frozen", self.frozen)
            .put("held", self.held)
            .put("display", self.display)
            .put("kinds", self.kinds.to_json())
            .put("nextExpiry", next)
            .put("lots", &self.lots)
            .done()
    }
}

impl ToJson for Totals {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("total", self.total)
            .put("agent", self.agent)
            .put("regular", self.regular)
            .done()
    }
}

impl ToJson for Preview {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("quote", self.quote.to_json())
            .put("credits", self.credits)
            .put("sufficient", self.sufficient)
            .put("shortfall", self.shortfall)
            .put("draws", &self.draws)
            .put("balanceAfter", self.balance_after.to_json())
            .done()
    }
}

impl ToJson for ProjectionPoint {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("at", self.at)
            .put("total", self.total)
            .put("agent", self.agent)
            .put("regular", self.regular)
            .put("frozen", self.frozen)
            .put("event", &self.event)
            .done()
    }
}

impl ToJson for LedgerEntry {
    fn to_json(&self) -> Json {
        Obj::new()
            .put("seq", self.seq)
            .put("at", self.at)
            .put("type", self.entry_type.as_str())
            .maybe("kind", self.kind)
            .maybe("lotId", self.lot_id.as_ref())
            .put("credits", self.credits)
            .maybe("ref", self.reference.as_ref())
            .maybe("feature", self.feature.as_ref())
            .put("total", self.total)
            .done()
    }
}

// ----- snapshot parts -----

fn credits(f: &Fields<'_>, key: &str) -> Result<Credits> {
    Credits::new(f.u64(key)?).map_err(|_| f.err(key, "is above 2^53 - 1"))
}

fn kind(f: &Fields<'_>, key: &str) -> Result<Kind> {
    let text = f.str(key)?;
    Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| f.err(key, "is not a credit kind"))
}

fn index(v: &Json, path: &str) -> Result<usize> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::new(SNAP, format!("{path} must be a lot index")))
}

fn takes_json(takes: &[(usize, Credits)]) -> Json {
    Json::Arr(
        takes
            .iter()
            .map(|(i, c)| Json::Arr(vec![Json::from(*i as u64), Json::from(*c)]))
            .collect(),
    )
}

fn takes(f: &Fields<'_>, key: &str) -> Result<Vec<(usize, Credits)>> {
    let path = f.path(key);
    let mut out = Vec::new();
    for pair in f.arr(key)? {
        let Some([i, c]) = pair.as_array() else {
            return Err(Error::new(
                SNAP,
                format!("{path} must hold [lot index, credits] pairs"),
            ));
        };
        let i = index(i, &path)?;
        let credits = c
            .as_u64()
            .and_then(|n| Credits::new(n).ok())
            .ok_or_else(|| Error::new(SNAP, format!("{path} has a bad credit amount")))?;
        out.push((i, credits));
    }
    Ok(out)
}

fn draws(f: &Fields<'_>, key: &str) -> Result<Vec<Draw>> {
    let path = f.path(key);
    let mut out = Vec::new();
    for d in f.arr(key)? {
        let d = Fields::of(d, &path, &["lotId", "kind", "credits"], SNAP)?;
        out.push(Draw {
            lot_id: d.str("lotId")?.to_string(),
            kind: kind(&d, "kind")?,
            credits: credits(&d, "credits")?,
        });
    }
    Ok(out)
}

pub fn lot_json(l: &Lot) -> Json {
    Obj::new()
        .put("id", &l.id)
        .put("kind", l.kind)
        .put("granted", l.granted)
        .put("credits", l.credits)
        .put("grantedAt", l.granted_at)
        .put("expiresAt", l.expires_at)
        .put("frozen", l.frozen)
        .put("expired", l.expired)
        .done()
}

pub fn lot_from(v: &Json, path: &str) -> Result<Lot> {
    let f = Fields::of(
        v,
        path,
        &[
            "id",
            "kind",
            "granted",
            "credits",
            "grantedAt",
            "expiresAt",
            "frozen",
            "expired",
        ],
        SNAP,
    )?;
    Ok(Lot {
        id: f.str("id")?.to_string(),
        kind: kind(&f, "kind")?,
        granted: credits(&f, "granted")?,
        credits: credits(&f, "credits")?,
        granted_at: f.instant("grantedAt")?,
        expires_at: f.opt_instant("expiresAt")?,
        frozen: f.bool("frozen")?,
        expired: f.bool("expired")?,
    })
}

pub fn membership_json(m: &Membership) -> Json {
    match m {
        Membership::None => Obj::new().put("status", "none").done(),
        Membership::Trial { until } => Obj::new()
            .put("status", "trial")
            .put("until", *until)
            .done(),
        Membership::Active {
            anchor,
            until,
            monthly_credits,
            monthly_agent_credits,
            next_index,
            next_at,
        } => Obj::new()
            .put("status", "active")
            .put("anchor", *anchor)
            .put("until", *until)
            .put("monthlyCredits", *monthly_credits)
            .put("monthlyAgentCredits", *monthly_agent_credits)
            .put("nextIndex", *next_index)
            .put("nextAt", *next_at)
            .done(),
        Membership::Lapsed { since } => Obj::new()
            .put("status", "lapsed")
            .put("since", *since)
            .done(),
    }
}

pub fn membership_from(v: &Json) -> Result<Membership> {
    let status = v.get("status").and_then(Json::as_str).unwrap_or_default();
    let path = "snapshot.membership";
    Ok(match status {
        "none" => {
            Fields::of(v, path, &["status"], SNAP)?;
            Membership::None
        }
        "trial" => Membership::Trial {
            until: Fields::of(v, path, &["status", "until"], SNAP)?.instant("until")?,
        },
        "lapsed" => Membership::Lapsed {
            since: Fields::of(v, path, &["status", "since"], SNAP)?.instant("since")?,
        },
        "active" => {
            let f = Fields::of(
                v,
                path,
                &[
                    "status",
                    "anchor",
                    "until",
                    "monthlyCredits",
                    "monthlyAgentCredits",
                    "nextIndex",
                    "nextAt",
                ],
                SNAP,
            )?;
            Membership::Active {
                anchor: f.instant("anchor")?,
                until: f.instant("until")?,
                monthly_credits: credits(&f, "monthlyCredits")?,
                monthly_agent_credits: credits(&f, "monthlyAgentCredits")?,
                next_index: u32::try_from(f.u64("nextIndex")?)
                    .map_err(|_| f.err("nextIndex", "is too large"))?,
                next_at: f.opt_instant("nextAt")?,
            }
        }
        _ => {
            return Err(Error::new(
                SNAP,
                "snapshot.membership.status must be none, trial, active or lapsed",
            ))
        }
    })
}

pub fn hold_json(h: &OpenHold) -> Json {
    Obj::new()
        .put("id", &h.id)
        .put("feature", &h.feature)
        .put("expiresAt", h.expires_at)
        .put("takes", takes_json(&h.takes))
        .done()
}

pub fn hold_from(v: &Json, path: &str) -> Result<OpenHold> {
    let f = Fields::of(v, path, &["id", "feature", "expiresAt", "takes"], SNAP)?;
    Ok(OpenHold {
        id: f.str("id")?.to_string(),
        feature: f.str("feature")?.to_string(),
        expires_at: f.instant("expiresAt")?,
        takes: takes(&f, "takes")?,
    })
}

fn hex(bits: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..16)
        .rev()
        .map(|k| {
            char::from(
                DIGITS
                    .get(((bits >> (k * 4)) & 0xf) as usize)
                    .copied()
                    .unwrap_or(b'0'),
            )
        })
        .collect()
}

fn payload_json(p: &RequestPayload) -> Json {
    Obj::new()
        .put("feature", &p.feature)
        .put("tier", p.tier.as_str())
        .put("units", p.units)
        // Exact: the f64's bits, so a replay compares equal after a round trip.
        .put("secondsBits", p.seconds.map(|s| hex(s.to_bits())))
        .put("at", p.at)
        .put("catalog", &p.catalog)
        .done()
}

fn payload_from(v: &Json, path: &str) -> Result<RequestPayload> {
    let f = Fields::of(
        v,
        path,
        &["feature", "tier", "units", "secondsBits", "at", "catalog"],
        SNAP,
    )?;
    let seconds = match f.opt("secondsBits") {
        None => None,
        Some(_) => Some(f64::from_bits(
            u64::from_str_radix(f.str("secondsBits")?, 16)
                .map_err(|_| f.err("secondsBits", "must be 16 hex digits"))?,
        )),
    };
    Ok(RequestPayload {
        feature: f.str("feature")?.to_string(),
        tier: Tier::parse(f.str("tier")?)
            .map_err(|_| f.err("tier", "must be general or premium"))?,
        units: f.u64("units")?,
        seconds,
        at: f.instant("at")?,
        catalog: f.str("catalog")?.to_string(),
    })
}

fn charge_json(c: &Charge) -> Json {
    c.to_json()
}

fn charge_from(v: &Json, path: &str) -> Result<Charge> {
    let f = Fields::of(v, path, &["id", "credits", "units", "draws", "at"], SNAP)?;
    Ok(Charge {
        id: f.str("id")?.to_string(),
        credits: credits(&f, "credits")?,
        units: f.u64("units")?,
        draws: draws(&f, "draws")?,
        at: f.instant("at")?,
    })
}

fn charge_state_json(c: &ChargeState) -> Json {
    Obj::new()
        .put("result", charge_json(&c.result))
        .put("feature", &c.feature)
        .put("unitCredits", c.unit_credits)
        .put("refundedUnits", c.refunded_units)
        .put("remaining", takes_json(&c.remaining))
        .put("changed", c.changed)
        .done()
}

fn charge_state_from(v: &Json, path: &str) -> Result<ChargeState> {
    let f = Fields::of(
        v,
        path,
        &[
            "result",
            "feature",
            "unitCredits",
            "refundedUnits",
            "remaining",
            "changed",
        ],
        SNAP,
    )?;
    let result = charge_from(f.req("result")?, &f.path("result"))?;
    Ok(ChargeState {
        // Version 1 has no `changed`: the snapshot loader rebuilds it from the ledger.
        changed: f.opt_instant("changed")?.unwrap_or(result.at),
        result,
        feature: f.str("feature")?.to_string(),
        unit_credits: credits(&f, "unitCredits")?,
        refunded_units: f.u64("refundedUnits")?,
        remaining: takes(&f, "remaining")?,
    })
}

pub fn record_json(r: &Record) -> Json {
    match r {
        Record::Purchase { credits, at } => Obj::new()
            .put("op", "purchase")
            .put("credits", *credits)
            .put("at", *at)
            .done(),
        Record::Promotion {
            credits,
            at,
            expires_at,
        } => Obj::new()
            .put("op", "promotion")
            .put("credits", *credits)
            .put("at", *at)
            .put("expiresAt", *expires_at)
            .done(),
        Record::Charge { request, charge } => Obj::new()
            .put("op", "charge")
            .put("request", payload_json(request))
            .put("charge", charge_state_json(charge))
            .done(),
        Record::Hold {
            request,
            ttl_ms,
            result,
            unit_credits,
            captured,
            released,
        } => Obj::new()
            .put("op", "hold")
            .put("request", payload_json(request))
            .put("ttlMs", *ttl_ms)
            .put("result", result.to_json())
            .put("unitCredits", *unit_credits)
            .put("captured", captured.as_ref().map(charge_state_json))
            .maybe("released", *released)
            .done(),
        Record::Refund {
            charge_id,
            units,
            at,
            result,
        } => Obj::new()
            .put("op", "refund")
            .put("chargeId", charge_id)
            .put("units", *units)
            .put("at", *at)
            .put("result", result.to_json())
            .done(),
    }
}

pub fn record_from(v: &Json, path: &str) -> Result<Record> {
    let op = v.get("op").and_then(Json::as_str).unwrap_or_default();
    Ok(match op {
        "purchase" => {
            let f = Fields::of(v, path, &["op", "credits", "at"], SNAP)?;
            Record::Purchase {
                credits: credits(&f, "credits")?,
                at: f.instant("at")?,
            }
        }
        "promotion" => {
            let f = Fields::of(v, path, &["op", "credits", "at", "expiresAt"], SNAP)?;
            Record::Promotion {
                credits: credits(&f, "credits")?,
                at: f.instant("at")?,
                expires_at: f.instant("expiresAt")?,
            }
        }
        "charge" => {
            let f = Fields::of(v, path, &["op", "request", "charge"], SNAP)?;
            Record::Charge {
                request: payload_from(f.req("request")?, &f.path("request"))?,
                charge: charge_state_from(f.req("charge")?, &f.path("charge"))?,
            }
        }
        "hold" => {
            let f = Fields::of(
                v,
                path,
                &[
                    "op",
                    "request",
                    "ttlMs",
                    "result",
                    "unitCredits",
                    "captured",
                    "released",
                ],
                SNAP,
            )?;
            let r = Fields::of(
                f.req("result")?,
                &f.path("result"),
                &["id", "credits", "units", "draws", "expiresAt"],
                SNAP,
            )?;
            Record::Hold {
                request: payload_from(f.req("request")?, &f.path("request"))?,
                ttl_ms: f.u64("ttlMs")?,
                result: Hold {
                    id: r.str("id")?.to_string(),
                    credits: credits(&r, "credits")?,
                    units: r.u64("units")?,
                    draws: draws(&r, "draws")?,
                    expires_at: r.instant("expiresAt")?,
                },
                unit_credits: credits(&f, "unitCredits")?,
                captured: match f.opt("captured") {
                    None => None,
                    Some(c) => Some(charge_state_from(c, &f.path("captured"))?),
                },
                released: f.opt_instant("released")?,
            }
        }
        "refund" => {
            let f = Fields::of(v, path, &["op", "chargeId", "units", "at", "result"], SNAP)?;
            let r = Fields::of(
                f.req("result")?,
                &f.path("result"),
                &["chargeId", "credits", "units", "draws"],
                SNAP,
            )?;
            Record::Refund {
                charge_id: f.str("chargeId")?.to_string(),
                units: f.u64("units")?,
                at: f.instant("at")?,
                result: Refund {
                    charge_id: r.str("chargeId")?.to_string(),
                    credits: credits(&r, "credits")?,
                    units: r.u64("units")?,
                    draws: draws(&r, "draws")?,
                },
            }
        }
        _ => {
            return Err(Error::new(
                SNAP,
                format!("{path}.op must be purchase, promotion, charge, hold or refund"),
            ))
        }
    })
}

pub fn entry_from(v: &Json, path: &str) -> Result<LedgerEntry> {
    let f = Fields::of(
        v,
        path,
        &[
            "seq", "at", "type", "kind", "lotId", "credits", "ref", "feature", "total",
        ],
        SNAP,
    )?;
    let type_text = f.str("type")?;
    let entry_type = [
        EntryType::Grant,
        EntryType::Charge,
        EntryType::Refund,
        EntryType::Hold,
        EntryType::Capture,
        EntryType::Release,
        EntryType::Expire,
        EntryType::Freeze,
        EntryType::Unfreeze,
    ]
    .into_iter()
    .find(|t| t.as_str() == type_text)
    .ok_or_else(|| f.err("type", "is not a ledger entry type"))?;
    let text = |key: &str| -> Result<Option<String>> {
        f.opt(key)
            .map(|_| f.str(key).map(str::to_string))
            .transpose()
    };
    Ok(LedgerEntry {
        seq: f.u64("seq")?,
        at: f.instant("at")?,
        entry_type,
        kind: f.opt("kind").map(|_| kind(&f, "kind")).transpose()?,
        lot_id: text("lotId")?,
        credits: f.i64("credits")?,
        reference: text("ref")?,
        feature: text("feature")?,
        total: credits(&f, "total")?.get(),
    })
}

// ----- version-2 records: compact, lots named by their index in the snapshot's `lots` (SPEC 9) -----
//
// What a record can rebuild is not written: a result's id is the record's key, a charge's `at` and units are its
// request's, a hold's expiry is `at + ttl`, the draws still refundable are the draws less the refunded credits taken
// from the end (exactly how refunds take them). Draws are `[lot index, credits]`; a draw's lot id and kind come from
// the lot. Optional members are absent when they hold their default: `t` (tier) general, `s` (seconds bits) none,
// `r` (refunded units) 0, `ch` (last change) the record's own instant.

/// Lot id -> index in the snapshot's lot list, for writing version-2 records.
pub struct LotKeys<'a>(Vec<(&'a str, usize)>);

impl<'a> LotKeys<'a> {
    /// The keys of the lots a snapshot writes, in the order it writes them.
    pub fn of(lots: &[&'a Lot]) -> LotKeys<'a> {
        let mut keys: Vec<(&str, usize)> = lots
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.as_str(), i))
            .collect();
        keys.sort_unstable();
        LotKeys(keys)
    }
    fn key(&self, id: &str) -> u64 {
        // The writer only names lots the snapshot keeps (Wallet::live_lots); u64::MAX would fail loading loudly.
        self.0
            .binary_search_by(|(x, _)| (*x).cmp(id))
            .ok()
            .and_then(|k| self.0.get(k))
            .map_or(u64::MAX, |(_, i)| *i as u64)
    }
    fn draws(&self, draws: &[Draw]) -> Json {
        Json::Arr(
            draws
                .iter()
                .map(|d| Json::Arr(vec![Json::from(self.key(&d.lot_id)), Json::from(d.credits)]))
                .collect(),
        )
    }
}

fn request_v2(o: Obj, p: &RequestPayload, catalogs: &mut Vec<String>) -> Obj {
    let cat = match catalogs.iter().position(|c| *c == p.catalog) {
        Some(i) => i,
        None => {
            catalogs.push(p.catalog.clone());
            catalogs.len() - 1
        }
    };
    o.put("f", &p.feature)
        .maybe("t", (p.tier != Tier::General).then(|| p.tier.as_str()))
        .put("u", p.units)
        .maybe("s", p.seconds.map(|s| hex(s.to_bits())))
        .put("at", p.at)
        .maybe("cat", (cat != 0).then_some(cat as u64))
}

fn charge_state_v2(o: Obj, c: &ChargeState, keys: &LotKeys<'_>) -> Obj {
    o.put("c", c.result.credits)
        .put("d", keys.draws(&c.result.draws))
        .maybe("r", (c.refunded_units != 0).then_some(c.refunded_units))
        .maybe("ch", (c.changed != c.result.at).then_some(c.changed))
}

/// A record in the version-2 snapshot shape. `catalogs` collects the catalog ids the records name (the snapshot's
/// `catalogs` table: index 0 is the default, written as an absent `cat`).
pub fn record_json_v2(r: &Record, keys: &LotKeys<'_>, catalogs: &mut Vec<String>) -> Json {
    match r {
        Record::Purchase { .. } | Record::Promotion { .. } => record_json(r),
        Record::Charge { request, charge } => {
            let o = request_v2(Obj::new().put("op", "charge"), request, catalogs)
                .put("uc", charge.unit_credits);
            charge_state_v2(o, charge, keys).done()
        }
        Record::Hold {
            request,
            ttl_ms,
            result,
            unit_credits,
            captured,
            released,
        } => request_v2(Obj::new().put("op", "hold"), request, catalogs)
            .put("ttl", *ttl_ms)
            .put("uc", *unit_credits)
            .put("c", result.credits)
            .put("d", keys.draws(&result.draws))
            .maybe(
                "cap",
                captured.as_ref().map(|c| {
                    charge_state_v2(
                        Obj::new().put("u", c.result.units).put("at", c.result.at),
                        c,
                        keys,
                    )
                    .done()
                }),
            )
            .maybe("rel", *released)
            .done(),
        Record::Refund {
            charge_id,
            units,
            at,
            result,
        } => Obj::new()
            .put("op", "refund")
            .put("charge", charge_id)
            .put("u", *units)
            .put("at", *at)
            .put("c", result.credits)
            .put("d", keys.draws(&result.draws))
            .done(),
    }
}

/// (lot index, credits) pairs, in draw order.
type Takes = Vec<(usize, Credits)>;

/// Draws `[lot index, credits]` against the snapshot's lots: (index, credits) and the draws with ids and kinds.
fn draws_v2(f: &Fields<'_>, key: &str, lots: &[Lot]) -> Result<(Takes, Vec<Draw>)> {
    let takes = takes(f, key)?;
    let mut draws = Vec::with_capacity(takes.len());
    for &(i, credits) in &takes {
        let lot = lots
            .get(i)
            .ok_or_else(|| f.err(key, "names a lot the snapshot does not hold"))?;
        draws.push(Draw {
            lot_id: lot.id.clone(),
            kind: lot.kind,
            credits,
        });
    }
    Ok((takes, draws))
}

fn request_from_v2(f: &Fields<'_>, catalogs: &[String]) -> Result<RequestPayload> {
    let seconds = match f.opt("s") {
        None => None,
        Some(_) => Some(f64::from_bits(
            u64::from_str_radix(f.str("s")?, 16)
                .map_err(|_| f.err("s", "must be 16 hex digits"))?,
        )),
    };
    let cat = match f.opt("cat") {
        None => 0,
        Some(_) => usize::try_from(f.u64("cat")?).unwrap_or(usize::MAX),
    };
    Ok(RequestPayload {
        feature: f.str("f")?.to_string(),
        tier: match f.opt("t") {
            None => Tier::General,
            Some(_) => Tier::parse(f.str("t")?).map_err(|_| f.err("t", "must be premium"))?,
        },
        units: f.u64("u")?,
        seconds,
        at: f.instant("at")?,
        catalog: catalogs
            .get(cat)
            .cloned()
            .ok_or_else(|| f.err("cat", "is not an index into snapshot.catalogs"))?,
    })
}

/// A charge state from a version-2 record: its own units, instant and draws; what is still refundable is rebuilt.
fn charge_state_from_v2(
    f: &Fields<'_>,
    id: &str,
    units: u64,
    at: Instant,
    feature: &str,
    unit_credits: Credits,
    lots: &[Lot],
) -> Result<ChargeState> {
    let (mut remaining, draws) = draws_v2(f, "d", lots)?;
    let refunded_units = match f.opt("r") {
        None => 0,
        Some(_) => f.u64("r")?,
    };
    let refunded = unit_credits
        .times(refunded_units)
        .map_err(|_| f.err("r", "is too large"))?;
    take_from_end(&mut remaining, refunded)?;
    Ok(ChargeState {
        result: Charge {
            id: id.to_string(),
            credits: credits(f, "c")?,
            units,
            draws,
            at,
        },
        feature: feature.to_string(),
        unit_credits,
        refunded_units,
        remaining,
        changed: f.opt_instant("ch")?.unwrap_or(at),
    })
}

pub fn record_from_v2(
    id: &str,
    v: &Json,
    path: &str,
    lots: &[Lot],
    catalogs: &[String],
) -> Result<Record> {
    let op = v.get("op").and_then(Json::as_str).unwrap_or_default();
    const REQUEST: [&str; 7] = ["op", "f", "t", "u", "s", "at", "cat"];
    Ok(match op {
        "purchase" | "promotion" => record_from(v, path)?,
        "charge" => {
            let mut allowed = REQUEST.to_vec();
            allowed.extend(["uc", "c", "d", "r", "ch"]);
            let f = Fields::of(v, path, &allowed, SNAP)?;
            let request = request_from_v2(&f, catalogs)?;
            let unit_credits = credits(&f, "uc")?;
            let charge = charge_state_from_v2(
                &f,
                id,
                request.units,
                request.at,
                &request.feature,
                unit_credits,
                lots,
            )?;
            Record::Charge { request, charge }
        }
        "hold" => {
            let mut allowed = REQUEST.to_vec();
            allowed.extend(["ttl", "uc", "c", "d", "cap", "rel"]);
            let f = Fields::of(v, path, &allowed, SNAP)?;
            let request = request_from_v2(&f, catalogs)?;
            let unit_credits = credits(&f, "uc")?;
            let ttl_ms = f.u64("ttl")?;
            let expires_at = request
                .at
                .add_millis(i64::try_from(ttl_ms).unwrap_or(i64::MAX))
                .map_err(|_| f.err("ttl", "is too long"))?;
            let (_, draws) = draws_v2(&f, "d", lots)?;
            let captured = match f.opt("cap") {
                None => None,
                Some(c) => {
                    let c = Fields::of(c, &f.path("cap"), &["u", "at", "c", "d", "r", "ch"], SNAP)?;
                    Some(charge_state_from_v2(
                        &c,
                        id,
                        c.u64("u")?,
                        c.instant("at")?,
                        &request.feature,
                        unit_credits,
                        lots,
                    )?)
                }
            };
            Record::Hold {
                result: Hold {
                    id: id.to_string(),
                    credits: credits(&f, "c")?,
                    units: request.units,
                    draws,
                    expires_at,
                },
                request,
                ttl_ms,
                unit_credits,
                captured,
                released: f.opt_instant("rel")?,
            }
        }
        "refund" => {
            let f = Fields::of(v, path, &["op", "charge", "u", "at", "c", "d"], SNAP)?;
            let charge_id = f.str("charge")?.to_string();
            let units = f.u64("u")?;
            let (_, draws) = draws_v2(&f, "d", lots)?;
            Record::Refund {
                result: Refund {
                    charge_id: charge_id.clone(),
                    credits: credits(&f, "c")?,
                    units,
                    draws,
                },
                charge_id,
                units,
                at: f.instant("at")?,
            }
        }
        _ => {
            return Err(Error::new(
                SNAP,
                format!("{path}.op must be purchase, promotion, charge, hold or refund"),
            ))
        }
    })
}
