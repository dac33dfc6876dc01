//! The instructions whose meaning depends on which registers hold arena pointers, in a
//! program that makes them (`addr_space_cast`).
//!
//! Linux's verifier types registers, and rewrites the program by the types it found:
//! - `addr_space_cast(r, 0, 1)` makes a `PTR_TO_ARENA`, the low 32 bits of `r`;
//!   `addr_space_cast(r, 1, 0)` a number, the user address ([`Arena::to_user`]);
//! - an ALU operation with an arena pointer on either side yields an arena pointer and is
//!   done on 32 bits (`needs_zext` turns `BPF_ALU64` into `BPF_ALU`); a 64-bit `r = r`
//!   copies it, any other move yields a number;
//! - a load or store through an arena pointer is a `PROBE_MEM32` access of the arena
//!   ([`Arena::load`], [`Arena::store`]); sign-extending loads are refused, atomics are
//!   not modelled here;
//! - only the stack keeps a register's type in memory; a spilled arena pointer is not
//!   tracked here, and filling it yields a number, so the analyzer refuses such spills.
//!
//! The machine keeps a bit per register for this type and runs these instructions here.
//! The kernel fixes each instruction's form once for all paths, so the two agree for
//! programs whose every such instruction sees the same types on every path, the ones the
//! analyzer accepts.

use super::arena::Arena;
use super::machine::{atomic, binary32, binary64, load, store};
use super::memory::Memory;
use super::trap::TrapKind;
use crate::isa::{AddrSpace, BinOp, Insn, Operand, Reg, Width};

/// The register file and its arena-pointer bits around one instruction.
pub(super) struct Registers<'a> {
    /// The 16-entry register array of the machine.
    pub values: &'a mut [u64; 16],
    /// Which registers held arena pointers before the instruction.
    pub arena_before: u16,
    /// Which hold one after it: the machine has cleared the bits of the registers the
    /// instruction writes.
    pub arena: &'a mut u16,
}

impl Registers<'_> {
    fn was_arena(&self, reg: Reg) -> bool {
        self.arena_before & bit(reg) != 0
    }

    fn mark_arena(&mut self, reg: Reg) {
        *self.arena |= bit(reg);
    }
}

fn bit(reg: Reg) -> u16 {
    1 << reg.index()
}

/// Whether `insn` means something else when registers hold arena pointers.
pub(super) fn depends_on_arena_pointers(insn: &Insn) -> bool {
    matches!(
        insn,
        Insn::AddrSpaceCast { .. } | Insn::Alu { .. } | Insn::Load { .. } | Insn::Store { .. } | Insn::Atomic { .. }
    )
}

fn arena(memory: &Memory) -> Result<&Arena, TrapKind> {
    memory.arena().ok_or(TrapKind::NoArena)
}

/// Runs `insn`, one of [`depends_on_arena_pointers`].
pub(super) fn step(insn: &Insn, mut regs: Registers<'_>, memory: &mut Memory) -> Result<(), TrapKind> {
    match *insn {
        Insn::AddrSpaceCast { dst, src, cast } => {
            let value = regs.values[src.index()];
            let arena = arena(memory)?;
            regs.values[dst.index()] = match cast {
                AddrSpace::ToKernel => {
                    regs.mark_arena(dst);
                    value & 0xffff_ffff
                }
                AddrSpace::ToUser => arena.to_user(value),
            };
        }
        Insn::Alu { width, op, dst, src } => {
            let (operand, src_arena) = match src {
                Operand::Reg(src) => (regs.values[src.index()], regs.was_arena(src)),
                Operand::Imm(imm) => (imm as i64 as u64, false),
            };
            let current = regs.values[dst.index()];
            let arena_result = match op {
                BinOp::Mov => width == Width::W64 && src_arena,
                _ => src_arena || regs.was_arena(dst),
            };
            regs.values[dst.index()] = if arena_result || width == Width::W32 {
                binary32(op, current, operand)
            } else {
                binary64(op, current, operand)
            };
            if arena_result {
                regs.mark_arena(dst);
            }
        }
        Insn::Load { size, signed, dst, src, off } => {
            let base = regs.values[src.index()];
            regs.values[dst.index()] = if regs.was_arena(src) {
                if signed {
                    return Err(TrapKind::ArenaSignExtendingLoad);
                }
                arena(memory)?.load(base, off, size)
            } else {
                load(memory, base, off, size, signed)?
            };
        }
        Insn::Store { size, dst, off, src } => {
            let value = match src {
                Operand::Reg(src) => regs.values[src.index()],
                Operand::Imm(imm) => imm as i64 as u64,
            };
            let base = regs.values[dst.index()];
            if regs.was_arena(dst) {
                memory.arena_mut().ok_or(TrapKind::NoArena)?.store(base, off, size, value);
            } else {
                store(memory, base, off, size, value)?;
            }
        }
        Insn::Atomic { size, op, fetch, dst, off, src } => {
            if regs.was_arena(dst) {
                return Err(TrapKind::ArenaAtomic);
            }
            atomic(memory, regs.values, size, op, fetch, dst.number(), src.number(), off)?;
        }
        _ => unreachable!("Machine::new sends only instructions of depends_on_arena_pointers here"),
    }
    Ok(())
}
