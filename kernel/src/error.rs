//! The crate's one error type.

use thiserror::Error;

/// Why the kernel could not do what was asked.
#[derive(Debug, Error)]
pub enum KernelError {
    /// The kernel's verifier rejected the program; `last_line` is the last non-empty line
    /// of its log (the reason), `log` the whole log.
    #[error("verifier rejected the program ({errno}): {last_line}")]
    Rejected {
        /// The error `BPF_PROG_LOAD` returned.
        errno: std::io::Error,
        /// The last non-empty line of the verifier log.
        last_line: String,
        /// The whole verifier log.
        log: String,
    },
    /// A `bpf(2)` command other than the program load failed.
    #[error("{command} failed: {errno}")]
    Syscall {
        /// The command, e.g. `BPF_MAP_CREATE`.
        command: &'static str,
        /// What the kernel returned.
        errno: std::io::Error,
    },
    /// The program cannot be handed to the kernel as it is (e.g. a jump that no longer
    /// fits its offset field after rewriting).
    #[error("cannot prepare the program: {0}")]
    Unsupported(String),
    /// A buffer is larger than the kernel's field for its size.
    #[error("{what} of {len} bytes is too large for the kernel")]
    TooLarge {
        /// What the buffer is.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

impl KernelError {
    /// A failed command with the current `errno`.
    pub(crate) fn syscall(command: &'static str, errno: std::io::Error) -> KernelError {
        KernelError::Syscall { command, errno }
    }

    /// The reason of a verifier rejection (its log's last line), if this is one.
    pub fn verifier_reason(&self) -> Option<&str> {
        match self {
            KernelError::Rejected { last_line, .. } => Some(last_line),
            _ => None,
        }
    }
}
