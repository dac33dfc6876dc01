//! The independent proof checker on logs of small assembly programs, forged in the ways a
//! log can lie about structure: loop membership and resolved `gotox`/`callx` targets. (Logs
//! of whole ELF objects, with the completeness check, are tested in
//! `benchmarks/tests/proof_logs.rs`.)

use bpfprove_analyzer::proof::{self, CheckError, Invariants, ProofLog, ReadError};
use bpfprove_analyzer::spec::ProgramSpec;
use bpfprove_analyzer::{Config, LoopStrategy, Subject, Verifier};
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

/// The product-domain log of `subject` (states at the cut points), as JSON.
fn log_of(subject: &Subject) -> Json {
    log_keeping(subject, Config::standard(DomainKind::Product), Invariants::CutPoints)
}

/// The log of `subject` under `config`, keeping `invariants`, as JSON; both kinds of log
/// of it check.
fn log_keeping(subject: &Subject, config: Config, invariants: Invariants) -> Json {
    let report = Verifier::new(config.clone()).verify(subject);
    let reports = [(subject.clone(), report)];
    for other in [Invariants::CutPoints, Invariants::EveryPc] {
        let log = proof::log_of("test", b"", &config, &reports, other, None);
        let log = ProofLog::from_json(&log.to_json()).expect("reads back");
        if let Err(error) = proof::check_subject(&log, &log.programs[0], subject) {
            panic!("{other:?}: the verifier's own log is rejected: {error}");
        }
    }
    serde_json::to_value(proof::log_of("test", b"", &config, &reports, invariants, None)).expect("serialises")
}

fn check(json: &Json, subject: &Subject) -> Result<(), CheckError> {
    let log: ProofLog = serde_json::from_value(json.clone()).expect("reads back");
    proof::check_subject(&log, &log.programs[0], subject).map(|_| ())
}

/// The pcs of the top-level states of the first context of `json`.
fn logged_pcs(json: &Json) -> Vec<u64> {
    let invariants = json["programs"][0]["contexts"][0]["invariants"].as_array().expect("invariants");
    invariants.iter().filter_map(|i| i["pc"].as_u64()).collect()
}

/// Removes the top-level state at `pc` of the first context of `json`.
fn drop_state(json: &mut Json, pc: u64) {
    let invariants = json["programs"][0]["contexts"][0]["invariants"].as_array_mut().expect("invariants");
    let at = invariants.iter().position(|i| i["pc"] == pc).unwrap_or_else(|| panic!("no state at {pc}"));
    invariants.remove(at);
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
/// of checked edges and the PASS is rejected, in a log of every pc's state as in a compact one.
#[test]
fn a_pass_forged_by_editing_loop_membership_is_rejected() {
    let program = program(ENDLESS);
    let subject = subject(&program);
    for (invariants, logged) in [(Invariants::EveryPc, 4), (Invariants::CutPoints, 1)] {
        let json = log_keeping(&subject, Config::standard(DomainKind::Product), invariants);
        forge_loop_membership(&json, &subject, logged);
    }
}

fn forge_loop_membership(json: &Json, subject: &Subject, logged: usize) {
    let pcs = logged_pcs(json);
    assert!(pcs.len() >= logged, "{pcs:?}");
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
        let error = check(&forged, subject).expect_err("a forged loop must be rejected");
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

/// A loop whose back edge no state takes (the selftest `conditional_loop2`: the counter
/// passes the bound on the first pass) is proven to end, and its log checks: no checked
/// state lies on a cycle, so there is nothing for a rule to end.
#[test]
fn a_loop_whose_back_edge_is_never_taken_checks() {
    let text = "r9 = 2\nr4 = 53\nr8 = r4\ngoto l1\nl0:\nr9 -= r8\nl1:\nr8 += r4\nif r8 < 100 goto l0\nr0 = 0\nexit\n";
    let program = program(text);
    let subject = subject(&program);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "pass");
    let termination =
        json["programs"][0]["obligations"].as_array().expect("obligations").iter().any(|o| o["kind"] == "termination");
    assert!(termination, "the loop has a termination obligation");
    check(&json, &subject).expect("the verifier's own log is valid");
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
/// open, and a log that drops it is rejected. In the kernel selftest `may_goto_self` the
/// jump to itself sits inside a loop through the fall-through, which the budget ends: the
/// obligation is left open at the `may_goto` (the kernel's "infinite loop detected at insn
/// 1"), not only at the outer loop's latch.
#[test]
fn loops_through_the_jump_edge_of_may_goto_need_a_termination_obligation() {
    let nested = "r0 = *(u32 *)(r10 - 4)\nl0:\nmay_goto l0\nif r0 > 10 goto l0\nr0 = 0\nexit\n";
    let json = log_of(&subject(&program(nested)));
    let open: Vec<u64> = json["programs"][0]["obligations"]
        .as_array()
        .expect("obligations")
        .iter()
        .filter(|o| o["kind"] == "termination" && o["status"] != "proven")
        .filter_map(|o| o["pc"].as_u64())
        .collect();
    assert!(open.contains(&1), "termination left open at the may_goto: {open:?}");
    for text in [
        "r0 = 0\nself:\nmay_goto self\nexit\n",
        "top:\nr0 = 1\nif r0 > 10 goto top\nmay_goto top\nr0 = 0\nexit\n",
        nested,
    ] {
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
            for invariants in [Invariants::CutPoints, Invariants::EveryPc] {
                let log =
                    proof::log_of("test", b"", &lean_config, &[(subject.clone(), lean.clone())], invariants, None);
                assert!(proof::check_subject(&log, &log.programs[0], &subject).is_err(), "{text}");
            }
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

/// A compact log keeps the joins and loop heads only; the log of every pc has them all; both
/// check (see [`log_keeping`]).
#[test]
fn a_compact_log_keeps_the_cut_points_and_a_full_log_every_pc() {
    let program = program(BRANCHES);
    let subject = subject(&program);
    let compact = log_of(&subject);
    assert_eq!(compact["options"]["invariants"], "cut-points");
    // `out` (pc 5) is the one join: the entry is derived from the context's entry state.
    assert_eq!(logged_pcs(&compact), vec![5]);
    let full = log_keeping(&subject, Config::standard(DomainKind::Product), Invariants::EveryPc);
    assert_eq!(full["options"]["invariants"], "every-pc");
    assert_eq!(logged_pcs(&full), vec![0, 1, 2, 3, 4, 5, 6, 7]);
}

/// The join's state left out of a compact log: its two in-edges both derive it.
#[test]
fn a_compact_log_without_a_join_state_is_rejected() {
    let program = program(BRANCHES);
    let subject = subject(&program);
    let mut json = log_of(&subject);
    drop_state(&mut json, 5);
    let error = check(&json, &subject).expect_err("a join needs a logged invariant");
    assert_eq!((error.context, error.pc), (Some(0), Some(5)), "{error}");
    assert!(error.reason.contains("pc 5 is reached twice but has no logged invariant"), "{error}");
}

/// A loop's head left out of a compact log: a widened loop's head is reached from before the
/// loop and by the back edge; an unrolled round's head must be logged.
#[test]
fn a_compact_log_without_a_loop_head_state_is_rejected() {
    let widened = program("r6 = 0\nloop:\nr6 += 1\nif r6 > 10000 goto +2\ncall 7\ngoto loop\nr0 = 0\nexit\n");
    let subject = subject(&widened);
    let mut json = log_of(&subject);
    assert!(logged_pcs(&json).contains(&1), "{:?}", logged_pcs(&json));
    drop_state(&mut json, 1);
    let error = check(&json, &subject).expect_err("a loop head needs a logged invariant");
    assert!(error.pc == Some(1) && error.reason.contains("reached twice"), "{error}");

    let unroll = Config { loops: LoopStrategy::Unroll, ..Config::standard(DomainKind::Product) };
    let bounded = program("r6 = 0\nloop:\nr6 += 1\nif r6 < 4 goto loop\nr0 = 0\nexit\n");
    let subject = self::subject(&bounded);
    let json = log_keeping(&subject, unroll, Invariants::CutPoints);
    let rounds = json["programs"][0]["contexts"][0]["unrolled"][0]["rounds"].as_array().expect("unrolled");
    assert_eq!(rounds.len(), 4, "{rounds:?}");
    for round in 0..rounds.len() {
        let mut forged = json.clone();
        let invariants = forged["programs"][0]["contexts"][0]["unrolled"][0]["rounds"][round]["invariants"]
            .as_array_mut()
            .expect("a round's states");
        invariants.retain(|i| i["pc"] != 1);
        let error = check(&forged, &subject).expect_err("a round's head needs a logged invariant");
        assert!(error.reason.contains("no state at its head") || error.reason.contains("no first round"), "{error}");
    }
}

/// A failing check at a pc the compact log keeps no state for, relabelled proven: the
/// checker derives that pc's state and finds the check does not hold.
#[test]
fn a_false_proof_on_a_derived_state_is_rejected() {
    let program = program("r0 = 0\nr3 = *(u8 *)(r1 + 1000)\nexit\n");
    let subject = subject(&program);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "fail");
    assert!(logged_pcs(&json).is_empty(), "a straight line needs no logged state");
    let mut forged = json;
    let prog = &mut forged["programs"][0];
    for o in prog["obligations"].as_array_mut().expect("obligations") {
        o["status"] = Json::from("proven");
    }
    prog["verdict"] = Json::from("pass");
    let error = check(&forged, &subject).expect_err("a false proof must be rejected");
    assert_eq!(error.pc, Some(1), "{error}");
    assert!(error.reason.contains("ctx-access"), "{error}");
}

/// A join's logged state narrowed below what one of its derived in-edges brings (`r0` made
/// the constant 1 where the other branch gives 2).
#[test]
fn a_logged_state_too_small_for_a_derived_edge_is_rejected() {
    let program = program(BRANCHES);
    let subject = subject(&program);
    let mut json = log_of(&subject);
    let prog = &mut json["programs"][0];
    let one = DomainKind::Product.constant(&1u64);
    let parts: Vec<String> = one.parts().iter().map(|w| format!("{w:#x}")).collect();
    let values = prog["values"].as_array_mut().expect("values");
    values.push(serde_json::json!({ "kind": "scalar", "value": { "parts": parts, "text": "1" } }));
    let index = values.len() - 1;
    let join = &mut prog["contexts"][0]["invariants"][0];
    assert_eq!(join["pc"], 5);
    join["state"]["regs"]["0"] = Json::from(index);
    let error = check(&json, &subject).expect_err("a narrowed join must be rejected");
    assert!(error.reason.contains("not inductive") && error.reason.contains("reaching 5"), "{error}");
}

/// A log of another schema version is refused before it is read as this one.
#[test]
fn a_log_of_another_schema_version_is_refused_clearly() {
    let program = program(BRANCHES);
    let subject = subject(&program);
    let mut json = log_of(&subject);
    json["schema_version"] = Json::from(1);
    json["programs"][0]["contexts"][0]["invariants"][0]["state"]["regs"] = serde_json::json!([]);
    let error = ProofLog::from_json(&json.to_string()).expect_err("version 1");
    assert!(matches!(error, ReadError::Version(1)), "{error}");
    assert!(error.to_string().contains("schema version 1: this checker reads version 2"), "{error}");
}

/// A recursive call the analysis refuses has no callee context: its log checks with the call
/// left open (`verifier_loops1.o`'s `bounded_recursion`), and a PASS whose call loses its
/// callee context is rejected at the call.
#[test]
fn a_refused_recursive_call_checks_open_and_an_uncovered_call_fails() {
    let recursive = program("r0 = 0\ncall self\nexit\nself:\ncall self\nexit\n");
    let subject = subject(&recursive);
    let json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "fail");
    check(&json, &subject).expect("the verifier's own log is valid");

    let calling = program("call f\nr0 = 0\nexit\nf:\nr0 = 0\nexit\n");
    let subject = self::subject(&calling);
    let mut json = log_of(&subject);
    assert_eq!(json["programs"][0]["verdict"], "pass");
    json["programs"][0]["contexts"][0]["calls"] = serde_json::json!([]);
    let error = check(&json, &subject).expect_err("a call no logged context covers");
    assert_eq!(error.pc, Some(0), "{error}");
    assert!(error.reason.contains("covers this call"), "{error}");
}

/// A run of global slots longer than the program's data could need is refused before the
/// checker builds it (a log must not make the checker allocate without bound).
#[test]
fn an_overlong_run_of_global_slots_is_refused() {
    let program = program(BRANCHES);
    let subject = subject(&program);
    let mut json = log_of(&subject);
    let any = serde_json::json!({ "kind": "uninit" });
    json["programs"][0]["globals"] = serde_json::json!([{ "map": 0, "offset": 0, "slots": u32::MAX, "value": any }]);
    let error = check(&json, &subject).expect_err("an overlong run");
    assert!(error.reason.contains("globals") && error.reason.contains("too long"), "{error}");
}
