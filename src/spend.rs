//! Where the consumption order is decided (SPEC section 4): which lots pay for a request, in what order, and how
//! credits go back to the lots they came from (refunds, releases, partial captures: last-drawn first).

use crate::credits::Credits;
use crate::error::Result;
use crate::lot::{order_key, Kind, Lot};
use std::cmp::Ordering;

/// Credits taken from one lot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Draw {
    pub lot_id: std::sync::Arc<str>,
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

/// The usable lots in consumption order as an agent feature spends them: agent-only lots first, then regular lots,
/// each group by soonest expiry, then earlier grant, then lot id. A non-agent feature spends `items[split..]` only.
/// Depends on the lots alone, so a wallet can keep it between mutations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    pub items: Vec<usize>,
    pub split: usize,
    /// Usable agent-only and regular credits.
    pub agent: Credits,
    pub regular: Credits,
}

impl Order {
    pub fn of(lots: &[Lot]) -> Result<Order> {
        let mut keyed: Vec<(u8, usize)> = Vec::new();
        let (mut agent, mut regular) = (Credits::ZERO, Credits::ZERO);
        for (i, lot) in lots.iter().enumerate().filter(|(_, l)| l.usable()) {
            if lot.kind.agent_only() {
                agent = agent.plus(lot.credits)?;
                keyed.push((0, i));
            } else {
                regular = regular.plus(lot.credits)?;
                keyed.push((1, i));
            }
        }
        sort_in_order(lots, &mut keyed);
        let split = keyed.iter().take_while(|(g, _)| *g == 0).count();
        Ok(Order {
            items: keyed.into_iter().map(|(_, i)| i).collect(),
            split,
            agent,
            regular,
        })
    }

    /// Where a feature starts spending: agent features from the first lot, others from the regular group.
    fn start(&self, agent_feature: bool) -> usize {
        if agent_feature || cfg!(feature = "canary") {
            // The `canary` build breaks the rule on purpose (agent credits pay for regular features) so the
            // property tests can show that they catch a wrong consumption rule.
            0
        } else {
            self.split
        }
    }

    /// Plans the draws for `cost`: all or nothing.
    pub fn plan(&self, lots: &[Lot], agent_feature: bool, cost: Credits) -> Result<Plan> {
        let start = self.start(agent_feature);
        let available = if start == 0 {
            self.agent.plus(self.regular)?
        } else {
            self.regular
        };
        if available < cost {
            return Ok(Plan {
                takes: Vec::new(),
                available,
                shortfall: cost.minus(available)?,
            });
        }
        let mut takes = Vec::new();
        let mut left = cost;
        for &i in self.items.iter().skip(start) {
            if left.is_zero() {
                break;
            }
            let take = lots.get(i).map_or(Credits::ZERO, |l| l.credits).min(left);
            takes.push((i, take));
            left = left.minus(take)?;
        }
        Ok(Plan {
            takes,
            available,
            shortfall: Credits::ZERO,
        })
    }
}

/// Plans the draws for `cost` over the usable lots (SPEC section 4); see [`Order`].
pub fn plan(lots: &[Lot], agent_feature: bool, cost: Credits) -> Result<Plan> {
    Order::of(lots)?.plan(lots, agent_feature, cost)
}

/// Sorts (group, lot index) pairs into consumption order: group first, then soonest expiry, grant, lot id.
pub fn sort_in_order(lots: &[Lot], items: &mut [(u8, usize)]) {
    // Sorting on copied keys keeps the comparisons in cache; only exact ties look at the lots' ids.
    let keyed: Vec<(u8, (i64, i64), usize)> = items
        .iter()
        .filter_map(|&(g, i)| lots.get(i).map(|l| (g, order_key(l), i)))
        .collect();
    let keyed = crate::sort::sorted(&keyed, &|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| match (lots.get(a.2), lots.get(b.2)) {
                (Some(la), Some(lb)) => la.id.cmp(&lb.id),
                _ => Ordering::Equal,
            })
    });
    for (slot, (g, _, i)) in items.iter_mut().zip(keyed) {
        *slot = (g, i);
    }
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
