//! Differential testing of the JIT against the interpreter (see `difftest` in the crate).

use bpfprove_jit_x86::difftest;

#[test]
fn seeded_cases_agree() {
    let report = difftest::difftest(3000, 1);
    println!("{report}");
    assert_eq!(report.divergences, 0, "{report}");
}

#[test]
fn show_sample() {
    for i in 0..3 {
        let case = difftest::generate(&mut difftest::Choices::new(&difftest::case_choices(7, i)));
        println!("{:?}\n{}", case.config, bpfprove_semantics::asm::llvm::print(&case.program));
        println!("{:?}", difftest::run_interpreter(&case).result);
    }
}
