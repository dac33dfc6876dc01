//! Which places an instruction leaves tied (see [`crate::ties`]).
//!
//! Every place the instruction may write loses its ties first; then a copy of a number ties
//! the copy to its origin:
//! - `dst = src` (64-bit), or `wdst = wsrc` when `src` fits in 32 bits;
//! - a fill of a stack slot's first `n` bytes that the slot's number fits in (an exact
//!   fill, or a narrow fill of a small spilled number);
//! - a spill of a register's number that fits in the bytes stored.
//!
//! A store through a stack pointer of unknown offset, or through something not known to be a
//! pointer, may write any slot: every slot loses its ties. Calls keep only the ties among
//! `r6`–`r9` (no callee or helper writes them); atomics and exits keep none.

use bpfprove_semantics::isa::{BinOp, Insn, Operand, Reg, Width};

use super::Env;
use crate::state::State;
use crate::ties::{Place, Ties};
use crate::value::{Num, Region, Value};

/// Whether every value of `n` fits in `bytes` bytes (read back zero-extended, it is `n`).
fn fits(n: &Num, bytes: u32) -> bool {
    bytes >= 8 || n.unsigned_bounds().is_some_and(|(_, hi)| hi >> (8 * bytes) == 0)
}

/// The stack slot a pointer in `reg` plus `off` addresses, if it is a stack pointer with a
/// constant offset: (frame, offset). `Err(())` when the access may reach any stack byte.
pub(super) fn stack_target(state: &State, reg: Reg, off: i16) -> Result<Option<(u8, i64)>, ()> {
    match state.reg(reg) {
        Value::Pointer(p) => match p.region {
            Region::Stack { frame } => match p.offset.as_constant() {
                Some(offset) => Ok(Some((frame, (offset as i64).wrapping_add(i64::from(off))))),
                None => Err(()),
            },
            _ => Ok(None),
        },
        _ => Err(()),
    }
}

impl Env<'_> {
    /// The ties after `insn` runs from `before`, for every successor.
    pub(super) fn ties_after(&self, insn: &Insn, before: &State) -> Ties {
        let mut ties = before.ties.clone();
        match *insn {
            Insn::Alu { width, op: BinOp::Mov, dst, src: Operand::Reg(src) } => {
                if src == dst && width == Width::W64 {
                    return ties;
                }
                ties.untie(Place::Reg(dst));
                if let Value::Scalar(n) = before.reg(src)
                    && (width == Width::W64 || fits(n, 4))
                {
                    ties.tie(Place::Reg(dst), Place::Reg(src));
                }
            }
            Insn::Alu { dst, .. }
            | Insn::Neg { dst, .. }
            | Insn::MovSx { dst, .. }
            | Insn::Endian { dst, .. }
            | Insn::AddrSpaceCast { dst, .. }
            | Insn::Lddw { dst, .. } => ties.untie(Place::Reg(dst)),
            Insn::Load { size, signed, dst, src, off } => {
                ties.untie(Place::Reg(dst));
                let bytes = size.bytes();
                if !signed
                    && let Ok(Some((frame, start))) = stack_target(before, src, off)
                    && let Ok(start) = i16::try_from(start)
                    && let Some(slot) = before.frame(frame).and_then(|f| f.slot_at(start))
                    && let Value::Scalar(n) = &slot.value
                    && u32::from(slot.size) >= bytes
                    && (u32::from(slot.size) == bytes || fits(n, bytes))
                {
                    ties.tie(Place::Reg(dst), Place::Slot { frame, start, size: slot.size });
                }
            }
            Insn::Store { size, dst, off, src } => {
                let bytes = size.bytes();
                match stack_target(before, dst, off) {
                    Ok(Some((frame, start))) => {
                        ties.retain(|p| !p.overlaps(frame, start, i64::from(bytes)));
                        if let Operand::Reg(src) = src
                            && let Value::Scalar(n) = before.reg(src)
                            && fits(n, bytes)
                            && let Ok(start) = i16::try_from(start)
                        {
                            ties.tie(Place::Slot { frame, start, size: bytes as u8 }, Place::Reg(src));
                        }
                    }
                    Ok(None) => {}
                    Err(()) => ties.retain(|p| matches!(p, Place::Reg(_))),
                }
            }
            Insn::Call(_) | Insn::Callx { .. } | Insn::LoadPacket { .. } => {
                ties.retain(|p| matches!(p, Place::Reg(r) if (6..=9).contains(&r.number())));
            }
            Insn::Atomic { .. } | Insn::Exit => return Ties::none(),
            Insn::Ja { .. } | Insn::Ja32 { .. } | Insn::MayGoto { .. } | Insn::Jump { .. } | Insn::Gotox { .. } => {}
        }
        ties
    }
}
