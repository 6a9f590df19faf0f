//! Read-only views of a wallet's state: the balance (with the display rule), lot listings, and preview results.
//! These are the shapes SPEC section 6 returns to JavaScript, serialized field for field.

use crate::catalog::Quote;
use crate::credits::Credits;
use crate::error::Result;
use crate::lot::{Kind, Lot};
use crate::spend::sort_in_order;
use crate::spend::Draw;
use crate::state::State;
use crate::time::Instant;

/// Usable credits per kind; every kind is always present.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Kinds {
    pub daily_login: u64,
    pub membership_agent: u64,
    pub promotion: u64,
    pub membership: u64,
    pub trial: u64,
    pub purchased: u64,
}

impl Kinds {
    fn slot(&mut self, kind: Kind) -> &mut u64 {
        match kind {
            Kind::DailyLogin => &mut self.daily_login,
            Kind::MembershipAgent => &mut self.membership_agent,
            Kind::Promotion => &mut self.promotion,
            Kind::Membership => &mut self.membership,
            Kind::Trial => &mut self.trial,
            Kind::Purchased => &mut self.purchased,
        }
    }
    pub fn get(&self, kind: Kind) -> u64 {
        match kind {
            Kind::DailyLogin => self.daily_login,
            Kind::MembershipAgent => self.membership_agent,
            Kind::Promotion => self.promotion,
            Kind::Membership => self.membership,
            Kind::Trial => self.trial,
            Kind::Purchased => self.purchased,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NextExpiry {
    pub at: Instant,
    pub credits: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LotView {
    pub id: String,
    pub kind: Kind,
    pub credits: u64,
    pub granted_at: Instant,
    pub expires_at: Option<Instant>,
    pub frozen: bool,
    pub agent_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    pub at: Instant,
    pub total: u64,
    pub agent: u64,
    pub regular: u64,
    pub frozen: u64,
    pub held: u64,
    pub display: bool,
    pub kinds: Kinds,
    pub next_expiry: Option<NextExpiry>,
    pub lots: Vec<LotView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub total: u64,
    pub agent: u64,
    pub regular: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub quote: Quote,
    pub credits: u64,
    pub sufficient: bool,
    pub shortfall: u64,
    pub draws: Vec<Draw>,
    pub balance_after: Totals,
}

/// Usable agent-only and regular credits, and frozen credits.
pub fn totals(state: &State) -> Result<(Credits, Credits, Credits)> {
    let (mut agent, mut regular, mut frozen) = (Credits::ZERO, Credits::ZERO, Credits::ZERO);
    for lot in &state.lots {
        if lot.expired {
            continue;
        }
        if lot.frozen {
            frozen = frozen.plus(lot.credits)?;
        } else if lot.kind.agent_only() {
            agent = agent.plus(lot.credits)?;
        } else {
            regular = regular.plus(lot.credits)?;
        }
    }
    Ok((agent, regular, frozen))
}

/// The indices of the lots a balance lists: lots with credits left, in consumption order (agent-only first), frozen
/// ones included.
pub fn shown_lots(lots: &[Lot]) -> Vec<usize> {
    let mut shown: Vec<(u8, usize)> = lots
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.expired && !l.credits.is_zero())
        .map(|(i, l)| (u8::from(!l.kind.agent_only()), i))
        .collect();
    sort_in_order(lots, &mut shown);
    shown.into_iter().map(|(_, i)| i).collect()
}

/// Lots with credits left, in consumption order (agent-only first), frozen ones included and flagged.
fn lot_views(lots: &[Lot]) -> Vec<LotView> {
    shown_lots(lots)
        .into_iter()
        .filter_map(|i| lots.get(i))
        .map(|l| LotView {
            id: l.id.to_string(),
            kind: l.kind,
            credits: l.credits.get(),
            granted_at: l.granted_at,
            expires_at: l.expires_at,
            frozen: l.frozen,
            agent_only: l.kind.agent_only(),
        })
        .collect()
}

pub fn balance(state: &State, at: Instant) -> Result<Balance> {
    let mut b = balance_head(state, at)?;
    b.lots = lot_views(&state.lots);
    Ok(b)
}

/// The balance without its `lots` (left empty): totals, kinds, the next expiry and the display rule.
pub fn balance_head(state: &State, at: Instant) -> Result<Balance> {
    let (agent, regular, frozen) = totals(state)?;
    let held = state.held()?;
    let mut kinds = Kinds::default();
    let mut next: Option<(Instant, Credits)> = None;
    for lot in state.lots.iter().filter(|l| l.usable()) {
        let slot = kinds.slot(lot.kind);
        *slot = Credits::new(*slot)?.plus(lot.credits)?.get();
        if let Some(e) = lot.expires_at {
            next = match next {
                Some((t, c)) if t == e => Some((t, c.plus(lot.credits)?)),
                Some((t, c)) if t < e => Some((t, c)),
                _ => Some((e, lot.credits)),
            };
        }
    }
    let total = agent.plus(regular)?;
    let display = !total.plus(frozen)?.plus(held)?.is_zero() || state.membership.is_member();
    Ok(Balance {
        at,
        total: total.get(),
        agent: agent.get(),
        regular: regular.get(),
        frozen: frozen.get(),
        held: held.get(),
        display,
        kinds,
        next_expiry: next.map(|(at, c)| NextExpiry {
            at,
            credits: c.get(),
        }),
        lots: Vec::new(),
    })
}
