//! Inserting instructions into a program while keeping every jump and call pointing where
//! it did: how the oracle adapts a program to a kernel contract (a prologue that sets
//! `r2`, or an epilogue that moves the high half of `r0` into the 32 bits a test run
//! reports).

use std::collections::BTreeMap;

use bpfprove_semantics::isa::{BinOp, CallTarget, Insn, LddwKind, Operand, Reg, Width};
use bpfprove_semantics::program::Program;

use crate::error::KernelError;

/// Instructions to put in front of the instruction at one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insertion {
    /// What to insert.
    pub insns: Vec<Insn>,
    /// Whether jumps and calls to the slot land on the inserted instructions (else on the
    /// original instruction after them).
    pub takes_jumps: bool,
}

/// The instructions of `program` with `insertions` (keyed by slot) in place and every
/// pc-relative offset recomputed.
pub fn insert(program: &Program, insertions: &BTreeMap<usize, Insertion>) -> Result<Vec<Insn>, KernelError> {
    let mut original = vec![0i64; program.slots() + 1];
    let mut landing = vec![0i64; program.slots() + 1];
    let mut cursor = 0i64;
    for decoded in program.insns() {
        landing[decoded.pc] = cursor;
        if let Some(insertion) = insertions.get(&decoded.pc) {
            cursor += insertion.insns.iter().map(|i| i.slots() as i64).sum::<i64>();
            if !insertion.takes_jumps {
                landing[decoded.pc] = cursor;
            }
        }
        original[decoded.pc] = cursor;
        cursor += decoded.insn.slots() as i64;
    }
    let mut out = Vec::new();
    for decoded in program.insns() {
        if let Some(insertion) = insertions.get(&decoded.pc) {
            out.extend(insertion.insns.iter().copied());
        }
        let insn = match decoded.insn.branch_target(decoded.pc) {
            None => decoded.insn,
            Some(target) => {
                let target = usize::try_from(target).expect("a validated program's targets are inside it");
                let relative = landing[target] - original[decoded.pc] - 1;
                retarget(decoded.insn, relative, decoded.pc)?
            }
        };
        out.push(insn);
    }
    Ok(out)
}

fn retarget(insn: Insn, relative: i64, pc: usize) -> Result<Insn, KernelError> {
    let short = || {
        i16::try_from(relative)
            .map_err(|_| KernelError::Unsupported(format!("pc {pc}: jump offset {relative} over 16 bits")))
    };
    let long = || {
        i32::try_from(relative)
            .map_err(|_| KernelError::Unsupported(format!("pc {pc}: offset {relative} over 32 bits")))
    };
    Ok(match insn {
        Insn::Ja { .. } => Insn::Ja { off: short()? },
        Insn::MayGoto { .. } => Insn::MayGoto { off: short()? },
        Insn::Jump { width, cond, dst, src, .. } => Insn::Jump { width, cond, dst, src, off: short()? },
        Insn::Ja32 { .. } => Insn::Ja32 { imm: long()? },
        Insn::Call(CallTarget::Local(_)) => Insn::Call(CallTarget::Local(long()?)),
        Insn::Lddw { kind: LddwKind::CodeAddr, .. } => {
            return Err(KernelError::Unsupported(format!("pc {pc}: code-address loads have no kernel form")));
        }
        other => other,
    })
}

/// The slots of the `exit`s of the program's entry function (the function at slot 0):
/// the ones that end the program.
pub fn entry_function_exits(program: &Program) -> Vec<usize> {
    let end = program.function_containing(0).map(|id| program.function(id).end).unwrap_or(program.slots());
    program.insns().iter().filter(|d| d.pc < end && d.insn == Insn::Exit).map(|d| d.pc).collect()
}

/// `dst = value` as a 64-bit move of a 32-bit immediate.
pub fn move_imm(dst: Reg, value: i32) -> Insn {
    Insn::Alu { width: Width::W64, op: BinOp::Mov, dst, src: Operand::Imm(value) }
}

/// `r0 >>= 32`: the high half of `r0` into the 32 bits a test run reports.
pub fn high_half_of_r0() -> Insn {
    Insn::Alu { width: Width::W64, op: BinOp::Rsh, dst: Reg::R0, src: Operand::Imm(32) }
}
