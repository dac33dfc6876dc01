//! The kernel verifier's refusals of instructions whose meaning the ISA defines but that
//! it deems mistakes, wherever a path reaches them: a constant divisor of 0 ("div by zero":
//! the ISA makes the quotient 0 and the remainder the dividend) and a constant shift count
//! outside the operand's width ("invalid shift": the ISA masks it). They are no memory-safety
//! question, so they are obligations of their own kind ([`ObligationKind::Policy`]), refuted
//! in every reachable state and recorded nowhere else.

use bpfprove_semantics::isa::{BinOp, Insn, Operand, Width};

use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};

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
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
