//! The one definition of what ALU, JMP, load-extension and atomic instructions compute,
//! generic over [`Word`].
//!
//! Registers are words of the full width `n` (64 in the machine). The ISA's 32-bit forms
//! act on the low `n / 2` bits and zero-extend their result, so the same code, run at
//! `n = 8`, gives 4-bit "sub-register" operations that exhaustive checks can enumerate.
//! Immediates reach these functions already sign-extended to `n` bits, as the ISA says.

use crate::isa::{AtomicOp, BinOp, ByteOrder, Cond, Size, Width};
use crate::word::{Boolean, Word};

/// Bits an operation of `width` acts on, for registers of `word`'s width.
pub fn operand_bits<W: Word>(width: Width, word: &W) -> u32 {
    match width {
        Width::W64 => word.width(),
        Width::W32 => word.width() / 2,
    }
}

/// Narrows an operand to `width` (zero-extending the sub-register).
fn narrow<W: Word>(width: Width, value: &W) -> W {
    match width {
        Width::W64 => value.clone(),
        Width::W32 => value.zext_low(value.width() / 2),
    }
}

/// `dst op src` for a binary ALU operation, including BPF's division rules: `x / 0 = 0`,
/// `x % 0 = x`, `MIN / -1 = MIN` and `MIN % -1 = 0`; shift counts are masked to the width.
pub fn binary<W: Word>(op: BinOp, width: Width, dst: &W, src: &W) -> W {
    let bits = operand_bits(width, dst);
    let a = narrow(width, dst);
    let b = narrow(width, src);
    let zero = a.constant(0);
    let shift = || b.and(&a.constant(u64::from(bits) - 1));
    let divisor_is_zero = || b.eq(&zero);
    let result = match op {
        BinOp::Add => a.add(&b),
        BinOp::Sub => a.sub(&b),
        BinOp::Mul => a.mul(&b),
        BinOp::Div => W::select(&divisor_is_zero(), &zero, &a.udiv(&b)),
        BinOp::Mod => W::select(&divisor_is_zero(), &a, &a.urem(&b)),
        BinOp::SDiv => W::select(&divisor_is_zero(), &zero, &a.sext_low(bits).sdiv(&b.sext_low(bits))),
        BinOp::SMod => W::select(&divisor_is_zero(), &a, &a.sext_low(bits).srem(&b.sext_low(bits))),
        BinOp::Or => a.or(&b),
        BinOp::And => a.and(&b),
        BinOp::Xor => a.xor(&b),
        BinOp::Lsh => a.shl(&shift()),
        BinOp::Rsh => a.lshr(&shift()),
        BinOp::Arsh => a.sext_low(bits).ashr(&shift()),
        BinOp::Mov => b,
    };
    narrow(width, &result)
}

/// `-dst`.
pub fn negate<W: Word>(width: Width, dst: &W) -> W {
    narrow(width, &dst.neg())
}

/// `(s<from>) src`: sign-extends the low `from` bits (v4 `movsx`).
pub fn move_sign_extend<W: Word>(width: Width, src: &W, from: Size) -> W {
    narrow(width, &src.sext_low(from.bits()))
}

/// Byte-order conversion of the low `bits` of `dst` on a little-endian machine, as every
/// eBPF target this framework runs is: `le` only truncates, `be` and `bswap` swap.
pub fn byte_order<W: Word>(order: ByteOrder, bits: u32, dst: &W) -> W {
    match order {
        ByteOrder::ToLe => dst.zext_low(bits),
        ByteOrder::ToBe | ByteOrder::Swap => dst.swap_bytes_low(bits),
    }
}

/// Whether `dst cond src` holds for a jump of `width`.
pub fn condition<W: Word>(cond: Cond, width: Width, dst: &W, src: &W) -> W::Bool {
    let bits = operand_bits(width, dst);
    let a = narrow(width, dst);
    let b = narrow(width, src);
    let (sa, sb) = (a.sext_low(bits), b.sext_low(bits));
    match cond {
        Cond::Eq => a.eq(&b),
        Cond::Ne => a.eq(&b).not(),
        Cond::Set => a.and(&b).eq(&a.constant(0)).not(),
        Cond::Gt => b.ult(&a),
        Cond::Ge => a.ult(&b).not(),
        Cond::Lt => a.ult(&b),
        Cond::Le => b.ult(&a).not(),
        Cond::SGt => sb.slt(&sa),
        Cond::SGe => sa.slt(&sb).not(),
        Cond::SLt => sa.slt(&sb),
        Cond::SLe => sb.slt(&sa).not(),
    }
}

/// The register value of a load of `size` whose memory bytes read, little-endian, as
/// `raw` (already zero-extended): unchanged, or sign-extended for `ldsx`.
pub fn extend_load<W: Word>(raw: &W, size: Size, signed: bool) -> W {
    if signed { raw.sext_low(size.bits()) } else { raw.clone() }
}

/// What an atomic instruction does: the value written back to memory and, when it fetches,
/// the value for the fetch register (`src`, or `r0` for `CmpXchg`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtomicEffect<W> {
    /// New memory contents (of the access size, zero-extended).
    pub memory: W,
    /// Value written to the fetch register, if any.
    pub fetched: Option<W>,
}

/// The effect of atomic `op` of `size` (`W` or `DW`) on memory holding `old`, with operand
/// register `src` and, for `CmpXchg`, the expected value in `r0`.
pub fn atomic<W: Word>(op: AtomicOp, fetch: bool, size: Size, old: &W, src: &W, r0: &W) -> AtomicEffect<W> {
    let width = if size == Size::W { Width::W32 } else { Width::W64 };
    let old = narrow(width, old);
    let operand = narrow(width, src);
    let memory = match op {
        AtomicOp::Add => binary(BinOp::Add, width, &old, &operand),
        AtomicOp::Or => binary(BinOp::Or, width, &old, &operand),
        AtomicOp::And => binary(BinOp::And, width, &old, &operand),
        AtomicOp::Xor => binary(BinOp::Xor, width, &old, &operand),
        AtomicOp::Xchg => operand,
        AtomicOp::CmpXchg => W::select(&narrow(width, r0).eq(&old), &operand, &old),
    };
    AtomicEffect { memory, fetched: fetch.then_some(old) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alu64(op: BinOp, a: u64, b: u64) -> u64 {
        binary(op, Width::W64, &a, &b)
    }

    fn alu32(op: BinOp, a: u64, b: u64) -> u64 {
        binary(op, Width::W32, &a, &b)
    }

    #[test]
    fn division_rules() {
        assert_eq!(alu64(BinOp::Div, 7, 0), 0);
        assert_eq!(alu64(BinOp::Mod, 7, 0), 7);
        assert_eq!(alu64(BinOp::SDiv, i64::MIN as u64, u64::MAX), i64::MIN as u64);
        assert_eq!(alu64(BinOp::SMod, i64::MIN as u64, u64::MAX), 0);
        assert_eq!(alu64(BinOp::SMod, -7i64 as u64, 2), -1i64 as u64);
        assert_eq!(alu64(BinOp::SMod, 7, -2i64 as u64), 1);
        assert_eq!(alu32(BinOp::SDiv, 0x8000_0000, 0xffff_ffff), 0x8000_0000);
        assert_eq!(alu32(BinOp::SMod, 0x8000_0000, 0xffff_ffff), 0);
        // The 32-bit modulo by zero keeps only the low half of dst.
        assert_eq!(alu32(BinOp::Mod, 0x1_0000_0007, 0), 7);
        assert_eq!(alu32(BinOp::Div, 0x1_0000_0007, 0x1_0000_0000), 0);
    }

    #[test]
    fn shifts_mask_their_count() {
        assert_eq!(alu64(BinOp::Lsh, 1, 65), 2);
        assert_eq!(alu32(BinOp::Lsh, 1, 33), 2);
        assert_eq!(alu32(BinOp::Arsh, 0x8000_0000, 4), 0xf800_0000);
        assert_eq!(alu64(BinOp::Arsh, 0x8000_0000, 4), 0x0800_0000);
        assert_eq!(alu32(BinOp::Rsh, 0xffff_ffff_0000_0010, 4), 1);
    }

    #[test]
    fn thirty_two_bit_results_are_zero_extended() {
        assert_eq!(alu32(BinOp::Add, 0xffff_ffff, 1), 0);
        assert_eq!(alu32(BinOp::Mov, 0, -1i64 as u64), 0xffff_ffff);
        assert_eq!(negate(Width::W32, &1u64), 0xffff_ffff);
        assert_eq!(move_sign_extend(Width::W32, &0x80u64, Size::B), 0xffff_ff80);
        assert_eq!(move_sign_extend(Width::W64, &0x8000_0000u64, Size::W), 0xffff_ffff_8000_0000);
    }

    #[test]
    fn conditions_of_both_widths() {
        let c64 = |c, a: u64, b: u64| condition(c, Width::W64, &a, &b);
        let c32 = |c, a: u64, b: u64| condition(c, Width::W32, &a, &b);
        assert!(c64(Cond::SLt, -1i64 as u64, 0));
        assert!(!c64(Cond::Lt, -1i64 as u64, 0));
        assert!(c32(Cond::SLt, 0xffff_ffff, 0));
        assert!(c32(Cond::Eq, 0x1_0000_0005, 5));
        assert!(c64(Cond::Set, 6, 2) && !c64(Cond::Set, 4, 2));
        assert!(c64(Cond::Ge, 3, 3) && c64(Cond::Le, 3, 3) && !c64(Cond::Gt, 3, 3));
        assert!(c64(Cond::SGe, 0, -1i64 as u64) && c64(Cond::SLe, -1i64 as u64, -1i64 as u64));
        assert!(c64(Cond::SGt, 1, -1i64 as u64) && c64(Cond::Ne, 1, 2));
    }

    #[test]
    fn byte_orders() {
        let v = 0x0123_4567_89ab_cdefu64;
        assert_eq!(byte_order(ByteOrder::ToLe, 16, &v), 0xcdef);
        assert_eq!(byte_order(ByteOrder::ToBe, 16, &v), 0xefcd);
        assert_eq!(byte_order(ByteOrder::ToBe, 32, &v), 0xefcd_ab89);
        assert_eq!(byte_order(ByteOrder::Swap, 64, &v), 0xefcd_ab89_6745_2301);
    }

    #[test]
    fn loads_extend() {
        assert_eq!(extend_load(&0x80u64, Size::B, true), 0xffff_ffff_ffff_ff80);
        assert_eq!(extend_load(&0x80u64, Size::B, false), 0x80);
        assert_eq!(extend_load(&0x8000_0000u64, Size::W, true), 0xffff_ffff_8000_0000);
    }

    #[test]
    fn atomics() {
        let e = atomic(AtomicOp::Add, true, Size::W, &0xffff_ffffu64, &1, &0);
        assert_eq!(e, AtomicEffect { memory: 0, fetched: Some(0xffff_ffff) });
        let e = atomic(AtomicOp::CmpXchg, true, Size::DW, &5u64, &9, &5);
        assert_eq!(e, AtomicEffect { memory: 9, fetched: Some(5) });
        let e = atomic(AtomicOp::CmpXchg, true, Size::DW, &5u64, &9, &4);
        assert_eq!(e, AtomicEffect { memory: 5, fetched: Some(5) });
        let e = atomic(AtomicOp::Xchg, true, Size::W, &5u64, &0x1_0000_0009, &0);
        assert_eq!(e, AtomicEffect { memory: 9, fetched: Some(5) });
        let e = atomic(AtomicOp::Or, false, Size::DW, &1u64, &2, &0);
        assert_eq!(e, AtomicEffect { memory: 3, fetched: None });
    }
}
