//! Wallet snapshots: a versioned, lossless JSON form of everything a wallet knows (lots, membership, open holds,
//! idempotency records, ledger). Loading checks the format, the version and the internal consistency, and answers
//! `E_SNAPSHOT` with the reason for anything else; it never trusts an index or an amount it has not checked.
//!
//! Version policy: `version` is bumped on any change a version-1 reader could misread. A reader of version N loads
//! every version up to N, upgrading older ones in memory, and always writes version N.

use crate::calendar::TimeZone;
use crate::credits::Credits;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::LedgerEntry;
use crate::lot::Lot;
use crate::state::{Membership, OpenHold, State, MAX_LOTS};
use crate::time::Instant;
use crate::wallet::{Record, Wallet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

pub const FORMAT: &str = "credit-engine/wallet";
pub const VERSION: u32 = 1;
/// Largest snapshot text accepted, in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 32 * 1024 * 1024;
/// Longest ledger a snapshot may carry.
pub const MAX_LEDGER_ENTRIES: usize = 1_000_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SnapshotV1 {
    format: String,
    version: u32,
    time_zone: String,
    clock: Option<Instant>,
    membership: Membership,
    had_trial: bool,
    had_membership: bool,
    last_daily_login_day: Option<i64>,
    lots: Vec<Lot>,
    holds: Vec<OpenHold>,
    records: BTreeMap<String, Record>,
    ledger: Vec<LedgerEntry>,
}

fn snap_err(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Snapshot, message)
}

/// Only the two header fields, read first so an unknown version gets a clear message.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<serde_json::Value>,
}

impl Wallet {
    pub fn to_snapshot_value(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self.snapshot())
            .map_err(|e| snap_err(format!("cannot write snapshot: {e}")))
    }

    pub fn to_snapshot_json(&self) -> Result<String> {
        serde_json::to_string(&self.snapshot())
            .map_err(|e| snap_err(format!("cannot write snapshot: {e}")))
    }

    fn snapshot(&self) -> SnapshotV1 {
        SnapshotV1 {
            format: FORMAT.to_string(),
            version: VERSION,
            time_zone: self.tz.name().to_string(),
            clock: self.state.clock,
            membership: self.state.membership.clone(),
            had_trial: self.state.had_trial,
            had_membership: self.state.had_membership,
            last_daily_login_day: self.state.last_daily_day,
            lots: self.state.lots.clone(),
            holds: self.state.holds.clone(),
            records: self.records.clone(),
            ledger: self.ledger.clone(),
        }
    }

    pub fn from_snapshot_json(text: &str) -> Result<Wallet> {
        if text.len() > MAX_SNAPSHOT_BYTES {
            return Err(snap_err(format!(
                "snapshot is {} bytes; the limit is {MAX_SNAPSHOT_BYTES}",
                text.len()
            )));
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| snap_err(format!("snapshot is not valid JSON: {e}")))?;
        Wallet::from_snapshot_value(value)
    }

    pub fn from_snapshot_value(value: serde_json::Value) -> Result<Wallet> {
        let header: Header = serde_json::from_value(value.clone())
            .map_err(|_| snap_err("a snapshot must be a JSON object made by Wallet.toJSON()"))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(snap_err(format!(
                "not a wallet snapshot: 'format' must be '{FORMAT}'"
            )));
        }
        match header.version.as_ref().and_then(serde_json::Value::as_u64) {
            Some(1) => {}
            Some(v) => {
                return Err(snap_err(format!(
                    "snapshot version {v} is not supported by this engine (it reads version {VERSION}); upgrade the package"
                )))
            }
            None => return Err(snap_err("snapshot 'version' must be a whole number")),
        }
        let snap: SnapshotV1 = serde_json::from_value(value)
            .map_err(|e| snap_err(format!("malformed version-1 snapshot: {e}")))?;
        let tz = TimeZone::new(&snap.time_zone)
            .map_err(|e| snap_err(format!("snapshot time zone: {}", e.message)))?;
        let mut state = State {
            clock: snap.clock,
            lots: snap.lots,
            membership: snap.membership,
            had_trial: snap.had_trial,
            had_membership: snap.had_membership,
            holds: snap.holds,
            last_daily_day: snap.last_daily_login_day,
            usable: Credits::ZERO,
        };
        check(&state, &snap.records, &snap.ledger)?;
        state
            .recount()
            .map_err(|e| snap_err(format!("snapshot amounts: {}", e.message)))?;
        Ok(Wallet {
            tz,
            state,
            records: snap.records,
            ledger: snap.ledger,
        })
    }
}

/// Internal consistency: every index in range, ids unique, amounts within what was granted, ledger in order.
fn check(state: &State, records: &BTreeMap<String, Record>, ledger: &[LedgerEntry]) -> Result<()> {
    let lots = &state.lots;
    if lots.len() > MAX_LOTS {
        return Err(snap_err(format!(
            "snapshot has {} lots; the limit is {MAX_LOTS}",
            lots.len()
        )));
    }
    if ledger.len() > MAX_LEDGER_ENTRIES {
        return Err(snap_err(format!(
            "snapshot ledger has {} entries; the limit is {MAX_LEDGER_ENTRIES}",
            ledger.len()
        )));
    }
    let mut ids = HashSet::new();
    let mut total: u128 = 0;
    for lot in lots {
        if !ids.insert(lot.id.as_str()) {
            return Err(snap_err(format!("lot id '{}' appears twice", lot.id)));
        }
        if lot.credits > lot.granted || (lot.expired && !lot.credits.is_zero()) {
            return Err(snap_err(format!(
                "lot '{}' holds more credits than it can",
                lot.id
            )));
        }
        total += u128::from(lot.credits.get());
    }
    let in_range = |takes: &[(usize, Credits)]| takes.iter().all(|(i, _)| *i < lots.len());
    let mut hold_ids = HashSet::new();
    for hold in &state.holds {
        if !in_range(&hold.takes) || !hold_ids.insert(hold.id.as_str()) {
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
    for (id, record) in records {
        let ok = match record {
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
    for (k, entry) in ledger.iter().enumerate() {
        if entry.seq != k as u64 + 1 {
            return Err(snap_err(format!(
                "ledger entry {} has seq {}; entries must be numbered 1, 2, 3...",
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
            Err(snap_err("ledger runs past the wallet clock"))
        }
        (Some(_), None) => Err(snap_err("a wallet with ledger entries must have a clock")),
        _ => Ok(()),
    }
}
