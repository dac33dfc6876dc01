//! The bpf_conformance suite through the kernel, compared with the interpreter.
//!
//! **The mapping.** A conformance test runs with `r1` pointing to its memory block and
//! `r2` holding its length. The kernel type that matches that most closely is
//! `BPF_PROG_TYPE_SYSCALL`: its context is a plain buffer that `BPF_PROG_TEST_RUN` copies
//! in, lets the program read and write at constant offsets, and copies back out, so the
//! block's final bytes are observable. Packet types (socket filter, tc, XDP) would hand the
//! program an `__sk_buff` or `xdp_md` instead of the bytes. Two adaptations, both made by
//! inserting instructions ([`crate::rewrite`]):
//!
//! - a prologue `r2 = length`, since the kernel starts a program with only `r1` set;
//! - the kernel reports only the low 32 bits of `r0`, so each test runs twice: as it is,
//!   and with `r0 >>= 32` before every `exit` of the entry function.
//!
//! A test the kernel cannot run is listed with the reason: the verifier log's last line,
//! a test-run error, or a call of the suite's own helper (helper numbers mean other
//! functions in the kernel, so such a run would compare different programs).

use std::collections::BTreeMap;

use bpfprove_semantics::conformance::{self, TestCase};
use bpfprove_semantics::interp::{CallxModel, RunConfig};
use bpfprove_semantics::isa::{CallTarget, Insn, Reg, encode};
use bpfprove_semantics::program::Program;

use crate::error::KernelError;
use crate::program::{LoadRequest, LoadedProgram, ProgramType, TestInput, load};
use crate::rewrite::{self, Insertion};

/// How one test fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseResult {
    /// Both ran to an exit with the same `r0` and the same memory afterwards.
    Agreed {
        /// The common `r0`.
        r0: u64,
    },
    /// The kernel ran the test and something differs from the interpreter: a semantics bug
    /// on one side.
    Differed {
        /// What differs.
        what: String,
    },
    /// The kernel could not run it.
    CannotRun(CannotRun),
}

/// Why the kernel could not run a test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CannotRun {
    /// Our own pipeline refused the file (it is meant to be rejected, or is malformed).
    NotBuilt(String),
    /// The program calls the suite's helper `id`, which the kernel does not have.
    SuiteHelper(i32),
    /// The kernel's verifier rejected it; the last line of its log.
    Verifier(String),
    /// Loading or running failed otherwise.
    Kernel(String),
}

impl CannotRun {
    /// The reason in full.
    pub fn detail(&self) -> String {
        match self {
            CannotRun::NotBuilt(text) => format!("not built by our pipeline: {text}"),
            CannotRun::SuiteHelper(id) => format!("calls the suite's helper {id}, which the kernel lacks"),
            CannotRun::Verifier(line) => format!("verifier: {line}"),
            CannotRun::Kernel(text) => format!("kernel: {text}"),
        }
    }

    /// The reason with its numbers replaced by `N`, so that tests refused for the same
    /// reason (`invalid shift 40`, `invalid shift 68`) share a group.
    pub fn group(&self) -> String {
        let numeric = |text: &str| {
            let digits = text.strip_prefix('-').unwrap_or(text);
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        };
        let words: Vec<String> = self
            .detail()
            .split(' ')
            .map(|word| match word.split_once('=') {
                Some((key, value)) if numeric(value) => format!("{key}=N"),
                _ if numeric(word) => "N".to_owned(),
                _ => word.to_owned(),
            })
            .collect();
        words.join(" ")
    }
}

/// Runs `case` in the interpreter and in the kernel and compares them.
pub fn compare_case(case: &TestCase) -> CaseResult {
    let program = match conformance::build(case) {
        Ok(program) => program,
        Err((stage, reason)) => return CaseResult::CannotRun(CannotRun::NotBuilt(format!("{stage}: {reason}"))),
    };
    if let Some(id) = helper_called(&program) {
        return CaseResult::CannotRun(CannotRun::SuiteHelper(id));
    }
    let kernel = match run_in_kernel(&program, &case.memory) {
        Ok(run) => run,
        Err(KernelError::Rejected { last_line, .. }) => return CaseResult::CannotRun(CannotRun::Verifier(last_line)),
        Err(other) => return CaseResult::CannotRun(CannotRun::Kernel(other.to_string())),
    };
    let mut memory = case.memory.clone();
    let config = RunConfig::new(CallxModel::HelperId, conformance::SUITE_INSTRUCTION_BUDGET);
    match conformance::interpreter(&program, &mut memory, &config) {
        Err(trap) => CaseResult::Differed {
            what: format!("the kernel returned {:#x}; the interpreter trapped: {trap}", kernel.r0),
        },
        Ok(r0) if r0 != kernel.r0 => {
            CaseResult::Differed { what: format!("r0: interpreter {r0:#x}, kernel {:#x}", kernel.r0) }
        }
        Ok(_) if memory != kernel.memory => CaseResult::Differed {
            what: format!("memory after the run: interpreter {}, kernel {}", hex(&memory), hex(&kernel.memory)),
        },
        Ok(r0) => CaseResult::Agreed { r0 },
    }
}

/// What the kernel did with a program under the suite's contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelRun {
    /// All 64 bits of `r0` (from two runs, see the module docs).
    pub r0: u64,
    /// The memory block after the run.
    pub memory: Vec<u8>,
}

/// Runs `program` in the kernel under the suite's contract (`r1` = `memory` as a syscall
/// program's context, `r2` = its length).
pub fn run_in_kernel(program: &Program, memory: &[u8]) -> Result<KernelRun, KernelError> {
    let length =
        i32::try_from(memory.len()).map_err(|_| KernelError::TooLarge { what: "memory", len: memory.len() })?;
    let prologue = Insertion { insns: vec![rewrite::move_imm(Reg::R2, length)], takes_jumps: false };
    let low_half = BTreeMap::from([(0, prologue.clone())]);
    let mut high_half = low_half.clone();
    for exit in rewrite::entry_function_exits(program) {
        let entry = high_half.entry(exit).or_insert(Insertion { insns: Vec::new(), takes_jumps: true });
        entry.insns.push(rewrite::high_half_of_r0());
    }
    let low_program = load_syscall(&rewrite::insert(program, &low_half)?)?;
    let high_program = load_syscall(&rewrite::insert(program, &high_half)?)?;
    let mut after = memory.to_vec();
    let low = run_syscall(&low_program, &mut after)?;
    let high = run_syscall(&high_program, &mut memory.to_vec())?;
    Ok(KernelRun { r0: (u64::from(high) << 32) | u64::from(low), memory: after })
}

fn load_syscall(insns: &[Insn]) -> Result<LoadedProgram, KernelError> {
    load(&LoadRequest::new(ProgramType::Syscall, &encode(insns)))
}

fn run_syscall(program: &LoadedProgram, memory: &mut [u8]) -> Result<u32, KernelError> {
    let ctx = if memory.is_empty() { None } else { Some(memory) };
    Ok(program.test_run(TestInput { data: None, ctx })?.retval)
}

fn helper_called(program: &Program) -> Option<i32> {
    program.insns().iter().find_map(|d| match d.insn {
        Insn::Call(CallTarget::Helper(id)) => Some(id),
        _ => None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// The figures of a suite run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// Tests whose result agreed, by name.
    pub agreed: Vec<String>,
    /// Tests whose result differed, with what differed.
    pub differed: Vec<(String, String)>,
    /// Tests the kernel could not run, by reason group: each name with its exact reason.
    pub cannot_run: BTreeMap<String, Vec<(String, String)>>,
}

impl SuiteReport {
    /// Adds the result of the test `name`.
    pub fn add(&mut self, name: String, result: CaseResult) {
        match result {
            CaseResult::Agreed { .. } => self.agreed.push(name),
            CaseResult::Differed { what } => self.differed.push((name, what)),
            CaseResult::CannotRun(reason) => {
                self.cannot_run.entry(reason.group()).or_default().push((name, reason.detail()))
            }
        }
    }

    /// Tests the kernel ran.
    pub fn ran(&self) -> usize {
        self.agreed.len() + self.differed.len()
    }

    /// Tests the kernel could not run.
    pub fn not_run(&self) -> usize {
        self.cannot_run.values().map(Vec::len).sum()
    }

    /// The one-line summary of a suite of `tests` tests (what CI checks):
    /// `N tests: R ran, A agreed, D differed, C cannot run`.
    pub fn summary(&self, tests: usize) -> String {
        format!(
            "{tests} tests: {} ran, {} agreed, {} differed, {} cannot run",
            self.ran(),
            self.agreed.len(),
            self.differed.len(),
            self.not_run()
        )
    }
}

/// Parses a `.data` file's text and compares it ([`compare_case`]).
pub fn compare_file_text(text: &str) -> CaseResult {
    match conformance::parse_test(text) {
        Ok(case) => compare_case(&case),
        Err(error) => CaseResult::CannotRun(CannotRun::NotBuilt(format!("test file: {error}"))),
    }
}
