//! The judge end to end on a clang-22 object whose programs carry selftest-style annotations
//! (tests/data/annotated.c): tags read from BTF, verdicts, retval runs, skips, the matrix
//! and the known-failures file built from the judgement.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bpfprove_selftest::annotation::{Expectation, Expected, Retval};
use bpfprove_selftest::classify::{Reason, Rule};
use bpfprove_selftest::outcome::{KernelVerdict, RetvalCheck};
use bpfprove_selftest::report::{self, Matrix};
use bpfprove_selftest::{Disagreement, Got, Judgement, KnownFailures, Options, TestId, classify, judge};

/// Compiles tests/data/annotated.c with clang-22 into a fresh directory; returns the object.
fn build_object() -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/annotated.c");
    let dir = std::env::temp_dir().join(format!(
        "bpfprove-selftest-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let object = dir.join("annotated.o");
    let status = Command::new("clang-22")
        .args(["-g", "-O2", "--target=bpf", "-mcpu=v3", "-c"])
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .status()
        .expect("clang-22 runs (install it with ./scripts/setup)");
    assert!(status.success(), "clang-22 failed on {}", source.display());
    object
}

fn judged() -> Judgement {
    let object = build_object();
    let judgement = judge(std::slice::from_ref(&object), &Options::standard(Duration::from_secs(30))).expect("judges");
    std::fs::remove_dir_all(object.parent().expect("a directory")).expect("cleans up");
    judgement
}

fn test<'a>(judgement: &'a Judgement, program: &str) -> &'a bpfprove_selftest::TestOutcome {
    judgement.tests.iter().find(|t| t.id.program == program).unwrap_or_else(|| panic!("no test {program}"))
}

#[test]
fn tags_come_out_of_the_btf_in_order() {
    let object = build_object();
    let bytes = std::fs::read(&object).expect("object");
    let tags = bpfprove_semantics::elf::function_decl_tags(&bytes).expect("tags");
    assert_eq!(
        tags["returns_seven"],
        ["comment:test_expect_success", "comment:test_retval=7", "comment:test_description=returns seven"]
    );
    assert!(!tags.contains_key("untagged_safe"));
    let expectation = Expectation::from_tags(&tags["reads_above_the_frame"]).expect("valid");
    let privileged = expectation.privileged.expect("privileged");
    assert_eq!(privileged.expected, Expected::Failure);
    assert_eq!(privileged.messages, ["invalid read from stack"]);
    assert_eq!(
        Expectation::from_tags(&tags["returns_seven"]).expect("valid").description.as_deref(),
        Some("returns seven")
    );
    std::fs::remove_dir_all(object.parent().expect("a directory")).expect("cleans up");
}

#[test]
fn each_program_is_judged_against_its_annotation() {
    let judgement = judged();
    let ids: Vec<&str> = judgement.tests.iter().map(|t| t.id.program.as_str()).collect();
    assert_eq!(
        ids,
        [
            "reads_above_the_frame",
            "returns_seven",
            "returns_seven_not_eight",
            "safe_but_expected_to_fail",
            "tracepoint_safe",
            "untagged_safe"
        ]
    );
    let skipped: Vec<&str> = judgement.skipped.iter().map(|s| s.id.program.as_str()).collect();
    assert_eq!(skipped, ["arm64_only", "helper_program", "unprivileged_only"]);

    let seven = test(&judgement, "returns_seven");
    assert_eq!((&seven.got, &seven.retval, seven.disagreement()), (&Got::Pass, &Some(RetvalCheck::Agreed(7)), None));

    let above = test(&judgement, "reads_above_the_frame");
    assert!(matches!(&above.got, Got::Fail { first } if first.contains("stack-bounds")), "{above:?}");
    assert_eq!(above.disagreement(), None);

    assert_eq!(test(&judgement, "untagged_safe").disagreement(), None);

    let eight = test(&judgement, "returns_seven_not_eight");
    assert_eq!(eight.retval, Some(RetvalCheck::Mismatch { expected: Retval::Value(8), r0: 7 }));
    assert_eq!((eight.disagreement(), classify::reason(eight)), (Some(Disagreement::Retval), Some(Reason::Retval)));

    let unsafe_pass = test(&judgement, "safe_but_expected_to_fail");
    assert_eq!(unsafe_pass.disagreement(), Some(Disagreement::PassOnExpectedFailure));
    assert_eq!(
        (classify::rule_broken(unsafe_pass), classify::reason(unsafe_pass)),
        (Rule::MemorySafety, Some(Reason::AcceptsUnsafe))
    );
    let serious = report::passes_on_expected_failure(&judgement);
    assert_eq!(serious.len(), 1);
    assert!(serious[0].starts_with("annotated/safe_but_expected_to_fail (socket): memory safety"), "{serious:?}");

    let matrix = Matrix::of(&judgement.tests);
    assert_eq!(matrix.counts, [[4, 0, 0], [1, 1, 0]]);
    assert_eq!(matrix.success_pass_percent(), 100.0);
    assert!(
        report::test_line(eight)
            .starts_with("DIFF  annotated returns_seven_not_eight expected success got PASS: retval")
    );
}

#[test]
fn the_known_failures_of_a_judgement_round_trip_and_accept_it() {
    let judgement = judged();
    let known = KnownFailures::of(&judgement);
    let listed: Vec<(&str, Reason)> = known.entries.iter().map(|(id, r)| (id.program.as_str(), *r)).collect();
    assert_eq!(
        listed,
        [("returns_seven_not_eight", Reason::Retval), ("safe_but_expected_to_fail", Reason::AcceptsUnsafe)]
    );
    let reread = KnownFailures::parse(&known.render(), Path::new("known.toml")).expect("parses what it renders");
    assert_eq!(reread, known);
    let comparison = reread.compare(&judgement);
    assert!(comparison.ok() && comparison.now_agree.is_empty() && comparison.vanished.is_empty());

    // Without its entries, a disagreement is new; an entry for an agreeing test asks to be
    // removed; one for a program that is gone is named.
    let mut edited = known.clone();
    edited.entries.remove(&TestId { object: "annotated".into(), program: "returns_seven_not_eight".into() });
    edited.entries.insert(TestId { object: "annotated".into(), program: "returns_seven".into() }, Reason::Precision);
    edited.entries.insert(TestId { object: "annotated".into(), program: "gone".into() }, Reason::Precision);
    edited.entries.insert(TestId { object: "not_judged".into(), program: "x".into() }, Reason::Precision);
    let comparison = edited.compare(&judgement);
    assert!(!comparison.ok());
    let new: Vec<&str> = comparison.new.iter().map(|t| t.id.program.as_str()).collect();
    assert_eq!(new, ["returns_seven_not_eight"]);
    assert_eq!(comparison.now_agree, [TestId { object: "annotated".into(), program: "returns_seven".into() }]);
    assert_eq!(comparison.vanished, [TestId { object: "annotated".into(), program: "gone".into() }]);
}

#[test]
fn the_live_kernel_gives_its_verdict_beside_bpfprove() {
    if !bpfprove_kernel::capability::available_or_explain("the_live_kernel_gives_its_verdict_beside_bpfprove") {
        return;
    }
    let object = build_object();
    let options = Options { kernel: true, ..Options::standard(Duration::from_secs(30)) };
    let judgement = judge(std::slice::from_ref(&object), &options).expect("judges");
    std::fs::remove_dir_all(object.parent().expect("a directory")).expect("cleans up");
    assert_eq!(judgement.kernel_unavailable, None);
    for accepted in ["returns_seven", "untagged_safe", "tracepoint_safe", "safe_but_expected_to_fail"] {
        assert_eq!(test(&judgement, accepted).kernel, Some(KernelVerdict::Accepted), "{accepted}");
    }
    let refused = &test(&judgement, "reads_above_the_frame").kernel;
    assert!(matches!(refused, Some(KernelVerdict::Rejected(line)) if line.contains("stack")), "{refused:?}");
    let matrix = report::kernel_matrix(&judgement).expect("a kernel column");
    assert!(matrix.contains("expected failure           1         1            0"), "{matrix}");
}

#[test]
fn unreadable_objects_and_malformed_annotations_are_named_not_judged() {
    let dir = std::env::temp_dir().join(format!("bpfprove-selftest-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let not_elf = dir.join("not_elf.o");
    std::fs::write(&not_elf, b"not an object").expect("write");
    let malformed = dir.join("malformed.o");
    let source = "__attribute__((section(\"socket\"), used, btf_decl_tag(\"comment:test_retval=seven\")))\n\
                  int bad_retval(void *ctx) { return 0; }\n";
    let mut clang = Command::new("clang-22")
        .args(["-g", "-O2", "--target=bpf", "-x", "c", "-c", "-", "-o"])
        .arg(&malformed)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("clang-22 runs (install it with ./scripts/setup)");
    std::io::Write::write_all(&mut clang.stdin.take().expect("stdin"), source.as_bytes()).expect("source written");
    assert!(clang.wait().expect("clang-22 ends").success());

    let judgement = judge(std::slice::from_ref(&dir), &Options::standard(Duration::from_secs(30))).expect("judges");
    std::fs::remove_dir_all(&dir).expect("cleans up");
    assert!(judgement.tests.is_empty());
    let errors: Vec<(&str, &str)> =
        judgement.object_errors.iter().map(|e| (e.object.as_str(), e.reason.as_str())).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].0 == "malformed" && errors[0].1.contains("`comment:test_retval=seven`"), "{errors:?}");
    assert!(errors[1].0 == "not_elf" && errors[1].1.contains("cannot read the BTF annotations"), "{errors:?}");

    let missing = judge(&[PathBuf::from("/no/such/object.o")], &Options::standard(Duration::from_secs(1)));
    assert!(matches!(missing, Err(bpfprove_selftest::SelftestError::Read { .. })));
}
