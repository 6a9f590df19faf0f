//! The price list: features, tiers, unit rules, and quoting. The default catalog of SPEC section 3 is embedded as
//! JSON (`default_catalog.json`) and goes through the same validating loader as any custom catalog. A catalog's id
//! is derived from its content, so two runtimes holding the same prices agree on the id.

use crate::codec::Loose;
use crate::credits::Credits;
use crate::error::{num_text, Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// The embedded default catalog (SPEC section 3).
pub const DEFAULT_CATALOG_JSON: &str = include_str!("default_catalog.json");

/// Largest catalog text accepted, in bytes.
pub const MAX_CATALOG_BYTES: usize = 256 * 1024;
/// Most features a catalog may list.
pub const MAX_FEATURES: usize = 500;
/// Largest unit count or price a catalog may state; keeps every quote far from the overflow limit.
const MAX_CATALOG_NUMBER: u64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    General,
    Premium,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::General => "general",
            Tier::Premium => "premium",
        }
    }
    pub fn parse(text: &str) -> Result<Tier> {
        match text {
            "general" => Ok(Tier::General),
            "premium" => Ok(Tier::Premium),
            other => Err(Error::bad_request(format!(
                "tier must be 'general' or 'premium', got '{}'",
                crate::error::clip(other, 32)
            ))),
        }
    }
}

/// How a feature counts units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// A count of items; the request may give `units`, else this default applies.
    Units { default_units: u64 },
    /// Per started block of this many seconds; the request must give `seconds`.
    PerSeconds { block_seconds: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub id: String,
    pub agent: bool,
    pub unit: String,
    pub billing: Billing,
    pub general: Credits,
    pub premium: Option<Credits>,
}

impl Feature {
    pub fn price(&self, tier: Tier) -> Option<Credits> {
        match tier {
            Tier::General => Some(self.general),
            Tier::Premium => self.premium,
        }
    }
}

/// A validated usage request: what a caller wants to do and how much of it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRequest {
    pub feature: String,
    pub units: Option<u64>,
    pub tier: Option<Tier>,
    pub seconds: Option<f64>,
}

/// Largest unit count a request may ask for.
pub const MAX_UNITS: u64 = 1_000_000;
/// Longest video a request may ask for, in seconds.
pub const MAX_SECONDS: f64 = 86_400.0;

impl UsageRequest {
    pub fn feature(feature: &str) -> UsageRequest {
        UsageRequest {
            feature: feature.to_string(),
            units: None,
            tier: None,
            seconds: None,
        }
    }
    pub fn units(mut self, units: u64) -> Self {
        self.units = Some(units);
        self
    }
    pub fn tier(mut self, tier: Tier) -> Self {
        self.tier = Some(tier);
        self
    }
    pub fn seconds(mut self, seconds: f64) -> Self {
        self.seconds = Some(seconds);
        self
    }

    /// Builds a request from loosely typed caller values (as they arrive from JavaScript), checking each field.
    pub fn from_raw(
        feature: &str,
        units: Option<f64>,
        tier: Option<&str>,
        seconds: Option<f64>,
    ) -> Result<UsageRequest> {
        if feature.is_empty() || feature.len() > 128 {
            return Err(Error::bad_request(
                "feature must be a non-empty feature id such as 'ai_background'",
            ));
        }
        let units = match units {
            None => None,
            Some(u) => Some(positive_whole(u, "units", MAX_UNITS)?),
        };
        let tier = tier.map(Tier::parse).transpose()?;
        check_amounts(units, seconds)?;
        Ok(UsageRequest {
            feature: feature.to_string(),
            units,
            tier,
            seconds,
        })
    }
}

/// A positive whole number from a JS number, at most `max`.
pub fn positive_whole(value: f64, field: &str, max: u64) -> Result<u64> {
    if !value.is_finite() || value.fract() != 0.0 || value < 1.0 {
        return Err(Error::bad_request(format!(
            "{field} must be a positive whole number, got {}",
            num_text(value)
        )));
    }
    if value > max as f64 {
        return Err(Error::bad_request(format!(
            "{field} may be at most {}, got {}",
            crate::error::int_text(max as i64),
            num_text(value)
        )));
    }
    Ok(value as u64)
}

/// The price of a request under one catalog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub feature: String,
    pub agent: bool,
    pub tier: Tier,
    pub units: u64,
    pub unit_credits: Credits,
    pub credits: Credits,
    pub catalog: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    id: String,
    features: Vec<Feature>,
}

fn catalog_err(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Catalog, message)
}

impl Catalog {
    /// The embedded default price list.
    pub fn default_catalog() -> Catalog {
        // The embedded JSON is checked by a unit test; should it ever fail, an empty catalog would only ever
        // answer E_UNKNOWN_FEATURE, never trap.
        Catalog::from_json(DEFAULT_CATALOG_JSON).unwrap_or_else(|_| Catalog::build(Vec::new()))
    }

    pub fn from_json(text: &str) -> Result<Catalog> {
        if text.len() > MAX_CATALOG_BYTES {
            return Err(catalog_err(format!(
                "catalog JSON is {} bytes; the limit is {MAX_CATALOG_BYTES}",
                text.len()
            )));
        }
        Catalog::from_doc(crate::codec::from_json(
            text,
            "catalog",
            ErrorCode::Catalog,
        )?)
    }

    /// A catalog from its read document, validated.
    fn from_doc(doc: CatalogIn) -> Result<Catalog> {
        if !matches!(doc.version, Loose::Whole(1)) {
            return Err(catalog_err("catalog version must be 1"));
        }
        let list = doc.features;
        if list.is_empty() || list.len() > MAX_FEATURES {
            return Err(catalog_err(format!(
                "catalog must list between 1 and {MAX_FEATURES} features, got {}",
                list.len()
            )));
        }
        let mut features: Vec<Feature> = Vec::with_capacity(list.len());
        for (i, item) in list.into_iter().enumerate() {
            let feature = item.into_feature(i)?;
            if features.iter().any(|f| f.id == feature.id) {
                return Err(catalog_err(format!(
                    "feature '{}' is listed twice",
                    feature.id
                )));
            }
            features.push(feature);
        }
        Ok(Catalog::build(features))
    }

    fn build(features: Vec<Feature>) -> Catalog {
        let mut catalog = Catalog {
            id: String::new(),
            features,
        };
        catalog.id = catalog.content_id();
        catalog
    }

    /// `cat-` and 16 hex digits of a 64-bit FNV-1a hash over the features in id order: the same prices give the
    /// same id whatever the order or formatting of the JSON they came from.
    fn content_id(&self) -> String {
        let features: Vec<&Feature> = self.features.iter().collect();
        let sorted = crate::sort::sorted(&features, &|a, b| a.id.cmp(&b.id));
        let out: Vec<FeatureOut<'_>> = sorted.into_iter().map(FeatureOut::of).collect();
        let text = crate::codec::to_json(&out);
        let hash = crate::codec::fnv1a(text.as_bytes());
        let digits: String = (0..16)
            .rev()
            .map(|k| char::from_digit(((hash >> (k * 4)) & 0xf) as u32, 16).unwrap_or('0'))
            .collect();
        format!("cat-{digits}")
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    pub fn feature(&self, id: &str) -> Result<&Feature> {
        // A linear scan: catalogs are small, and it keeps a hash map out of the module.
        self.features.iter().find(|f| f.id == id).ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownFeature,
                format!(
                    "unknown feature '{}' in catalog {}",
                    crate::error::clip(id, 64),
                    self.id
                ),
            )
        })
    }

    /// The catalog as JSON text, in the format `from_json` reads.
    pub fn to_json(&self) -> String {
        crate::codec::to_json(&self.to_doc())
    }

    /// The catalog in the shape `from_json` reads, for any serde serializer (JS values through
    /// serde-wasm-bindgen).
    pub fn to_doc(&self) -> CatalogOut<'_> {
        CatalogOut {
            version: 1,
            features: self.features.iter().map(FeatureOut::of).collect(),
        }
    }

    /// Prices a request: units x unit price, video per started block of seconds.
    pub fn quote(&self, req: &UsageRequest) -> Result<Quote> {
        check_amounts(req.units, req.seconds)?;
        let feature = self.feature(&req.feature)?;
        let p = price_of(feature, req.units, req.tier, req.seconds)?;
        Ok(Quote {
            feature: feature.id.clone(),
            agent: p.agent,
            tier: p.tier,
            units: p.units,
            unit_credits: p.unit_credits,
            credits: p.credits,
            catalog: self.id.clone(),
        })
    }

    /// `quote` without its strings, for the feature at `index` in `features()` (the JS fast path).
    pub fn price_at(
        &self,
        index: usize,
        units: Option<u64>,
        tier: Option<Tier>,
        seconds: Option<f64>,
    ) -> Result<Price> {
        check_amounts(units, seconds)?;
        let feature = self
            .features
            .get(index)
            .ok_or_else(|| Error::new(ErrorCode::UnknownFeature, "unknown feature index"))?;
        price_of(feature, units, tier, seconds)
    }
}

/// The numbers of a quote: what pricing and the consumption order need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub agent: bool,
    pub tier: Tier,
    pub units: u64,
    pub unit_credits: Credits,
    pub credits: Credits,
}

/// The field rules of SPEC section 8 for units and seconds, whoever built the request.
fn check_amounts(units: Option<u64>, seconds: Option<f64>) -> Result<()> {
    if let Some(units) = units {
        positive_whole(units as f64, "units", MAX_UNITS)?;
    }
    if let Some(s) = seconds {
        if !s.is_finite() || s <= 0.0 {
            return Err(Error::bad_request(format!(
                "seconds must be a positive finite number, got {}",
                num_text(s)
            )));
        }
        if s > MAX_SECONDS {
            return Err(Error::bad_request(format!(
                "seconds may be at most 86400, got {}",
                num_text(s)
            )));
        }
    }
    Ok(())
}

/// Units x unit price; video per started block of seconds (SPEC section 3).
fn price_of(
    feature: &Feature,
    units: Option<u64>,
    tier: Option<Tier>,
    seconds: Option<f64>,
) -> Result<Price> {
    let tier = tier.unwrap_or(Tier::General);
    let unit_credits = feature.price(tier).ok_or_else(|| {
        Error::new(
            ErrorCode::TierUnavailable,
            format!(
                "feature '{}' has no {} tier; use 'general'",
                feature.id,
                tier.as_str()
            ),
        )
    })?;
    let units = match feature.billing {
        Billing::Units { default_units } => {
            if seconds.is_some() {
                return Err(Error::bad_request(format!(
                    "feature '{}' is billed per {}, not per second: give units, not seconds",
                    feature.id, feature.unit
                )));
            }
            units.unwrap_or(default_units)
        }
        Billing::PerSeconds { block_seconds } => {
            if units.is_some() {
                return Err(Error::bad_request(format!(
                    "feature '{}' is billed per started {block_seconds} seconds: give seconds, not units",
                    feature.id
                )));
            }
            let seconds = seconds.ok_or_else(|| {
                Error::bad_request(format!(
                    "feature '{}' is billed per started {block_seconds} seconds: seconds is required",
                    feature.id
                ))
            })?;
            blocks(seconds, block_seconds)?
        }
    };
    Ok(Price {
        agent: feature.agent,
        tier,
        units,
        unit_credits,
        credits: unit_credits.times(units)?,
    })
}

/// Started blocks of `block` seconds in `seconds` (7 s in 5 s blocks -> 2).
fn blocks(seconds: f64, block: u64) -> Result<u64> {
    let n = (seconds / block as f64).ceil();
    if !n.is_finite() || n < 1.0 || n > MAX_UNITS as f64 {
        return Err(Error::bad_request(format!(
            "seconds {} gives an unsupported number of blocks",
            num_text(seconds)
        )));
    }
    Ok(n as u64)
}

/// A catalog as `Catalog.toJSON()` gives it and `from_json` reads it.
#[derive(Serialize)]
pub struct CatalogOut<'a> {
    version: u32,
    features: Vec<FeatureOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureOut<'a> {
    id: &'a str,
    agent: bool,
    unit: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_units: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    block_seconds: Option<u64>,
    prices: PricesOut,
}

#[derive(Serialize)]
struct PricesOut {
    general: Credits,
    #[serde(skip_serializing_if = "Option::is_none")]
    premium: Option<Credits>,
}

impl FeatureOut<'_> {
    fn of(f: &Feature) -> FeatureOut<'_> {
        let (default_units, block_seconds) = match f.billing {
            Billing::Units { default_units } => (Some(default_units), None),
            Billing::PerSeconds { block_seconds } => (None, Some(block_seconds)),
        };
        FeatureOut {
            id: &f.id,
            agent: f.agent,
            unit: &f.unit,
            default_units,
            block_seconds,
            prices: PricesOut {
                general: f.general,
                premium: f.premium,
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogIn {
    version: Loose,
    features: Vec<FeatureIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FeatureIn {
    id: String,
    agent: bool,
    unit: String,
    default_units: Option<Loose>,
    block_seconds: Option<Loose>,
    prices: PricesIn,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesIn {
    general: Option<Loose>,
    premium: Option<Loose>,
}

impl FeatureIn {
    fn into_feature(self, i: usize) -> Result<Feature> {
        let id = self.id;
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        {
            return Err(catalog_err(format!(
                "features[{i}].id must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'"
            )));
        }
        let at = format!("feature '{id}'");
        let positive = |v: Loose, key: &str| -> Result<u64> {
            match v {
                Loose::Whole(v) if (1..=MAX_CATALOG_NUMBER).contains(&v) => Ok(v),
                _ => Err(catalog_err(format!(
                    "{at}.{key} must be a whole number from 1 to 1000000000"
                ))),
            }
        };
        if self.unit.is_empty() || self.unit.len() > 64 {
            return Err(catalog_err(format!(
                "{at}.unit must be a short non-empty text"
            )));
        }
        let billing = match (self.default_units, self.block_seconds) {
            (Some(_), Some(_)) => {
                return Err(catalog_err(format!(
                    "{at}: give either 'defaultUnits' or 'blockSeconds', not both"
                )))
            }
            (Some(n), None) => Billing::Units {
                default_units: positive(n, "defaultUnits")?,
            },
            (None, Some(n)) => Billing::PerSeconds {
                block_seconds: positive(n, "blockSeconds")?,
            },
            (None, None) => {
                return Err(catalog_err(format!(
                    "{at}: needs 'defaultUnits' or 'blockSeconds'"
                )))
            }
        };
        let Some(general) = self.prices.general else {
            return Err(catalog_err(format!(
                "{at}: prices is missing the 'general' tier"
            )));
        };
        let general = Credits::new(positive(general, "prices.general")?)?;
        let premium = match self.prices.premium {
            None => None,
            Some(n) => Some(Credits::new(positive(n, "prices.premium")?)?),
        };
        Ok(Feature {
            id,
            agent: self.agent,
            unit: self.unit,
            billing,
            general,
            premium,
        })
    }
}
