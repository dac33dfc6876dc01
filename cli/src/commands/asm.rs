//! `bpfprove asm` and `bpfprove disasm`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use bpfprove_semantics::isa::{self, SLOT_BYTES};
use bpfprove_semantics::program::Program;
use bpfprove_semantics::{asm, elf};
use clap::Args;

use crate::Outcome;
use crate::input::{self, ProgramFormat, Syntax};
use crate::output::out;

/// Arguments of `bpfprove asm`.
#[derive(Args)]
pub(crate) struct AsmArgs {
    /// Assembly text file.
    file: PathBuf,
    /// Syntax of the text.
    #[arg(long, value_enum, default_value_t = Syntax::Llvm)]
    syntax: Syntax,
    /// Write the bytecode here; without it, print it as hex, one slot per line.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Arguments of `bpfprove disasm`.
#[derive(Args)]
pub(crate) struct DisasmArgs {
    /// An ELF object (`.o`), a raw bytecode file, or assembly text (with --format).
    file: PathBuf,
    /// For an ELF object: list only this code section and its programs.
    #[arg(long)]
    section: Option<String>,
    /// Syntax to print.
    #[arg(long, value_enum, default_value_t = Syntax::Llvm)]
    syntax: Syntax,
    /// How to read FILE (as the other verbs: by extension unless told).
    #[arg(long, value_enum, default_value_t = ProgramFormat::Auto)]
    format: ProgramFormat,
    /// Print an objdump-like listing (slot, bytes, instruction) instead of re-assemblable
    /// text; for an ELF object, one per program, its slots numbered as `verify`'s pcs.
    #[arg(long)]
    listing: bool,
}

pub(crate) fn assemble(args: AsmArgs) -> Result<Outcome> {
    let text = input::read_text(&args.file)?;
    let program = input::parse_text(&text, args.syntax, &args.file)?;
    let bytes = program.to_bytes();
    match args.output {
        Some(path) => crate::output::write_file(&path, &bytes)?,
        None => out!("{}", hex_slots(&bytes))?,
    }
    Ok(Outcome::Success)
}

pub(crate) fn disassemble(args: DisasmArgs) -> Result<Outcome> {
    if let Some(object) = input::load_object_if_elf(&args.file)? {
        if args.listing {
            // Per program, numbered as `verify` numbers its pcs (from the program's entry,
            // its subprograms after it), with the bytes of each slot.
            let chosen: Vec<_> =
                object.programs.iter().filter(|p| args.section.as_deref().is_none_or(|s| p.section == s)).collect();
            if chosen.is_empty() {
                bail!("{}: no program in section {:?}", args.file.display(), args.section.unwrap_or_default());
            }
            for loaded in chosen {
                out!("{}/{}:\n{}", loaded.section, loaded.name, listing(&loaded.program, args.syntax))?;
            }
            return Ok(Outcome::Success);
        }
        let text = elf::listing(&object, args.section.as_deref())
            .with_context(|| format!("{}: --section", args.file.display()))?;
        out!("{text}")?;
        return Ok(Outcome::Success);
    }
    if args.section.is_some() {
        bail!("{}: --section applies to ELF objects only", args.file.display());
    }
    let program = input::load_program(&args.file, args.format)?;
    if args.listing {
        out!("{}", listing(&program, args.syntax))?;
    } else {
        out!("{}", print_program(&program, args.syntax))?;
    }
    Ok(Outcome::Success)
}

fn print_program(program: &Program, syntax: Syntax) -> String {
    match syntax {
        Syntax::Llvm => asm::llvm::print(program),
        Syntax::Ubpf => asm::ubpf::print(program),
    }
}

/// `slot: bytes  instruction` lines, as `llvm-objdump -d` lays them out.
fn listing(program: &Program, syntax: Syntax) -> String {
    let mut out = String::new();
    for decoded in program.insns() {
        let mut bytes = Vec::with_capacity(2 * SLOT_BYTES);
        isa::encode_into(&decoded.insn, &mut bytes);
        let text = match syntax {
            Syntax::Llvm => asm::llvm::print_insn(&decoded.insn),
            Syntax::Ubpf => asm::ubpf::print_insn(&decoded.insn),
        };
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(out, "{:>8}:\t{}\t{}", decoded.pc, hex.join(" "), text);
    }
    out
}

fn hex_slots(bytes: &[u8]) -> String {
    let mut out = String::new();
    for slot in bytes.chunks(SLOT_BYTES) {
        let hex: Vec<String> = slot.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(out, "{}", hex.join(" "));
    }
    out
}
