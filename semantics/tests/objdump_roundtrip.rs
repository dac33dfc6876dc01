//! Round trip against the real toolchain: our C fixtures are compiled with clang-22
//! (`-target bpf -O2`, several `-mcpu`s) and disassembled with `llvm-objdump-22 -d`; for every
//! instruction line, our printer must reproduce objdump's text from the bytes, and our parser
//! must read the text back to exactly those bytes.
//!
//! Objdump's text is lossy for bpf-to-bpf calls (`src = 1` prints as `call 0x26`, like a
//! helper call); for those lines the test checks that our lossless spelling (`call pc+0x26`)
//! round-trips instead, and that no other kind of line is lossy.
//!
//! Without clang-22 the test fails when `CI` is set and otherwise says how to install it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use bpfprove_semantics::asm::llvm::{parse_insn, print_insn, print_insn_objdump};
use bpfprove_semantics::isa::{CallTarget, Insn, decode_one, encode};

const CLANG: &str = "clang-22";
const OBJDUMP: &str = "llvm-objdump-22";

/// Fixture sources and the `-mcpu`s each must compile for.
const FIXTURES: [(&str, &[&str]); 4] = [
    ("packet.c", &["v1", "v2", "v3", "v4"]),
    ("switch_calls.c", &["v4"]),
    ("atomics.c", &["v3", "v4"]),
    ("signed_math.c", &["v4"]),
];

/// Text that must appear in some line, so that the fixtures keep exercising every family
/// this test is meant to cover (clang could stop emitting one).
const MUST_SEE: [&str; 16] = [
    "gotox r",
    "callx r",
    "lock *(u64 *)",
    "lock *(u32 *)",
    "= atomic_fetch_",
    "= xchg_64(",
    "= xchg32_32(",
    "= cmpxchg_64(",
    "= cmpxchg32_32(",
    " s/= ",
    "bswap",
    " = (s32)",
    " = *(s8 *)",
    " ll",
    "if w",
    "goto ",
];

/// A scratch directory under the system temp dir, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> ScratchDir {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("bpfprove-objdump-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir is writable");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tool_present(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|out| out.status.success())
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(out.status.success(), "{command:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("objdump prints UTF-8")
}

/// One instruction line of `llvm-objdump -d`: `  16:\t85 10 00 00 26 00 00 00\tcall 0x26`.
struct Line {
    pc: usize,
    bytes: Vec<u8>,
    text: String,
}

fn instruction_lines(listing: &str) -> Vec<Line> {
    listing
        .lines()
        .filter_map(|line| {
            let (pc, rest) = line.trim_start().split_once(":\t")?;
            let pc = pc.parse().ok()?;
            let (hex, text) = rest.split_once('\t')?;
            let bytes = hex.split(' ').map(|b| u8::from_str_radix(b, 16)).collect::<Result<Vec<u8>, _>>().ok()?;
            Some(Line { pc, bytes, text: strip_annotation(text).to_owned() })
        })
        .collect()
}

/// Drops the ` <sym+0x..>` objdump appends to jumps.
fn strip_annotation(text: &str) -> &str {
    match text.rfind(" <") {
        Some(at) if text.ends_with('>') => &text[..at],
        _ => text,
    }
}

/// Checks one line; returns a description of each failure, and whether the line is lossy.
fn check(line: &Line, failures: &mut Vec<String>) -> bool {
    let Line { pc, bytes, text } = line;
    let insn = match decode_one(bytes, *pc) {
        Ok(insn) if insn.slots() * 8 == bytes.len() => insn,
        other => {
            failures.push(format!("pc {pc} `{text}`: bytes {bytes:02x?} decode to {other:?}"));
            return false;
        }
    };
    let objdump = print_insn_objdump(&insn);
    if objdump != *text {
        failures.push(format!("pc {pc}: we print `{objdump}`, objdump prints `{text}`"));
    }
    let ours = print_insn(&insn);
    let lossy = ours != *text;
    if lossy {
        if !matches!(insn, Insn::Call(CallTarget::Local(_))) {
            failures.push(format!("pc {pc}: unexpected lossy objdump text `{text}` for {insn:?}"));
        }
        if parse_insn(&ours) != Ok(insn) {
            failures.push(format!("pc {pc}: our spelling `{ours}` does not parse back to {insn:?}"));
        }
        return true;
    }
    match parse_insn(text) {
        Ok(parsed) if encode(&[parsed]) == *bytes => {}
        Ok(parsed) => failures.push(format!("pc {pc}: `{text}` parses to {parsed:?}, not to bytes {bytes:02x?}")),
        Err(e) => failures.push(format!("pc {pc}: `{text}` does not parse: {e}")),
    }
    false
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

#[test]
fn objdump_lines_round_trip() {
    if !tool_present(CLANG) || !tool_present(OBJDUMP) {
        let message = format!("{CLANG} and {OBJDUMP} are needed for this test; install them with ./scripts/setup");
        assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this is a failure)");
        eprintln!("skipping: {message}");
        return;
    }
    let scratch = ScratchDir::new();
    let (mut checked, mut lossy, mut failures, mut seen) = (0usize, 0usize, Vec::new(), Vec::new());
    for (source, cpus) in FIXTURES {
        for cpu in cpus {
            let object = scratch.0.join(format!("{source}.{cpu}.o"));
            run(Command::new(CLANG)
                .args(["-target", "bpf", &format!("-mcpu={cpu}"), "-O2", "-c"])
                .arg(fixture_dir().join(source))
                .arg("-o")
                .arg(&object));
            let listing = run(Command::new(OBJDUMP).arg("-d").arg(&object));
            let lines = instruction_lines(&listing);
            assert!(lines.len() > 10, "{source} -mcpu={cpu}: too few instruction lines in\n{listing}");
            let before = failures.len();
            for line in &lines {
                lossy += usize::from(check(line, &mut failures));
                seen.push(line.text.clone());
            }
            for failure in &mut failures[before..] {
                *failure = format!("{source} -mcpu={cpu}: {failure}");
            }
            checked += lines.len();
        }
    }
    for needle in MUST_SEE {
        if !seen.iter().any(|text| text.contains(needle)) {
            failures.push(format!("no fixture line contains `{needle}`"));
        }
    }
    assert!(lossy > 0, "the fixtures should contain bpf-to-bpf calls");
    eprintln!("{checked} objdump lines checked, {lossy} lossy call lines checked through our spelling");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn annotation_stripping_keeps_less_than_conditions() {
    assert_eq!(strip_annotation("if r1 < r2 goto +0x1 <.text+0x2f0>"), "if r1 < r2 goto +0x1");
    assert_eq!(strip_annotation("if r1 < r2 goto +0x1"), "if r1 < r2 goto +0x1");
    assert_eq!(strip_annotation("exit"), "exit");
    let lines = instruction_lines(
        "0000 <f>:\n      16:\t18 21 00 00 05 00 00 00 00 00 00 00 00 00 00 00\tld_pseudo\tr1, 0x2, 0x5\n",
    );
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0].pc, lines[0].bytes.len(), lines[0].text.as_str()), (16, 16, "ld_pseudo\tr1, 0x2, 0x5"));
}
