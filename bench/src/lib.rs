//! `bpfprove bench`: verifiers compared on suites of object files.
//!
//! Every program of every object, under every verifier asked for — the analyzer with each
//! value domain, the running kernel's verifier, PREVAIL — becomes one [`row::Row`] with
//! veristat's statistics (verdict, duration, total_insns, total_states, peak_states) and
//! the analyzer's own (obligations proven by kind, peak memory, the first failure).
//!
//! - [`suite`] — the files (read by the caller), their programs, `--shard K/N`;
//!   [`run`] — the parallel run; [`verifier`] — the columns of verifiers;
//!   [`memory`] — per-thread peak heap memory.
//! - [`row`] and [`format`] — columns, table, CSV (written and read), JSON;
//!   [`filter`] — `-f` in veristat's syntax; [`compare`] — `--compare A.csv B.csv` as
//!   veristat's `-C`; [`merge`] — joining shards.
//! - [`key`] — a stable obligation key (pc, kind, operand) shared by every domain;
//!   [`precision`] — which obligations one domain proves and another does not.
//! - [`prevail`] — PREVAIL's output; [`plots`] — SVG plots (as text; the caller writes them).
//! - [`paper`] — the write-up's tables, values and plots from bench results, and its HTML.
//!
//! **IO:** files are read and written by the caller. The verifier columns are the
//! exception: the kernel column calls `bpf(2)` through `bpfprove-kernel`, and the PREVAIL
//! column runs the `prevail` process.

pub mod compare;
pub mod error;
pub mod filter;
pub mod format;
pub mod generate;
pub mod key;
pub mod memory;
pub mod merge;
pub mod paper;
pub mod plots;
pub mod precision;
pub mod prevail;
pub mod row;
pub mod run;
pub mod scale;
pub mod suite;
pub mod verifier;

pub use error::BenchError;
