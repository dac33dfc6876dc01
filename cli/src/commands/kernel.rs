//! `bpfprove kernel`: the live kernel as an execution oracle (`BPF_PROG_TEST_RUN`),
//! compared with the interpreter, over the bpf_conformance suite, ELF objects or random
//! programs. Needs root (or CAP_BPF).

use std::path::PathBuf;

use anyhow::{Context, Result};
use bpfprove_kernel::conformance::{SuiteReport, compare_file_text};
use bpfprove_kernel::object::{ProgramResult, compare_program, sample_packets};
use bpfprove_kernel::{capability, random};
use bpfprove_semantics::elf;
use clap::{Args, Subcommand};

use crate::Outcome;
use crate::output::outln;

/// Arguments of `bpfprove kernel`.
#[derive(Args)]
pub(crate) struct KernelArgs {
    #[command(subcommand)]
    what: KernelCommand,
}

#[derive(Subcommand)]
enum KernelCommand {
    /// Every `.data` file of a bpf_conformance directory, as a syscall program; ends with
    /// `N tests: R ran, A agreed, D differed, C cannot run`.
    Conformance {
        /// The directory (e.g. ../shared/conformance/tests).
        dir: PathBuf,
    },
    /// Every XDP, tc and socket-filter program of the objects, on sample packets.
    Corpus {
        /// ELF objects.
        #[arg(required = true)]
        objects: Vec<PathBuf>,
        /// Packets per program.
        #[arg(long, default_value_t = 32)]
        packets: usize,
        /// Seed of the packet generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Random helper-free programs; ends with `N cases: A agreed, D differed, C cannot run`.
    Random {
        /// Number of programs.
        #[arg(long, default_value_t = 1000)]
        cases: u64,
        /// Seed of the generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

pub(crate) fn kernel(args: KernelArgs) -> Result<Outcome> {
    capability::probe().map_err(anyhow::Error::msg)?;
    match args.what {
        KernelCommand::Conformance { dir } => conformance(&dir),
        KernelCommand::Corpus { objects, packets, seed } => corpus(&objects, packets, seed),
        KernelCommand::Random { cases, seed } => random(cases, seed),
    }
}

fn conformance(dir: &std::path::Path) -> Result<Outcome> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "data"))
        .collect();
    files.sort();
    let mut report = SuiteReport::default();
    for path in &files {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        report.add(name, compare_file_text(&text));
    }
    for (group, tests) in &report.cannot_run {
        outln!("cannot run ({}): {group}", tests.len())?;
        for (name, detail) in tests {
            outln!("  {name}: {detail}")?;
        }
    }
    for (name, what) in &report.differed {
        outln!("DIFFERS {name}: {what}")?;
    }
    outln!("{}", report.summary(files.len()))?;
    Ok(if report.differed.is_empty() { Outcome::Success } else { Outcome::Failed })
}

fn corpus(objects: &[PathBuf], packets: usize, seed: u64) -> Result<Outcome> {
    let packets = sample_packets(packets, seed);
    let (mut programs, mut ran, mut agreed_programs, mut differed_programs, mut cannot) = (0, 0, 0, 0, 0);
    for path in objects {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let object = elf::load(&bytes).with_context(|| format!("loading {}", path.display()))?;
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for program in &object.programs {
            programs += 1;
            let name = format!("{file}:{}/{}", program.section, program.name);
            match compare_program(&object, program, &packets) {
                ProgramResult::Ran { agreed, refused, differed } => {
                    ran += 1;
                    if differed.is_empty() {
                        agreed_programs += 1;
                        outln!("{name}: agreed on {agreed} packets ({refused} refused by the kernel's test run)")?;
                    } else {
                        differed_programs += 1;
                        outln!("{name}: DIFFERS on {} of {} packets", differed.len(), agreed + differed.len())?;
                        for what in differed.iter().take(3) {
                            outln!("  {what}")?;
                        }
                    }
                }
                ProgramResult::CannotRun(reason) => {
                    cannot += 1;
                    outln!("{name}: cannot run: {}", reason.detail())?;
                }
            }
        }
    }
    outln!(
        "{programs} programs: {ran} ran, {agreed_programs} agreed, {differed_programs} differed, {cannot} cannot run"
    )?;
    Ok(if differed_programs == 0 { Outcome::Success } else { Outcome::Failed })
}

fn random(cases: u64, seed: u64) -> Result<Outcome> {
    let report = random::run_random(cases, seed);
    for (index, text, what) in &report.differed {
        outln!("case {index} DIFFERS: {what}\n{text}")?;
    }
    for (group, count) in &report.cannot_run {
        outln!("cannot run ({count}): {group}")?;
    }
    let not_run: u64 = report.cannot_run.values().sum();
    outln!(
        "{} cases: {} agreed, {} differed, {not_run} cannot run",
        report.cases,
        report.agreed,
        report.differed.len()
    )?;
    Ok(if report.differed.is_empty() { Outcome::Success } else { Outcome::Failed })
}
