//! `bpfprove difftest`: random programs run in the interpreter and the JIT, compared.

use std::io::Write as _;

use anyhow::Result;
use bpfprove_jit_x86::difftest;
use clap::Args;

use crate::Outcome;
use crate::output::{self, outln};

/// Arguments of `bpfprove difftest`.
#[derive(Args)]
pub(crate) struct DifftestArgs {
    /// Number of random cases.
    #[arg(long, default_value_t = 10_000)]
    cases: u64,
    /// Seed of the case generator (the same seed gives the same cases).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// How often progress is reported on stderr.
const PROGRESS_EVERY: u64 = 10_000;

pub(crate) fn difftest(args: DifftestArgs) -> Result<Outcome> {
    let mut progress = |done: u64, divergences: u64| {
        if done.is_multiple_of(PROGRESS_EVERY) && done < args.cases {
            // Progress is best effort: a closed stderr must not stop the run.
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r{done}/{} cases, {divergences} divergences", args.cases);
            let _ = stderr.flush();
        }
    };
    let report = difftest::difftest_with_progress(args.cases, args.seed, &mut progress);
    if args.cases >= PROGRESS_EVERY {
        output::note(format_args!(""));
    }
    outln!("{report}")?;
    Ok(if report.divergences == 0 { Outcome::Success } else { Outcome::Failed })
}
