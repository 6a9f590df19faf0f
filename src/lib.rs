//! credit-engine: the credit-pricing and consumption-order engine of an AI design product, one Rust core compiled
//! natively for tests and to WebAssembly for the browser, the edge and the origin.
//!
//! Where things live:
//! - [`catalog`]: prices, tiers, unit rules, quotes (SPEC section 3).
//! - [`calendar`] and [`time`]: instants, ISO-8601, IANA zones, local days and months, DST rules.
//! - [`lot`]: the six credit kinds and what each may pay for.
//! - [`spend`]: **the consumption order** and how credits go back (SPEC sections 4 and 5).
//! - [`state`]: scheduled events (expiry, distributions, lapse, hold expiry) applied lazily in time order.
//! - [`wallet`]: every operation of the public API, idempotency, all-or-nothing mutations.
//! - [`view`], [`journal`], [`ledger`]: balance, previews, projections and the usage ledger.
//! - [`snapshot`]: the versioned lossless wallet format (serde_json, with the records as postcard); [`codec`]:
//!   how every type crosses the boundary with serde (instants, credits, kinds, the membership, the records).
//! - [`token`]: signed wallet tokens for the edge pre-check (HMAC-SHA-256 from RustCrypto, a postcard payload).
//! - [`error`]: the stable error codes (SPEC section 7).
//!
//! The core knows nothing of JavaScript; the wasm-bindgen layer lives in `js` and is compiled for wasm32 only.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod calendar;
pub mod catalog;
pub mod codec;
pub mod credits;
pub mod error;
pub mod journal;
pub mod ledger;
pub mod lot;
pub mod snapshot;
mod sort;
pub mod spend;
pub mod state;
pub mod time;
pub mod token;
pub mod view;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
mod js;

pub use catalog::{Catalog, Quote, Tier, UsageRequest};
pub use credits::Credits;
pub use error::{Error, ErrorCode, Result};
pub use journal::ProjectionPoint;
pub use ledger::{EntryType, LedgerEntry};
pub use lot::Kind;
pub use time::Instant;
pub use view::{Balance, Preview};
pub use wallet::{Charge, Hold, Refund, Wallet};

#[cfg(test)]
mod testing {
    /// Xorshift64 from `seed` (non-zero): the unit tests' reproducible random numbers.
    pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }
}
