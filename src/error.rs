//! The one error type of the engine: a stable machine code (SPEC section 7) and a message a person can act on.
//! Every fallible core function returns `Result<T, Error>`; the JS layer turns it into an `Error` with `.code`.

use std::fmt;

/// Stable error codes. The string form (`E_...`) is part of the public contract and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadRequest,
    UnknownFeature,
    TierUnavailable,
    Insufficient,
    MembersOnly,
    IdempotencyConflict,
    NotFound,
    RefundExceeds,
    Snapshot,
    Catalog,
    Time,
    TimeZone,
    ClockRegression,
    Overflow,
    /// Signed wallet tokens (`token`): not a well-formed `ce2` token (truncated, bad base64 or payload, bad or
    /// repeated fields, an old `ce1` token).
    TokenMalformed,
    /// A token whose `alg` is not `HS256`.
    TokenAlgorithm,
    /// A token signed with a key id the verifier does not hold.
    TokenKey,
    /// A token whose signature does not match its content (altered, or signed with another key).
    TokenSignature,
    /// A token past its expiry (or issued in the future) beyond the allowed clock skew.
    TokenExpired,
    /// A token priced against another catalog than the verifier's.
    TokenCatalog,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 20] = [
        ErrorCode::BadRequest,
        ErrorCode::UnknownFeature,
        ErrorCode::TierUnavailable,
        ErrorCode::Insufficient,
        ErrorCode::MembersOnly,
        ErrorCode::IdempotencyConflict,
        ErrorCode::NotFound,
        ErrorCode::RefundExceeds,
        ErrorCode::Snapshot,
        ErrorCode::Catalog,
        ErrorCode::Time,
        ErrorCode::TimeZone,
        ErrorCode::ClockRegression,
        ErrorCode::Overflow,
        ErrorCode::TokenMalformed,
        ErrorCode::TokenAlgorithm,
        ErrorCode::TokenKey,
        ErrorCode::TokenSignature,
        ErrorCode::TokenExpired,
        ErrorCode::TokenCatalog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "E_BAD_REQUEST",
            ErrorCode::UnknownFeature => "E_UNKNOWN_FEATURE",
            ErrorCode::TierUnavailable => "E_TIER_UNAVAILABLE",
            ErrorCode::Insufficient => "E_INSUFFICIENT",
            ErrorCode::MembersOnly => "E_MEMBERS_ONLY",
            ErrorCode::IdempotencyConflict => "E_IDEMPOTENCY_CONFLICT",
            ErrorCode::NotFound => "E_NOT_FOUND",
            ErrorCode::RefundExceeds => "E_REFUND_EXCEEDS",
            ErrorCode::Snapshot => "E_SNAPSHOT",
            ErrorCode::Catalog => "E_CATALOG",
            ErrorCode::Time => "E_TIME",
            ErrorCode::TimeZone => "E_TIME_ZONE",
            ErrorCode::ClockRegression => "E_CLOCK_REGRESSION",
            ErrorCode::Overflow => "E_OVERFLOW",
            ErrorCode::TokenMalformed => "E_TOKEN_MALFORMED",
            ErrorCode::TokenAlgorithm => "E_TOKEN_ALGORITHM",
            ErrorCode::TokenKey => "E_TOKEN_KEY",
            ErrorCode::TokenSignature => "E_TOKEN_SIGNATURE",
            ErrorCode::TokenExpired => "E_TOKEN_EXPIRED",
            ErrorCode::TokenCatalog => "E_TOKEN_CATALOG",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine error. Boxed so that every `Result` stays small (this is most of the module's copying code); its
/// fields read as `err.code`, `err.message`, `err.shortfall`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<ErrorInner>);

/// What an error says. `shortfall` is set only for `E_INSUFFICIENT` (the credits missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInner {
    pub code: ErrorCode,
    pub message: String,
    pub shortfall: Option<u64>,
}

impl std::ops::Deref for Error {
    type Target = ErrorInner;
    fn deref(&self) -> &ErrorInner {
        &self.0
    }
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner {
            code,
            message: message.into(),
            shortfall: None,
        }))
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::BadRequest, message)
    }
    /// `E_INSUFFICIENT`: `scope` says which credits could pay (agent features: agent and regular).
    pub fn insufficient(
        feature: &str,
        needed: u64,
        available: u64,
        shortfall: u64,
        scope: &str,
    ) -> Self {
        Error(Box::new(ErrorInner {
            code: ErrorCode::Insufficient,
            message: format!(
                "not enough credits for {feature}: it costs {needed}, usable {scope}: {available}; {shortfall} short"
            ),
            shortfall: Some(shortfall),
        }))
    }
    pub fn overflow(what: &str) -> Self {
        Error::new(
            ErrorCode::Overflow,
            format!("{what} would exceed the largest exact credit amount (2^53 - 1)"),
        )
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::NotFound, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A JS number as text for messages, without pulling float formatting into the module: whole numbers exactly,
/// others to six decimals.
pub fn num_text(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if v.abs() >= 1e18 {
        return if v > 0.0 {
            "a number above 10^18".into()
        } else {
            "a number below -10^18".into()
        };
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    let whole = a.trunc();
    let mut micro = ((a - whole) * 1e6).round() as i64;
    let mut whole = whole as i64;
    if micro >= 1_000_000 {
        whole += 1;
        micro -= 1_000_000;
    }
    if micro == 0 {
        return format!("{sign}{}", int_text(whole));
    }
    let mut frac = int_text(micro + 1_000_000);
    frac.remove(0);
    format!("{sign}{}.{}", int_text(whole), frac.trim_end_matches('0'))
}

/// At most `max` characters of caller text, for quoting it in a message.
pub fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => text.get(..end).unwrap_or(text),
        None => text,
    }
}

/// `items` joined by `sep`: `[&str]::join` without the generic copy routine it brings into the module.
pub fn join(items: &[&str], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(item);
    }
    out
}

/// An integer as decimal text.
pub fn int_text(n: i64) -> String {
    n.to_string()
}
