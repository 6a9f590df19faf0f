//! The wallet's live state (lots, membership, open holds, clock) and the scheduled events that change it as time
//! passes: lot expiry, hold expiry, membership lapse and monthly distributions. Events are applied lazily and in time
//! order by `advance`, exactly as if each had happened when due (SPEC section 2). Every change of a lot's credits
//! goes through the few methods here, which keep the usable total and the ledger in step.

use crate::calendar::TimeZone;
use crate::credits::{Credits, MAX_CREDITS};
use crate::error::{Error, ErrorCode, Result};
use crate::journal::{signed, Fact, Journal};
use crate::ledger::EntryType;
use crate::lot::{Kind, Lot};
use crate::spend::take_from_end;
use crate::time::Instant;

/// Most lots one wallet may hold; keeps the worst-case snapshot and scan inside an edge isolate's budget.
pub const MAX_LOTS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// Never a member.
    None,
    /// A trial membership until `until` (exclusive).
    Trial { until: Instant },
    /// Paid membership: distributions on every monthly anniversary of `anchor` while before `until`.
    Active {
        anchor: Instant,
        until: Instant,
        monthly_credits: Credits,
        monthly_agent_credits: Credits,
        /// Index of the next distribution (0 is the one at `anchor`).
        next_index: u32,
        /// When it happens, if before `until`.
        next_at: Option<Instant>,
    },
    /// Ended without renewal at `since`.
    Lapsed { since: Instant },
}

impl Membership {
    pub fn is_member(&self) -> bool {
        matches!(self, Membership::Trial { .. } | Membership::Active { .. })
    }
}

/// A hold that still reserves credits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenHold {
    pub id: String,
    pub feature: String,
    pub expires_at: Instant,
    /// (lot index, credits) in draw order.
    pub takes: Vec<(usize, Credits)>,
}

impl OpenHold {
    pub fn credits(&self) -> Result<Credits> {
        self.takes
            .iter()
            .try_fold(Credits::ZERO, |acc, t| acc.plus(t.1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The wallet clock: the `at` of the latest mutation.
    pub clock: Option<Instant>,
    pub lots: Vec<Lot>,
    pub membership: Membership,
    pub had_trial: bool,
    pub had_membership: bool,
    pub holds: Vec<OpenHold>,
    /// Local day number of the last daily-login grant.
    pub last_daily_day: Option<i64>,
    /// Sum of credits in lots that are neither frozen nor expired (derived; kept in step by every change).
    pub usable: Credits,
    /// Sum of credits in frozen, unexpired lots (derived, kept in step likewise).
    pub frozen_total: Credits,
}

fn counted(lot: &Lot) -> bool {
    !lot.frozen && !lot.expired
}

fn lot_mut(lots: &mut [Lot], i: usize) -> Result<&mut Lot> {
    lots.get_mut(i)
        .ok_or_else(|| Error::new(ErrorCode::Snapshot, format!("lot #{i} does not exist")))
}

impl State {
    pub fn new() -> State {
        State {
            clock: None,
            lots: Vec::new(),
            membership: Membership::None,
            had_trial: false,
            had_membership: false,
            holds: Vec::new(),
            last_daily_day: None,
            usable: Credits::ZERO,
            frozen_total: Credits::ZERO,
        }
    }

    /// Recomputes the derived usable total (after loading a snapshot).
    pub fn recount(&mut self) -> Result<()> {
        self.usable = self
            .lots
            .iter()
            .filter(|l| counted(l))
            .try_fold(Credits::ZERO, |acc, l| acc.plus(l.credits))?;
        self.frozen_total = self
            .lots
            .iter()
            .filter(|l| l.frozen && !l.expired)
            .try_fold(Credits::ZERO, |acc, l| acc.plus(l.credits))?;
        Ok(())
    }

    pub fn held(&self) -> Result<Credits> {
        self.holds
            .iter()
            .try_fold(Credits::ZERO, |acc, h| acc.plus(h.credits()?))
    }

    pub fn has_lot_id(&self, id: &str) -> bool {
        self.lots.iter().any(|l| &*l.id == id)
    }

    /// Engine-made lot ids are deterministic: `kind@instant`, with `#n` added in the unlikely case it is taken.
    /// Callers cannot use this form (`wallet::check_id` reserves it), so only lots granted at the same instant, the
    /// last ones in the list, can hold the same id: a long run of distributions does not rescan every lot.
    fn engine_lot_id(&self, kind: Kind, at: Instant) -> String {
        let base = format!("{}@{}", kind.as_str(), at);
        let taken = |id: &str| {
            self.lots
                .iter()
                .rev()
                .take_while(|l| l.granted_at >= at)
                .any(|l| &*l.id == id)
        };
        if !taken(&base) {
            return base;
        }
        (2u32..)
            .map(|n| format!("{base}#{n}"))
            .find(|id| !taken(id))
            .unwrap_or(base)
    }

    /// Adds a lot and writes its grant entry. Refuses a wallet whose credits would pass 2^53 - 1.
    pub fn grant(
        &mut self,
        j: &mut Journal,
        kind: Kind,
        id: Option<&str>,
        credits: Credits,
        at: Instant,
        expires_at: Option<Instant>,
    ) -> Result<()> {
        if self.lots.len() >= MAX_LOTS {
            return Err(Error::bad_request(format!(
                "this wallet already holds the maximum of {MAX_LOTS} lots"
            )));
        }
        // Everything the wallet holds: usable, frozen and held credits, kept as running totals so a grant (and a
        // long run of monthly distributions) costs O(1) here.
        let in_wallet = u128::from(self.usable.get())
            + u128::from(self.frozen_total.get())
            + u128::from(self.held()?.get())
            + u128::from(credits.get());
        if in_wallet > u128::from(MAX_CREDITS) {
            return Err(Error::overflow("the wallet's credits after this grant"));
        }
        let id = match id {
            Some(id) => id.to_string(),
            None => self.engine_lot_id(kind, at),
        };
        let lot = Lot {
            id: id.into(),
            kind,
            granted: credits,
            credits,
            granted_at: at,
            expires_at,
            frozen: false,
            expired: false,
        };
        self.usable = self.usable.plus(credits)?;
        j.write(
            Fact {
                at,
                entry_type: EntryType::Grant,
                kind: Some(kind),
                lot_id: Some(&lot.id),
                credits: signed(credits, false),
                reference: None,
                feature: None,
            },
            self.usable,
        );
        self.lots.push(lot);
        Ok(())
    }

    /// Takes credits out of usable lots along a plan (a charge or a hold).
    pub fn take(&mut self, takes: &[(usize, Credits)]) -> Result<()> {
        for &(i, amount) in takes {
            let lot = lot_mut(&mut self.lots, i)?;
            if !lot.usable() || lot.credits < amount {
                return Err(Error::new(
                    ErrorCode::Snapshot,
                    format!("lot '{}' cannot pay {amount}", lot.id),
                ));
            }
            lot.credits = lot.credits.minus(amount)?;
            self.usable = self.usable.minus(amount)?;
        }
        Ok(())
    }

    /// Puts credits back into the lots they came from (the list is in return order). Returns the parts that went
    /// into lots that had expired meanwhile: those expire again at once (the caller writes that after its own entry).
    pub fn give_back(&mut self, returns: &[(usize, Credits)]) -> Result<Vec<(usize, Credits)>> {
        let mut expired_again = Vec::new();
        for &(i, amount) in returns {
            let lot = lot_mut(&mut self.lots, i)?;
            if lot.expired {
                expired_again.push((i, amount));
                continue;
            }
            lot.credits = lot.credits.plus(amount)?;
            if counted(lot) {
                self.usable = self.usable.plus(amount)?;
            } else {
                self.frozen_total = self.frozen_total.plus(amount)?;
            }
        }
        Ok(expired_again)
    }

    /// Writes the `expire` entries for credits returned to already-expired lots.
    pub fn write_expired_again(&self, j: &mut Journal, at: Instant, parts: &[(usize, Credits)]) {
        for &(i, amount) in parts {
            if let Some(lot) = self.lots.get(i) {
                j.write(
                    Fact {
                        at,
                        entry_type: EntryType::Expire,
                        kind: Some(lot.kind),
                        lot_id: Some(&lot.id),
                        credits: signed(amount, true),
                        reference: None,
                        feature: None,
                    },
                    self.usable,
                );
            }
        }
    }

    fn expire_lot(&mut self, j: &mut Journal, i: usize, at: Instant) -> Result<()> {
        let lot = lot_mut(&mut self.lots, i)?;
        if lot.expired {
            return Ok(());
        }
        let amount = lot.credits;
        let was_counted = counted(lot);
        lot.expired = true;
        lot.credits = Credits::ZERO;
        if was_counted {
            self.usable = self.usable.minus(amount)?;
        } else {
            self.frozen_total = self.frozen_total.minus(amount)?;
        }
        if !amount.is_zero() {
            let (kind, id) = (lot.kind, lot.id.clone());
            j.write(
                Fact {
                    at,
                    entry_type: EntryType::Expire,
                    kind: Some(kind),
                    lot_id: Some(&id),
                    credits: signed(amount, true),
                    reference: None,
                    feature: None,
                },
                self.usable,
            );
            j.label("expire");
        }
        Ok(())
    }

    /// Freezes (`true`) or thaws the lots that follow membership, writing one entry per lot with credits.
    fn set_frozen(&mut self, j: &mut Journal, at: Instant, frozen: bool) -> Result<()> {
        for i in 0..self.lots.len() {
            let lot = lot_mut(&mut self.lots, i)?;
            if !lot.kind.freezes_on_lapse() || lot.expired || lot.frozen == frozen {
                continue;
            }
            lot.frozen = frozen;
            let amount = lot.credits;
            if frozen {
                self.usable = self.usable.minus(amount)?;
                self.frozen_total = self.frozen_total.plus(amount)?;
            } else {
                self.usable = self.usable.plus(amount)?;
                self.frozen_total = self.frozen_total.minus(amount)?;
            }
            if !amount.is_zero() {
                let lot = lot_mut(&mut self.lots, i)?;
                let (kind, id) = (lot.kind, lot.id.clone());
                j.write(
                    Fact {
                        at,
                        entry_type: if frozen {
                            EntryType::Freeze
                        } else {
                            EntryType::Unfreeze
                        },
                        kind: Some(kind),
                        lot_id: Some(&id),
                        credits: signed(amount, false),
                        reference: None,
                        feature: None,
                    },
                    self.usable,
                );
            }
        }
        Ok(())
    }

    /// Reactivation thaws frozen lots.
    pub fn unfreeze_all(&mut self, j: &mut Journal, at: Instant) -> Result<()> {
        self.set_frozen(j, at, false)
    }

    /// Closes an open hold and returns all its credits (release or expiry). Returns the hold.
    pub fn release_hold(&mut self, j: &mut Journal, id: &str, at: Instant) -> Result<OpenHold> {
        let pos = self
            .holds
            .iter()
            .position(|h| h.id == id)
            .ok_or_else(|| Error::not_found(format!("hold '{id}' is not open")))?;
        let hold = self.holds.remove(pos);
        let mut takes = hold.takes.clone();
        let credits = hold.credits()?;
        let returns = take_from_end(&mut takes, credits)?;
        let again = self.give_back(&returns)?;
        j.write(
            Fact {
                at,
                entry_type: EntryType::Release,
                kind: None,
                lot_id: None,
                credits: signed(credits, false),
                reference: Some(&hold.id),
                feature: Some(&hold.feature),
            },
            self.usable,
        );
        self.write_expired_again(j, at, &again);
        Ok(hold)
    }

    /// Distributes the membership's next month at `at` (SPEC section 2).
    pub fn distribute(&mut self, tz: &TimeZone, j: &mut Journal, at: Instant) -> Result<()> {
        let Membership::Active {
            anchor,
            until,
            monthly_credits,
            monthly_agent_credits,
            next_index,
            ..
        } = self.membership.clone()
        else {
            return Ok(());
        };
        let following = next_index
            .checked_add(1)
            .ok_or_else(|| Error::new(ErrorCode::Time, "too many monthly distributions"))?;
        let next = tz.add_months(anchor, following)?;
        if next <= at {
            return Err(Error::new(
                ErrorCode::Time,
                format!("the next monthly anniversary after {at} is not later"),
            ));
        }
        if !monthly_credits.is_zero() {
            self.grant(j, Kind::Membership, None, monthly_credits, at, None)?;
        }
        if !monthly_agent_credits.is_zero() {
            // The agent part lasts one month, until the next anniversary, even if no distribution follows.
            self.grant(
                j,
                Kind::MembershipAgent,
                None,
                monthly_agent_credits,
                at,
                Some(next),
            )?;
        }
        if !monthly_credits.is_zero() || !monthly_agent_credits.is_zero() {
            j.label("distribution");
        }
        if let Membership::Active {
            next_index: ni,
            next_at,
            ..
        } = &mut self.membership
        {
            *ni = following;
            *next_at = if next < until { Some(next) } else { None };
        }
        Ok(())
    }

    /// The next membership event: a distribution, or the lapse at `until`.
    fn membership_next(&self) -> Option<Instant> {
        match &self.membership {
            Membership::Trial { until } => Some(*until),
            Membership::Active { until, next_at, .. } => {
                Some(next_at.map_or(*until, |n| n.min(*until)))
            }
            _ => None,
        }
    }

    /// The next membership event at or before `limit`.
    fn membership_due(&self, limit: Instant) -> Option<Instant> {
        self.membership_next().filter(|t| *t <= limit)
    }

    /// The earliest scheduled change strictly after `t`: an expiry of a lot with credits, a hold expiry, a
    /// distribution or a lapse.
    pub fn next_change_after(&self, t: Instant) -> Option<Instant> {
        let lots = self
            .lots
            .iter()
            .filter(|l| !l.expired && !l.credits.is_zero())
            .filter_map(|l| l.expires_at);
        let holds = self.holds.iter().map(|h| h.expires_at);
        lots.chain(holds)
            .chain(self.membership_next())
            .filter(|e| *e > t)
            .min()
    }

    /// The earliest scheduled event of any kind (also invisible ones, such as an empty lot's expiry).
    pub fn next_due(&self) -> Option<Instant> {
        let lots = self
            .lots
            .iter()
            .filter(|l| !l.expired)
            .filter_map(|l| l.expires_at);
        let holds = self.holds.iter().map(|h| h.expires_at);
        lots.chain(holds).chain(self.membership_next()).min()
    }

    /// Applies every scheduled event due at or before `t`, in time order; at one instant: hold expiries, then lot
    /// expiries, then the lapse, then a distribution. `on_instant` runs after each instant's events.
    pub fn advance(
        &mut self,
        tz: &TimeZone,
        t: Instant,
        j: &mut Journal,
        on_instant: &mut dyn FnMut(&State, Instant, &mut Journal) -> Result<()>,
    ) -> Result<()> {
        const HOLD: u8 = 0;
        const LOT: u8 = 1;
        // Due lot and hold expiries, kept sorted latest-first so the next one is popped off the end.
        let mut queued: Vec<(Instant, u8, usize)> = Vec::new();
        for (i, lot) in self.lots.iter().enumerate() {
            if let Some(e) = lot.expires_at.filter(|e| !lot.expired && *e <= t) {
                queued.push((e, LOT, i));
            }
        }
        let hold_ids: Vec<(Instant, String)> = self
            .holds
            .iter()
            .filter(|h| h.expires_at <= t)
            .map(|h| (h.expires_at, h.id.clone()))
            .collect();
        for (k, (e, _)) in hold_ids.iter().enumerate() {
            queued.push((*e, HOLD, k));
        }
        let mut due = crate::sort::sorted(&queued, &|a, b| b.cmp(a));
        loop {
            let next_membership = self.membership_due(t);
            let next_queued = due.last().map(|(e, _, _)| *e);
            let now = match (next_membership, next_queued) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            j.labels.clear();
            while let Some(&(e, class, i)) = due.last() {
                if e != now {
                    break;
                }
                due.pop();
                if class == HOLD {
                    if let Some((_, id)) = hold_ids.get(i) {
                        if self.holds.iter().any(|h| &h.id == id) {
                            self.release_hold(j, id, now)?;
                            j.label("hold_expiry");
                        }
                    }
                } else {
                    self.expire_lot(j, i, now)?;
                }
            }
            if self.membership_due(now) == Some(now) {
                let lapse = match &self.membership {
                    Membership::Trial { until } => *until <= now,
                    Membership::Active { until, next_at, .. } => {
                        *until <= now && next_at.is_none_or(|n| n >= now)
                    }
                    _ => false,
                };
                if lapse {
                    self.membership = Membership::Lapsed { since: now };
                    self.set_frozen(j, now, true)?;
                    j.label("lapse");
                } else {
                    let before = self.lots.len();
                    self.distribute(tz, j, now)?;
                    for (i, lot) in self.lots.iter().enumerate().skip(before) {
                        if let Some(e) = lot.expires_at.filter(|e| *e <= t) {
                            let item = (e, LOT, i);
                            let at = due.partition_point(|x| *x > item);
                            due.insert(at, item);
                        }
                    }
                }
            }
            on_instant(self, now, j)?;
        }
        Ok(())
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}
