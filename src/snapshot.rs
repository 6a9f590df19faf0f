//! Wallet snapshots: a versioned, lossless JSON form of everything a wallet knows (lots, membership, open holds,
//! idempotency records, ledger). Loading checks the format, the version and the internal consistency, and answers
//! `E_SNAPSHOT` with the reason for anything else; it never trusts an index or an amount it has not checked.
//!
//! Version policy: `version` is bumped on any change a version-1 reader could misread. A reader of version N loads
//! every version up to N, upgrading older ones in memory, and always writes version N.

use crate::calendar::TimeZone;
use crate::codec::{
    records_bin, records_from_bin, records_from_text, records_text, Loose, LotKeys, MembershipDoc,
    RecordsBin, RecordsJson,
};
use crate::credits::Credits;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{EntryType, LedgerEntry};
use crate::lot::Lot;
use crate::state::{Membership, OpenHold, State, MAX_LOTS};
use crate::time::Instant;
use crate::wallet::{Record, Records, Wallet};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

pub const FORMAT: &str = "credit-engine/wallet";
pub const VERSION: u32 = 2;
/// Largest snapshot text accepted, in bytes, and the most any wallet's snapshot can grow to: loading 8 MiB takes
/// about 53 MiB of WebAssembly memory, inside an edge isolate's 128 MB with the text itself (README "Limits").
pub const MAX_SNAPSHOT_BYTES: usize = 8 * 1024 * 1024;
/// Longest ledger a wallet may have (the snapshot size usually binds first).
pub const MAX_LEDGER_ENTRIES: usize = 100_000;

fn snap_err(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Snapshot, message)
}

/// A snapshot as this engine writes it (version 2).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotOut<'a> {
    format: &'static str,
    version: u32,
    time_zone: &'a str,
    retention_days: u32,
    next_seq: u64,
    clock: Option<Instant>,
    membership: &'a Membership,
    had_trial: bool,
    had_membership: bool,
    last_daily_login_day: Option<i64>,
    lots: Vec<&'a Lot>,
    holds: Vec<OpenHold>,
    /// The idempotency records, compact and binary (`crate::codec::RecordsBin`), as base64url text.
    records: &'a str,
    ledger: &'a [LedgerEntry],
}

/// The compact snapshot a signed token carries, binary (postcard): what a pre-check reads, nothing more.
#[derive(Serialize, Deserialize)]
struct CompactBin<'a> {
    #[serde(borrow)]
    time_zone: Cow<'a, str>,
    retention_days: u32,
    next_seq: u64,
    clock: Option<Instant>,
    #[serde(with = "MembershipBin")]
    membership: Membership,
    had_trial: bool,
    had_membership: bool,
    last_daily_login_day: Option<i64>,
    lots: Vec<Lot>,
    holds: Vec<OpenHold>,
    #[serde(borrow)]
    records: RecordsBin<'a>,
}

/// The membership in binary forms: serde's remote derive for [`Membership`] (same variants and fields), so the
/// compact snapshot writes and reads the engine's own type with no copy in between.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Membership")]
enum MembershipBin {
    None,
    Trial {
        until: Instant,
    },
    Active {
        anchor: Instant,
        until: Instant,
        monthly_credits: Credits,
        monthly_agent_credits: Credits,
        next_index: u32,
        next_at: Option<Instant>,
    },
    Lapsed {
        since: Instant,
    },
}

/// A snapshot of any version this engine reads (serde_json, from its text, in both targets: it refuses unknown and
/// repeated members).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SnapshotIn {
    format: String,
    version: u64,
    time_zone: String,
    retention_days: Option<u64>,
    next_seq: Option<u64>,
    clock: Option<Instant>,
    membership: MembershipDoc,
    had_trial: bool,
    had_membership: bool,
    last_daily_login_day: Option<i64>,
    lots: Vec<Lot>,
    holds: Vec<OpenHold>,
    records: RecordsIn,
    ledger: Vec<LedgerEntry>,
}

/// `records`: base64url text (version 2) or a JSON object (version 1).
enum RecordsIn {
    Text(String),
    Json(RecordsJson),
}

impl<'de> Deserialize<'de> for RecordsIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RecordsIn;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the records as Wallet.toJSON() writes them")
            }
            fn visit_str<E: serde::de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(RecordsIn::Text(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(
                self,
                v: String,
            ) -> std::result::Result<Self::Value, E> {
                Ok(RecordsIn::Text(v))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                m: M,
            ) -> std::result::Result<Self::Value, M::Error> {
                RecordsJson::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(RecordsIn::Json)
            }
        }
        d.deserialize_any(V)
    }
}

/// What is read when a snapshot does not load: is it a snapshot at all, and of which version.
#[derive(Deserialize)]
struct Head {
    format: Option<Loose>,
    version: Option<Loose>,
}

impl Wallet {
    /// The snapshot as JSON text (format version 2).
    pub fn to_snapshot_json(&self) -> Result<String> {
        // Lots with nothing left that nothing points at never reach a snapshot, even between two removals: the
        // writer leaves them out and renumbers (no copy of the wallet).
        Ok(self.snapshot_text())
    }

    /// The length of the snapshot's text, for the size bound.
    pub(crate) fn snapshot_len(&self) -> usize {
        self.to_snapshot_json()
            .map_or(MAX_SNAPSHOT_BYTES, |s| s.len())
    }

    /// The compact snapshot a signed token carries (`token`): the same format, without what a pre-check never
    /// reads: no ledger, idempotency records of open holds only, and no lot that has nothing left unless an open
    /// hold draws on it (hold indices renumbered). A wallet loaded from it prices and previews exactly like the full
    /// one, but is a read copy: it is never stored back as the account's wallet.
    pub fn to_compact_snapshot(&self) -> Vec<u8> {
        let (lots, holds) = self.kept_parts(true);
        let keys = LotKeys::of(&lots);
        let records = self
            .records
            .iter()
            .filter(|(id, _)| self.state.holds.iter().any(|h| &h.id == *id))
            .map(|(id, r)| (id.as_str(), r));
        let s = &self.state;
        let out = CompactBin {
            time_zone: Cow::Borrowed(self.tz.name()),
            retention_days: self.retention_days,
            next_seq: self.next_seq,
            clock: s.clock,
            membership: s.membership.clone(),
            had_trial: s.had_trial,
            had_membership: s.had_membership,
            last_daily_login_day: s.last_daily_day,
            records: records_bin(records, &keys),
            lots: lots.into_iter().cloned().collect(),
            holds,
        };
        postcard::to_allocvec(&out).unwrap_or_default()
    }

    /// A wallet from the bytes [`Wallet::to_compact_snapshot`] wrote (`E_SNAPSHOT` for anything else, trailing
    /// bytes included), checked as any snapshot.
    pub fn from_compact_snapshot(bytes: &[u8]) -> Result<Wallet> {
        let (c, rest): (CompactBin<'_>, &[u8]) = postcard::take_from_bytes(bytes)
            .map_err(|e| snap_err(format!("the compact snapshot cannot be read: {e}")))?;
        if !rest.is_empty() {
            return Err(snap_err("the compact snapshot has bytes after its end"));
        }
        let tz = zone(&c.time_zone)?;
        let mut records = Records::default();
        for (id, r) in records_from_bin(&c.records, &c.lots)? {
            add_record(&mut records, id, r)?;
        }
        let state = State {
            clock: c.clock,
            lots: c.lots,
            membership: c.membership,
            had_trial: c.had_trial,
            had_membership: c.had_membership,
            holds: c.holds,
            last_daily_day: c.last_daily_login_day,
            usable: Credits::ZERO,
            frozen_total: Credits::ZERO,
        };
        Wallet::assemble(tz, c.retention_days, state, records, Vec::new(), c.next_seq)
    }

    /// The lots a snapshot keeps (all, or for a compact one those with credits or under an open hold), the open
    /// holds with their lot indices renumbered to match.
    fn kept_parts(&self, compact: bool) -> (Vec<&Lot>, Vec<OpenHold>) {
        let s = &self.state;
        // Every live lot (with credits, or named by an open hold or a retained record: `live_lots`); a compact
        // snapshot keeps only lots with credits or under an open hold.
        let mut keep = if compact {
            vec![false; s.lots.len()]
        } else {
            self.live_lots()
        };
        for (i, _) in s.holds.iter().flat_map(|h| &h.takes) {
            if let Some(k) = keep.get_mut(*i) {
                *k = true;
            }
        }
        // Old lot index -> new.
        let mut index = Vec::with_capacity(keep.len());
        let mut kept: Vec<&Lot> = Vec::with_capacity(keep.len());
        for (lot, k) in s.lots.iter().zip(keep) {
            index.push(kept.len());
            if k || !lot.credits.is_zero() {
                kept.push(lot);
            }
        }
        let mut holds = Vec::with_capacity(s.holds.len());
        for h in &s.holds {
            let mut h = h.clone();
            for t in &mut h.takes {
                t.0 = index.get(t.0).copied().unwrap_or(t.0);
            }
            holds.push(h);
        }
        (kept, holds)
    }

    fn snapshot_text(&self) -> String {
        self.snapshot_parts(|head, records| crate::codec::to_json(&SnapshotOut { records, ..head }))
    }

    /// The snapshot in two parts for a host that builds it as an object: the JSON text of everything but the
    /// records (whose `records` member is ""), and the records text to put there. Nothing is written twice and the
    /// long records text is never scanned for escapes (base64url and '.' need none). (Measured against building
    /// the object member by member with serde-wasm-bindgen: as fast or faster, since each of the ~50 short strings
    /// of a snapshot costs a TextDecoder call that one JSON.parse does not.)
    pub fn snapshot_json_parts<T>(&self, f: impl FnOnce(&str, &str) -> T) -> T {
        self.snapshot_parts(|head, records| f(&crate::codec::to_json(&head), records))
    }

    fn snapshot_parts<T>(&self, f: impl FnOnce(SnapshotOut<'_>, &str) -> T) -> T {
        let s = &self.state;
        let (lots, holds) = self.kept_parts(false);
        let records = records_text(&self.records, &lots);
        let head = SnapshotOut {
            format: FORMAT,
            version: VERSION,
            time_zone: self.tz.name(),
            retention_days: self.retention_days,
            next_seq: self.next_seq,
            clock: s.clock,
            membership: &s.membership,
            had_trial: s.had_trial,
            had_membership: s.had_membership,
            last_daily_login_day: s.last_daily_day,
            lots,
            holds,
            records: "",
            ledger: &self.ledger,
        };
        f(head, &records)
    }

    pub fn from_snapshot_json(text: &str) -> Result<Wallet> {
        check_size(text.len())?;
        let doc = match serde_json::from_str::<SnapshotIn>(text) {
            Ok(doc) => doc,
            Err(e) => {
                let head = serde_json::from_str::<Head>(text).ok();
                return Err(explain(head, &crate::codec::json_error_text(text, &e)));
            }
        };
        let mut w = Wallet::from_doc(doc)?;
        // Twice the text bounds the snapshot this wallet writes: written back, an instant in its shortest accepted
        // form grows by less than half and a raw U+2028/U+2029 doubles (\u escape); all else stays or shrinks.
        // (A change near the limit measures exactly.)
        w.size.0 = text.len().saturating_mul(2);
        Ok(w)
    }

    fn from_doc(doc: SnapshotIn) -> Result<Wallet> {
        check_head(Some(&doc.format), Some(doc.version))?;
        let tz = zone(&doc.time_zone)?;
        for (name, len) in [
            ("lots", doc.lots.len()),
            ("holds", doc.holds.len()),
            ("ledger", doc.ledger.len()),
        ] {
            if len > MAX_LEDGER_ENTRIES {
                return Err(snap_err(format!("snapshot.{name} has too many items")));
            }
        }
        let version_2 = doc.version == 2;
        let lots = doc.lots;
        let mut records = Records::default();
        match doc.records {
            RecordsIn::Text(text) if version_2 => {
                records = records_from_text(text, &lots)?;
            }
            RecordsIn::Json(raw) if !version_2 => {
                if raw.0.len() > MAX_LEDGER_ENTRIES {
                    return Err(snap_err("snapshot.records has too many items"));
                }
                for (id, r) in raw.0 {
                    let path = format!("snapshot.records['{}']", crate::error::clip(&id, 64));
                    let record = r.into_record(&path)?;
                    add_record(&mut records, id, record)?;
                }
            }
            _ => {
                return Err(snap_err(if version_2 {
                    "snapshot.records must be the text Wallet.toJSON() writes (version 2)"
                } else {
                    "snapshot.records must be an object (version 1)"
                }))
            }
        }
        let mut ledger = doc.ledger;
        // Written by this engine since retention exists; older snapshots keep every record for 7 days from the
        // last change their ledger shows, and their whole ledger untaken (SPEC 9).
        let retention_days = match doc.retention_days {
            None => crate::wallet::DEFAULT_RETENTION_DAYS,
            Some(d) => u32::try_from(d).map_err(|_| {
                snap_err("snapshot.retentionDays must be a whole number from 1 to 400")
            })?,
        };
        let next_seq = match doc.next_seq {
            Some(n) => n,
            None => {
                rebuild_last_changes(&mut records, &ledger);
                ledger.last().map_or(1, |e| e.seq.saturating_add(1))
            }
        };
        ledger.shrink_to_fit();
        let state = State {
            clock: doc.clock,
            lots,
            membership: doc.membership.into_membership()?,
            had_trial: doc.had_trial,
            had_membership: doc.had_membership,
            holds: doc.holds,
            last_daily_day: doc.last_daily_login_day,
            usable: Credits::ZERO,
            frozen_total: Credits::ZERO,
        };
        let w = Wallet::assemble(tz, retention_days, state, records, ledger, next_seq)?;
        // A version-1 record carries fields that version 2 derives (a charge's units, instant and feature from its
        // request, what is still refundable from its draws and refunds, each draw's kind from its lot): one that no
        // engine wrote, with those disagreeing, would load and then write a snapshot that reads back otherwise.
        if !version_2 {
            if let Some(id) = crate::codec::first_not_rebuilt(&w.records, &w.state.lots)? {
                return Err(snap_err(format!(
                    "record '{}' is inconsistent: fields that follow from its request, draws and lots say \
                     otherwise (Wallet.toJSON() never writes such a record)",
                    crate::error::clip(id, 64)
                )));
            }
        }
        Ok(w)
    }

    /// A wallet from checked parts: the internal consistency check, then the totals.
    fn assemble(
        tz: TimeZone,
        retention_days: u32,
        mut state: State,
        records: Records,
        ledger: Vec<LedgerEntry>,
        next_seq: u64,
    ) -> Result<Wallet> {
        crate::wallet::check_retention(retention_days)
            .map_err(|e| snap_err(format!("snapshot: {}", e.message)))?;
        check(&state, &records, &ledger, next_seq)?;
        state
            .recount()
            .map_err(|e| snap_err(format!("snapshot amounts: {}", e.message)))?;
        let w = Wallet {
            tz,
            retention_days,
            state,
            records,
            ledger,
            next_seq,
            dead: Default::default(),
            cache: Default::default(),
            // Not measured here (a token's read copy never changes): the first change measures exactly.
            size: crate::wallet::SizeBound(MAX_SNAPSHOT_BYTES),
        };
        Ok(w)
    }
}

/// The format and version check, first of all: a document that is not a snapshot, or of a version this engine
/// does not read, says so rather than naming a member it does not expect.
fn check_head(format: Option<&str>, version: Option<u64>) -> Result<()> {
    if format != Some(FORMAT) {
        return Err(snap_err(format!(
            "not a wallet snapshot: 'format' must be '{FORMAT}'"
        )));
    }
    match version {
        Some(1) | Some(2) => Ok(()),
        Some(v) => Err(snap_err(format!(
            "snapshot version {v} is not supported by this engine (it reads version {VERSION}); upgrade the package"
        ))),
        None => Err(snap_err("snapshot 'version' must be a whole number")),
    }
}

/// A snapshot's time zone (`E_SNAPSHOT` naming it).
fn zone(name: &str) -> Result<TimeZone> {
    TimeZone::new(name).map_err(|e| snap_err(format!("snapshot time zone: {}", e.message)))
}

/// Adds a record read from a snapshot; an id given twice is `E_SNAPSHOT`.
fn add_record(records: &mut Records, id: String, record: Record) -> Result<()> {
    if records.insert(id.clone(), record) {
        Ok(())
    } else {
        Err(crate::codec::record_twice(&id))
    }
}

/// The largest snapshot text accepted.
fn check_size(len: usize) -> Result<()> {
    if len > MAX_SNAPSHOT_BYTES {
        return Err(snap_err(format!(
            "snapshot is {len} bytes; the limit is {MAX_SNAPSHOT_BYTES}"
        )));
    }
    Ok(())
}

/// Why a document did not load as a snapshot: not an object, not a snapshot, a version this engine does not read,
/// or the first member that is wrong (`message`, what the reader found). `head` is the document's `format` and
/// `version` when it is an object at all.
fn explain(head: Option<Head>, message: &str) -> Error {
    let Some(head) = head else {
        return snap_err(format!(
            "a snapshot must be a JSON object made by Wallet.toJSON(): {message}"
        ));
    };
    let format = match head.format {
        Some(Loose::Text(f)) => Some(f),
        _ => None,
    };
    let version = match head.version {
        None => None,
        Some(Loose::Whole(n)) => Some(n),
        Some(_) => return snap_err("snapshot 'version' must be a whole number"),
    };
    match check_head(format.as_deref(), version) {
        Err(e) => e,
        Ok(()) => snap_err(format!("snapshot: {message}")),
    }
}

/// Internal consistency: every index in range, ids unique, amounts within what was granted, ledger in order.
fn check(state: &State, records: &Records, ledger: &[LedgerEntry], next_seq: u64) -> Result<()> {
    let lots = &state.lots;
    if lots.len() > MAX_LOTS {
        return Err(snap_err(format!(
            "snapshot has {} lots; the limit is {MAX_LOTS}",
            lots.len()
        )));
    }
    // Lot ids, sorted once: for the duplicate check here and for the records' lots below.
    let lot_ids = IdSet::of(lots.iter().map(|l| &*l.id));
    if let Some(id) = lot_ids.duplicate() {
        return Err(snap_err(format!("lot id '{id}' appears twice")));
    }
    if let Some(id) = IdSet::of(state.holds.iter().map(|h| h.id.as_str())).duplicate() {
        return Err(snap_err(format!("open hold '{id}' appears twice")));
    }
    // Engine-made lot ids are `kind@grantedAt` (with `#n` for a second lot of a kind at one instant), and lots are
    // kept in grant order, none after the clock: a new engine id then only has to be checked against the lots
    // granted at its own instant, at the end of the list (`State::engine_lot_id`).
    let mut previous = None;
    let mut total: u128 = 0;
    let bad_lot =
        |id: &str, what: &str| snap_err(format!("lot '{}' {what}", crate::error::clip(id, 64)));
    for lot in lots {
        if previous.is_some_and(|p| lot.granted_at < p)
            || state.clock.is_some_and(|c| lot.granted_at > c)
        {
            return Err(bad_lot(
                &lot.id,
                "is out of grant order or granted after the wallet clock",
            ));
        }
        previous = Some(lot.granted_at);
        // An engine id is checked first: it is most lots' id, and `check_id` refuses it with a message.
        if !is_engine_id(lot) && crate::wallet::check_id(&lot.id, "").is_err() {
            return Err(bad_lot(
                &lot.id,
                "has a reserved id that is not the engine's id for its kind and grant time",
            ));
        }
        if lot.credits > lot.granted || (lot.expired && !lot.credits.is_zero()) {
            return Err(bad_lot(&lot.id, "holds more credits than it can"));
        }
        total += u128::from(lot.credits.get());
    }
    let in_range = |takes: &[(usize, Credits)]| takes.iter().all(|(i, _)| *i < lots.len());
    for hold in &state.holds {
        if !in_range(&hold.takes) {
            return Err(snap_err(format!("open hold '{}' is inconsistent", hold.id)));
        }
        if !matches!(
            records.get(&hold.id),
            Some(Record::Hold { captured: None, .. })
        ) {
            return Err(snap_err(format!(
                "open hold '{}' has no hold record",
                hold.id
            )));
        }
        total += hold
            .takes
            .iter()
            .map(|t| u128::from(t.1.get()))
            .sum::<u128>();
    }
    if total > u128::from(crate::credits::MAX_CREDITS) {
        return Err(snap_err("snapshot credits exceed 2^53 - 1"));
    }
    // Every lot a record names is one the wallet holds (the version-2 writer names lots by their index; a version-1
    // file edited by hand could name a lot it does not hold).
    for (id, record) in records.iter() {
        let named = record.lot_ids().all(|lot| lot_ids.contains(lot));
        let ok = named
            && match record {
                Record::Charge { charge, .. }
                | Record::Hold {
                    captured: Some(charge),
                    ..
                } => in_range(&charge.remaining) && charge.refunded_units <= charge.result.units,
                _ => true,
            };
        if !ok {
            return Err(snap_err(format!("record '{id}' is inconsistent")));
        }
    }
    // The entries not yet taken are the last ones written: consecutive, ending right before `nextSeq`.
    let first = next_seq
        .checked_sub(ledger.len() as u64)
        .filter(|f| *f >= 1);
    let Some(first) = first else {
        return Err(snap_err(format!(
            "nextSeq {next_seq} is too small for {} ledger entries",
            ledger.len()
        )));
    };
    for (k, entry) in ledger.iter().enumerate() {
        if entry.seq != first + k as u64 {
            return Err(snap_err(format!(
                "ledger entry {} has seq {}; entries must be numbered consecutively up to nextSeq - 1",
                k + 1,
                entry.seq
            )));
        }
        if let Some(prev) = k.checked_sub(1).and_then(|p| ledger.get(p)) {
            if entry.at < prev.at {
                return Err(snap_err(format!(
                    "ledger entry {} goes back in time",
                    entry.seq
                )));
            }
        }
    }
    match (ledger.last(), state.clock) {
        (Some(last), Some(clock)) if last.at > clock => {
            return Err(snap_err("ledger runs past the wallet clock"));
        }
        (Some(_), None) => return Err(snap_err("a wallet with ledger entries must have a clock")),
        _ => {}
    }
    // A mutation applies every event due up to its instant before moving the clock there, so no scheduled event
    // (expiry, hold expiry, distribution, lapse) can be due at or before the clock. One that is would be applied
    // by the next call and dated before entries already in the ledger.
    match (state.clock, state.next_due()) {
        (Some(clock), Some(due)) if due <= clock => Err(snap_err(format!(
            "a scheduled event at {due} is not after the wallet clock {clock} but was never applied"
        ))),
        (None, Some(_)) => Err(snap_err("a wallet with scheduled events must have a clock")),
        _ => Ok(()),
    }
}

/// A version-1 snapshot keeps no record's last change: rebuild it from the ledger, which version 1 holds whole.
/// A charge (or captured hold) last changed at its latest entry (the charge, the capture or a refund); a released
/// or expired hold at its release entry.
fn rebuild_last_changes(records: &mut Records, ledger: &[LedgerEntry]) {
    // (reference, instant, whether it is a release), sorted: the last item of an id is its latest entry.
    let latest: Vec<(&str, Instant, bool)> = ledger
        .iter()
        .filter_map(|e| {
            let release = e.entry_type == EntryType::Release;
            e.reference.as_deref().map(|r| (r, e.at, release))
        })
        .collect();
    // Stable: entries of one id at one instant keep their ledger order.
    let latest = crate::sort::sorted(&latest, &|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let last_of = |id: &str| -> Option<(Instant, bool)> {
        let end = latest.partition_point(|(r, _, _)| *r <= id);
        latest
            .get(end.checked_sub(1)?)
            .filter(|(r, _, _)| *r == id)
            .map(|(_, at, release)| (*at, *release))
    };
    for (id, r) in records.iter_mut() {
        match r {
            Record::Charge { charge, .. }
            | Record::Hold {
                captured: Some(charge),
                ..
            } => {
                if let Some((at, _)) = last_of(id) {
                    charge.changed = charge.changed.max(at);
                }
            }
            Record::Hold { released, .. } => {
                // Closed by a release (or its expiry, which writes a release at `expiresAt`): its last entry.
                *released = last_of(id)
                    .filter(|(_, release)| *release)
                    .map(|(at, _)| at);
            }
            _ => {}
        }
    }
}

/// Whether the lot's id is the engine's own for its kind and grant time: `kind@grantedAt`, the instant as
/// `to_iso` writes it, then nothing or `#n` with n from 2 written without leading zeros.
fn is_engine_id(lot: &Lot) -> bool {
    let Some(rest) = lot
        .id
        .strip_prefix(lot.kind.as_str())
        .and_then(|r| r.strip_prefix('@'))
    else {
        return false;
    };
    let (Some(iso), Some(suffix)) = (rest.get(..24), rest.get(24..)) else {
        return false;
    };
    Instant::from_canonical(iso) == Some(lot.granted_at)
        && (suffix.is_empty()
            || suffix.strip_prefix('#').is_some_and(|n| {
                (1..=10).contains(&n.len())
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && !n.starts_with('0')
                    && n != "1"
            }))
}

/// Ids sorted by a hash of their bytes, then by the bytes: a duplicate check and a lookup that compare one
/// integer per step where sorting the strings compared their (often long, shared) prefixes. Sorting keeps it
/// O(n log n) whatever the ids are (a hash table would let crafted ids collide).
struct IdSet<'a>(Vec<(u64, &'a str)>);

impl<'a> IdSet<'a> {
    fn of(ids: impl Iterator<Item = &'a str>) -> IdSet<'a> {
        // std's sort on the pairs themselves, not crate::sort: this runs on every load over every lot, hold and
        // record id, and the inlined integer compares measured ~13% of a 1,000-lot load faster than the shared
        // sort's compares through a reference (one more copy of std's sort, ~3 KB).
        let mut keyed: Vec<(u64, &str)> = ids.map(|id| (Self::key(id), id)).collect();
        keyed.sort_unstable();
        IdSet(keyed)
    }

    fn key(id: &str) -> u64 {
        crate::codec::fnv1a(id.as_bytes())
    }

    /// Some id that occurs more than once, if any.
    fn duplicate(&self) -> Option<&'a str> {
        self.0.windows(2).find_map(|w| match w {
            [a, b] if a == b => Some(a.1),
            _ => None,
        })
    }

    fn contains(&self, id: &str) -> bool {
        self.0.binary_search(&(Self::key(id), id)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{is_engine_id, IdSet};
    use crate::credits::Credits;
    use crate::lot::{Kind, Lot};
    use crate::time::Instant;

    /// The engine's id is exactly `kind@` + `to_iso` of the grant time + nothing or `#n` (n >= 2, no leading zero).
    #[test]
    fn engine_ids_are_kind_at_the_grant_time_as_to_iso_writes_it() {
        let mut t: i64 = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
        let mut next = crate::testing::xorshift(88_172_645_463_325_252);
        while t < 253_402_300_799_999 {
            let at = Instant::from_millis(t).expect("in range");
            let lot = |id: String| Lot {
                id: id.into(),
                kind: Kind::DailyLogin,
                granted: Credits::ZERO,
                credits: Credits::ZERO,
                granted_at: at,
                expires_at: None,
                frozen: false,
                expired: false,
            };
            let iso = at.to_iso();
            for (suffix, ok) in [
                ("", true),
                ("#2", true),
                ("#10", true),
                ("#1", false),
                ("#02", false),
                ("#", false),
                ("x", false),
            ] {
                assert_eq!(
                    is_engine_id(&lot(format!("daily_login@{iso}{suffix}"))),
                    ok,
                    "{iso}{suffix}"
                );
            }
            assert!(!is_engine_id(&lot(format!("membership@{iso}"))));
            // Another text of the same instant is not the engine's id.
            assert!(!is_engine_id(&lot(format!(
                "daily_login@{}",
                iso.replace('Z', "+00:00")
            ))));
            let later = Instant::from_millis(t + 1).expect("in range").to_iso();
            assert!(!is_engine_id(&lot(format!("daily_login@{later}"))));
            t += (next() % 900_000_000_000) as i64 + 1;
        }
    }

    #[test]
    fn id_set_finds_duplicates_and_members() {
        let ids: Vec<String> = (0..500)
            .map(|i| format!("daily_login@2026-01-{i:03}"))
            .collect();
        let set = IdSet::of(ids.iter().map(String::as_str));
        assert_eq!(set.duplicate(), None);
        assert!(ids.iter().all(|id| set.contains(id)));
        assert!(!set.contains("daily_login@2026-01-500") && !set.contains(""));
        let twice = IdSet::of(
            ids.iter()
                .map(String::as_str)
                .chain(["daily_login@2026-01-250"]),
        );
        assert_eq!(twice.duplicate(), Some("daily_login@2026-01-250"));
    }
}
