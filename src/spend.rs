//! Where the consumption order is decided (SPEC section 4): which lots pay for a request, in what order, and how
//! credits go back to the lots they came from (refunds, releases, partial captures: last-drawn first).

use crate::credits::Credits;
use crate::error::Result;
use crate::lot::{consumption_order, Kind, Lot};
use std::cmp::Ordering;

/// Credits taken from one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub lot_id: String,
    pub kind: Kind,
    pub credits: Credits,
}

/// Which lots would pay for `cost`, before anything is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// (lot index, credits) in consumption order; empty when the credits do not suffice.
    pub takes: Vec<(usize, Credits)>,
    /// Usable credits the request may draw on (agent-only lots count only for agent features).
    pub available: Credits,
    pub shortfall: Credits,
}

impl Plan {
    pub fn sufficient(&self) -> bool {
        self.shortfall.is_zero()
    }
    pub fn draws(&self, lots: &[Lot]) -> Vec<Draw> {
        self.takes
            .iter()
            .filter_map(|&(i, credits)| {
                lots.get(i).map(|l| Draw {
                    lot_id: l.id.clone(),
                    kind: l.kind,
                    credits,
                })
            })
            .collect()
    }
}

/// May a lot of this kind pay for this feature, and in which group: agent-only lots first for agent features.
fn group(kind: Kind, agent_feature: bool) -> Option<u8> {
    match (kind.agent_only(), agent_feature) {
        (true, true) => Some(0),
        (true, false) => canary_agent_lots_for_regular(),
        (false, _) => Some(1),
    }
}

/// Correct rule: agent-only credits never pay for a non-agent feature. The `canary` build breaks exactly this rule
/// on purpose so the property tests can show that they catch a wrong consumption rule.
#[cfg(not(feature = "canary"))]
fn canary_agent_lots_for_regular() -> Option<u8> {
    None
}
#[cfg(feature = "canary")]
fn canary_agent_lots_for_regular() -> Option<u8> {
    Some(2)
}

/// Plans the draws for `cost` over the usable lots: agent-only group first (agent features only), then regular;
/// within a group soonest expiry first, then earlier grant, then lot id. All-or-nothing.
pub fn plan(lots: &[Lot], agent_feature: bool, cost: Credits) -> Result<Plan> {
    let mut candidates: Vec<(u8, usize)> = Vec::new();
    let mut available = Credits::ZERO;
    for (i, lot) in lots.iter().enumerate() {
        if !lot.usable() {
            continue;
        }
        if let Some(g) = group(lot.kind, agent_feature) {
            candidates.push((g, i));
            available = available.plus(lot.credits)?;
        }
    }
    if available < cost {
        return Ok(Plan {
            takes: Vec::new(),
            available,
            shortfall: cost.minus(available)?,
        });
    }
    sort_in_order(lots, &mut candidates);
    let mut takes = Vec::new();
    let mut left = cost;
    for (_, i) in candidates {
        if left.is_zero() {
            break;
        }
        let have = lots.get(i).map_or(Credits::ZERO, |l| l.credits);
        let take = have.min(left);
        takes.push((i, take));
        left = left.minus(take)?;
    }
    Ok(Plan {
        takes,
        available,
        shortfall: Credits::ZERO,
    })
}

/// Sorts (group, lot index) pairs into consumption order: group first, then soonest expiry, grant, lot id.
pub fn sort_in_order(lots: &[Lot], items: &mut [(u8, usize)]) {
    items.sort_unstable_by(|&(ga, a), &(gb, b)| match (lots.get(a), lots.get(b)) {
        (Some(la), Some(lb)) => ga.cmp(&gb).then_with(|| consumption_order(la, lb)),
        _ => Ordering::Equal,
    });
}

/// Splits `amount` off the end of a list of (lot index, credits) draws: the last-drawn credits first. Returns the
/// part taken off (in return order) and leaves the rest in `draws`.
pub fn take_from_end(
    draws: &mut Vec<(usize, Credits)>,
    amount: Credits,
) -> Result<Vec<(usize, Credits)>> {
    let mut left = amount;
    let mut returned = Vec::new();
    while !left.is_zero() {
        let Some(last) = draws.last_mut() else { break };
        let part = last.1.min(left);
        returned.push((last.0, part));
        last.1 = last.1.minus(part)?;
        left = left.minus(part)?;
        if last.1.is_zero() {
            draws.pop();
        }
    }
    Ok(returned)
}
