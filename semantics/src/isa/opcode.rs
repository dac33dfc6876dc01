//! Opcode field values (RFC 9669 §3–§5), as tables with one entry per line.

use super::{AtomicOp, BinOp, Cond, Size};

pub(super) const CLASS_LD: u8 = 0x00;
pub(super) const CLASS_LDX: u8 = 0x01;
pub(super) const CLASS_ST: u8 = 0x02;
pub(super) const CLASS_STX: u8 = 0x03;
pub(super) const CLASS_ALU: u8 = 0x04;
pub(super) const CLASS_JMP: u8 = 0x05;
pub(super) const CLASS_JMP32: u8 = 0x06;
pub(super) const CLASS_ALU64: u8 = 0x07;

/// Source bit of ALU and JMP opcodes: 0 = immediate (`K`), 1 = register (`X`).
pub(super) const SOURCE_X: u8 = 0x08;

pub(super) const MODE_IMM: u8 = 0x00;
pub(super) const MODE_ABS: u8 = 0x20;
pub(super) const MODE_IND: u8 = 0x40;
pub(super) const MODE_MEM: u8 = 0x60;
pub(super) const MODE_MEMSX: u8 = 0x80;
pub(super) const MODE_ATOMIC: u8 = 0xc0;

pub(super) const ALU_NEG: u8 = 0x80;
pub(super) const ALU_END: u8 = 0xd0;

pub(super) const JMP_JA: u8 = 0x00;
pub(super) const JMP_GOTOX: u8 = 0x00;
pub(super) const JMP_CALL: u8 = 0x80;
pub(super) const JMP_EXIT: u8 = 0x90;
/// `BPF_JCOND`, whose only condition is `may_goto` (`src = BPF_MAY_GOTO = 0`).
pub(super) const JMP_JCOND: u8 = 0xe0;

pub(super) const ATOMIC_FETCH: i32 = 0x01;

/// ALU operation codes (upper nibble) with the `offset` value that selects the operation.
/// Div and Mod share a code with their signed v4 forms, which set `offset = 1`.
pub(super) const BIN_OPS: [(BinOp, u8, i16); 14] = [
    (BinOp::Add, 0x00, 0),
    (BinOp::Sub, 0x10, 0),
    (BinOp::Mul, 0x20, 0),
    (BinOp::Div, 0x30, 0),
    (BinOp::SDiv, 0x30, 1),
    (BinOp::Or, 0x40, 0),
    (BinOp::And, 0x50, 0),
    (BinOp::Lsh, 0x60, 0),
    (BinOp::Rsh, 0x70, 0),
    (BinOp::Mod, 0x90, 0),
    (BinOp::SMod, 0x90, 1),
    (BinOp::Xor, 0xa0, 0),
    (BinOp::Mov, 0xb0, 0),
    (BinOp::Arsh, 0xc0, 0),
];

/// Conditional jump codes (upper nibble).
pub(super) const CONDS: [(Cond, u8); 11] = [
    (Cond::Eq, 0x10),
    (Cond::Gt, 0x20),
    (Cond::Ge, 0x30),
    (Cond::Set, 0x40),
    (Cond::Ne, 0x50),
    (Cond::SGt, 0x60),
    (Cond::SGe, 0x70),
    (Cond::Lt, 0xa0),
    (Cond::Le, 0xb0),
    (Cond::SLt, 0xc0),
    (Cond::SLe, 0xd0),
];

/// Size field values (bits 3–4 of load/store opcodes).
pub(super) const SIZES: [(Size, u8); 4] = [(Size::W, 0x00), (Size::H, 0x08), (Size::B, 0x10), (Size::DW, 0x18)];

/// Atomic operation `imm` values without the fetch bit. Xchg and CmpXchg always fetch.
pub(super) const ATOMIC_OPS: [(AtomicOp, i32); 6] = [
    (AtomicOp::Add, 0x00),
    (AtomicOp::Or, 0x40),
    (AtomicOp::And, 0x50),
    (AtomicOp::Xor, 0xa0),
    (AtomicOp::Xchg, 0xe0 | ATOMIC_FETCH),
    (AtomicOp::CmpXchg, 0xf0 | ATOMIC_FETCH),
];

pub(super) fn bin_op_code(op: BinOp) -> (u8, i16) {
    let (_, code, off) = BIN_OPS.iter().find(|(o, _, _)| *o == op).copied().expect("BIN_OPS covers every BinOp");
    (code, off)
}

pub(super) fn bin_op_from(code: u8, off: i16) -> Option<BinOp> {
    BIN_OPS.iter().find(|(_, c, o)| *c == code && *o == off).map(|(op, _, _)| *op)
}

pub(super) fn cond_code(cond: Cond) -> u8 {
    CONDS.iter().find(|(c, _)| *c == cond).map(|(_, code)| *code).expect("CONDS covers every Cond")
}

pub(super) fn cond_from(code: u8) -> Option<Cond> {
    CONDS.iter().find(|(_, c)| *c == code).map(|(cond, _)| *cond)
}

pub(super) fn size_code(size: Size) -> u8 {
    SIZES.iter().find(|(s, _)| *s == size).map(|(_, code)| *code).expect("SIZES covers every Size")
}

pub(super) fn size_from(code: u8) -> Size {
    SIZES.iter().find(|(_, c)| *c == code).map(|(size, _)| *size).expect("two bits select one of four sizes")
}

pub(super) fn atomic_code(op: AtomicOp, fetch: bool) -> i32 {
    let base =
        ATOMIC_OPS.iter().find(|(o, _)| *o == op).map(|(_, code)| *code).expect("ATOMIC_OPS covers every AtomicOp");
    if fetch { base | ATOMIC_FETCH } else { base }
}

/// Decodes an atomic `imm` into the operation and its fetch flag.
pub(super) fn atomic_from(imm: i32) -> Option<(AtomicOp, bool)> {
    ATOMIC_OPS.iter().find_map(|&(op, code)| {
        let always_fetches = code & ATOMIC_FETCH != 0;
        if imm == code {
            Some((op, always_fetches))
        } else if !always_fetches && imm == code | ATOMIC_FETCH {
            Some((op, true))
        } else {
            None
        }
    })
}
