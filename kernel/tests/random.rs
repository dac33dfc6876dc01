//! Random helper-free programs through `BPF_PROG_TEST_RUN`: every one the kernel runs must
//! agree with the interpreter (all of `r0` and the memory block afterwards), and the
//! generator must make programs the kernel accepts, or the test checks little.

use bpfprove_kernel::capability::available_or_explain;
use bpfprove_kernel::random::run_random;

#[test]
fn random_programs_agree_with_the_kernel() {
    if !available_or_explain("kernel random programs") {
        return;
    }
    let report = run_random(300, 0x6b65726e656c);
    for (index, text, what) in &report.differed {
        eprintln!("case {index} DIFFERS: {what}\n{text}");
    }
    for (reason, count) in &report.cannot_run {
        eprintln!("cannot run ({count}): {reason}");
    }
    eprintln!("{} cases: {} agreed, {} differed", report.cases, report.agreed, report.differed.len());
    assert!(report.differed.is_empty(), "{} programs differ from the kernel", report.differed.len());
    assert!(report.agreed * 10 >= report.cases * 9, "the kernel ran under 90% of the programs: {report:?}");
}
