//! `bpfprove run`: the reference interpreter on one program.

use std::path::PathBuf;

use anyhow::{Result, bail};
use bpfprove_semantics::conformance;
use bpfprove_semantics::interp::{self, CallxModel, RunConfig};
use clap::{Args, ValueEnum};

use crate::Outcome;
use crate::input::{self, ProgramFormat};

/// `callx` model names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CallxModelArg {
    /// The register holds a local function's code address (clang ≥ 19, gcc).
    Address,
    /// The register holds a helper id (PREVAIL, bpf_conformance).
    HelperId,
}

impl From<CallxModelArg> for CallxModel {
    fn from(arg: CallxModelArg) -> CallxModel {
        match arg {
            CallxModelArg::Address => CallxModel::Address,
            CallxModelArg::HelperId => CallxModel::HelperId,
        }
    }
}

/// Arguments of `bpfprove run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// Program: raw bytecode, or assembly text (`.s`/`.asm` LLVM, `.ubpf` uBPF).
    file: PathBuf,
    /// Input memory as hex bytes; r1 points to it and r2 holds its length.
    #[arg(long, default_value = "")]
    mem: String,
    /// How to read FILE.
    #[arg(long, value_enum, default_value_t = ProgramFormat::Auto)]
    format: ProgramFormat,
    /// What a `callx` register holds.
    #[arg(long, value_enum, default_value_t = CallxModelArg::Address)]
    callx_model: CallxModelArg,
    /// Most instructions to execute before the run traps.
    #[arg(long, default_value_t = 10_000_000)]
    budget: u64,
    /// Run through the x86-64 JIT instead of the interpreter.
    #[arg(long)]
    jit: bool,
}

pub(crate) fn run(args: RunArgs) -> Result<Outcome> {
    if args.jit {
        bail!("--jit: the x86-64 JIT does not exist yet; run without --jit to use the interpreter");
    }
    let program = input::load_program(&args.file, args.format)?;
    let mut memory = conformance::parse_hex(&args.mem).map_err(|e| anyhow::anyhow!("--mem: {e}"))?;
    let config = RunConfig::new(args.callx_model.into(), args.budget);
    match interp::run_on_memory(&program, &mut memory, &config, &mut interp::DefaultHelpers) {
        Ok(outcome) => {
            println!("r0 = {:#x} ({} instructions)", outcome.r0, outcome.instructions);
            Ok(Outcome::Success)
        }
        Err(trap) => {
            println!("trap: {trap}");
            Ok(Outcome::Failed)
        }
    }
}
