//! The independent proof checker on logs of small assembly programs, forged in the ways a
//! log can lie about structure: loop membership and resolved `gotox`/`callx` targets. (Logs
//! of whole ELF objects, with the completeness check, are tested in
//! `benchmarks/tests/proof_logs.rs`.)

use bpfprove_analyzer::proof::{self, CheckError, ProofLog};
use bpfprove_analyzer::spec::ProgramSpec;
use bpfprove_analyzer::{Config, Subject, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::program::Program;
use serde_json::Value as Json;

fn program(text: &str) -> Program {
    asm::llvm::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn subject(program: &Program) -> Subject<'_> {
    let mut subject = Subject::bare("test", program, ProgramType::SocketFilter);
    subject.spec = ProgramSpec::of(ProgramType::SocketFilter);
    subject
}

/// The product-domain log of `subject`, as JSON.
fn log_of(subject: &Subject) -> Json {
    let config = Config::standard(DomainKind::Product);
    let report = Verifier::new(config.clone()).verify(subject);
    let log = proof::log_of("test", b"", &config, &[(subject.clone(), report)], None);
    serde_json::to_value(log).expect("serialises")
}

fn check(json: &Json, subject: &Subject) -> Result<(), CheckError> {
    let log: ProofLog = serde_json::from_value(json.clone()).expect("reads back");
    proof::check_subject(&log, &log.programs[0], subject).map(|_| ())
}

/// A loop that never ends: `r0` stays in [0, 7] and the exit needs 8.
const ENDLESS: &str = "r0 = 0\nloop:\nr0 += 1\nr0 &= 7\nif r0 != 8 goto loop\nexit\n";

#[test]
fn the_log_of_an_endless_loop_checks_and_fails() {
    let program = program(ENDLESS);
    let subject = subject(&program);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "fail");
    check(&json, &subject).expect("the verifier's own log is valid");
}

/// Whichever pc the forger calls the head of a one-round "unrolled" loop with itself as the
/// only member, and with the open termination obligation dropped, the loop is still a cycle
/// of checked edges and the PASS is rejected.
#[test]
fn a_pass_forged_by_editing_loop_membership_is_rejected() {
    let program = program(ENDLESS);
    let subject = subject(&program);
    let json = log_of(&subject);
    let pcs: Vec<u64> = json["programs"][0]["contexts"][0]["invariants"]
        .as_array()
        .expect("invariants")
        .iter()
        .filter_map(|i| i["pc"].as_u64())
        .collect();
    assert!(pcs.len() >= 4, "{pcs:?}");
    for head in pcs {
        let mut forged = json.clone();
        let prog = &mut forged["programs"][0];
        let context = &mut prog["contexts"][0];
        let invariants = context["invariants"].as_array_mut().expect("invariants");
        let at = invariants.iter().position(|i| i["pc"] == head).expect("the head's invariant");
        let state = invariants.remove(at);
        context["unrolled"] = serde_json::json!([{
            "head": head, "members": [head],
            "rounds": [{ "invariants": [state], "unrolled": [], "widened": [] }],
        }]);
        prog["obligations"].as_array_mut().expect("obligations").retain(|o| o["kind"] != "termination");
        prog["verdict"] = Json::from("pass");
        let error = check(&forged, &subject).expect_err("a forged loop must be rejected");
        assert!(error.reason.contains("loop through pcs"), "head {head}: {error}");
    }
}

/// A dispatch through a four-entry jump table.
const DISPATCH: &str = ".jumptable JT a, b, c, d\nr2 = *(u32 *)(r1 + 8)\nr2 &= 3\nr2 <<= 3\nr3 = JT ll\nr3 += r2\n\
                        r4 = *(u64 *)(r3 + 0)\ngotox r4\na:\nr0 = 0\nexit\nb:\nr0 = 1\nexit\nc:\nr0 = 2\nexit\nd:\nr0 = 3\nexit\n";

#[test]
fn forged_gotox_targets_are_rejected() {
    let program = program(DISPATCH);
    let subject = subject(&program);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "pass");
    check(&json, &subject).expect("the verifier's own log is valid");
    let targets = json["programs"][0]["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 1, "{targets:?}");
    assert_eq!(targets[0]["targets"].as_array().expect("pcs").len(), 4, "{targets:?}");
    let pc = targets[0]["pc"].as_u64().map(|p| p as usize);

    let mut removed = json.clone();
    removed["programs"][0]["targets"][0]["targets"].as_array_mut().expect("pcs").pop();
    let error = check(&removed, &subject).expect_err("a removed target must be rejected");
    assert!(error.pc == pc && error.reason.contains("gotox targets"), "{error}");

    let mut added = json.clone();
    added["programs"][0]["targets"][0]["targets"].as_array_mut().expect("pcs").push(Json::from(0));
    let error = check(&added, &subject).expect_err("an added target must be rejected");
    assert!(error.pc == pc && error.reason.contains("gotox targets"), "{error}");

    let mut dropped = json.clone();
    dropped["programs"][0]["targets"].as_array_mut().expect("targets").clear();
    let error = check(&dropped, &subject).expect_err("dropped targets must be rejected");
    assert!(error.pc == pc && error.reason.contains("lists none"), "{error}");

    let mut invented = json;
    let mut extra = invented["programs"][0]["targets"][0].clone();
    extra["pc"] = Json::from(0);
    invented["programs"][0]["targets"].as_array_mut().expect("targets").push(extra);
    let error = check(&invented, &subject).expect_err("targets at a plain instruction must be rejected");
    assert!(error.pc == Some(0) && error.reason.contains("resolves none"), "{error}");
}

/// A PASS for a privileged loader (a read of never-written stack) does not check as a PASS
/// for an unprivileged one: the checker applies the privilege the log names.
#[test]
fn the_checker_applies_the_logged_privilege() {
    let program = program("r0 = *(u64 *)(r10 - 8)\nr0 &= 1\nexit\n");
    let subject = subject(&program);
    let mut json = log_of(&subject);
    assert_eq!(json["options"]["privilege"], "privileged");
    assert_eq!(json["programs"][0]["verdict"], "pass");
    check(&json, &subject).expect("the verifier's own log is valid");
    json["options"]["privilege"] = "unprivileged".into();
    assert!(check(&json, &subject).is_err(), "an unprivileged loader may not read never-written stack");
    json["options"]["privilege"] = "root".into();
    let error = check(&json, &subject).expect_err("an unknown privilege");
    assert!(error.to_string().contains("unknown privilege `root`"), "{error}");
}

/// A loop ended only by `may_goto`'s budget checks without an open termination obligation;
/// the same loop with the `may_goto` replaced by a jump that falls through does not.
#[test]
fn loops_through_may_goto_need_no_termination_obligation() {
    let program = program("r0 = 0\nloop:\nmay_goto +2\nr0 += 1\ngoto loop\nr0 = 0\nexit\n");
    let subject = subject(&program);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "pass");
    check(&json, &subject).expect("the verifier's own log is valid");
    let endless = self::program("r0 = 0\nloop:\nif r0 == -1 goto +2\nr0 += 1\ngoto loop\nr0 = 0\nexit\n");
    let endless_subject = self::subject(&endless);
    assert_eq!(log_of(&endless_subject)["programs"][0]["verdict"], "fail");
}

/// A loop longer than the engine unrolls, ended by a counter, checks without an open
/// termination obligation; one whose counter is also reset in the loop fails.
#[test]
fn loops_ended_by_a_counter_check_without_termination_obligation() {
    let program = program("r6 = 0\nloop:\nr6 += 1\nif r6 > 10000 goto +2\ncall 7\ngoto loop\nr0 = 0\nexit\n");
    let subject = subject(&program);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "pass");
    check(&json, &subject).expect("the verifier's own log is valid");
    let reset = self::program("r6 = 0\nloop:\nr6 += 1\nif r6 > 10000 goto +2\nr6 &= 7\ngoto loop\nr0 = 0\nexit\n");
    let reset_subject = self::subject(&reset);
    let json = log_of(&reset_subject);
    assert_eq!(json["programs"][0]["verdict"], "fail");
    check(&json, &reset_subject).expect("the verifier's own log is valid");
}

/// A loop through a `may_goto`'s jump edge (here to itself, and back to the instruction
/// before it) never ends once the budget is spent: its log keeps the termination obligation
/// open, and a log that drops it is rejected.
#[test]
fn loops_through_the_jump_edge_of_may_goto_need_a_termination_obligation() {
    for text in
        ["r0 = 0\nself:\nmay_goto self\nexit\n", "top:\nr0 = 1\nif r0 > 10 goto top\nmay_goto top\nr0 = 0\nexit\n"]
    {
        let program = program(text);
        let subject = subject(&program);
        let json = log_of(&subject);
        assert_eq!(json["programs"][0]["verdict"], "fail", "{text}");
        check(&json, &subject).expect("the verifier's own log is valid");
        let mut forged = json.clone();
        let prog = &mut forged["programs"][0];
        prog["obligations"].as_array_mut().expect("obligations").retain(|o| o["kind"] != "termination");
        prog["verdict"] = Json::from("pass");
        let error = check(&forged, &subject).expect_err("a loop the budget does not end");
        assert!(error.reason.contains("loop through pcs"), "{text}: {error}");
    }
}

/// Branches and a join, no loop; `r0` spilled and filled.
const BRANCHES: &str = "r2 = *(u32 *)(r1 + 0)\nif r2 > 10 goto big\nr0 = 1\ngoto out\nbig:\nr0 = 2\nout:\n\
*(u64 *)(r10 - 8) = r0\nr0 = *(u64 *)(r10 - 8)\nexit\n";

/// Without every invariant, a loop-free function's report keeps the verdict and every
/// obligation, and the states it keeps (those of unproven obligations) are the full
/// report's; a log of such a report lacks states, and the checker refuses it.
#[test]
fn reports_without_every_invariant_keep_their_obligations_and_do_not_make_checkable_logs() {
    let lean_config = Config { all_invariants: false, ..Config::standard(DomainKind::Product) };
    let failing = format!("r3 = *(u8 *)(r1 + 1000)\n{BRANCHES}");
    for text in [BRANCHES, failing.as_str()] {
        let program = program(text);
        let subject = subject(&program);
        let full = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
        let lean = Verifier::new(lean_config.clone()).verify(&subject);
        assert_eq!(full.verdict, lean.verdict, "{text}");
        assert_eq!(full.obligations, lean.obligations, "{text}");
        let (full_analysis, lean_analysis) =
            (full.analysis.expect("finished"), lean.analysis.clone().expect("finished"));
        let (full_root, lean_root) =
            (&full_analysis.contexts[full_analysis.root], &lean_analysis.contexts[lean_analysis.root]);
        let unproven: Vec<usize> = lean.failures().iter().map(|o| o.pc).collect();
        assert_eq!(lean_root.invariants.keys().copied().collect::<Vec<_>>(), unproven, "{text}");
        for (pc, state) in &lean_root.invariants {
            assert_eq!(full_root.invariants.get(pc), Some(state), "{text}: pc {pc}");
        }
        if lean.verdict == bpfprove_analyzer::Verdict::Pass {
            let log = proof::log_of("test", b"", &lean_config, &[(subject.clone(), lean)], None);
            assert!(proof::check_subject(&log, &log.programs[0], &subject).is_err(), "{text}");
        }
    }
}

/// Widened nested loops: the checker ends them one counter at a time (the outer counter's
/// steps cut first, then the inner loop's own). When the inner loop masks the outer
/// counter, the log keeps the outer loop's termination open, and a log that drops it is
/// rejected though the inner loop alone still ends.
#[test]
fn nested_loops_end_one_counter_at_a_time_in_the_checker() {
    let nest =
        "r6 = 0\nouter:\nr7 = 0\ninner:\nr7 += 1\nif r7 < 5 goto inner\nr6 += 1\nif r6 < 10 goto outer\nr0 = 0\nexit\n";
    let program = program(nest);
    let subject = subject(&program);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "pass");
    check(&json, &subject).expect("the verifier's own log is valid");
    let masked = self::program(&nest.replace("inner:\n", "inner:\nr6 &= 7\n"));
    let masked_subject = self::subject(&masked);
    let json = log_of(&masked_subject);
    assert_eq!(json["programs"][0]["verdict"], "fail");
    check(&json, &masked_subject).expect("the verifier's own log is valid");
    let mut forged = json.clone();
    let prog = &mut forged["programs"][0];
    prog["obligations"]
        .as_array_mut()
        .expect("obligations")
        .retain(|o| o["kind"] != "termination" || o["status"] == "proven");
    prog["verdict"] = Json::from("pass");
    let error = check(&forged, &masked_subject).expect_err("the outer loop does not end");
    assert!(error.reason.contains("loop through pcs"), "{error}");
}
