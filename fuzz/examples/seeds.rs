//! Writes the seed corpus under `fuzz/corpus/` (run from `fuzz/`: `cargo run --example seeds`):
//! - `catalog_json`: the default catalog, the operations target's second catalog, a minimal one;
//! - `snapshot_json`: snapshots of real wallets made by the engine (a member with a trial, logins, purchases, charges,
//!   a refund and open and captured holds; a lapsed member with frozen and expired credits; a fresh wallet);
//! - `operations`: hand-written op sequences (below), encoded to the bytes the target decodes them from.
use arbitrary::{Arbitrary, Unstructured};
use credit_engine::catalog::DEFAULT_CATALOG_JSON;
use credit_engine::{Catalog, Credits, Instant, Tier, UsageRequest, Wallet};
use credit_engine_fuzz::ops::{
    run, Amount, Count, Dt, Dur, IdSel, Input, Op, Req, Secs, Start, Ttl, ALT_CATALOG,
};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

type R<T> = Result<T, Box<dyn std::error::Error>>;

fn t(s: &str) -> R<Instant> {
    Ok(Instant::parse(s)?)
}

fn c(n: u64) -> R<Credits> {
    Ok(Credits::new(n)?)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> R<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), bytes)?;
    println!("{} ({} bytes)", dir.join(name).display(), bytes.len());
    Ok(())
}

fn member_wallet() -> R<Wallet> {
    let cat = Catalog::default_catalog();
    let mut w = Wallet::create("Europe/Berlin")?;
    w.start_trial(
        t("2026-03-01T09:00:00Z")?,
        t("2026-03-08T09:00:00Z")?,
        c(50)?,
    )?;
    w.daily_login(t("2026-03-01T09:05:00Z")?, c(5)?)?;
    w.charge(
        &UsageRequest::feature("agent.image_generation")
            .units(3)
            .tier(Tier::Premium),
        t("2026-03-01T10:00:00Z")?,
        "gen-1",
        &cat,
    )?;
    w.refund("gen-1", 1, t("2026-03-01T10:01:00Z")?, Some("gen-1/refund"))?;
    w.activate_membership(
        t("2026-03-03T12:00:00Z")?,
        t("2026-04-03T12:00:00Z")?,
        c(100)?,
        c(30)?,
    )?;
    w.purchase("order-7", t("2026-03-04T08:00:00Z")?, c(200)?)?;
    w.grant_promotion(
        "promo-spring",
        t("2026-03-04T08:30:00Z")?,
        c(20)?,
        t("2026-03-20T00:00:00Z")?,
    )?;
    w.hold(
        &UsageRequest::feature("agent.video_generation").seconds(12.0),
        t("2026-03-05T10:00:00Z")?,
        "hold-1",
        600_000,
        &cat,
    )?;
    w.capture("hold-1", 2, t("2026-03-05T10:03:00Z")?)?;
    w.hold(
        &UsageRequest::feature("ai_background"),
        t("2026-03-05T11:00:00Z")?,
        "hold-2",
        3_600_000,
        &cat,
    )?;
    w.daily_login(t("2026-03-05T23:30:00Z")?, c(5)?)?;
    Ok(w)
}

fn lapsed_wallet() -> R<Wallet> {
    let cat = Catalog::default_catalog();
    let mut w = Wallet::create("America/Santiago")?;
    w.activate_membership(
        t("2025-12-31T03:00:00Z")?,
        t("2026-02-28T03:00:00Z")?,
        c(40)?,
        c(10)?,
    )?;
    w.purchase("p1", t("2026-01-02T12:00:00Z")?, c(15)?)?;
    w.charge(
        &UsageRequest::feature("private_model"),
        t("2026-01-10T12:00:00Z")?,
        "ch-1",
        &cat,
    )?;
    w.daily_login(t("2026-02-27T23:00:00Z")?, c(3)?)?;
    // The membership lapsed at its end: regular credits froze, agent credits expired.
    w.daily_login(t("2026-03-15T15:00:00Z")?, c(3)?)?;
    Ok(w)
}

fn req(feature: u8, units: Option<Count>, premium: Option<bool>, seconds: Secs, alt: bool) -> Req {
    Req {
        feature,
        units,
        tier: premium,
        seconds,
        alt_catalog: alt,
    }
}

/// Hand-written op sequences (default catalog feature indexes: 0 ai_background, 3 private_model,
/// 6 agent.image_editing, 7 agent.image_generation, 9 agent.video_generation; alt catalog: 1 agent.big, 2 bulk).
fn op_seeds() -> Vec<(&'static str, Input)> {
    use Amount::Small;
    let pool = IdSel::Pool;
    let plain = |f: u8| req(f, None, None, Secs::None, false);
    vec![
        (
            "trial-member-berlin",
            Input {
                zone: 2,
                start: Start::Recent {
                    days: 60,
                    minute: 540,
                },
                steps: vec![
                    (
                        Dt::Same,
                        Op::StartTrial {
                            len: Dur::Days(7),
                            credits: Small(50),
                        },
                    ),
                    (Dt::Minutes(5), Op::DailyLogin { credits: Small(5) }),
                    (
                        Dt::Hours(1),
                        Op::Charge {
                            id: pool(0),
                            req: req(7, Some(Count::Small(3)), Some(true), Secs::None, false),
                        },
                    ),
                    (
                        Dt::Minutes(1),
                        Op::Refund {
                            charge: pool(0),
                            units: Count::Small(1),
                            id: Some(pool(1)),
                        },
                    ),
                    (
                        Dt::Days(2),
                        Op::ActivateMembership {
                            len: Dur::Months(1),
                            monthly: Small(100),
                            agent: Small(30),
                        },
                    ),
                    (
                        Dt::Hours(20),
                        Op::Purchase {
                            id: pool(2),
                            credits: Small(200),
                        },
                    ),
                    (
                        Dt::Minutes(30),
                        Op::GrantPromotion {
                            id: pool(3),
                            credits: Small(20),
                            len: Dur::Days(10),
                        },
                    ),
                    (
                        Dt::Days(1),
                        Op::Hold {
                            id: pool(4),
                            req: req(9, None, None, Secs::Halves(24), false),
                            ttl: Ttl::Seconds(600),
                        },
                    ),
                    (
                        Dt::Minutes(3),
                        Op::Capture {
                            hold: pool(4),
                            units: Count::Small(2),
                        },
                    ),
                    (
                        Dt::Hours(1),
                        Op::Hold {
                            id: pool(5),
                            req: plain(0),
                            ttl: Ttl::Seconds(3600),
                        },
                    ),
                    (Dt::Minutes(10), Op::Release { hold: pool(5) }),
                    (Dt::NextMidnight(0), Op::DailyLogin { credits: Small(5) }),
                    (
                        Dt::Same,
                        Op::Preview {
                            req: plain(6),
                            ahead: Dur::Zero,
                        },
                    ),
                    (Dt::Days(40), Op::Balance { ahead: Dur::Zero }),
                    (
                        Dt::Same,
                        Op::Project {
                            ahead: Dur::Zero,
                            span: Dur::Months(6),
                        },
                    ),
                    (Dt::Same, Op::Reload),
                    (
                        Dt::Hours(1),
                        Op::Charge {
                            id: pool(0),
                            req: plain(3),
                        },
                    ),
                ],
            },
        ),
        (
            "lapse-santiago",
            Input {
                zone: 7,
                start: Start::Recent {
                    days: 730,
                    minute: 180,
                },
                steps: vec![
                    (
                        Dt::Same,
                        Op::ActivateMembership {
                            len: Dur::Months(2),
                            monthly: Small(40),
                            agent: Small(10),
                        },
                    ),
                    (
                        Dt::Days(1),
                        Op::Purchase {
                            id: pool(0),
                            credits: Small(15),
                        },
                    ),
                    (
                        Dt::Days(8),
                        Op::Charge {
                            id: pool(1),
                            req: plain(3),
                        },
                    ),
                    (Dt::NextChange(0), Op::Balance { ahead: Dur::Zero }),
                    (Dt::NextMidnight(-1), Op::DailyLogin { credits: Small(3) }),
                    (Dt::NextMidnight(0), Op::DailyLogin { credits: Small(3) }),
                    (Dt::Days(60), Op::NextChange { ahead: Dur::Zero }),
                    (Dt::Same, Op::Balance { ahead: Dur::Zero }),
                    (
                        Dt::Hours(2),
                        Op::ActivateMembership {
                            len: Dur::Months(12),
                            monthly: Small(40),
                            agent: Small(10),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Refund {
                            charge: pool(1),
                            units: Count::Small(1),
                            id: None,
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Project {
                            ahead: Dur::Zero,
                            span: Dur::Months(13),
                        },
                    ),
                ],
            },
        ),
        (
            "holds-sydney",
            Input {
                zone: 3,
                start: Start::Recent {
                    days: 90,
                    minute: 900,
                },
                steps: vec![
                    (
                        Dt::Same,
                        Op::StartTrial {
                            len: Dur::Days(3),
                            credits: Small(60),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Hold {
                            id: pool(0),
                            req: plain(7),
                            ttl: Ttl::Seconds(60),
                        },
                    ),
                    (
                        Dt::NextChange(0),
                        Op::Capture {
                            hold: pool(0),
                            units: Count::Small(1),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Hold {
                            id: pool(1),
                            req: req(7, Some(Count::Small(4)), Some(true), Secs::None, false),
                            ttl: Ttl::Days(1),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Capture {
                            hold: pool(1),
                            units: Count::Zero,
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Capture {
                            hold: pool(1),
                            units: Count::Small(5),
                        },
                    ),
                    (
                        Dt::Minutes(1),
                        Op::Capture {
                            hold: pool(1),
                            units: Count::Small(3),
                        },
                    ),
                    (
                        Dt::Minutes(1),
                        Op::Refund {
                            charge: pool(1),
                            units: Count::Small(2),
                            id: Some(pool(2)),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Refund {
                            charge: pool(1),
                            units: Count::Small(2),
                            id: Some(pool(3)),
                        },
                    ),
                    (Dt::Back(5), Op::DailyLogin { credits: Small(1) }),
                    (
                        Dt::Same,
                        Op::Purchase {
                            id: IdSel::Lot(0),
                            credits: Small(1),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Hold {
                            id: pool(4),
                            req: plain(0),
                            ttl: Ttl::Over,
                        },
                    ),
                    (
                        Dt::Days(3),
                        Op::Preview {
                            req: plain(0),
                            ahead: Dur::Zero,
                        },
                    ),
                ],
            },
        ),
        (
            "extremes-utc",
            Input {
                zone: 0,
                start: Start::NearEnd(40 * 24 * 60),
                steps: vec![
                    (
                        Dt::Same,
                        Op::ActivateMembership {
                            len: Dur::ToEnd,
                            monthly: Amount::Max,
                            agent: Amount::Zero,
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Purchase {
                            id: pool(0),
                            credits: Small(1),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::DailyLogin {
                            credits: Amount::TwoPow53,
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Charge {
                            id: pool(1),
                            req: req(1, Some(Count::Max), Some(false), Secs::None, true),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Charge {
                            id: pool(2),
                            req: req(2, None, None, Secs::Max, true),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Charge {
                            id: pool(3),
                            req: req(9, None, None, Secs::Nan, false),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Refund {
                            charge: pool(2),
                            units: Count::U64Max,
                            id: Some(IdSel::TooLong),
                        },
                    ),
                    (Dt::Days(30), Op::Balance { ahead: Dur::ToEnd }),
                    (
                        Dt::Same,
                        Op::Project {
                            ahead: Dur::Zero,
                            span: Dur::ToEnd,
                        },
                    ),
                    (
                        Dt::Days(3999),
                        Op::DailyLogin {
                            credits: Amount::U64Max,
                        },
                    ),
                    (
                        Dt::Same,
                        Op::GrantPromotion {
                            id: IdSel::Unicode,
                            credits: Small(1),
                            len: Dur::ToEnd,
                        },
                    ),
                ],
            },
        ),
        (
            "midnights-lord-howe",
            Input {
                zone: 6,
                start: Start::Recent {
                    days: 95,
                    minute: 600,
                },
                steps: vec![
                    (
                        Dt::Same,
                        Op::GrantPromotion {
                            id: pool(0),
                            credits: Small(9),
                            len: Dur::Days(2),
                        },
                    ),
                    (Dt::Same, Op::DailyLogin { credits: Small(2) }),
                    (
                        Dt::NextMidnight(-1),
                        Op::Charge {
                            id: pool(1),
                            req: plain(6),
                        },
                    ),
                    (Dt::NextMidnight(0), Op::DailyLogin { credits: Small(2) }),
                    (Dt::Hours(23), Op::DailyLogin { credits: Small(2) }),
                    (Dt::NextMidnight(1), Op::DailyLogin { credits: Small(2) }),
                    (
                        Dt::NextChange(-1),
                        Op::Charge {
                            id: pool(2),
                            req: plain(6),
                        },
                    ),
                    (
                        Dt::NextChange(0),
                        Op::Balance {
                            ahead: Dur::Hours(25),
                        },
                    ),
                    (
                        Dt::Same,
                        Op::Project {
                            ahead: Dur::Zero,
                            span: Dur::Days(3),
                        },
                    ),
                ],
            },
        ),
    ]
}

fn main() -> R<()> {
    let root = Path::new("corpus");
    let cats = root.join("catalog_json");
    write(
        &cats,
        "default_catalog.json",
        DEFAULT_CATALOG_JSON.as_bytes(),
    )?;
    write(&cats, "alt_catalog.json", ALT_CATALOG.as_bytes())?;
    let minimal = r#"{"version":1,"features":[{"id":"x","agent":true,"unit":"s","blockSeconds":5,"prices":{"general":1,"premium":2}}]}"#;
    Catalog::from_json(minimal)?;
    write(&cats, "minimal.json", minimal.as_bytes())?;

    let snaps = root.join("snapshot_json");
    write(
        &snaps,
        "member.json",
        member_wallet()?.to_snapshot_json()?.as_bytes(),
    )?;
    write(
        &snaps,
        "lapsed.json",
        lapsed_wallet()?.to_snapshot_json()?.as_bytes(),
    )?;
    write(
        &snaps,
        "fresh.json",
        Wallet::create("UTC")?.to_snapshot_json()?.as_bytes(),
    )?;

    let ops_dir = root.join("operations");
    for (name, input) in op_seeds() {
        let bytes = input.to_bytes();
        let decoded = Input::arbitrary_take_rest(Unstructured::new(&bytes))?;
        assert_eq!(
            format!("{decoded:?}"),
            format!("{input:?}"),
            "{name} does not decode to itself"
        );
        let kinds: BTreeSet<&'static str> = run(&input).into_iter().collect();
        println!("  {name}: succeeded {kinds:?}");
        write(&ops_dir, name, &bytes)?;
    }
    Ok(())
}
