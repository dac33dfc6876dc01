//! Every verb writes its standard output through here, so that a write that fails ends the
//! verb with an error instead of a panic (`println!` panics), and `main` can tell a reader
//! that went away (`| head`: end quietly) from a device that is full (an error).
//!
//! Diagnostics on standard error go through [`note`], which never fails: a closed standard
//! error must not stop a run.

use std::fmt;
use std::io::{self, Write as _};

/// Writing to standard output failed.
#[derive(Debug)]
pub(crate) struct StdoutError(io::Error);

impl StdoutError {
    /// Whether the reader closed its end (`bpfprove … | head`): the verb ends quietly.
    pub(crate) fn is_closed_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot write to standard output")
    }
}

impl std::error::Error for StdoutError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Writes `args` to standard output.
pub(crate) fn write(args: fmt::Arguments<'_>) -> Result<(), StdoutError> {
    io::stdout().lock().write_fmt(args).map_err(StdoutError)
}

/// Flushes standard output: what is still buffered can fail too (a full disk often fails
/// only here).
pub(crate) fn flush() -> Result<(), StdoutError> {
    io::stdout().lock().flush().map_err(StdoutError)
}

/// Writes `contents` to the file at `path` (replacing it), the path named in the error.
pub(crate) fn write_file(path: &std::path::Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `args` and a newline to standard error, ignoring failures (diagnostics are best
/// effort).
pub(crate) fn note(args: fmt::Arguments<'_>) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_fmt(args);
    let _ = stderr.write_all(b"\n");
}

/// Like `print!`, through [`write`]: evaluates to `Result<(), StdoutError>`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

/// Like `println!`, through [`write`]: evaluates to `Result<(), StdoutError>`.
macro_rules! outln {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
