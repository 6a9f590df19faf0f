//! `Credits`: a whole, non-negative number of credits that always fits a JavaScript number exactly.
//! All arithmetic is checked: anything past 2^53 - 1 is `E_OVERFLOW`, anything below zero is a bug we refuse.

use crate::error::{Error, Result};
use std::fmt;

/// 2^53 - 1: the largest integer a JS number holds exactly.
pub const MAX_CREDITS: u64 = (1u64 << 53) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Credits(u64);

impl Credits {
    pub const ZERO: Credits = Credits(0);

    /// A credit amount from a caller or a snapshot; more than 2^53 - 1 is `E_OVERFLOW`.
    pub fn new(value: u64) -> Result<Credits> {
        if value > MAX_CREDITS {
            return Err(Error::overflow("this credit amount"));
        }
        Ok(Credits(value))
    }
    pub fn get(self) -> u64 {
        self.0
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn plus(self, other: Credits) -> Result<Credits> {
        match self.0.checked_add(other.0) {
            Some(v) if v <= MAX_CREDITS => Ok(Credits(v)),
            _ => Err(Error::overflow("a credit sum")),
        }
    }
    /// Subtraction that refuses to go below zero (an internal-consistency failure, reported, never wrapped).
    pub fn minus(self, other: Credits) -> Result<Credits> {
        self.0
            .checked_sub(other.0)
            .map(Credits)
            .ok_or_else(|| Error::overflow("a credit difference below zero"))
    }
    pub fn saturating_sub(self, other: Credits) -> Credits {
        Credits(self.0.saturating_sub(other.0))
    }
    pub fn times(self, factor: u64) -> Result<Credits> {
        match self.0.checked_mul(factor) {
            Some(v) if v <= MAX_CREDITS => Ok(Credits(v)),
            _ => Err(Error::overflow("a price times units")),
        }
    }
    pub fn min(self, other: Credits) -> Credits {
        Credits(self.0.min(other.0))
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
