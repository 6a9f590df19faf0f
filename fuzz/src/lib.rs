//! Shared code of the fuzz targets in `fuzz_targets/`: the wallet invariants and the structured operations target.
pub mod encode;
pub mod invariants;
pub mod ops;
