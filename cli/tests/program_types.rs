//! Program types of ELF objects built by clang-22: section names as libbpf, older loaders
//! and iproute2 read them, one error line for a program whose type cannot be chosen (the
//! object's other programs still load), and `--program-type` / `--default-program-type`.
//! Without clang-22 the tests fail when `CI` is set and otherwise say how to install it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BINARY: &str = env!("CARGO_BIN_EXE_bpfprove");

/// An object mixing a known section, an unknown one, a no-autoload `?` section, a type
/// whose context is not modelled and a BTF-attached tracing section.
const MIXED: &str = r#"
#define SEC(n) __attribute__((section(n), used))
SEC("xdp") int pass(void *ctx) { return 2; }
SEC("foo") int unknown(void *ctx) { return 0; }
SEC("?tc") int lazy(void *ctx) { return 0; }
SEC("lirc_mode2") int lirc(void *ctx) { return 0; }
SEC("fentry/bpf_fentry_test1") int fe(void *ctx) { return 0; }
char _license[] SEC("license") = "GPL";
"#;

/// An iproute2-style tc object: legacy `maps` and `maps/...` data, a classifier and two
/// tail-call slots, and the customary `ingress`.
const TC_TAIL: &str = r#"
#define SEC(n) __attribute__((section(n), used))
struct bpf_elf_map { unsigned type, size_key, size_value, max_elem, flags, id, pinning; };
struct bpf_elf_map jmp SEC("maps") = { 3, 4, 4, 2, 0, 1, 0 };
int cfg SEC("maps/extra") = 1;
SEC("classifier") int cls(void *ctx) { return 0; }
SEC("1/0") int slot0(void *ctx) { return 0; }
SEC("2/1") int slot1(void *ctx) { return 2; }
SEC("ingress") int ing(void *ctx) { return 0; }
char _license[] SEC("license") = "GPL";
"#;

/// `xdp` and `tc` programs and a tail-call slot: the slot cannot take one type from them.
const MIXED_SLOT: &str = r#"
#define SEC(n) __attribute__((section(n), used))
SEC("xdp") int x(void *ctx) { return 2; }
SEC("tc") int t(void *ctx) { return 0; }
SEC("1/0") int slot(void *ctx) { return 0; }
char _license[] SEC("license") = "GPL";
"#;

/// A tc program reading `__sk_buff.data`: fine for tc, refused for a socket filter.
const READS_DATA: &str = r#"
#define SEC(n) __attribute__((section(n), used))
struct __sk_buff { unsigned before[19], data, data_end; };
SEC("tc") int prog(struct __sk_buff *skb) { return skb->data_end - skb->data > 1000 ? 1 : 2; }
char _license[] SEC("license") = "GPL";
"#;

fn clang_available() -> bool {
    if Command::new("clang-22").arg("--version").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "clang-22 missing under CI: run ./scripts/setup");
    eprintln!("clang-22 not found: install it with ./scripts/setup to run this test");
    false
}

/// Compiles `source` into a fresh directory; the object's path.
fn build(name: &str, source: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "bpfprove-program-types-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).expect("temp dir is writable");
    let c = dir.join(format!("{name}.c"));
    let object = dir.join(format!("{name}.o"));
    fs::write(&c, source).expect("write");
    let out = Command::new("clang-22")
        .args(["-target", "bpf", "-O2", "-g", "-c"])
        .arg(&c)
        .arg("-o")
        .arg(&object)
        .output()
        .expect("clang-22 runs");
    assert!(out.status.success(), "clang-22: {}", String::from_utf8_lossy(&out.stderr));
    object
}

fn bpfprove(object: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output: Output = Command::new(BINARY).args(args).arg(object).output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned() + &stderr)
}

/// The line of `output` about `title` (`SECTION/FUNCTION`).
fn line<'a>(output: &'a str, title: &str) -> &'a str {
    let prefix = format!("{title}: ");
    output.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no line for {title} in:\n{output}"))
}

#[test]
fn an_unknown_section_fails_only_its_own_program() {
    if !clang_available() {
        return;
    }
    let object = build("mixed", MIXED);
    let (code, output) = bpfprove(&object, &["verify"]);
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(line(&output, "xdp/pass"), "xdp/pass: PASS");
    let unknown = line(&output, "foo/unknown");
    assert!(unknown.contains("ERROR") && unknown.contains("`foo`") && unknown.contains("--program-type"), "{unknown}");
    assert_eq!(line(&output, "?tc/lazy"), "?tc/lazy: PASS");
    assert_eq!(line(&output, "fentry/bpf_fentry_test1/fe"), "fentry/bpf_fentry_test1/fe: PASS");
    // A type whose context is not modelled is refused, never verified against a guess.
    let lirc = line(&output, "lirc_mode2/lirc");
    assert!(lirc.contains("UNKNOWN") && lirc.contains("not modelled"), "{lirc}");
}

#[test]
fn a_default_type_covers_only_unknown_sections() {
    if !clang_available() {
        return;
    }
    let object = build("mixed", MIXED);
    let (_, output) = bpfprove(&object, &["verify", "--default-program-type", "xdp"]);
    assert_eq!(line(&output, "foo/unknown"), "foo/unknown: PASS");
    assert!(line(&output, "lirc_mode2/lirc").contains("not modelled"), "{output}");
}

#[test]
fn iproute2_tail_call_slots_take_the_objects_type() {
    if !clang_available() {
        return;
    }
    let object = build("tc_tail", TC_TAIL);
    let (code, output) = bpfprove(&object, &["verify"]);
    assert_eq!(code, Some(0), "{output}");
    for title in ["classifier/cls", "1/0/slot0", "2/1/slot1", "ingress/ing"] {
        assert_eq!(line(&output, title), format!("{title}: PASS"));
    }
    let object = build("mixed_slot", MIXED_SLOT);
    let (code, output) = bpfprove(&object, &["verify"]);
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(line(&output, "xdp/x"), "xdp/x: PASS");
    let slot = line(&output, "1/0/slot");
    assert!(slot.contains("ERROR") && slot.contains("iproute2") && slot.contains("2 types"), "{slot}");
}

#[test]
fn program_type_overrides_every_section() {
    if !clang_available() {
        return;
    }
    let object = build("reads_data", READS_DATA);
    let (code, output) = bpfprove(&object, &["verify"]);
    assert_eq!((code, line(&output, "tc/prog")), (Some(0), "tc/prog: PASS"), "{output}");
    // As a socket filter, reading `data` is refused, in `verify`, `jit` and `run` alike.
    let (code, output) = bpfprove(&object, &["verify", "--program-type", "socket", "--counterexample-runs", "0"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(line(&output, "tc/prog").starts_with("tc/prog: FAIL"), "{output}");
    let (code, output) = bpfprove(&object, &["jit", "--program-type", "socket_filter"]);
    assert_eq!(code, Some(1), "{output}");
    let (code, output) = bpfprove(&object, &["run", "--mem", "00 11 22"]);
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("type sched_cls") && output.contains("r0 = 0x2"), "{output}");
    let (code, output) = bpfprove(&object, &["run", "--program-type", "socket", "--mem", "00 11 22"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("type socket_filter") && output.contains("trap"), "{output}");
    let (code, output) = bpfprove(&object, &["verify", "--program-type", "nonsense"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("unknown program type `nonsense`"), "{output}");
}

/// LSM programs: the return range follows the hook named by the section.
const LSM: &str = r#"
#define SEC(n) __attribute__((section(n), used))
SEC("lsm/file_open") int deny(void *ctx) { return -1; }
SEC("lsm/file_permission") int bad(void *ctx) { return 1; }
SEC("lsm/bprm_committed_creds") int void_hook(void *ctx) { return 7; }
SEC("cgroup_skb/egress") int cn(void *ctx) { return 3; }
SEC("cgroup_skb/ingress") int too_big(void *ctx) { return 2; }
char _license[] SEC("license") = "GPL";
"#;

#[test]
fn return_ranges_follow_the_type_and_the_lsm_hook() {
    if !clang_available() {
        return;
    }
    let object = build("lsm", LSM);
    let (_, output) = bpfprove(&object, &["verify", "--counterexample-runs", "0"]);
    assert_eq!(line(&output, "lsm/file_open/deny"), "lsm/file_open/deny: PASS");
    assert!(line(&output, "lsm/file_permission/bad").contains("FAIL"), "{output}");
    assert_eq!(line(&output, "lsm/bprm_committed_creds/void_hook"), "lsm/bprm_committed_creds/void_hook: PASS");
    assert_eq!(line(&output, "cgroup_skb/egress/cn"), "cgroup_skb/egress/cn: PASS");
    assert!(line(&output, "cgroup_skb/ingress/too_big").contains("FAIL"), "{output}");
}
