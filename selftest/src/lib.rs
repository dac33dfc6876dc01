//! `bpfprove-selftest`: the kernel's verifier selftests as bpfprove's external judge.
//!
//! The selftests (`tools/testing/selftests/bpf/progs/verifier_*.c`, built by
//! `scripts/build-selftests`) say what the kernel's verifier must do with each program in
//! BTF declaration tags (`__success`, `__failure`, `__msg(...)`, `__retval(N)`, ...). This
//! crate reads them ([`annotation`]), verifies every test program with the analyzer, runs the
//! passing ones that expect a value in the interpreter, optionally loads each into the live
//! kernel ([`judge`]), and says where bpfprove disagrees and why ([`outcome`], [`classify`],
//! [`report`]). [`known_failures`] keeps today's disagreements so CI fails only on new ones.
//!
//! ```text
//! verifier_*.o ─► elf::function_decl_tags ─► Expectation (per program)
//!             └─► elf::load ─► Subject ─► Verifier ─► Got (PASS / FAIL / load error)
//!                                    └─► ObjectRunner (retval) ─► RetvalCheck
//!                                    └─► kernel::object::load_for_verdict ─► KernelVerdict
//!                         TestOutcome ─► Disagreement ─► Reason ─► known-failures.toml
//! ```

pub mod annotation;
pub mod classify;
mod error;
pub mod fixtures;
pub mod judge;
pub mod known_failures;
pub mod outcome;
pub mod report;

pub use error::{AnnotationError, SelftestError};
pub use judge::{Judgement, Options, judge};
pub use known_failures::KnownFailures;
pub use outcome::{Disagreement, Got, TestId, TestOutcome};
