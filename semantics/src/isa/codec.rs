//! Byte encoding and decoding of instructions.

use super::opcode::*;
use super::{AddrSpace, ByteOrder, CallTarget, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width};
use thiserror::Error;

/// Size of one instruction slot in bytes.
pub const SLOT_BYTES: usize = 8;

/// An instruction field, named in decode errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The opcode byte.
    Opcode,
    /// The destination register nibble.
    Dst,
    /// The source register nibble.
    Src,
    /// The 16-bit offset.
    Offset,
    /// The 32-bit immediate.
    Imm,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Opcode => "opcode",
            Field::Dst => "dst_reg",
            Field::Src => "src_reg",
            Field::Offset => "offset",
            Field::Imm => "imm",
        })
    }
}

/// Why a slot could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeErrorKind {
    /// The byte length is not a multiple of 8, or an `lddw` lacks its second slot.
    #[error("truncated instruction: {available} of {needed} bytes present")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// No instruction has this opcode.
    #[error("unknown opcode {0:#04x}")]
    UnknownOpcode(u8),
    /// A field holds a value the opcode does not allow.
    #[error("opcode {opcode:#04x}: invalid {field} value {value}")]
    InvalidField {
        /// The opcode byte.
        opcode: u8,
        /// The offending field.
        field: Field,
        /// Its value.
        value: i64,
    },
    /// The second slot of an `lddw` is not `0x00` with zero registers and offset.
    #[error("second slot of lddw has invalid {field} value {value}")]
    BadLddwTail {
        /// The offending field.
        field: Field,
        /// Its value.
        value: i64,
    },
}

/// A decoding failure at a slot index (`pc`).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("pc {pc}: {kind}")]
pub struct DecodeError {
    /// Slot index of the instruction.
    pub pc: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// A decoded instruction with the slot index it starts at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Slot index (`pc`).
    pub pc: usize,
    /// The instruction.
    pub insn: Insn,
}

/// The raw fields of one 8-byte slot.
#[derive(Clone, Copy)]
struct Raw {
    opcode: u8,
    dst: u8,
    src: u8,
    off: i16,
    imm: i32,
}

impl Raw {
    fn read(slot: &[u8]) -> Raw {
        Raw {
            opcode: slot[0],
            dst: slot[1] & 0x0f,
            src: slot[1] >> 4,
            off: i16::from_le_bytes([slot[2], slot[3]]),
            imm: i32::from_le_bytes([slot[4], slot[5], slot[6], slot[7]]),
        }
    }

    fn write(self, out: &mut Vec<u8>) {
        out.push(self.opcode);
        out.push((self.src << 4) | (self.dst & 0x0f));
        out.extend_from_slice(&self.off.to_le_bytes());
        out.extend_from_slice(&self.imm.to_le_bytes());
    }

    fn value(&self, field: Field) -> i64 {
        match field {
            Field::Opcode => self.opcode as i64,
            Field::Dst => self.dst as i64,
            Field::Src => self.src as i64,
            Field::Offset => self.off as i64,
            Field::Imm => self.imm as i64,
        }
    }

    fn invalid(&self, field: Field) -> DecodeErrorKind {
        DecodeErrorKind::InvalidField { opcode: self.opcode, field, value: self.value(field) }
    }

    fn reg(&self, field: Field) -> Result<Reg, DecodeErrorKind> {
        let n = if field == Field::Dst { self.dst } else { self.src };
        Reg::new(n).ok_or_else(|| self.invalid(field))
    }

    fn dst_reg(&self) -> Result<Reg, DecodeErrorKind> {
        self.reg(Field::Dst)
    }

    fn src_reg(&self) -> Result<Reg, DecodeErrorKind> {
        self.reg(Field::Src)
    }

    /// Checks that each of `fields` ("unused" for this opcode) is zero.
    fn zero(&self, fields: &[Field]) -> Result<(), DecodeErrorKind> {
        match fields.iter().find(|&&field| self.value(field) != 0) {
            Some(&field) => Err(self.invalid(field)),
            None => Ok(()),
        }
    }
}

/// Decodes a whole byte string into instructions.
pub fn decode(bytes: &[u8]) -> Result<Vec<Decoded>, DecodeError> {
    if !bytes.len().is_multiple_of(SLOT_BYTES) {
        let pc = bytes.len() / SLOT_BYTES;
        return Err(DecodeError {
            pc,
            kind: DecodeErrorKind::Truncated { needed: SLOT_BYTES, available: bytes.len() % SLOT_BYTES },
        });
    }
    let mut out = Vec::with_capacity(bytes.len() / SLOT_BYTES);
    let mut pc = 0;
    while pc * SLOT_BYTES < bytes.len() {
        let insn = decode_one(&bytes[pc * SLOT_BYTES..], pc)?;
        out.push(Decoded { pc, insn });
        pc += insn.slots();
    }
    Ok(out)
}

/// Decodes the instruction at the start of `bytes`, which sits at slot `pc` (used only to
/// name the place in errors).
pub fn decode_one(bytes: &[u8], pc: usize) -> Result<Insn, DecodeError> {
    let at = |kind| DecodeError { pc, kind };
    if bytes.len() < SLOT_BYTES {
        return Err(at(DecodeErrorKind::Truncated { needed: SLOT_BYTES, available: bytes.len() }));
    }
    let raw = Raw::read(&bytes[..SLOT_BYTES]);
    let tail = if raw.opcode == CLASS_LD | MODE_IMM | size_code(Size::DW) {
        if bytes.len() < 2 * SLOT_BYTES {
            return Err(at(DecodeErrorKind::Truncated { needed: 2 * SLOT_BYTES, available: bytes.len() }));
        }
        Some(Raw::read(&bytes[SLOT_BYTES..2 * SLOT_BYTES]))
    } else {
        None
    };
    decode_raw(raw, tail).map_err(at)
}

fn decode_raw(raw: Raw, tail: Option<Raw>) -> Result<Insn, DecodeErrorKind> {
    use Field::*;
    let class = raw.opcode & 0x07;
    match class {
        CLASS_ALU | CLASS_ALU64 => decode_alu(raw, if class == CLASS_ALU { Width::W32 } else { Width::W64 }),
        CLASS_JMP | CLASS_JMP32 => decode_jmp(raw, if class == CLASS_JMP32 { Width::W32 } else { Width::W64 }),
        CLASS_LD => {
            let size = size_from(raw.opcode & 0x18);
            match raw.opcode & 0xe0 {
                MODE_IMM if size == Size::DW => {
                    let tail = tail.expect("decode_one reads the lddw tail");
                    if let Some(field) = [Opcode, Dst, Src, Offset].into_iter().find(|&f| tail.value(f) != 0) {
                        return Err(DecodeErrorKind::BadLddwTail { field, value: tail.value(field) });
                    }
                    raw.zero(&[Offset])?;
                    let kind = match raw.src {
                        0 => LddwKind::Imm64,
                        1 => LddwKind::MapFd,
                        2 => LddwKind::MapValue,
                        3 => LddwKind::VarAddr,
                        4 => LddwKind::CodeAddr,
                        5 => LddwKind::MapIdx,
                        6 => LddwKind::MapIdxValue,
                        _ => return Err(raw.invalid(Src)),
                    };
                    Ok(Insn::Lddw { dst: raw.dst_reg()?, kind, imm: raw.imm, next_imm: tail.imm })
                }
                MODE_ABS if size != Size::DW => {
                    raw.zero(&[Dst, Src, Offset])?;
                    Ok(Insn::LoadPacket { size, addr: PacketAddr::Abs, imm: raw.imm })
                }
                MODE_IND if size != Size::DW => {
                    raw.zero(&[Dst, Offset])?;
                    Ok(Insn::LoadPacket { size, addr: PacketAddr::Ind(raw.src_reg()?), imm: raw.imm })
                }
                _ => Err(DecodeErrorKind::UnknownOpcode(raw.opcode)),
            }
        }
        CLASS_LDX => {
            let size = size_from(raw.opcode & 0x18);
            let signed = match raw.opcode & 0xe0 {
                MODE_MEM => false,
                MODE_MEMSX if size != Size::DW => true,
                _ => return Err(DecodeErrorKind::UnknownOpcode(raw.opcode)),
            };
            raw.zero(&[Imm])?;
            Ok(Insn::Load { size, signed, dst: raw.dst_reg()?, src: raw.src_reg()?, off: raw.off })
        }
        CLASS_ST => {
            if raw.opcode & 0xe0 != MODE_MEM {
                return Err(DecodeErrorKind::UnknownOpcode(raw.opcode));
            }
            raw.zero(&[Src])?;
            let size = size_from(raw.opcode & 0x18);
            Ok(Insn::Store { size, dst: raw.dst_reg()?, off: raw.off, src: Operand::Imm(raw.imm) })
        }
        CLASS_STX => {
            let size = size_from(raw.opcode & 0x18);
            match raw.opcode & 0xe0 {
                MODE_MEM => {
                    raw.zero(&[Imm])?;
                    Ok(Insn::Store { size, dst: raw.dst_reg()?, off: raw.off, src: Operand::Reg(raw.src_reg()?) })
                }
                MODE_ATOMIC if matches!(size, Size::W | Size::DW) => {
                    let (op, fetch) = atomic_from(raw.imm).ok_or_else(|| raw.invalid(Imm))?;
                    Ok(Insn::Atomic { size, op, fetch, dst: raw.dst_reg()?, off: raw.off, src: raw.src_reg()? })
                }
                _ => Err(DecodeErrorKind::UnknownOpcode(raw.opcode)),
            }
        }
        _ => unreachable!("class is three bits"),
    }
}

/// The second operand of an ALU or conditional jump: for `K` the `src` field must be zero,
/// for `X` the `imm` field must be.
fn operand(raw: &Raw) -> Result<Operand, DecodeErrorKind> {
    if raw.opcode & SOURCE_X == 0 {
        raw.zero(&[Field::Src])?;
        Ok(Operand::Imm(raw.imm))
    } else {
        raw.zero(&[Field::Imm])?;
        Ok(Operand::Reg(raw.src_reg()?))
    }
}

fn decode_alu(raw: Raw, width: Width) -> Result<Insn, DecodeErrorKind> {
    use Field::*;
    let code = raw.opcode & 0xf0;
    let dst = raw.dst_reg()?;
    match code {
        ALU_NEG => {
            if raw.opcode & SOURCE_X != 0 {
                return Err(DecodeErrorKind::UnknownOpcode(raw.opcode));
            }
            raw.zero(&[Src, Offset, Imm])?;
            Ok(Insn::Neg { width, dst })
        }
        ALU_END => {
            let order = match (width, raw.opcode & SOURCE_X != 0) {
                (Width::W32, false) => ByteOrder::ToLe,
                (Width::W32, true) => ByteOrder::ToBe,
                (Width::W64, false) => ByteOrder::Swap,
                (Width::W64, true) => return Err(DecodeErrorKind::UnknownOpcode(raw.opcode)),
            };
            raw.zero(&[Src, Offset])?;
            if !matches!(raw.imm, 16 | 32 | 64) {
                return Err(raw.invalid(Imm));
            }
            Ok(Insn::Endian { order, dst, bits: raw.imm as u32 })
        }
        0xb0 if raw.off == 1 && width == Width::W64 && raw.opcode & SOURCE_X != 0 => {
            let cast = AddrSpace::from_imm(raw.imm).ok_or_else(|| raw.invalid(Imm))?;
            Ok(Insn::AddrSpaceCast { dst, src: raw.src_reg()?, cast })
        }
        0xb0 if raw.off != 0 => {
            // movsx: register source only; 32-bit form takes 8 or 16 bits.
            let from = match (raw.off, width) {
                (8, _) => Size::B,
                (16, _) => Size::H,
                (32, Width::W64) => Size::W,
                _ => return Err(raw.invalid(Offset)),
            };
            if raw.opcode & SOURCE_X == 0 {
                return Err(raw.invalid(Offset));
            }
            raw.zero(&[Imm])?;
            Ok(Insn::MovSx { width, dst, src: raw.src_reg()?, from })
        }
        _ => {
            let op = match bin_op_from(code, raw.off) {
                Some(op) => op,
                None if bin_op_from(code, 0).is_some() => return Err(raw.invalid(Offset)),
                None => return Err(DecodeErrorKind::UnknownOpcode(raw.opcode)),
            };
            Ok(Insn::Alu { width, op, dst, src: operand(&raw)? })
        }
    }
}

fn decode_jmp(raw: Raw, width: Width) -> Result<Insn, DecodeErrorKind> {
    use Field::*;
    let code = raw.opcode & 0xf0;
    let source_x = raw.opcode & SOURCE_X != 0;
    match (code, width, source_x) {
        (JMP_JA, Width::W64, false) => {
            raw.zero(&[Dst, Src, Imm])?;
            Ok(Insn::Ja { off: raw.off })
        }
        (JMP_JA, Width::W32, false) => {
            raw.zero(&[Dst, Src, Offset])?;
            Ok(Insn::Ja32 { imm: raw.imm })
        }
        (JMP_GOTOX, Width::W64, true) => {
            raw.zero(&[Src, Offset, Imm])?;
            Ok(Insn::Gotox { reg: raw.dst_reg()? })
        }
        (JMP_CALL, Width::W64, false) => {
            let target = match raw.src {
                0 => {
                    raw.zero(&[Dst, Offset])?;
                    CallTarget::Helper(raw.imm)
                }
                1 => {
                    raw.zero(&[Dst, Offset])?;
                    CallTarget::Local(raw.imm)
                }
                2 => {
                    raw.zero(&[Dst])?;
                    CallTarget::Kfunc { btf_id: raw.imm, btf_obj: raw.off }
                }
                _ => return Err(raw.invalid(Src)),
            };
            Ok(Insn::Call(target))
        }
        (JMP_CALL, Width::W64, true) => {
            raw.zero(&[Src, Offset])?;
            // Before LLVM 19 the register number sat in imm with dst_reg = 0.
            let reg = if raw.imm != 0 {
                raw.zero(&[Dst])?;
                u8::try_from(raw.imm).ok().and_then(Reg::new).ok_or_else(|| raw.invalid(Imm))?
            } else {
                raw.dst_reg()?
            };
            Ok(Insn::Callx { reg })
        }
        (JMP_JCOND, Width::W64, false) => {
            raw.zero(&[Dst, Src, Imm])?;
            Ok(Insn::MayGoto { off: raw.off })
        }
        (JMP_EXIT, Width::W64, false) => {
            raw.zero(&[Dst, Src, Offset, Imm])?;
            Ok(Insn::Exit)
        }
        _ => {
            let cond = cond_from(code).ok_or(DecodeErrorKind::UnknownOpcode(raw.opcode))?;
            Ok(Insn::Jump { width, cond, dst: raw.dst_reg()?, src: operand(&raw)?, off: raw.off })
        }
    }
}

/// Encodes instructions into bytes.
pub fn encode(insns: &[Insn]) -> Vec<u8> {
    let mut out = Vec::with_capacity(insns.len() * SLOT_BYTES);
    for insn in insns {
        encode_into(insn, &mut out);
    }
    out
}

/// Appends the encoding of `insn` (8 or 16 bytes) to `out`.
pub fn encode_into(insn: &Insn, out: &mut Vec<u8>) {
    let class_of = |width: Width, narrow: u8, wide: u8| if width == Width::W32 { narrow } else { wide };
    let src_bits = |operand: Operand| if matches!(operand, Operand::Reg(_)) { SOURCE_X } else { 0 };
    let src_reg = |operand: Operand| if let Operand::Reg(r) = operand { r.number() } else { 0 };
    let imm = |operand: Operand| if let Operand::Imm(i) = operand { i } else { 0 };
    let raw = match *insn {
        Insn::Alu { width, op, dst, src } => {
            let (code, off) = bin_op_code(op);
            let (x, s, i) = (src_bits(src), src_reg(src), imm(src));
            Raw { opcode: class_of(width, CLASS_ALU, CLASS_ALU64) | code | x, dst: dst.number(), src: s, off, imm: i }
        }
        Insn::Neg { width, dst } => {
            Raw { opcode: class_of(width, CLASS_ALU, CLASS_ALU64) | ALU_NEG, dst: dst.number(), src: 0, off: 0, imm: 0 }
        }
        Insn::MovSx { width, dst, src, from } => Raw {
            opcode: class_of(width, CLASS_ALU, CLASS_ALU64) | 0xb0 | SOURCE_X,
            dst: dst.number(),
            src: src.number(),
            off: from.bits() as i16,
            imm: 0,
        },
        Insn::AddrSpaceCast { dst, src, cast } => {
            Raw { opcode: CLASS_ALU64 | 0xb0 | SOURCE_X, dst: dst.number(), src: src.number(), off: 1, imm: cast.imm() }
        }
        Insn::Endian { order, dst, bits } => {
            let opcode = match order {
                ByteOrder::ToLe => CLASS_ALU | ALU_END,
                ByteOrder::ToBe => CLASS_ALU | ALU_END | SOURCE_X,
                ByteOrder::Swap => CLASS_ALU64 | ALU_END,
            };
            Raw { opcode, dst: dst.number(), src: 0, off: 0, imm: bits as i32 }
        }
        Insn::Lddw { dst, kind, imm, next_imm } => {
            let src = match kind {
                LddwKind::Imm64 => 0,
                LddwKind::MapFd => 1,
                LddwKind::MapValue => 2,
                LddwKind::VarAddr => 3,
                LddwKind::CodeAddr => 4,
                LddwKind::MapIdx => 5,
                LddwKind::MapIdxValue => 6,
            };
            Raw { opcode: CLASS_LD | MODE_IMM | size_code(Size::DW), dst: dst.number(), src, off: 0, imm }.write(out);
            Raw { opcode: 0, dst: 0, src: 0, off: 0, imm: next_imm }.write(out);
            return;
        }
        Insn::LoadPacket { size, addr, imm } => {
            let (mode, src) = match addr {
                PacketAddr::Abs => (MODE_ABS, 0),
                PacketAddr::Ind(r) => (MODE_IND, r.number()),
            };
            Raw { opcode: CLASS_LD | mode | size_code(size), dst: 0, src, off: 0, imm }
        }
        Insn::Load { size, signed, dst, src, off } => Raw {
            opcode: CLASS_LDX | if signed { MODE_MEMSX } else { MODE_MEM } | size_code(size),
            dst: dst.number(),
            src: src.number(),
            off,
            imm: 0,
        },
        Insn::Store { size, dst, off, src } => match src {
            Operand::Imm(i) => {
                Raw { opcode: CLASS_ST | MODE_MEM | size_code(size), dst: dst.number(), src: 0, off, imm: i }
            }
            Operand::Reg(r) => {
                Raw { opcode: CLASS_STX | MODE_MEM | size_code(size), dst: dst.number(), src: r.number(), off, imm: 0 }
            }
        },
        Insn::Atomic { size, op, fetch, dst, off, src } => Raw {
            opcode: CLASS_STX | MODE_ATOMIC | size_code(size),
            dst: dst.number(),
            src: src.number(),
            off,
            imm: atomic_code(op, fetch),
        },
        Insn::Ja { off } => Raw { opcode: CLASS_JMP | JMP_JA, dst: 0, src: 0, off, imm: 0 },
        Insn::Ja32 { imm } => Raw { opcode: CLASS_JMP32 | JMP_JA, dst: 0, src: 0, off: 0, imm },
        Insn::MayGoto { off } => Raw { opcode: CLASS_JMP | JMP_JCOND, dst: 0, src: 0, off, imm: 0 },
        Insn::Jump { width, cond, dst, src, off } => Raw {
            opcode: class_of(width, CLASS_JMP32, CLASS_JMP) | cond_code(cond) | src_bits(src),
            dst: dst.number(),
            src: src_reg(src),
            off,
            imm: imm(src),
        },
        Insn::Call(target) => {
            let (src, off, imm) = match target {
                CallTarget::Helper(id) => (0, 0, id),
                CallTarget::Local(rel) => (1, 0, rel),
                CallTarget::Kfunc { btf_id, btf_obj } => (2, btf_obj, btf_id),
            };
            Raw { opcode: CLASS_JMP | JMP_CALL, dst: 0, src, off, imm }
        }
        Insn::Callx { reg } => {
            Raw { opcode: CLASS_JMP | JMP_CALL | SOURCE_X, dst: reg.number(), src: 0, off: 0, imm: 0 }
        }
        Insn::Gotox { reg } => {
            Raw { opcode: CLASS_JMP | JMP_GOTOX | SOURCE_X, dst: reg.number(), src: 0, off: 0, imm: 0 }
        }
        Insn::Exit => Raw { opcode: CLASS_JMP | JMP_EXIT, dst: 0, src: 0, off: 0, imm: 0 },
    };
    raw.write(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_hex(hex: &str) -> Result<Insn, DecodeError> {
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        decode_one(&bytes, 0)
    }

    #[test]
    fn addr_space_casts_are_the_two_linux_knows() {
        let to_kernel = decode_hex("bf08010001000000").expect("as(1) -> as(0)");
        assert_eq!(to_kernel, Insn::AddrSpaceCast { dst: Reg::R8, src: Reg::R0, cast: AddrSpace::ToKernel });
        assert!(matches!(decode_hex("bf08010000000100"), Ok(Insn::AddrSpaceCast { cast: AddrSpace::ToUser, .. })));
        // Other address spaces, the 32-bit class and the immediate form are undefined.
        for bad in ["bf08010002000000", "bf08010000000000", "bc08010001000000", "b708010001000000"] {
            assert!(decode_hex(bad).is_err(), "{bad}");
        }
    }
}
