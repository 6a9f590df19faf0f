//! `wallet.watch(callback, { now })`: a front-end helper on gloo-timers that calls back with the new balance exactly
//! when the next scheduled change happens (an expiry, a distribution, a lapse, a hold expiry), and keeps doing so
//! until `stop()`. Wallet time is mapped onto the host's timers from `now`: a change due at `t` fires `t - now`
//! milliseconds after the call. The engine still never reads a clock itself.

use super::convert::to_js;
use crate::time::Instant;
use crate::wallet::Wallet;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Hosts clamp longer timer delays (2^31 - 1 ms, about 24.8 days); longer waits are chained.
const MAX_DELAY_MS: i64 = 2_147_483_647;

struct Inner {
    wallet: Rc<RefCell<Wallet>>,
    callback: js_sys::Function,
    /// The wallet instant the pending timer fires at.
    now: Instant,
    timer: Option<Timeout>,
}

/// A running watch; `stop()` ends it (a watch keeps running until stopped, even if this handle is dropped).
#[wasm_bindgen]
pub struct Watcher {
    inner: Rc<RefCell<Option<Inner>>>,
}

impl Watcher {
    pub fn start(wallet: Rc<RefCell<Wallet>>, callback: js_sys::Function, now: Instant) -> Watcher {
        let inner = Rc::new(RefCell::new(Some(Inner {
            wallet,
            callback,
            now,
            timer: None,
        })));
        schedule(&inner);
        Watcher { inner }
    }
}

#[wasm_bindgen]
impl Watcher {
    /// Stops the watch; no callback runs after this returns.
    pub fn stop(&self) {
        if let Ok(mut slot) = self.inner.try_borrow_mut() {
            // Dropping the Timeout cancels it and breaks the timer -> state cycle.
            *slot = None;
        }
    }

    /// Whether the watch is still running.
    #[wasm_bindgen(getter)]
    pub fn active(&self) -> bool {
        self.inner.try_borrow().map(|s| s.is_some()).unwrap_or(true)
    }
}

/// Arms the timer for the next change after the state's `now`.
fn schedule(cell: &Rc<RefCell<Option<Inner>>>) {
    let Ok(mut slot) = cell.try_borrow_mut() else {
        return;
    };
    let Some(state) = slot.as_mut() else { return };
    let next = match state.wallet.try_borrow() {
        Ok(w) => w.next_change(state.now).ok().flatten(),
        Err(_) => None,
    };
    let Some(next) = next else {
        state.timer = None;
        return;
    };
    let wait = (next.millis() - state.now.millis()).clamp(0, MAX_DELAY_MS);
    let fire_at = if wait == MAX_DELAY_MS {
        state.now.add_millis(wait).unwrap_or(next)
    } else {
        next
    };
    let again = Rc::clone(cell);
    state.timer = Some(Timeout::new(wait as u32, move || {
        fire(&again, fire_at, fire_at >= next)
    }));
}

fn fire(cell: &Rc<RefCell<Option<Inner>>>, at: Instant, changed: bool) {
    let call = {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return;
        };
        let Some(state) = slot.as_mut() else { return };
        state.now = at;
        let balance = if changed {
            state
                .wallet
                .try_borrow()
                .ok()
                .and_then(|w| w.balance(at).ok())
                .and_then(|b| to_js(&b).ok())
        } else {
            None
        };
        balance.map(|b| (state.callback.clone(), b))
    };
    if let Some((callback, balance)) = call {
        // The callback may call the wallet (or stop the watch): no borrow is held while it runs.
        let _ = callback.call1(&JsValue::NULL, &balance);
    }
    schedule(cell);
}
