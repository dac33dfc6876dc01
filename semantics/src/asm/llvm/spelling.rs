//! How objdump spells operators, access types and `lddw` kinds: tables with one entry per
//! line, read in both directions by the printer and the parser.

use crate::isa::{AtomicOp, BinOp, ByteOrder, Cond, LddwKind, Size};

/// Assignment operators of ALU instructions, as objdump spells them.
const BIN_OP_SPELLINGS: [(BinOp, &str); 14] = [
    (BinOp::Add, "+="),
    (BinOp::Sub, "-="),
    (BinOp::Mul, "*="),
    (BinOp::Div, "/="),
    (BinOp::SDiv, "s/="),
    (BinOp::Or, "|="),
    (BinOp::And, "&="),
    (BinOp::Lsh, "<<="),
    (BinOp::Rsh, ">>="),
    (BinOp::Mod, "%="),
    (BinOp::SMod, "s%="),
    (BinOp::Xor, "^="),
    (BinOp::Mov, "="),
    (BinOp::Arsh, "s>>="),
];

/// Comparison operators of conditional jumps.
const COND_SPELLINGS: [(Cond, &str); 11] = [
    (Cond::Eq, "=="),
    (Cond::Ne, "!="),
    (Cond::Set, "&"),
    (Cond::Gt, ">"),
    (Cond::Ge, ">="),
    (Cond::Lt, "<"),
    (Cond::Le, "<="),
    (Cond::SGt, "s>"),
    (Cond::SGe, "s>="),
    (Cond::SLt, "s<"),
    (Cond::SLe, "s<="),
];

/// Atomic read-modify-write operations: the `lock` operator and the fetching function.
const ATOMIC_SPELLINGS: [(AtomicOp, &str, &str); 4] = [
    (AtomicOp::Add, "+=", "atomic_fetch_add"),
    (AtomicOp::Or, "|=", "atomic_fetch_or"),
    (AtomicOp::And, "&=", "atomic_fetch_and"),
    (AtomicOp::Xor, "^=", "atomic_fetch_xor"),
];

/// Byte-order conversions: objdump's prefix of the bit count.
const BYTE_ORDER_SPELLINGS: [(ByteOrder, &str); 3] =
    [(ByteOrder::ToLe, "le"), (ByteOrder::ToBe, "be"), (ByteOrder::Swap, "bswap")];

pub(super) fn bin_op_spelling(op: BinOp) -> &'static str {
    BIN_OP_SPELLINGS.iter().find(|(o, _)| *o == op).map(|(_, s)| *s).expect("every BinOp has a spelling")
}

pub(super) fn bin_op_of(spelling: &str) -> Option<BinOp> {
    BIN_OP_SPELLINGS.iter().find(|(_, s)| *s == spelling).map(|(op, _)| *op)
}

pub(super) fn cond_spelling(cond: Cond) -> &'static str {
    COND_SPELLINGS.iter().find(|(c, _)| *c == cond).map(|(_, s)| *s).expect("every Cond has a spelling")
}

pub(super) fn cond_of(spelling: &str) -> Option<Cond> {
    COND_SPELLINGS.iter().find(|(_, s)| *s == spelling).map(|(c, _)| *c)
}

/// `(lock operator, fetch function)` of an atomic operation other than xchg/cmpxchg.
pub(super) fn atomic_spelling(op: AtomicOp) -> Option<(&'static str, &'static str)> {
    ATOMIC_SPELLINGS.iter().find(|(o, _, _)| *o == op).map(|(_, lock, fetch)| (*lock, *fetch))
}

pub(super) fn atomic_of_lock(spelling: &str) -> Option<AtomicOp> {
    ATOMIC_SPELLINGS.iter().find(|(_, s, _)| *s == spelling).map(|(op, _, _)| *op)
}

pub(super) fn atomic_of_fetch(name: &str) -> Option<AtomicOp> {
    ATOMIC_SPELLINGS.iter().find(|(_, _, s)| *s == name).map(|(op, _, _)| *op)
}

pub(super) fn byte_order_of(prefix: &str) -> Option<ByteOrder> {
    BYTE_ORDER_SPELLINGS.iter().find(|(_, s)| *s == prefix).map(|(o, _)| *o)
}

pub(super) fn byte_order_spelling(order: ByteOrder) -> &'static str {
    BYTE_ORDER_SPELLINGS.iter().find(|(o, _)| *o == order).map(|(_, s)| *s).expect("every ByteOrder has a spelling")
}

/// Access types of loads and stores: objdump's C type name, the size, and whether the
/// access sign-extends.
const ACCESS_TYPES: [(&str, Size, bool); 7] = [
    ("u8", Size::B, false),
    ("u16", Size::H, false),
    ("u32", Size::W, false),
    ("u64", Size::DW, false),
    ("s8", Size::B, true),
    ("s16", Size::H, true),
    ("s32", Size::W, true),
];

/// The C type objdump names for an access of `size` (`u32`, or `s32` for sign-extending).
/// There is no `s64`: a 64-bit load has nothing to extend.
pub(super) fn access_type(size: Size, signed: bool) -> &'static str {
    let signed = signed && size != Size::DW;
    ACCESS_TYPES
        .iter()
        .find(|(_, z, s)| *z == size && *s == signed)
        .map(|(name, _, _)| *name)
        .expect("every size has a type")
}

/// The size and signedness of an access type name.
pub(super) fn access(name: &str) -> Option<(Size, bool)> {
    ACCESS_TYPES.iter().find(|(n, _, _)| *n == name).map(|(_, size, signed)| (*size, *signed))
}

/// `lddw` kinds, indexed by their `src` field value.
const LDDW_KINDS: [LddwKind; 7] = [
    LddwKind::Imm64,
    LddwKind::MapFd,
    LddwKind::MapValue,
    LddwKind::VarAddr,
    LddwKind::CodeAddr,
    LddwKind::MapIdx,
    LddwKind::MapIdxValue,
];

/// The `src` field value of an `lddw` kind.
pub(super) fn lddw_src(kind: LddwKind) -> u8 {
    LDDW_KINDS.iter().position(|k| *k == kind).expect("LDDW_KINDS covers every kind") as u8
}

/// The `lddw` kind of a `src` field value.
pub(super) fn lddw_kind(src: u8) -> Option<LddwKind> {
    LDDW_KINDS.get(usize::from(src)).copied()
}
