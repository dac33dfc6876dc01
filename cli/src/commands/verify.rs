//! `bpfprove verify`: the analyzer on every program of a file (or the one chosen).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bpfprove_analyzer::counterexample::{self, Finding, SearchConfig};
use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_analyzer::proof::Invariants;
use bpfprove_analyzer::{Config, LoopStrategy, Obligation, Report, Status, Subject, Verdict, Verifier, proof};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm::llvm::print_insn;
use bpfprove_semantics::elf::{self, LoadedProgram};
use bpfprove_semantics::model::privilege::Privilege;
use clap::Args;

use super::run::CallxModelArg;
use crate::Outcome;
use crate::input::{self, ProgramSource};
use crate::output::{note, out, outln};
use crate::program_type::ProgramTypeArgs;

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
    /// The value domain: interval, signed-interval, tnum, product or cnum; `zone` (the product
    /// with difference constraints) or `product(DOMAIN,zone)`; `zone-z3` (the same zones,
    /// their transfers computed by Z3) or `product(DOMAIN,zone-z3)`; `eq` (the product with
    /// linked places, `r1 = r2 + c`) or `product(DOMAIN,eq)`; zones and equalities together:
    /// `product(DOMAIN,zone,eq)`.
    #[arg(long, default_value = "product")]
    pub(crate) domain: DomainSpec,
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
    /// How loops are analysed: `widen-first` widens every loop and proves it ends by a
    /// counter or an iterator, then unrolls the loops holding a check that failed widened;
    /// `unroll` unrolls every loop that ends within --loop-unroll rounds; `widen` never
    /// unrolls.
    #[arg(long, default_value = "widen-first")]
    pub(crate) loops: LoopStrategy,
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
            domain: self.domain.values,
            zones: self.domain.zones,
            equalities: self.domain.equalities,
            callx_model: self.callx_model.into(),
            widening_delay: self.widening_delay,
            widening_thresholds: !self.no_thresholds,
            narrowing_passes: self.narrowing_passes,
            loop_unroll: self.loop_unroll,
            loops: self.loops,
            max_visits: self.max_visits,
            time_limit: Some(Duration::from_secs(self.time_limit)),
            assume_initial_globals: self.assume_initial_globals,
            privilege: self.privilege.privilege(),
            // Only `verify --json`/`--invariants` read every pc's state; they ask for it.
            all_invariants: false,
            ..Config::standard(self.domain.values)
        }
    }
}

/// Arguments of `bpfprove verify`.
#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    source: ProgramSource,
    #[command(flatten)]
    types: ProgramTypeArgs,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// How many failed obligations to show per program (0: all).
    #[arg(long, default_value_t = 5)]
    show: usize,
    /// Print the invariant before every instruction, per analysed context.
    #[arg(long)]
    invariants: bool,
    /// Write the JSON proof log (schema: analyzer/schema/proof-log.schema.json) here; `-`
    /// writes it to standard output and the verdicts to standard error.
    #[arg(long, value_name = "OUT.json")]
    json: Option<PathBuf>,
    /// With --json: log the invariant of every reached pc, not only at the cut points (joins,
    /// loop heads, unrolled rounds' heads and exits) from which check-proof re-derives the rest.
    #[arg(long, requires = "json")]
    full_invariants: bool,
    /// With the product domain: also run its components (interval, tnum) and record in
    /// the proof log which one alone proves each obligation (`product`: only their
    /// reduction does).
    #[arg(long)]
    credit_components: bool,
    /// Retry each program that does not pass with this domain (e.g. `zone-z3`, the
    /// precise but slow one), under --fallback-time-limit; its PASS then stands, and says
    /// which domain proved it. Not with --json: a proof log names one domain.
    #[arg(long, conflicts_with = "json")]
    fallback: Option<DomainSpec>,
    /// The fallback's time limit per program, in seconds.
    #[arg(long, default_value_t = 10, requires = "fallback")]
    fallback_time_limit: u64,
    #[command(flatten)]
    counterexample: CounterexampleArgs,
}

/// The budget of the counterexample search, per program.
#[derive(Args, Clone)]
pub(crate) struct CounterexampleArgs {
    /// Runs of the interpreter spent looking for an input that makes each failed
    /// obligation trap (ELF objects only; 0 turns the search off).
    #[arg(long, default_value_t = 2000)]
    counterexample_runs: u32,
    /// Most runs of the interpreter for all of a program's failed obligations together
    /// (searching, confirming and shrinking).
    #[arg(long, default_value_t = 20_000)]
    counterexample_max_runs: u64,
    /// Most symbolic work per program for the solver-targeted search: instructions run
    /// symbolically, each solver query counting as 64.
    #[arg(long, default_value_t = 200_000)]
    counterexample_max_steps: u64,
    /// Most of a program's verify time the search may take, in percent: its time is at
    /// most `share / (100 - share)` of the analysis's (but see the two next flags).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..100))]
    counterexample_share: u32,
    /// Time the search may always take, in milliseconds, however quick the analysis was.
    #[arg(long, default_value_t = 10)]
    counterexample_min_ms: u64,
    /// Most time the search may take per program, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    counterexample_max_ms: u64,
    /// Random inputs only: no symbolic run of the paths to a failed obligation and no
    /// solver.
    #[arg(long)]
    counterexample_random_only: bool,
}

impl CounterexampleArgs {
    /// The search's knobs for a program whose analysis started at `started` and took until
    /// now, under the analysis's `config`.
    fn search_config(&self, config: &Config, started: Instant) -> SearchConfig {
        let analysis = started.elapsed();
        let share = analysis.mul_f64(f64::from(self.counterexample_share) / f64::from(100 - self.counterexample_share));
        let allowed = share
            .max(Duration::from_millis(self.counterexample_min_ms))
            .min(Duration::from_millis(self.counterexample_max_ms));
        let now = Instant::now();
        // The program's time limit still holds for the analysis and the search together.
        let limit = config.time_limit.and_then(|limit| started.checked_add(limit));
        let deadline = now.checked_add(allowed).map(|own| limit.map_or(own, |limit| own.min(limit))).or(limit);
        SearchConfig {
            runs_per_obligation: self.counterexample_runs,
            callx_model: config.callx_model,
            deadline,
            max_runs: self.counterexample_max_runs,
            max_symbolic_steps: self.counterexample_max_steps,
            symbolic: !self.counterexample_random_only,
            ..SearchConfig::standard()
        }
    }
}

/// Runs `bpfprove verify`.
pub(crate) fn verify(args: VerifyArgs) -> Result<Outcome> {
    let config = Config { all_invariants: args.json.is_some() || args.invariants, ..args.analysis.config() };
    let verifier = Verifier::new(config.clone());
    let bytes = input::read_bytes(&args.source.file)?;
    let object = input::load_object_if_elf(&args.source.file)?;
    let bare_program;
    // A program whose type cannot be chosen is an error line in its place; the others run.
    let subjects: Vec<Result<(Subject, Option<&LoadedProgram>), String>> = match &object {
        Some(object) => {
            let chosen: Vec<_> = object
                .programs
                .iter()
                .filter(|p| args.source.section.as_deref().is_none_or(|s| p.section == s))
                .filter(|p| args.source.function.as_deref().is_none_or(|f| p.name == f))
                .collect();
            let failed: Vec<_> = object
                .failed_programs
                .iter()
                .filter(|p| args.source.section.as_deref().is_none_or(|s| p.section == s))
                .filter(|p| args.source.function.as_deref().is_none_or(|f| p.name == f))
                .collect();
            if chosen.is_empty() && failed.is_empty() {
                let all: Vec<String> = object.programs.iter().map(|p| format!("{}/{}", p.section, p.name)).collect();
                bail!("{}: no program matches; the object has: {}", args.source.file.display(), all.join(", "));
            }
            let types = object.program_types(args.types.choice());
            // A program that could not be loaded is an error line too.
            let mut subjects: Vec<_> = failed
                .iter()
                .map(|p| Err(format!("{}/{}: ERROR (cannot load: {})", p.section, p.name, p.error)))
                .collect();
            for loaded in chosen {
                let index = object.programs.iter().position(|p| std::ptr::eq(p, loaded)).expect("one of its programs");
                subjects.push(match &types[index] {
                    Ok(program_type) => Ok((Subject::from_object_as(object, loaded, *program_type), Some(loaded))),
                    Err(error) => Err(format!("{}/{}: ERROR ({error})", loaded.section, loaded.name)),
                });
            }
            subjects
        }
        None => {
            bare_program = input::load_program(&args.source.file, args.source.format)?;
            // The proof log names it by its type (as its section) and file stem.
            let name = input::file_stem(&args.source.file);
            vec![Ok((Subject::bare(&name, &bare_program, args.types.bare()), None))]
        }
    };
    let log_to_stdout = args.json.as_deref() == Some(std::path::Path::new("-"));
    let mut all_pass = true;
    let mut reports = Vec::new();
    for entry in subjects {
        let (subject, loaded) = match entry {
            Ok(entry) => entry,
            Err(line) => {
                outln!("{line}")?;
                all_pass = false;
                continue;
            }
        };
        let started = Instant::now();
        let mut report = verifier.verify(&subject);
        if args.credit_components {
            if config.domain != DomainKind::Product {
                bail!("--credit-components needs --domain product");
            }
            let component = |domain| Verifier::new(Config { domain, ..config.clone() }).verify(&subject);
            let (interval, tnum) = (component(DomainKind::Interval), component(DomainKind::Tnum));
            bpfprove_bench::precision::credit_components(&mut report, subject.program, &interval, &tnum);
        }
        let mut proven_by_fallback = None;
        if report.verdict == Verdict::Fail
            && let Some(fallback) = args.fallback
        {
            let limit = Some(Duration::from_secs(args.fallback_time_limit));
            let retry_config =
                Config { domain: fallback.values, zones: fallback.zones, time_limit: limit, ..config.clone() };
            let retry = Verifier::new(retry_config).verify(&subject);
            if retry.verdict == Verdict::Pass {
                let failed = report.failures().len();
                proven_by_fallback = Some(format!(
                    "  proven by the fallback domain {fallback}: {} failed {failed} obligation{}",
                    config.domain_spec(),
                    if failed == 1 { "" } else { "s" }
                ));
                report = retry;
            }
        }
        all_pass &= report.verdict == Verdict::Pass;
        let findings = match (&object, loaded) {
            (Some(object), Some(loaded))
                if report.verdict == Verdict::Fail && args.counterexample.counterexample_runs > 0 =>
            {
                let search = args.counterexample.search_config(&config, started);
                let found = counterexample::search(object, loaded, &subject, &report, &search)
                    .with_context(|| format!("{}: counterexample search", subject.title()))?;
                found.into_iter().collect()
            }
            _ => BTreeMap::new(),
        };
        // Instructions read as `disasm` prints them (objdump text and what relocations name).
        let insn_text = |pc: usize| {
            let from_object = object.as_ref().zip(loaded).and_then(|(o, l)| elf::program_insn_text(o, l, pc));
            from_object.or_else(|| subject.program.insn_at(pc).map(print_insn)).unwrap_or_default()
        };
        // The command that reruns a confirmed counterexample in the interpreter.
        let replay = loaded.map(|l| {
            let privilege = if config.privilege == Privilege::Unprivileged { " --unprivileged" } else { "" };
            format!(
                "bpfprove run {} --section '{}' --function '{}'{privilege}",
                args.source.file.display(),
                l.section,
                l.name
            )
        });
        let mut text = report_text(&subject, &report, &findings, args.show, &insn_text, replay.as_deref());
        if let Some(line) = proven_by_fallback {
            text.push_str(&line);
            text.push('\n');
        }
        if args.invariants {
            text.push_str(&invariants_text(&subject, &report, &insn_text));
        }
        if log_to_stdout {
            // Standard output carries the proof log alone.
            note(format_args!("{}", text.trim_end()));
        } else {
            out!("{text}")?;
        }
        reports.push((subject, report));
    }
    if let Some(out) = &args.json {
        let invariants = if args.full_invariants { Invariants::EveryPc } else { Invariants::CutPoints };
        let log = proof::log_of(
            &args.source.file.display().to_string(),
            &bytes,
            &config,
            &reports,
            invariants,
            input::peak_rss_kib(),
        );
        let text = log.to_json();
        if log_to_stdout {
            outln!("{text}")?;
        } else {
            crate::output::write_file(out, text + "\n")?;
        }
    }
    Ok(if all_pass { Outcome::Success } else { Outcome::Failed })
}

/// `SECTION/FUNCTION: VERDICT`, then the first failed obligations with their instruction,
/// source line and counterexample finding. An obligation a concrete input makes trap is
/// shown `refuted`: the failure is real, whatever the abstract status was, with the `run`
/// command that replays it.
fn report_text(
    subject: &Subject,
    report: &Report,
    findings: &BTreeMap<usize, Finding>,
    show: usize,
    insn_text: &dyn Fn(usize) -> String,
    replay: Option<&str>,
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}: {}", subject.title(), report.verdict);
    if let Some(loops) = loops_text(report) {
        let _ = writeln!(text, "  loops: {loops}");
    }
    let mut failed: Vec<(usize, &Obligation)> =
        report.obligations.iter().enumerate().filter(|(_, o)| o.status != Status::Proven).collect();
    failed.sort_by_key(|(_, o)| (o.pc, o.kind));
    let limit = if show == 0 { failed.len() } else { show };
    for (index, obligation) in failed.iter().take(limit) {
        // One space before an annotation, not disasm's column.
        let insn = match insn_text(obligation.pc).split_once(';') {
            Some((instruction, note)) => format!("{} ;{note}", instruction.trim_end()),
            None => insn_text(obligation.pc),
        };
        let line = subject.source_line(obligation.pc).map(|l| format!(" ({l}: {})", l.text.trim())).unwrap_or_default();
        let finding = findings.get(index);
        let status = if finding.is_some_and(Finding::is_confirmed) { Status::Refuted } else { obligation.status };
        let _ = writeln!(
            text,
            "  pc {}: {} {status}: {}  [{insn}]{line}",
            obligation.pc, obligation.kind, obligation.detail
        );
        if let Some(finding) = finding {
            let _ = writeln!(text, "    {finding}");
            if let (Finding::Confirmed { input, .. }, Some(replay)) = (finding, replay) {
                let _ = writeln!(text, "    replay: {replay} {}", input.run_arguments().join(" "));
            }
        }
    }
    if failed.len() > limit {
        let _ = writeln!(text, "  ... {} more", failed.len() - limit);
    }
    text
}

/// How the run analysed the loops, by method with the heads' pcs: `widened (counter) at
/// pcs 2, 9; unrolled (65 rounds) at pc 20`; `None` without loops.
fn loops_text(report: &Report) -> Option<String> {
    let mut heads: BTreeMap<String, std::collections::BTreeSet<usize>> = BTreeMap::new();
    for summary in report.loops() {
        heads.entry(summary.method.to_string()).or_default().insert(summary.head);
    }
    let groups: Vec<String> = heads
        .into_iter()
        .map(|(method, pcs)| {
            let pcs: Vec<String> = pcs.iter().map(usize::to_string).collect();
            let noun = if pcs.len() == 1 { "pc" } else { "pcs" };
            format!("{method} at {noun} {}", pcs.join(", "))
        })
        .collect();
    (!groups.is_empty()).then(|| groups.join("; "))
}

/// Every live context's invariants, instruction by instruction.
fn invariants_text(subject: &Subject, report: &Report, insn_text: &dyn Fn(usize) -> String) -> String {
    let mut text = String::new();
    let Some(analysis) = &report.analysis else { return text };
    for id in analysis.live() {
        let context = &analysis.contexts[id];
        let function = subject.program.function(context.function);
        let entry = bpfprove_analyzer::display::state(&context.entry);
        let _ = writeln!(text, "  context {id}: {} entered with {entry}", function.name);
        for decoded in subject.program.insns().iter().filter(|d| function.entry <= d.pc && d.pc < function.end) {
            let invariant = context
                .invariants
                .get(&decoded.pc)
                .map_or_else(|| "unreachable".to_owned(), bpfprove_analyzer::display::state);
            let _ = writeln!(text, "    {:>4}: {:<40} | {invariant}", decoded.pc, insn_text(decoded.pc));
        }
    }
    text
}
