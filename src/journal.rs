//! What a step of the wallet writes down: ledger entries for real mutations, projection points for "what will
//! happen" reads, nothing at all for plain reads. The wallet's event code calls the same journal in all three cases,
//! so a projection and the ledger can never tell different stories.

use crate::credits::Credits;
use crate::ledger::{EntryType, LedgerEntry};
use crate::lot::Kind;
use crate::time::Instant;

/// One point of a projection: the balance right after everything that happens at `at`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectionPoint {
    pub at: Instant,
    pub total: u64,
    pub agent: u64,
    pub regular: u64,
    pub frozen: u64,
    /// What happened: `start` for the first point, else the events of the instant joined by `,`
    /// (`expire`, `distribution`, `lapse`, `hold_expiry`).
    pub event: String,
}

pub struct Journal {
    recording: bool,
    pub entries: Vec<LedgerEntry>,
    next_seq: u64,
    /// Labels of the visible events at the instant being processed.
    pub labels: Vec<&'static str>,
}

/// What a ledger entry says, apart from its sequence number and the total.
pub struct Fact<'a> {
    pub at: Instant,
    pub entry_type: EntryType,
    pub kind: Option<Kind>,
    pub lot_id: Option<&'a str>,
    pub credits: i64,
    pub reference: Option<&'a str>,
    pub feature: Option<&'a str>,
}

impl Journal {
    /// Writes ledger entries numbered from `next_seq`.
    pub fn recording(next_seq: u64) -> Journal {
        Journal {
            recording: true,
            entries: Vec::new(),
            next_seq,
            labels: Vec::new(),
        }
    }
    /// Writes nothing (reads that only need the resulting state).
    pub fn silent() -> Journal {
        Journal {
            recording: false,
            entries: Vec::new(),
            next_seq: 0,
            labels: Vec::new(),
        }
    }

    pub fn write(&mut self, fact: Fact<'_>, total_after: Credits) {
        if !self.recording {
            return;
        }
        self.entries.push(LedgerEntry {
            seq: self.next_seq,
            at: fact.at,
            entry_type: fact.entry_type,
            kind: fact.kind,
            lot_id: fact.lot_id.map(str::to_string),
            credits: fact.credits,
            reference: fact.reference.map(str::to_string),
            feature: fact.feature.map(str::to_string),
            total: total_after.get(),
        });
        self.next_seq += 1;
    }

    pub fn label(&mut self, label: &'static str) {
        if !self.labels.contains(&label) {
            self.labels.push(label);
        }
    }
}

/// A signed ledger amount from credits (credits never exceed 2^53 - 1, so this is exact).
pub fn signed(credits: Credits, negative: bool) -> i64 {
    let v = i64::try_from(credits.get()).unwrap_or(i64::MAX);
    if negative {
        -v
    } else {
        v
    }
}
