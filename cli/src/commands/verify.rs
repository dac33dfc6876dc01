//! `bpfprove verify`: the analyzer on every program of a file (or the one chosen).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bpfprove_analyzer::counterexample::{self, Finding, SearchConfig};
use bpfprove_analyzer::{Config, Obligation, Report, Status, Subject, Verdict, Verifier, proof};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm::llvm::print_insn;
use bpfprove_semantics::elf::LoadedProgram;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::model::privilege::Privilege;
use clap::{Args, ValueEnum};

use super::run::CallxModelArg;
use crate::Outcome;
use crate::input::{self, ProgramSource};
use crate::output::{StdoutError, outln};

/// Program types for programs without an ELF section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProgramTypeArg {
    /// `socket_filter`.
    Socket,
    /// `xdp`.
    Xdp,
    /// `sched_cls` (tc).
    Tc,
    /// `kprobe`.
    Kprobe,
    /// `tracepoint`.
    Tracepoint,
}

impl From<ProgramTypeArg> for ProgramType {
    fn from(arg: ProgramTypeArg) -> ProgramType {
        match arg {
            ProgramTypeArg::Socket => ProgramType::SocketFilter,
            ProgramTypeArg::Xdp => ProgramType::Xdp,
            ProgramTypeArg::Tc => ProgramType::SchedCls,
            ProgramTypeArg::Kprobe => ProgramType::Kprobe,
            ProgramTypeArg::Tracepoint => ProgramType::Tracepoint,
        }
    }
}

/// Who loads the program, shared by every command that verifies or runs one.
#[derive(Args, Clone, Copy, Debug)]
pub(crate) struct PrivilegeArgs {
    /// A root loader (the default): uninitialised stack reads give unknown values, pointers
    /// may be returned, stored, compared and leaked, every program type and feature is open.
    #[arg(long, conflicts_with = "unprivileged")]
    privileged: bool,
    /// A loader without capabilities: no pointer leaks, no uninitialised stack reads, socket
    /// filters only, no subprogram calls, kfuncs, loops or capability-gated helpers; the
    /// interpreter traps on uninitialised stack reads.
    #[arg(long)]
    unprivileged: bool,
}

impl PrivilegeArgs {
    pub(crate) fn privilege(self) -> Privilege {
        if self.unprivileged { Privilege::Unprivileged } else { Privilege::Privileged }
    }
}

/// Arguments the analyzer takes, shared by `verify` and the benchmarks harness.
#[derive(Args, Clone)]
pub(crate) struct AnalysisArgs {
    /// The value domain: interval, signed-interval, tnum or product.
    #[arg(long, default_value = "product")]
    pub(crate) domain: DomainKind,
    /// What a `callx` register holds.
    #[arg(long, value_enum, default_value_t = CallxModelArg::Address)]
    pub(crate) callx_model: CallxModelArg,
    /// Loop-head visits that join before widening starts.
    #[arg(long, default_value_t = 10)]
    pub(crate) widening_delay: u32,
    /// Widen straight to the extremes (no thresholds from the program's constants).
    #[arg(long)]
    pub(crate) no_thresholds: bool,
    /// Descending (narrowing) passes.
    #[arg(long, default_value_t = 2)]
    pub(crate) narrowing_passes: u32,
    /// Most rounds of abstract unrolling when proving a loop terminates.
    #[arg(long, default_value_t = 4096)]
    pub(crate) loop_unroll: u32,
    /// Most instruction visits per program.
    #[arg(long, default_value_t = 5_000_000)]
    pub(crate) max_visits: u64,
    /// Time limit per program, in seconds.
    #[arg(long, default_value_t = 60)]
    pub(crate) time_limit: u64,
    /// Assume `.data` and `.bss` still hold the object file's values (user space writes
    /// none of them after load). Off: they may hold anything, except function-pointer
    /// variables (NULL or a subprogram of matching prototype).
    #[arg(long)]
    pub(crate) assume_initial_globals: bool,
    #[command(flatten)]
    pub(crate) privilege: PrivilegeArgs,
}

impl AnalysisArgs {
    pub(crate) fn config(&self) -> Config {
        Config {
            domain: self.domain,
            callx_model: self.callx_model.into(),
            widening_delay: self.widening_delay,
            widening_thresholds: !self.no_thresholds,
            narrowing_passes: self.narrowing_passes,
            loop_unroll: self.loop_unroll,
            max_visits: self.max_visits,
            time_limit: Some(Duration::from_secs(self.time_limit)),
            assume_initial_globals: self.assume_initial_globals,
            privilege: self.privilege.privilege(),
            ..Config::standard(self.domain)
        }
    }
}

/// Arguments of `bpfprove verify`.
#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    source: ProgramSource,
    /// The program type of a program without an ELF section.
    #[arg(long, value_enum, default_value_t = ProgramTypeArg::Socket)]
    program_type: ProgramTypeArg,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// How many failed obligations to show per program (0: all).
    #[arg(long, default_value_t = 5)]
    show: usize,
    /// Print the invariant before every instruction, per analysed context.
    #[arg(long)]
    invariants: bool,
    /// Write the JSON proof log (schema: analyzer/schema/proof-log.schema.json) here.
    #[arg(long, value_name = "OUT.json")]
    json: Option<PathBuf>,
    /// Runs of the interpreter spent looking for an input that makes each failed
    /// obligation trap (ELF objects only; 0 turns the search off).
    #[arg(long, default_value_t = 2000)]
    counterexample_runs: u32,
}

/// Runs `bpfprove verify`.
pub(crate) fn verify(args: VerifyArgs) -> Result<Outcome> {
    let config = args.analysis.config();
    let verifier = Verifier::new(config.clone());
    let bytes = input::read_bytes(&args.source.file)?;
    let object = input::load_object_if_elf(&args.source.file)?;
    let bare_program;
    let subjects: Vec<(Subject, Option<&LoadedProgram>)> = match &object {
        Some(object) => {
            let chosen: Vec<_> = object
                .programs
                .iter()
                .filter(|p| args.source.section.as_deref().is_none_or(|s| p.section == s))
                .filter(|p| args.source.function.as_deref().is_none_or(|f| p.name == f))
                .collect();
            if chosen.is_empty() {
                let all: Vec<String> = object.programs.iter().map(|p| format!("{}/{}", p.section, p.name)).collect();
                bail!("{}: no program matches; the object has: {}", args.source.file.display(), all.join(", "));
            }
            let mut subjects = Vec::new();
            for loaded in chosen {
                let Some(subject) = Subject::from_object(object, loaded) else {
                    bail!(
                        "{}: section `{}` names no program type the analyzer knows",
                        args.source.file.display(),
                        loaded.section
                    );
                };
                subjects.push((subject, Some(loaded)));
            }
            subjects
        }
        None => {
            if args.json.is_some() {
                bail!("--json needs an ELF object: a proof log names its program by section and function");
            }
            bare_program = input::load_program(&args.source.file, args.source.format)?;
            let name =
                args.source.file.file_stem().map_or_else(|| "program".into(), |s| s.to_string_lossy().into_owned());
            vec![(Subject::bare(&name, &bare_program, args.program_type.into()), None)]
        }
    };
    let mut all_pass = true;
    let mut reports = Vec::new();
    for (subject, loaded) in subjects {
        let started = Instant::now();
        let report = verifier.verify(&subject);
        all_pass &= report.verdict == Verdict::Pass;
        let findings = match (&object, loaded) {
            (Some(object), Some(loaded)) if report.verdict == Verdict::Fail && args.counterexample_runs > 0 => {
                let search = SearchConfig {
                    runs_per_obligation: args.counterexample_runs,
                    callx_model: config.callx_model,
                    // The search shares the program's time limit with the analysis.
                    deadline: config.time_limit.and_then(|limit| started.checked_add(limit)),
                    ..SearchConfig::standard()
                };
                let found = counterexample::search(object, loaded, &subject, &report, &search)
                    .with_context(|| format!("{}: counterexample search", subject.title()))?;
                found.into_iter().collect()
            }
            _ => BTreeMap::new(),
        };
        print_report(&subject, &report, &findings, args.show)?;
        if args.invariants {
            print_invariants(&subject, &report)?;
        }
        reports.push((subject, report));
    }
    if let Some(out) = &args.json {
        let log =
            proof::log_of(&args.source.file.display().to_string(), &bytes, &config, &reports, input::peak_rss_kib());
        let text = serde_json::to_string_pretty(&log).context("cannot serialise the proof log")?;
        std::fs::write(out, text + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(if all_pass { Outcome::Success } else { Outcome::Failed })
}

/// `SECTION/FUNCTION: VERDICT`, then the first failed obligations with their instruction,
/// source line and counterexample finding.
fn print_report(
    subject: &Subject,
    report: &Report,
    findings: &BTreeMap<usize, Finding>,
    show: usize,
) -> Result<(), StdoutError> {
    outln!("{}: {}", subject.title(), report.verdict)?;
    let mut failed: Vec<(usize, &Obligation)> =
        report.obligations.iter().enumerate().filter(|(_, o)| o.status != Status::Proven).collect();
    failed.sort_by_key(|(_, o)| (o.pc, o.kind));
    let limit = if show == 0 { failed.len() } else { show };
    for (index, obligation) in failed.iter().take(limit) {
        let insn = subject.program.insn_at(obligation.pc).map(print_insn).unwrap_or_default();
        let line = subject.source_line(obligation.pc).map(|l| format!(" ({l}: {})", l.text.trim())).unwrap_or_default();
        outln!(
            "  pc {}: {} {}: {}  [{insn}]{line}",
            obligation.pc,
            obligation.kind,
            obligation.status,
            obligation.detail
        )?;
        if let Some(finding) = findings.get(index) {
            outln!("    {finding}")?;
        }
    }
    if failed.len() > limit {
        outln!("  ... {} more", failed.len() - limit)?;
    }
    Ok(())
}

/// Every live context's invariants, instruction by instruction.
fn print_invariants(subject: &Subject, report: &Report) -> Result<(), StdoutError> {
    let Some(analysis) = &report.analysis else { return Ok(()) };
    for id in analysis.live() {
        let context = &analysis.contexts[id];
        let function = subject.program.function(context.function);
        outln!("  context {id}: {} entered with {}", function.name, bpfprove_analyzer::display::state(&context.entry))?;
        for decoded in subject.program.insns().iter().filter(|d| function.entry <= d.pc && d.pc < function.end) {
            let invariant = context
                .invariants
                .get(&decoded.pc)
                .map_or_else(|| "unreachable".to_owned(), bpfprove_analyzer::display::state);
            outln!("    {:>4}: {:<40} {invariant}", decoded.pc, print_insn(&decoded.insn))?;
        }
    }
    Ok(())
}
