//! Kfuncs by the kernel model's table: acquired references (released once, not leaked, not
//! used after release), results that may be NULL, trusted object arguments, RCU read
//! sections, open-coded iterators and the `mem*` builtins. Each rule with its unsafe twins.

mod common;

use bpfprove_analyzer::proof::{self, ProofLog};
use bpfprove_analyzer::spec::ProgramSpec;
use bpfprove_analyzer::{Config, Subject, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::ProgramType;
use common::{Surroundings, assert_outcome};
use serde_json::Value as Json;

const KFUNCS: &[(i32, &str)] = &[
    (1, "bpf_task_from_pid"),
    (2, "bpf_task_release"),
    (3, "bpf_task_acquire"),
    (4, "bpf_iter_num_new"),
    (5, "bpf_iter_num_next"),
    (6, "bpf_iter_num_destroy"),
    (7, "bpf_rcu_read_lock"),
    (8, "bpf_rcu_read_unlock"),
    (9, "memset"),
    (10, "memcpy"),
    (11, "memcmp"),
    (12, "memmove"),
    (13, "bpf_cpumask_create"),
    (14, "bpf_cgroup_from_id"),
    (15, "bpf_cgroup_release"),
    (16, "bpf_dynptr_from_skb"),
];

/// Checks that `text`, a tc program, verifies to `expect` (product domain, standard
/// settings).
fn check(text: &str, expect: &str) {
    let config = Config::standard(DomainKind::Product);
    let got = common::outcome(text, ProgramType::SchedCls, config, Surroundings { maps: vec![], kfuncs: KFUNCS });
    assert_outcome(&got, expect, text);
}

/// `bpf_task_from_pid(1)` into r6, NULL-checked (pcs 0-3; the NULL path exits at 3).
const TASK: &str = "r1 = 1\ncall kfunc 0x1\nr6 = r0\nif r6 == 0 goto out\n";
const OUT: &str = "out:\nr0 = 0\nexit\n";

#[test]
fn acquired_references_are_released_exactly_once() {
    check(&format!("{TASK}r1 = r6\ncall kfunc 0x2\n{OUT}"), "PASS");
    // Leaked: surely held at the exit; maybe held where the NULL path joins.
    check(&format!("{TASK}r0 = 0\nexit\n{OUT}"), "5 resources refuted");
    check(&format!("{TASK}{OUT}"), "5 resources unknown");
    // Leaked before the NULL test too.
    check("r1 = 1\ncall kfunc 0x1\nr0 = 0\nexit\n", "3 resources refuted");
    // Released twice: the second time the pointer is gone.
    check(&format!("{TASK}r1 = r6\ncall kfunc 0x2\nr1 = r6\ncall kfunc 0x2\n{OUT}"), "7 helper-argument refuted");
    // Used after release.
    check(
        &format!(
            "{TASK}r1 = r6\ncall kfunc 0x2\nr1 = r6\ncall kfunc 0x3\nif r0 == 0 goto out\nr1 = r0\ncall kfunc 0x2\n{OUT}"
        ),
        "7 helper-argument refuted",
    );
    // A reference acquired from another one is a reference of its own.
    check(
        &format!(
            "{TASK}r1 = r6\ncall kfunc 0x3\nr7 = r0\nr1 = r6\ncall kfunc 0x2\nif r7 == 0 goto out\nr1 = r7\ncall kfunc 0x2\n{OUT}"
        ),
        "PASS",
    );
    check(&format!("{TASK}r1 = r6\ncall kfunc 0x3\nr1 = r6\ncall kfunc 0x2\n{OUT}"), "9 resources unknown");
}

#[test]
fn only_acquired_objects_of_the_right_kind_are_released() {
    // Not an acquired pointer: the stack, a number, a cgroup where a task is expected.
    check("*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\ncall kfunc 0x2\nr0 = 0\nexit\n", "3 helper-argument refuted");
    check("r1 = 0\ncall kfunc 0x2\nr0 = 0\nexit\n", "1 helper-argument refuted");
    check(
        "r1 = 1\ncall kfunc 0xe\nr6 = r0\nif r6 == 0 goto out\nr1 = r6\ncall kfunc 0x2\nr1 = r6\ncall kfunc 0xf\nout:\nr0 = 0\nexit\n",
        "5 helper-argument refuted",
    );
    // KF_TRUSTED_ARGS: not a pointer moved inside the object.
    check(
        &format!("{TASK}r1 = r6\nr1 += 8\ncall kfunc 0x2\nr1 = r6\ncall kfunc 0x2\n{OUT}"),
        "6 helper-argument refuted",
    );
}

#[test]
fn results_that_may_be_null_are_tested_before_use() {
    // The release fails, so the reference is still held at the exit.
    check(
        "r1 = 1\ncall kfunc 0x1\nr6 = r0\nr1 = r0\ncall kfunc 0x2\nr0 = 0\nexit\n",
        "4 helper-argument refuted\n6 resources refuted",
    );
    // Loads from a kernel object are PROBE_MEM loads at constant offsets inside its
    // window; stores, variable offsets and loads past the window are refused.
    check(&format!("{TASK}r2 = *(u64 *)(r6 + 0)\nr1 = r6\ncall kfunc 0x2\n{OUT}"), "PASS");
    check(&format!("{TASK}*(u64 *)(r6 + 0) = 1\nr1 = r6\ncall kfunc 0x2\n{OUT}"), "4 dereference refuted");
    check(&format!("{TASK}r2 = *(u64 *)(r6 + 16380)\nr1 = r6\ncall kfunc 0x2\n{OUT}"), "4 dereference refuted");
    check(
        &format!(
            "{TASK}r2 = *(u64 *)(r6 + 0)\nr2 &= 8\nr7 = r6\nr7 += r2\nr2 = *(u8 *)(r7 + 0)\nr1 = r6\ncall kfunc 0x2\n{OUT}"
        ),
        "8 dereference refuted",
    );
}

#[test]
fn rcu_read_sections_are_closed_and_only_open_ones() {
    check("call kfunc 0x7\ncall kfunc 0x8\nr0 = 0\nexit\n", "PASS");
    check("call kfunc 0x8\nr0 = 0\nexit\n", "0 resources refuted");
    check("call kfunc 0x7\nr0 = 0\nexit\n", "2 resources refuted");
}

/// `bpf_iter_num_new(&it at r10 - 8, 0, 10)` (pcs 0-4).
const ITER_NEW: &str = "r1 = r10\nr1 += -8\nr2 = 0\nr3 = 10\ncall kfunc 0x4\n";
const ITER_NEXT: &str = "r1 = r10\nr1 += -8\ncall kfunc 0x5\n";
const ITER_DESTROY: &str = "r1 = r10\nr1 += -8\ncall kfunc 0x6\n";

#[test]
fn iterators_are_created_advanced_and_destroyed_on_the_stack() {
    let sum = format!(
        "r6 = 0\n{ITER_NEW}loop:\n{ITER_NEXT}if r0 == 0 goto done\nr1 = *(u32 *)(r0 + 0)\nr6 += r1\ngoto loop\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n"
    );
    check(&sum, "PASS");
    // Not destroyed.
    check(&format!("{ITER_NEW}{ITER_NEXT}r0 = 0\nexit\n"), "9 resources refuted");
    // Next after destroy, next of nothing, two news at one place.
    check(&format!("{ITER_NEW}{ITER_DESTROY}{ITER_NEXT}r0 = 0\nexit\n"), "10 resources refuted");
    check(&format!("{ITER_NEXT}r0 = 0\nexit\n"), "2 resources refuted");
    check(&format!("{ITER_NEW}{ITER_NEW}{ITER_DESTROY}r0 = 0\nexit\n"), "9 resources refuted");
    // The item: tested for NULL, four read-only bytes, gone with the iterator.
    let item = |access: &str| {
        format!("{ITER_NEW}{ITER_NEXT}if r0 == 0 goto done\n{access}\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n")
    };
    check(&item("r1 = *(u32 *)(r0 + 0)"), "PASS");
    check(&item("r1 = *(u64 *)(r0 + 0)"), "9 memory-bounds refuted");
    check(&item("*(u32 *)(r0 + 0) = 1"), "9 memory-bounds refuted");
    check(&format!("{ITER_NEW}{ITER_NEXT}r1 = *(u32 *)(r0 + 0)\n{ITER_DESTROY}r0 = 0\nexit\n"), "8 null-deref unknown");
    let after = format!(
        "{ITER_NEW}{ITER_NEXT}if r0 == 0 goto done\nr6 = r0\n{ITER_DESTROY}r0 = *(u32 *)(r6 + 0)\nexit\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n"
    );
    check(&after, "13 dereference refuted");
    // Not a constant, aligned stack address.
    check("r1 = r10\nr1 += -4\nr2 = 0\nr3 = 1\ncall kfunc 0x4\nr0 = 0\nexit\n", "4 helper-argument refuted");
}

/// Loops around `next` end when every round takes an item: the iterator is made outside the
/// loop, every cycle passes `next`, and only a non-NULL result goes round again.
#[test]
fn iterator_loops_end_only_when_every_round_takes_an_item() {
    let body =
        |inside: &str| format!("r6 = 0\n{ITER_NEW}loop:\n{inside}goto loop\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n");
    check(&body(&format!("{ITER_NEXT}if r0 == 0 goto done\n")), "PASS");
    // Going round whatever `next` returns: drained iterators return NULL for ever.
    let endless = format!(
        "r6 = *(u32 *)(r1 + 0)\n{ITER_NEW}loop:\n{ITER_NEXT}if r6 == 7 goto done\ngoto loop\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n"
    );
    check(&endless, "10 termination unknown");
    // A path round the loop that skips `next`.
    check(&body(&format!("r6 += 1\nif r6 > 5 goto loop\n{ITER_NEXT}if r0 == 0 goto done\n")), "12 termination unknown");
    // Destroyed and made again inside the loop: it never runs dry.
    check(&body(&format!("{ITER_NEXT}if r0 == 0 goto done\n{ITER_DESTROY}{ITER_NEW}")), "18 termination unknown");
    // Testing an older result does not show that the latest `next` found an item.
    check(
        &format!(
            "{ITER_NEW}{ITER_NEXT}r7 = r0\nloop:\n{ITER_NEXT}if r7 == 0 goto done\ngoto loop\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n"
        ),
        "13 termination unknown",
    );
}

/// `bpf_for_each` as clang lays it out: a first `next` before the loop, the body, and a
/// second `next` at its end going back to the body. The body's item comes from either call.
#[test]
fn items_of_two_next_calls_join_into_one_item() {
    let text = format!(
        "r6 = 0\n{ITER_NEW}{ITER_NEXT}if r0 == 0 goto done\nbody:\nr1 = *(u32 *)(r0 + 0)\nr6 += r1\n\
         {ITER_NEXT}if r0 != 0 goto body\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n"
    );
    check(&text, "PASS");
    let (json, checked) = checked_log(&text, &|_| {});
    assert_eq!(json["programs"][0]["verdict"], "pass");
    assert_eq!(checked, Ok(()));
}

#[test]
fn memory_builtins_check_bounds_and_initialisation() {
    let set = "r1 = r10\nr1 += -16\nr2 = 0\nr3 = 16\ncall kfunc 0x9\n";
    check(&format!("{set}r0 = *(u64 *)(r10 - 8)\nr0 = 0\nexit\n"), "PASS");
    check("r1 = r10\nr1 += -8\nr2 = 0\nr3 = 16\ncall kfunc 0x9\nr0 = 0\nexit\n", "4 helper-argument refuted");
    // Copies need initialised sources; comparisons return -1, 0 or 1.
    let copy = "r1 = r10\nr1 += -32\nr2 = r10\nr2 += -16\nr3 = 16\ncall kfunc 0xa\n";
    check(&format!("{set}{copy}r0 = *(u64 *)(r10 - 32)\nr0 = 0\nexit\n"), "PASS");
    check(&format!("{copy}r0 = 0\nexit\n"), "5 uninit-stack unknown");
    let compare = "r1 = r10\nr1 += -16\nr2 = r10\nr2 += -16\nr3 = 16\ncall kfunc 0xb\n";
    check(
        &format!("{set}{compare}r0 += 1\nif r0 > 2 goto bad\nr0 = 0\nexit\nbad:\nr0 = *(u64 *)(r10 - 600)\nexit\n"),
        "PASS",
    );
    // A size without a bound.
    check(
        "r3 = *(u32 *)(r1 + 0)\nr1 = r10\nr1 += -8\nr2 = 0\ncall kfunc 0x9\nr0 = 0\nexit\n",
        "4 helper-argument unknown\n4 helper-argument refuted",
    );
}

#[test]
fn kfuncs_the_program_type_may_not_call_or_the_analyzer_does_not_model_are_refused() {
    check("call kfunc 0xd\nr0 = 0\nexit\n", "0 call refuted");
    check("r2 = 0\nr3 = r10\nr3 += -16\ncall kfunc 0x10\nr0 = 0\nexit\n", "3 call unknown");
    check("call kfunc 0x63\nr0 = 0\nexit\n", "0 call refuted");
}

/// The proof log of `text` (a tc program with [`KFUNCS`]) as JSON, and what the independent
/// checker says of `edit` applied to it.
fn checked_log(text: &str, edit: &dyn Fn(&mut Json)) -> (Json, Result<(), String>) {
    let program = asm::llvm::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut subject = Subject::bare("test", &program, ProgramType::SchedCls);
    subject.spec = ProgramSpec::of(ProgramType::SchedCls);
    subject.kfuncs = KFUNCS.iter().map(|&(id, name)| (id, name.to_owned())).collect();
    let config = Config::standard(DomainKind::Product);
    let report = Verifier::new(config.clone()).verify(&subject);
    let log = proof::log_of("test", b"", &config, &[(subject.clone(), report)], proof::Invariants::CutPoints, None);
    let mut json = serde_json::to_value(log).expect("serialises");
    edit(&mut json);
    let log: ProofLog = serde_json::from_value(json.clone()).expect("reads back");
    let checked = proof::check_subject(&log, &log.programs[0], &subject).map(|_| ()).map_err(|e| e.to_string());
    (json, checked)
}

#[test]
fn the_checker_accepts_iterator_loops_and_rejects_forged_endless_ones() {
    let sum = format!(
        "r6 = 0\n{ITER_NEW}loop:\n{ITER_NEXT}if r0 == 0 goto done\nr1 = *(u32 *)(r0 + 0)\nr6 += r1\ngoto loop\n\
         done:\n{ITER_DESTROY}r0 = 0\nexit\n"
    );
    let (json, checked) = checked_log(&sum, &|_| {});
    assert_eq!(json["programs"][0]["verdict"], "pass");
    assert_eq!(checked, Ok(()));
    // An endless loop around `next`, its open termination obligation forged into a proof.
    let endless = format!(
        "r6 = *(u32 *)(r1 + 0)\n{ITER_NEW}loop:\n{ITER_NEXT}if r6 == 7 goto done\ngoto loop\ndone:\n{ITER_DESTROY}r0 = 0\nexit\n"
    );
    let (json, checked) = checked_log(&endless, &|_| {});
    assert_eq!(json["programs"][0]["verdict"], "fail");
    assert_eq!(checked, Ok(()));
    let forge = |json: &mut Json| {
        json["programs"][0]["verdict"] = "pass".into();
        for obligation in json["programs"][0]["obligations"].as_array_mut().expect("obligations") {
            obligation["status"] = "proven".into();
        }
    };
    let (_, checked) = checked_log(&endless, &forge);
    let error = checked.expect_err("a forged proof of an endless loop is accepted");
    assert!(error.contains("termination") || error.contains("loop"), "{error}");
}
