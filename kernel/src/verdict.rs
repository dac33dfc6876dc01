//! The kernel's verifier as a verdict with statistics: a program of an ELF object loaded
//! with `BPF_PROG_LOAD` at log level `BPF_LOG_STATS`, whose log ends with
//! `processed N insns (limit ...) max_states_per_insn M total_states T peak_states P ...`
//! and `verification time U usec`. A rejected program is loaded again at log level 1 for
//! the reason (the log's last line). Program types are the kernel model's
//! (`model::section`), loaded with the expected attach type the kernel demands for some;
//! types that need BTF ids of the running kernel (fentry, lsm, struct_ops, iterators) are
//! not loaded here.

use std::time::{Duration, Instant};

use bpfprove_semantics::elf::{LoadedProgram, Object};

use crate::error::KernelError;
use crate::object::Prepared;
use crate::program::{load_attempt, log_text, reason_line};

/// `BPF_LOG_STATS`.
const LOG_STATS: u32 = 4;
/// Bytes for a statistics-only log (a few lines).
const STATS_LOG_BYTES: usize = 64 << 10;
/// Bytes for the log of a rejection.
const REASON_LOG_BYTES: usize = 16 << 20;

/// What the kernel's verifier said about one program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelVerdict {
    /// Whether it loaded.
    pub accepted: bool,
    /// `processed N insns`.
    pub processed_insns: Option<u64>,
    /// `total_states`.
    pub total_states: Option<u64>,
    /// `peak_states`.
    pub peak_states: Option<u64>,
    /// `verification time`, or the load's wall time when the log has none.
    pub duration: Duration,
    /// For a rejection, the log's last line.
    pub reason: Option<String>,
}

/// The statistics of a verifier log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// `processed N insns`.
    pub processed_insns: Option<u64>,
    /// `total_states N`.
    pub total_states: Option<u64>,
    /// `peak_states N`.
    pub peak_states: Option<u64>,
    /// `verification time N usec`.
    pub verification_usec: Option<u64>,
}

/// Reads the statistics lines of a verifier log.
pub fn parse_stats(log: &str) -> LogStats {
    let mut stats = LogStats::default();
    for line in log.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |word: &str| words.iter().position(|w| *w == word).and_then(|i| words.get(i + 1)?.parse().ok());
        if line.starts_with("processed ") {
            stats.processed_insns = words.get(1).and_then(|n| n.parse().ok());
            stats.total_states = after("total_states");
            stats.peak_states = after("peak_states");
        } else if let Some(rest) = line.strip_prefix("verification time ") {
            stats.verification_usec = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        }
    }
    stats
}

/// Loads `program` of `object` (its maps created, map loads relocated) and reports the
/// kernel verifier's verdict and statistics. An error means the program never reached the
/// verifier (its type, a map or an instruction this crate cannot hand over).
pub fn verify(object: &Object, program: &LoadedProgram) -> Result<KernelVerdict, KernelError> {
    let prepared = Prepared::new(object, program)?;
    let (request, flags) = (prepared.request(), prepared.flags);
    let mut log = vec![0u8; STATS_LOG_BYTES];
    let started = Instant::now();
    let loaded = load_attempt(&request, flags, LOG_STATS, Some(&mut log));
    let wall = started.elapsed();
    let stats = parse_stats(&log_text(&log));
    let duration = stats.verification_usec.map_or(wall, Duration::from_micros);
    let reason = match loaded {
        Ok(_descriptor) => None,
        Err(_) => {
            let mut log = vec![0u8; REASON_LOG_BYTES];
            let _ = load_attempt(&request, flags, 1, Some(&mut log));
            Some(reason_line(&log_text(&log)).to_owned())
        }
    };
    drop(prepared);
    Ok(KernelVerdict {
        accepted: reason.is_none(),
        processed_insns: stats.processed_insns,
        total_states: stats.total_states,
        peak_states: stats.peak_states,
        duration,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_lines_are_read() {
        let log = "func#0 @0\nverification time 37 usec\nstack depth 8\n\
                   processed 12 insns (limit 1000000) max_states_per_insn 1 total_states 3 peak_states 2 mark_read 1\n";
        assert_eq!(
            parse_stats(log),
            LogStats {
                processed_insns: Some(12),
                total_states: Some(3),
                peak_states: Some(2),
                verification_usec: Some(37)
            }
        );
    }
}
