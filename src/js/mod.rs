//! The wasm-bindgen layer and nothing else: `Catalog` and `Wallet` handle classes whose state stays inside WASM,
//! converting each argument once on the way in (`convert`) and each result once on the way out. No rule lives here.

mod convert;
mod fast;
mod watch;
/// The calendar's zone rules in WebAssembly (`crate::calendar::Rules`).
pub(crate) mod zone;

use crate::catalog::Catalog as CoreCatalog;
use crate::error::{Error, ErrorCode};
use crate::time::Instant;
use crate::wallet::Wallet as CoreWallet;
use convert::*;
use js_sys::Reflect;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;

thread_local! {
    static DEFAULT_CATALOG: RefCell<Option<Rc<CoreCatalog>>> = const { RefCell::new(None) };
    /// Live catalogs by content id, so a `catalog` option (a `Catalog` handle) can be resolved from its `id`.
    /// The fast preview's result buffer (read by npm/fast.js right after the call).
    static OUT: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    static CATALOGS: RefCell<Vec<(String, Weak<CoreCatalog>)>> = const { RefCell::new(Vec::new()) };
    /// `verifySnapshot`'s memory of tokens already checked (see `crate::token::Verifier`).
    static VERIFIER: RefCell<crate::token::Verifier> = RefCell::new(Default::default());
}

/// The embedded catalog, parsed on first use.
fn default_catalog() -> Rc<CoreCatalog> {
    DEFAULT_CATALOG.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            Rc::clone(slot.get_or_insert_with(|| Rc::new(CoreCatalog::default_catalog())))
        }
        Err(_) => Rc::new(CoreCatalog::default_catalog()),
    })
}

fn register(catalog: Rc<CoreCatalog>) -> Rc<CoreCatalog> {
    CATALOGS.with(|cell| {
        if let Ok(mut map) = cell.try_borrow_mut() {
            if let Some(live) = map
                .iter()
                .find(|(id, _)| id == catalog.id())
                .and_then(|(_, w)| w.upgrade())
            {
                return live;
            }
            map.retain(|(_, w)| w.strong_count() > 0);
            map.push((catalog.id().to_string(), Rc::downgrade(&catalog)));
        }
        catalog
    })
}

/// The catalog an option names: a `Catalog` handle (resolved through its id), or the default when absent.
fn catalog_option(v: JsValue) -> crate::error::Result<Rc<CoreCatalog>> {
    let Some(v) = optional(v) else {
        return Ok(default_catalog());
    };
    let bad = || {
        Error::bad_request(
            "catalog must be a Catalog (from Catalog.default() or Catalog.fromJSON())",
        )
    };
    if !v.is_object() {
        return Err(bad());
    }
    let id = Reflect::get(&v, &JsValue::from_str("id"))
        .ok()
        .and_then(|id| id.as_string())
        .ok_or_else(bad)?;
    let default = default_catalog();
    if default.id() == id {
        return Ok(default);
    }
    CATALOGS
        .with(|cell| {
            let map = cell.try_borrow().ok()?;
            map.iter()
                .find(|(k, _)| *k == id)
                .and_then(|(_, w)| w.upgrade())
        })
        .ok_or_else(bad)
}

/// A price list. `Catalog.default()` is the embedded one; `Catalog.fromJSON()` validates a custom one.
#[wasm_bindgen(js_name = Catalog)]
pub struct JsCatalog {
    inner: Rc<CoreCatalog>,
}

#[wasm_bindgen(js_class = Catalog)]
impl JsCatalog {
    #[wasm_bindgen(js_name = "default")]
    pub fn default_catalog() -> JsCatalog {
        JsCatalog {
            inner: default_catalog(),
        }
    }

    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(spec: JsValue) -> JsResult<JsCatalog> {
        let catalog = js(read_catalog(&spec))?;
        Ok(JsCatalog {
            inner: register(Rc::new(catalog)),
        })
    }

    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> JsResult<JsValue> {
        js(to_js(&self.inner.to_doc()))
    }

    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    pub fn quote(&self, req: JsValue) -> JsResult<JsValue> {
        js(usage_request(&req)
            .and_then(|r| self.inner.quote(&r))
            .and_then(|q| to_js(&q)))
    }
}

/// One account's credits. Load once (`create` or `fromJSON`), then call methods; state stays in WASM.
#[wasm_bindgen(js_name = Wallet)]
pub struct JsWallet {
    pub(crate) inner: Rc<RefCell<CoreWallet>>,
    /// A wallet from `verifySnapshot`, shared by every use of its token (so nothing may change it), with the token's
    /// serial number in the verifier's memory (0 when it was not remembered) and the account it is bound to.
    token: Option<(u64, Rc<str>)>,
}

impl JsWallet {
    fn read<T>(&self, f: impl FnOnce(&CoreWallet) -> crate::error::Result<T>) -> JsResult<T> {
        let w = self.inner.try_borrow().map_err(|_| to_js_error(busy()))?;
        js(f(&w))
    }
    fn write<T>(&self, f: impl FnOnce(&mut CoreWallet) -> crate::error::Result<T>) -> JsResult<T> {
        if self.token.is_some() {
            return Err(to_js_error(Error::bad_request(
                "this wallet was loaded from a signed token: a read copy for pre-checks that cannot change; \
                 load the account's wallet with Wallet.fromJSON() to change it",
            )));
        }
        let mut w = self
            .inner
            .try_borrow_mut()
            .map_err(|_| to_js_error(busy()))?;
        js(f(&mut w))
    }
}

fn busy() -> Error {
    Error::bad_request("the wallet is in use by another call (re-entrant call from a callback)")
}

#[wasm_bindgen(js_class = Wallet)]
impl JsWallet {
    pub fn create(opts: JsValue) -> JsResult<JsWallet> {
        let wallet = js((|| {
            let o: CreateIn = options(&opts, "Wallet.create options")
                .map_err(|e| Error::new(ErrorCode::TimeZone, e.message.clone()))?;
            let zone = string(&o.time_zone, "timeZone")
                .map_err(|e| Error::new(ErrorCode::TimeZone, e.message.clone()))?;
            // The zone is checked first (E_TIME_ZONE), then the retention (E_BAD_REQUEST).
            crate::calendar::TimeZone::new(&zone)?;
            let days = match optional(o.retention_days) {
                None => crate::wallet::DEFAULT_RETENTION_DAYS,
                Some(v) => retention_days(&v)?,
            };
            CoreWallet::create_with(&zone, days)
        })())?;
        Ok(JsWallet {
            inner: Rc::new(RefCell::new(wallet)),
            token: None,
        })
    }

    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(snapshot: JsValue) -> JsResult<JsWallet> {
        let wallet = js(read_snapshot(&snapshot))?;
        Ok(JsWallet {
            inner: Rc::new(RefCell::new(wallet)),
            token: None,
        })
    }

    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> JsResult<JsValue> {
        // Everything but the records through one JSON.parse, then the records text as one string: the long
        // base64url text is neither scanned for escapes nor parsed.
        self.read(|w| {
            w.snapshot_json_parts(|head, records| {
                let doc = json_to_js(head)?;
                Reflect::set(
                    &doc,
                    &JsValue::from_str("records"),
                    &JsValue::from_str(records),
                )
                .map_err(|_| Error::bad_request("cannot convert the result"))?;
                Ok(doc)
            })
        })
    }

    /// The serial number of the token this wallet was verified from (0: not from a remembered token).
    #[wasm_bindgen(getter, js_name = __tokenSerial)]
    pub fn token_serial(&self) -> f64 {
        self.token.as_ref().map_or(0, |t| t.0) as f64
    }

    /// The account the token this wallet was verified from is bound to; `null` for a wallet not from a token.
    #[wasm_bindgen(getter)]
    pub fn account(&self) -> JsValue {
        self.token
            .as_ref()
            .map_or(JsValue::NULL, |t| JsValue::from_str(&t.1))
    }

    #[wasm_bindgen(getter, js_name = timeZone)]
    pub fn time_zone(&self) -> String {
        // Only a re-entrant call from a watch callback could find the wallet borrowed; it reads "" then.
        self.inner
            .try_borrow()
            .map(|w| w.time_zone().to_string())
            .unwrap_or_default()
    }

    #[wasm_bindgen(js_name = startTrial)]
    pub fn start_trial(&self, o: JsValue) -> JsResult<()> {
        self.write(|w| {
            let o: TrialIn = options(&o, "startTrial options")?;
            w.start_trial(
                time(&o.at, "at")?,
                time(&o.until, "until")?,
                credits(&o.credits, "credits", false)?,
            )
        })
    }

    #[wasm_bindgen(js_name = activateMembership)]
    pub fn activate_membership(&self, o: JsValue) -> JsResult<()> {
        self.write(|w| {
            let o: MembershipIn = options(&o, "activateMembership options")?;
            w.activate_membership(
                time(&o.at, "at")?,
                time(&o.until, "until")?,
                credits(&o.monthly_credits, "monthlyCredits", true)?,
                credits(&o.monthly_agent_credits, "monthlyAgentCredits", true)?,
            )
        })
    }

    #[wasm_bindgen(js_name = dailyLogin)]
    pub fn daily_login(&self, o: JsValue) -> JsResult<bool> {
        self.write(|w| {
            let o: LoginIn = options(&o, "dailyLogin options")?;
            w.daily_login(time(&o.at, "at")?, credits(&o.credits, "credits", false)?)
        })
    }

    #[wasm_bindgen(js_name = grantPromotion)]
    pub fn grant_promotion(&self, o: JsValue) -> JsResult<()> {
        self.write(|w| {
            let o: PromotionIn = options(&o, "grantPromotion options")?;
            w.grant_promotion(
                &string(&o.id, "id")?,
                time(&o.at, "at")?,
                credits(&o.credits, "credits", false)?,
                time(&o.expires_at, "expiresAt")?,
            )
        })
    }

    pub fn purchase(&self, o: JsValue) -> JsResult<()> {
        self.write(|w| {
            let o: PurchaseIn = options(&o, "purchase options")?;
            w.purchase(
                &string(&o.id, "id")?,
                time(&o.at, "at")?,
                credits(&o.credits, "credits", false)?,
            )
        })
    }

    pub fn balance(&self, at: JsValue) -> JsResult<JsValue> {
        self.read(|w| to_js(&w.balance(time(&at, "at")?)?))
    }

    pub fn preview(&self, req: JsValue, at: JsValue, catalog: JsValue) -> JsResult<JsValue> {
        self.read(|w| {
            let req = usage_request(&req)?;
            let at = time(&at, "at")?;
            let catalog = catalog_option(catalog)?;
            to_js(&w.preview(&req, at, &catalog)?)
        })
    }

    /// The fast path of `preview` (see npm/fast.js): the catalog handle, the request as plain numbers (`feature` is
    /// an index into the catalog's feature list, `units`/`seconds` 0 when absent, `tier` 0 general / 1 premium) and
    /// the time in epoch milliseconds; the result is written as numbers into a buffer whose address is returned.
    /// The same validation and rules as `preview`; 0 means "take the generic path" (which reports any error typed,
    /// or names a lot a distribution would grant first). Numbers only: no JS value is converted either way.
    #[wasm_bindgen(js_name = __previewFast)]
    pub fn preview_fast(
        &self,
        catalog: &JsCatalog,
        feature: u32,
        units: f64,
        tier: u32,
        seconds: f64,
        at_ms: f64,
    ) -> u32 {
        match self.inner.try_borrow() {
            Ok(w) => preview_numbers(&w, &catalog.inner, feature, units, tier, seconds, at_ms)
                .unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// `[id, kind]` of the lot at `index` (npm/fast.js keeps these only until the wallet's next non-read call: indices
    /// change when lots with nothing left leave the wallet, which happens only in a mutation).
    #[wasm_bindgen(js_name = __lotAt)]
    pub fn lot_at(&self, index: u32) -> JsResult<js_sys::Array> {
        self.read(|w| {
            let (id, kind) = w
                .lot_at(index as usize)
                .ok_or_else(|| Error::not_found("no lot at that index"))?;
            Ok(js_sys::Array::of2(&id.into(), &kind.as_str().into()))
        })
    }

    pub fn charge(&self, req: JsValue, at: JsValue, o: JsValue) -> JsResult<JsValue> {
        self.write(|w| {
            let req = usage_request(&req)?;
            let at = time(&at, "at")?;
            let o: ChargeIn = options(&o, "charge options")?;
            let catalog = catalog_option(o.catalog)?;
            to_js(&w.charge(&req, at, &string(&o.id, "id")?, &catalog)?)
        })
    }

    pub fn refund(&self, charge_id: JsValue, o: JsValue) -> JsResult<JsValue> {
        self.write(|w| {
            let charge_id = string(&charge_id, "chargeId")?;
            let o: RefundIn = options(&o, "refund options")?;
            let units = units(&o.units, "units")?;
            let at = time(&o.at, "at")?;
            let id = optional(o.id).map(|v| string(&v, "id")).transpose()?;
            to_js(&w.refund(&charge_id, units, at, id.as_deref())?)
        })
    }

    pub fn hold(&self, req: JsValue, at: JsValue, o: JsValue) -> JsResult<JsValue> {
        self.write(|w| {
            let req = usage_request(&req)?;
            let at = time(&at, "at")?;
            let o: HoldIn = options(&o, "hold options")?;
            let ttl = number(&o.ttl_seconds, "ttlSeconds")?;
            if !ttl.is_finite() || ttl <= 0.0 || ttl * 1000.0 > crate::wallet::MAX_HOLD_MS as f64 {
                return Err(Error::bad_request(format!(
                    "ttlSeconds must be more than 0 and at most 2592000 (30 days), got {}",
                    crate::error::num_text(ttl)
                )));
            }
            // Whole milliseconds, at least one.
            let ttl_ms = ((ttl * 1000.0).ceil() as u64).max(1);
            let catalog = catalog_option(o.catalog)?;
            to_js(&w.hold(&req, at, &string(&o.id, "id")?, ttl_ms, &catalog)?)
        })
    }

    pub fn capture(&self, hold_id: JsValue, o: JsValue) -> JsResult<JsValue> {
        self.write(|w| {
            let hold_id = string(&hold_id, "holdId")?;
            let o: CaptureIn = options(&o, "capture options")?;
            let units = number(&o.units, "units")?;
            if !units.is_finite()
                || units.fract() != 0.0
                || units < 1.0
                || units > crate::catalog::MAX_UNITS as f64
            {
                return Err(Error::bad_request(format!(
                    "units to capture must be a positive whole number, got {}",
                    crate::error::num_text(units)
                )));
            }
            to_js(&w.capture(&hold_id, units as u64, time(&o.at, "at")?)?)
        })
    }

    pub fn release(&self, hold_id: JsValue, o: JsValue) -> JsResult<()> {
        self.write(|w| {
            let hold_id = string(&hold_id, "holdId")?;
            let o: AtIn = options(&o, "release options")?;
            w.release(&hold_id, time(&o.at, "at")?)
        })
    }

    pub fn project(&self, o: JsValue) -> JsResult<JsValue> {
        self.read(|w| {
            let o: ProjectIn = options(&o, "project options")?;
            to_js(&w.project(time(&o.from, "from")?, time(&o.to, "to")?)?)
        })
    }

    pub fn ledger(&self) -> JsResult<JsValue> {
        self.read(|w| to_js(w.ledger()))
    }

    /// The held ledger entries, handed over and forgotten by the wallet (SPEC 9); `seq` keeps counting. Not a
    /// mutation: it moves no clock and forgets no record. A read copy from a token holds no ledger: `[]`.
    #[wasm_bindgen(js_name = takeLedger)]
    pub fn take_ledger(&self) -> JsResult<JsValue> {
        if self.token.is_some() {
            return to_js_ok::<[crate::ledger::LedgerEntry]>(&[]);
        }
        let taken = match self.inner.try_borrow_mut() {
            Ok(mut w) => w.take_ledger(),
            Err(_) => return Err(to_js_error(busy())),
        };
        to_js_ok(taken.as_slice())
    }

    /// Days the records of charges, closed holds and refunds are kept after their last change.
    #[wasm_bindgen(getter, js_name = retentionDays)]
    pub fn retention_days(&self) -> u32 {
        self.inner
            .try_borrow()
            .map(|w| w.retention_days())
            .unwrap_or(crate::wallet::DEFAULT_RETENTION_DAYS)
    }

    /// When the next scheduled change (expiry, distribution, lapse, hold expiry) happens after `at`, or null.
    #[wasm_bindgen(js_name = nextChange)]
    pub fn next_change(&self, at: JsValue) -> JsResult<JsValue> {
        self.read(|w| {
            Ok(w.next_change(time(&at, "at")?)?
                .map_or(JsValue::NULL, |t| t.to_iso().into()))
        })
    }

    /// The body of `signSnapshot(wallet, { key, keyId, ttlSeconds, at, account, catalog? })` (npm/entry.js checks the
    /// wallet argument, then calls this): a `ce2` token of the wallet's compact snapshot bound to `account` (see
    /// `crate::token`).
    #[wasm_bindgen(js_name = __sign)]
    pub fn sign(&self, o: JsValue) -> JsResult<String> {
        self.read(|w| {
            let o: SignIn = options(&o, "signSnapshot options")?;
            let key = key_bytes(&o.key, "key")?;
            let ttl = number(&o.ttl_seconds, "ttlSeconds")?;
            let catalog = catalog_option(o.catalog)?;
            let account = string(&o.account, "account")?;
            // Whole milliseconds; NaN, infinities and out-of-range values are refused by the range check.
            crate::token::sign(
                w,
                catalog.id(),
                &string(&o.key_id, "keyId")?,
                &key,
                &account,
                time(&o.at, "at")?,
                (ttl * 1000.0).ceil() as i64,
            )
        })
    }

    /// Calls `callback(balance)` exactly when each next scheduled change happens, measured from `now` (the
    /// caller's clock), until the returned watcher's `stop()`.
    pub fn watch(&self, callback: JsValue, o: JsValue) -> JsResult<watch::Watcher> {
        // A typeof check only: nothing of a caller's value is read here (it is called through a catching import).
        if !callback.is_function() {
            return Err(to_js_error(Error::bad_request(format!(
                "watch callback must be a function, got {}",
                type_name(&callback)
            ))));
        }
        let now = js(options::<WatchIn>(&o, "watch options").and_then(|o| time(&o.now, "now")))?;
        Ok(watch::Watcher::start(
            Rc::clone(&self.inner),
            callback.unchecked_into(),
            now,
        ))
    }
}

/// The body of `__previewFast`; `Ok(0)` when a draw would come from a lot not granted yet.
fn preview_numbers(
    w: &CoreWallet,
    catalog: &CoreCatalog,
    feature: u32,
    units: f64,
    tier: u32,
    seconds: f64,
    at_ms: f64,
) -> crate::error::Result<u32> {
    let some = |v: f64| (v != 0.0).then_some(v);
    let units = some(units)
        .map(|u| crate::catalog::positive_whole(u, "units", crate::catalog::MAX_UNITS))
        .transpose()?;
    let tier = if tier == 1 {
        crate::catalog::Tier::Premium
    } else {
        crate::catalog::Tier::General
    };
    let p = catalog.price_at(feature as usize, units, Some(tier), some(seconds))?;
    let planned = w.plan_at(p.agent, p.credits, Instant::from_f64_millis(at_ms)?, false)?;
    if planned.new_lots {
        return Ok(0);
    }
    let after = planned.after;
    let head = [
        p.credits.get() as f64,
        f64::from(u8::from(planned.shortfall.is_zero())),
        planned.shortfall.get() as f64,
        p.units as f64,
        p.unit_credits.get() as f64,
        f64::from(u8::from(p.agent)),
        f64::from(u8::from(p.tier == crate::catalog::Tier::Premium)),
        after.total as f64,
        after.agent as f64,
        after.regular as f64,
        planned.takes.len() as f64,
    ];
    OUT.with(|cell| {
        let mut out = cell.try_borrow_mut().map_err(|_| busy())?;
        out.clear();
        out.extend_from_slice(&head);
        for &(i, credits) in &planned.takes {
            out.extend_from_slice(&[i as f64, credits.get() as f64]);
        }
        Ok(out.as_ptr() as u32)
    })
}

/// The options of `verifySnapshot`: the key lookup, the time and the catalog.
fn verify_options(o: &JsValue) -> crate::error::Result<(js_sys::Object, Instant, Rc<CoreCatalog>)> {
    let o: VerifyIn = options(o, "verifySnapshot options")?;
    let keys = o.keys;
    object(&keys, "keys")?;
    let at = time(&o.at, "at")?;
    let catalog = catalog_option(o.catalog)?;
    Ok((keys.unchecked_into(), at, catalog))
}

/// `keys[kid]` (own properties only) as key bytes, `None` when absent.
fn key_of(keys: &js_sys::Object, kid: &str) -> crate::error::Result<Option<Vec<u8>>> {
    let d = js_sys::Reflect::get_own_property_descriptor(keys, &kid.into())
        .map_err(|_| Error::bad_request("reading keys threw an exception"))?;
    if d.is_undefined() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(&d, &JsValue::from_str("value"))
        .map_err(|_| Error::bad_request("reading keys threw an exception"))?;
    key_bytes(&value, "keys[keyId]").map(Some)
}

/// The body of `verifySnapshot(token, { keys, at, catalog? })` (npm/entry.js): the wallet a `ce2` token carries,
/// once its shape, algorithm, key id, signature, validity (60 s skew) and catalog check out (`E_TOKEN_*`). `keys`
/// maps key ids to keys (own properties only); `catalog` defaults to the embedded one. With `serial` > 0 it is the
/// token the verifier remembers under that number (npm/entry.js keeps text -> serial, so the text is not copied into
/// the module again): the same checks and errors, or `undefined` when the verifier no longer remembers it or holds
/// another key for its id (then the text path answers). The wallet's `account` getter gives the token's account.
#[wasm_bindgen(js_name = __verify)]
pub fn verify_snapshot(token: JsValue, serial: f64, o: JsValue) -> JsResult<Option<JsWallet>> {
    let verified = (|| {
        let (keys, at, catalog) = verify_options(&o)?;
        let mut key_for = |kid: &str| key_of(&keys, kid);
        if serial > 0.0 {
            return VERIFIER.with(|cell| match cell.try_borrow_mut() {
                Ok(mut verifier) => verifier.reopen(serial as u64, at, catalog.id(), &mut key_for),
                Err(_) => Ok(None),
            });
        }
        let token = token.as_string().ok_or_else(|| {
            Error::new(
                ErrorCode::TokenMalformed,
                format!("the token must be a string, got {}", type_name(&token)),
            )
        })?;
        VERIFIER
            .with(|cell| match cell.try_borrow_mut() {
                Ok(mut verifier) => verifier.verify(&token, at, catalog.id(), &mut key_for),
                // Re-entered from a key lookup (a Proxy): verify without the memory.
                Err(_) => crate::token::verify(&token, at, catalog.id(), &mut key_for).map(|v| {
                    crate::token::Remembered {
                        serial: 0,
                        account: Rc::from(v.account),
                        wallet: Rc::new(RefCell::new(v.wallet)),
                    }
                }),
            })
            .map(Some)
    })();
    Ok(js(verified)?.map(|r| JsWallet {
        inner: r.wallet,
        token: Some((r.serial, r.account)),
    }))
}

/// `Catalog.fromJSON`: the text (npm/args.js hands objects over as their JSON text) read by serde_json, then
/// validated. (serde-wasm-bindgen over the host's `JSON.parse` would be smaller, but it reads only the members a
/// type declares and `JSON.parse` keeps the last of a repeated key: an unknown or repeated member must be refused.)
fn read_catalog(spec: &JsValue) -> crate::error::Result<CoreCatalog> {
    CoreCatalog::from_json(&json_text(spec, "the catalog", ErrorCode::Catalog)?)
}

/// `Wallet.fromJSON`: as `read_catalog`, with the snapshot's checks.
fn read_snapshot(snapshot: &JsValue) -> crate::error::Result<CoreWallet> {
    CoreWallet::from_snapshot_json(&json_text(snapshot, "the snapshot", ErrorCode::Snapshot)?)
}
