//! `bpfprove scale`: the scale workloads (generated programs: straight-line code, nested
//! and sequential loops, a large packet parser with its proof log, a failing one with its
//! counterexample search), each verified once with time and peak heap
//! (`bpfprove_bench::scale`); here only arguments and printing.

use std::path::PathBuf;

use anyhow::{Result, bail};
use bpfprove_analyzer::Verdict;
use bpfprove_bench::paper::data::{ScaleFigures, write_records};
use bpfprove_bench::scale;
use clap::Args;

use crate::Outcome;
use crate::commands::verify::AnalysisArgs;
use crate::output::{outln, write_file};

/// Arguments of `bpfprove scale`.
#[derive(Args)]
pub(crate) struct ScaleArgs {
    /// Sizes a tenth or less of the (seconds instead of minutes).
    #[arg(long)]
    small: bool,
    /// Run only the workloads whose name contains this (e.g. `straight_line`, `nested`).
    #[arg(long)]
    only: Option<String>,
    /// Also write the figures as CSV here, as `bpfprove paper` reads them.
    #[arg(long)]
    csv: Option<PathBuf>,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

/// Runs `bpfprove scale`: one line per workload; fails when a safe workload does not pass
/// or the failing one passes.
pub(crate) fn scale(args: ScaleArgs) -> Result<Outcome> {
    let config = args.analysis.config();
    let workloads: Vec<_> = scale::workloads(args.small)
        .into_iter()
        .filter(|(workload, _)| args.only.as_deref().is_none_or(|only| workload.to_string().contains(only)))
        .collect();
    if workloads.is_empty() {
        bail!("no workload matches {:?}", args.only.unwrap_or_default());
    }
    let mut as_expected = true;
    let mut figures = Vec::new();
    for (workload, extras) in workloads {
        let row = scale::measure(workload, &config, extras).map_err(anyhow::Error::msg)?;
        as_expected &= (row.verdict == Verdict::Pass) == workload.is_safe();
        outln!("{row}")?;
        figures.push(ScaleFigures::of(&row));
    }
    if let Some(path) = &args.csv {
        write_file(path, &write_records(&figures)?)?;
    }
    Ok(if as_expected { Outcome::Success } else { Outcome::Failed })
}
