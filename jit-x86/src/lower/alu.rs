//! Lowering of register-only instructions: ALU, `neg`, `movsx`, byte order, `lddw` and
//! conditional jumps. The meaning each must reproduce is `semantics::alu`; the
//! differential tests compare the two.

use bpfprove_semantics::isa::{BinOp, ByteOrder, Cond, Insn, LddwKind, Operand, Reg, Size, Width};
use bpfprove_semantics::program::code_address;

use super::{Lower, Stub, load64};
use crate::abi::{self, field};
use crate::error::JitError;
use crate::inst::{AluOp, CondCode, Extend, Gpr, Inst, Label, Mem, MemWidth, OpSize, ShiftCount, ShiftOp};

/// The x86 operand size of an eBPF width.
pub(super) fn op_size(width: Width) -> OpSize {
    match width {
        Width::W32 => OpSize::S32,
        Width::W64 => OpSize::S64,
    }
}

/// An immediate as the operation sees it: sign-extended to 64 bits, then narrowed.
fn narrowed(width: Width, imm: i32) -> u64 {
    match width {
        Width::W64 => imm as i64 as u64,
        Width::W32 => u64::from(imm as u32),
    }
}

/// The flag-setting operation of a simple binary operation.
fn simple_op(op: BinOp) -> Option<AluOp> {
    Some(match op {
        BinOp::Add => AluOp::Add,
        BinOp::Sub => AluOp::Sub,
        BinOp::And => AluOp::And,
        BinOp::Or => AluOp::Or,
        BinOp::Xor => AluOp::Xor,
        _ => return None,
    })
}

/// The condition code under which a jump on `cond` is taken, after `cmp` (or `test` for
/// [`Cond::Set`]).
fn condition_code(cond: Cond) -> CondCode {
    match cond {
        Cond::Eq => CondCode::E,
        Cond::Ne | Cond::Set => CondCode::Ne,
        Cond::Gt => CondCode::A,
        Cond::Ge => CondCode::Ae,
        Cond::Lt => CondCode::B,
        Cond::Le => CondCode::Be,
        Cond::SGt => CondCode::G,
        Cond::SGe => CondCode::Ge,
        Cond::SLt => CondCode::L,
        Cond::SLe => CondCode::Le,
    }
}

impl Lower<'_> {
    /// `dst op= src`.
    pub(super) fn alu(&mut self, width: Width, op: BinOp, dst: Reg, src: Operand) -> Result<(), JitError> {
        let size = op_size(width);
        let d = self.write(dst)?;
        if let Some(alu_op) = simple_op(op) {
            match src {
                Operand::Reg(src) => {
                    let s = self.read(src, Gpr::Rcx);
                    self.push(Inst::AluRR { op: alu_op, size, dst: d, src: s });
                }
                Operand::Imm(imm) => self.push(Inst::AluRI { op: alu_op, size, dst: d, imm }),
            }
            return Ok(());
        }
        match op {
            BinOp::Mov => match src {
                Operand::Reg(src) => {
                    let s = self.read(src, Gpr::Rcx);
                    self.push(Inst::MovRR { size, dst: d, src: s });
                }
                Operand::Imm(imm) => self.push(Inst::MovRI { dst: d, value: narrowed(width, imm) }),
            },
            BinOp::Mul => match src {
                Operand::Reg(src) => {
                    let s = self.read(src, Gpr::Rcx);
                    self.push(Inst::Imul { size, dst: d, src: s });
                }
                Operand::Imm(imm) => self.push(Inst::ImulImm { size, dst: d, src: d, imm }),
            },
            BinOp::Lsh | BinOp::Rsh | BinOp::Arsh => self.shift(width, op, d, src),
            BinOp::Div | BinOp::Mod | BinOp::SDiv | BinOp::SMod => self.divide(width, op, d, src),
            BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor => {
                return Err(JitError::Internal("simple operation not handled as such"));
            }
        }
        Ok(())
    }

    fn shift(&mut self, width: Width, op: BinOp, d: Gpr, src: Operand) {
        let size = op_size(width);
        let shift_op = match op {
            BinOp::Lsh => ShiftOp::Shl,
            BinOp::Rsh => ShiftOp::Shr,
            _ => ShiftOp::Sar,
        };
        match src {
            Operand::Imm(imm) => {
                let bits = if width == Width::W64 { 64 } else { 32 };
                let count = (imm as u32 & (bits - 1)) as u8;
                if count == 0 {
                    // The value is unchanged, but a 32-bit result is still zero-extended.
                    if width == Width::W32 {
                        self.push(Inst::MovRR { size, dst: d, src: d });
                    }
                } else {
                    self.push(Inst::Shift { op: shift_op, size, dst: d, count: ShiftCount::Imm(count) });
                }
            }
            Operand::Reg(src) => {
                let s = self.read(src, Gpr::Rcx);
                if s != Gpr::Rcx {
                    self.push(Inst::MovRR { size: OpSize::S32, dst: Gpr::Rcx, src: s });
                }
                // x86 masks the count to the operand width, as eBPF does.
                self.push(Inst::Shift { op: shift_op, size, dst: d, count: ShiftCount::Cl });
            }
        }
    }

    /// What division by zero leaves in `d`: 0 for a quotient, `d` (narrowed) for a remainder.
    fn divide_by_zero(&mut self, size: OpSize, op: BinOp, d: Gpr) {
        match op {
            BinOp::Div | BinOp::SDiv => self.push(Inst::MovRI { dst: d, value: 0 }),
            _ if size == OpSize::S32 => self.push(Inst::MovRR { size, dst: d, src: d }),
            _ => {}
        }
    }

    /// What division by -1 leaves in `d`: `-d` (wrapping, so `MIN / -1 = MIN`) or 0.
    fn divide_by_minus_one(&mut self, size: OpSize, op: BinOp, d: Gpr) {
        match op {
            BinOp::SDiv => self.push(Inst::Neg { size, dst: d }),
            _ => self.push(Inst::MovRI { dst: d, value: 0 }),
        }
    }

    /// `div`/`idiv` of `d` by `divisor`, which is neither 0 nor (if signed) -1.
    fn hardware_divide(&mut self, size: OpSize, op: BinOp, d: Gpr, divisor: Gpr) {
        let signed = matches!(op, BinOp::SDiv | BinOp::SMod);
        self.push(Inst::MovRR { size, dst: Gpr::Rax, src: d });
        if signed {
            self.push(Inst::SignExtendAccumulator { size });
        } else {
            self.push(Inst::AluRR { op: AluOp::Xor, size: OpSize::S32, dst: Gpr::Rdx, src: Gpr::Rdx });
        }
        self.push(Inst::Div { size, signed, divisor });
        let result = if matches!(op, BinOp::Div | BinOp::SDiv) { Gpr::Rax } else { Gpr::Rdx };
        self.push(Inst::MovRR { size, dst: d, src: result });
    }

    fn divide(&mut self, width: Width, op: BinOp, d: Gpr, src: Operand) {
        let size = op_size(width);
        let signed = matches!(op, BinOp::SDiv | BinOp::SMod);
        match src {
            Operand::Imm(0) => self.divide_by_zero(size, op, d),
            Operand::Imm(-1) if signed => self.divide_by_minus_one(size, op, d),
            Operand::Imm(imm) => {
                self.push(Inst::MovRI { dst: Gpr::Rcx, value: narrowed(width, imm) });
                self.hardware_divide(size, op, d, Gpr::Rcx);
            }
            Operand::Reg(src) => {
                let s = self.read(src, Gpr::Rcx);
                let (zero, done) = (self.label(), self.label());
                self.push(Inst::AluRR { op: AluOp::Test, size, dst: s, src: s });
                self.push(Inst::Jcc(CondCode::E, zero));
                let minus_one = signed.then(|| self.label());
                if let Some(minus_one) = minus_one {
                    self.push(Inst::AluRI { op: AluOp::Cmp, size, dst: s, imm: -1 });
                    self.push(Inst::Jcc(CondCode::E, minus_one));
                }
                self.hardware_divide(size, op, d, s);
                self.push(Inst::Jmp(done));
                if let Some(minus_one) = minus_one {
                    self.push(Inst::Bind(minus_one));
                    self.divide_by_minus_one(size, op, d);
                    self.push(Inst::Jmp(done));
                }
                self.push(Inst::Bind(zero));
                self.divide_by_zero(size, op, d);
                self.push(Inst::Bind(done));
            }
        }
    }

    /// `dst = -dst`.
    pub(super) fn neg(&mut self, width: Width, dst: Reg) -> Result<(), JitError> {
        let d = self.write(dst)?;
        self.push(Inst::Neg { size: op_size(width), dst: d });
        Ok(())
    }

    /// `dst = (s<from>) src`.
    pub(super) fn move_sign_extend(&mut self, width: Width, dst: Reg, src: Reg, from: Size) -> Result<(), JitError> {
        let size = op_size(width);
        let d = self.write(dst)?;
        let s = self.read(src, Gpr::Rax);
        let narrow = match from {
            Size::B => Some(MemWidth::B),
            Size::H => Some(MemWidth::H),
            Size::W if width == Width::W64 => Some(MemWidth::W),
            // Sign-extending 32 bits into a 32-bit result, or 64 into 64, copies.
            Size::W | Size::DW => None,
        };
        match narrow {
            Some(from) => self.push(Inst::ExtendReg { extend: Extend::Sign, from, size, dst: d, src: s }),
            None => self.push(Inst::MovRR { size, dst: d, src: s }),
        }
        Ok(())
    }

    /// Byte-order conversion of the low `bits` of `dst`.
    pub(super) fn endian(&mut self, order: ByteOrder, dst: Reg, bits: u32) -> Result<(), JitError> {
        let d = self.write(dst)?;
        let zero_extend_16 =
            Inst::ExtendReg { extend: Extend::Zero, from: MemWidth::H, size: OpSize::S32, dst: d, src: d };
        match (order, bits) {
            (ByteOrder::ToLe, 16) => self.push(zero_extend_16),
            (ByteOrder::ToLe, 32) => self.push(Inst::MovRR { size: OpSize::S32, dst: d, src: d }),
            (ByteOrder::ToLe, 64) => {}
            (ByteOrder::ToBe | ByteOrder::Swap, 16) => {
                self.push(Inst::Shift { op: ShiftOp::Rol, size: OpSize::S16, dst: d, count: ShiftCount::Imm(8) });
                self.push(zero_extend_16);
            }
            (ByteOrder::ToBe | ByteOrder::Swap, 32) => self.push(Inst::Bswap { size: OpSize::S32, dst: d }),
            (ByteOrder::ToBe | ByteOrder::Swap, 64) => self.push(Inst::Bswap { size: OpSize::S64, dst: d }),
            _ => return Err(JitError::Internal("byte-order conversion of an unsupported width")),
        }
        Ok(())
    }

    /// `lddw`: a constant, a code address, or a jump table's guest address.
    pub(super) fn lddw(
        &mut self,
        pc: usize,
        insn: &Insn,
        dst: Reg,
        kind: LddwKind,
        imm: i32,
        next_imm: i32,
    ) -> Result<(), JitError> {
        let d = self.write(dst)?;
        if let Some(table) = self.program.table_loads().get(&pc) {
            self.push(load64(Gpr::Rax, field::TABLE_ADDRESSES));
            let offset =
                i32::try_from(8 * u64::from(table.0)).map_err(|_| JitError::Internal("too many jump tables"))?;
            self.push(Inst::Load { width: MemWidth::D, extend: Extend::Zero, dst: d, src: Mem::at(Gpr::Rax, offset) });
            return Ok(());
        }
        if matches!(kind, LddwKind::MapIdx | LddwKind::MapIdxValue) {
            return self.map_load(pc, d, kind, imm as u32, next_imm as u32);
        }
        let value = match kind {
            LddwKind::Imm64 => Insn::lddw_value(imm, next_imm),
            LddwKind::CodeAddr => {
                let target = insn.branch_target(pc).ok_or(JitError::Internal("code-address lddw without a target"))?;
                code_address(target as usize)
            }
            _ => return Err(JitError::Internal("unsupported lddw reached code generation")),
        };
        self.push(Inst::MovRI { dst: d, value });
        Ok(())
    }

    /// A map `lddw`: the map's handle, or its value's address plus `offset`, from the run's
    /// map slots; traps when the map is not bound (or has no value).
    fn map_load(&mut self, pc: usize, d: Gpr, kind: LddwKind, map: u32, offset: u32) -> Result<(), JitError> {
        let index = match self.map_indices.iter().position(|&m| m == map) {
            Some(index) => index,
            None => {
                self.map_indices.push(map);
                self.map_indices.len() - 1
            }
        };
        let base = i32::try_from(index << abi::MAP_SLOT_SHIFT).map_err(|_| JitError::Internal("too many maps"))?;
        let (present, value) = match kind {
            LddwKind::MapIdx => (abi::MAP_SLOT_BOUND, abi::MAP_SLOT_HANDLE),
            _ => (abi::MAP_SLOT_HAS_VALUE, abi::MAP_SLOT_VALUE),
        };
        let unbound = self.stub(|label| Stub::Static { label, pc });
        self.push(load64(Gpr::Rax, field::MAP_SLOTS));
        self.push(Inst::AluMI { op: AluOp::Cmp, size: OpSize::S64, dst: Mem::at(Gpr::Rax, base + present), imm: 0 });
        self.push(Inst::Jcc(CondCode::E, unbound));
        self.push(Inst::Load {
            width: MemWidth::D,
            extend: Extend::Zero,
            dst: d,
            src: Mem::at(Gpr::Rax, base + value),
        });
        if kind == LddwKind::MapIdxValue && offset != 0 {
            match i32::try_from(offset) {
                Ok(imm) => self.push(Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: d, imm }),
                Err(_) => {
                    self.push(Inst::MovRI { dst: Gpr::Rcx, value: u64::from(offset) });
                    self.push(Inst::AluRR { op: AluOp::Add, size: OpSize::S64, dst: d, src: Gpr::Rcx });
                }
            }
        }
        Ok(())
    }

    /// `if dst cond src goto target`; falling through continues with the next segment.
    pub(super) fn jump(
        &mut self,
        width: Width,
        cond: Cond,
        dst: Reg,
        src: Operand,
        target: Label,
    ) -> Result<(), JitError> {
        let size = op_size(width);
        let a = self.read(dst, Gpr::Rax);
        let op = if cond == Cond::Set { AluOp::Test } else { AluOp::Cmp };
        match src {
            Operand::Reg(src) => {
                let b = self.read(src, Gpr::Rcx);
                self.push(Inst::AluRR { op, size, dst: a, src: b });
            }
            Operand::Imm(imm) => self.push(Inst::AluRI { op, size, dst: a, imm }),
        }
        self.push(Inst::Jcc(condition_code(cond), target));
        Ok(())
    }
}
