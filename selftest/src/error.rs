//! The crate's errors.

use std::path::PathBuf;

use thiserror::Error;

/// A test annotation that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("annotation `{tag}`: {reason}")]
pub struct AnnotationError {
    /// The whole tag, as the BTF holds it.
    pub tag: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Why the judge could not run.
#[derive(Debug, Error)]
pub enum SelftestError {
    /// A path given could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// A file given is larger than any object the judge reads.
    #[error("{path}: larger than {limit_mib} MiB, the most bpfprove reads")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit_mib: u64,
    },
    /// A directory given holds no object files.
    #[error("{0}: no `.o` files")]
    NoObjects(PathBuf),
    /// The known-failures file is not valid.
    #[error("known-failures file {path}: {reason}")]
    KnownFailures {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The known-failures file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
}
