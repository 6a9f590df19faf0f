//! The wallet: one account's credits, membership, holds, idempotency records and ledger, with every operation of
//! SPEC sections 2 to 5. Each mutation works on a copy of the state and commits only on success, so a failed call
//! changes nothing. Reads never change the wallet: they look at a copy advanced to the asked instant.

use crate::calendar::TimeZone;
use crate::catalog::{Catalog, Quote, Tier, UsageRequest};
use crate::credits::Credits;
use crate::error::{Error, ErrorCode, Result};
use crate::journal::{signed, Fact, Journal, ProjectionPoint};
use crate::ledger::{EntryType, LedgerEntry};
use crate::lot::Kind;
use crate::spend::{take_from_end, Draw, Order};
use crate::state::{Membership, OpenHold, State};
use crate::time::Instant;
use crate::view::{self, Balance, Preview, Totals};
use std::sync::Arc;

/// Longest hold, in milliseconds (30 days).
pub const MAX_HOLD_MS: u64 = 30 * 24 * 3_600_000;
/// Most points one projection may return.
pub const MAX_PROJECTION_POINTS: usize = 10_000;
/// Longest caller id, in bytes.
pub const MAX_ID_BYTES: usize = 128;
/// How long the records of charges, closed holds and refunds are kept by default, in days (SPEC section 9).
pub const DEFAULT_RETENTION_DAYS: u32 = 7;
/// The longest retention a wallet may have, in days.
pub const MAX_RETENTION_DAYS: u32 = 400;
/// Lots with nothing left are removed in batches: once this many records were forgotten or lots expired since the
/// last removal (the snapshot never carries them, whatever the count).
const PRUNE_AFTER: u32 = 32;

/// A completed charge (or a captured hold, which is a charge with the hold's id).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub id: String,
    pub credits: Credits,
    pub units: u64,
    pub draws: Vec<Draw>,
    pub at: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub charge_id: String,
    pub credits: Credits,
    pub units: u64,
    pub draws: Vec<Draw>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub id: String,
    pub credits: Credits,
    pub units: u64,
    pub draws: Vec<Draw>,
    pub expires_at: Instant,
}

/// The request part of an idempotency payload: the request after defaults, its instant and the catalog id.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestPayload {
    /// Shared with the charge state and with every record of the same feature read from one snapshot.
    pub feature: Arc<str>,
    pub tier: Tier,
    pub units: u64,
    pub seconds: Option<f64>,
    pub at: Instant,
    pub catalog: Arc<str>,
}

impl RequestPayload {
    fn new(req: &UsageRequest, quote: &Quote, at: Instant) -> RequestPayload {
        RequestPayload {
            feature: Arc::from(quote.feature.as_str()),
            tier: quote.tier,
            units: quote.units,
            seconds: req.seconds,
            at,
            catalog: Arc::from(quote.catalog.as_str()),
        }
    }
}

/// A plan as `plan_at` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// (lot index, credits) in consumption order; empty when short.
    pub takes: Vec<(usize, Credits)>,
    /// Whether a draw comes from a lot the wallet does not hold yet (granted by a scheduled distribution before
    /// `at`): such an index means nothing outside this plan.
    pub new_lots: bool,
    /// The same draws with lot ids (only when asked for).
    pub draws: Vec<Draw>,
    pub shortfall: Credits,
    pub after: Totals,
}

/// What a charge still owes back: the draws not yet refunded, in draw order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeState {
    pub result: Charge,
    pub feature: Arc<str>,
    pub unit_credits: Credits,
    pub refunded_units: u64,
    pub remaining: Vec<(usize, Credits)>,
    /// When the record last changed: the charge (or capture), or its latest refund (SPEC 9 retention).
    pub changed: Instant,
}

/// What a caller id was used for (one namespace per wallet), and what a replay returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
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
        request: RequestPayload,
        charge: ChargeState,
    },
    Hold {
        request: RequestPayload,
        ttl_ms: u64,
        result: Hold,
        unit_credits: Credits,
        captured: Option<ChargeState>,
        /// When a release closed it (a capture's time is in `captured`, an expiry's is `result.expires_at`).
        released: Option<Instant>,
    },
    Refund {
        charge_id: String,
        units: u64,
        at: Instant,
        result: Refund,
    },
}

impl Record {
    /// When the record last changed, or `None` while it must be kept whatever its age: purchases and promotions
    /// (their ids stay taken for the wallet's life) and open holds (`open`).
    pub fn last_change(&self, open: bool) -> Option<Instant> {
        match self {
            Record::Purchase { .. } | Record::Promotion { .. } => None,
            Record::Charge { charge, .. } => Some(charge.changed),
            Record::Hold {
                captured: Some(c), ..
            } => Some(c.changed),
            Record::Hold { .. } if open => None,
            Record::Hold {
                released, result, ..
            } => Some(released.unwrap_or(result.expires_at)),
            Record::Refund { at, .. } => Some(*at),
        }
    }

    /// When a record that can be forgotten was made (its last change is never earlier); `None` for purchases and
    /// promotions, which are kept for the wallet's life.
    fn made(&self) -> Option<Instant> {
        match self {
            Record::Purchase { .. } | Record::Promotion { .. } => None,
            Record::Charge { charge, .. } => Some(charge.result.at.min(charge.changed)),
            Record::Hold { request, .. } => Some(request.at),
            Record::Refund { at, .. } => Some(*at),
        }
    }

    /// Lots the record names: its draws, and for a charge the draws still refundable (by index).
    pub(crate) fn lot_ids(&self) -> impl Iterator<Item = &str> {
        let (a, b): (&[Draw], &[Draw]) = match self {
            Record::Purchase { .. } | Record::Promotion { .. } => (&[], &[]),
            Record::Charge { charge, .. } => (&charge.result.draws, &[]),
            Record::Hold {
                result, captured, ..
            } => (
                &result.draws,
                captured.as_ref().map_or(&[][..], |c| &c.result.draws),
            ),
            Record::Refund { result, .. } => (&result.draws, &[]),
        };
        a.iter().chain(b).map(|d| &*d.lot_id)
    }

    fn remaining_mut(&mut self) -> Option<&mut Vec<(usize, Credits)>> {
        match self {
            Record::Charge { charge, .. }
            | Record::Hold {
                captured: Some(charge),
                ..
            } => Some(&mut charge.remaining),
            _ => None,
        }
    }

    fn op(&self) -> &'static str {
        match self {
            Record::Purchase { .. } => "a purchase",
            Record::Promotion { .. } => "a promotion",
            Record::Charge { .. } => "a charge",
            Record::Hold { .. } => "a hold",
            Record::Refund { .. } => "a refund",
        }
    }
}

fn conflict(id: &str, record: &Record) -> Error {
    Error::new(
        ErrorCode::IdempotencyConflict,
        format!(
            "id '{id}' was already used for {} with a different payload; use a new id for a new operation",
            record.op()
        ),
    )
}

/// Caller ids: 1 to 128 bytes, no control characters, and not of the form `kind@instant` that engine-made lots use.
pub fn check_id(id: &str, field: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_ID_BYTES || has_control(id) {
        return Err(Error::bad_request(format!(
            "{field} must be 1 to {MAX_ID_BYTES} bytes of text without control characters"
        )));
    }
    // Byte positions rather than `split_once`: the char searcher is code the module otherwise does without.
    if let Some(at) = id.bytes().position(|b| b == b'@') {
        let kind = id.get(..at).unwrap_or("");
        let rest = id.get(at + 1..).unwrap_or("");
        let end = rest.bytes().position(|b| b == b'#').unwrap_or(rest.len());
        let instant = rest.get(..end).unwrap_or(rest);
        if Kind::ALL.iter().any(|k| k.as_str() == kind) && Instant::parse(instant).is_ok() {
            return Err(Error::bad_request(format!(
                "{field} '{id}' has the form kind@time reserved for the engine's own lots; choose another id"
            )));
        }
    }
    Ok(())
}

/// Whether the text has a control character (`char::is_control`: U+0000-U+001F, U+007F-U+009F), read byte by byte:
/// U+0080-U+009F are the UTF-8 pairs 0xC2 0x80-0x9F (a snapshot of 1,000 lots checks 1,000 ids). Caller ids and
/// token account ids use it.
pub(crate) fn has_control(text: &str) -> bool {
    let mut after_c2 = false;
    for &x in text.as_bytes() {
        if x < 0x20 || x == 0x7f || (after_c2 && (0x80..=0x9f).contains(&x)) {
            return true;
        }
        after_c2 = x == 0xc2;
    }
    false
}

/// Caller ids and what they were used for, kept sorted by id (a map without the map's code size), with each
/// record's piece of the version-2 snapshot text kept until the record changes ([`RecordsText`]).
#[derive(Debug, Default)]
pub struct Records {
    /// Boxed: inserting or forgetting one moves two words per record, not the records (about 250 bytes each), and
    /// the list of a busy wallet never becomes one allocation large enough to be slow to get.
    list: Vec<Entry>,
    /// No record that can be forgotten last changed before this instant (`None`: there is none): a mutation whose
    /// window starts before it has nothing to forget and skips the scan. Lowered by every insert and change (by
    /// when the record was made, which its last change never precedes), recomputed by every scan.
    made_after: Option<Instant>,
    /// Each record's piece of the last written (or read) snapshot text, and what the pieces were written against.
    pub(crate) text: std::cell::RefCell<RecordsText>,
}

/// A record in the list, with its last change as it stood when the record was inserted or last checked, so that
/// the retention scan passes over records well inside the window without reading them (a busy wallet holds ~800).
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    /// `last_change(false)` in epoch ms; `KEPT` for records kept for the wallet's life (purchases, promotions);
    /// `CHANGED` once the record may have changed since (`get_mut`, `iter_mut`): the scan then reads it.
    last: i64,
    record: Box<Record>,
}

const KEPT: i64 = i64::MAX;
const CHANGED: i64 = i64::MIN;

impl Entry {
    fn new(id: String, record: Record) -> Entry {
        Entry {
            last: Entry::mark(&record),
            id,
            record: Box::new(record),
        }
    }
    fn mark(r: &Record) -> i64 {
        r.last_change(false).map_or(KEPT, |t| t.millis())
    }
}

/// One record's piece of the version-2 `records` text (`crate::codec::records_text`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Seg {
    /// Must be written anew: the record changed, is new, or the id before it changed.
    Stale,
    /// Bytes `start..end` of [`RecordsText::text`], and which lots the piece names: bit `j` for the lot at index
    /// `j` of [`RecordsText::lots`], bit 63 for one at index 63 or later ([`MORE_LOTS`]).
    Kept(u32, u32, u64),
}

/// The bit of a kept piece's lot mask that says it names a lot past the first 63 (its lots are then read by id).
pub const MORE_LOTS: u64 = 1 << 63;

/// What a snapshot's records text was last written (or read) as: the text, and the lot order and string tables its
/// pieces name lots, features and catalogs by. Never part of the wallet's identity.
#[derive(Debug, Default, Clone)]
pub struct RecordsText {
    pub(crate) text: String,
    /// The buffer the next save writes into (the text before last).
    pub(crate) spare: String,
    /// The piece of each record (the index of [`Records`]' list), or `Stale` when it must be written anew.
    pub(crate) segs: Vec<Seg>,
    /// Ids of the lots the pieces name by index, in snapshot order (a later snapshot keeps them valid only while
    /// its lot list starts with these).
    pub(crate) lots: Vec<Arc<str>>,
    pub(crate) features: Vec<Arc<str>>,
    pub(crate) catalogs: Vec<Arc<str>>,
}

/// A copy keeps the kept text, so a copy writes the same snapshot text as its original (a wallet read from a
/// snapshot reproduces that snapshot's pieces as they were, even where a fresh write would order its tables
/// differently).
impl Clone for Records {
    fn clone(&self) -> Self {
        match self.text.try_borrow() {
            Ok(t) => Records {
                list: self.list.clone(),
                made_after: self.made_after,
                text: std::cell::RefCell::new(t.clone()),
            },
            Err(_) => self.without_kept_text(),
        }
    }
}

impl Records {
    /// A copy that keeps no text: its next snapshot writes every record anew.
    pub(crate) fn without_kept_text(&self) -> Records {
        Records {
            list: self.list.clone(),
            made_after: self.made_after,
            text: std::cell::RefCell::new(RecordsText {
                segs: vec![Seg::Stale; self.list.len()],
                ..Default::default()
            }),
        }
    }
}

/// The earlier of a bound and an instant, either possibly absent.
fn earliest(bound: Option<Instant>, t: Option<Instant>) -> Option<Instant> {
    match (bound, t) {
        (Some(b), Some(t)) => Some(b.min(t)),
        (b, t) => b.or(t),
    }
}

impl PartialEq for Records {
    fn eq(&self, other: &Self) -> bool {
        self.list.len() == other.list.len()
            && self
                .list
                .iter()
                .zip(&other.list)
                .all(|(a, b)| a.id == b.id && a.record == b.record)
    }
}

impl Records {
    fn find(&self, id: &str) -> std::result::Result<usize, usize> {
        self.list.binary_search_by(|e| e.id.as_str().cmp(id))
    }
    fn segs(&mut self) -> &mut Vec<Seg> {
        &mut self.text.get_mut().segs
    }
    /// Marks record `i` (if any) to be written anew.
    fn stale(&mut self, i: usize) {
        if let Some(s) = self.segs().get_mut(i) {
            *s = Seg::Stale;
        }
    }
    fn all_stale(&mut self) {
        for s in self.segs() {
            *s = Seg::Stale;
        }
    }
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.find(id)
            .ok()
            .and_then(|i| self.list.get(i))
            .map(|e| &*e.record)
    }
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Record> {
        let i = self.find(id).ok()?;
        self.stale(i);
        let e = self.list.get_mut(i)?;
        // The caller may change it: its last change is read again by the next scan, and the bound drops to when it
        // was made (a capture can move a hold's last change from its expiry back to the capture).
        e.last = CHANGED;
        self.made_after = earliest(self.made_after, e.record.made());
        Some(&mut *e.record)
    }
    /// Inserts or replaces; returns whether the id was new.
    pub fn insert(&mut self, id: String, record: Record) -> bool {
        self.insert_with(id, record, Seg::Stale)
    }
    /// Inserts a record read from a snapshot with its piece of that snapshot's text.
    pub(crate) fn insert_with(&mut self, id: String, record: Record, seg: Seg) -> bool {
        self.made_after = earliest(self.made_after, record.made());
        if self.segs().len() != self.list.len() {
            // Never expected: every change keeps the two in step. Write everything anew rather than misname.
            let n = self.list.len();
            *self.segs() = vec![Seg::Stale; n];
        }
        // After the last id (a snapshot's records come in id order): no search.
        if self.list.last().is_none_or(|e| e.id.as_str() < id.as_str()) {
            self.list.push(Entry::new(id, record));
            self.segs().push(seg);
            return true;
        }
        match self.find(&id) {
            Ok(i) => {
                if let Some(slot) = self.list.get_mut(i) {
                    slot.last = Entry::mark(&record);
                    *slot.record = record;
                }
                self.stale(i);
                false
            }
            Err(i) => {
                self.list.insert(i, Entry::new(id, record));
                // The next record's piece stays right: it names its id by the bytes it shares with the id before
                // it, and an id sorted between two shares every byte those two share.
                self.segs().insert(i, Seg::Stale);
                true
            }
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Record)> {
        self.list.iter().map(|e| (&e.id, &*e.record))
    }
    /// Room for `n` more records (a snapshot's, read in order).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.list.reserve(n);
        self.segs().reserve(n);
    }
    /// The earliest instant a record that can be forgotten was made (a lower bound; see `made_after`).
    pub(crate) fn made_after(&self) -> Option<Instant> {
        self.made_after
    }
    /// Keeps the records `keep` answers true for, given that `keep` keeps every record whose last change is at or
    /// after `cutoff` (epoch ms): those are passed over unread (`i64::MAX`: every record is asked).
    pub(crate) fn retain(&mut self, cutoff: i64, mut keep: impl FnMut(&str, &Record) -> bool) {
        let mut made_after: Option<Instant> = None;
        let mask: Vec<bool> = self
            .list
            .iter_mut()
            .map(|e| {
                if e.last != CHANGED && e.last != KEPT && e.last >= cutoff {
                    // Its exact last change, inside the window.
                    made_after = earliest(made_after, Instant::from_millis(e.last).ok());
                    return true;
                }
                let k = keep(&e.id, &e.record);
                if k {
                    e.last = Entry::mark(&e.record);
                    made_after = earliest(made_after, e.record.made());
                }
                k
            })
            .collect();
        self.made_after = made_after;
        if mask.iter().all(|k| *k) {
            return;
        }
        // A kept record right after a dropped one: the id before it changed.
        let mut after_dropped = false;
        for (s, &k) in self.segs().iter_mut().zip(&mask) {
            if k && after_dropped {
                *s = Seg::Stale;
            }
            after_dropped = !k;
        }
        let mut m = mask.iter();
        self.list.retain(|_| m.next().copied().unwrap_or(true));
        let mut m = mask.iter();
        self.segs().retain(|_| m.next().copied().unwrap_or(true));
    }
    fn values_mut(&mut self) -> impl Iterator<Item = &mut Record> {
        self.iter_mut().map(|(_, r)| r)
    }
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Record)> {
        self.all_stale();
        let made = self
            .list
            .iter()
            .fold(self.made_after, |b, e| earliest(b, e.record.made()));
        self.made_after = made;
        self.list.iter_mut().map(|e| {
            e.last = CHANGED;
            (e.id.as_str(), &mut *e.record)
        })
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Wallet {
    pub(crate) tz: TimeZone,
    /// Days the records of charges, closed holds and refunds are kept after their last change (SPEC 9).
    pub(crate) retention_days: u32,
    pub(crate) state: State,
    pub(crate) records: Records,
    /// The entries not yet taken by the host (`take_ledger`), oldest first.
    pub(crate) ledger: Vec<LedgerEntry>,
    /// The `seq` of the next ledger entry (counts on across takes).
    pub(crate) next_seq: u64,
    pub(crate) cache: ReadCache,
    pub(crate) size: SizeBound,
    /// Records forgotten and lots expired since lots with nothing left were last removed ([`PRUNE_AFTER`]).
    pub(crate) dead: Dead,
}

/// A counter that is never part of the wallet's identity (equal wallets may have removed spent lots at other
/// times).
#[derive(Debug, Clone, Default)]
pub struct Dead {
    pub(crate) since_prune: u32,
}

impl PartialEq for Dead {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// An upper bound of the length of the wallet's snapshot, so that no change can make a wallet whose snapshot the
/// engine would refuse to load ([`crate::snapshot::MAX_SNAPSHOT_BYTES`]). Exact after creation and after each
/// tightening; each mutation adds a bound of what it can add: three times its ledger entries, four escaped mentions
/// of every lot whose credits it changed (the record's draws and remains, a hold's future capture), each new lot,
/// and a fixed allowance for the record's id and request. Never part of the wallet's identity.
#[derive(Debug, Clone, Default)]
pub struct SizeBound(pub(crate) usize);

impl PartialEq for SizeBound {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What one mutation may add to a snapshot beyond three times its ledger entries: a record's id and request, the
/// clock and membership, and per new lot its own JSON (an id of up to 128 bytes, escaped, and the fixed fields).
const MUTATION_ALLOWANCE: usize = 2048;
const LOT_ALLOWANCE: usize = 640;

/// What reads derive from the state, kept until the next mutation: the next scheduled event and the consumption
/// order. A keystroke preview on an unchanged wallet then costs the draws it makes, not a sort of every lot.
/// Never part of the wallet's identity: equal wallets may have different caches.
#[derive(Debug, Default)]
pub struct ReadCache(std::cell::RefCell<Derived>);

#[derive(Debug, Default)]
struct Derived {
    next_due: Option<Option<Instant>>,
    order: Option<Order>,
}

impl Clone for ReadCache {
    fn clone(&self) -> Self {
        ReadCache::default()
    }
}

impl PartialEq for ReadCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl ReadCache {
    fn clear(&self) {
        if let Ok(mut d) = self.0.try_borrow_mut() {
            *d = Derived::default();
        }
    }
}

impl Wallet {
    /// A copy that keeps no snapshot text: its next snapshot writes every record anew, as a wallet built by the same
    /// calls would (tests compare the two; a plain `clone` keeps the text and writes what the original writes).
    #[doc(hidden)]
    pub fn without_kept_text(&self) -> Wallet {
        let mut w = self.clone();
        w.records = self.records.without_kept_text();
        w
    }

    /// A new empty wallet for an account in the IANA zone `time_zone` (`E_TIME_ZONE` if unknown).
    pub fn create(time_zone: &str) -> Result<Wallet> {
        Wallet::create_with(time_zone, DEFAULT_RETENTION_DAYS)
    }

    /// A new empty wallet that keeps the records of charges, closed holds and refunds for `retention_days` after
    /// their last change (whole days, 1 to 400; `E_BAD_REQUEST` otherwise, after the zone's `E_TIME_ZONE`).
    pub fn create_with(time_zone: &str, retention_days: u32) -> Result<Wallet> {
        let tz = TimeZone::new(time_zone)?;
        check_retention(retention_days)?;
        let mut w = Wallet {
            tz,
            retention_days,
            state: State::new(),
            records: Records::default(),
            ledger: Vec::new(),
            next_seq: 1,
            cache: ReadCache::default(),
            size: SizeBound(0),
            dead: Dead::default(),
        };
        w.size = SizeBound(w.snapshot_len());
        Ok(w)
    }

    pub fn time_zone(&self) -> &str {
        self.tz.name()
    }

    /// The upper bound the wallet keeps of its snapshot's length (README "Limits"); for tests and diagnostics.
    pub fn snapshot_size_bound(&self) -> usize {
        self.size.0
    }

    /// The wallet clock: the instant of the latest mutation, if any.
    pub fn clock(&self) -> Option<Instant> {
        self.state.clock
    }

    /// The ledger entries the wallet still holds (every entry since the last `take_ledger`).
    pub fn ledger(&self) -> &[LedgerEntry] {
        &self.ledger
    }

    /// Hands the held ledger entries over and forgets them; `seq` keeps counting (SPEC 9). Not a mutation: it moves
    /// no clock, forgets no record and never fails. The snapshot shrinks by them; the size bound is left as it is
    /// (an upper bound stays one, and a change near the limit measures exactly).
    pub fn take_ledger(&mut self) -> Vec<LedgerEntry> {
        std::mem::take(&mut self.ledger)
    }

    /// Whether the wallet holds a record for this caller id (a replay of it answers from the record).
    pub fn has_record(&self, id: &str) -> bool {
        self.records.get(id).is_some()
    }

    /// How many lots the wallet holds in memory (with credits, pointed at, or spent and awaiting removal).
    pub fn lot_count(&self) -> usize {
        self.state.lots.len()
    }

    /// The `seq` the next ledger entry will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Days records are kept after their last change.
    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }

    fn window_ms(&self) -> i64 {
        i64::from(self.retention_days) * crate::time::MS_PER_DAY
    }

    /// Whether a record whose last change was `changed` is forgotten as of `at` (held at exactly the window's end,
    /// forgotten 1 ms later).
    fn past_retention(&self, changed: Instant, at: Instant) -> bool {
        at.millis().saturating_sub(changed.millis()) > self.window_ms()
    }

    pub fn membership(&self) -> &Membership {
        &self.state.membership
    }

    // ----- the transaction frame -----

    fn check_clock(&self, at: Instant) -> Result<()> {
        match self.state.clock {
            Some(clock) if at < clock => Err(Error::new(
                ErrorCode::ClockRegression,
                format!("{at} is before the wallet's latest event at {clock}; mutations must not go back in time"),
            )),
            _ => Ok(()),
        }
    }

    /// Copies the state, applies every event due up to `at`, runs `f`, and commits only if all succeeded.
    fn mutate<T>(
        &mut self,
        at: Instant,
        f: impl FnOnce(&mut State, &TimeZone, &mut Journal) -> Result<T>,
    ) -> Result<T> {
        let (mut state, mut journal) = self.begin(at)?;
        let out = f(&mut state, &self.tz, &mut journal)?;
        self.commit(state, journal, at)?;
        Ok(out)
    }

    /// The non-generic halves of `mutate` (one copy in the module, not one per operation).
    #[inline(never)]
    fn begin(&self, at: Instant) -> Result<(State, Journal)> {
        self.check_clock(at)?;
        let mut state = self.state.clone();
        let mut journal = Journal::recording(self.next_seq);
        state.advance(&self.tz, at, &mut journal, &mut |_, _, _| Ok(()))?;
        Ok((state, journal))
    }

    #[inline(never)]
    fn commit(&mut self, mut state: State, mut journal: Journal, at: Instant) -> Result<()> {
        // The new entries as one JSON array: its length bounds theirs in the ledger (commas included).
        let entries = crate::codec::to_json(journal.entries.as_slice()).len();
        // Every lot whose credits changed can appear in the operation's record (its draws and what remains of
        // them, and for a hold the future capture's): four mentions of its id, escaped (at most twice as long).
        let mut touched = 0;
        for (old, new) in self.state.lots.iter().zip(&state.lots) {
            if old.credits != new.credits {
                touched += 4 * (2 * old.id.len() + 64);
            }
        }
        // A hold that ends (captured, released, expired) can name the lots it kept in its record: two mentions
        // each. Holds keep their order (new ones are appended), so one walk finds the ones that went.
        let mut kept = 0;
        for h in &self.state.holds {
            if state.holds.get(kept).is_some_and(|n| n.id == h.id) {
                kept += 1;
                continue;
            }
            for (i, _) in &h.takes {
                if let Some(l) = self.state.lots.get(*i) {
                    touched += 2 * (2 * l.id.len() + 64);
                }
            }
        }
        let growth = entries * 3
            + touched
            + state.lots.len().saturating_sub(self.state.lots.len()) * LOT_ALLOWANCE
            + MUTATION_ALLOWANCE;
        let limit = crate::snapshot::MAX_SNAPSHOT_BYTES;
        if self.size.0 + growth > limit {
            // Near the limit: measure exactly (a full serialization), then decide.
            self.size.0 = self.snapshot_len();
            if self.size.0 + growth > limit {
                return Err(Error::bad_request(
                    "this change would take the wallet's snapshot past the 8 MiB limit; \
                     take the ledger (takeLedger()) and store its entries, which empties it",
                ));
            }
        }
        // (The ledger's own limit, MAX_LEDGER_ENTRIES, cannot be reached first: 100,000 entries are over 8 MiB.)
        self.size.0 += growth;
        // Holds that ended in this change (captured, released or expired) name lots that their records keep.
        let expired = journal
            .entries
            .iter()
            .filter(|e| e.entry_type == EntryType::Expire)
            .count();
        state.clock = Some(at);
        self.state = state;
        self.next_seq += journal.entries.len() as u64;
        self.ledger.append(&mut journal.entries);
        self.cache.clear();
        self.forget(at, expired);
        Ok(())
    }

    /// Forgets the records past retention as of `at` (a successful mutation's commit) and counts what may have left
    /// lots with nothing that nothing points at; the next change removes them once enough have gathered
    /// ([`PRUNE_AFTER`]).
    fn forget(&mut self, at: Instant, expired: usize) {
        let before = self.records.len();
        let window = self.window_ms();
        // Nothing forgettable is old enough unless the earliest made is (see `Records::made_after`): no scan.
        let due = self
            .records
            .made_after()
            .is_some_and(|t| at.millis().saturating_sub(t.millis()) > window);
        if due {
            let holds = &self.state.holds;
            self.records
                .retain(at.millis().saturating_sub(window), |id, r| {
                    let open = matches!(r, Record::Hold { .. }) && holds.iter().any(|h| h.id == id);
                    r.last_change(open)
                        .is_none_or(|t| at.millis().saturating_sub(t.millis()) <= window)
                });
        }
        let forgotten = before - self.records.len();
        let dead = (forgotten + expired).min(u32::MAX as usize) as u32;
        self.dead.since_prune = self.dead.since_prune.saturating_add(dead);
    }

    /// Which lots the wallet must keep: those with credits, and those open holds and retained records name.
    pub(crate) fn live_lots(&self) -> Vec<bool> {
        let lots = &self.state.lots;
        let mut keep: Vec<bool> = lots.iter().map(|l| !l.credits.is_zero()).collect();
        for h in &self.state.holds {
            for &(i, _) in &h.takes {
                if let Some(k) = keep.get_mut(i) {
                    *k = true;
                }
            }
        }
        // The lots nothing has kept yet (usually a few, often none): does a record's draw name one of them?
        let mut open: Vec<(&str, usize)> = lots
            .iter()
            .zip(&keep)
            .enumerate()
            .filter(|(_, (_, k))| !**k)
            .map(|(i, (l, _))| (&*l.id, i))
            .collect();
        if open.is_empty() {
            return keep;
        }
        let mut by_id = |r: &Record, open: &mut Vec<(&str, usize)>| {
            for id in r.lot_ids() {
                if let Some(k) = open.iter().position(|(x, _)| *x == id) {
                    let (_, i) = open.swap_remove(k);
                    if let Some(k) = keep.get_mut(i) {
                        *k = true;
                    }
                }
            }
        };
        // A record whose piece of the last snapshot text is kept names the lots of its mask: one OR per record,
        // no string compared. Records changed since, and pieces naming a lot past the first 63, are read by id.
        let text = self.records.text.try_borrow().ok();
        let pieces = text
            .as_ref()
            .map(|c| &c.segs)
            .filter(|segs| segs.len() == self.records.len());
        let mut named = 0u64;
        for (k, (_, r)) in self.records.iter().enumerate() {
            match pieces.and_then(|p| p.get(k)) {
                Some(Seg::Kept(_, _, m)) if m & MORE_LOTS == 0 => named |= m,
                _ => by_id(r, &mut open),
            }
        }
        if let Some(c) = &text {
            for (id, i) in open {
                let j = c.lots.iter().position(|x| &**x == id);
                if j.is_some_and(|j| j < 63 && named >> j & 1 == 1) {
                    if let Some(k) = keep.get_mut(i) {
                        *k = true;
                    }
                }
            }
        }
        keep
    }

    /// Removes spent lots once enough may have gathered. Every public mutation calls it first, before it reads
    /// anything: never inside a change, whose own record (inserted after its commit) names the lots it drew on by
    /// index, nor between a refund reading its charge and changing the wallet.
    fn prune_if_due(&mut self) {
        if self.dead.since_prune >= PRUNE_AFTER {
            self.prune();
        }
    }

    /// Removes the lots that [`Wallet::live_lots`] does not keep and renumbers the indices holds and records use.
    pub(crate) fn prune(&mut self) {
        self.dead.since_prune = 0;
        let keep = self.live_lots();
        if keep.iter().all(|k| *k) {
            return;
        }
        let mut index = Vec::with_capacity(keep.len());
        let mut next = 0usize;
        for k in &keep {
            index.push(next);
            if *k {
                next += 1;
            }
        }
        let remap = |takes: &mut Vec<(usize, Credits)>| {
            for t in takes.iter_mut() {
                t.0 = index.get(t.0).copied().unwrap_or(t.0);
            }
        };
        for h in &mut self.state.holds {
            remap(&mut h.takes);
        }
        for r in self.records.values_mut() {
            if let Some(rem) = r.remaining_mut() {
                remap(rem);
            }
        }
        let mut k = keep.iter();
        self.state
            .lots
            .retain(|_| k.next().copied().unwrap_or(true));
        self.cache.clear();
    }

    /// The next scheduled event of the current state (cached).
    pub(crate) fn next_due(&self) -> Option<Instant> {
        if let Ok(d) = self.cache.0.try_borrow() {
            if let Some(next) = d.next_due {
                return next;
            }
        }
        let next = self.state.next_due();
        if let Ok(mut d) = self.cache.0.try_borrow_mut() {
            d.next_due = Some(next);
        }
        next
    }

    /// Computes the consumption order of the current state once per state.
    fn fill_order(&self) -> Result<()> {
        if let Ok(mut d) = self.cache.0.try_borrow_mut() {
            if d.order.is_none() {
                d.order = Some(Order::of(&self.state.lots)?);
            }
        }
        Ok(())
    }

    /// The state as of `at` for a read: as of the clock if `at` is earlier; a copy only if events are due.
    pub(crate) fn read_state(&self, at: Instant) -> Result<(std::borrow::Cow<'_, State>, Instant)> {
        let at = match self.state.clock {
            Some(clock) if at < clock => clock,
            _ => at,
        };
        if self.next_due().is_none_or(|d| d > at) {
            return Ok((std::borrow::Cow::Borrowed(&self.state), at));
        }
        let mut copy = self.state.clone();
        copy.advance(&self.tz, at, &mut Journal::silent(), &mut |_, _, _| Ok(()))?;
        Ok((std::borrow::Cow::Owned(copy), at))
    }

    fn check_new_id(&self, id: &str) -> Result<()> {
        if self.state.has_lot_id(id) {
            return Err(Error::new(
                ErrorCode::IdempotencyConflict,
                format!("id '{id}' is already the id of a lot in this wallet; use another id"),
            ));
        }
        Ok(())
    }

    // ----- membership -----

    /// Starts a trial membership until `until` and grants its credits at once (expiring at `until`).
    pub fn start_trial(&mut self, at: Instant, until: Instant, credits: Credits) -> Result<()> {
        self.prune_if_due();
        positive(credits, "credits")?;
        if until <= at {
            return Err(Error::bad_request(format!(
                "trial end {until} must be after its start {at}"
            )));
        }
        self.mutate(at, |s, _, j| {
            if s.had_trial || s.had_membership {
                return Err(Error::bad_request(
                    "a trial is only for accounts that never had a trial or a membership",
                ));
            }
            s.had_trial = true;
            s.membership = Membership::Trial { until };
            s.grant(j, Kind::Trial, None, credits, at, Some(until))
        })
    }

    /// Starts, renews or reactivates a membership (SPEC section 2). A start (also converting a trial, or
    /// reactivating a lapsed membership) distributes the first month at `at` and thaws frozen lots; a renewal of an
    /// active membership replaces `until` and the monthly amounts without distributing.
    pub fn activate_membership(
        &mut self,
        at: Instant,
        until: Instant,
        monthly_credits: Credits,
        monthly_agent_credits: Credits,
    ) -> Result<()> {
        self.prune_if_due();
        if until <= at {
            return Err(Error::bad_request(format!(
                "membership end {until} must be after {at}"
            )));
        }
        self.mutate(at, |s, tz, j| {
            if let Membership::Active {
                anchor, next_index, ..
            } = s.membership.clone()
            {
                let next = tz.add_months(anchor, next_index)?;
                s.membership = Membership::Active {
                    anchor,
                    until,
                    monthly_credits,
                    monthly_agent_credits,
                    next_index,
                    next_at: (next < until).then_some(next),
                };
                return Ok(());
            }
            s.had_membership = true;
            s.membership = Membership::Active {
                anchor: at,
                until,
                monthly_credits,
                monthly_agent_credits,
                next_index: 0,
                next_at: Some(at),
            };
            s.unfreeze_all(j, at)?;
            s.distribute(tz, j, at)
        })
    }

    // ----- grants -----

    /// Grants today's daily-login agent credits (valid until the next local midnight). Returns false, granting
    /// nothing but still moving the clock, when today's were already granted.
    pub fn daily_login(&mut self, at: Instant, credits: Credits) -> Result<bool> {
        self.prune_if_due();
        positive(credits, "credits")?;
        self.mutate(at, |s, tz, j| {
            let day = tz.day_number(at)?;
            if s.last_daily_day == Some(day) {
                return Ok(false);
            }
            let expires = tz.start_of_next_day(at)?;
            s.grant(j, Kind::DailyLogin, None, credits, at, Some(expires))?;
            s.last_daily_day = Some(day);
            Ok(true)
        })
    }

    /// Grants promotion agent credits under the caller's id (which becomes the lot id), valid until `expires_at`.
    pub fn grant_promotion(
        &mut self,
        id: &str,
        at: Instant,
        credits: Credits,
        expires_at: Instant,
    ) -> Result<()> {
        self.prune_if_due();
        check_id(id, "id")?;
        positive(credits, "credits")?;
        let record = Record::Promotion {
            credits,
            at,
            expires_at,
        };
        if let Some(first) = self.records.get(id) {
            // A pattern, not `==`: the derived equality of every record kind is code this never needs.
            let same = matches!(first, Record::Promotion { credits: c, at: a, expires_at: e }
                if *c == credits && *a == at && *e == expires_at);
            return if same {
                Ok(())
            } else {
                Err(conflict(id, first))
            };
        }
        if expires_at <= at {
            return Err(Error::bad_request(format!(
                "promotion expiry {expires_at} must be after {at}"
            )));
        }
        self.check_new_id(id)?;
        self.mutate(at, |s, _, j| {
            s.grant(j, Kind::Promotion, Some(id), credits, at, Some(expires_at))
        })?;
        self.records.insert(id.to_string(), record);
        Ok(())
    }

    /// Credits bought by a member (a trial counts), valid for two calendar years. `E_MEMBERS_ONLY` otherwise.
    pub fn purchase(&mut self, id: &str, at: Instant, credits: Credits) -> Result<()> {
        self.prune_if_due();
        check_id(id, "id")?;
        positive(credits, "credits")?;
        let record = Record::Purchase { credits, at };
        if let Some(first) = self.records.get(id) {
            let same = matches!(first, Record::Purchase { credits: c, at: a } if *c == credits && *a == at);
            return if same {
                Ok(())
            } else {
                Err(conflict(id, first))
            };
        }
        self.check_new_id(id)?;
        self.mutate(at, |s, tz, j| {
            if !s.membership.is_member() {
                return Err(Error::new(
                    ErrorCode::MembersOnly,
                    "buying credits needs an active membership or trial; activate a membership first",
                ));
            }
            let expires = tz.add_months(at, 24)?;
            s.grant(j, Kind::Purchased, Some(id), credits, at, Some(expires))
        })?;
        self.records.insert(id.to_string(), record);
        Ok(())
    }

    // ----- reading -----

    /// The balance as of `at` (as of the wallet clock if `at` is earlier).
    pub fn balance(&self, at: Instant) -> Result<Balance> {
        let (state, at) = self.read_state(at)?;
        view::balance(&state, at)
    }

    /// What a request would cost and draw as of `at`; insufficiency is reported, not raised.
    pub fn preview(&self, req: &UsageRequest, at: Instant, catalog: &Catalog) -> Result<Preview> {
        let quote = catalog.quote(req)?;
        let planned = self.plan_at(quote.agent, quote.credits, at, true)?;
        Ok(Preview {
            credits: quote.credits.get(),
            sufficient: planned.shortfall.is_zero(),
            shortfall: planned.shortfall.get(),
            draws: planned.draws,
            balance_after: planned.after,
            quote,
        })
    }

    /// Plans `cost` as of `at`, reading as `preview` does: the draws (lot index, credits) in order, the draws
    /// with lot ids when `with_ids`, the shortfall and the balance after.
    pub fn plan_at(
        &self,
        agent_feature: bool,
        cost: Credits,
        at: Instant,
        with_ids: bool,
    ) -> Result<Planned> {
        let known = self.state.lots.len();
        let run = |state: &State, order: &Order| -> Result<Planned> {
            let plan = order.plan(&state.lots, agent_feature, cost)?;
            let (mut agent, mut regular) = (order.agent, order.regular);
            for &(i, credits) in &plan.takes {
                if state.lots.get(i).is_some_and(|l| l.kind.agent_only()) {
                    agent = agent.minus(credits)?;
                } else {
                    regular = regular.minus(credits)?;
                }
            }
            Ok(Planned {
                draws: if with_ids {
                    plan.draws(&state.lots)
                } else {
                    Vec::new()
                },
                new_lots: plan.takes.iter().any(|&(i, _)| i >= known),
                takes: plan.takes,
                shortfall: plan.shortfall,
                after: Totals {
                    total: agent.plus(regular)?.get(),
                    agent: agent.get(),
                    regular: regular.get(),
                },
            })
        };
        match self.read_state(at)? {
            (std::borrow::Cow::Borrowed(state), _) => {
                self.fill_order()?;
                match self.cache.0.try_borrow() {
                    Ok(d) if d.order.is_some() => match d.order.as_ref() {
                        Some(order) => run(state, order),
                        None => run(state, &Order::of(&state.lots)?),
                    },
                    _ => run(state, &Order::of(&state.lots)?),
                }
            }
            (std::borrow::Cow::Owned(state), _) => run(&state, &Order::of(&state.lots)?),
        }
    }

    /// The id and kind of the lot at `index` (never change: lots are never removed or reordered).
    pub fn lot_at(&self, index: usize) -> Option<(&str, Kind)> {
        self.state.lots.get(index).map(|l| (&*l.id, l.kind))
    }

    /// The balance at `from` and after every scheduled change in (`from`, `to`].
    pub fn project(&self, from: Instant, to: Instant) -> Result<Vec<ProjectionPoint>> {
        if to < from {
            return Err(Error::bad_request(format!(
                "projection end {to} is before its start {from}"
            )));
        }
        let (state, from) = self.read_state(from)?;
        let mut state = state.into_owned();
        let point = |s: &State, at: Instant, event: String| -> Result<ProjectionPoint> {
            let (agent, regular, frozen) = view::totals(s)?;
            Ok(ProjectionPoint {
                at,
                total: agent.plus(regular)?.get(),
                agent: agent.get(),
                regular: regular.get(),
                frozen: frozen.get(),
                event,
            })
        };
        let mut points = vec![point(&state, from, "start".to_string())?];
        if to > from {
            state.advance(&self.tz, to, &mut Journal::silent(), &mut |s, at, j| {
                if j.labels.is_empty() {
                    return Ok(());
                }
                if points.len() >= MAX_PROJECTION_POINTS {
                    return Err(Error::bad_request(format!(
                        "the projection has more than {MAX_PROJECTION_POINTS} points; ask for a shorter range"
                    )));
                }
                points.push(point(s, at, crate::error::join(&j.labels, ","))?);
                Ok(())
            })?;
        }
        Ok(points)
    }

    /// When the balance next changes on its own after `at` (as of the clock if `at` is earlier), if ever.
    pub fn next_change(&self, at: Instant) -> Result<Option<Instant>> {
        let (state, at) = self.read_state(at)?;
        Ok(state.next_change_after(at))
    }

    // ----- spending -----

    fn replay_charge(&self, id: &str, payload: &RequestPayload) -> Result<Option<Charge>> {
        match self.records.get(id) {
            None => Ok(None),
            Some(Record::Charge { request, charge }) if request == payload => {
                Ok(Some(charge.result.clone()))
            }
            Some(other) => Err(conflict(id, other)),
        }
    }

    /// Charges a request all-or-nothing in consumption order (`E_INSUFFICIENT` with the shortfall otherwise).
    pub fn charge(
        &mut self,
        req: &UsageRequest,
        at: Instant,
        id: &str,
        catalog: &Catalog,
    ) -> Result<Charge> {
        self.prune_if_due();
        check_id(id, "id")?;
        let quote = catalog.quote(req)?;
        let payload = RequestPayload::new(req, &quote, at);
        if let Some(first) = self.replay_charge(id, &payload)? {
            return Ok(first);
        }
        let charge = self.mutate(at, |s, _, j| {
            let takes = spend(s, &quote)?;
            s.take(&takes)?;
            j.write(
                Fact {
                    at,
                    entry_type: EntryType::Charge,
                    kind: None,
                    lot_id: None,
                    credits: signed(quote.credits, true),
                    reference: Some(id),
                    feature: Some(&quote.feature),
                },
                s.usable,
            );
            let result = Charge {
                id: id.to_string(),
                credits: quote.credits,
                units: quote.units,
                draws: draws_of(s, &takes),
                at,
            };
            Ok(ChargeState {
                result,
                feature: Arc::from(quote.feature.as_str()),
                unit_credits: quote.unit_credits,
                refunded_units: 0,
                remaining: takes,
                changed: at,
            })
        })?;
        let result = charge.result.clone();
        self.records.insert(
            id.to_string(),
            Record::Charge {
                request: payload,
                charge,
            },
        );
        Ok(result)
    }

    /// Refunds undelivered units of a charge to the lots they came from, last-drawn first.
    pub fn refund(
        &mut self,
        charge_id: &str,
        units: u64,
        at: Instant,
        id: Option<&str>,
    ) -> Result<Refund> {
        self.prune_if_due();
        if let Some(id) = id {
            check_id(id, "id")?;
            match self.records.get(id) {
                Some(Record::Refund {
                    charge_id: c,
                    units: u,
                    at: a,
                    result,
                }) if c == charge_id && *u == units && *a == at => {
                    return Ok(result.clone());
                }
                Some(other) => return Err(conflict(id, other)),
                None => {}
            }
        }
        if units == 0 {
            return Err(Error::bad_request(
                "units to refund must be a positive whole number",
            ));
        }
        let mut charge = match self.records.get(charge_id) {
            Some(Record::Charge { charge, .. })
            | Some(Record::Hold {
                captured: Some(charge),
                ..
            }) => charge.clone(),
            _ => {
                return Err(Error::not_found(format!(
                    "there is no charge with id '{charge_id}' to refund"
                )))
            }
        };
        // The refund sees the wallet as of its `at`: a charge whose record is past retention by then is forgotten.
        if self.past_retention(charge.changed, at) {
            return Err(Error::not_found(format!(
                "charge '{charge_id}' is older than this wallet's {} days of retention: its record is forgotten \
                 and it can no longer be refunded",
                self.retention_days
            )));
        }
        let left = charge.result.units.saturating_sub(charge.refunded_units);
        if units > left {
            return Err(Error::new(
                ErrorCode::RefundExceeds,
                format!(
                    "charge '{charge_id}' has {left} of {} units left to refund; {units} asked",
                    charge.result.units
                ),
            ));
        }
        let credits = charge.unit_credits.times(units)?;
        let refund = self.mutate(at, |s, _, j| {
            let returns = take_from_end(&mut charge.remaining, credits)?;
            let again = s.give_back(&returns)?;
            j.write(
                Fact {
                    at,
                    entry_type: EntryType::Refund,
                    kind: None,
                    lot_id: None,
                    credits: signed(credits, false),
                    reference: Some(charge_id),
                    feature: Some(&charge.feature),
                },
                s.usable,
            );
            s.write_expired_again(j, at, &again);
            Ok(Refund {
                charge_id: charge_id.to_string(),
                credits,
                units,
                draws: draws_of(s, &returns),
            })
        })?;
        charge.refunded_units += units;
        charge.changed = at;
        match self.records.get_mut(charge_id) {
            Some(Record::Charge { charge: c, .. })
            | Some(Record::Hold {
                captured: Some(c), ..
            }) => *c = charge,
            _ => {}
        }
        if let Some(id) = id {
            self.records.insert(
                id.to_string(),
                Record::Refund {
                    charge_id: charge_id.to_string(),
                    units,
                    at,
                    result: refund.clone(),
                },
            );
        }
        Ok(refund)
    }

    /// Reserves the credits of a request until `at + ttl_ms`; they stop counting as usable.
    pub fn hold(
        &mut self,
        req: &UsageRequest,
        at: Instant,
        id: &str,
        ttl_ms: u64,
        catalog: &Catalog,
    ) -> Result<Hold> {
        self.prune_if_due();
        check_id(id, "id")?;
        if ttl_ms == 0 || ttl_ms > MAX_HOLD_MS {
            return Err(Error::bad_request(format!(
                "ttlSeconds must be more than 0 and at most {} (30 days)",
                MAX_HOLD_MS / 1000
            )));
        }
        let quote = catalog.quote(req)?;
        let payload = RequestPayload::new(req, &quote, at);
        match self.records.get(id) {
            Some(Record::Hold {
                request,
                ttl_ms: t,
                result,
                ..
            }) if *request == payload && *t == ttl_ms => {
                return Ok(result.clone());
            }
            Some(other) => return Err(conflict(id, other)),
            None => {}
        }
        let expires_at = at.add_millis(i64::try_from(ttl_ms).unwrap_or(i64::MAX))?;
        let hold = self.mutate(at, |s, _, j| {
            let takes = spend(s, &quote)?;
            s.take(&takes)?;
            j.write(
                Fact {
                    at,
                    entry_type: EntryType::Hold,
                    kind: None,
                    lot_id: None,
                    credits: signed(quote.credits, true),
                    reference: Some(id),
                    feature: Some(&quote.feature),
                },
                s.usable,
            );
            let hold = Hold {
                id: id.to_string(),
                credits: quote.credits,
                units: quote.units,
                draws: draws_of(s, &takes),
                expires_at,
            };
            s.holds.push(OpenHold {
                id: id.to_string(),
                feature: quote.feature.clone(),
                expires_at,
                takes,
            });
            Ok(hold)
        })?;
        self.records.insert(
            id.to_string(),
            Record::Hold {
                request: payload,
                ttl_ms,
                result: hold.clone(),
                unit_credits: quote.unit_credits,
                captured: None,
                released: None,
            },
        );
        Ok(hold)
    }

    /// Turns `units` delivered units of an open hold into a charge with the hold's id; releases the rest.
    pub fn capture(&mut self, hold_id: &str, units: u64, at: Instant) -> Result<Charge> {
        self.prune_if_due();
        let (held_units, unit_credits) = match self.records.get(hold_id) {
            Some(Record::Hold {
                result,
                unit_credits,
                ..
            }) => (result.units, *unit_credits),
            _ => {
                return Err(Error::not_found(format!(
                    "there is no hold with id '{hold_id}'"
                )))
            }
        };
        if units == 0 || units > held_units {
            return Err(Error::bad_request(format!(
                "capture between 1 and {held_units} units of hold '{hold_id}'; {units} asked"
            )));
        }
        let kept = unit_credits.times(units)?;
        let charge = self.mutate(at, |s, _, j| {
            let pos = s
                .holds
                .iter()
                .position(|h| h.id == hold_id)
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "hold '{hold_id}' is not open (captured, released or expired)"
                    ))
                })?;
            let hold = s.holds.remove(pos);
            let mut takes = hold.takes;
            let total = takes
                .iter()
                .try_fold(Credits::ZERO, |acc, t| acc.plus(t.1))?;
            let released = total.minus(kept)?;
            let returns = take_from_end(&mut takes, released)?;
            j.write(
                Fact {
                    at,
                    entry_type: EntryType::Capture,
                    kind: None,
                    lot_id: None,
                    credits: 0,
                    reference: Some(hold_id),
                    feature: Some(&hold.feature),
                },
                s.usable,
            );
            // The capture entry shows the balance before the release that follows it (SPEC 8: each entry's total
            // is the usable balance right after it).
            let again = s.give_back(&returns)?;
            if !released.is_zero() {
                j.write(
                    Fact {
                        at,
                        entry_type: EntryType::Release,
                        kind: None,
                        lot_id: None,
                        credits: signed(released, false),
                        reference: Some(hold_id),
                        feature: Some(&hold.feature),
                    },
                    s.usable,
                );
            }
            s.write_expired_again(j, at, &again);
            let result = Charge {
                id: hold_id.to_string(),
                credits: kept,
                units,
                draws: draws_of(s, &takes),
                at,
            };
            Ok(ChargeState {
                result,
                feature: Arc::from(hold.feature),
                unit_credits,
                refunded_units: 0,
                remaining: takes,
                changed: at,
            })
        })?;
        let result = charge.result.clone();
        if let Some(Record::Hold { captured, .. }) = self.records.get_mut(hold_id) {
            *captured = Some(charge);
        }
        Ok(result)
    }

    /// Returns every credit of an open hold.
    pub fn release(&mut self, hold_id: &str, at: Instant) -> Result<()> {
        self.prune_if_due();
        if !matches!(self.records.get(hold_id), Some(Record::Hold { .. })) {
            return Err(Error::not_found(format!(
                "there is no hold with id '{hold_id}'"
            )));
        }
        self.mutate(at, |s, _, j| {
            if !s.holds.iter().any(|h| h.id == hold_id) {
                return Err(Error::not_found(format!(
                    "hold '{hold_id}' is not open (captured, released or expired)"
                )));
            }
            s.release_hold(j, hold_id, at).map(|_| ())
        })?;
        if let Some(Record::Hold { released, .. }) = self.records.get_mut(hold_id) {
            *released = Some(at);
        }
        Ok(())
    }
}

/// `retentionDays`: whole days from 1 to [`MAX_RETENTION_DAYS`].
pub fn check_retention(days: u32) -> Result<()> {
    if !(1..=MAX_RETENTION_DAYS).contains(&days) {
        return Err(Error::bad_request(format!(
            "retentionDays must be a whole number of days from 1 to {MAX_RETENTION_DAYS}, got {days}"
        )));
    }
    Ok(())
}

fn positive(credits: Credits, field: &str) -> Result<()> {
    if credits.is_zero() {
        return Err(Error::bad_request(format!(
            "{field} must be a positive whole number of credits"
        )));
    }
    Ok(())
}

/// The draws for a quote, or `E_INSUFFICIENT` with the shortfall.
fn spend(s: &State, quote: &Quote) -> Result<Vec<(usize, Credits)>> {
    let p = crate::spend::plan(&s.lots, quote.agent, quote.credits)?;
    if !p.sufficient() {
        let scope = if quote.agent {
            "agent and regular"
        } else {
            "regular (agent credits cannot pay for it)"
        };
        return Err(Error::insufficient(
            &quote.feature,
            quote.credits.get(),
            p.available.get(),
            p.shortfall.get(),
            scope,
        ));
    }
    Ok(p.takes)
}

fn draws_of(s: &State, takes: &[(usize, Credits)]) -> Vec<Draw> {
    takes
        .iter()
        .filter_map(|&(i, credits)| {
            s.lots.get(i).map(|l| Draw {
                lot_id: l.id.clone(),
                kind: l.kind,
                credits,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::has_control;

    /// The byte-wise check answers exactly as `char::is_control` for every character, alone, first, last and in
    /// the middle of other text.
    #[test]
    fn control_characters_are_found_as_char_is_control_finds_them() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let want = c.is_control();
            for text in [
                format!("{c}"),
                format!("a{c}"),
                format!("{c}é"),
                format!("é{c}\u{a0}"),
            ] {
                assert_eq!(has_control(&text), want, "U+{:04X} in {text:?}", c as u32);
            }
        }
        assert!(!has_control("é\u{a0}\u{c2}x"));
    }
}
