//! `bpfprove conformance DIR` and `bpfprove conformance-plugin`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use bpfprove_semantics::conformance::{self, FileKind, RunOptions};
use bpfprove_semantics::interp::{CallxModel, RunConfig};
use bpfprove_semantics::program::Program;
use clap::Args;

use crate::Outcome;
use crate::input;
use crate::output::outln;

/// Arguments of `bpfprove conformance`.
#[derive(Args)]
pub(crate) struct ConformanceArgs {
    /// Directory of `.data` files (a directory named `negative` holds files that must be
    /// rejected).
    dir: PathBuf,
    /// Run through the x86-64 JIT instead of the interpreter.
    #[arg(long)]
    jit: bool,
}

/// Arguments of `bpfprove conformance-plugin`, as bpf_conformance's runner passes them:
/// the memory as hex, then its plugin options (possibly one string holding several).
#[derive(Args)]
pub(crate) struct PluginArgs {
    /// Input memory as hex bytes (may be empty).
    #[arg(default_value = "")]
    memory: String,
    /// Plugin options: `--callx-model=address|helper-id`, `--jit`.
    #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
    options: Vec<String>,
}

pub(crate) fn run_directory(args: ConformanceArgs) -> Result<Outcome> {
    let engine: &conformance::Engine<'_> =
        if args.jit { &bpfprove_jit_x86::conformance_engine } else { &conformance::interpreter };
    let files = data_files(&args.dir)?;
    if files.is_empty() {
        bail!("{}: no .data files found", args.dir.display());
    }
    let options = RunOptions::suite();
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &files {
        let text = input::read_text(path)?;
        let verdict = conformance::run_file_text_with(&text, FileKind::of_path(path), &options, engine);
        if verdict.passed {
            passed += 1;
        } else {
            failed += 1;
            outln!("FAIL {}: {} ({})", path.display(), verdict.reason, verdict.stage)?;
        }
    }
    outln!("{passed} passed, {failed} failed")?;
    Ok(if failed == 0 { Outcome::Success } else { Outcome::Failed })
}

/// The `.data` files directly in `dir`, sorted by name.
fn data_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
        if path.extension().is_some_and(|e| e == "data") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The plugin contract: bytecode as hex on stdin, memory as hex in the first argument;
/// prints r0 in hex and exits 0, or prints the error and exits non-zero.
pub(crate) fn plugin(args: PluginArgs) -> Result<Outcome> {
    let mut callx_model = CallxModel::HelperId;
    let mut jit = false;
    for option in args.options.iter().flat_map(|o| o.split_whitespace()) {
        match option {
            "--callx-model=address" => callx_model = CallxModel::Address,
            "--callx-model=helper-id" => callx_model = CallxModel::HelperId,
            "--jit" => jit = true,
            other => bail!("unknown plugin option `{other}`"),
        }
    }
    let stdin = input::read_capped(std::io::stdin().lock(), "the program on standard input")?;
    let stdin = String::from_utf8(stdin).context("the program on standard input is not UTF-8 text")?;
    let bytecode = conformance::parse_hex(&stdin).context("program on stdin")?;
    let mut memory = conformance::parse_hex(&args.memory).context("memory argument")?;
    let options = RunOptions::new(callx_model, conformance::SUITE_INSTRUCTION_BUDGET);
    let result = if jit {
        let config = RunConfig::new(callx_model, conformance::SUITE_INSTRUCTION_BUDGET);
        Program::from_bytes(&bytecode)
            .map_err(|error| error.to_string())
            .and_then(|program| bpfprove_jit_x86::conformance_engine(&program, &mut memory, &config))
    } else {
        conformance::run_plugin(&bytecode, &mut memory, &options).map_err(|error| error.to_string())
    };
    match result {
        Ok(r0) => {
            outln!("{r0:x}")?;
            Ok(Outcome::Success)
        }
        Err(error) => {
            outln!("{error}")?;
            Ok(Outcome::Failed)
        }
    }
}
