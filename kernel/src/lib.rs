//! The live Linux kernel as a third execution oracle, beside the reference interpreter and
//! the JIT: programs are loaded with `BPF_PROG_LOAD` (maps made with `BPF_MAP_CREATE`) and
//! run with `BPF_PROG_TEST_RUN`, and what they return and write is compared with the
//! interpreter. The kernel's verifier refuses many programs the interpreter runs; each
//! refusal is reported with the last line of the verifier log.
//!
//! - [`program`] — loading and test runs; [`maps`] — kernel maps; [`btf`] — the minimal
//!   BTF that multi-function programs with legacy packet loads need.
//! - [`conformance`] — the bpf_conformance suite through the kernel
//!   ([`conformance::compare_case`]).
//! - [`capability`] — whether this process may use the oracle.
//!
//! The only `unsafe` is the system call itself, in the private `sys` module.

pub mod btf;
pub mod capability;
pub mod conformance;
mod error;
pub mod maps;
pub mod object;
pub mod program;
pub mod random;
pub mod rewrite;
mod sys;
pub mod verdict;

pub use error::KernelError;
