//! SPEC section 7 and the time decisions of section 8: the stable `E_` codes, `E_CLOCK_REGRESSION` on every
//! mutation, `E_OVERFLOW` past 2^53 - 1, strict time parsing (`E_TIME`) and zone names (`E_TIME_ZONE`); a failed
//! call changes nothing and the wallet keeps working.

mod common;

use common::*;
use credit_engine::credits::MAX_CREDITS;
use credit_engine::{Credits, Error, ErrorCode, Instant, Wallet};

#[test]
fn every_error_code_has_its_documented_e_string() {
    let expected = [
        (ErrorCode::BadRequest, "E_BAD_REQUEST"),
        (ErrorCode::UnknownFeature, "E_UNKNOWN_FEATURE"),
        (ErrorCode::TierUnavailable, "E_TIER_UNAVAILABLE"),
        (ErrorCode::Insufficient, "E_INSUFFICIENT"),
        (ErrorCode::MembersOnly, "E_MEMBERS_ONLY"),
        (ErrorCode::IdempotencyConflict, "E_IDEMPOTENCY_CONFLICT"),
        (ErrorCode::NotFound, "E_NOT_FOUND"),
        (ErrorCode::RefundExceeds, "E_REFUND_EXCEEDS"),
        (ErrorCode::Snapshot, "E_SNAPSHOT"),
        (ErrorCode::Catalog, "E_CATALOG"),
        (ErrorCode::Time, "E_TIME"),
        (ErrorCode::TimeZone, "E_TIME_ZONE"),
        (ErrorCode::ClockRegression, "E_CLOCK_REGRESSION"),
        (ErrorCode::Overflow, "E_OVERFLOW"),
        (ErrorCode::TokenMalformed, "E_TOKEN_MALFORMED"),
        (ErrorCode::TokenAlgorithm, "E_TOKEN_ALGORITHM"),
        (ErrorCode::TokenKey, "E_TOKEN_KEY"),
        (ErrorCode::TokenSignature, "E_TOKEN_SIGNATURE"),
        (ErrorCode::TokenExpired, "E_TOKEN_EXPIRED"),
        (ErrorCode::TokenCatalog, "E_TOKEN_CATALOG"),
    ];
    for (code, text) in expected {
        assert_eq!(code.as_str(), text);
        assert_eq!(code.to_string(), text);
    }
    assert_eq!(ErrorCode::ALL.len(), expected.len());
    for code in ErrorCode::ALL {
        assert!(
            expected.iter().any(|(c, _)| *c == code),
            "{code:?} is not documented"
        );
    }
}

#[test]
fn an_error_displays_its_code_then_its_message() {
    let e = Error::new(ErrorCode::NotFound, "there is no charge with id 'x'");
    assert_eq!(e.to_string(), "E_NOT_FOUND: there is no charge with id 'x'");
    assert_eq!(e.shortfall, None);
}

// ----- clock regression -----

const ZONE: &str = "Europe/Berlin";
const EARLY: &str = "2026-06-01T09:00:00Z";
const CLOCK: &str = "2026-06-01T10:00:00Z";
const UNTIL: &str = "2027-06-01T10:00:00Z";

/// A member wallet at CLOCK with a charge "ch" and an open hold "h" (so every mutation has something to act on).
fn wallet_at_clock() -> Wallet {
    let mut w = member(ZONE, EARLY, UNTIL, 100, 10);
    w.charge(&req("agent.ppt"), t(EARLY), "ch", &cat()).unwrap();
    w.hold(&req("ai_background"), t(EARLY), "h", 7_200_000, &cat())
        .unwrap();
    w.daily_login(t(CLOCK), c(1)).unwrap();
    assert_eq!(w.clock(), Some(t(CLOCK)));
    w
}

fn regresses<T: std::fmt::Debug>(f: impl FnOnce(&mut Wallet, Instant) -> Result<T, Error>) {
    let mut w = wallet_at_clock();
    let before = plus(t(CLOCK), -1);
    fails_unchanged(&mut w, ErrorCode::ClockRegression, |w| f(w, before));
}

#[test]
fn start_trial_before_the_clock_is_a_clock_regression() {
    let mut w = wallet(ZONE);
    w.daily_login(t(CLOCK), c(1)).unwrap();
    fails_unchanged(&mut w, ErrorCode::ClockRegression, |w| {
        w.start_trial(t(EARLY), t(UNTIL), c(5))
    });
}

#[test]
fn activate_membership_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.activate_membership(at, t(UNTIL), c(1), c(1)));
}

#[test]
fn daily_login_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.daily_login(at, c(1)));
}

#[test]
fn grant_promotion_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.grant_promotion("new-promo", at, c(1), t(UNTIL)));
}

#[test]
fn purchase_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.purchase("new-buy", at, c(1)));
}

#[test]
fn charge_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.charge(&req("agent.ppt"), at, "new-charge", &cat()));
}

#[test]
fn refund_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.refund("ch", 1, at, None));
    regresses(|w, at| w.refund("ch", 1, at, Some("new-refund")));
}

#[test]
fn hold_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.hold(&req("agent.ppt"), at, "new-hold", 60_000, &cat()));
}

#[test]
fn capture_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.capture("h", 1, at));
}

#[test]
fn release_before_the_clock_is_a_clock_regression() {
    regresses(|w, at| w.release("h", at));
}

#[test]
fn a_mutation_at_exactly_the_clock_is_allowed() {
    let mut w = wallet_at_clock();
    w.charge(&req("agent.ppt"), t(CLOCK), "same-instant", &cat())
        .unwrap();
    w.release("h", t(CLOCK)).unwrap();
}

#[test]
fn the_wallet_keeps_working_after_an_error() {
    let mut w = wallet_at_clock();
    let _ = w.charge(&req("agent.ppt"), t(EARLY), "x", &cat());
    let _ = w.charge(&req("nope"), t(CLOCK), "y", &cat());
    let _ = w.refund("missing", 1, t(CLOCK), None);
    let _ = w.purchase("", t(CLOCK), c(1));
    let ch = w.charge(&req("agent.ppt"), t(CLOCK), "x", &cat()).unwrap();
    assert_eq!(ch.credits.get(), cost(&req("agent.ppt")));
}

// ----- overflow -----

#[test]
fn a_credit_amount_above_2_pow_53_minus_1_is_an_overflow() {
    assert_eq!(MAX_CREDITS, 9_007_199_254_740_991);
    assert!(Credits::new(MAX_CREDITS).is_ok());
    assert_eq!(code(Credits::new(MAX_CREDITS + 1)), ErrorCode::Overflow);
}

#[test]
fn grants_summing_above_2_pow_53_minus_1_are_an_overflow_and_change_nothing() {
    let mut w = wallet(ZONE);
    w.grant_promotion("big", t(CLOCK), c(MAX_CREDITS - 1), t(UNTIL))
        .unwrap();
    w.grant_promotion("one", t(CLOCK), c(1), t(UNTIL)).unwrap();
    let e = fails_unchanged(&mut w, ErrorCode::Overflow, |w| {
        w.grant_promotion("two", t(CLOCK), c(1), t(UNTIL))
    });
    assert!(e.message.contains("2^53"), "{}", e.message);
    fails_unchanged(&mut w, ErrorCode::Overflow, |w| {
        w.daily_login(t(CLOCK), c(1))
    });
    assert_eq!(w.balance(t(CLOCK)).unwrap().total, MAX_CREDITS);
}

#[test]
fn held_credits_count_towards_the_overflow_limit() {
    let mut w = wallet(ZONE);
    w.grant_promotion("big", t(CLOCK), c(MAX_CREDITS), t(UNTIL))
        .unwrap();
    w.hold(&req("agent.ppt"), t(CLOCK), "h", 60_000, &cat())
        .unwrap();
    fails_unchanged(&mut w, ErrorCode::Overflow, |w| {
        w.grant_promotion("more", t(CLOCK), c(1), t(UNTIL))
    });
}

#[test]
fn a_monthly_distribution_that_would_overflow_is_refused_at_activation() {
    let mut w = wallet(ZONE);
    w.grant_promotion("big", t(EARLY), c(MAX_CREDITS), t(UNTIL))
        .unwrap();
    fails_unchanged(&mut w, ErrorCode::Overflow, |w| {
        w.activate_membership(t(CLOCK), t(UNTIL), c(1), c(0))
    });
}

// ----- time parsing -----

#[test]
fn an_impossible_date_is_a_time_error() {
    for text in [
        "2026-02-30T10:00:00Z",
        "2026-02-29T10:00:00Z",
        "2026-04-31T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-00-10T10:00:00Z",
        "2026-01-00T10:00:00Z",
        "2026-01-31T24:00:00Z",
        "2026-01-31T10:60:00Z",
        "2026-01-31T10:00:60Z",
        "0000-01-01T00:00:00Z",
    ] {
        assert_eq!(code(Instant::parse(text)), ErrorCode::Time, "{text}");
    }
    assert!(Instant::parse("2028-02-29T10:00:00Z").is_ok());
}

#[test]
fn a_time_without_z_or_an_offset_is_a_time_error() {
    for text in [
        "2026-01-31T10:00:00",
        "2026-01-31T10:00",
        "2026-01-31",
        "2026-01-31T10:00:00.000",
    ] {
        assert_eq!(code(Instant::parse(text)), ErrorCode::Time, "{text}");
    }
}

#[test]
fn garbage_is_a_time_error_with_a_helpful_message() {
    for text in [
        "",
        "garbage",
        "tomorrow",
        "1769853600000",
        "2026/01/31 10:00Z",
        "2026-01-31T10:00:00ZZ",
    ] {
        let e = err(Instant::parse(text));
        assert_eq!(e.code, ErrorCode::Time, "{text}");
        assert!(e.message.contains("ISO-8601"), "{}", e.message);
    }
    let long = "9".repeat(10_000);
    assert_eq!(code(Instant::parse(&long)), ErrorCode::Time);
}

#[test]
fn offsets_fractions_and_optional_seconds_parse_to_the_same_instant() {
    let base = t("2026-01-31T10:00:00Z");
    assert_eq!(t("2026-01-31T11:00:00+01:00"), base);
    assert_eq!(t("2026-01-31T05:00:00-05:00"), base);
    assert_eq!(t("2026-01-31T10:00Z"), base);
    assert_eq!(t("2026-01-31T10:00:00.000Z"), base);
    assert_eq!(t("2026-01-31T10:00:00.1239Z").millis() - base.millis(), 123);
    assert_eq!(base.to_iso(), "2026-01-31T10:00:00.000Z");
}

#[test]
fn epoch_milliseconds_must_be_whole_and_in_range() {
    assert_eq!(
        Instant::from_f64_millis(1_769_853_600_000.0).unwrap(),
        t("2026-01-31T10:00:00Z")
    );
    for bad in [1.5, f64::NAN, f64::INFINITY, -f64::INFINITY, 1e300] {
        assert_eq!(
            code(Instant::from_f64_millis(bad)),
            ErrorCode::Time,
            "{bad}"
        );
    }
    assert_eq!(code(Instant::from_millis(i64::MAX)), ErrorCode::Time);
    assert_eq!(code(Instant::from_millis(i64::MIN)), ErrorCode::Time);
}

#[test]
fn instants_format_like_javascript_to_iso_string() {
    assert_eq!(
        t("2026-01-31T11:00:00.5+01:00").to_iso(),
        "2026-01-31T10:00:00.500Z"
    );
    assert_eq!(
        Instant::from_millis(0).unwrap().to_iso(),
        "1970-01-01T00:00:00.000Z"
    );
}

// ----- zones -----

#[test]
fn an_unknown_time_zone_is_a_time_zone_error() {
    for zone in [
        "Mars/Olympus_Mons",
        "",
        "+05:00",
        "UTC+5",
        "Europe/Berlin/Mitte",
        "Europe Berlin",
        "Ω",
    ] {
        let e = err(Wallet::create(zone));
        assert_eq!(e.code, ErrorCode::TimeZone, "{zone:?}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn zone_names_are_matched_case_insensitively_and_kept_as_given() {
    let w = Wallet::create("europe/berlin").unwrap();
    assert_eq!(w.time_zone(), "europe/berlin");
    let mut w = w;
    w.daily_login(t("2026-01-31T10:00:00Z"), c(1)).unwrap();
    let b = w.balance(t("2026-01-31T10:00:00Z")).unwrap();
    assert_eq!(b.lots[0].expires_at, Some(t("2026-01-31T23:00:00Z")));
}

#[test]
fn every_zone_of_the_tests_is_known() {
    for zone in [
        "UTC",
        "America/New_York",
        "Europe/Berlin",
        "Australia/Sydney",
        "Asia/Shanghai",
        "America/Sao_Paulo",
    ] {
        assert!(Wallet::create(zone).is_ok(), "{zone}");
    }
}

/// Engine-made lots are named `kind@instant`; a caller id of that form could collide with one, so it is refused.
#[test]
fn caller_ids_of_the_engine_lot_form_are_a_bad_request() {
    let mut w = Wallet::create("UTC").unwrap();
    w.start_trial(t("2026-01-01T00:00:00Z"), t("2026-02-01T00:00:00Z"), c(10))
        .unwrap();
    let e = w
        .purchase(
            "membership@2026-03-01T00:00:00.000Z",
            t("2026-01-02T00:00:00Z"),
            c(5),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadRequest);
    // Other ids with an @ are fine.
    w.purchase("order@shop", t("2026-01-02T00:00:00Z"), c(5))
        .unwrap();
}
