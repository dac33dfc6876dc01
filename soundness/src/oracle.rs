//! The oracle: verify a program, and run it on many inputs if it was accepted. An accepted
//! program that traps, or returns a value its program type forbids, is a soundness bug of
//! the verifier (or of the machine model).

use std::fmt;

use bpfprove_analyzer::counterexample::{Counterexample, Hint, InputGenerator, Rng};
use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_semantics::elf::Object;
use bpfprove_semantics::interp::elf_run::{ObjectRunner, innermost};
use bpfprove_semantics::interp::{CallxModel, RunConfig, Trap};
use bpfprove_semantics::model::privilege::Privilege;

use crate::FuzzError;
use crate::environment::{self, DATA_SIZE};
use crate::generate::Case;

/// Who decides whether a program is accepted: the verifier, or in tests a verifier with a
/// planted bug.
pub trait Judge: Sync {
    /// Whether `subject` (a program of `object`) is accepted.
    fn accepts(&self, object: &Object, subject: &Subject<'_>) -> bool;
}

impl Judge for Verifier {
    fn accepts(&self, _object: &Object, subject: &Subject<'_>) -> bool {
        self.verify(subject).verdict == Verdict::Pass
    }
}

/// The verifier in the configuration the CLI uses for `domain` and a loader of
/// `privilege`, except for two budgets that keep one program from stalling a campaign: 10
/// seconds per program, and 256 rounds of loop unrolling (generated loops run at most 64
/// rounds, and a loop mutated never to end would otherwise be unrolled 4096 times before it
/// is rejected). Run its accepted programs with an [`OracleConfig`] of the same privilege.
pub fn standard_verifier(domain: bpfprove_analyzer::domain_spec::DomainSpec, privilege: Privilege) -> Verifier {
    Verifier::new(Config {
        time_limit: Some(std::time::Duration::from_secs(10)),
        loop_unroll: 256,
        privilege,
        ..Config::of_spec(domain)
    })
}

/// How accepted programs are run.
#[derive(Clone, Copy, Debug)]
pub struct OracleConfig {
    /// Inputs per accepted program.
    pub runs: usize,
    /// Instructions one run may execute (an accepted program was proven to terminate).
    pub instruction_budget: u64,
    /// Longest packet.
    pub max_packet_len: usize,
    /// The loader the judge verified for: it decides what reads of uninitialised stack do
    /// ([`Privilege::uninitialised_stack`]), so the runs are exactly as strict as the
    /// verifier's model.
    pub privilege: Privilege,
}

impl OracleConfig {
    /// 200 inputs of packets up to 1600 bytes, a budget of a million instructions, a
    /// privileged loader.
    pub fn standard() -> OracleConfig {
        OracleConfig {
            runs: 200,
            instruction_budget: 1_000_000,
            max_packet_len: 1600,
            privilege: Privilege::Privileged,
        }
    }
}

/// Percentage of runs in which `.data` holds other bytes than the file's, as user space may
/// write them after load.
const OTHER_DATA_PERCENT: u64 = 25;

/// What went wrong in a run of an accepted program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The run trapped.
    Trap(Trap),
    /// The program returned a value outside its program type's range.
    ReturnOutOfRange {
        /// What it returned (as a signed number).
        value: i64,
        /// The range allowed.
        range: (i64, i64),
    },
}

impl Problem {
    /// What kind of problem, without the details a smaller program changes (pcs, values):
    /// a minimised program must keep its kind.
    pub fn kind(&self) -> String {
        match self {
            Problem::Trap(trap) => {
                let debug = format!("{:?}", innermost(trap).kind);
                let end = debug.find([' ', '(', '{']).unwrap_or(debug.len());
                let mut kind = debug[..end].to_owned();
                if let bpfprove_semantics::interp::TrapKind::Memory(fault) = &innermost(trap).kind {
                    let reason = format!("{:?}", fault.reason);
                    kind = format!("{kind}/{reason}");
                }
                kind
            }
            Problem::ReturnOutOfRange { .. } => "ReturnOutOfRange".into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Trap(trap) => write!(f, "{trap}"),
            Problem::ReturnOutOfRange { value, range: (lo, hi) } => write!(f, "returned {value}, outside [{lo}, {hi}]"),
        }
    }
}

/// A run of an accepted program that went wrong, with everything needed to replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The input.
    pub input: Counterexample,
    /// What `.data` held, when it was not the file's image.
    pub data: Option<Vec<u8>>,
    /// What went wrong.
    pub problem: Problem,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; input {}", self.problem, self.input)?;
        if let Some(data) = &self.data {
            write!(f, "; .data [")?;
            for (i, byte) in data.iter().enumerate() {
                write!(f, "{}{byte:02x}", if i == 0 { "" } else { " " })?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}

/// What the oracle concluded about one program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conclusion {
    /// The judge rejected it.
    Rejected,
    /// Accepted, and every run was fine.
    Accepted {
        /// Runs made.
        runs: usize,
    },
    /// Accepted, and a run went wrong.
    Unsound {
        /// Runs made up to and including the failing one.
        runs: usize,
        /// The failing run (boxed: a trap naming a context field makes it large).
        failure: Box<Failure>,
    },
}

/// Judges `case` and runs it, if accepted, on `config.runs` inputs drawn from `seed`.
pub fn check(case: &Case, judge: &dyn Judge, config: &OracleConfig, seed: u64) -> Result<Conclusion, FuzzError> {
    let object = environment::object(case.program_type, &case.text)?;
    let loaded = &object.programs[0];
    let subject = Subject::from_object(&object, loaded).ok_or(FuzzError::UnknownProgramType)?;
    if !judge.accepts(&object, &subject) {
        return Ok(Conclusion::Rejected);
    }
    let generator = InputGenerator::new(&object, &subject, config.max_packet_len);
    let mut rng = Rng::new(seed);
    // The file's `.data`, and a few images user space may have written instead; one object
    // (and one runner, reset before every run) each, so that no run parses the text again.
    let mut images = vec![None, Some(vec![0xff; DATA_SIZE as usize])];
    images.extend((0..2).map(|_| Some(rng.bytes(DATA_SIZE as usize))));
    let objects = images
        .iter()
        .map(|image| match image {
            None => Ok(object.clone()),
            Some(data) => environment::object_with_data(case.program_type, &case.text, data.clone()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut runners = objects
        .iter()
        .map(|object| ObjectRunner::new(object, &object.programs[0], run_config(config)))
        .collect::<Result<Vec<_>, _>>()?;
    for run in 0..config.runs {
        let input = generator.generate(&mut rng, &Hint::none());
        let image = if rng.chance(OTHER_DATA_PERCENT) { 1 + rng.below(images.len() as u64 - 1) as usize } else { 0 };
        if let Some(problem) = run_once(&mut runners[image], &subject, &input)? {
            let failure = Failure { input, data: images[image].clone(), problem };
            return Ok(Conclusion::Unsound { runs: run + 1, failure: Box::new(failure) });
        }
    }
    Ok(Conclusion::Accepted { runs: config.runs })
}

fn run_config(config: &OracleConfig) -> RunConfig {
    // The verifier accepts a `may_goto` loop for any budget; a small one keeps such loops
    // inside the instruction budget (the kernel's 8 Mi rounds would not fit).
    RunConfig::new(CallxModel::Address, config.instruction_budget)
        .with_privilege(config.privilege)
        .with_may_goto_budget(ORACLE_MAY_GOTO_BUDGET)
}

/// Falls through `may_goto` per run in the oracle's runs.
const ORACLE_MAY_GOTO_BUDGET: u64 = 1024;

/// Runs `case` once on `input` from a fresh state (with `.data` holding `data` if given);
/// what went wrong, if anything.
pub fn replay(
    case: &Case,
    subject: &Subject<'_>,
    input: &Counterexample,
    data: Option<&[u8]>,
    config: &OracleConfig,
) -> Result<Option<Problem>, FuzzError> {
    let object = match data {
        Some(data) => environment::object_with_data(case.program_type, &case.text, data.to_vec())?,
        None => environment::object(case.program_type, &case.text)?,
    };
    let mut runner = ObjectRunner::new(&object, &object.programs[0], run_config(config))?;
    run_once(&mut runner, subject, input)
}

/// Resets `runner`, fills its maps from `input` and runs the program; what went wrong, if
/// anything.
fn run_once(
    runner: &mut ObjectRunner<'_>,
    subject: &Subject<'_>,
    input: &Counterexample,
) -> Result<Option<Problem>, FuzzError> {
    runner.reset()?;
    for entry in &input.maps {
        // A full hash table refuses keys, as it would refuse user space.
        let _ = runner.insert_map_entry(entry.map, &entry.key, &entry.value);
    }
    let run = runner.run_with(&input.run_input())?;
    Ok(match run.result {
        Err(trap) => Some(Problem::Trap(trap)),
        Ok(outcome) => {
            let value = outcome.r0 as i64;
            match subject.spec.return_range {
                Some(range) if !(range.0..=range.1).contains(&value) => {
                    Some(Problem::ReturnOutOfRange { value, range })
                }
                _ => None,
            }
        }
    })
}
