//! The bpf_conformance suite as an integration test: every file in `tests/` must pass and
//! every file in `negative/` must be rejected, for the reason its family calls for.
//!
//! The suite is found through `BPFPROVE_CONFORMANCE` (a directory holding `tests/` and
//! `negative/`; when set, it must exist), else at `../shared/conformance` next to the
//! workspace. When neither is present the test says how to get the suite and returns.

use std::path::{Path, PathBuf};

use bpfprove_semantics::conformance::{FileKind, RunOptions, Stage, Verdict, run_file_text};

const HOW_TO_GET: &str = "bpf_conformance suite not found: clone https://github.com/Alan-Jowett/bpf_conformance \
     and set BPFPROVE_CONFORMANCE to a directory holding its `tests/` and `negative/` directories \
     (or place them in ../shared/conformance next to the workspace)";

/// The suite directory, or `None` when it is absent and was not asked for.
fn suite_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BPFPROVE_CONFORMANCE") {
        let dir = PathBuf::from(dir);
        assert!(dir.join("tests").is_dir(), "BPFPROVE_CONFORMANCE={} has no tests/ directory", dir.display());
        return Some(dir);
    }
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance");
    default.join("tests").is_dir().then_some(default)
}

/// The `.data` files of `dir`, sorted.
fn data_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "data"))
        .collect();
    files.sort();
    files
}

/// Runs every file of `dir` as `kind`; returns each file's name and verdict.
fn run_dir(dir: &Path, kind: FileKind) -> Vec<(String, Verdict)> {
    data_files(dir)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let name = path.file_name().expect("a file").to_string_lossy().into_owned();
            (name, run_file_text(&text, kind, &RunOptions::suite()))
        })
        .collect()
}

/// The stage at which a negative file must be rejected, by file family.
fn expected_rejection(name: &str) -> Option<Stage> {
    match name {
        // A `--` line naming no section (the suite's "Unknown directive").
        "invalid_unknown_directive.data" => Some(Stage::TestFile),
        // No program, or no expectation at all.
        "empty.data" | "empty_instructions.data" => Some(Stage::TestFile),
        // The program runs, but not to the value the file claims.
        "incorrect_return_value_high_bits.data" => Some(Stage::Completed),
        // `or r0, r10` reads r0 before anything defines it: the interpreter traps.
        "error.data" => Some(Stage::Run),
        _ if name.starts_with("unused-") => Some(Stage::Decode),
        _ if name.starts_with("invalid_") => Some(Stage::Assembly),
        _ => None,
    }
}

#[test]
fn conformance_suite() {
    let Some(dir) = suite_dir() else {
        println!("{HOW_TO_GET}");
        return;
    };
    let mut failures = Vec::new();

    let positive = run_dir(&dir.join("tests"), FileKind::Positive);
    assert!(!positive.is_empty(), "no .data files in {}", dir.join("tests").display());
    for (name, verdict) in &positive {
        if !verdict.passed {
            failures.push(format!("tests/{name}: [{}] {}", verdict.stage, verdict.reason));
        }
    }

    let negative_dir = dir.join("negative");
    let negative = if negative_dir.is_dir() { run_dir(&negative_dir, FileKind::Negative) } else { Vec::new() };
    for (name, verdict) in &negative {
        if !verdict.passed {
            failures.push(format!("negative/{name}: not rejected: [{}] {}", verdict.stage, verdict.reason));
        } else if let Some(stage) = expected_rejection(name).filter(|&stage| stage != verdict.stage) {
            failures
                .push(format!("negative/{name}: rejected at {} instead of {stage}: {}", verdict.stage, verdict.reason));
        }
    }

    let total = positive.len() + negative.len();
    println!(
        "{} positive and {} negative files: {} passed, {} failed",
        positive.len(),
        negative.len(),
        total - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{} conformance failures:\n{}", failures.len(), failures.join("\n"));
}

/// Every assembled suite program prints to uBPF text that parses back to the same program.
#[test]
fn suite_programs_survive_print_and_parse() {
    use bpfprove_semantics::asm::ubpf;
    use bpfprove_semantics::conformance::{ProgramSource, parse_test};

    let Some(dir) = suite_dir() else {
        println!("{HOW_TO_GET}");
        return;
    };
    let mut checked = 0;
    for path in data_files(&dir.join("tests")) {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let case = parse_test(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let ProgramSource::Asm(lines) = case.program else { continue };
        let source: String = lines.iter().map(|(_, line)| format!("{line}\n")).collect();
        let program = ubpf::parse(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let printed = ubpf::print(&program);
        assert_eq!(ubpf::parse(&printed).as_ref(), Ok(&program), "{}:\n{printed}", path.display());
        checked += 1;
    }
    assert!(checked > 0, "no assembly programs in {}", dir.display());
}
