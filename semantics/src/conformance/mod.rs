//! The bpf_conformance suite's `.data` files: parsing them ([`parse_test`]) and running them
//! through our pipeline ([`run_test`], [`run_file_text`]) to a [`Verdict`]; plus
//! [`run_plugin`], the suite's plugin contract (bytecode and memory in, `r0` out).
//!
//! File format (the suite's README): `#` starts a comment; a line starting with `--` opens
//! a section: `asm` (uBPF assembly, see [`crate::asm::ubpf`]), `raw` (replaces `asm`: one
//! 64-bit little-endian instruction word per token, `0x…` or decimal, or lines of eight
//! two-digit hex bytes), `mem` (hex bytes), `result` (its last non-empty line; hex if it
//! contains `0x`, else decimal), `error` (the program must be rejected), and the
//! informational `c` and `no register offset`. Any other section name is an error.
//!
//! Runtime contract: `r1` points to the memory, `r2` holds its length, `r10` is the frame
//! pointer; only `r0` is compared. The suite's helper 5 ("unwind") is
//! [`interp::DefaultHelpers`]; its `callx` group holds helper ids, so [`RunOptions::suite`]
//! runs under [`interp::CallxModel::HelperId`].
//!
//! A file in the suite's `negative/` directory passes when our pipeline rejects it: an
//! error at some [`Stage`] before the program ran to completion, or a result that differs
//! from the one it states. Each [`Verdict`] names the stage so tests can check that a file
//! is rejected for the right reason.

mod file;

use std::fmt;

use thiserror::Error;

use crate::asm::{AsmError, ubpf};
use crate::interp::{self, CallxModel, RunConfig, Trap};
use crate::program::{Program, ProgramError};

pub use file::{ConformanceError, Expectation, ProgramSource, TestCase, parse_hex, parse_test};

/// Instruction budget of a suite run: far above what any test executes, low enough that an
/// endless loop ends in well under a second.
pub const SUITE_INSTRUCTION_BUDGET: u64 = 1_000_000;

/// The knobs of a conformance run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// How `callx` finds its target.
    pub callx_model: CallxModel,
    /// Most instructions a test may execute.
    pub instruction_budget: u64,
}

impl RunOptions {
    /// Options with an explicit `callx` model and budget.
    pub fn new(callx_model: CallxModel, instruction_budget: u64) -> RunOptions {
        RunOptions { callx_model, instruction_budget }
    }

    /// The suite's contract: `callx` holds a helper id; budget [`SUITE_INSTRUCTION_BUDGET`].
    pub fn suite() -> RunOptions {
        RunOptions::new(CallxModel::HelperId, SUITE_INSTRUCTION_BUDGET)
    }

    fn run_config(&self) -> RunConfig {
        RunConfig::new(self.callx_model, self.instruction_budget)
    }
}

/// How far the pipeline got with a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The `.data` file itself is malformed ([`ConformanceError`]).
    TestFile,
    /// The uBPF assembler rejected the text.
    Assembly,
    /// The decoder rejected the raw bytes.
    Decode,
    /// The instructions do not form a valid program (empty, a jump outside it, ...).
    Validation,
    /// The interpreter trapped.
    Run,
    /// The program ran to its end and `r0` was compared.
    Completed,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::TestFile => "test file",
            Stage::Assembly => "assembly",
            Stage::Decode => "decode",
            Stage::Validation => "validation",
            Stage::Run => "run",
            Stage::Completed => "completed",
        })
    }
}

/// Whether a file is a normal test or comes from the suite's `negative/` directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// It passes when its expectation is met.
    Positive,
    /// It passes when the pipeline rejects it, or returns another `r0` than it states.
    Negative,
}

impl FileKind {
    /// `Negative` for a path with a `negative` directory component, else `Positive`.
    pub fn of_path(path: &std::path::Path) -> FileKind {
        if path.components().any(|c| c.as_os_str() == "negative") { FileKind::Negative } else { FileKind::Positive }
    }
}

/// The judgement on one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the test passed.
    pub passed: bool,
    /// How far the pipeline got.
    pub stage: Stage,
    /// What happened, in words (the error, the trap, or the values compared).
    pub reason: String,
}

/// What running a test produced, before comparing it with the expectation.
enum Run {
    Returned(u64),
    Rejected(Stage, String),
}

/// Assembles or decodes the test's program; an error names the stage that refused it.
pub fn build(case: &TestCase) -> Result<Program, (Stage, String)> {
    match &case.program {
        ProgramSource::Asm(lines) => {
            let text: String = lines.iter().map(|(_, line)| format!("{line}\n")).collect();
            ubpf::parse(&text).map_err(|error| {
                let stage = match error.kind {
                    crate::asm::AsmErrorKind::Program(_) => Stage::Validation,
                    _ => Stage::Assembly,
                };
                (stage, asm_error_in_file(&error, lines))
            })
        }
        ProgramSource::Raw(bytes) => Program::from_bytes(bytes).map_err(|error| match error {
            ProgramError::Decode(decode) => (Stage::Decode, decode.to_string()),
            other => (Stage::Validation, other.to_string()),
        }),
    }
}

/// An assembler error with its line translated to the file's numbering.
fn asm_error_in_file(error: &AsmError, lines: &[(usize, String)]) -> String {
    match error.line.checked_sub(1).and_then(|i| lines.get(i)) {
        Some((file_line, _)) => format!("line {file_line}: {}", error.kind),
        None => error.kind.to_string(),
    }
}

/// Something that runs a program on one memory region under the contract of
/// [`interp::run_on_memory`] (the suite's helpers, `r1`/`r2` = the memory), returning `r0`
/// or why the program did not complete: the reference [`interpreter`], or another engine
/// (the JIT) judged by the same suite.
pub type Engine<'a> = dyn Fn(&Program, &mut [u8], &RunConfig) -> Result<u64, String> + 'a;

/// The reference interpreter as an [`Engine`].
pub fn interpreter(program: &Program, memory: &mut [u8], config: &RunConfig) -> Result<u64, String> {
    match interp::run_on_memory(program, memory, config, &mut interp::DefaultHelpers) {
        Ok(outcome) => Ok(outcome.r0),
        Err(trap) => Err(trap.to_string()),
    }
}

fn execute(case: &TestCase, options: &RunOptions, engine: &Engine<'_>) -> Run {
    let program = match build(case) {
        Ok(program) => program,
        Err((stage, reason)) => return Run::Rejected(stage, reason),
    };
    let mut memory = case.memory.clone();
    match engine(&program, &mut memory, &options.run_config()) {
        Ok(r0) => Run::Returned(r0),
        Err(reason) => Run::Rejected(Stage::Run, reason),
    }
}

/// Runs a parsed test in the interpreter and judges it as a file of `kind`.
pub fn run_test(case: &TestCase, kind: FileKind, options: &RunOptions) -> Verdict {
    run_test_with(case, kind, options, &interpreter)
}

/// Runs a parsed test in `engine` and judges it as a file of `kind`.
pub fn run_test_with(case: &TestCase, kind: FileKind, options: &RunOptions, engine: &Engine<'_>) -> Verdict {
    let run = execute(case, options, engine);
    let (stage, reason, met) = match (&run, &case.expectation) {
        (Run::Returned(r0), Expectation::Returns(expected)) => {
            let met = r0 == expected;
            let relation = if met { "as expected" } else { "expected" };
            let reason = if met {
                format!("r0 = {r0:#x} {relation}")
            } else {
                format!("r0 = {r0:#x}, {relation} {expected:#x}")
            };
            (Stage::Completed, reason, met)
        }
        (Run::Returned(r0), Expectation::Error(message)) => {
            (Stage::Completed, format!("ran to r0 = {r0:#x}, expected an error ({message:?})"), false)
        }
        (Run::Rejected(stage, reason), Expectation::Returns(expected)) => {
            (*stage, format!("{stage} error: {reason} (expected r0 = {expected:#x})"), false)
        }
        (Run::Rejected(stage, reason), Expectation::Error(_)) => (*stage, format!("{stage} error: {reason}"), true),
    };
    let passed = match kind {
        FileKind::Positive => met,
        // A negative file passes when rejected, or when it states a result we do not give.
        FileKind::Negative => match run {
            Run::Rejected(..) => true,
            Run::Returned(_) => !met && matches!(case.expectation, Expectation::Returns(_)),
        },
    };
    Verdict { passed, stage, reason }
}

/// Parses and runs the text of a `.data` file. A malformed file fails as a positive test
/// and passes as a negative one, at [`Stage::TestFile`].
pub fn run_file_text(text: &str, kind: FileKind, options: &RunOptions) -> Verdict {
    run_file_text_with(text, kind, options, &interpreter)
}

/// [`run_file_text`] with another [`Engine`] than the interpreter.
pub fn run_file_text_with(text: &str, kind: FileKind, options: &RunOptions, engine: &Engine<'_>) -> Verdict {
    match parse_test(text) {
        Ok(case) => run_test_with(&case, kind, options, engine),
        Err(error) => Verdict { passed: kind == FileKind::Negative, stage: Stage::TestFile, reason: error.to_string() },
    }
}

/// Why the plugin could not produce an `r0`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PluginError {
    /// The bytecode does not form a program.
    #[error(transparent)]
    Program(#[from] ProgramError),
    /// The program trapped.
    #[error(transparent)]
    Trap(#[from] Trap),
}

/// The suite's plugin contract: decodes `bytecode`, runs it with `r1`/`r2` = `memory`'s
/// address and length, and returns `r0`. `memory` receives the final contents.
pub fn run_plugin(bytecode: &[u8], memory: &mut [u8], options: &RunOptions) -> Result<u64, PluginError> {
    let program = Program::from_bytes(bytecode)?;
    let outcome = interp::run_on_memory(&program, memory, &options.run_config(), &mut interp::DefaultHelpers)?;
    Ok(outcome.r0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str, kind: FileKind) -> Verdict {
        run_file_text(text, kind, &RunOptions::suite())
    }

    #[test]
    fn positive_verdicts() {
        let pass =
            verdict("-- asm\nldxh %r0, [%r1+2]\nexit\n-- mem\n00 00 34 12\n-- result\n0x1234\n", FileKind::Positive);
        assert_eq!((pass.passed, pass.stage), (true, Stage::Completed), "{}", pass.reason);
        let wrong = verdict("-- asm\nmov %r0, 1\nexit\n-- result\n2\n", FileKind::Positive);
        assert_eq!((wrong.passed, wrong.stage), (false, Stage::Completed));
        assert!(wrong.reason.contains("expected 0x2"), "{}", wrong.reason);
        let trap = verdict("-- asm\nldxdw %r0, [%r1+8]\nexit\n-- mem\n00\n-- result\n0\n", FileKind::Positive);
        assert_eq!((trap.passed, trap.stage), (false, Stage::Run), "{}", trap.reason);
        let expected_error = verdict("-- asm\nja +5\nexit\n-- error\nout of range\n", FileKind::Positive);
        assert_eq!(
            (expected_error.passed, expected_error.stage),
            (true, Stage::Validation),
            "{}",
            expected_error.reason
        );
    }

    #[test]
    fn negative_verdicts() {
        let asm = verdict("-- asm\nmov32 %r0, 2147483648\nexit\n-- result\n0x11\n", FileKind::Negative);
        assert_eq!((asm.passed, asm.stage), (true, Stage::Assembly));
        assert!(asm.reason.contains("line 2"), "{}", asm.reason);
        let decode =
            verdict("-- raw\n07 00 01 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- error\n", FileKind::Negative);
        assert_eq!((decode.passed, decode.stage), (true, Stage::Decode), "{}", decode.reason);
        let differs = verdict("-- asm\nmov %r0, 1\nexit\n-- result\n2\n", FileKind::Negative);
        assert_eq!((differs.passed, differs.stage), (true, Stage::Completed));
        let accepted = verdict("-- asm\nmov %r0, 1\nexit\n-- result\n1\n", FileKind::Negative);
        assert!(!accepted.passed);
        let ran = verdict("-- asm\nmov %r0, 1\nexit\n-- error\nInvalid\n", FileKind::Negative);
        assert_eq!((ran.passed, ran.stage), (false, Stage::Completed));
        let malformed = verdict("", FileKind::Negative);
        assert_eq!((malformed.passed, malformed.stage), (true, Stage::TestFile));
    }

    #[test]
    fn plugin_runs_bytecode_on_memory() {
        // ldxb %r0, [%r1+1]; exit
        let code = parse_hex("71 10 01 00 00 00 00 00 95 00 00 00 00 00 00 00").expect("hex");
        let mut memory = vec![1, 2, 3];
        assert_eq!(run_plugin(&code, &mut memory, &RunOptions::suite()), Ok(2));
        assert!(matches!(run_plugin(&code[..4], &mut memory, &RunOptions::suite()), Err(PluginError::Program(_))));
        let mut empty = Vec::new();
        assert!(matches!(run_plugin(&code, &mut empty, &RunOptions::suite()), Err(PluginError::Trap(_))));
    }

    /// Lines a `.data` file is made of, so random files reach every stage.
    const FILE_LINES: [&str; 12] = [
        "-- asm",
        "-- raw",
        "-- mem",
        "-- result",
        "-- error",
        "-- c",
        "mov %r0, 1",
        "ldxb %r0, [%r1+1]",
        "ja -1",
        "exit",
        "aa bb",
        "95 00 00 00 00 00 00 00",
    ];

    proptest::proptest! {
        #[test]
        fn random_text_never_panics(text in "\\PC{0,200}") {
            let verdict = run_file_text(&text, FileKind::Positive, &RunOptions::new(CallxModel::HelperId, 1000));
            // Every verdict says why; random text lacks the sections a passing test needs.
            proptest::prop_assert!(!verdict.reason.is_empty());
            if !text.contains("--") {
                proptest::prop_assert!(!verdict.passed, "{text:?} passed: {}", verdict.reason);
            }
            if let Ok(bytes) = parse_hex(&text) {
                // Two hex digits per byte, nothing else but whitespace.
                proptest::prop_assert_eq!(2 * bytes.len(), text.split_whitespace().map(str::len).sum::<usize>());
            }
        }

        #[test]
        fn random_files_never_panic(lines in proptest::collection::vec(proptest::sample::select(FILE_LINES.to_vec()), 0..16)) {
            let text = lines.join("\n");
            let verdict = run_file_text(&text, FileKind::Negative, &RunOptions::new(CallxModel::HelperId, 1000));
            proptest::prop_assert!(!verdict.reason.is_empty());
        }

        #[test]
        fn plugin_never_panics(bytecode in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..48),
                               mut memory in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..16)) {
            let before = memory.clone();
            match run_plugin(&bytecode, &mut memory, &RunOptions::new(CallxModel::Address, 1000)) {
                Ok(_) => proptest::prop_assert_eq!(memory.len(), before.len()),
                // A bytecode error changes no memory; every error says what went wrong.
                Err(error) => {
                    proptest::prop_assert!(!error.to_string().is_empty());
                    if matches!(error, PluginError::Program(_)) {
                        proptest::prop_assert_eq!(&memory, &before);
                    }
                }
            }
        }
    }
}
