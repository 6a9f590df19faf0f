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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LedgerEntry {
    /// 1 for the first entry, then +1 per entry.
    pub seq: u64,
    pub at: Instant,
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    /// Signed: grant, refund, release positive; charge, hold, expire negative; freeze and unfreeze the affected
    /// amount; capture 0.
    pub credits: i64,
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// Usable credits right after this entry.
    #[serde(deserialize_with = "crate::codec::credit_amount")]
    pub total: u64,
}
