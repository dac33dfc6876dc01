//! Printing one instruction of the LLVM/kernel syntax.

use super::spelling::{access_type, atomic_spelling, bin_op_spelling, byte_order_spelling, cond_spelling, lddw_src};
use crate::isa::{AtomicOp, CallTarget, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width};

/// A register as an operand of `width`: `w3` for the 32-bit sub-register, else `r3`.
pub(super) fn reg(width: Width, r: Reg) -> String {
    match width {
        Width::W32 => format!("w{}", r.number()),
        Width::W64 => r.to_string(),
    }
}

/// The register width objdump shows for a value of memory size `size`.
fn value_width(size: Size) -> Width {
    if size == Size::DW { Width::W64 } else { Width::W32 }
}

/// A signed hexadecimal number as objdump prints immediates: `0x9`, `-0x9`.
fn hex(value: i64) -> String {
    if value < 0 { format!("-0x{:x}", value.unsigned_abs()) } else { format!("0x{value:x}") }
}

/// A pc-relative offset: `+0x3`, `-0x1`, `+0x0`.
fn relative(value: i64) -> String {
    if value < 0 { format!("-0x{:x}", value.unsigned_abs()) } else { format!("+0x{value:x}") }
}

/// `r3 + 0x8` / `r3 - 0x8`.
fn address(base: Reg, off: i64) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    format!("{base} {sign} 0x{:x}", off.unsigned_abs())
}

pub(super) fn operand(width: Width, src: Operand) -> String {
    match src {
        Operand::Reg(r) => reg(width, r),
        Operand::Imm(imm) => hex(imm.into()),
    }
}

/// Whether objdump's text for `insn` is complete, i.e. names it uniquely. Where it is not,
/// [`print_insn`] writes this crate's lossless extension instead.
fn objdump_is_lossless(insn: &Insn) -> bool {
    match *insn {
        Insn::Call(CallTarget::Helper(_)) => true,
        Insn::Call(_) => false,
        Insn::Lddw { kind, next_imm, .. } => kind == LddwKind::Imm64 || next_imm == 0,
        Insn::LoadPacket { addr: PacketAddr::Ind(_), imm, .. } => imm == 0,
        _ => true,
    }
}

/// One instruction exactly as `llvm-objdump-22 -d` prints it (without the ` <sym+0x..>`
/// annotation after jumps). This text is lossy for local and kfunc calls (all print as
/// `call IMM`), for `ld_pseudo` (the second immediate is dropped) and for `ldind` (the
/// immediate is dropped); [`print_insn`] is the lossless form.
pub fn print_insn_objdump(insn: &Insn) -> String {
    match *insn {
        Insn::Alu { width, op, dst, src } => {
            format!("{} {} {}", reg(width, dst), bin_op_spelling(op), operand(width, src))
        }
        Insn::Neg { width, dst } => format!("{0} = -{0}", reg(width, dst)),
        Insn::MovSx { width, dst, src, from } => {
            format!("{} = ({}){}", reg(width, dst), access_type(from, true), reg(width, src))
        }
        Insn::AddrSpaceCast { dst, src, cast } => {
            let (dst_as, src_as) = cast.spaces();
            format!("{dst} = addr_space_cast({src}, {}, {})", hex(dst_as.into()), hex(src_as.into()))
        }
        Insn::Endian { order, dst, bits } => format!("{dst} = {}{bits} {dst}", byte_order_spelling(order)),
        Insn::Lddw { dst, kind: LddwKind::Imm64, imm, next_imm } => {
            format!("{dst} = {} ll", hex(Insn::lddw_value(imm, next_imm) as i64))
        }
        Insn::Lddw { dst, kind, imm, .. } => format!("ld_pseudo\t{dst}, 0x{:x}, 0x{:x}", lddw_src(kind), imm as u32),
        Insn::LoadPacket { size, addr, imm } => {
            let index = match addr {
                PacketAddr::Abs => hex(imm.into()),
                PacketAddr::Ind(r) => r.to_string(),
            };
            format!("r0 = *({} *)skb[{index}]", access_type(size, false))
        }
        Insn::Load { size, signed, dst, src, off } => {
            let width = if signed { Width::W64 } else { value_width(size) };
            format!("{} = *({} *)({})", reg(width, dst), access_type(size, signed), address(src, off.into()))
        }
        Insn::Store { size, dst, off, src } => {
            format!(
                "*({} *)({}) = {}",
                access_type(size, false),
                address(dst, off.into()),
                operand(value_width(size), src)
            )
        }
        Insn::Atomic { size, op, fetch, dst, off, src } => atomic(size, op, fetch, dst, off, src),
        Insn::Ja { off } => format!("goto {}", relative(off.into())),
        Insn::Ja32 { imm } => format!("gotol {}", relative(imm.into())),
        Insn::MayGoto { off } => format!("may_goto {}", relative(off.into())),
        Insn::Jump { width, cond, dst, src, off } => {
            format!(
                "if {} {} {} goto {}",
                reg(width, dst),
                cond_spelling(cond),
                operand(width, src),
                relative(off.into())
            )
        }
        Insn::Call(CallTarget::Helper(imm) | CallTarget::Local(imm) | CallTarget::Kfunc { btf_id: imm, .. }) => {
            format!("call {}", hex(imm.into()))
        }
        Insn::Callx { reg } => format!("callx {reg}"),
        Insn::Gotox { reg } => format!("gotox {reg}"),
        Insn::Exit => "exit".to_owned(),
    }
}

fn atomic(size: Size, op: AtomicOp, fetch: bool, dst: Reg, off: i16, src: Reg) -> String {
    let width = value_width(size);
    let (value, at) = (reg(width, src), address(dst, off.into()));
    let suffix = if size == Size::DW { "_64" } else { "32_32" };
    match (op, atomic_spelling(op)) {
        (AtomicOp::Xchg, _) => format!("{value} = xchg{suffix}({at}, {value})"),
        (AtomicOp::CmpXchg, _) => format!("{0} = cmpxchg{suffix}({at}, {0}, {value})", reg(width, Reg::R0)),
        (_, Some((lock, fetch_name))) => {
            let ty = access_type(size, false);
            if fetch {
                format!("{value} = {fetch_name}(({ty} *)({at}), {value})")
            } else {
                format!("lock *({ty} *)({at}) {lock} {value}")
            }
        }
        (_, None) => unreachable!("only xchg and cmpxchg lack a lock spelling"),
    }
}

/// One instruction in the LLVM/kernel syntax: exactly objdump's text wherever that text
/// names the instruction uniquely, and otherwise this crate's extension of it:
/// `call pc+0x3` (local call), `call kfunc 0x4d2` / `call kfunc 0x4d2 btf 0x1`,
/// `ld_pseudo r1, 0x2, 0x5, 0x7` (with the second immediate) and `r0 = *(u8 *)skb[r1 + 0x7]`.
pub fn print_insn(insn: &Insn) -> String {
    if objdump_is_lossless(insn) {
        return print_insn_objdump(insn);
    }
    match *insn {
        Insn::Call(CallTarget::Local(imm)) => format!("call pc{}", relative(imm.into())),
        Insn::Call(CallTarget::Kfunc { btf_id, btf_obj: 0 }) => {
            format!("call kfunc {}", hex(btf_id.into()))
        }
        Insn::Call(CallTarget::Kfunc { btf_id, btf_obj }) => {
            format!("call kfunc {} btf {}", hex(btf_id.into()), hex(btf_obj.into()))
        }
        Insn::Lddw { next_imm, .. } => format!("{}, 0x{:x}", print_insn_objdump(insn), next_imm as u32),
        Insn::LoadPacket { size, addr: PacketAddr::Ind(r), imm } => {
            format!("r0 = *({} *)skb[{}]", access_type(size, false), address(r, imm.into()))
        }
        _ => unreachable!("objdump_is_lossless covers every other instruction"),
    }
}
