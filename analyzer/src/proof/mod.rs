//! Proof logs: the analysis written as a JSON document ([`log`]), by default with states
//! only at the [`cut_points`], and its independent checker ([`check`]), which re-derives
//! the states in between.
//!
//! **Architecture invariant:** `check` uses the transfer function, states and domains, and
//! never the engine, CFG or iteration order: a bug in the fixpoint cannot make a wrong log
//! pass.

pub mod check;
pub mod cut_points;
pub mod log;

pub use check::{CheckError, CheckSummary, Selection, check, check_bare, check_selected, check_subject};
pub use log::{Invariants, ProgramLog, ProofLog, ReadError, SCHEMA_VERSION};

use crate::subject::Subject;
use crate::verify::{Config, Report};

/// The proof log of `reports` (each program's subject and report, analysed with
/// [`Config::all_invariants`]), for the object whose file is `file` with bytes `bytes`,
/// keeping the states `invariants` says.
pub fn log_of(
    file: &str,
    bytes: &[u8],
    config: &Config,
    reports: &[(Subject, Report)],
    invariants: Invariants,
    peak_rss_kib: Option<u64>,
) -> ProofLog {
    ProofLog {
        schema_version: SCHEMA_VERSION,
        tool: format!("bpfprove {}", env!("CARGO_PKG_VERSION")),
        object: log::ObjectId { file: file.to_owned(), sha256: log::sha256_hex(bytes) },
        options: log::Options::of(config, invariants),
        programs: reports
            .iter()
            .map(|(subject, report)| ProgramLog::of(subject, report, invariants, peak_rss_kib))
            .collect(),
    }
}
