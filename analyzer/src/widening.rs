//! Widening with thresholds taken from the program's constants: a bound that widening
//! would send to its extreme stops at the nearest constant beyond it first, so a loop
//! counter compared with 64 is widened to `[0, 64]` rather than to `[0, 2^64 - 1]`.

use bpfprove_domains::Lattice;
use bpfprove_semantics::isa::{Insn, LddwKind, Operand};
use bpfprove_semantics::program::Program;

use crate::value::Num;

/// Most thresholds kept per sign; programs with more constants keep the smallest ones.
const MAX_THRESHOLDS: usize = 512;

/// The constants widening may stop at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thresholds {
    unsigned: Vec<u64>,
    signed: Vec<i64>,
}

impl Thresholds {
    /// No thresholds: plain widening.
    pub fn none() -> Thresholds {
        Thresholds::default()
    }

    /// The immediates of `program`'s ALU operations, comparisons and 64-bit constants, each
    /// also minus and plus one (a loop `i != 64` stays at `[0, 63]` before its increment).
    pub fn from_program(program: &Program) -> Thresholds {
        let mut signed = vec![0i64, 1, 512];
        for decoded in program.insns() {
            match decoded.insn {
                Insn::Alu { src: Operand::Imm(imm), .. } | Insn::Jump { src: Operand::Imm(imm), .. } => {
                    signed.extend([i64::from(imm) - 1, i64::from(imm), i64::from(imm) + 1]);
                }
                Insn::Lddw { kind: LddwKind::Imm64, imm, next_imm, .. } => {
                    let value = Insn::lddw_value(imm, next_imm) as i64;
                    signed.extend([value.saturating_sub(1), value, value.saturating_add(1)]);
                }
                _ => {}
            }
        }
        signed.sort_unstable();
        signed.dedup();
        let mut unsigned: Vec<u64> = signed.iter().map(|&v| v as u64).collect();
        unsigned.sort_unstable();
        unsigned.truncate(MAX_THRESHOLDS);
        let keep_from = signed.partition_point(|&v| v < 0).saturating_sub(MAX_THRESHOLDS / 2);
        signed.drain(..keep_from);
        signed.truncate(MAX_THRESHOLDS);
        Thresholds { unsigned, signed }
    }

    /// `old ∇ new`, stopping each bound at the nearest threshold beyond `old ⊔ new`.
    pub fn widen(&self, old: &Num, new: &Num) -> Num {
        let joined = old.join(new);
        let widened = old.widen(new);
        let kind = old.kind();
        // Each view of a value may have been widened separately (a reduced product's
        // interval jumps to the extreme while its known bits grow one bit at a time), so
        // the thresholds are imposed by meeting, whatever bounds the widened value shows.
        let mut result = widened.clone();
        if let Some((_, join_hi)) = joined.unsigned_bounds()
            && let Some(&t) = self.unsigned.iter().find(|&&t| t >= join_hi)
        {
            result = result.meet(&kind.unsigned_range(0, t));
        }
        if let Some((join_lo, join_hi)) = joined.signed_bounds() {
            if let Some(&t) = self.signed.iter().find(|&&t| t >= join_hi) {
                result = result.meet(&kind.signed_range(i64::MIN, t));
            }
            if let Some(&t) = self.signed.iter().rev().find(|&&t| t <= join_lo) {
                result = result.meet(&kind.signed_range(t, i64::MAX));
            }
        }
        // The meets above may be inexact in some domains; a result that lost a joined value
        // would make the iteration climb forever, so fall back to plain widening then.
        if joined.leq(&result) { result } else { widened }
    }
}

#[cfg(test)]
mod tests {
    use bpfprove_domains::DomainKind;

    use super::*;

    #[test]
    fn bounds_stop_at_thresholds_then_go_to_the_extreme() {
        let thresholds = Thresholds { unsigned: vec![0, 64, 1000], signed: vec![-8, 0, 64, 1000] };
        for kind in [DomainKind::Interval, DomainKind::Product, DomainKind::SignedInterval] {
            let old = kind.unsigned_range(0, 1);
            let new = kind.unsigned_range(0, 2);
            // A product's known bits may keep a bound below the threshold: it only has to stay
            // at or below it, and above the joined values.
            let once = thresholds.widen(&old, &new);
            let hi = once.unsigned_bounds().expect("not empty").1;
            assert!((2..=64).contains(&hi), "{kind}: {hi}");
            let twice = thresholds.widen(&once, &kind.unsigned_range(0, 65));
            let hi = twice.unsigned_bounds().expect("not empty").1;
            assert!((65..=1000).contains(&hi), "{kind}: {hi}");
            let thrice = thresholds.widen(&twice, &kind.unsigned_range(0, 1001));
            assert!(thrice.unsigned_bounds().expect("not empty").1 > 1000, "{kind}");
        }
        let lower = thresholds
            .widen(&DomainKind::SignedInterval.signed_range(-1, 0), &DomainKind::SignedInterval.signed_range(-2, 0));
        assert_eq!(lower.signed_bounds(), Some((-8, 0)));
    }

    #[test]
    fn thresholds_come_from_the_program() {
        let program = Program::from_bytes(&bpfprove_semantics::isa::encode(&[
            Insn::Jump {
                width: bpfprove_semantics::isa::Width::W64,
                cond: bpfprove_semantics::isa::Cond::Ne,
                dst: bpfprove_semantics::isa::Reg::R1,
                src: Operand::Imm(64),
                off: 0,
            },
            Insn::Exit,
        ]))
        .expect("valid");
        let thresholds = Thresholds::from_program(&program);
        assert!(thresholds.unsigned.contains(&64) && thresholds.unsigned.contains(&65));
    }
}
