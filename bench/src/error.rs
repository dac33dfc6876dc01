//! The crate's one error type.

use thiserror::Error;

/// Why a bench request cannot be carried out. Failures of a verifier on a program are not
/// errors: they are rows (verdict `failure`, or `N/A` with the reason).
#[derive(Debug, Error)]
pub enum BenchError {
    /// A command-line value that does not parse (a verifier, column, filter or shard).
    #[error("{0}")]
    BadArgument(String),
    /// A results file (CSV) that does not parse.
    #[error("{file}, line {line}: {reason}")]
    BadResults {
        /// The file as the user named it.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The paper's source refers to something not generated, or is malformed.
    #[error("paper, line {line}: {reason}")]
    Paper {
        /// 1-based line of the source.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A plot could not be drawn.
    #[error("plot {plot}: {reason}")]
    Plot {
        /// Which plot.
        plot: String,
        /// The drawing library's complaint.
        reason: String,
    },
}
