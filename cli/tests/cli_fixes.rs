//! The new-user review's CLI fixes, each through the built binary: `disasm` reads files as
//! the other verbs do, `--json -` writes the proof log to standard output, `jit` exits 1 on a
//! program that fails verification, a failure a concrete input confirms is `refuted`, and
//! assembly and bytecode get proof logs that `check-proof` validates.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BINARY: &str = env!("CARGO_BIN_EXE_bpfprove");

/// An XDP object with two programs: one reads inside its checked bounds, one past them.
const XDP_SOURCE: &str = r#"
struct xdp_md { unsigned int data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };
__attribute__((section("xdp"), used)) int inside(struct xdp_md *ctx) {
    unsigned char *data = (unsigned char *)(long)ctx->data;
    unsigned char *end = (unsigned char *)(long)ctx->data_end;
    if (data + 14 > end) return 1;
    return data[10] & 1;
}
__attribute__((section("xdp"), used)) int past_end(struct xdp_md *ctx) {
    unsigned char *data = (unsigned char *)(long)ctx->data;
    unsigned char *end = (unsigned char *)(long)ctx->data_end;
    if (data + 14 > end) return 1;
    return data[20] & 1;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
"#;

fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "bpfprove-cli-fixes-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).expect("temp dir is writable");
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BINARY).args(args).current_dir(dir).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `xdp.o` in `dir`, or `None` (and a note) without clang-22 outside CI.
fn xdp_object(dir: &Path) -> Option<PathBuf> {
    fs::write(dir.join("xdp.c"), XDP_SOURCE).expect("write");
    let built = Command::new("clang-22")
        .args(["-target", "bpf", "-O2", "-g", "-c", "xdp.c", "-o", "xdp.o"])
        .current_dir(dir)
        .output();
    match built {
        Ok(output) if output.status.success() => Some(dir.join("xdp.o")),
        Ok(output) => panic!("clang-22 failed: {}", text(&output.stderr)),
        Err(_) => {
            assert!(std::env::var_os("CI").is_none(), "clang-22 missing under CI: run ./scripts/setup");
            eprintln!("clang-22 not found: ./scripts/setup installs it; this test needs it");
            None
        }
    }
}

#[test]
fn disasm_reads_assembly_text_by_its_extension() {
    let dir = scratch();
    fs::write(dir.join("prog.s"), "r0 = 7\nexit\n").expect("write");
    let output = run(&dir, &["disasm", "prog.s"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "\tr0 = 0x7\n\texit\n");
}

#[test]
fn jit_exits_1_when_the_program_fails_verification() {
    let dir = scratch();
    fs::write(dir.join("bad.s"), "r0 = r2\nexit\n").expect("write");
    let output = run(&dir, &["jit", "bad.s"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("FAIL"), "{}", text(&output.stdout));
}

#[test]
fn assembly_and_bytecode_get_proof_logs_the_checker_validates() {
    let dir = scratch();
    let program = "r0 = *(u32 *)(r1 + 12)\nr0 &= 1\nexit\n";
    fs::write(dir.join("prog.s"), program).expect("write");
    let output = run(&dir, &["verify", "prog.s", "--program-type", "xdp", "--json", "prog.json"]);
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    let log: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("prog.json")).expect("log")).expect("JSON");
    assert_eq!(log["programs"][0]["section"], "xdp", "{log}");
    assert_eq!(log["programs"][0]["function"], "prog", "{log}");
    let checked = run(&dir, &["check-proof", "prog.json", "prog.s"]);
    assert!(checked.status.success(), "{}{}", text(&checked.stdout), text(&checked.stderr));
    assert!(text(&checked.stdout).starts_with("proof log valid: 1 programs"), "{}", text(&checked.stdout));
    // The log is about these bytes: another program is refused.
    fs::write(dir.join("other.s"), "r0 = 0\nexit\n").expect("write");
    fs::copy(dir.join("prog.json"), dir.join("other.json")).expect("copy");
    let refused = run(&dir, &["check-proof", "other.json", "other.s"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(text(&refused.stdout).contains("SHA-256"), "{}", text(&refused.stdout));
    // Raw bytecode: `r0 = 0; exit`.
    let bytecode: Vec<u8> = [[0xb7u8, 0, 0, 0, 0, 0, 0, 0], [0x95, 0, 0, 0, 0, 0, 0, 0]].concat();
    fs::write(dir.join("zero.bin"), bytecode).expect("write");
    let output = run(&dir, &["verify", "zero.bin", "--json", "zero.json"]);
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    let checked = run(&dir, &["check-proof", "zero.json", "zero.bin"]);
    assert!(checked.status.success(), "{}{}", text(&checked.stdout), text(&checked.stderr));
}

/// `--full-invariants` logs every pc's state where the default log keeps the cut points;
/// both check, and a log of another schema version is refused naming the versions.
#[test]
fn full_and_compact_logs_check_and_other_versions_are_refused() {
    let dir = scratch();
    let program = "r2 = *(u32 *)(r1 + 0)\nif r2 > 10 goto big\nr0 = 1\ngoto out\nbig:\nr0 = 2\nout:\nexit\n";
    fs::write(dir.join("branches.s"), program).expect("write");
    let states = |log: &str| {
        let json: serde_json::Value = serde_json::from_slice(&fs::read(dir.join(log)).expect("log")).expect("JSON");
        json["programs"][0]["contexts"][0]["invariants"].as_array().expect("invariants").len()
    };
    for (log, extra, logged) in [("compact.json", None, 1), ("full.json", Some("--full-invariants"), 6)] {
        let mut args = vec!["verify", "branches.s", "--json", log];
        args.extend(extra);
        let output = run(&dir, &args);
        assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
        assert_eq!(states(log), logged, "{log}");
        let checked = run(&dir, &["check-proof", log, "branches.s"]);
        assert!(checked.status.success(), "{log}: {}{}", text(&checked.stdout), text(&checked.stderr));
    }
    let old = fs::read_to_string(dir.join("compact.json")).expect("log").replacen(
        "\"schema_version\":2",
        "\"schema_version\":1",
        1,
    );
    fs::write(dir.join("old.json"), old).expect("write");
    let refused = run(&dir, &["check-proof", "old.json", "branches.s"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    assert!(
        text(&refused.stderr).contains("schema version 1: this checker reads version 2"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn invariants_show_instructions_as_disasm_does() {
    let dir = scratch();
    let Some(object) = xdp_object(&dir) else { return };
    let object = object.to_string_lossy().into_owned();
    let disasm = text(&run(&dir, &["disasm", &object]).stdout);
    let verify = text(&run(&dir, &["verify", &object, "--function", "inside", "--invariants"]).stdout);
    let mut compared = 0;
    for line in verify.lines().filter(|l| l.contains(" | ")) {
        let (slot, rest) = line.trim_start().split_once(": ").expect("`PC: INSN | STATE`");
        let insn = rest.split(" | ").next().expect("an instruction").trim_end();
        let listed = format!("{slot:>8}:\t{insn}");
        assert!(disasm.lines().any(|l| l.trim_end() == listed), "`{listed}` is not in disasm's output:\n{disasm}");
        compared += 1;
    }
    assert!(compared >= 5, "{verify}");
}

#[test]
fn json_dash_writes_the_proof_log_to_standard_output() {
    let dir = scratch();
    let Some(object) = xdp_object(&dir) else { return };
    let object = object.to_string_lossy().into_owned();
    let output = run(&dir, &["verify", &object, "--function", "inside", "--json", "-"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("standard output is the JSON log");
    assert!(log.is_object(), "{log}");
    assert!(text(&output.stderr).contains("xdp/inside: PASS"), "{}", text(&output.stderr));
    assert!(!dir.join("-").exists(), "a file named `-` was written");
}

#[test]
fn a_failure_a_concrete_input_confirms_is_refuted() {
    let dir = scratch();
    let Some(object) = xdp_object(&dir) else { return };
    let object = object.to_string_lossy().into_owned();
    // A generous floor: the default 10 ms can pass before the search's first run on a
    // loaded machine, and this test is about confirming, not about the budget.
    let output = run(&dir, &["verify", &object, "--function", "past_end", "--counterexample-min-ms", "2000"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let failure = stdout.lines().find(|l| l.contains("packet-bounds")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(failure.contains("packet-bounds refuted"), "{stdout}");
    assert!(stdout.contains("confirmed: input"), "{stdout}");
    // The replay line reruns exactly that input in the interpreter, which traps there.
    let replay =
        stdout.lines().find_map(|l| l.trim().strip_prefix("replay: bpfprove ")).unwrap_or_else(|| panic!("{stdout}"));
    let args: Vec<&str> = replay.split_whitespace().map(|a| a.trim_matches('\'')).collect();
    let rerun = run(&dir, &args);
    assert_eq!(rerun.status.code(), Some(1), "{}", text(&rerun.stdout));
    assert!(text(&rerun.stdout).contains("trap: pc "), "{}", text(&rerun.stdout));
}

#[test]
fn the_counterexample_budget_flags_bound_the_search() {
    let dir = scratch();
    let Some(object) = xdp_object(&dir) else { return };
    let object = object.to_string_lossy().into_owned();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", &object, "--function", "past_end"];
        args.extend_from_slice(extra);
        let output = run(&dir, &args);
        (output.status.code(), text(&output.stdout), text(&output.stderr))
    };
    let (code, stdout, _) = verify(&["--counterexample-max-runs", "0"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("unconfirmed (may be imprecision)") && !stdout.contains("confirmed: input"), "{stdout}");
    let (code, stdout, _) = verify(&[
        "--counterexample-random-only",
        "--counterexample-min-ms",
        "10000",
        "--counterexample-max-ms",
        "10000",
    ]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("confirmed: input"), "{stdout}");
    let (code, _, stderr) = verify(&["--counterexample-share", "100"]);
    assert_eq!(code, Some(2), "a share of all the time is refused: {stderr}");
}

/// The `domain` of every obligation in the proof log of `verify ARGS --json -`.
fn logged_domains(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "-"]);
    let output = run(dir, &all);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the JSON log");
    let programs = log["programs"].as_array().expect("programs");
    programs
        .iter()
        .flat_map(|p| p["obligations"].as_array().expect("obligations").iter())
        .map(|o| o["domain"].as_str().expect("domain").to_owned())
        .collect()
}

#[test]
fn the_product_credits_its_components_in_the_proof_log() {
    let dir = scratch();
    let Some(object) = xdp_object(&dir) else { return };
    let object = object.to_string_lossy().into_owned();
    let plain = logged_domains(&dir, &[&object, "--function", "inside"]);
    assert!(!plain.is_empty() && plain.iter().all(|d| d == "product"), "{plain:?}");
    let credited = logged_domains(&dir, &[&object, "--function", "inside", "--credit-components"]);
    assert_eq!(credited.len(), plain.len());
    assert!(credited.iter().all(|d| ["interval", "tnum", "product"].contains(&d.as_str())), "{credited:?}");
    assert!(credited.iter().any(|d| d == "interval"), "{credited:?}");
    let refused = run(&dir, &["verify", &object, "--domain", "tnum", "--credit-components"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
}

#[test]
fn disasm_listing_numbers_slots_as_verify_numbers_pcs() {
    let dir = scratch();
    let Some(object) = xdp_object(&dir) else { return };
    let object = object.to_string_lossy().into_owned();
    let verified =
        text(&run(&dir, &["verify", &object, "--function", "past_end", "--counterexample-runs", "0"]).stdout);
    // "  pc N: KIND STATUS: DETAIL  [INSN] ..."
    let failure = verified.lines().find(|l| l.trim_start().starts_with("pc ")).unwrap_or_else(|| panic!("{verified}"));
    let pc: usize = failure.trim_start()[3..].split(':').next().and_then(|n| n.parse().ok()).expect("a pc");
    let insn = failure.split("  [").nth(1).and_then(|rest| rest.split(']').next()).expect("an instruction");
    let listing = run(&dir, &["disasm", &object, "--listing"]);
    assert!(listing.status.success(), "{}", text(&listing.stderr));
    let listing = text(&listing.stdout);
    let program = listing.split("xdp/past_end:\n").nth(1).unwrap_or_else(|| panic!("{listing}"));
    let line = program
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{pc}:")))
        .unwrap_or_else(|| panic!("no slot {pc} in\n{program}"));
    assert!(line.ends_with(insn), "slot {pc} is `{line}`, verify shows `{insn}`");
    let bytes = line.split('\t').nth(1).unwrap_or_default();
    let hex_slot =
        bytes.split(' ').count() == 8 && bytes.split(' ').all(|b| b.len() == 2 && u8::from_str_radix(b, 16).is_ok());
    assert!(hex_slot, "the listing shows the slot's 8 bytes: {line}");
}

#[test]
fn prove_domains_progress_counts_towards_its_total() {
    let dir = scratch();
    let output = run(&dir, &["prove-domains", "--width", "2", "--domain", "interval"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    let total = lines.len();
    assert!(total > 1, "{stderr}");
    for (index, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("[{}/{total}] ", index + 1)), "{line}");
    }
}

/// `--domain zone` selects the zone's rows alone (the facts its rules rest on, with Z3):
/// each proven, written to the CSV; without --z3 it is a clear error.
#[test]
fn prove_domains_selects_the_zone_rows_alone() {
    let dir = scratch();
    let csv = dir.join("zone.csv");
    let output = run(&dir, &["prove-domains", "--z3", "--domain", "zone", "--csv", csv.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows = std::fs::read_to_string(&csv).expect("the CSV is written");
    let rows: Vec<&str> = rows.lines().skip(1).collect();
    assert!(rows.len() >= 20, "{} rows", rows.len());
    assert!(rows.iter().all(|r| r.contains(",zone,proven,64,")), "{rows:?}");
    let output = run(&dir, &["prove-domains", "--domain", "zone"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("add --z3"), "{}", text(&output.stderr));
}

/// A masked index used after its source was checked: only zone-z3 relates the mask to the
/// index. `--fallback zone-z3` turns the product's FAIL into a PASS and says so; zone-z3's
/// own proof log checks; an unsafe twin fails either way; `--fallback` refuses `--json`.
#[test]
fn the_z3_fallback_proves_what_the_product_cannot() {
    let dir = scratch();
    let program = |bound: u32| {
        format!(
            "r2 = *(u32 *)(r1 + 4)\nr1 = *(u32 *)(r1 + 0)\nr3 = r1\nr3 += 64\nif r3 > r2 goto out\n\
             r3 = *(u8 *)(r1 + 0)\nr4 = *(u8 *)(r1 + 1)\nr4 &= r3\nif r3 > {bound} goto out\n\
             r1 += r4\nr0 = *(u32 *)(r1 + 0)\nout:\nr0 = 2\nexit\n"
        )
    };
    fs::write(dir.join("masked.s"), program(59)).expect("write");
    fs::write(dir.join("twin.s"), program(61)).expect("write");
    let base = ["--program-type", "xdp", "--counterexample-runs", "0"];
    let verify = |file: &str, more: &[&str]| run(&dir, &[&["verify", file][..], &base[..], more].concat());
    let plain = verify("masked.s", &[]);
    assert_eq!(plain.status.code(), Some(1), "{}", text(&plain.stdout));
    let retried = verify("masked.s", &["--fallback", "zone-z3"]);
    let stdout = text(&retried.stdout);
    assert!(retried.status.success(), "{stdout}{}", text(&retried.stderr));
    assert!(
        stdout.contains("PASS") && stdout.contains("proven by the fallback domain zone-z3: product failed"),
        "{stdout}"
    );
    let twin = verify("twin.s", &["--fallback", "zone-z3"]);
    assert_eq!(twin.status.code(), Some(1), "{}", text(&twin.stdout));
    let logged = verify("masked.s", &["--domain", "zone-z3", "--json", "masked.json"]);
    assert!(logged.status.success(), "{}", text(&logged.stdout));
    let checked = run(&dir, &["check-proof", "masked.json", "masked.s"]);
    assert!(checked.status.success(), "{}{}", text(&checked.stdout), text(&checked.stderr));
    let both = verify("masked.s", &["--fallback", "zone-z3", "--json", "x.json"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both.stderr));
}
