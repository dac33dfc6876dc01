//! `bpfprove check-proof`: the independent checker on a proof log.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bpfprove_analyzer::proof::{self, ProofLog};
use clap::Args;

use crate::Outcome;
use crate::input;
use crate::output::outln;

/// Arguments of `bpfprove check-proof`.
#[derive(Args)]
pub(crate) struct CheckProofArgs {
    /// The proof log (`bpfprove verify --json`).
    log: PathBuf,
    /// The ELF object it is about.
    object: PathBuf,
    /// Expect only the programs of this section in the log (as `verify --section` wrote it);
    /// without it the log must cover every program of the object.
    #[arg(long)]
    section: Option<String>,
    /// Expect only the programs of this function name in the log (as `verify --function`).
    #[arg(long)]
    function: Option<String>,
}

/// Runs `bpfprove check-proof`: exit 0 when the log is valid, 1 when it is rejected, 2 when
/// a file cannot be read or parsed.
pub(crate) fn check_proof(args: CheckProofArgs) -> Result<Outcome> {
    let text = input::read_text(&args.log)?;
    let log: ProofLog =
        serde_json::from_str(&text).with_context(|| format!("{}: not a bpfprove proof log", args.log.display()))?;
    let bytes = input::read_bytes(&args.object)?;
    let Some(object) = input::load_object_if_elf(&args.object)? else {
        anyhow::bail!("{}: not an ELF object", args.object.display());
    };
    let selection = proof::Selection { section: args.section, function: args.function };
    match proof::check_selected(&log, &bytes, &object, &selection) {
        Ok(summary) => {
            outln!(
                "proof log valid: {} programs, {} contexts, {} states, {} edges inductive, {} obligations re-derived",
                summary.programs,
                summary.contexts,
                summary.states,
                summary.edges,
                summary.obligations
            )?;
            Ok(Outcome::Success)
        }
        Err(error) => {
            outln!("proof log rejected: {error}")?;
            Ok(Outcome::Failed)
        }
    }
}
