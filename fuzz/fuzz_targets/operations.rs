//! Structured wallet fuzzing: a zone, a start instant and up to 64 (time step, operation) pairs applied to one
//! wallet; the ledger invariants are checked after every step (see `src/ops.rs`). `cargo fuzz fmt operations <file>`
//! prints an input as the operations it decodes to.
#![no_main]

use credit_engine_fuzz::ops::{run, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: Input| {
    let _ = run(&input);
});
