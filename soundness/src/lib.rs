//! The soundness oracle of bpfprove: it looks for programs the verifier accepts that go
//! wrong when they run.
//!
//! The pipeline, one module each:
//! - [`generate`] writes programs shaped like real verifier inputs (pointers of every
//!   region, map lookups and NULL checks, packet bounds checks in every spelling, spills
//!   and fills, calls passing pointers, `callx`, `gotox`, loops), each idiom safe as
//!   written unless a mutation breaks it;
//! - [`environment`] puts a program into an object with a fixed set of maps and global
//!   data, as a loader would;
//! - [`oracle`] verifies it and runs every accepted program on many inputs in the reference
//!   interpreter: a trap or a forbidden return value is a soundness bug;
//! - [`minimise`] shrinks a failing program by delta debugging over its lines;
//! - [`campaign`] runs it all in parallel under a program count or a time limit.
//!
//! No IO happens here: the CLI (`bpfprove soundness-fuzz`) writes findings and progress.

pub mod campaign;
pub mod environment;
pub mod generate;
pub mod minimise;
pub mod oracle;

use thiserror::Error;

pub use campaign::{FuzzConfig, FuzzReport, Limit, Stats, fuzz};
pub use generate::{Case, GenConfig};
pub use oracle::{Judge, OracleConfig};

/// Why the fuzzer could not go on.
#[derive(Debug, Error)]
pub enum FuzzError {
    /// A generated program does not parse (a generator bug).
    #[error("generated program does not parse: {0}")]
    Parse(#[from] bpfprove_semantics::asm::AsmError),
    /// A generated program's section names no program type (a generator bug).
    #[error("generated program has an unknown program type")]
    UnknownProgramType,
    /// The interpreter could not be set up for a program, or refused an input.
    #[error(transparent)]
    Run(#[from] bpfprove_semantics::interp::elf_run::ObjectRunError),
    /// The worker threads could not be started.
    #[error("cannot start worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
}
