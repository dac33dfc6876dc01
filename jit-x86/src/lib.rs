//! `bpfprove-jit-x86`: an x86-64 JIT for validated eBPF programs, trusted only as far as
//! differential testing against the reference interpreter shows.
//!
//! The pipeline follows Cranelift's split of a backend by job:
//!
//! ```text
//! Validated<Program> ──lower──► [Inst] ──emit (iced-x86)──► bytes ──W^X──► sealed code
//!                                                                            │
//!              interp::Memory, Helpers, RunConfig ──► JitMachine::run ◄──────┘
//!                                                          │
//!                                            Outcome or interp::Trap (same as the interpreter)
//! ```
//!
//! - `validated`: the token the JIT demands ([`Validated`]), made from the analyzer's
//!   `Verified` token (or, with the `differential-testing` feature, from any program).
//! - [`inst`]: the x86 instructions the JIT emits, as data.
//! - `lower`: eBPF to [`inst::Inst`], including bounds checks, budget accounting,
//!   calls and traps.
//! - `emit`: [`inst::Inst`] to bytes through iced-x86's encoder.
//! - `abi`, `runtime`: the contract between generated code and Rust, and the calls
//!   generated code makes into Rust (helpers, packet loads).
//! - `code_memory`: executable memory that is never writable and executable at once.
//! - [`JitMachine`] (and `run_on_memory` for testing): compiling and running, with the
//!   interpreter's API.
//! - [`object_run`]: programs of ELF objects, set up as the interpreter sets them up.
//! - [`listing`]: the x86 listing interleaved with the eBPF instructions.
//! - `difftest` (`differential-testing`): random programs run in both engines and compared.
//!
//! The JIT runs on the interpreter's own [`bpfprove_semantics::interp::Memory`], with the
//! same guest addresses, and reports the interpreter's traps, so the two are compared
//! value for value: registers, every memory region, instruction counts and traps.

mod abi;
mod code_memory;
#[cfg(feature = "differential-testing")]
pub mod difftest;
mod emit;
mod error;
pub mod inst;
pub mod listing;
mod lower;
mod machine;
pub mod object_run;
mod runtime;
mod validated;

pub use error::JitError;
pub use machine::JitMachine;
#[cfg(feature = "differential-testing")]
pub use machine::{conformance_engine, run_on_memory};
pub use validated::Validated;
