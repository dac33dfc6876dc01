//! Lowering of loads, stores and atomics, each behind the region-table check that makes it
//! fault exactly where the interpreter's `Memory` does.

use bpfprove_semantics::interp::STACK_FRAME_BYTES;
use bpfprove_semantics::isa::{AtomicOp, Operand, Reg, Size};

use super::{Completion, Lower, Stub, load64};
use crate::abi::{
    self, ACCESS_ATOMIC, ACCESS_LOAD, ACCESS_STORE, ENTRY_HOST, ENTRY_READ_LEN, ENTRY_SHIFT, ENTRY_WRITE_LEN, field,
};
use crate::error::JitError;
use crate::inst::{AluOp, CondCode, Extend, Gpr, Inst, Mem, MemWidth, OpSize, ShiftCount, ShiftOp};

/// The access width of a size.
fn width(size: Size) -> MemWidth {
    match size {
        Size::B => MemWidth::B,
        Size::H => MemWidth::H,
        Size::W => MemWidth::W,
        Size::DW => MemWidth::D,
    }
}

/// Whether `r10 + off` for `bytes` bytes lies inside the current stack frame.
fn inside_frame(off: i16, bytes: i32) -> bool {
    let frame = STACK_FRAME_BYTES as i32;
    let start = i32::from(off);
    -frame <= start && start + bytes <= 0
}

impl Lower<'_> {
    /// Checks an access of `size` at `base + off` and returns the host operand for it.
    ///
    /// The guest address goes to `rax` (where the fault stub expects it), the table index
    /// to `rcx`, the offset plus size to `rdx`; afterwards `rcx` holds the region's host
    /// base and the operand is `[rcx + rdx - size]`. `rax` is free again once this returns.
    fn checked_address(
        &mut self,
        pc: usize,
        base: Reg,
        off: i16,
        size: Size,
        access: u64,
        completion: Option<Completion>,
    ) -> Mem {
        let bytes = size.bytes() as i32;
        match abi::host(base) {
            Some(gpr) => self.push(Inst::Lea { dst: Gpr::Rax, src: Mem::at(gpr, i32::from(off)) }),
            None => {
                self.push(load64(Gpr::Rax, field::GUEST_FP));
                self.push(Inst::Lea { dst: Gpr::Rax, src: Mem::at(Gpr::Rax, i32::from(off)) });
            }
        }
        let stub = self.stub(|label| Stub::Memory { label, pc, access, size: bytes as u8, completion });
        // Index = (address + 2^31) >> 32: subtracting i32::MIN adds 2^31.
        self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rcx, src: Gpr::Rax });
        self.push(Inst::AluRI { op: AluOp::Sub, size: OpSize::S64, dst: Gpr::Rcx, imm: i32::MIN });
        self.push(Inst::Shift { op: ShiftOp::Shr, size: OpSize::S64, dst: Gpr::Rcx, count: ShiftCount::Imm(32) });
        self.push(Inst::AluRM {
            op: AluOp::Cmp,
            size: OpSize::S64,
            dst: Gpr::Rcx,
            src: abi::ctx_field(field::ENTRIES),
        });
        self.push(Inst::Jcc(CondCode::Ae, stub));
        self.push(Inst::Shift {
            op: ShiftOp::Shl,
            size: OpSize::S64,
            dst: Gpr::Rcx,
            count: ShiftCount::Imm(ENTRY_SHIFT),
        });
        self.push(Inst::AluRM { op: AluOp::Add, size: OpSize::S64, dst: Gpr::Rcx, src: abi::ctx_field(field::TABLE) });
        // The low 32 bits are the offset from the region's base, read as signed; a
        // negative offset reads as at least 2^31 and fails the length check below.
        self.push(Inst::MovRR { size: OpSize::S32, dst: Gpr::Rdx, src: Gpr::Rax });
        self.push(Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: Gpr::Rdx, imm: bytes });
        let limit = if access == ACCESS_LOAD { ENTRY_READ_LEN } else { ENTRY_WRITE_LEN };
        self.push(Inst::AluRM { op: AluOp::Cmp, size: OpSize::S64, dst: Gpr::Rdx, src: Mem::at(Gpr::Rcx, limit) });
        self.push(Inst::Jcc(CondCode::A, stub));
        self.push(Inst::Load {
            width: MemWidth::D,
            extend: Extend::Zero,
            dst: Gpr::Rcx,
            src: Mem::at(Gpr::Rcx, ENTRY_HOST),
        });
        Mem::indexed(Gpr::Rcx, Gpr::Rdx, 1, -bytes)
    }

    /// The host operand of a stack access `r10 + off` statically inside the frame.
    fn frame_address(&mut self, off: i16) -> Mem {
        self.push(load64(Gpr::Rax, field::HOST_FP));
        Mem::at(Gpr::Rax, i32::from(off))
    }

    /// `dst = *(size *)(src + off)`, sign-extended for `ldsx`.
    pub(super) fn load(
        &mut self,
        pc: usize,
        size: Size,
        signed: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    ) -> Result<(), JitError> {
        let d = self.write(dst)?;
        let resume = self.label();
        let operand = if src == Reg::R10 && inside_frame(off, size.bytes() as i32) {
            self.frame_address(off)
        } else {
            self.checked_address(pc, src, off, size, ACCESS_LOAD, Some(Completion::Load { dst: d, resume }))
        };
        let extend = if signed { Extend::Sign } else { Extend::Zero };
        self.push(Inst::Load { width: width(size), extend, dst: d, src: operand });
        self.push(Inst::Bind(resume));
        Ok(())
    }

    /// `*(size *)(dst + off) = src`.
    pub(super) fn store(&mut self, pc: usize, size: Size, dst: Reg, off: i16, src: Operand) -> Result<(), JitError> {
        let fast = dst == Reg::R10 && inside_frame(off, size.bytes() as i32);
        let resume = self.label();
        let operand = if fast {
            self.frame_address(off)
        } else {
            let completion = Completion::Store { value: src, resume };
            self.checked_address(pc, dst, off, size, ACCESS_STORE, Some(completion))
        };
        match src {
            Operand::Imm(imm) => self.push(Inst::StoreImm { width: width(size), dst: operand, imm }),
            Operand::Reg(src) => {
                // `rax` holds the frame pointer on the fast path; on the checked path it is free.
                let scratch = if fast { Gpr::Rcx } else { Gpr::Rax };
                let s = self.read(src, scratch);
                self.push(Inst::Store { width: width(size), dst: operand, src: s });
            }
        }
        self.push(Inst::Bind(resume));
        Ok(())
    }

    /// An atomic read-modify-write on `*(size *)(dst + off)`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn atomic(
        &mut self,
        pc: usize,
        size: Size,
        op: AtomicOp,
        fetch: bool,
        dst: Reg,
        off: i16,
        src: Reg,
    ) -> Result<(), JitError> {
        let op_size = match size {
            Size::W => OpSize::S32,
            Size::DW => OpSize::S64,
            _ => return Err(JitError::Internal("atomic of a size other than 4 or 8 bytes")),
        };
        let operand = self.checked_address(pc, dst, off, size, ACCESS_ATOMIC, None);
        // Free rax and rdx for the exchange loops: the address goes to rcx alone.
        self.push(Inst::Lea { dst: Gpr::Rcx, src: operand });
        let at = Mem::at(Gpr::Rcx, 0);
        let s = self.read(src, Gpr::Rdx);
        let alu_op = match op {
            AtomicOp::Add => AluOp::Add,
            AtomicOp::Or => AluOp::Or,
            AtomicOp::And => AluOp::And,
            AtomicOp::Xor => AluOp::Xor,
            AtomicOp::Xchg => {
                self.push(Inst::Xchg { size: op_size, dst: at, src: s });
                return Ok(());
            }
            AtomicOp::CmpXchg => {
                // cmpxchg compares with the accumulator and leaves the old value there.
                let r0 = self.write(Reg::R0)?;
                self.push(Inst::MovRR { size: op_size, dst: Gpr::Rax, src: r0 });
                self.push(Inst::LockCmpxchg { size: op_size, dst: at, src: s });
                self.push(Inst::MovRR { size: OpSize::S64, dst: r0, src: Gpr::Rax });
                return Ok(());
            }
        };
        match (fetch, alu_op) {
            (false, _) => self.push(Inst::LockAlu { op: alu_op, size: op_size, dst: at, src: s }),
            (true, AluOp::Add) => self.push(Inst::LockXadd { size: op_size, dst: at, src: s }),
            (true, _) => {
                // No x86 instruction fetches the old value of an or/and/xor: retry a
                // compare-exchange until no other writer intervened.
                let retry = self.label();
                self.push(Inst::Load { width: width(size), extend: Extend::Zero, dst: Gpr::Rax, src: at });
                self.push(Inst::Bind(retry));
                self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rdx, src: Gpr::Rax });
                self.push(Inst::AluRR { op: alu_op, size: op_size, dst: Gpr::Rdx, src: s });
                self.push(Inst::LockCmpxchg { size: op_size, dst: at, src: Gpr::Rdx });
                self.push(Inst::Jcc(CondCode::Ne, retry));
                self.push(Inst::MovRR { size: OpSize::S64, dst: s, src: Gpr::Rax });
            }
        }
        Ok(())
    }
}
