//! The kernel verifier's refusals of instructions whose meaning the ISA defines but that
//! it deems mistakes, wherever a path reaches them: a constant divisor of 0 ("div by zero":
//! the ISA makes the quotient 0 and the remainder the dividend) and a constant shift count
//! outside the operand's width ("invalid shift": the ISA masks it); and pointer arithmetic
//! with a number whose lowest value may lie `BPF_MAX_VAR_OFF` (2^29) or more from 0, which the
//! kernel refuses whether or not the pointer is used ("value ... makes ... pointer be out of
//! bounds", "math between ... pointer and ... is not allowed"). They are no memory-safety
//! question, so they are obligations of their own kind ([`ObligationKind::Policy`]), refuted
//! in every reachable state and recorded nowhere else.

use bpfprove_semantics::isa::{BinOp, Insn, Operand, Width};

use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};
use crate::value::{Num, Region};

/// The kernel's bound on the offset a pointer may be moved by (`BPF_MAX_VAR_OFF`).
pub const MAX_VAR_OFF: i64 = 1 << 29;

/// Why the kernel refuses moving a pointer into `region` by the number `y`, if it does (its
/// `check_reg_sane_offset` on the number): a constant, or else the lowest value, 2^29 or more
/// from 0, or no lowest value at all.
pub fn offset_refusal(region: Region, y: &Num) -> Option<String> {
    let far = |v: i64| !(-MAX_VAR_OFF + 1..MAX_VAR_OFF).contains(&v);
    if let Some(c) = y.as_constant() {
        let c = c as i64;
        return far(c).then(|| format!("math between {region} pointer and {c} is not allowed (beyond 2^29)"));
    }
    let (lo, _) = y.signed_bounds()?;
    if lo == i64::MIN {
        Some(format!("math between {region} pointer and a number with unbounded min value is not allowed"))
    } else {
        far(lo).then(|| format!("value {lo} makes {region} pointer be out of bounds (beyond 2^29)"))
    }
}

/// Why the kernel refuses `insn` wherever it is reached, if it does.
pub fn refusal(insn: &Insn) -> Option<String> {
    let Insn::Alu { width, op, src: Operand::Imm(imm), .. } = *insn else { return None };
    let bits = match width {
        Width::W32 => 32,
        Width::W64 => 64,
    };
    match op {
        BinOp::Div | BinOp::SDiv | BinOp::Mod | BinOp::SMod if imm == 0 => {
            Some("div by zero: the kernel refuses a constant divisor of 0".to_owned())
        }
        BinOp::Lsh | BinOp::Rsh | BinOp::Arsh if !(0..bits).contains(&imm) => {
            Some(format!("invalid shift {imm}: the kernel refuses a constant count outside 0..{bits}"))
        }
        _ => None,
    }
}

impl Env<'_> {
    /// Refutes the kernel's policy at a reached `insn` that breaks it.
    pub(super) fn check_policy(&self, post: &mut Post, insn: &Insn) {
        if let Some(reason) = refusal(insn) {
            post.check(ObligationKind::Policy, Status::Refuted, reason);
        }
    }

    /// Refutes the kernel's policy at the move of a pointer into `region` by `y`.
    pub(super) fn check_offset_policy(&self, post: &mut Post, region: Region, y: &Num) {
        if let Some(reason) = offset_refusal(region, y) {
            post.check(ObligationKind::Policy, Status::Refuted, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use bpfprove_semantics::isa::Reg;

    fn alu(width: Width, op: BinOp, imm: i32) -> Insn {
        Insn::Alu { width, op, dst: Reg::R0, src: Operand::Imm(imm) }
    }

    #[test]
    fn constant_zero_divisors_and_out_of_range_shift_counts_are_refused() {
        for op in [BinOp::Div, BinOp::SDiv, BinOp::Mod, BinOp::SMod] {
            assert!(refusal(&alu(Width::W64, op, 0)).is_some_and(|r| r.starts_with("div by zero")));
            assert!(refusal(&alu(Width::W32, op, 0)).is_some());
            assert_eq!(refusal(&alu(Width::W64, op, 3)), None);
        }
        for op in [BinOp::Lsh, BinOp::Rsh, BinOp::Arsh] {
            assert_eq!(refusal(&alu(Width::W64, op, 63)), None);
            assert!(refusal(&alu(Width::W64, op, 64)).is_some_and(|r| r.starts_with("invalid shift 64")));
            assert!(refusal(&alu(Width::W32, op, 32)).is_some());
            assert_eq!(refusal(&alu(Width::W32, op, 31)), None);
            assert!(refusal(&alu(Width::W64, op, -1)).is_some());
        }
        // A register divisor or count is the ISA's business: 0 and any count are defined.
        let by_register = Insn::Alu { width: Width::W64, op: BinOp::Div, dst: Reg::R0, src: Operand::Reg(Reg::R1) };
        assert_eq!(refusal(&by_register), None);
        assert_eq!(refusal(&alu(Width::W64, BinOp::Add, 0)), None);
    }

    #[test]
    fn pointer_offsets_2_to_the_29_from_0_are_refused() {
        use bpfprove_domains::any::DomainKind;
        let domain = DomainKind::Product;
        let region = Region::Stack { frame: 0 };
        let constant = |v: i64| match Value::constant(domain, v as u64) {
            Value::Scalar(n) => n,
            _ => unreachable!("a constant is a number"),
        };
        assert_eq!(offset_refusal(region, &constant(-8)), None);
        assert_eq!(offset_refusal(region, &constant(MAX_VAR_OFF - 1)), None);
        assert!(offset_refusal(region, &constant(MAX_VAR_OFF)).is_some());
        assert!(offset_refusal(region, &constant(-MAX_VAR_OFF)).is_some());
        assert!(offset_refusal(region, &constant(0xffff_fffe)).is_some());
        let range = |lo: i64, hi: i64| domain.signed_range(lo, hi);
        assert_eq!(offset_refusal(region, &range(-16, 1 << 40)), None);
        assert!(offset_refusal(region, &range(-(1 << 32), 0)).is_some_and(|r| r.contains("out of bounds")));
        assert!(offset_refusal(region, &domain.top(&0u64)).is_some_and(|r| r.contains("unbounded min")));
    }
}
