//! Loops under the three strategies: nested and sequential bounded loops proven to end by
//! their counters on widened invariants (and the proof checker agreeing), unrolling only
//! where a check fails widened, and the loops that only seem to end refused whatever the
//! strategy.

use bpfprove_analyzer::proof::{self, Invariants, ProofLog};
use bpfprove_analyzer::spec::ProgramSpec;
use bpfprove_analyzer::termination::Rule;
use bpfprove_analyzer::{Config, LoopMethod, LoopStrategy, Report, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::ProgramType;

const STRATEGIES: [LoopStrategy; 3] = [LoopStrategy::WidenFirst, LoopStrategy::Unroll, LoopStrategy::Widen];

/// `depth` loops nested in one another, each counting its own register (`r1` outermost)
/// from 0 to `bound`; the innermost writes the stack slot its counter indexes.
fn nested(depth: usize, bound: u32) -> String {
    assert!((1..=8).contains(&depth), "r1..r8 are the counters");
    let mut text = String::new();
    for level in 1..=depth {
        text += &format!("r{level} = 0\nloop{level}:\n");
    }
    text += &format!("r0 = r{depth}\nr0 <<= 3\nr0 += r10\n*(u64 *)(r0 - {}) = r{depth}\n", 8 * bound);
    for level in (1..=depth).rev() {
        text += &format!("r{level} += 1\nif r{level} < {bound} goto loop{level}\n");
    }
    text + "r0 = 0\nexit\n"
}

/// `count` loops one after the other, each summing its counter over `rounds` rounds.
fn sequential(count: usize, rounds: u32) -> String {
    let mut text = "r6 = 0\n".to_owned();
    for index in 0..count {
        text += &format!("r1 = 0\nloop{index}:\nr6 += r1\nr1 += 1\nif r1 < {rounds} goto loop{index}\n");
    }
    text + "r0 = 0\nexit\n"
}

fn verify(text: &str, loops: LoopStrategy) -> (Report, String) {
    verify_with(text, Config { loops, ..Config::standard(DomainKind::Product) })
}

/// The report of `text` under `config` and its failed obligations as `pc KIND STATUS` lines,
/// once the proof checker has accepted its log.
fn verify_with(text: &str, config: Config) -> (Report, String) {
    let loops = config.loops;
    let program = asm::llvm::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut subject = Subject::bare("test", &program, ProgramType::SocketFilter);
    subject.spec = ProgramSpec::of(ProgramType::SocketFilter);
    let report = Verifier::new(config.clone()).verify(&subject);
    // Whatever the strategy, the checker re-derives the log's termination arguments, from
    // states at the cut points or at every pc.
    for invariants in [Invariants::CutPoints, Invariants::EveryPc] {
        let reports = [(subject.clone(), report.clone())];
        let log = proof::log_of("test", b"", &config, &reports, invariants, None);
        let log = ProofLog::from_json(&log.to_json()).expect("reads back");
        if let Err(error) = proof::check_subject(&log, &log.programs[0], &subject) {
            panic!("{loops}, {invariants:?}: the verifier's own log is rejected: {error}\n{text}");
        }
    }
    let failures: Vec<String> = report.failures().iter().map(|o| format!("{} {} {}", o.pc, o.kind, o.status)).collect();
    (report, failures.join("\n"))
}

fn methods(report: &Report) -> Vec<LoopMethod> {
    report.loops().into_iter().map(|l| l.method).collect()
}

fn counter() -> LoopMethod {
    LoopMethod::Widened { rules: [Rule::Counter].into() }
}

#[test]
fn nested_bounded_loops_end_by_their_counters_at_every_depth() {
    for depth in 2..=8 {
        let text = nested(depth, 10);
        let (report, failures) = verify(&text, LoopStrategy::WidenFirst);
        assert_eq!(report.verdict, Verdict::Pass, "depth {depth}: {failures}");
        assert_eq!(methods(&report), vec![counter(); depth], "depth {depth}: every loop widened");
    }
}

#[test]
fn unrolling_nested_loops_stops_at_its_depth_limit_and_the_counter_ends_the_rest() {
    let (report, failures) = verify(&nested(5, 4), LoopStrategy::Unroll);
    assert_eq!(report.verdict, Verdict::Pass, "{failures}");
    let unrolled = methods(&report).iter().filter(|m| matches!(m, LoopMethod::Unrolled { .. })).count();
    assert_eq!((unrolled, methods(&report).last()), (4, Some(&counter())), "the innermost is widened");
}

#[test]
fn sequential_bounded_loops_are_widened_whatever_their_rounds() {
    let (report, failures) = verify(&sequential(16, 1000), LoopStrategy::WidenFirst);
    assert_eq!(report.verdict, Verdict::Pass, "{failures}");
    assert_eq!(methods(&report), vec![counter(); 16]);
    // Widening visits each loop a bounded number of times; unrolling would run 16000 rounds.
    assert!(report.stats.visits < 16 * 200, "{} visits", report.stats.visits);
}

/// 64 rounds of 8 bytes fill the frame: widening loses the pointer's relation to the
/// counter, so widen-first unrolls this loop (and only it), and `widen` fails.
const FILLS_THE_FRAME: &str = "r2 = r10\nr1 = 0\nloop:\nr2 += -8\n*(u64 *)(r2 + 0) = r1\nr1 += 1\nif r1 < 64 goto loop\n\
                               r3 = 0\nafter:\nr3 += 1\nif r3 < 100 goto after\nr0 = 0\nexit\n";

#[test]
fn widen_first_unrolls_only_the_loop_whose_check_fails_widened() {
    let (report, failures) = verify(FILLS_THE_FRAME, LoopStrategy::WidenFirst);
    assert_eq!(report.verdict, Verdict::Pass, "{failures}");
    assert_eq!(methods(&report), vec![LoopMethod::Unrolled { rounds: 64 }, counter()]);
    let (report, failures) = verify(FILLS_THE_FRAME, LoopStrategy::Widen);
    assert_eq!((report.verdict, failures.as_str()), (Verdict::Fail, "3 stack-bounds unknown"));
}

/// A callee's loop decides what the caller returns: widened, the sum is unknown; the caller's
/// failing check makes widen-first unroll the callee's loop.
#[test]
fn widen_first_unrolls_a_callees_loop_when_the_caller_fails() {
    let text = "call sum\nif r0 != 55 goto bad\nr0 = 0\nexit\nbad:\nr0 = *(u64 *)(r0 + 0)\nexit\n\
                sum:\nr1 = 10\nr0 = 0\nloop:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto loop\nexit\n";
    let (report, failures) = verify(text, LoopStrategy::WidenFirst);
    assert_eq!(report.verdict, Verdict::Pass, "{failures}");
    assert_eq!(methods(&report), vec![LoopMethod::Unrolled { rounds: 10 }]);
    let (report, _) = verify(text, LoopStrategy::Widen);
    assert_eq!(report.verdict, Verdict::Fail);
}

/// Loops that do not end, or whose access is safe only for the first rounds: refused by
/// every strategy.
#[test]
fn loops_that_only_seem_bounded_are_refused_by_every_strategy() {
    let cases = [
        (
            "a counter stepped by zero",
            "r1 = 0\nloop:\nr1 += 0\nif r1 < 10 goto loop\nr0 = 0\nexit\n",
            "2 termination unknown",
        ),
        (
            "a bound that grows with the counter",
            "r1 = 0\nr2 = 10\nloop:\nr1 += 1\nr2 += 1\nif r1 < r2 goto loop\nr0 = 0\nexit\n",
            "4 termination unknown",
        ),
        (
            "a 32-bit step under a 64-bit bound it never reaches",
            "r1 = 0\nr2 = 0x100000000 ll\nloop:\nw1 += 1\nif r1 < r2 goto loop\nr0 = 0\nexit\n",
            "4 termination unknown",
        ),
        (
            "an outer counter masked by the inner loop",
            "r6 = 0\nouter:\nr7 = 0\ninner:\nr6 &= 7\nr7 += 1\nif r7 < 5 goto inner\nr6 += 1\nif r6 < 10 goto outer\n\
             r0 = 0\nexit\n",
            "6 termination unknown",
        ),
    ];
    for (what, text, expect) in cases {
        for strategy in STRATEGIES {
            let (report, failures) = verify(text, strategy);
            assert_eq!((report.verdict, failures.as_str()), (Verdict::Fail, expect), "{what} ({strategy})");
        }
    }
    // Row i + column j of a 10-slot row: safe in the first outer round only.
    let past_the_row = "r6 = 0\nouter:\nr7 = 0\ninner:\nr1 = r6\nr1 += r7\nr1 <<= 3\nr1 += r10\n\
                        *(u64 *)(r1 - 80) = r7\nr7 += 1\nif r7 < 10 goto inner\nr6 += 1\nif r6 < 10 goto outer\n\
                        r0 = 0\nexit\n";
    for strategy in STRATEGIES {
        let (report, failures) = verify(past_the_row, strategy);
        assert_eq!(report.verdict, Verdict::Fail, "{strategy}");
        assert!(failures.starts_with("6 stack-bounds"), "{strategy}: {failures}");
    }
    // The same with room for i + j up to 18: proven widened.
    let (report, failures) = verify(&past_the_row.replace("(r1 - 80)", "(r1 - 152)"), LoopStrategy::Widen);
    assert_eq!(report.verdict, Verdict::Pass, "{failures}");
}

/// An outer loop too long to unroll around an inner loop that needs unrolling: the outer
/// loop is widened and ends by its counter once the unrolled inner loop's head is cut, and
/// the checker agrees on the log of widened states around unrolled rounds.
#[test]
fn a_widened_loop_around_an_unrolled_one_ends_by_its_counter() {
    let text = "r6 = 0\nouter:\nr2 = r10\nr1 = 0\ninner:\nr2 += -8\n*(u64 *)(r2 + 0) = r1\nr1 += 1\n\
                if r1 < 64 goto inner\nr6 += 1\nif r6 < 10000 goto outer\nr0 = 0\nexit\n";
    for loops in [LoopStrategy::WidenFirst, LoopStrategy::Unroll] {
        let config = Config { loops, loop_unroll: 100, ..Config::standard(DomainKind::Product) };
        let (report, failures) = verify_with(text, config);
        assert_eq!(report.verdict, Verdict::Pass, "{loops}: {failures}");
        let outer = LoopMethod::Widened { rules: [Rule::Counter, Rule::Unrolled].into() };
        assert_eq!(methods(&report), vec![outer, LoopMethod::Unrolled { rounds: 64 }], "{loops}");
        // One round more writes below the frame.
        let config = Config { loops, loop_unroll: 100, ..Config::standard(DomainKind::Product) };
        let (report, failures) = verify_with(&text.replace("r1 < 64", "r1 < 65"), config);
        assert_eq!(report.verdict, Verdict::Fail, "{loops}");
        assert!(failures.starts_with("4 stack-bounds"), "{loops}: {failures}");
    }
}
