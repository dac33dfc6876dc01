//! The `bpfprove` command line: argument parsing, file and terminal IO, exit codes. All
//! logic lives in the library crates; each subcommand module only adapts one of them.
//!
//! Exit codes: 0 success, 1 the subject failed (a trap, a failing test), 2 bad input
//! (unreadable file, malformed program, bad arguments) or output that cannot be written
//! (a full disk). A reader that closes standard output early (`| head`) ends the verb
//! quietly with exit code 0, as `head` asked for no more.

mod commands;
mod input;
mod output;
mod program_type;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Counts heap memory per thread, so `bench` reports each analysis's peak (see
/// `bpfprove_bench::memory`); the cost is two thread-local updates per allocation.
#[global_allocator]
static ALLOCATOR: bpfprove_bench::memory::CountingAllocator = bpfprove_bench::memory::CountingAllocator;

/// Exit code for "the subject failed" (a trap, a failing conformance file).
const EXIT_FAILED: u8 = 1;
/// Exit code for bad input or arguments (clap uses 2 as well).
const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser)]
#[command(name = "bpfprove", version, about = "eBPF semantics, verification and JIT research framework")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assemble a text program into raw eBPF bytecode.
    Asm(commands::asm::AsmArgs),
    /// Disassemble raw eBPF bytecode.
    Disasm(commands::asm::DisasmArgs),
    /// Run a program in the reference interpreter (or with `--jit` the JIT) and print r0
    /// (and any trap).
    Run(commands::run::RunArgs),
    /// Run every bpf_conformance `.data` file in a directory.
    Conformance(commands::conformance::ConformanceArgs),
    /// Act as a bpf_conformance plugin: bytecode (hex) on stdin, memory (hex) as the first
    /// argument, r0 printed in hex.
    ConformancePlugin(commands::conformance::PluginArgs),
    /// Compile a program with the x86-64 JIT; `--disasm` shows the code beside the eBPF.
    Jit(commands::jit::JitArgs),
    /// Run random programs in the interpreter and the JIT and compare every result; ends
    /// with `N cases, D divergences`.
    Difftest(commands::difftest::DifftestArgs),
    /// Run programs in the live kernel (BPF_PROG_TEST_RUN) and compare them with the
    /// interpreter: the bpf_conformance suite, ELF objects, or random programs (root).
    Kernel(commands::kernel::KernelArgs),
    /// Verify programs with the abstract interpreter: one line per program, `PASS` or `FAIL`
    /// with the first failed obligations.
    Verify(commands::verify::VerifyArgs),
    /// Judge bpfprove by the kernel's verifier selftests: each program's annotated verdict
    /// against the analyzer's (and the interpreter's return value, and the live kernel's);
    /// ends with the agreement matrix.
    Selftest(commands::selftest::SelftestArgs),
    /// Re-validate a JSON proof log against its object, without the fixpoint engine.
    CheckProof(commands::check_proof::CheckProofArgs),
    /// Check the value domains' soundness against the semantics (exhaustively at a small
    /// width, or with Z3), optionally with their precision.
    ProveDomains(commands::prove_domains::ProveDomainsArgs),
    /// Generate verifier-shaped programs, verify them, run every accepted one on many
    /// inputs; an accepted program that traps is a finding (minimised, exit 1).
    SoundnessFuzz(commands::soundness_fuzz::SoundnessFuzzArgs),
    /// Compare verifiers (domains, the live kernel, PREVAIL) on suites of objects:
    /// veristat-style table, CSV and compare, obligation-level precision, plots.
    Bench(commands::bench::BenchArgs),
    /// Verify generated programs of growing size (straight-line code, nested and sequential
    /// loops, a large packet parser): time, peak heap, loop handling, proof-log size and
    /// check time, counterexample search share.
    Scale(commands::scale::ScaleArgs),
    /// Render the write-up (paper/paper.md) to HTML with its tables, values and plots
    /// generated from bench, prove-domains and scale results (paper/build gathers them).
    Paper(commands::paper::PaperArgs),
}

/// How a command ended when it did not fail on bad input.
pub(crate) enum Outcome {
    /// Everything passed.
    Success,
    /// The subject failed (trap, failing tests); the details were already printed.
    Failed,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(refusal) => return report_parse_refusal(&refusal),
    };
    let result = match cli.command {
        Command::Asm(args) => commands::asm::assemble(args),
        Command::Disasm(args) => commands::asm::disassemble(args),
        Command::Run(args) => commands::run::run(args),
        Command::Conformance(args) => commands::conformance::run_directory(args),
        Command::ConformancePlugin(args) => commands::conformance::plugin(args),
        Command::ProveDomains(args) => commands::prove_domains::prove_domains(args),
        Command::Jit(args) => commands::jit::jit(args),
        Command::Verify(args) => commands::verify::verify(args),
        Command::CheckProof(args) => commands::check_proof::check_proof(args),
        Command::Selftest(args) => commands::selftest::selftest(args),
        Command::Difftest(args) => commands::difftest::difftest(args),
        Command::Kernel(args) => commands::kernel::kernel(args),
        Command::SoundnessFuzz(args) => commands::soundness_fuzz::soundness_fuzz(args),
        Command::Bench(args) => commands::bench::bench(args),
        Command::Scale(args) => commands::scale::scale(args),
        Command::Paper(args) => commands::paper::paper(args),
    };
    let result = result.and_then(|outcome| output::flush().map(|()| outcome).map_err(anyhow::Error::from));
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(EXIT_FAILED),
        Err(error) if error.downcast_ref::<output::StdoutError>().is_some_and(output::StdoutError::is_closed_pipe) => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            output::note(format_args!("error: {error:#}"));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Prints what clap has to say instead of running a verb (help, version, a bad argument)
/// through [`output`], so that a full disk or a closed pipe is handled as for any verb.
fn report_parse_refusal(refusal: &clap::Error) -> ExitCode {
    if refusal.use_stderr() {
        output::note(format_args!("{}", refusal.render().to_string().trim_end()));
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    match output::out!("{}", refusal.render()).and_then(|()| output::flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(closed) if closed.is_closed_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            output::note(format_args!("error: {:#}", anyhow::Error::from(error)));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
