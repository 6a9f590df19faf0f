//! SPEC section 3 (prices), the FAQ's price examples, catalog loading and ids, and request validation.
//! This is the one file that states prices explicitly; every other test asks the catalog.

mod common;

use common::*;
use credit_engine::catalog::{Billing, DEFAULT_CATALOG_JSON, MAX_CATALOG_BYTES};
use credit_engine::{Catalog, ErrorCode, Tier, UsageRequest};

/// One row of the SPEC section 3 table: checks the catalog's feature and the quotes it gives.
fn row(
    feature: &str,
    agent: bool,
    default_units: Option<u64>,
    unit: &str,
    general: u64,
    premium: Option<u64>,
) {
    let catalog = cat();
    let f = catalog
        .feature(feature)
        .expect("feature is in the default catalog");
    assert_eq!(f.agent, agent, "{feature}: agent flag");
    assert_eq!(f.unit, unit, "{feature}: unit");
    assert_eq!(f.general.get(), general, "{feature}: general price");
    assert_eq!(
        f.premium.map(|p| p.get()),
        premium,
        "{feature}: premium price"
    );
    match default_units {
        Some(n) => {
            assert_eq!(f.billing, Billing::Units { default_units: n });
            let q = catalog.quote(&req(feature)).expect("default quote");
            assert_eq!(q.feature, feature);
            assert_eq!(q.agent, agent);
            assert_eq!(q.tier, Tier::General, "tier defaults to general");
            assert_eq!(q.units, n, "{feature}: default units");
            assert_eq!(q.unit_credits.get(), general);
            assert_eq!(q.credits.get(), n * general, "cost = units x unit price");
            assert_eq!(q.catalog, catalog.id());
            let three = catalog.quote(&req(feature).units(3)).expect("3 units");
            assert_eq!(three.credits.get(), 3 * general);
            let premium_quote = catalog.quote(&req(feature).tier(Tier::Premium));
            match premium {
                Some(p) => {
                    let q = premium_quote.expect("premium offered");
                    assert_eq!(q.tier, Tier::Premium);
                    assert_eq!(q.unit_credits.get(), p);
                    assert_eq!(q.credits.get(), n * p);
                }
                None => assert_eq!(code(premium_quote), ErrorCode::TierUnavailable),
            }
        }
        None => assert_eq!(f.billing, Billing::PerSeconds { block_seconds: 5 }),
    }
}

// ----- one test per row of the table -----

#[test]
fn ai_background_is_regular_2_images_at_2_general_no_premium() {
    row("ai_background", false, Some(2), "image", 2, None);
}

#[test]
fn ai_model_is_regular_2_images_at_2_general_no_premium() {
    row("ai_model", false, Some(2), "image", 2, None);
}

#[test]
fn footwear_model_is_regular_2_images_at_2_general_no_premium() {
    row("footwear_model", false, Some(2), "image", 2, None);
}

#[test]
fn private_model_is_regular_1_model_at_20_general_no_premium() {
    row("private_model", false, Some(1), "model", 20, None);
}

#[test]
fn image_color_change_is_regular_1_image_at_1_general_no_premium() {
    row("image_color_change", false, Some(1), "image", 1, None);
}

#[test]
fn ai_extender_is_regular_1_image_at_1_general_no_premium() {
    row("ai_extender", false, Some(1), "image", 1, None);
}

#[test]
fn agent_image_editing_is_agent_1_image_at_1_general_no_premium() {
    row("agent.image_editing", true, Some(1), "image", 1, None);
}

#[test]
fn agent_image_generation_is_agent_1_image_at_2_general_3_premium() {
    row("agent.image_generation", true, Some(1), "image", 2, Some(3));
}

#[test]
fn agent_video_editing_is_agent_1_item_at_4_general_no_premium() {
    row("agent.video_editing", true, Some(1), "item", 4, None);
}

#[test]
fn agent_video_generation_is_agent_per_started_5_seconds_at_20_general_20_premium() {
    row(
        "agent.video_generation",
        true,
        None,
        "started 5 s of video",
        20,
        Some(20),
    );
    let q = cat()
        .quote(
            &req("agent.video_generation")
                .seconds(5.0)
                .tier(Tier::Premium),
        )
        .expect("premium video");
    assert_eq!((q.units, q.credits.get()), (1, 20));
}

#[test]
fn agent_brand_creation_is_agent_1_item_at_10_general_15_premium() {
    row("agent.brand_creation", true, Some(1), "item", 10, Some(15));
}

#[test]
fn agent_poster_generation_is_agent_1_item_at_10_general_15_premium() {
    row(
        "agent.poster_generation",
        true,
        Some(1),
        "item",
        10,
        Some(15),
    );
}

#[test]
fn agent_web_page_creation_is_agent_1_item_at_10_general_15_premium() {
    row(
        "agent.web_page_creation",
        true,
        Some(1),
        "item",
        10,
        Some(15),
    );
}

#[test]
fn agent_ppt_is_agent_1_item_at_10_general_15_premium() {
    row("agent.ppt", true, Some(1), "item", 10, Some(15));
}

#[test]
fn default_catalog_lists_exactly_the_fourteen_features_of_the_table() {
    let ids: Vec<String> = cat().features().iter().map(|f| f.id.clone()).collect();
    let expected = [
        "ai_background",
        "ai_model",
        "footwear_model",
        "private_model",
        "image_color_change",
        "ai_extender",
        "agent.image_editing",
        "agent.image_generation",
        "agent.video_editing",
        "agent.video_generation",
        "agent.brand_creation",
        "agent.poster_generation",
        "agent.web_page_creation",
        "agent.ppt",
    ];
    assert_eq!(ids, expected);
}

// ----- video: per started 5-second block -----

fn video(seconds: f64) -> (u64, u64) {
    let q = cat()
        .quote(&req("agent.video_generation").seconds(seconds))
        .expect("video quote");
    (q.units, q.credits.get())
}

#[test]
fn video_of_7_seconds_is_2_blocks_costing_40() {
    assert_eq!(video(7.0), (2, 40));
}

#[test]
fn video_of_exactly_5_seconds_is_1_block() {
    assert_eq!(video(5.0), (1, 20));
}

#[test]
fn video_of_a_tenth_of_a_second_is_1_started_block() {
    assert_eq!(video(0.1), (1, 20));
}

#[test]
fn video_just_past_a_block_boundary_starts_another_block() {
    assert_eq!(video(10.0), (2, 40));
    assert_eq!(video(10.001), (3, 60));
}

#[test]
fn video_without_seconds_is_a_bad_request() {
    assert_eq!(
        code(cat().quote(&req("agent.video_generation"))),
        ErrorCode::BadRequest
    );
}

#[test]
fn video_with_units_is_a_bad_request() {
    let r = req("agent.video_generation").units(2);
    assert_eq!(code(cat().quote(&r)), ErrorCode::BadRequest);
    let r = req("agent.video_generation").units(2).seconds(7.0);
    assert_eq!(code(cat().quote(&r)), ErrorCode::BadRequest);
}

#[test]
fn seconds_on_a_per_unit_feature_is_a_bad_request() {
    let r = req("agent.image_generation").seconds(5.0);
    assert_eq!(code(cat().quote(&r)), ErrorCode::BadRequest);
}

// ----- the FAQ's examples -----

#[test]
fn faq_ai_background_two_images_cost_4() {
    assert_eq!(cost(&req("ai_background")), 4);
    assert_eq!(cost(&req("ai_model")), 4);
    assert_eq!(cost(&req("footwear_model")), 4);
}

#[test]
fn faq_private_model_costs_20_and_color_change_and_extender_cost_1() {
    assert_eq!(cost(&req("private_model")), 20);
    assert_eq!(cost(&req("image_color_change")), 1);
    assert_eq!(cost(&req("ai_extender")), 1);
}

#[test]
fn faq_premium_image_generation_costs_3_per_image() {
    let r = req("agent.image_generation").units(4).tier(Tier::Premium);
    assert_eq!(cost(&r), 12);
    assert_eq!(cost(&req("agent.image_generation").units(4)), 8);
}

#[test]
fn premium_on_a_feature_without_premium_is_tier_unavailable() {
    let e = err(cat().quote(&req("ai_background").tier(Tier::Premium)));
    assert_eq!(e.code, ErrorCode::TierUnavailable);
    assert!(e.message.contains("ai_background"), "{}", e.message);
}

// ----- request validation -----

#[test]
fn units_zero_negative_or_fractional_are_bad_requests() {
    for units in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY, -0.0] {
        let r = UsageRequest::from_raw("ai_background", Some(units), None, None);
        assert_eq!(code(r), ErrorCode::BadRequest, "units {units}");
    }
}

#[test]
fn units_above_one_million_are_bad_requests() {
    assert!(UsageRequest::from_raw("ai_background", Some(1_000_000.0), None, None).is_ok());
    let r = UsageRequest::from_raw("ai_background", Some(1_000_001.0), None, None);
    assert_eq!(code(r), ErrorCode::BadRequest);
}

#[test]
fn seconds_zero_negative_or_not_finite_are_bad_requests() {
    for s in [0.0, -5.0, f64::NAN, f64::INFINITY, 86_400.5] {
        let r = UsageRequest::from_raw("agent.video_generation", None, None, Some(s));
        assert_eq!(code(r), ErrorCode::BadRequest, "seconds {s}");
    }
    let r = UsageRequest::from_raw("agent.video_generation", None, None, Some(86_400.0));
    assert!(r.is_ok());
}

#[test]
fn an_unknown_tier_name_is_a_bad_request() {
    let r = UsageRequest::from_raw("agent.ppt", None, Some("ultra"), None);
    assert_eq!(code(r), ErrorCode::BadRequest);
    let r = UsageRequest::from_raw("agent.ppt", None, Some("premium"), None).expect("premium");
    assert_eq!(cost(&r), 15);
}

#[test]
fn an_empty_feature_id_is_a_bad_request() {
    assert_eq!(
        code(UsageRequest::from_raw("", None, None, None)),
        ErrorCode::BadRequest
    );
}

#[test]
fn an_unknown_feature_is_unknown_feature() {
    let r = UsageRequest::from_raw("agent.teleport", None, None, None).expect("shape is fine");
    let e = err(cat().quote(&r));
    assert_eq!(e.code, ErrorCode::UnknownFeature);
    assert!(e.message.contains("agent.teleport"), "{}", e.message);
}

#[test]
fn raw_requests_with_valid_values_quote_like_built_ones() {
    let raw = UsageRequest::from_raw("agent.image_generation", Some(3.0), Some("premium"), None)
        .expect("valid");
    let built = req("agent.image_generation").units(3).tier(Tier::Premium);
    assert_eq!(cat().quote(&raw).unwrap(), cat().quote(&built).unwrap());
}

#[test]
fn zero_units_built_in_rust_are_a_bad_request_too() {
    // SPEC 8: "`units` is a positive integer ... anything else is `E_BAD_REQUEST`."
    let r = req("ai_background").units(0);
    assert_eq!(code(cat().quote(&r)), ErrorCode::BadRequest);
}

// ----- catalog JSON loading -----

fn one_feature(feature: &str) -> String {
    format!(r#"{{"version":1,"features":[{feature}]}}"#)
}

const GOOD_FEATURE: &str =
    r#"{"id":"x","agent":false,"unit":"image","defaultUnits":1,"prices":{"general":2}}"#;

fn catalog_error(text: &str) -> credit_engine::Error {
    let e = err(Catalog::from_json(text));
    assert_eq!(e.code, ErrorCode::Catalog, "{e}");
    e
}

#[test]
fn a_minimal_valid_catalog_loads() {
    let c = Catalog::from_json(&one_feature(GOOD_FEATURE)).expect("valid");
    assert_eq!(c.quote(&req("x")).unwrap().credits.get(), 2);
}

#[test]
fn catalog_with_an_unknown_top_level_field_is_refused_naming_it() {
    let e = catalog_error(r#"{"version":1,"currency":"EUR","features":[]}"#);
    assert!(e.message.contains("currency"), "{}", e.message);
}

#[test]
fn catalog_with_an_unknown_feature_field_is_refused_naming_it() {
    let f = r#"{"id":"x","agent":false,"unit":"image","defaultUnits":1,"colour":"red","prices":{"general":2}}"#;
    let e = catalog_error(&one_feature(f));
    assert!(e.message.contains("colour"), "{}", e.message);
}

#[test]
fn catalog_with_an_unknown_price_tier_is_refused_naming_it() {
    let f = r#"{"id":"x","agent":false,"unit":"image","defaultUnits":1,"prices":{"general":2,"deluxe":9}}"#;
    let e = catalog_error(&one_feature(f));
    assert!(e.message.contains("deluxe"), "{}", e.message);
}

#[test]
fn catalog_listing_a_feature_twice_is_refused_naming_it() {
    let text = format!(r#"{{"version":1,"features":[{GOOD_FEATURE},{GOOD_FEATURE}]}}"#);
    let e = catalog_error(&text);
    assert!(e.message.contains("'x'"), "{}", e.message);
}

#[test]
fn catalog_prices_must_be_positive_whole_numbers() {
    for bad in ["0", "-2", "1.5", "\"2\"", "null", "1e400"] {
        let f = format!(
            r#"{{"id":"x","agent":false,"unit":"image","defaultUnits":1,"prices":{{"general":{bad}}}}}"#
        );
        let e = catalog_error(&one_feature(&f));
        assert!(e.message.contains("general"), "{bad}: {}", e.message);
    }
    let f = r#"{"id":"x","agent":true,"unit":"image","defaultUnits":1,"prices":{"general":2,"premium":0}}"#;
    let e = catalog_error(&one_feature(f));
    assert!(e.message.contains("premium"), "{}", e.message);
}

#[test]
fn catalog_default_units_and_block_seconds_must_be_positive_whole_numbers() {
    for bad in ["0", "-1", "2.5"] {
        let f = format!(
            r#"{{"id":"x","agent":false,"unit":"image","defaultUnits":{bad},"prices":{{"general":2}}}}"#
        );
        let e = catalog_error(&one_feature(&f));
        assert!(e.message.contains("defaultUnits"), "{}", e.message);
        let f = format!(
            r#"{{"id":"x","agent":true,"unit":"s","blockSeconds":{bad},"prices":{{"general":2}}}}"#
        );
        let e = catalog_error(&one_feature(&f));
        assert!(e.message.contains("blockSeconds"), "{}", e.message);
    }
    let both = r#"{"id":"x","agent":true,"unit":"s","defaultUnits":1,"blockSeconds":5,"prices":{"general":2}}"#;
    catalog_error(&one_feature(both));
    let neither = r#"{"id":"x","agent":true,"unit":"s","prices":{"general":2}}"#;
    catalog_error(&one_feature(neither));
}

#[test]
fn catalog_without_a_general_price_is_refused_naming_it() {
    let f = r#"{"id":"x","agent":true,"unit":"image","defaultUnits":1,"prices":{"premium":3}}"#;
    let e = catalog_error(&one_feature(f));
    assert!(e.message.contains("general"), "{}", e.message);
}

#[test]
fn catalog_with_a_missing_required_field_is_refused_naming_it() {
    let f = r#"{"id":"x","unit":"image","defaultUnits":1,"prices":{"general":2}}"#;
    let e = catalog_error(&one_feature(f));
    assert!(e.message.contains("agent"), "{}", e.message);
    let f = r#"{"agent":true,"unit":"image","defaultUnits":1,"prices":{"general":2}}"#;
    let e = catalog_error(&one_feature(f));
    assert!(e.message.contains("id"), "{}", e.message);
}

#[test]
fn catalog_with_a_bad_version_is_refused_naming_it() {
    for v in ["2", "0", "\"1\"", "1.0", "null"] {
        let text = format!(r#"{{"version":{v},"features":[{GOOD_FEATURE}]}}"#);
        let e = catalog_error(&text);
        assert!(e.message.contains("version"), "{v}: {}", e.message);
    }
    let e = catalog_error(&format!(r#"{{"features":[{GOOD_FEATURE}]}}"#));
    assert!(e.message.contains("version"), "{}", e.message);
}

#[test]
fn catalog_with_no_features_is_refused() {
    let e = catalog_error(r#"{"version":1,"features":[]}"#);
    assert!(e.message.contains("features"), "{}", e.message);
}

#[test]
fn catalog_that_is_not_json_is_refused() {
    for text in [
        "",
        "not json",
        "{",
        r#"{"version":1,"features":[}"#,
        "[1,2]",
        "null",
        "42",
    ] {
        catalog_error(text);
    }
}

#[test]
fn catalog_larger_than_256_kib_is_refused() {
    let mut text = one_feature(GOOD_FEATURE);
    text.push_str(&" ".repeat(MAX_CATALOG_BYTES));
    let e = catalog_error(&text);
    assert!(e.message.contains("bytes"), "{}", e.message);
    // Padding alone below the limit is fine.
    let mut ok = one_feature(GOOD_FEATURE);
    ok.push_str(&" ".repeat(1000));
    assert!(Catalog::from_json(&ok).is_ok());
}

#[test]
fn catalog_with_a_malformed_feature_id_is_refused() {
    for id in ["\"\"", "\"has space\"", "7", "\"é\""] {
        let f = format!(
            r#"{{"id":{id},"agent":false,"unit":"image","defaultUnits":1,"prices":{{"general":2}}}}"#
        );
        let e = catalog_error(&one_feature(&f));
        assert!(e.message.contains("id"), "{id}: {}", e.message);
    }
}

// ----- catalog ids and round trip -----

#[test]
fn catalog_id_is_cat_and_16_hex_digits() {
    let id = cat().id().to_string();
    assert_eq!(id.len(), 4 + 16, "{id}");
    assert!(id.starts_with("cat-"), "{id}");
    assert!(id[4..]
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
}

#[test]
fn catalog_id_is_the_same_for_the_same_content_in_another_order_and_format() {
    let a = r#"{"version":1,"features":[
        {"id":"x","agent":false,"unit":"image","defaultUnits":1,"prices":{"general":2}},
        {"id":"y","agent":true,"unit":"item","defaultUnits":1,"prices":{"general":10,"premium":15}}]}"#;
    let b = r#"{ "features" : [ { "prices": {"premium":15, "general":10}, "unit":"item", "defaultUnits":1, "agent":true, "id":"y" },
        {"agent":false,"prices":{"general":2},"id":"x","defaultUnits":1,"unit":"image"} ], "version" : 1 }"#;
    let (a, b) = (
        Catalog::from_json(a).unwrap(),
        Catalog::from_json(b).unwrap(),
    );
    assert_eq!(a.id(), b.id());
}

#[test]
fn catalog_id_changes_when_a_price_changes() {
    let a = Catalog::from_json(&one_feature(GOOD_FEATURE)).unwrap();
    let b = Catalog::from_json(&one_feature(&GOOD_FEATURE.replace(":2}", ":3}"))).unwrap();
    assert_ne!(a.id(), b.id());
    let mut default_text = DEFAULT_CATALOG_JSON.to_string();
    default_text = default_text.replacen("\"general\": 20 }", "\"general\": 21 }", 1);
    let changed = Catalog::from_json(&default_text).unwrap();
    assert_ne!(changed.id(), cat().id());
}

#[test]
fn catalog_id_changes_when_the_agent_flag_unit_or_default_units_change() {
    let a = Catalog::from_json(&one_feature(GOOD_FEATURE)).unwrap();
    for changed in [
        GOOD_FEATURE.replace("false", "true"),
        GOOD_FEATURE.replace("\"image\"", "\"photo\""),
        GOOD_FEATURE.replace("\"defaultUnits\":1", "\"defaultUnits\":2"),
    ] {
        let b = Catalog::from_json(&one_feature(&changed)).unwrap();
        assert_ne!(a.id(), b.id(), "{changed}");
    }
}

#[test]
fn quotes_name_the_catalog_that_priced_them() {
    let custom = Catalog::from_json(&one_feature(GOOD_FEATURE)).unwrap();
    assert_eq!(custom.quote(&req("x")).unwrap().catalog, custom.id());
    assert_eq!(cat().quote(&req("agent.ppt")).unwrap().catalog, cat().id());
}

#[test]
fn catalog_to_json_round_trips_to_an_equal_catalog_with_the_same_id() {
    let original = cat();
    let text = original.to_json();
    let back = Catalog::from_json(&text).expect("own output loads");
    assert_eq!(back, original);
    assert_eq!(back.id(), original.id());
    assert_eq!(back.to_json(), text);
}

#[test]
fn the_embedded_default_catalog_loads_through_the_validating_loader() {
    let loaded = Catalog::from_json(DEFAULT_CATALOG_JSON).expect("valid");
    assert_eq!(loaded, cat());
    assert!(!cat().features().is_empty());
}

#[test]
fn a_custom_catalog_prices_charges_differently_from_the_default() {
    let custom = Catalog::from_json(&one_feature(
        r#"{"id":"ai_background","agent":false,"unit":"image","defaultUnits":2,"prices":{"general":5}}"#,
    ))
    .unwrap();
    assert_eq!(
        custom.quote(&req("ai_background")).unwrap().credits.get(),
        10
    );
    assert_eq!(
        code(custom.quote(&req("agent.ppt"))),
        ErrorCode::UnknownFeature
    );
}
