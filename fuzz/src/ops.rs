//! The structured `operations` target: a start instant, a zone and a sequence of (time step, operation) applied to
//! one wallet, with the ledger invariants checked after every step.
//!
//! Numbers are small and bounded (minutes, hours, days; credits up to 1e6) with occasional extreme values
//! (2^53 - 1, 2^53, u64::MAX, NaN seconds, the last representable instant), and time steps can land exactly on the
//! next local midnight or the wallet's next scheduled change, where expiry and distribution rules meet.
//!
//! After every step: a failed call or a read leaves `to_snapshot_json()` byte-identical; every error is typed;
//! ledger signs and totals, `total == agent + regular`, the last ledger total equals `balance(clock).total`, and
//! conservation (grants = usable + held + consumed + expired + frozen, in i128); the snapshot round trip gives an
//! equal wallet and identical bytes; a read answers the same on the wallet and on its freshly loaded twin (read
//! caches); a fresh charge or hold agrees with the preview made just before it; an idempotent call repeated at
//! once returns the same result and changes nothing.

use crate::invariants::{check_balance, check_error, check_wallet, round_trip, snapshot};
use arbitrary::Arbitrary;
use credit_engine::calendar::TimeZone;
use credit_engine::credits::MAX_CREDITS;
use credit_engine::time::{MAX_MS, MIN_MS};
use credit_engine::{Balance, Preview};
use credit_engine::{
    Catalog, Charge, Credits, Error, ErrorCode, Hold, Instant, ProjectionPoint, Refund, Tier,
    UsageRequest, Wallet,
};

pub const ZONES: [&str; 8] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    // DST changes at local midnight: the next local midnight may not exist.
    "America/Santiago",
];

/// A second catalog with prices near the catalog limit (1e9) and a feature id shared with the default catalog,
/// so idempotency payloads differ by catalog id and costs reach about 1e15 credits.
pub const ALT_CATALOG: &str = r#"{"version":1,"features":[
 {"id":"ai_background","agent":false,"unit":"image","defaultUnits":1,"prices":{"general":3}},
 {"id":"agent.big","agent":true,"unit":"item","defaultUnits":1000000,"prices":{"general":1000000000,"premium":999999999}},
 {"id":"bulk","agent":false,"unit":"second","blockSeconds":1,"prices":{"general":1000000000}},
 {"id":"agent.clip","agent":true,"unit":"started 7 s","blockSeconds":7,"prices":{"general":1,"premium":2}}
]}"#;

const IDS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 2024-01-01T00:00:00Z.
const BASE: i64 = 1_704_067_200_000;

#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Start {
    /// 2024-01-01 plus up to ten years.
    Recent { days: u16, minute: u16 },
    /// Any representable instant (years 0001-9999).
    Any(i64),
    /// Minutes before the last representable instant (9999-12-31T23:59:59.999Z).
    NearEnd(u16),
}

/// How the test clock moves before an operation.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Dt {
    Same,
    Millis(u16),
    Minutes(u16),
    Hours(u16),
    Days(u16),
    /// An instant this many minutes before the test clock (the test clock does not move).
    Back(u16),
    /// The next local midnight of the wallet's zone, plus or minus a few ms.
    NextMidnight(i8),
    /// The wallet's next scheduled change (expiry, distribution, lapse, hold expiry), plus or minus a few ms.
    NextChange(i8),
}

/// A signed length: a trial or membership term, a promotion's life, how far ahead a read looks.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Dur {
    Zero,
    Millis(u16),
    Minutes(u16),
    Hours(u16),
    Days(u16),
    Months(u8),
    Negative(u16),
    /// Up to the last representable instant.
    ToEnd,
}

/// A credit amount: mostly small, sometimes at or past the 2^53 - 1 limit.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Amount {
    Small(u8),
    Medium(u32),
    Zero,
    Max,
    Over,
    TwoPow53,
    U64Max,
    Raw(u64),
}

/// A unit count (request units, refund units, capture units).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Count {
    Small(u8),
    Big(u32),
    Zero,
    Max,
    Over,
    U64Max,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Secs {
    None,
    Halves(u16),
    Max,
    Over,
    Zero,
    Negative,
    Nan,
    Infinite,
    Tiny,
    Raw(f64),
}

/// A caller id: mostly from a small pool (so replays and conflicts happen), sometimes an existing lot's id or an
/// invalid one.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum IdSel {
    Pool(u8),
    Lot(u8),
    Empty,
    MaxLen,
    TooLong,
    Control,
    Unicode,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Req {
    pub feature: u8,
    pub units: Option<Count>,
    pub tier: Option<bool>,
    pub seconds: Secs,
    pub alt_catalog: bool,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Ttl {
    Seconds(u16),
    Days(u8),
    Max,
    Over,
    Zero,
    Raw(u64),
}

#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Op {
    StartTrial {
        len: Dur,
        credits: Amount,
    },
    ActivateMembership {
        len: Dur,
        monthly: Amount,
        agent: Amount,
    },
    DailyLogin {
        credits: Amount,
    },
    GrantPromotion {
        id: IdSel,
        credits: Amount,
        len: Dur,
    },
    Purchase {
        id: IdSel,
        credits: Amount,
    },
    Charge {
        id: IdSel,
        req: Req,
    },
    Refund {
        charge: IdSel,
        units: Count,
        id: Option<IdSel>,
    },
    Hold {
        id: IdSel,
        req: Req,
        ttl: Ttl,
    },
    Capture {
        hold: IdSel,
        units: Count,
    },
    Release {
        hold: IdSel,
    },
    Balance {
        ahead: Dur,
    },
    Preview {
        req: Req,
        ahead: Dur,
    },
    Project {
        ahead: Dur,
        span: Dur,
    },
    NextChange {
        ahead: Dur,
    },
    /// Replace the wallet by its reloaded snapshot (fresh read caches).
    Reload,
}

#[derive(Debug, Clone, Arbitrary)]
pub struct Input {
    pub zone: u8,
    pub start: Start,
    pub steps: Vec<(Dt, Op)>,
}

/// Longest sequence run per input (more steps only cost time).
pub const MAX_STEPS: usize = 64;

// ----- turning generated values into call arguments -----

fn clamp_ms(ms: i128) -> i64 {
    ms.clamp(i128::from(MIN_MS), i128::from(MAX_MS)) as i64
}

fn instant(ms: i64) -> Instant {
    match Instant::from_millis(ms) {
        Ok(i) => i,
        Err(e) => panic!("clamped instant {ms} rejected: {e}"),
    }
}

impl Start {
    fn millis(self) -> i64 {
        match self {
            Start::Recent { days, minute } => {
                BASE + i64::from(days % 3653) * DAY + i64::from(minute % 1440) * MINUTE
            }
            Start::Any(ms) => MIN_MS + ms.rem_euclid(MAX_MS - MIN_MS + 1),
            Start::NearEnd(m) => MAX_MS - i64::from(m) * MINUTE,
        }
    }
}

impl Dur {
    /// The end of this length from `at`, or None if it leaves the representable range.
    fn end(self, tz: &TimeZone, at: Instant) -> Option<Instant> {
        let ms = match self {
            Dur::Zero => 0,
            Dur::Millis(n) => i64::from(n),
            Dur::Minutes(n) => i64::from(n) * MINUTE,
            Dur::Hours(n) => i64::from(n) * HOUR,
            Dur::Days(n) => i64::from(n % 4000) * DAY,
            Dur::Months(n) => return tz.add_months(at, u32::from(n)).ok(),
            Dur::Negative(n) => -i64::from(n) * MINUTE,
            Dur::ToEnd => return Instant::from_millis(MAX_MS).ok(),
        };
        at.add_millis(ms).ok()
    }
}

impl Amount {
    fn value(self) -> u64 {
        match self {
            Amount::Small(n) => u64::from(n),
            Amount::Medium(n) => u64::from(n) % 1_000_001,
            Amount::Zero => 0,
            Amount::Max => MAX_CREDITS,
            Amount::Over | Amount::TwoPow53 => MAX_CREDITS + 1,
            Amount::U64Max => u64::MAX,
            Amount::Raw(n) => n,
        }
    }
    /// The credits, or None where `Credits::new` must (and does) refuse the value.
    fn credits(self) -> Option<Credits> {
        let v = self.value();
        let c = Credits::new(v);
        assert_eq!(c.is_ok(), v <= MAX_CREDITS, "Credits::new({v})");
        if let Err(e) = &c {
            check_error(e);
        }
        c.ok()
    }
}

impl Count {
    fn value(self) -> u64 {
        match self {
            Count::Small(n) => u64::from(n % 9),
            Count::Big(n) => u64::from(n) % 1_000_001,
            Count::Zero => 0,
            Count::Max => 1_000_000,
            Count::Over => 1_000_001,
            Count::U64Max => u64::MAX,
        }
    }
}

impl Secs {
    fn value(self) -> Option<f64> {
        Some(match self {
            Secs::None => return None,
            Secs::Halves(n) => f64::from(n) / 2.0,
            Secs::Max => 86_400.0,
            Secs::Over => 86_400.5,
            Secs::Zero => 0.0,
            Secs::Negative => -5.0,
            Secs::Nan => f64::NAN,
            Secs::Infinite => f64::INFINITY,
            Secs::Tiny => f64::MIN_POSITIVE,
            Secs::Raw(x) => x,
        })
    }
}

impl Ttl {
    fn millis(self) -> u64 {
        match self {
            Ttl::Seconds(n) => u64::from(n) * 1000,
            Ttl::Days(n) => u64::from(n % 32) * 86_400_000,
            Ttl::Max => 30 * 86_400_000,
            Ttl::Over => 30 * 86_400_000 + 1,
            Ttl::Zero => 0,
            Ttl::Raw(n) => n,
        }
    }
}

fn id_of(sel: IdSel, w: &Wallet) -> String {
    match sel {
        IdSel::Pool(n) => IDS[usize::from(n) % IDS.len()].to_string(),
        IdSel::Lot(n) => {
            let b = w.clock().and_then(|c| w.balance(c).ok());
            match b {
                Some(b) if !b.lots.is_empty() => b.lots[usize::from(n) % b.lots.len()].id.clone(),
                _ => w
                    .lot_at(usize::from(n))
                    .map_or_else(|| "a".to_string(), |(id, _)| id.to_string()),
            }
        }
        IdSel::Empty => String::new(),
        IdSel::MaxLen => "m".repeat(128),
        IdSel::TooLong => "l".repeat(129),
        IdSel::Control => "a\u{7}".to_string(),
        IdSel::Unicode => "ü€😀\"\\".to_string(),
    }
}

pub struct Ctx {
    pub catalogs: [Catalog; 2],
    pub tz: TimeZone,
}

fn build_req(ctx: &Ctx, r: &Req) -> (UsageRequest, usize) {
    let cat_ix = usize::from(r.alt_catalog);
    let features = ctx.catalogs[cat_ix].features();
    let n = features.len().max(1);
    let k = usize::from(r.feature);
    let id = if k >= 2 * n || features.is_empty() {
        "no.such.feature".to_string()
    } else {
        features[k % n].id.clone()
    };
    let mut u = UsageRequest::feature(&id);
    if let Some(c) = r.units {
        u = u.units(c.value());
    }
    match r.tier {
        Some(true) => u = u.tier(Tier::Premium),
        Some(false) => u = u.tier(Tier::General),
        None => {}
    }
    if let Some(s) = r.seconds.value() {
        u = u.seconds(s);
    }
    (u, cat_ix)
}

// ----- applying one operation -----

#[derive(Debug, Clone, PartialEq)]
enum Out {
    Unit,
    Bool(bool),
    Charge(Charge),
    Refund(Refund),
    Hold(Hold),
    Balance(Box<Balance>),
    Preview(Box<Preview>),
    Project(Vec<ProjectionPoint>),
    Next(Option<Instant>),
    /// The arguments could not be formed (an amount past 2^53 - 1, an instant past year 9999): nothing called.
    Skipped,
}

/// An operation with every argument resolved, so it can be sent twice identically.
#[derive(Debug, Clone)]
enum Call {
    StartTrial(Instant, Credits),
    Activate(Instant, Credits, Credits),
    DailyLogin(Credits),
    Promotion(String, Credits, Instant),
    Purchase(String, Credits),
    Charge(String, UsageRequest, usize),
    Refund(String, u64, Option<String>),
    Hold(String, UsageRequest, usize, u64),
    Capture(String, u64),
    Release(String),
    Balance(Instant),
    Preview(UsageRequest, usize, Instant),
    Project(Instant, Instant),
    NextChange(Instant),
    Reload,
    Skip,
}

impl Call {
    fn is_read(&self) -> bool {
        matches!(
            self,
            Call::Balance(..) | Call::Preview(..) | Call::Project(..) | Call::NextChange(..)
        )
    }
    /// Calls whose caller id makes an immediate repeat a replay.
    fn idempotent(&self) -> bool {
        matches!(
            self,
            Call::Promotion(..)
                | Call::Purchase(..)
                | Call::Charge(..)
                | Call::Hold(..)
                | Call::Refund(_, _, Some(_))
        )
    }
}

fn resolve(op: &Op, w: &Wallet, ctx: &Ctx, at: Instant) -> Call {
    let read_at = |d: Dur| d.end(&ctx.tz, w.clock().map_or(at, |c| c.max(at)));
    match *op {
        Op::StartTrial { len, credits } => match (len.end(&ctx.tz, at), credits.credits()) {
            (Some(u), Some(c)) => Call::StartTrial(u, c),
            _ => Call::Skip,
        },
        Op::ActivateMembership {
            len,
            monthly,
            agent,
        } => match (len.end(&ctx.tz, at), monthly.credits(), agent.credits()) {
            (Some(u), Some(m), Some(a)) => Call::Activate(u, m, a),
            _ => Call::Skip,
        },
        Op::DailyLogin { credits } => credits.credits().map_or(Call::Skip, Call::DailyLogin),
        Op::GrantPromotion { id, credits, len } => {
            match (len.end(&ctx.tz, at), credits.credits()) {
                (Some(e), Some(c)) => Call::Promotion(id_of(id, w), c, e),
                _ => Call::Skip,
            }
        }
        Op::Purchase { id, credits } => credits
            .credits()
            .map_or(Call::Skip, |c| Call::Purchase(id_of(id, w), c)),
        Op::Charge { id, req } => {
            let (r, c) = build_req(ctx, &req);
            Call::Charge(id_of(id, w), r, c)
        }
        Op::Refund { charge, units, id } => {
            Call::Refund(id_of(charge, w), units.value(), id.map(|i| id_of(i, w)))
        }
        Op::Hold { id, req, ttl } => {
            let (r, c) = build_req(ctx, &req);
            Call::Hold(id_of(id, w), r, c, ttl.millis())
        }
        Op::Capture { hold, units } => Call::Capture(id_of(hold, w), units.value()),
        Op::Release { hold } => Call::Release(id_of(hold, w)),
        Op::Balance { ahead } => read_at(ahead).map_or(Call::Skip, Call::Balance),
        Op::Preview { req, ahead } => {
            let (r, c) = build_req(ctx, &req);
            read_at(ahead).map_or(Call::Skip, |t| Call::Preview(r, c, t))
        }
        Op::Project { ahead, span } => match read_at(ahead) {
            Some(from) => span
                .end(&ctx.tz, from)
                .map_or(Call::Skip, |to| Call::Project(from, to)),
            None => Call::Skip,
        },
        Op::NextChange { ahead } => read_at(ahead).map_or(Call::Skip, Call::NextChange),
        Op::Reload => Call::Reload,
    }
}

fn apply(w: &mut Wallet, ctx: &Ctx, call: &Call, at: Instant) -> Result<Out, Error> {
    let cats = &ctx.catalogs;
    match call {
        Call::StartTrial(until, c) => w.start_trial(at, *until, *c).map(|_| Out::Unit),
        Call::Activate(until, m, a) => w.activate_membership(at, *until, *m, *a).map(|_| Out::Unit),
        Call::DailyLogin(c) => w.daily_login(at, *c).map(Out::Bool),
        Call::Promotion(id, c, e) => w.grant_promotion(id, at, *c, *e).map(|_| Out::Unit),
        Call::Purchase(id, c) => w.purchase(id, at, *c).map(|_| Out::Unit),
        Call::Charge(id, r, k) => w.charge(r, at, id, &cats[*k]).map(Out::Charge),
        Call::Refund(charge, units, id) => {
            w.refund(charge, *units, at, id.as_deref()).map(Out::Refund)
        }
        Call::Hold(id, r, k, ttl) => w.hold(r, at, id, *ttl, &cats[*k]).map(Out::Hold),
        Call::Capture(id, units) => w.capture(id, *units, at).map(Out::Charge),
        Call::Release(id) => w.release(id, at).map(|_| Out::Unit),
        Call::Balance(t) => w.balance(*t).map(|b| Out::Balance(Box::new(b))),
        Call::Preview(r, k, t) => w
            .preview(r, *t, &cats[*k])
            .map(|p| Out::Preview(Box::new(p))),
        Call::Project(from, to) => w.project(*from, *to).map(Out::Project),
        Call::NextChange(t) => w.next_change(*t).map(Out::Next),
        Call::Reload | Call::Skip => Ok(Out::Skipped),
    }
}

/// A fresh charge or hold must agree with the preview made just before it at the same instant.
fn check_against_preview(
    pre: &Result<Preview, Error>,
    out: &Result<Out, Error>,
    fresh: bool,
    w: &Wallet,
    at: Instant,
) {
    let Ok(p) = pre else { return };
    let draws = match out {
        Ok(Out::Charge(c)) if fresh => &c.draws,
        Ok(Out::Hold(h)) if fresh => &h.draws,
        Err(e) if e.code == ErrorCode::Insufficient => {
            assert!(
                !p.sufficient,
                "preview sufficient but the call was E_INSUFFICIENT"
            );
            assert_eq!(
                e.shortfall,
                Some(p.shortfall),
                "shortfall differs from the preview"
            );
            return;
        }
        _ => return,
    };
    assert!(
        p.sufficient,
        "call succeeded but the preview said insufficient"
    );
    assert_eq!(draws, &p.draws, "draws differ from the preview");
    let after = match w.balance(at) {
        Ok(b) => b,
        Err(e) => panic!("balance after a successful call failed: {e}"),
    };
    assert_eq!(after.total, p.balance_after.total, "balanceAfter.total");
    assert_eq!(after.agent, p.balance_after.agent, "balanceAfter.agent");
    assert_eq!(
        after.regular, p.balance_after.regular,
        "balanceAfter.regular"
    );
}

fn check_read(out: &Result<Out, Error>) {
    match out {
        Ok(Out::Balance(b)) => check_balance(b),
        Ok(Out::Preview(p)) => {
            assert_eq!(p.sufficient, p.shortfall == 0);
            assert_eq!(p.credits, p.quote.credits.get());
            if p.sufficient {
                let drawn: u128 = p.draws.iter().map(|d| u128::from(d.credits.get())).sum();
                assert_eq!(drawn, u128::from(p.credits), "preview draws do not add up");
            } else {
                assert!(p.draws.is_empty(), "short preview with draws");
            }
        }
        Ok(Out::Project(points)) => {
            assert!(!points.is_empty(), "projection without its start point");
            for pair in points.windows(2) {
                assert!(pair[0].at < pair[1].at, "projection points out of order");
            }
            for p in points {
                assert_eq!(Some(p.total), p.agent.checked_add(p.regular));
            }
        }
        _ => {}
    }
}

/// Which operations succeeded in a run (by `Op` variant name), for picking seed inputs.
pub type Succeeded = Vec<&'static str>;

/// Runs one input. Panics (a crash for the fuzzer) on any broken invariant.
pub fn run(input: &Input) -> Succeeded {
    let mut ok = Succeeded::new();
    let zone = ZONES[usize::from(input.zone) % ZONES.len()];
    let tz = match TimeZone::new(zone) {
        Ok(tz) => tz,
        Err(e) => panic!("zone {zone}: {e}"),
    };
    let alt = match Catalog::from_json(ALT_CATALOG) {
        Ok(c) => c,
        Err(e) => panic!("ALT_CATALOG: {e}"),
    };
    let ctx = Ctx {
        catalogs: [Catalog::default_catalog(), alt],
        tz,
    };
    let mut w = match Wallet::create(zone) {
        Ok(w) => w,
        Err(e) => panic!("Wallet::create({zone}): {e}"),
    };
    let mut now = input.start.millis();
    for (dt, op) in input.steps.iter().take(MAX_STEPS) {
        let t = instant(now);
        let at = match *dt {
            Dt::Same => now,
            Dt::Millis(n) => clamp_ms(i128::from(now) + i128::from(n)),
            Dt::Minutes(n) => clamp_ms(i128::from(now) + i128::from(n) * i128::from(MINUTE)),
            Dt::Hours(n) => clamp_ms(i128::from(now) + i128::from(n) * i128::from(HOUR)),
            Dt::Days(n) => clamp_ms(i128::from(now) + i128::from(n % 4000) * i128::from(DAY)),
            Dt::Back(n) => clamp_ms(i128::from(now) - i128::from(n) * i128::from(MINUTE)),
            Dt::NextMidnight(d) => match ctx.tz.start_of_next_day(t) {
                Ok(m) => clamp_ms(i128::from(m.millis()) + i128::from(d)),
                Err(e) => {
                    check_error(&e);
                    now
                }
            },
            Dt::NextChange(d) => match w.next_change(t) {
                Ok(Some(c)) => clamp_ms(i128::from(c.millis()) + i128::from(d)),
                Ok(None) => now,
                Err(e) => {
                    check_error(&e);
                    now
                }
            },
        };
        if !matches!(dt, Dt::Back(_)) {
            now = now.max(at);
        }
        if step(&mut w, &ctx, op, instant(at)) {
            ok.push(name(op));
        }
    }
    ok
}

fn name(op: &Op) -> &'static str {
    match op {
        Op::StartTrial { .. } => "startTrial",
        Op::ActivateMembership { .. } => "activateMembership",
        Op::DailyLogin { .. } => "dailyLogin",
        Op::GrantPromotion { .. } => "grantPromotion",
        Op::Purchase { .. } => "purchase",
        Op::Charge { .. } => "charge",
        Op::Refund { .. } => "refund",
        Op::Hold { .. } => "hold",
        Op::Capture { .. } => "capture",
        Op::Release { .. } => "release",
        Op::Balance { .. } => "balance",
        Op::Preview { .. } => "preview",
        Op::Project { .. } => "project",
        Op::NextChange { .. } => "nextChange",
        Op::Reload => "reload",
    }
}

/// One step with its checks; true if the call was made and succeeded.
fn step(w: &mut Wallet, ctx: &Ctx, op: &Op, at: Instant) -> bool {
    let call = resolve(op, w, ctx, at);
    let before = snapshot(w);
    let ledger_len = w.ledger().len();
    // The preview a caller would show just before a charge or hold.
    let pre = match &call {
        Call::Charge(_, r, k) | Call::Hold(_, r, k, _) => Some(w.preview(r, at, &ctx.catalogs[*k])),
        _ => None,
    };
    let out = apply(w, ctx, &call, at);

    if let Err(e) = &out {
        check_error(e);
        assert_eq!(
            snapshot(w),
            before,
            "failed call {call:?} changed the wallet: {e}"
        );
    }
    if call.is_read() {
        assert_eq!(snapshot(w), before, "read {call:?} changed the wallet");
        check_read(&out);
    }
    if let Some(pre) = &pre {
        let fresh = w.ledger().len() > ledger_len;
        check_against_preview(pre, &out, fresh, w, at);
    }

    check_wallet(w);
    let twin = round_trip(w);

    // Read caches: the wallet and its freshly loaded twin answer a read identically.
    if call.is_read() {
        let mut t = twin.clone();
        let again = apply(&mut t, ctx, &call, at);
        assert_eq!(again, out, "read answered differently by the reloaded twin");
    }

    // An idempotent call repeated at once returns the first result and changes nothing.
    if out.is_ok() && call.idempotent() {
        let now = snapshot(w);
        let again = apply(w, ctx, &call, at);
        assert_eq!(
            again, out,
            "immediate replay of {call:?} answered differently"
        );
        assert_eq!(
            snapshot(w),
            now,
            "immediate replay of {call:?} changed the wallet"
        );
    }

    if matches!(call, Call::Reload) {
        *w = twin;
    }
    !matches!(call, Call::Skip) && out.is_ok()
}
