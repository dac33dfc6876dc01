//! What happened to one test, and whether bpfprove agrees with the test's annotation.

use std::fmt;

use crate::annotation::{Expected, ModeExpectation, Retval};

/// A test: an object (its file stem) and a program (its function name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestId {
    /// The object's file stem, e.g. `verifier_and`.
    pub object: String,
    /// The program's function name.
    pub program: String,
}

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.object, self.program)
    }
}

/// bpfprove's verdict on a test program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Got {
    /// Every obligation proven.
    Pass,
    /// Some obligation not proven (or a budget ran out): the first, for people.
    Fail {
        /// The first failed obligation (`pc N: kind status: detail`) or the budget.
        first: String,
    },
    /// The program could not be analysed at all (ELF loading, unknown section).
    LoadError(String),
}

impl Got {
    /// `PASS`, `FAIL` or `load error`: the matrix's columns.
    pub fn column(&self) -> &'static str {
        match self {
            Got::Pass => "PASS",
            Got::Fail { .. } => "FAIL",
            Got::LoadError(_) => "load error",
        }
    }

    /// The first failure or the load error (empty for a pass).
    pub fn detail(&self) -> &str {
        match self {
            Got::Pass => "",
            Got::Fail { first } => first,
            Got::LoadError(reason) => reason,
        }
    }
}

/// The interpreter's run of a passing test that expects a return value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetvalCheck {
    /// The run returned what the test expects.
    Agreed(u64),
    /// The run returned something else.
    Mismatch {
        /// What the test expects.
        expected: Retval,
        /// What the interpreter returned.
        r0: u64,
    },
    /// The run trapped.
    Trapped(String),
    /// The interpreter cannot run this program (e.g. its program type has no context here).
    NotRun(String),
}

/// The live kernel's verdict on loading the program (`--kernel`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelVerdict {
    /// `BPF_PROG_LOAD` succeeded.
    Accepted,
    /// The kernel's verifier refused it: the last line of its log.
    Rejected(String),
    /// The program could not be handed to the kernel (program type, kfuncs, maps): why.
    CannotLoad(String),
}

impl fmt::Display for KernelVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelVerdict::Accepted => f.write_str("accepted"),
            KernelVerdict::Rejected(line) => write!(f, "rejected ({line})"),
            KernelVerdict::CannotLoad(why) => write!(f, "cannot load ({why})"),
        }
    }
}

/// A program that is not judged, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The program.
    pub id: TestId,
    /// Why it is not a test here.
    pub why: String,
}

/// How a test's annotation and bpfprove's verdict differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Disagreement {
    /// A test that expects failure PASSes: the most serious kind (bpfprove accepts what the
    /// kernel refuses).
    PassOnExpectedFailure,
    /// A test that expects success FAILs.
    FailOnExpectedSuccess,
    /// A test that expects success could not be analysed.
    LoadErrorOnExpectedSuccess,
    /// A test that expects failure could not be analysed (refused, but not by the analysis).
    LoadErrorOnExpectedFailure,
    /// A test that PASSes returned another value in the interpreter than it expects.
    Retval,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Disagreement::PassOnExpectedFailure => "PASS where failure is expected",
            Disagreement::FailOnExpectedSuccess => "FAIL where success is expected",
            Disagreement::LoadErrorOnExpectedSuccess => "load error where success is expected",
            Disagreement::LoadErrorOnExpectedFailure => "load error where failure is expected",
            Disagreement::Retval => "retval differs",
        })
    }
}

/// One judged test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    /// Which test.
    pub id: TestId,
    /// Its section (empty when the object did not load).
    pub section: String,
    /// What it expects when loaded privileged.
    pub expectation: ModeExpectation,
    /// bpfprove's verdict.
    pub got: Got,
    /// The interpreter's run, for a passing test that expects a return value.
    pub retval: Option<RetvalCheck>,
    /// The live kernel's verdict, with `--kernel`.
    pub kernel: Option<KernelVerdict>,
}

impl TestOutcome {
    /// How bpfprove's verdict differs from the annotation, if it does. A passing test the
    /// interpreter cannot run agrees; one whose run traps or returns another value does not.
    pub fn disagreement(&self) -> Option<Disagreement> {
        match (self.expectation.expected, &self.got) {
            (Expected::Success, Got::Pass) => match self.retval {
                Some(RetvalCheck::Mismatch { .. } | RetvalCheck::Trapped(_)) => Some(Disagreement::Retval),
                _ => None,
            },
            (Expected::Success, Got::Fail { .. }) => Some(Disagreement::FailOnExpectedSuccess),
            (Expected::Success, Got::LoadError(_)) => Some(Disagreement::LoadErrorOnExpectedSuccess),
            (Expected::Failure, Got::Pass) => Some(Disagreement::PassOnExpectedFailure),
            (Expected::Failure, Got::Fail { .. }) => None,
            (Expected::Failure, Got::LoadError(_)) => Some(Disagreement::LoadErrorOnExpectedFailure),
        }
    }
}
