//! The built binary on bad input and hostile surroundings: a standard output whose reader
//! has gone (`| head`), a full disk (`/dev/full`), an endless input (`/dev/zero`) and
//! absurd arguments. Every case ends with a clear exit code and message, never a panic
//! (exit 101), an abort or a hang.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const BINARY: &str = env!("CARGO_BIN_EXE_bpfprove");

/// A fresh directory holding a small LLVM-syntax program (`prog.s`), its bytecode
/// (`prog.bin`) and a conformance directory (`data/`) with one test.
fn workspace() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "bpfprove-bad-input-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(dir.join("data")).expect("temp dir is writable");
    fs::write(dir.join("prog.s"), "r0 = 7\nr1 = r0\nr0 += r1\nexit\n").expect("write");
    let assembled = run(&dir, &["asm", "prog.s", "-o", "prog.bin"], Stdio::null(), Stdio::null());
    assert!(assembled.status.success(), "asm: {}", String::from_utf8_lossy(&assembled.stderr));
    fs::write(dir.join("data/add.data"), "-- asm\nmov32 %r0, 1\nadd32 %r0, 2\nexit\n-- result\n0x3\n").expect("write");
    dir
}

fn run(dir: &Path, args: &[&str], stdin: Stdio, stdout: Stdio) -> Output {
    Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

/// One cheap invocation of every verb that writes to standard output.
const EVERY_VERB: &[&[&str]] = &[
    &["asm", "prog.s"],
    &["disasm", "prog.bin"],
    &["disasm", "prog.bin", "--listing"],
    &["run", "prog.bin"],
    &["run", "prog.bin", "--jit"],
    &["verify", "prog.s"],
    &["verify", "prog.s", "--invariants"],
    &["jit", "prog.s", "--disasm"],
    &["conformance", "data"],
    &["difftest", "--cases", "5"],
    &["prove-domains", "--width", "2", "--domain", "interval"],
    &["--help"],
    &["verify", "--help"],
    &["--version"],
];

/// A pipe whose reading end is already closed: every write to it fails with `EPIPE`.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_closed_standard_output_ends_every_verb_quietly() {
    let dir = workspace();
    for args in EVERY_VERB {
        let output = run(&dir, args, Stdio::null(), closed_pipe());
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_full_disk_is_an_error_for_every_verb() {
    let dir = workspace();
    for args in EVERY_VERB {
        let full = File::options().write(true).open("/dev/full").expect("/dev/full exists on Linux");
        let output = run(&dir, args, Stdio::null(), Stdio::from(full));
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: cannot write to standard output: No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn an_endless_input_is_refused_naming_it() {
    let dir = workspace();
    for args in [
        &["disasm", "/dev/zero"][..],
        &["verify", "/dev/zero"],
        &["asm", "/dev/zero"],
        &["check-proof", "/dev/zero", "prog.bin"],
        &["selftest", "/dev/zero"],
    ] {
        let output = run(&dir, args, Stdio::null(), Stdio::null());
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("/dev/zero: larger than 256 MiB"), "{args:?}: {stderr}");
    }
    let zero = File::open("/dev/zero").expect("/dev/zero exists on Linux");
    let output = run(&dir, &["conformance-plugin"], Stdio::from(zero), Stdio::null());
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the program on standard input: larger than 256 MiB"), "{stderr}");
}

#[test]
fn absurd_limits_are_taken_as_given_without_panicking() {
    let dir = workspace();
    let most = u64::MAX.to_string();
    for (args, code, says) in [
        (&["verify", "prog.s", "--time-limit", &most][..], 0, "PASS"),
        (&["jit", "prog.s", "--time-limit", &most], 0, "verified"),
        (&["verify", "prog.s", "--time-limit", "0"], 1, "UNKNOWN (budget: time limit)"),
        (&["verify", "prog.s", "--max-visits", "0"], 1, "UNKNOWN (budget: more than 0 instruction visits)"),
        (&["verify", "prog.s", "--show", &most, "--counterexample-runs", "4294967295"], 0, "PASS"),
        (&["run", "prog.bin", "--budget", &most], 0, "r0 = 0xe"),
        (&["run", "prog.bin", "--budget", "0"], 1, "trap"),
        (&["difftest", "--cases", "0", "--seed", &most], 0, "0 cases"),
        (&["prove-domains", "--width", "2", "--domain", "interval", "--threads", "0"], 0, "interval"),
    ] {
        let output = run(&dir, args, Stdio::null(), Stdio::piped());
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stdout}{}", stderr_of(&output));
        assert!(stdout.contains(says), "{args:?}: {stdout}");
    }
    for args in [&["prove-domains", "--width", &most][..], &["run", "prog.bin", "--mem", "zz"]] {
        let output = run(&dir, args, Stdio::null(), Stdio::piped());
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
    }
}
