//! The bpf_conformance suite through the JIT: every file in `tests/` must pass, judged by
//! the same runner as the interpreter's suite test (`semantics/tests/conformance.rs`).
//!
//! The suite is found through `BPFPROVE_CONFORMANCE` (a directory holding `tests/`; when
//! set, it must exist), else at `../shared/conformance` next to the workspace. When neither
//! is present the test says how to get the suite and returns.

use std::path::{Path, PathBuf};

use bpfprove_jit_x86::conformance_engine;
use bpfprove_semantics::conformance::{FileKind, RunOptions, run_file_text_with};

const HOW_TO_GET: &str = "bpf_conformance suite not found: clone https://github.com/Alan-Jowett/bpf_conformance \
     and set BPFPROVE_CONFORMANCE to a directory holding its `tests/` directory \
     (or place it in ../shared/conformance next to the workspace)";

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

#[test]
fn conformance_suite_through_the_jit() {
    let Some(dir) = suite_dir() else {
        println!("{HOW_TO_GET}");
        return;
    };
    let files = data_files(&dir.join("tests"));
    assert!(!files.is_empty(), "no .data files in {}", dir.join("tests").display());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let verdict = run_file_text_with(&text, FileKind::Positive, &RunOptions::suite(), &conformance_engine);
        if !verdict.passed {
            let name = path.file_name().expect("a file").to_string_lossy();
            failures.push(format!("tests/{name}: [{}] {}", verdict.stage, verdict.reason));
        }
    }
    println!("{} passed, {} failed", files.len() - failures.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} files failed through the JIT:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
