//! `bpfprove check-proof`: the independent checker on a proof log.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bpfprove_analyzer::Subject;
use bpfprove_analyzer::proof::{self, ProofLog};
use bpfprove_semantics::interp::context::ProgramType;
use clap::Args;

use crate::Outcome;
use crate::input::{self, ProgramFormat};
use crate::output::outln;

/// Arguments of `bpfprove check-proof`.
#[derive(Args)]
pub(crate) struct CheckProofArgs {
    /// The proof log (`bpfprove verify --json`).
    log: PathBuf,
    /// The file it is about: the ELF object, or the assembly text or raw bytecode that
    /// `verify --json` read (its program type is the one the log names).
    object: PathBuf,
    /// Expect only the programs of this section in the log (as `verify --section` wrote it);
    /// without it the log must cover every program of the object.
    #[arg(long)]
    section: Option<String>,
    /// Expect only the programs of this function name in the log (as `verify --function`).
    #[arg(long)]
    function: Option<String>,
    /// How to read a FILE that is not an ELF object (as `verify --format`).
    #[arg(long, value_enum, default_value_t = ProgramFormat::Auto)]
    format: ProgramFormat,
}

/// Runs `bpfprove check-proof`: exit 0 when the log is valid, 1 when it is rejected, 2 when
/// a file cannot be read or parsed.
pub(crate) fn check_proof(args: CheckProofArgs) -> Result<Outcome> {
    let text = input::read_text(&args.log)?;
    let log = ProofLog::from_json(&text).with_context(|| format!("{}", args.log.display()))?;
    let bytes = input::read_bytes(&args.object)?;
    let checked = match input::load_object_if_elf(&args.object)? {
        Some(object) => {
            let selection = proof::Selection { section: args.section, function: args.function };
            proof::check_selected(&log, &bytes, &object, &selection)
        }
        None => {
            let program = input::load_program(&args.object, args.format)?;
            // `verify --json` names a program without a section by its type and file stem.
            let logged = log.programs.first().map(|p| p.section.as_str()).unwrap_or_default();
            let program_type = ProgramType::from_name(logged)
                .with_context(|| format!("{}: the log names no program type (`{logged}`)", args.log.display()))?;
            let name = input::file_stem(&args.object);
            proof::check_bare(&log, &bytes, &Subject::bare(&name, &program, program_type))
        }
    };
    match checked {
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
