//! The bpf_conformance suite through `BPF_PROG_TEST_RUN`: every test the kernel runs must
//! agree with the interpreter (r0 and the memory block afterwards). The tests the kernel
//! cannot run are printed, grouped by reason.
//!
//! Without the capability (root or CAP_BPF), the test says so and passes without checking
//! outside CI; under `CI=true` it fails (see `capability::available_or_explain`).

use std::path::{Path, PathBuf};

use bpfprove_kernel::capability::available_or_explain;
use bpfprove_kernel::conformance::{SuiteReport, compare_file_text};

fn suite_tests() -> Option<PathBuf> {
    let dir = match std::env::var_os("BPFPROVE_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    };
    let tests = dir.join("tests");
    if tests.is_dir() {
        return Some(tests);
    }
    assert!(std::env::var_os("BPFPROVE_CONFORMANCE").is_none(), "BPFPROVE_CONFORMANCE has no tests/ directory");
    eprintln!("bpf_conformance suite not found beside the workspace (set BPFPROVE_CONFORMANCE): NOT RUN");
    None
}

#[test]
fn every_test_the_kernel_runs_agrees_with_the_interpreter() {
    if !available_or_explain("kernel conformance") {
        return;
    }
    let Some(dir) = suite_tests() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("suite directory is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "data"))
        .collect();
    files.sort();
    let mut report = SuiteReport::default();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("test file is readable");
        let name = path.file_name().expect("file name").to_string_lossy().into_owned();
        report.add(name, compare_file_text(&text));
    }
    for (reason, tests) in &report.cannot_run {
        let names: Vec<&str> = tests.iter().map(|(name, _)| name.as_str()).collect();
        eprintln!("cannot run ({}): {reason}: {}", names.len(), names.join(" "));
    }
    for (name, what) in &report.differed {
        eprintln!("DIFFERS {name}: {what}");
    }
    eprintln!("{}", report.summary(files.len()));
    assert!(report.differed.is_empty(), "{} tests differ from the kernel", report.differed.len());
    assert!(report.ran() > 0, "the kernel ran no test at all");
}

/// A test of `asm` on `memory`, in the suite's file format.
fn data_file(asm: &str, memory: &str) -> String {
    format!("-- asm\n{asm}\n-- mem\n{memory}\n-- result\n0x0\n")
}

#[test]
fn all_64_bits_of_r0_and_the_memory_writes_are_compared() {
    if !available_or_explain("kernel r0 and memory") {
        return;
    }
    use bpfprove_kernel::conformance::{CaseResult, run_in_kernel};
    use bpfprove_semantics::conformance::{build, parse_test};
    let text = data_file("lddw %r0, 0x123456789abcdef0\nstb [%r1+1], 7\nadd %r0, %r2\nexit", "00 00 00 00");
    assert_eq!(compare_file_text(&text), CaseResult::Agreed { r0: 0x123456789abcdef4 });
    let program = build(&parse_test(&text).expect("test parses")).expect("program builds");
    let run = run_in_kernel(&program, &[0, 0, 0, 0]).expect("kernel runs it");
    assert_eq!(run, bpfprove_kernel::conformance::KernelRun { r0: 0x123456789abcdef4, memory: vec![0, 7, 0, 0] });
}
