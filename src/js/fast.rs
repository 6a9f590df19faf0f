//! Number-only twins of the reads, for npm/fast.js: each writes its result as numbers into one buffer in the module's
//! memory and returns its address (0: "take the generic path", which answers or throws exactly as before). The JS side
//! builds the documented objects from those numbers and from strings it keeps per wallet (lot ids, kinds, ISO times:
//! see `__lotTable`). No rule is decided in JavaScript: every number here comes from the same core functions the
//! generic paths call.
//!
//! Each read also reports the span of requested instants `[lo, hi)` that see the very same wallet state (no scheduled
//! event falls inside it), so the JS side may reuse a result for any instant in that span until the wallet changes
//! (npm/fast.js drops everything it keeps on every call that may change the wallet).

use super::JsWallet;
use crate::error::{Error, Result};
use crate::journal::Journal;
use crate::state::State;
use crate::time::{Instant, MAX_MS, MIN_MS};
use crate::wallet::Wallet as CoreWallet;
use std::borrow::Cow;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The result buffer of the calls below (read by npm/fast.js right after the call, before any other call).
    static BUF: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `fill` on the cleared buffer; its address, or 0 on any error (the generic path then reports it).
fn write(fill: impl FnOnce(&mut Vec<f64>) -> Result<()>) -> u32 {
    BUF.with(|cell| {
        let Ok(mut out) = cell.try_borrow_mut() else {
            return 0;
        };
        out.clear();
        match fill(&mut out) {
            Ok(()) if !out.is_empty() => out.as_ptr() as u32,
            _ => 0,
        }
    })
}

fn ms(t: Instant) -> f64 {
    t.millis() as f64
}

fn unsupported() -> Error {
    Error::bad_request("not for the fast path")
}

/// The state a read at `at` sees (as `Wallet::read_state`), the instant it is read at, and the span `[lo, hi)` of
/// requested instants whose reads see the very same state: up to the next scheduled event, from the last one applied.
fn state_span(w: &CoreWallet, at: Instant) -> Result<(Cow<'_, State>, Instant, f64, f64)> {
    let at = match w.clock() {
        Some(clock) if at < clock => clock,
        _ => at,
    };
    // Bounded by the instants a time argument may name, so a reused result never answers for one out of range.
    let (min, end) = (MIN_MS as f64, MAX_MS as f64 + 1.0);
    let next = w.next_due();
    if next.is_none_or(|d| d > at) {
        return Ok((
            Cow::Borrowed(&w.state),
            at,
            min,
            next.map_or(end, ms).min(end),
        ));
    }
    let mut copy = w.state.clone();
    let mut last = at;
    copy.advance(&w.tz, at, &mut Journal::silent(), &mut |_, t, _| {
        last = t;
        Ok(())
    })?;
    let hi = copy.next_due().map_or(end, ms).min(end);
    Ok((Cow::Owned(copy), at, ms(last), hi))
}

/// Labels of projection events, as codes (a point's event is a list of them, written base 6).
const EVENTS: [&str; 5] = ["start", "expire", "distribution", "lapse", "hold_expiry"];

#[wasm_bindgen(js_class = Wallet)]
impl JsWallet {
    /// `[lo, hi, clock]`: reads at any instant in `[lo, hi)` see the state a read at `at_ms` sees (`clock`: the
    /// wallet clock, -Infinity before the first mutation; a balance echoes `max(at, clock)`). `lo` and `hi` stay
    /// within the instants a time may name.
    #[wasm_bindgen(js_name = __readSpan)]
    pub fn read_span(&self, at_ms: f64) -> u32 {
        let Ok(w) = self.inner.try_borrow() else {
            return 0;
        };
        write(|out| {
            let (_, _, lo, hi) = state_span(&w, Instant::from_f64_millis(at_ms)?)?;
            out.extend_from_slice(&[lo, hi, w.clock().map_or(f64::NEG_INFINITY, ms)]);
            Ok(())
        })
    }

    /// `balance(at)` as numbers: `[lo, hi, clock, at, total, agent, regular, frozen, held, display, six kinds (in
    /// Kind::ALL order), next expiry at (NaN: none), its credits, lot count]`, then `[lot index, credits, frozen]` per
    /// listed lot. 0 when a listed lot is one a future distribution grants (not in the wallet yet: the generic path
    /// names it).
    #[wasm_bindgen(js_name = __balanceFast)]
    pub fn balance_fast(&self, at_ms: f64) -> u32 {
        let Ok(w) = self.inner.try_borrow() else {
            return 0;
        };
        write(|out| {
            let (state, at, lo, hi) = state_span(&w, Instant::from_f64_millis(at_ms)?)?;
            let b = crate::view::balance_head(&state, at)?;
            let shown = crate::view::shown_lots(&state.lots);
            let known = w.state.lots.len();
            let (next_at, next_credits) = b
                .next_expiry
                .as_ref()
                .map_or((f64::NAN, 0.0), |n| (ms(n.at), n.credits as f64));
            out.extend_from_slice(&[
                lo,
                hi,
                w.clock().map_or(f64::NEG_INFINITY, ms),
                ms(b.at),
                b.total as f64,
                b.agent as f64,
                b.regular as f64,
                b.frozen as f64,
                b.held as f64,
                f64::from(u8::from(b.display)),
            ]);
            for kind in crate::lot::Kind::ALL {
                out.push(b.kinds.get(kind) as f64);
            }
            out.extend_from_slice(&[next_at, next_credits, shown.len() as f64]);
            for i in shown {
                let lot = state.lots.get(i).ok_or_else(unsupported)?;
                if i >= known {
                    return Err(unsupported());
                }
                out.extend_from_slice(&[
                    i as f64,
                    lot.credits.get() as f64,
                    f64::from(u8::from(lot.frozen)),
                ]);
            }
            Ok(())
        })
    }

    /// Every lot of the wallet as text, in index order: `id \x01 kind \x01 grantedAt \x01 expiresAt \x01 agentOnly`
    /// (expiresAt empty: never; agentOnly `1` or `0`), lots separated by `\x02` (caller ids hold no control
    /// characters). Valid until the wallet changes.
    #[wasm_bindgen(js_name = __lotTable)]
    pub fn lot_table(&self) -> String {
        let Ok(w) = self.inner.try_borrow() else {
            return String::new();
        };
        let mut text = String::with_capacity(w.state.lots.len() * 96);
        for (k, lot) in w.state.lots.iter().enumerate() {
            if k > 0 {
                text.push('\u{2}');
            }
            text.push_str(&lot.id);
            text.push('\u{1}');
            text.push_str(lot.kind.as_str());
            text.push('\u{1}');
            text.push_str(&lot.granted_at.to_iso());
            text.push('\u{1}');
            if let Some(e) = lot.expires_at {
                text.push_str(&e.to_iso());
            }
            text.push('\u{1}');
            text.push(if lot.kind.agent_only() { '1' } else { '0' });
        }
        text
    }

    /// `project({ from, to })` as numbers: `[count]`, then `[at, total, agent, regular, frozen, event]` per point,
    /// where `event` lists the labels of `EVENTS` as base-6 digits (1 + index), first label most significant.
    #[wasm_bindgen(js_name = __projectFast)]
    pub fn project_fast(&self, from_ms: f64, to_ms: f64) -> u32 {
        let Ok(w) = self.inner.try_borrow() else {
            return 0;
        };
        write(|out| {
            let points = w.project(
                Instant::from_f64_millis(from_ms)?,
                Instant::from_f64_millis(to_ms)?,
            )?;
            out.reserve(1 + points.len() * 6);
            out.push(points.len() as f64);
            for p in &points {
                let mut code = 0.0;
                for label in p.event.split(',') {
                    let digit = EVENTS
                        .iter()
                        .position(|e| *e == label)
                        .ok_or_else(unsupported)?;
                    code = code * 6.0 + (digit + 1) as f64;
                }
                out.extend_from_slice(&[
                    ms(p.at),
                    p.total as f64,
                    p.agent as f64,
                    p.regular as f64,
                    p.frozen as f64,
                    code,
                ]);
            }
            Ok(())
        })
    }
}
