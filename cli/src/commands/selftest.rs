//! `bpfprove selftest`: the kernel's verifier selftests as an external judge (the work is
//! in the `bpfprove-selftest` crate; this prints it).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use bpfprove_selftest::known_failures::Comparison;
use bpfprove_selftest::report::{self, Matrix};
use bpfprove_selftest::{KnownFailures, Options, judge};
use clap::Args;

use super::verify::AnalysisArgs;
use crate::Outcome;
use crate::output::outln;

/// Arguments of `bpfprove selftest`.
#[derive(Args)]
pub(crate) struct SelftestArgs {
    /// Selftest objects (`verifier_*.o`), or directories of them.
    #[arg(required = true, value_name = "OBJ_OR_DIR")]
    paths: Vec<PathBuf>,
    /// The tests known to disagree today: exit 1 only when another test disagrees, and name
    /// the listed tests that agree now.
    #[arg(long, value_name = "FILE")]
    known_failures: Option<PathBuf>,
    /// Rewrite the --known-failures file from this run's disagreements.
    #[arg(long, requires = "known_failures")]
    bless: bool,
    /// Also load every program into the live kernel (root) and show its verdict.
    #[arg(long)]
    kernel: bool,
    /// Programs judged at once.
    #[arg(short = 'j', long = "jobs", default_value_t = 1)]
    jobs: usize,
    /// Also list the programs that are not tests here and what each test's kernel
    /// verdict and expected messages are.
    #[arg(long)]
    verbose: bool,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

/// Runs `bpfprove selftest`.
pub(crate) fn selftest(args: SelftestArgs) -> Result<Outcome> {
    let known = match &args.known_failures {
        Some(path) if !args.bless => Some(KnownFailures::load(path).context("cannot use the known failures")?),
        _ => None,
    };
    let options = Options { config: args.analysis.config(), jobs: args.jobs, kernel: args.kernel };
    let judgement = judge(&args.paths, &options).context("selftest")?;

    for test in &judgement.tests {
        outln!("{}", report::test_line(test))?;
        if args.verbose {
            if let Some(kernel) = &test.kernel {
                outln!("      kernel: {kernel}")?;
            }
            for message in &test.expectation.messages {
                outln!("      expects message: {message}")?;
            }
        }
    }
    outln!()?;
    outln!(
        "{} programs are not tests here (auxiliary, unprivileged-only, other architectures)",
        judgement.skipped.len()
    )?;
    if args.verbose {
        for skipped in &judgement.skipped {
            outln!("  {}: {}", skipped.id, skipped.why)?;
        }
    }
    for error in &judgement.object_errors {
        outln!("object {}: {}", error.object, error.reason)?;
    }
    if let Some(reason) = &judgement.kernel_unavailable {
        outln!("--kernel: not run: {reason}")?;
    }

    outln!()?;
    outln!("disagreements by reason:")?;
    for (reason, count) in report::reasons(&judgement) {
        outln!("  {count:>5}  {reason}")?;
    }
    outln!()?;
    outln!("load errors by cause:")?;
    for (cause, count) in report::load_error_causes(&judgement) {
        outln!("  {count:>5}  {cause}")?;
    }
    let serious = report::passes_on_expected_failure(&judgement);
    outln!()?;
    outln!("PASS where the kernel expects failure: {}", serious.len())?;
    for line in &serious {
        outln!("  {line}")?;
    }
    if let Some(kernel) = report::kernel_matrix(&judgement) {
        outln!()?;
        outln!("{kernel}")?;
    }
    if let Some(cross) = report::kernel_cross(&judgement) {
        outln!()?;
        outln!("{cross}")?;
    }

    let mut ok = judgement.object_errors.is_empty();
    if let (Some(path), true) = (&args.known_failures, args.bless) {
        KnownFailures::of(&judgement).write(path).context("--bless")?;
        outln!()?;
        outln!("wrote {} known failures to {}", KnownFailures::of(&judgement).entries.len(), path.display())?;
    } else if let Some(known) = &known {
        let comparison = known.compare(&judgement);
        print_comparison(&comparison)?;
        ok &= comparison.ok();
    } else {
        ok &= judgement.tests.iter().all(|t| t.disagreement().is_none());
    }

    outln!()?;
    outln!("{}", Matrix::of(&judgement.tests))?;
    if judgement.tests.is_empty() {
        bail!("no selftest programs found in the objects given");
    }
    Ok(if ok { Outcome::Success } else { Outcome::Failed })
}

fn print_comparison(comparison: &Comparison<'_>) -> Result<()> {
    outln!()?;
    outln!(
        "known failures: {} new disagreements, {} listed tests agree now",
        comparison.new.len(),
        comparison.now_agree.len()
    )?;
    for test in &comparison.new {
        outln!("  NEW {}", report::test_line(test))?;
    }
    for id in &comparison.now_agree {
        outln!("  agrees now (remove from the list): {id}")?;
    }
    for id in &comparison.vanished {
        outln!("  no longer in its object (remove from the list): {id}")?;
    }
    for (id, listed, now) in &comparison.reason_changed {
        outln!("  reason changed: {id}: listed {listed}, now {now}")?;
    }
    Ok(())
}
