//! Test support: building the corpus with clang-22 and running llvm-objdump-22.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use bpfprove_benchmarks::corpus::{Cpu, Entry};
use bpfprove_semantics::elf::{self, LoadedProgram, Object};
use bpfprove_semantics::interp::context::ContextKind;

/// Whether a tool runs (`TOOL --version` succeeds).
fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Whether clang-22 and llvm-objdump-22 are usable. Without them, under CI this fails the
/// test; elsewhere it says how to install them and the caller returns.
pub fn tools_present() -> bool {
    if have("clang-22") && have("llvm-objdump-22") {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "clang-22 / llvm-objdump-22 missing under CI: run ./scripts/setup");
    eprintln!("clang-22 / llvm-objdump-22 not found: install them with ./scripts/setup to run this test");
    false
}

/// Builds the corpus once per test binary (build.sh skips up-to-date objects) and returns
/// the output directory, holding `<cpu>/<object>.o`.
pub fn corpus_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/build.sh");
        let status = Command::new("bash").arg(&script).arg(&out).status().expect("bash runs");
        assert!(status.success(), "{} failed", script.display());
        out
    })
}

/// Every built object: (cpu, object stem, path), sorted.
pub fn objects() -> Vec<(Cpu, String, PathBuf)> {
    let mut out = Vec::new();
    for cpu in Cpu::ALL {
        let dir = corpus_dir().join(cpu.name());
        for entry in std::fs::read_dir(&dir).expect("build.sh made the directory") {
            let path = entry.expect("directory entry").path();
            if path.extension().is_some_and(|e| e == "o") {
                let stem = path.file_stem().expect("has a name").to_string_lossy().into_owned();
                out.push((cpu, stem, path));
            }
        }
    }
    out.sort();
    out
}

/// Reads an object file.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `llvm-objdump-22 -d` of an object: per function (section, name) its instruction texts,
/// whitespace-normalised.
pub fn objdump_functions(path: &Path) -> Vec<(String, String, Vec<String>)> {
    let output = Command::new("llvm-objdump-22").arg("-d").arg(path).output().expect("llvm-objdump-22 runs");
    assert!(output.status.success(), "llvm-objdump-22 failed on {}", path.display());
    let text = String::from_utf8_lossy(&output.stdout);
    let mut functions: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Disassembly of section ").and_then(|s| s.strip_suffix(':')) {
            section = name.to_owned();
        } else if let Some(name) = line.split_once(" <").and_then(|(_, rest)| rest.strip_suffix(">:")) {
            functions.push((section.clone(), name.to_owned(), Vec::new()));
        } else if let Some((_, rest)) = line.split_once(":\t") {
            // "  12:\t<hex bytes>\t<text>"
            let text = rest.split_once('\t').map_or("", |(_, t)| t);
            if let Some(f) = functions.last_mut() {
                f.2.push(normalise(text));
            }
        }
    }
    functions
}

/// Collapses runs of whitespace to one space and trims.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A seeded xorshift64* generator: the same inputs on every run.
pub struct Rng(pub u64);

impl Rng {
    /// The next word.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The corpus object `object` (a manifest `object` name) built for `cpu`, loaded.
/// Inputs for a program whose context is `context`: `fixed` first, then `random` seeded
/// ones (packets of up to 128 bytes, raw contexts of their size or 64 bytes, iterator
/// elements of `element` bytes); none for a context the model does not describe.
pub fn context_inputs(
    context: ContextKind,
    fixed: Vec<Vec<u8>>,
    random: usize,
    element: usize,
    rng: &mut Rng,
) -> Vec<Vec<u8>> {
    if matches!(context, ContextKind::NotModelled { .. }) {
        return Vec::new();
    }
    let mut inputs = fixed;
    for _ in 0..random {
        inputs.push(match context {
            ContextKind::Packet(_) => {
                let len = (rng.next() % 129) as usize;
                rng.bytes(len)
            }
            ContextKind::Raw { size } => rng.bytes(size.unwrap_or(64)),
            ContextKind::Iterator(_) => rng.bytes(element),
            ContextKind::NotModelled { .. } => Vec::new(),
        });
    }
    inputs
}

pub fn load_object(cpu: Cpu, object: &str) -> Object {
    let path = corpus_dir().join(cpu.name()).join(format!("{object}.o"));
    elf::load(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The program a manifest entry names, in its object.
pub fn entry_program<'a>(object: &'a Object, entry: &Entry) -> &'a LoadedProgram {
    object
        .programs
        .iter()
        .find(|p| p.name == entry.function && p.section == entry.section)
        .unwrap_or_else(|| panic!("{} not in {}", entry.function, entry.object))
}
