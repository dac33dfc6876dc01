//! Whether this process may use the kernel oracle at all, and what tests do when not.

use crate::program::{LoadRequest, ProgramType, load};

/// `r0 = 0; exit`.
const TRIVIAL_PROGRAM: [u8; 16] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];

/// `Ok` when a trivial socket filter loads (root, or `CAP_BPF`, and a kernel with
/// `bpf(2)`), else why not.
pub fn probe() -> Result<(), String> {
    let request = LoadRequest::new(ProgramType::SocketFilter, &TRIVIAL_PROGRAM);
    match load(&request) {
        Ok(_) => Ok(()),
        Err(error) => Err(format!("the kernel oracle is unavailable: loading `r0 = 0; exit` failed: {error}")),
    }
}

/// What a test over the kernel does when [`probe`] fails: outside CI it prints why and
/// returns `false` (the test then passes without checking anything, and says so); under
/// `CI=true` the capability is expected, so it panics with the reason.
pub fn available_or_explain(test: &str) -> bool {
    match probe() {
        Ok(()) => true,
        Err(reason) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: {reason} (CI=true expects the kernel oracle to be available)")
        }
        Err(reason) => {
            eprintln!("{test}: NOT RUN: {reason}; run as root (or with CAP_BPF) to check against the kernel");
            false
        }
    }
}
