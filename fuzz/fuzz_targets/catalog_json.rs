//! Arbitrary bytes into `Catalog::from_json`. Any catalog that loads must round-trip through `to_json_value()`
//! (same id, same features, same text), and quoting each feature (defaults, the limits, premium, seconds) either
//! works and agrees with the catalog's prices or returns a typed error.
#![no_main]

use credit_engine::catalog::{Billing, MAX_SECONDS, MAX_UNITS};
use credit_engine::{Catalog, Tier, UsageRequest};
use credit_engine_fuzz::invariants::check_error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let catalog = match Catalog::from_json(&text) {
        Ok(c) => c,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    assert!(
        catalog.id().starts_with("cat-") && catalog.id().len() == 20,
        "catalog id {}",
        catalog.id()
    );

    let written = catalog.to_json();
    let again = match Catalog::from_json(&written) {
        Ok(c) => c,
        Err(e) => panic!("a catalog's own JSON does not load: {e}\n{written}"),
    };
    assert_eq!(
        again.id(),
        catalog.id(),
        "catalog id changed in a round trip"
    );
    assert_eq!(
        again.features(),
        catalog.features(),
        "features changed in a round trip"
    );
    assert_eq!(
        again.to_json(),
        written,
        "catalog JSON not stable"
    );

    for (index, f) in catalog.features().iter().enumerate() {
        let base = UsageRequest::feature(&f.id);
        let requests = [
            base.clone(),
            base.clone().tier(Tier::Premium),
            base.clone().units(MAX_UNITS),
            base.clone().units(MAX_UNITS).tier(Tier::Premium),
            base.clone().seconds(1.0),
            base.clone().seconds(MAX_SECONDS).tier(Tier::Premium),
            base.clone().seconds(0.001),
        ];
        for req in &requests {
            let quote = catalog.quote(req);
            let fast = catalog.price_at(index, req.units, req.tier, req.seconds);
            match &quote {
                Ok(q) => {
                    assert_eq!(q.feature, f.id);
                    assert_eq!(q.catalog, catalog.id());
                    assert_eq!(q.agent, f.agent);
                    let tier = req.tier.unwrap_or(Tier::General);
                    assert_eq!(
                        Some(q.unit_credits),
                        f.price(tier),
                        "unit price of {}",
                        f.id
                    );
                    assert_eq!(
                        u128::from(q.credits.get()),
                        u128::from(q.units) * u128::from(q.unit_credits.get()),
                        "credits != units x unit price for {}",
                        f.id
                    );
                    match f.billing {
                        Billing::Units { default_units } => {
                            assert_eq!(q.units, req.units.unwrap_or(default_units));
                        }
                        Billing::PerSeconds { block_seconds } => {
                            let s = req.seconds.unwrap_or(0.0);
                            let blocks = (s / block_seconds as f64).ceil() as u64;
                            assert_eq!(q.units, blocks, "started blocks of {} for {s} s", f.id);
                        }
                    }
                    let p = match fast {
                        Ok(p) => p,
                        Err(e) => panic!("quote ok but price_at failed: {e}"),
                    };
                    assert_eq!((p.credits, p.units, p.agent), (q.credits, q.units, q.agent));
                }
                Err(e) => {
                    check_error(e);
                    match &fast {
                        Ok(p) => panic!("quote failed ({e}) but price_at gave {p:?}"),
                        Err(e2) => assert_eq!(e2.code, e.code),
                    }
                }
            }
        }
    }
});
