//! Differential testing of the JIT against the interpreter (the crate's `difftest`
//! module): random programs run in both, and every result, trap and memory region
//! compared. CI runs 10,000 seeded cases and 12,000 proptest cases (22,000 in all);
//! `bpfprove difftest --cases N` runs more.

use bpfprove_jit_x86::difftest;
use proptest::prelude::*;

/// Cases of the seeded run (the same every time, so a failure reproduces by its index).
const SEEDED_CASES: u64 = 10_000;
/// Cases proptest generates (and shrinks on failure).
const PROPTEST_CASES: u32 = 12_000;

#[test]
fn seeded_cases_agree() {
    let report = difftest::difftest(SEEDED_CASES, 0x5eed);
    println!("{report}");
    assert_eq!(report.divergences, 0, "{report}");
    // The generator must reach both normal exits and traps, or the comparison says little.
    let exits = report.endings.get("exit").copied().unwrap_or(0);
    assert!(exits > SEEDED_CASES / 2 && exits < SEEDED_CASES, "endings: {:?}", report.endings);
}

/// Cases that once diverged, as (seed, index) of the seeded run that found them, and why.
/// The generator consumes the same choices as when they were found, so each replays the
/// same program shape.
const REGRESSIONS: [(u64, u64, &str); 1] = [(
    0,
    39_772,
    "an unmasked switch index read an entry of another switch's jump table, entering its \
     case arm with a register undefined there (the interpreter traps, the JIT does not)",
)];

#[test]
fn past_divergences_stay_fixed() {
    for (seed, index, why) in REGRESSIONS {
        if let Err(divergence) = difftest::check_choices(&difftest::case_choices(seed, index)) {
            panic!("case {index} of seed {seed} ({why}) diverges again:\n{divergence}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: PROPTEST_CASES, ..ProptestConfig::default() })]

    #[test]
    fn jit_agrees_with_the_interpreter(choices in proptest::collection::vec(any::<u64>(), 0..600)) {
        if let Err(divergence) = difftest::check_choices(&choices) {
            prop_assert!(false, "{divergence}");
        }
    }
}
