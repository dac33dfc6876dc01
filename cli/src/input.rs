//! Reading programs and byte strings given on the command line.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use bpfprove_semantics::asm;
use bpfprove_semantics::elf::{self, LoadedProgram, Object};
use bpfprove_semantics::program::Program;
use clap::{Args, ValueEnum};

/// An assembly syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Syntax {
    /// LLVM/kernel syntax, as `llvm-objdump -d` prints it (`r0 = 1`).
    Llvm,
    /// uBPF syntax, as bpf_conformance writes it (`mov %r0, 1`).
    Ubpf,
}

/// How to read a program file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProgramFormat {
    /// By extension: `.s`/`.asm` LLVM text, `.ubpf` uBPF text, anything else raw bytecode.
    Auto,
    /// Raw little-endian bytecode.
    Raw,
    /// LLVM-syntax text.
    Llvm,
    /// uBPF-syntax text.
    Ubpf,
}

/// Which program of which file: the arguments shared by the subcommands that take one.
#[derive(Args, Clone)]
pub(crate) struct ProgramSource {
    /// An ELF object (`.o`), raw bytecode, or assembly text (`.s`/`.asm` LLVM, `.ubpf`
    /// uBPF).
    pub(crate) file: std::path::PathBuf,
    /// For an ELF object: the program's section (its `SEC(...)` name).
    #[arg(long)]
    pub(crate) section: Option<String>,
    /// For an ELF object: the program's function name (needed when a section holds several).
    #[arg(long)]
    pub(crate) function: Option<String>,
    /// How to read FILE.
    #[arg(long, value_enum, default_value_t = ProgramFormat::Auto)]
    pub(crate) format: ProgramFormat,
}

/// The largest input read (256 MiB): far above any real object or program (the kernel
/// takes at most a million instructions, 8 MiB), and small enough that an endless input
/// such as `/dev/zero` ends with an error instead of exhausting memory.
pub(crate) const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Reads all of `reader`, up to [`MAX_INPUT_BYTES`]; `origin` names it in the errors.
pub(crate) fn read_capped(reader: impl Read, origin: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {origin}"))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!("{origin}: larger than {} MiB, the most bpfprove reads", MAX_INPUT_BYTES >> 20);
    }
    Ok(bytes)
}

/// Reads a whole file, naming it in the error.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    read_capped(file, &path.display().to_string())
}

/// Reads a whole text file, naming it in the error.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_bytes(path)?).with_context(|| format!("cannot read {} as UTF-8 text", path.display()))
}

/// Parses assembly text in `syntax`; errors name the file and line.
pub(crate) fn parse_text(text: &str, syntax: Syntax, origin: &Path) -> Result<Program> {
    let parsed = match syntax {
        Syntax::Llvm => asm::llvm::parse(text),
        Syntax::Ubpf => asm::ubpf::parse(text),
    };
    parsed.with_context(|| format!("{}: cannot assemble", origin.display()))
}

/// Loads a program file in `format`.
pub(crate) fn load_program(path: &Path, format: ProgramFormat) -> Result<Program> {
    let format = match format {
        ProgramFormat::Auto => match path.extension().and_then(|e| e.to_str()) {
            Some("s" | "asm") => ProgramFormat::Llvm,
            Some("ubpf") => ProgramFormat::Ubpf,
            _ => ProgramFormat::Raw,
        },
        other => other,
    };
    match format {
        ProgramFormat::Llvm => parse_text(&read_text(path)?, Syntax::Llvm, path),
        ProgramFormat::Ubpf => parse_text(&read_text(path)?, Syntax::Ubpf, path),
        ProgramFormat::Raw | ProgramFormat::Auto => {
            let bytes = read_bytes(path)?;
            if is_elf(&bytes) {
                bail!("{}: an ELF object; name a program with --section (and --function)", path.display());
            }
            Program::from_bytes(&bytes).with_context(|| format!("{}: invalid bytecode", path.display()))
        }
    }
}

/// Whether `bytes` start like an ELF file.
fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// The name of a program read from `path` without an ELF object: the file's stem.
pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| "program".into(), |s| s.to_string_lossy().into_owned())
}

/// Loads `path` as an ELF object if it is one (`None` for anything else).
pub(crate) fn load_object_if_elf(path: &Path) -> Result<Option<Object>> {
    let bytes = read_bytes(path)?;
    if !is_elf(&bytes) {
        return Ok(None);
    }
    let object = elf::load(&bytes).with_context(|| format!("{}: cannot load the ELF object", path.display()))?;
    Ok(Some(object))
}

/// The program of `object` named by `--section` and/or `--function`; without them, the only
/// program.
pub(crate) fn select_program<'a>(
    object: &'a Object,
    section: Option<&str>,
    function: Option<&str>,
) -> Result<&'a LoadedProgram> {
    let candidates: Vec<&LoadedProgram> = object
        .programs
        .iter()
        .filter(|p| section.is_none_or(|s| p.section == s) && function.is_none_or(|f| p.name == f))
        .collect();
    match candidates.as_slice() {
        [program] => Ok(program),
        [] => {
            let failed = object
                .failed_programs
                .iter()
                .find(|p| section.is_none_or(|s| p.section == s) && function.is_none_or(|f| p.name == f));
            if let Some(failed) = failed {
                bail!("program {} ({}) cannot be loaded: {}", failed.name, failed.section, failed.error)
            }
            let all: Vec<String> = object.programs.iter().map(|p| format!("{} ({})", p.name, p.section)).collect();
            bail!("no program matches; the object has: {}", all.join(", "))
        }
        several => {
            let names: Vec<String> = several.iter().map(|p| format!("{} ({})", p.name, p.section)).collect();
            bail!("several programs match, choose one with --function: {}", names.join(", "))
        }
    }
}

/// The process's peak resident set size in KiB (`VmHWM` of /proc/self/status), where the
/// kernel reports it.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
