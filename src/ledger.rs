//! The ledger (the "usage details" list): an append-only record of every change to the wallet's credits, each with
//! the usable balance right after it. Amounts are signed as the user reads them (SPEC section 8).

use crate::lot::Kind;
use crate::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryType {
    Grant,
    Charge,
    Refund,
    Hold,
    Capture,
    Release,
    Expire,
    Freeze,
    Unfreeze,
}

impl EntryType {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryType::Grant => "grant",
            EntryType::Charge => "charge",
            EntryType::Refund => "refund",
            EntryType::Hold => "hold",
            EntryType::Capture => "capture",
            EntryType::Release => "release",
            EntryType::Expire => "expire",
            EntryType::Freeze => "freeze",
            EntryType::Unfreeze => "unfreeze",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// 1 for the first entry, then +1 per entry.
    pub seq: u64,
    pub at: Instant,
    pub entry_type: EntryType,
    pub kind: Option<Kind>,
    pub lot_id: Option<String>,
    /// Signed: grant, refund, release positive; charge, hold, expire negative; freeze and unfreeze the affected
    /// amount; capture 0.
    pub credits: i64,
    pub reference: Option<String>,
    pub feature: Option<String>,
    /// Usable credits right after this entry.
    pub total: u64,
}
