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
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 14] = [
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
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine error. `shortfall` is set only for `E_INSUFFICIENT` (the credits missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub shortfall: Option<u64>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            shortfall: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::BadRequest, message)
    }
    pub fn insufficient(needed: u64, available: u64, shortfall: u64, what: &str) -> Self {
        Error {
            code: ErrorCode::Insufficient,
            message: format!(
                "not enough credits: {what} needs {needed}, {available} usable, {shortfall} short"
            ),
            shortfall: Some(shortfall),
        }
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
