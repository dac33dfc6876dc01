//! The analyzer against the interpreter, on the corpus:
//! - the soundness oracle: every corpus program the analyzer accepts (product domain,
//!   standard configuration), at every `-mcpu`, runs on 1000 random inputs without a trap
//!   and returns a value its program type allows. A failure here is a soundness bug of the
//!   analyzer (or a gap in the machine model);
//! - counterexamples: for every unsafe program of the manifest (at v4) the search finds a
//!   concrete input on which the interpreter traps at the manifest's fault, unless the
//!   interpreter cannot exhibit that kind of fault at all.

mod common;

use std::collections::BTreeSet;

use bpfprove_analyzer::counterexample::{self, Finding, Hint, InputGenerator, Rng, SearchConfig};
use bpfprove_analyzer::{Config, ObligationKind, Report, Subject, Verdict, Verifier};
use bpfprove_benchmarks::corpus::{Cpu, FaultKind, Manifest, Verdict as Expected};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm::llvm::print_insn_objdump;
use bpfprove_semantics::elf::{self, LoadedProgram, Object};
use bpfprove_semantics::interp::elf_run::{self, ObjectRunner};
use bpfprove_semantics::interp::maps::MapInsertError;
use bpfprove_semantics::interp::{CallxModel, RunConfig};
use bpfprove_semantics::isa::Insn;
use bpfprove_semantics::model::privilege::Privilege;

/// Random inputs per accepted program.
const RUNS_PER_PROGRAM: usize = 1000;
/// Longest random packet (most are far shorter: the generator favours lengths near the
/// program's constants and small ones).
const MAX_PACKET_LEN: usize = 1600;
/// Percentage of runs that repeat the previous input, so that a packet meets the map
/// entries its first run inserted.
const REPEAT_PERCENT: u64 = 15;
/// Runs after which the oracle starts again from fresh maps and global data (in between,
/// runs see what earlier runs left, as in the kernel).
const RESET_EVERY: usize = 100;

/// A seed per program, so that each program gets its own inputs.
fn seed(parts: &[&str]) -> u64 {
    parts
        .iter()
        .flat_map(|p| p.bytes().chain([0]))
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// What the oracle saw running one program.
#[derive(Default)]
struct Oracle {
    /// Runs.
    runs: usize,
    /// Map entries inserted before runs.
    entries: usize,
    /// Distinct (return value, instruction count) pairs: a rough sign of how many paths the
    /// inputs took.
    outcomes: BTreeSet<(u64, u64)>,
    /// Traps and out-of-range return values, described.
    failures: Vec<String>,
}

/// Runs `loaded` (analysed as `subject`) on `RUNS_PER_PROGRAM` random inputs.
fn run_oracle(name: &str, object: &Object, loaded: &LoadedProgram, subject: &Subject<'_>) -> Oracle {
    // The analyzer verified for a privileged loader, whose runs read unwritten stack.
    let config = RunConfig::new(CallxModel::Address, 1_000_000).with_privilege(Privilege::Privileged);
    let mut runner = ObjectRunner::new(object, loaded, config).expect("the corpus's program types are known");
    let generator = InputGenerator::new(object, subject, MAX_PACKET_LEN);
    let mut rng = Rng::new(seed(&[name]));
    let mut oracle = Oracle::default();
    let mut input = generator.generate(&mut rng, &Hint::none());
    for run in 0..RUNS_PER_PROGRAM {
        if run % RESET_EVERY == 0 {
            runner.reset().expect("fresh memory");
        }
        if run == 0 || !rng.chance(REPEAT_PERCENT) {
            input = generator.generate(&mut rng, &Hint::none());
            for entry in &input.maps {
                match runner.insert_map_entry(entry.map, &entry.key, &entry.value) {
                    Ok(()) => oracle.entries += 1,
                    // Earlier runs filled the hash table: user space cannot add keys either.
                    Err(MapInsertError::Full { .. }) => {}
                    Err(error) => panic!("{name}: generated entry refused: {error}"),
                }
            }
        }
        let result = runner.run_with(&input.run_input()).expect("generated inputs fit the context").result;
        oracle.runs += 1;
        match result {
            // A return value outside the program type's range is the interpreter's trap
            // (`TrapKind::ReturnOutOfRange`), reported below with the others.
            Ok(outcome) => {
                oracle.outcomes.insert((outcome.r0, outcome.instructions));
            }
            Err(trap) => {
                let at = runner.location(elf_run::innermost(&trap).pc).map(|l| l.to_string()).unwrap_or_default();
                let line = runner.trap_line(&trap).map(|l| format!(" ({}:{})", l.file, l.line)).unwrap_or_default();
                oracle.failures.push(format!("{name}: run {run}: {trap} at {at}{line}\n    input {input}"));
            }
        }
    }
    oracle
}

#[test]
fn programs_the_analyzer_accepts_never_trap() {
    if !common::tools_present() {
        return;
    }
    let verifier = Verifier::new(Config::standard(DomainKind::Product));
    let (mut accepted, mut rejected, mut runs, mut entries, mut failures) = (0, Vec::new(), 0, 0, Vec::new());
    for (cpu, stem, path) in common::objects() {
        let object = elf::load(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for loaded in &object.programs {
            let name = format!("{cpu} {stem} {}/{}", loaded.section, loaded.name);
            let subject = Subject::from_object(&object, loaded).unwrap_or_else(|| panic!("{name}: unknown type"));
            let report = verifier.verify(&subject);
            if report.verdict != Verdict::Pass {
                rejected.push(format!("{name}: {}", report.verdict));
                continue;
            }
            accepted += 1;
            let oracle = run_oracle(&name, &object, loaded, &subject);
            println!(
                "{name}: accepted; {} runs, {} failures, {} distinct outcomes",
                oracle.runs,
                oracle.failures.len(),
                oracle.outcomes.len()
            );
            runs += oracle.runs;
            entries += oracle.entries;
            failures.extend(oracle.failures);
        }
    }
    println!("{accepted} accepted programs, {runs} runs, {entries} map entries inserted, {} failures", failures.len());
    println!("not accepted ({}):\n  {}", rejected.len(), rejected.join("\n  "));
    assert!(failures.is_empty(), "accepted programs trapped or returned out of range:\n{}", failures.join("\n"));
    assert_eq!(runs, accepted * RUNS_PER_PROGRAM);
    // The corpus's safe programs (24, at four cpus); a few may still be beyond the analyzer.
    assert!(accepted >= 80, "only {accepted} programs accepted: the oracle checks too little");
}

/// The oracle is not vacuous: run on the unsafe programs as if the analyzer had accepted
/// them, its inputs make each one trap, except those whose fault the interpreter cannot
/// exhibit (see `counterexamples_confirm_the_unsafe_programs_faults`).
#[test]
fn the_oracle_would_catch_the_unsafe_programs() {
    if !common::tools_present() {
        return;
    }
    let manifest = Manifest::corpus();
    let mut missed = Vec::new();
    for entry in manifest.programs.iter().filter(|e| e.verdict == Expected::Unsafe) {
        // As in `counterexamples_confirm_the_unsafe_programs_faults`; the corpus's one
        // uninit-register fault is an unset kfunc argument, which no run traps on.
        let unexhibitable = [FaultKind::UninitStack, FaultKind::Termination, FaultKind::UninitRegister];
        if entry.fault.is_some_and(|fault| unexhibitable.contains(&fault)) {
            continue;
        }
        let object = common::load_object(Cpu::V4, &entry.object);
        let loaded = common::entry_program(&object, entry);
        let subject = Subject::from_object(&object, loaded).expect("known program type");
        let oracle = run_oracle(&entry.function, &object, loaded, &subject);
        println!("{}: {} of {} runs fail", entry.function, oracle.failures.len(), oracle.runs);
        if oracle.failures.is_empty() {
            missed.push(entry.function.as_str());
        }
    }
    assert!(missed.is_empty(), "the oracle's inputs never trap on {missed:?}");
}

/// The obligation kind the manifest's fault kind names.
fn obligation_kind(fault: FaultKind) -> ObligationKind {
    match fault {
        FaultKind::PacketBounds => ObligationKind::PacketBounds,
        FaultKind::MapBounds => ObligationKind::MapBounds,
        FaultKind::StackBounds => ObligationKind::StackBounds,
        FaultKind::NullDeref => ObligationKind::NullDeref,
        FaultKind::UninitStack => ObligationKind::UninitStack,
        FaultKind::UninitRegister => ObligationKind::UninitRegister,
        FaultKind::CallxTarget => ObligationKind::CallxTarget,
        FaultKind::GotoxTarget => ObligationKind::GotoxTarget,
        FaultKind::Termination => ObligationKind::Termination,
    }
}

/// The findings for `report`'s obligations of `kind` at the instruction `fault_at` (for
/// gotox faults also at the jump-table load before it), with their pcs.
fn findings_at<'a>(
    findings: &'a [(usize, Finding)],
    report: &Report,
    subject: &Subject<'_>,
    kind: ObligationKind,
    fault_at: &str,
) -> Vec<(usize, &'a Finding)> {
    let text_at = |pc: usize| subject.program.insn_at(pc).map(print_insn_objdump).unwrap_or_default();
    findings
        .iter()
        .filter(|(i, _)| report.obligations[*i].kind == kind)
        .map(|(i, finding)| (report.obligations[*i].pc, finding))
        .filter(|&(pc, _)| {
            text_at(pc).starts_with(fault_at)
                || (kind == ObligationKind::GotoxTarget && text_at(pc + 1).starts_with(fault_at))
        })
        .collect()
}

#[test]
fn counterexamples_confirm_the_unsafe_programs_faults() {
    if !common::tools_present() {
        return;
    }
    let config = SearchConfig::standard();
    let mut problems = Vec::new();
    for entry in Manifest::corpus().programs.iter().filter(|e| e.verdict == Expected::Unsafe) {
        let object = common::load_object(Cpu::V4, &entry.object);
        let loaded = common::entry_program(&object, entry);
        let subject = Subject::from_object(&object, loaded).expect("known program type");
        let analysis = Config { privilege: entry.privilege(), ..Config::standard(DomainKind::Product) };
        let report = Verifier::new(analysis).verify(&subject);
        let findings = counterexample::search(&object, loaded, &subject, &report, &config).expect("the search runs");
        for (index, finding) in &findings {
            let o = &report.obligations[*index];
            println!("{}: pc {} {} {}: {finding}", entry.function, o.pc, o.kind, o.status);
        }
        let fault = entry.fault.expect("unsafe entries name a fault");
        let kind = obligation_kind(fault);
        let fault_at = entry.fault_at.as_deref().expect("unsafe entries name an instruction");
        let at_fault = findings_at(&findings, &report, &subject, kind, fault_at);
        if at_fault.is_empty() {
            problems.push(format!("{}: no open {kind} obligation at `{fault_at}`", entry.function));
            continue;
        }
        // The interpreter cannot exhibit these: stack bytes start zeroed, so a read of an
        // unwritten slot returns 0 rather than trapping; calls read no argument registers in
        // the machine model, so an unset kfunc argument is not a trap; and Collatz from a
        // 32-bit start reaches 1 within about a thousand steps, so the run ends (running out
        // of budget would not prove non-termination anyway).
        let at_call = at_fault.iter().all(|&(pc, _)| matches!(subject.program.insn_at(pc), Some(Insn::Call(_))));
        let exhibitable = match kind {
            ObligationKind::UninitStack | ObligationKind::Termination => false,
            ObligationKind::UninitRegister => !at_call,
            _ => true,
        };
        let confirmed = at_fault.iter().find(|(_, f)| f.is_confirmed());
        if !exhibitable {
            if let Some((pc, finding)) = confirmed {
                problems.push(format!("{}: pc {pc} cannot trap, yet {finding}", entry.function));
            }
            continue;
        }
        let Some(&(pc, Finding::Confirmed { input, trap })) = confirmed else {
            problems.push(format!("{}: {kind} at `{fault_at}` unconfirmed", entry.function));
            continue;
        };
        // The input reproduces the trap on its own, from a fresh runner.
        let run_config =
            RunConfig::new(config.callx_model, config.instruction_budget).with_privilege(entry.privilege());
        let mut runner = ObjectRunner::new(&object, loaded, run_config).expect("known program type");
        let replayed = input.replay(&mut runner).expect("the input fits").result;
        if replayed.as_ref().err() != Some(trap) {
            problems.push(format!("{}: pc {pc}: replay gave {replayed:?}, not {trap}", entry.function));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
