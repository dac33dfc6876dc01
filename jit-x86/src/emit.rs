//! Turns [`Inst`]s into machine code through iced-x86's encoder: no encoding is written by
//! hand here, only the choice of iced [`Code`] for each instruction form.
//!
//! Every branch to a label uses its rel32 form, so an instruction's length never depends
//! on where its target lands: the encoder writes a placeholder displacement, and
//! [`Emitter::finish`] patches the last four bytes of each branch once all labels are bound.
//! This one-pass scheme is several times faster than iced's block encoder, which relaxes
//! branch sizes iteratively (the compile-time budget is 1 µs per eBPF instruction).

use iced_x86::{Code, Encoder, Instruction, MemoryOperand, Register};

use crate::error::JitError;
use crate::inst::{AluOp, CondCode, Extend, Gpr, Inst, Label, Mem, MemWidth, OpSize, ShiftCount, ShiftOp};

/// Offset of a label that has not been bound.
const UNBOUND: u32 = u32::MAX;

/// Encodes instructions into a buffer, resolving labels.
pub(crate) struct Emitter {
    encoder: Encoder,
    /// Bytes emitted so far (the encoder does not report its position).
    offset: u32,
    label_offsets: Vec<u32>,
    /// `(end of branch instruction, target)`: the rel32 occupies the four bytes before the end.
    fixups: Vec<(u32, Label)>,
}

/// Machine code with every label resolved.
#[derive(Debug)]
pub(crate) struct Emitted {
    /// The code, position-independent: branches are relative and no absolute code address
    /// is embedded.
    pub code: Vec<u8>,
    /// Offset of each label.
    pub label_offsets: Vec<u32>,
}

impl Emitter {
    /// An emitter for code using labels `0..labels`.
    pub fn new(labels: usize, capacity: usize) -> Emitter {
        let mut encoder = Encoder::new(64);
        encoder.set_buffer(Vec::with_capacity(capacity));
        Emitter { encoder, offset: 0, label_offsets: vec![UNBOUND; labels], fixups: Vec::new() }
    }

    /// Bytes emitted so far.
    pub fn offset(&self) -> u32 {
        self.offset
    }

    /// Encodes one instruction.
    pub fn emit(&mut self, inst: &Inst) -> Result<(), JitError> {
        let ip = u64::from(self.offset());
        let (instruction, branch_target) = match *inst {
            Inst::Bind(label) => {
                let slot =
                    self.label_offsets.get_mut(label.0 as usize).ok_or(JitError::Internal("label out of range"))?;
                if *slot != UNBOUND {
                    return Err(JitError::Internal("label bound twice"));
                }
                *slot = ip as u32;
                return Ok(());
            }
            Inst::Jmp(label) => (Instruction::with_branch(Code::Jmp_rel32_64, ip), Some(label)),
            Inst::Call(label) => (Instruction::with_branch(Code::Call_rel32_64, ip), Some(label)),
            Inst::Jcc(cc, label) => (Instruction::with_branch(jcc_code(cc), ip), Some(label)),
            _ => (build(inst), None),
        };
        let instruction =
            instruction.map_err(|e| JitError::Encode { inst: format!("{inst:?}"), message: e.to_string() })?;
        let length = self
            .encoder
            .encode(&instruction, ip)
            .map_err(|e| JitError::Encode { inst: format!("{inst:?}"), message: e.to_string() })?;
        self.offset += length as u32;
        if let Some(label) = branch_target {
            self.fixups.push((self.offset(), label));
        }
        Ok(())
    }

    /// Encodes a sequence of instructions.
    pub fn emit_all(&mut self, insts: &[Inst]) -> Result<(), JitError> {
        insts.iter().try_for_each(|inst| self.emit(inst))
    }

    /// Patches every branch and returns the code.
    pub fn finish(mut self) -> Result<Emitted, JitError> {
        let mut code = self.encoder.take_buffer();
        for &(end, label) in &self.fixups {
            let target = self.label_offsets[label.0 as usize];
            if target == UNBOUND {
                return Err(JitError::Internal("branch to an unbound label"));
            }
            let displacement = i64::from(target) - i64::from(end);
            let displacement = i32::try_from(displacement).map_err(|_| JitError::CodeTooLarge { bytes: code.len() })?;
            let end = end as usize;
            code[end - 4..end].copy_from_slice(&displacement.to_le_bytes());
        }
        Ok(Emitted { code, label_offsets: self.label_offsets })
    }
}

/// The iced register of `gpr` at `bits` bits.
pub(crate) fn register(gpr: Gpr, bits: u32) -> Register {
    const R64: [Register; 16] = [
        Register::RAX,
        Register::RCX,
        Register::RDX,
        Register::RBX,
        Register::RSP,
        Register::RBP,
        Register::RSI,
        Register::RDI,
        Register::R8,
        Register::R9,
        Register::R10,
        Register::R11,
        Register::R12,
        Register::R13,
        Register::R14,
        Register::R15,
    ];
    const R32: [Register; 16] = [
        Register::EAX,
        Register::ECX,
        Register::EDX,
        Register::EBX,
        Register::ESP,
        Register::EBP,
        Register::ESI,
        Register::EDI,
        Register::R8D,
        Register::R9D,
        Register::R10D,
        Register::R11D,
        Register::R12D,
        Register::R13D,
        Register::R14D,
        Register::R15D,
    ];
    const R16: [Register; 16] = [
        Register::AX,
        Register::CX,
        Register::DX,
        Register::BX,
        Register::SP,
        Register::BP,
        Register::SI,
        Register::DI,
        Register::R8W,
        Register::R9W,
        Register::R10W,
        Register::R11W,
        Register::R12W,
        Register::R13W,
        Register::R14W,
        Register::R15W,
    ];
    const R8: [Register; 16] = [
        Register::AL,
        Register::CL,
        Register::DL,
        Register::BL,
        Register::SPL,
        Register::BPL,
        Register::SIL,
        Register::DIL,
        Register::R8L,
        Register::R9L,
        Register::R10L,
        Register::R11L,
        Register::R12L,
        Register::R13L,
        Register::R14L,
        Register::R15L,
    ];
    let index = gpr as usize;
    match bits {
        8 => R8[index],
        16 => R16[index],
        32 => R32[index],
        _ => R64[index],
    }
}

fn bits(size: OpSize) -> u32 {
    match size {
        OpSize::S16 => 16,
        OpSize::S32 => 32,
        OpSize::S64 => 64,
    }
}

fn width_bits(width: MemWidth) -> u32 {
    width.bytes() as u32 * 8
}

fn reg(gpr: Gpr, size: OpSize) -> Register {
    register(gpr, bits(size))
}

fn memory(mem: Mem) -> MemoryOperand {
    let base = register(mem.base, 64);
    let index = mem.index.map_or(Register::None, |(index, _)| register(index, 64));
    let scale = mem.index.map_or(1, |(_, scale)| u32::from(scale));
    // Size 1 lets the encoder pick 8 or 32 bits; size 0 omits a zero displacement where
    // the base allows it.
    let displ_size = if mem.disp == 0 { 0 } else { 1 };
    MemoryOperand::with_base_index_scale_displ_size(base, index, scale, i64::from(mem.disp), displ_size)
}

fn fits_i8(value: i32) -> bool {
    i8::try_from(value).is_ok()
}

/// `(rm, r)`, `(r, rm)`, `(rm, imm8)`, `(rm, imm32)` forms of a two-operand operation.
struct AluCodes {
    rm_r: Code,
    r_rm: Code,
    rm_imm8: Code,
    rm_imm32: Code,
}

fn alu_codes(op: AluOp, size: OpSize) -> AluCodes {
    use Code::*;
    macro_rules! codes {
        ($a:ident, $b:ident, $c:ident, $d:ident) => {
            AluCodes { rm_r: $a, r_rm: $b, rm_imm8: $c, rm_imm32: $d }
        };
    }
    let wide = size == OpSize::S64;
    match (op, wide) {
        (AluOp::Add, true) => codes!(Add_rm64_r64, Add_r64_rm64, Add_rm64_imm8, Add_rm64_imm32),
        (AluOp::Add, false) => codes!(Add_rm32_r32, Add_r32_rm32, Add_rm32_imm8, Add_rm32_imm32),
        (AluOp::Sub, true) => codes!(Sub_rm64_r64, Sub_r64_rm64, Sub_rm64_imm8, Sub_rm64_imm32),
        (AluOp::Sub, false) => codes!(Sub_rm32_r32, Sub_r32_rm32, Sub_rm32_imm8, Sub_rm32_imm32),
        (AluOp::And, true) => codes!(And_rm64_r64, And_r64_rm64, And_rm64_imm8, And_rm64_imm32),
        (AluOp::And, false) => codes!(And_rm32_r32, And_r32_rm32, And_rm32_imm8, And_rm32_imm32),
        (AluOp::Or, true) => codes!(Or_rm64_r64, Or_r64_rm64, Or_rm64_imm8, Or_rm64_imm32),
        (AluOp::Or, false) => codes!(Or_rm32_r32, Or_r32_rm32, Or_rm32_imm8, Or_rm32_imm32),
        (AluOp::Xor, true) => codes!(Xor_rm64_r64, Xor_r64_rm64, Xor_rm64_imm8, Xor_rm64_imm32),
        (AluOp::Xor, false) => codes!(Xor_rm32_r32, Xor_r32_rm32, Xor_rm32_imm8, Xor_rm32_imm32),
        (AluOp::Cmp, true) => codes!(Cmp_rm64_r64, Cmp_r64_rm64, Cmp_rm64_imm8, Cmp_rm64_imm32),
        (AluOp::Cmp, false) => codes!(Cmp_rm32_r32, Cmp_r32_rm32, Cmp_rm32_imm8, Cmp_rm32_imm32),
        // `test` has no sign-extended imm8 form and no `r, rm` form distinct from `rm, r`.
        (AluOp::Test, true) => codes!(Test_rm64_r64, Test_rm64_r64, Test_rm64_imm32, Test_rm64_imm32),
        (AluOp::Test, false) => codes!(Test_rm32_r32, Test_rm32_r32, Test_rm32_imm32, Test_rm32_imm32),
    }
}

fn alu_imm_code(op: AluOp, size: OpSize, imm: i32) -> Code {
    let codes = alu_codes(op, size);
    if fits_i8(imm) { codes.rm_imm8 } else { codes.rm_imm32 }
}

fn jcc_code(cc: CondCode) -> Code {
    match cc {
        CondCode::E => Code::Je_rel32_64,
        CondCode::Ne => Code::Jne_rel32_64,
        CondCode::A => Code::Ja_rel32_64,
        CondCode::Ae => Code::Jae_rel32_64,
        CondCode::B => Code::Jb_rel32_64,
        CondCode::Be => Code::Jbe_rel32_64,
        CondCode::G => Code::Jg_rel32_64,
        CondCode::Ge => Code::Jge_rel32_64,
        CondCode::L => Code::Jl_rel32_64,
        CondCode::Le => Code::Jle_rel32_64,
    }
}

fn shift_code(op: ShiftOp, size: OpSize, count: ShiftCount) -> Code {
    use Code::*;
    let cl = count == ShiftCount::Cl;
    match (op, size, cl) {
        (ShiftOp::Shl, OpSize::S64, false) => Shl_rm64_imm8,
        (ShiftOp::Shl, OpSize::S64, true) => Shl_rm64_CL,
        (ShiftOp::Shl, OpSize::S32, false) => Shl_rm32_imm8,
        (ShiftOp::Shl, OpSize::S32, true) => Shl_rm32_CL,
        (ShiftOp::Shl, OpSize::S16, false) => Shl_rm16_imm8,
        (ShiftOp::Shl, OpSize::S16, true) => Shl_rm16_CL,
        (ShiftOp::Shr, OpSize::S64, false) => Shr_rm64_imm8,
        (ShiftOp::Shr, OpSize::S64, true) => Shr_rm64_CL,
        (ShiftOp::Shr, OpSize::S32, false) => Shr_rm32_imm8,
        (ShiftOp::Shr, OpSize::S32, true) => Shr_rm32_CL,
        (ShiftOp::Shr, OpSize::S16, false) => Shr_rm16_imm8,
        (ShiftOp::Shr, OpSize::S16, true) => Shr_rm16_CL,
        (ShiftOp::Sar, OpSize::S64, false) => Sar_rm64_imm8,
        (ShiftOp::Sar, OpSize::S64, true) => Sar_rm64_CL,
        (ShiftOp::Sar, OpSize::S32, false) => Sar_rm32_imm8,
        (ShiftOp::Sar, OpSize::S32, true) => Sar_rm32_CL,
        (ShiftOp::Sar, OpSize::S16, false) => Sar_rm16_imm8,
        (ShiftOp::Sar, OpSize::S16, true) => Sar_rm16_CL,
        (ShiftOp::Rol, OpSize::S64, false) => Rol_rm64_imm8,
        (ShiftOp::Rol, OpSize::S64, true) => Rol_rm64_CL,
        (ShiftOp::Rol, OpSize::S32, false) => Rol_rm32_imm8,
        (ShiftOp::Rol, OpSize::S32, true) => Rol_rm32_CL,
        (ShiftOp::Rol, OpSize::S16, false) => Rol_rm16_imm8,
        (ShiftOp::Rol, OpSize::S16, true) => Rol_rm16_CL,
    }
}

/// The iced instruction for every [`Inst`] except labels and label branches.
fn build(inst: &Inst) -> Result<Instruction, iced_x86::IcedError> {
    use Code::*;
    match *inst {
        Inst::AluRR { op, size, dst, src } => {
            Instruction::with2(alu_codes(op, size).rm_r, reg(dst, size), reg(src, size))
        }
        Inst::AluRI { op, size, dst, imm } => Instruction::with2(alu_imm_code(op, size, imm), reg(dst, size), imm),
        Inst::AluRM { op, size, dst, src } => Instruction::with2(alu_codes(op, size).r_rm, reg(dst, size), memory(src)),
        Inst::AluMR { op, size, dst, src } => Instruction::with2(alu_codes(op, size).rm_r, memory(dst), reg(src, size)),
        Inst::AluMI { op, size, dst, imm } => Instruction::with2(alu_imm_code(op, size, imm), memory(dst), imm),
        Inst::MovRR { size, dst, src } => {
            let code = if size == OpSize::S64 { Mov_rm64_r64 } else { Mov_rm32_r32 };
            Instruction::with2(code, reg(dst, size), reg(src, size))
        }
        Inst::MovRI { dst, value } => {
            if let Ok(small) = u32::try_from(value) {
                // A 32-bit move zero-extends, and is the shortest form.
                Instruction::with2(Mov_r32_imm32, register(dst, 32), small)
            } else if let Ok(signed) = i32::try_from(value as i64) {
                Instruction::with2(Mov_rm64_imm32, register(dst, 64), signed)
            } else {
                Instruction::with2(Mov_r64_imm64, register(dst, 64), value)
            }
        }
        Inst::Load { width, extend, dst, src } => {
            let (code, dst_bits) = match (width, extend) {
                (MemWidth::B, Extend::Zero) => (Movzx_r32_rm8, 32),
                (MemWidth::H, Extend::Zero) => (Movzx_r32_rm16, 32),
                (MemWidth::W, Extend::Zero) => (Mov_r32_rm32, 32),
                (MemWidth::B, Extend::Sign) => (Movsx_r64_rm8, 64),
                (MemWidth::H, Extend::Sign) => (Movsx_r64_rm16, 64),
                (MemWidth::W, Extend::Sign) => (Movsxd_r64_rm32, 64),
                (MemWidth::D, _) => (Mov_r64_rm64, 64),
            };
            Instruction::with2(code, register(dst, dst_bits), memory(src))
        }
        Inst::Store { width, dst, src } => {
            let code = match width {
                MemWidth::B => Mov_rm8_r8,
                MemWidth::H => Mov_rm16_r16,
                MemWidth::W => Mov_rm32_r32,
                MemWidth::D => Mov_rm64_r64,
            };
            Instruction::with2(code, memory(dst), register(src, width_bits(width)))
        }
        Inst::StoreImm { width, dst, imm } => match width {
            MemWidth::B => Instruction::with2(Mov_rm8_imm8, memory(dst), u32::from(imm as u8)),
            MemWidth::H => Instruction::with2(Mov_rm16_imm16, memory(dst), u32::from(imm as u16)),
            MemWidth::W => Instruction::with2(Mov_rm32_imm32, memory(dst), imm),
            MemWidth::D => Instruction::with2(Mov_rm64_imm32, memory(dst), imm),
        },
        Inst::Lea { dst, src } => Instruction::with2(Lea_r64_m, register(dst, 64), memory(src)),
        Inst::Imul { size, dst, src } => {
            let code = if size == OpSize::S64 { Imul_r64_rm64 } else { Imul_r32_rm32 };
            Instruction::with2(code, reg(dst, size), reg(src, size))
        }
        Inst::ImulImm { size, dst, src, imm } => {
            let code = match (size == OpSize::S64, fits_i8(imm)) {
                (true, true) => Imul_r64_rm64_imm8,
                (true, false) => Imul_r64_rm64_imm32,
                (false, true) => Imul_r32_rm32_imm8,
                (false, false) => Imul_r32_rm32_imm32,
            };
            Instruction::with3(code, reg(dst, size), reg(src, size), imm)
        }
        Inst::SignExtendAccumulator { size } => Ok(Instruction::with(if size == OpSize::S64 { Cqo } else { Cdq })),
        Inst::Div { size, signed, divisor } => {
            let code = match (size == OpSize::S64, signed) {
                (true, false) => Div_rm64,
                (true, true) => Idiv_rm64,
                (false, false) => Div_rm32,
                (false, true) => Idiv_rm32,
            };
            Instruction::with1(code, reg(divisor, size))
        }
        Inst::Neg { size, dst } => {
            Instruction::with1(if size == OpSize::S64 { Neg_rm64 } else { Neg_rm32 }, reg(dst, size))
        }
        Inst::Shift { op, size, dst, count } => {
            let code = shift_code(op, size, count);
            match count {
                ShiftCount::Imm(n) => Instruction::with2(code, reg(dst, size), u32::from(n)),
                ShiftCount::Cl => Instruction::with2(code, reg(dst, size), Register::CL),
            }
        }
        Inst::ExtendReg { extend, from, size, dst, src } => {
            let code = match (extend, from, size) {
                (Extend::Zero, MemWidth::B, _) => Movzx_r32_rm8,
                (Extend::Zero, MemWidth::H, _) => Movzx_r32_rm16,
                (Extend::Sign, MemWidth::B, OpSize::S64) => Movsx_r64_rm8,
                (Extend::Sign, MemWidth::H, OpSize::S64) => Movsx_r64_rm16,
                (Extend::Sign, MemWidth::W, OpSize::S64) => Movsxd_r64_rm32,
                (Extend::Sign, MemWidth::B, _) => Movsx_r32_rm8,
                (Extend::Sign, MemWidth::H, _) => Movsx_r32_rm16,
                // Widening a 32-bit value to 32 bits (or zero-extending one) is a plain move,
                // which zero-extends to 64.
                (_, MemWidth::W | MemWidth::D, _) => {
                    return Instruction::with2(Mov_rm32_r32, register(dst, 32), register(src, 32));
                }
            };
            let dst_bits = match (extend, size) {
                (Extend::Sign, OpSize::S64) => 64,
                _ => 32,
            };
            Instruction::with2(code, register(dst, dst_bits), register(src, width_bits(from)))
        }
        Inst::Bswap { size, dst } => {
            Instruction::with1(if size == OpSize::S64 { Bswap_r64 } else { Bswap_r32 }, reg(dst, size))
        }
        Inst::Push(gpr) => Instruction::with1(Push_r64, register(gpr, 64)),
        Inst::Pop(gpr) => Instruction::with1(Pop_r64, register(gpr, 64)),
        Inst::Ret => Ok(Instruction::with(Retnq)),
        Inst::CallReg(gpr) => Instruction::with1(Call_rm64, register(gpr, 64)),
        Inst::CallMem(mem) => Instruction::with1(Call_rm64, memory(mem)),
        Inst::JmpReg(gpr) => Instruction::with1(Jmp_rm64, register(gpr, 64)),
        Inst::LockAlu { op, size, dst, src } => {
            let mut instruction = Instruction::with2(alu_codes(op, size).rm_r, memory(dst), reg(src, size))?;
            instruction.set_has_lock_prefix(true);
            Ok(instruction)
        }
        Inst::LockXadd { size, dst, src } => {
            let code = if size == OpSize::S64 { Xadd_rm64_r64 } else { Xadd_rm32_r32 };
            let mut instruction = Instruction::with2(code, memory(dst), reg(src, size))?;
            instruction.set_has_lock_prefix(true);
            Ok(instruction)
        }
        Inst::Xchg { size, dst, src } => {
            let code = if size == OpSize::S64 { Xchg_rm64_r64 } else { Xchg_rm32_r32 };
            Instruction::with2(code, memory(dst), reg(src, size))
        }
        Inst::LockCmpxchg { size, dst, src } => {
            let code = if size == OpSize::S64 { Cmpxchg_rm64_r64 } else { Cmpxchg_rm32_r32 };
            let mut instruction = Instruction::with2(code, memory(dst), reg(src, size))?;
            instruction.set_has_lock_prefix(true);
            Ok(instruction)
        }
        Inst::Bind(_) | Inst::Jmp(_) | Inst::Jcc(..) | Inst::Call(_) => {
            unreachable!("Emitter::emit handles labels and label branches itself")
        }
    }
}

#[cfg(test)]
#[path = "emit_tests.rs"]
mod tests;
