//! `bpfprove jit`: compiles a program with the x86-64 JIT and shows the generated code.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bpfprove_jit_x86::{JitMachine, Validated, listing};
use bpfprove_semantics::interp::RunConfig;
use clap::Args;

use super::run::CallxModelArg;
use crate::Outcome;
use crate::input::{self, ProgramFormat};

/// Arguments of `bpfprove jit`.
#[derive(Args)]
pub(crate) struct JitArgs {
    /// Program: an ELF object (`.o`), raw bytecode, or assembly text (`.s`/`.asm` LLVM,
    /// `.ubpf` uBPF).
    file: PathBuf,
    /// For an ELF object: the program's section (its `SEC(...)` name).
    #[arg(long)]
    section: Option<String>,
    /// For an ELF object: the program's function name (needed when a section holds several).
    #[arg(long)]
    function: Option<String>,
    /// How to read FILE.
    #[arg(long, value_enum, default_value_t = ProgramFormat::Auto)]
    format: ProgramFormat,
    /// What a `callx` register holds (it shapes the generated code).
    #[arg(long, value_enum, default_value_t = CallxModelArg::Address)]
    callx_model: CallxModelArg,
    /// Print the x86-64 listing interleaved with the eBPF instructions.
    #[arg(long)]
    disasm: bool,
}

pub(crate) fn jit(args: JitArgs) -> Result<Outcome> {
    let program = match input::load_object_if_elf(&args.file)? {
        Some(object) => input::select_program(&object, args.section.as_deref(), args.function.as_deref())
            .with_context(|| args.file.display().to_string())?
            .program
            .clone(),
        None => input::load_program(&args.file, args.format)?,
    };
    // The budget is read at each run; compiling does not need one.
    let config = RunConfig::new(args.callx_model.into(), 0);
    let machine = JitMachine::new(Validated::structural(&program), config)
        .with_context(|| format!("{}: the JIT cannot compile it", args.file.display()))?;
    if args.disasm {
        print!("{}", listing::listing(&machine));
    }
    println!("{} eBPF instructions, {} bytes of x86-64 code", program.insns().len(), machine.code().len());
    Ok(Outcome::Success)
}
