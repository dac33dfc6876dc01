//! Differential testing: random programs run in the interpreter and in the JIT, and
//! every observable compared — the result (`r0`–`r10`, instruction count) or the trap (pc
//! and kind), and every memory region (bytes and access rights), after the run.
//!
//! A case is generated from a list of numbers ([`choices`]): proptest supplies and shrinks
//! the list in the crate's tests; [`difftest`] draws it from a seed for the CLI's
//! `bpfprove difftest --cases N --seed S`. A divergence keeps its program's text, so a
//! shrunk failure can be pasted into a regression test.

mod builder;
pub mod choices;
mod generate;
mod world;

use std::collections::BTreeMap;
use std::fmt;

use bpfprove_semantics::asm::llvm;
use bpfprove_semantics::interp::{Machine, Memory, Outcome, Trap, TrapKind};

pub use choices::{Choices, SplitMix64};
pub use generate::{Case, generate};
pub use world::{TestHelpers, World};

use crate::error::JitError;
use crate::machine::JitMachine;
use crate::validated::Validated;

/// What one engine did with a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The outcome or trap.
    pub result: Result<Outcome, Trap>,
    /// The memory afterwards.
    pub memory: Memory,
}

/// Runs `case` in the interpreter.
pub fn run_interpreter(case: &Case) -> Run {
    let machine = Machine::new(&case.program, case.config.clone());
    let (result, memory) = match machine.new_memory() {
        Ok(mut memory) => {
            let args = case.world.install(&mut memory).expect("a generated world fits in memory");
            (machine.run(&mut memory, &args, &mut TestHelpers), memory)
        }
        Err(trap) => (Err(trap), Memory::new()),
    };
    Run { result, memory }
}

/// Runs `case` through the JIT.
pub fn run_jit(case: &Case) -> Result<Run, JitError> {
    let machine = JitMachine::new(Validated::unverified(&case.program), case.config.clone())?;
    let (result, memory) = match machine.new_memory() {
        Ok(mut memory) => {
            let args = case.world.install(&mut memory).expect("a generated world fits in memory");
            (machine.run(&mut memory, &args, &mut TestHelpers), memory)
        }
        Err(trap) => (Err(trap), Memory::new()),
    };
    Ok(Run { result, memory })
}

/// How a case ended, when both engines agreed: `exit`, or the trap's kind.
pub fn ending(result: &Result<Outcome, Trap>) -> String {
    match result {
        Ok(_) => "exit".to_string(),
        Err(Trap { kind: TrapKind::Memory(fault), .. }) => format!("memory fault ({:?})", fault.reason),
        Err(Trap { kind, .. }) => {
            let debug = format!("{kind:?}");
            debug.split([' ', '(', '{']).next().unwrap_or_default().to_string()
        }
    }
}

/// A case on which the engines disagree.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// What differs.
    pub what: String,
    /// The program, in LLVM syntax.
    pub program: String,
    /// The run's configuration.
    pub config: String,
    /// The interpreter's run.
    pub interpreter: Run,
    /// The JIT's run, or why it could not compile.
    pub jit: Result<Run, JitError>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "divergence: {}", self.what)?;
        writeln!(f, "config: {}", self.config)?;
        writeln!(f, "program:\n{}", self.program)?;
        writeln!(f, "interpreter: {:?}", self.interpreter.result)?;
        match &self.jit {
            Ok(run) => writeln!(f, "jit:         {:?}", run.result),
            Err(error) => writeln!(f, "jit:         does not compile: {error}"),
        }
    }
}

/// The first difference between two memories, in words.
fn memory_difference(interpreter: &Memory, jit: &Memory) -> String {
    let ours: Vec<_> = interpreter.regions().collect();
    let theirs: Vec<_> = jit.regions().collect();
    if ours.len() != theirs.len() {
        return format!("{} regions in the interpreter, {} in the JIT", ours.len(), theirs.len());
    }
    for ((id, a), (_, b)) in ours.iter().zip(&theirs) {
        if a.access() != b.access() {
            return format!("region {} ({}): access {:?} vs {:?}", id.0, a.kind(), a.access(), b.access());
        }
        if let Some(at) = a.bytes().iter().zip(b.bytes()).position(|(x, y)| x != y) {
            return format!(
                "region {} ({}): byte {at} is {:#x} vs {:#x}",
                id.0,
                a.kind(),
                a.bytes()[at],
                b.bytes()[at]
            );
        }
    }
    "packet or jump-table bookkeeping differs".to_string()
}

/// Runs `case` in both engines; `Ok` with how it ended when they agree.
pub fn check(case: &Case) -> Result<String, Box<Divergence>> {
    let interpreter = run_interpreter(case);
    let jit = run_jit(case);
    let what = match &jit {
        Err(error) => format!("the JIT does not compile the program: {error}"),
        Ok(run) if run.result != interpreter.result => "results differ".to_string(),
        Ok(run) if run.memory != interpreter.memory => memory_difference(&interpreter.memory, &run.memory),
        Ok(_) => return Ok(ending(&interpreter.result)),
    };
    Err(Box::new(Divergence {
        what,
        program: llvm::print(&case.program),
        config: format!("{:?}", case.config),
        interpreter,
        jit,
    }))
}

/// Generates the case `choices` describe and checks it.
pub fn check_choices(choices: &[u64]) -> Result<String, Box<Divergence>> {
    check(&generate(&mut Choices::new(choices)))
}

/// The choice list of case `index` of a run seeded with `seed`.
pub fn case_choices(seed: u64, index: u64) -> Vec<u64> {
    let mut rng = SplitMix64::new(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let len = 32 + rng.next_u64() % 480;
    (0..len).map(|_| rng.next_u64()).collect()
}

/// The summary of a differential-testing run.
#[derive(Clone, Debug)]
pub struct DiffReport {
    /// The seed.
    pub seed: u64,
    /// Cases run.
    pub cases: u64,
    /// Cases on which the engines disagreed.
    pub divergences: u64,
    /// The first few divergences, with their case index.
    pub examples: Vec<(u64, Divergence)>,
    /// How many agreeing cases ended each way (`exit`, or a trap kind).
    pub endings: BTreeMap<String, u64>,
}

/// Most divergences a report keeps in full.
const KEPT_EXAMPLES: usize = 3;

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, divergence) in &self.examples {
            writeln!(f, "case {index} (seed {}):\n{divergence}", self.seed)?;
        }
        writeln!(f, "endings:")?;
        for (ending, count) in &self.endings {
            writeln!(f, "  {count:>9}  {ending}")?;
        }
        write!(f, "{} cases, {} divergences", self.cases, self.divergences)
    }
}

/// Runs `cases` random cases seeded with `seed`, calling `progress(done, divergences)`
/// after each.
pub fn difftest_with_progress(cases: u64, seed: u64, progress: &mut dyn FnMut(u64, u64)) -> DiffReport {
    let mut report = DiffReport { seed, cases: 0, divergences: 0, examples: Vec::new(), endings: BTreeMap::new() };
    for index in 0..cases {
        match check_choices(&case_choices(seed, index)) {
            Ok(ending) => *report.endings.entry(ending).or_default() += 1,
            Err(divergence) => {
                report.divergences += 1;
                if report.examples.len() < KEPT_EXAMPLES {
                    report.examples.push((index, *divergence));
                }
            }
        }
        report.cases += 1;
        progress(report.cases, report.divergences);
    }
    report
}

/// Runs `cases` random cases seeded with `seed`.
pub fn difftest(cases: u64, seed: u64) -> DiffReport {
    difftest_with_progress(cases, seed, &mut |_, _| {})
}
