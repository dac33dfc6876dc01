//! The time limit holds on inputs built to exhaust it, and every budget that runs out gives
//! `UNKNOWN (budget: ...)`, never a hang or a panic. Wall-clock times are not asserted here
//! (the machine may be loaded): they are measured by hand with `bpfprove verify`.

use std::time::Duration;

use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::ProgramType;

fn verdict(text: &str, program_type: ProgramType, time_limit: Option<Duration>) -> Verdict {
    let program = asm::llvm::parse(text).expect("assembles");
    let config = Config { time_limit, ..Config::standard(DomainKind::Product) };
    Verifier::new(config).verify(&Subject::bare("program", &program, program_type)).verdict
}

/// `depth` loops nested in one another: building their weak topological order takes time
/// quadratic in the depth.
fn nested_loops(depth: usize) -> String {
    let mut text = String::new();
    for i in 0..depth {
        text.push_str(&format!("l{i}:\nr{} = 0\n", 1 + i % 9));
    }
    for i in (0..depth).rev() {
        text.push_str(&format!("if r{} < 4 goto l{i}\n", 1 + i % 9));
    }
    text.push_str("r0 = 0\nexit\n");
    text
}

#[test]
fn deeply_nested_loops_stop_at_the_time_limit() {
    let verdict = verdict(&nested_loops(16_000), ProgramType::SocketFilter, Some(Duration::from_millis(200)));
    assert_eq!(verdict, Verdict::Unknown("budget: time limit".into()));
}

#[test]
fn a_helper_length_past_the_frame_is_refuted_not_a_hang() {
    // bpf_skb_load_bytes(skb, 0, r10 - 16, 0x7fffffff): the fill of the stack once stepped
    // its offset past i16::MAX and never ended.
    let text = "
        r2 = 0
        r3 = r10
        r3 += -16
        r4 = 0x7fffffff
        call 26
        r0 = 0
        exit";
    assert_eq!(verdict(text, ProgramType::SchedCls, Some(Duration::from_secs(60))), Verdict::Fail);
}

#[test]
fn a_time_limit_past_the_clock_is_no_limit() {
    for limit in [Duration::MAX, Duration::from_secs(u64::MAX)] {
        assert_eq!(verdict("r0 = 0\nexit\n", ProgramType::SocketFilter, Some(limit)), Verdict::Pass);
    }
}
