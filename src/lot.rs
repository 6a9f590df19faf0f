//! Lots: one grant of credits with its own kind, amount left, grant time and expiry (SPEC section 1). Lots are never
//! merged. This file owns what a kind may be used for and when a lot is usable; the wallet owns when lots change.

use crate::credits::Credits;
use crate::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    DailyLogin,
    MembershipAgent,
    Promotion,
    Membership,
    Trial,
    Purchased,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::DailyLogin,
        Kind::MembershipAgent,
        Kind::Promotion,
        Kind::Membership,
        Kind::Trial,
        Kind::Purchased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::DailyLogin => "daily_login",
            Kind::MembershipAgent => "membership_agent",
            Kind::Promotion => "promotion",
            Kind::Membership => "membership",
            Kind::Trial => "trial",
            Kind::Purchased => "purchased",
        }
    }

    /// Agent credits: usable for AI Agent features only.
    pub fn agent_only(self) -> bool {
        matches!(
            self,
            Kind::DailyLogin | Kind::MembershipAgent | Kind::Promotion
        )
    }

    /// Kinds that freeze when the membership lapses and thaw on reactivation.
    pub fn freezes_on_lapse(self) -> bool {
        matches!(self, Kind::Membership | Kind::Purchased)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lot {
    #[serde(deserialize_with = "crate::codec::arc_str")]
    pub id: std::sync::Arc<str>,
    pub kind: Kind,
    /// Credits originally granted.
    pub granted: Credits,
    /// Credits left in the lot (held credits are not in here: a hold takes them out until it ends).
    pub credits: Credits,
    pub granted_at: Instant,
    /// Exclusive: usable while `t < expires_at`. `None` never expires.
    pub expires_at: Option<Instant>,
    pub frozen: bool,
    /// Set once the expiry has been applied; credits returned later expire at once.
    pub expired: bool,
}

impl Lot {
    /// Whether the lot's credits can be spent now (the wallet has applied every event up to now).
    pub fn usable(&self) -> bool {
        !self.frozen && !self.expired && !self.credits.is_zero()
    }
}

/// SPEC section 4 within a group: soonest expiry first (never-expiring last), then earlier grant, then lot id.
/// This is the first two criteria as a plain key (cheap to sort on); `spend::sort_in_order` breaks ties by lot id.
pub fn order_key(lot: &Lot) -> (i64, i64) {
    (
        lot.expires_at.map_or(i64::MAX, Instant::millis),
        lot.granted_at.millis(),
    )
}
