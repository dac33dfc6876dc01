//! `bpfprove jit`: verifies a program, compiles it with the x86-64 JIT and shows the code.

use anyhow::{Context, Result};
use bpfprove_analyzer::{Subject, Verifier};
use bpfprove_jit_x86::{JitMachine, Validated, listing};
use bpfprove_semantics::interp::RunConfig;
use clap::Args;

use super::verify::AnalysisArgs;
use crate::Outcome;
use crate::input::{self, ProgramSource};
use crate::output::{out, outln};
use crate::program_type::ProgramTypeArgs;

/// Arguments of `bpfprove jit`.
#[derive(Args)]
pub(crate) struct JitArgs {
    #[command(flatten)]
    source: ProgramSource,
    #[command(flatten)]
    types: ProgramTypeArgs,
    /// How the program is verified before it is compiled (`--callx-model` also shapes the
    /// generated code).
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// Compile without verifying first (the code still bounds-checks every access and traps
    /// as the interpreter does).
    #[arg(long)]
    unverified: bool,
    /// Print the x86-64 listing interleaved with the eBPF instructions.
    #[arg(long)]
    disasm: bool,
}

/// Runs `bpfprove jit`: exit 1 when the program does not verify.
pub(crate) fn jit(args: JitArgs) -> Result<Outcome> {
    let object = input::load_object_if_elf(&args.source.file)?;
    let bare;
    let subject = match &object {
        Some(object) => {
            let loaded = input::select_program(object, args.source.section.as_deref(), args.source.function.as_deref())
                .with_context(|| args.source.file.display().to_string())?;
            let program_type = object
                .program_type_of(loaded, args.types.choice())
                .with_context(|| format!("{}: program {}", args.source.file.display(), loaded.name))?;
            Subject::from_object_as(object, loaded, program_type)
        }
        None => {
            bare = input::load_program(&args.source.file, args.source.format)?;
            Subject::bare("program", &bare, args.types.bare())
        }
    };
    let config = args.analysis.config();
    let token = if args.unverified {
        Validated::unverified(subject.program)
    } else {
        match Verifier::new(config.clone()).verified(&subject) {
            Ok(verified) => Validated::from(verified),
            Err(report) => {
                outln!(
                    "{}: {} — not compiled (use --unverified to compile it anyway)",
                    subject.title(),
                    report.verdict
                )?;
                for obligation in report.failures().iter().take(5) {
                    outln!("  pc {}: {} {}: {}", obligation.pc, obligation.kind, obligation.status, obligation.detail)?;
                }
                return Ok(Outcome::Failed);
            }
        }
    };
    // The budget is read at each run; compiling does not need one.
    let run_config = RunConfig::new(config.callx_model, 0).with_privilege(config.privilege);
    let machine = JitMachine::new(token, run_config)
        .with_context(|| format!("{}: the JIT cannot compile it", args.source.file.display()))?;
    if args.disasm {
        out!("{}", listing::listing(&machine))?;
    }
    let verified = if args.unverified { "unverified" } else { "verified" };
    outln!(
        "{}: {verified}; {} eBPF instructions, {} bytes of x86-64 code",
        subject.title(),
        subject.program.insns().len(),
        machine.code().len()
    )?;
    Ok(Outcome::Success)
}
