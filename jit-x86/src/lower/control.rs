//! Lowering of calls, exits, `callx`, `gotox` and legacy packet loads, and the shared
//! routines they use (frame entry and exit, calls into Rust, the program's exits).
//!
//! A bpf-to-bpf call is a host `call`: it pushes `r6`–`r9` and calls `enter_frame`, then
//! the callee; the callee's `exit` jumps to `leave_frame`, whose `ret` returns to the call
//! site, which pops `r6`–`r9`. The host stack thus mirrors the interpreter's call stack,
//! and every exit of the program restores the stack pointer saved by the prologue.

use bpfprove_semantics::interp::{MAX_FRAMES, STACK_FRAME_BYTES};
use bpfprove_semantics::isa::{PacketAddr, Reg};
use bpfprove_semantics::program::CODE_BASE;

use super::{Lower, RuntimeArg, Stub, load64, store64};
use crate::abi::{
    self, BUDGET, CALLEE_SAVED, CALLER_SAVED, CTX, ENTRY_HOST, ENTRY_READ_LEN, ENTRY_SHIFT, ENTRY_WRITE_LEN,
    REGION_STRIDE, TrapCode, ctx_field, field,
};
use crate::error::JitError;
use crate::inst::{AluOp, CondCode, Gpr, Inst, Label, Mem, OpSize, ShiftCount, ShiftOp};

impl Lower<'_> {
    /// Calls Rust function `function(ctx, pc, value)`, and leaves the program if it says so.
    pub(super) fn call_runtime(&mut self, pc: usize, function: u64, arg: RuntimeArg) {
        match arg {
            RuntimeArg::Reg(reg) => {
                let value = self.read(reg, Gpr::Rcx);
                if value != Gpr::Rcx {
                    self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rcx, src: value });
                }
            }
            RuntimeArg::None => self.push(Inst::MovRI { dst: Gpr::Rcx, value: 0 }),
            RuntimeArg::Imm(value) => self.push(Inst::MovRI { dst: Gpr::Rcx, value }),
        }
        self.push(Inst::MovRI { dst: Gpr::Rdx, value: pc as u64 });
        self.push(Inst::MovRI { dst: Gpr::Rax, value: function });
        self.push(Inst::Call(self.routines.call_runtime));
        self.push(Inst::AluRR { op: AluOp::Test, size: OpSize::S32, dst: Gpr::Rax, src: Gpr::Rax });
        self.push(Inst::Jcc(CondCode::Ne, self.routines.runtime_status));
    }

    /// A legacy packet load: the runtime reads the packet and sets `r0`.
    pub(super) fn load_packet(&mut self, pc: usize, addr: PacketAddr) {
        let index = match addr {
            PacketAddr::Abs => RuntimeArg::None,
            PacketAddr::Ind(reg) => RuntimeArg::Reg(reg),
        };
        // The runtime checks, as the interpreter does, that r6 holds the context.
        let r6 = self.read(Reg::R6, Gpr::Rcx);
        self.push(store64(field::reg(6), r6));
        self.call_runtime(pc, self.runtime.packet_load, index)
    }

    /// Traps unless one more frame fits.
    fn check_depth(&mut self, pc: usize) {
        let stub = self.stub(|label| Stub::CallDepth { label, pc });
        let deepest = (MAX_FRAMES - 1) as i32;
        self.push(Inst::AluMI { op: AluOp::Cmp, size: OpSize::S64, dst: ctx_field(field::DEPTH), imm: deepest });
        self.push(Inst::Jcc(CondCode::Ae, stub));
    }

    /// Saves `r6`–`r9`, enters a frame, makes `call`, and restores `r6`–`r9` on return.
    fn enter_and_call(&mut self, call: Inst) {
        for gpr in CALLEE_SAVED {
            self.push(Inst::Push(gpr));
        }
        self.push(Inst::Call(self.routines.enter_frame));
        self.push(call);
        for gpr in CALLEE_SAVED.into_iter().rev() {
            self.push(Inst::Pop(gpr));
        }
    }

    /// A bpf-to-bpf call of the function at `target`.
    pub(super) fn call_local(&mut self, pc: usize, target: Label) -> Result<(), JitError> {
        self.check_depth(pc);
        self.enter_and_call(Inst::Call(target));
        Ok(())
    }

    /// Turns the code address in `reg` into a slot index in `rax`, jumping to `bad` unless
    /// it is an 8-byte aligned address at or above [`CODE_BASE`]. The slot is not yet
    /// bounded above.
    fn code_slot(&mut self, reg: Reg, bad: Label) {
        let value = self.read(reg, Gpr::Rax);
        if value != Gpr::Rax {
            self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rax, src: value });
        }
        self.push(Inst::MovRI { dst: Gpr::Rcx, value: CODE_BASE });
        self.push(Inst::AluRR { op: AluOp::Sub, size: OpSize::S64, dst: Gpr::Rax, src: Gpr::Rcx });
        self.push(Inst::Jcc(CondCode::B, bad));
        self.push(Inst::AluRI { op: AluOp::Test, size: OpSize::S32, dst: Gpr::Rax, imm: 7 });
        self.push(Inst::Jcc(CondCode::Ne, bad));
        self.push(Inst::Shift { op: ShiftOp::Shr, size: OpSize::S64, dst: Gpr::Rax, count: ShiftCount::Imm(3) });
    }

    /// `callx reg` in the address model: a function entry's host address comes from the
    /// per-slot call-target table; anything else traps.
    pub(super) fn callx_address(&mut self, pc: usize, reg: Reg) -> Result<(), JitError> {
        let bad = self.stub(|label| Stub::BadTarget { label, pc, reg, code: TrapCode::BadCallx });
        self.code_slot(reg, bad);
        let slots = i32::try_from(self.program.slots()).map_err(|_| JitError::Internal("slot count over i32"))?;
        self.push(Inst::AluRI { op: AluOp::Cmp, size: OpSize::S64, dst: Gpr::Rax, imm: slots });
        self.push(Inst::Jcc(CondCode::Ae, bad));
        self.push(load64(Gpr::Rcx, field::CALL_TARGETS));
        self.push(Inst::Load {
            width: crate::inst::MemWidth::D,
            extend: crate::inst::Extend::Zero,
            dst: Gpr::Rax,
            src: Mem::indexed(Gpr::Rcx, Gpr::Rax, 8, 0),
        });
        self.push(Inst::AluRR { op: AluOp::Test, size: OpSize::S64, dst: Gpr::Rax, src: Gpr::Rax });
        self.push(Inst::Jcc(CondCode::E, bad));
        self.check_depth(pc);
        // enter_frame clobbers the scratch registers, so the target waits in the context.
        self.push(store64(field::CALLX_TARGET, Gpr::Rax));
        self.enter_and_call(Inst::CallMem(ctx_field(field::CALLX_TARGET)));
        Ok(())
    }

    /// `gotox reg`: the target must be a jump-table target inside the current function.
    pub(super) fn gotox(&mut self, pc: usize, reg: Reg) -> Result<(), JitError> {
        let bad = self.stub(|label| Stub::BadTarget { label, pc, reg, code: TrapCode::BadGotox });
        let function = self
            .program
            .function_containing(pc)
            .map(|id| self.program.function(id).clone())
            .ok_or(JitError::Internal("gotox outside every function"))?;
        self.code_slot(reg, bad);
        let entry = i32::try_from(function.entry).map_err(|_| JitError::Internal("slot over i32"))?;
        let len = i32::try_from(function.end - function.entry).map_err(|_| JitError::Internal("slot over i32"))?;
        // One unsigned comparison bounds the slot to [entry, end).
        self.push(Inst::AluRI { op: AluOp::Sub, size: OpSize::S64, dst: Gpr::Rax, imm: entry });
        self.push(Inst::AluRI { op: AluOp::Cmp, size: OpSize::S64, dst: Gpr::Rax, imm: len });
        self.push(Inst::Jcc(CondCode::Ae, bad));
        self.push(load64(Gpr::Rcx, field::GOTOX_TARGETS));
        self.push(Inst::Load {
            width: crate::inst::MemWidth::D,
            extend: crate::inst::Extend::Zero,
            dst: Gpr::Rax,
            src: Mem::indexed(Gpr::Rcx, Gpr::Rax, 8, entry.checked_mul(8).ok_or(JitError::Internal("slot over i32"))?),
        });
        self.push(Inst::AluRR { op: AluOp::Test, size: OpSize::S64, dst: Gpr::Rax, src: Gpr::Rax });
        self.push(Inst::Jcc(CondCode::E, bad));
        self.push(Inst::JmpReg(Gpr::Rax));
        Ok(())
    }

    /// `exit`: return to the caller's frame, or end the run in its base frame (the
    /// outermost, or a callback's).
    pub(super) fn exit(&mut self) {
        self.push(load64(Gpr::Rax, field::DEPTH));
        self.push(Inst::AluRM { op: AluOp::Cmp, size: OpSize::S64, dst: Gpr::Rax, src: ctx_field(field::BASE_DEPTH) });
        self.push(Inst::Jcc(CondCode::Ne, self.routines.leave_frame));
        self.push(Inst::Jmp(self.routines.normal_exit));
    }

    /// Turns frame number `register` into the address of its region-table entry.
    fn frame_entry(&mut self, register: Gpr) {
        // Frame f is region f, whose entry is f + 1.
        self.push(Inst::Shift {
            op: ShiftOp::Shl,
            size: OpSize::S64,
            dst: register,
            count: ShiftCount::Imm(ENTRY_SHIFT),
        });
        self.push(Inst::AluRM { op: AluOp::Add, size: OpSize::S64, dst: register, src: ctx_field(field::TABLE) });
        self.push(Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: register, imm: 1 << ENTRY_SHIFT });
    }

    /// Sets the host frame pointer from the table entry `entry` points to.
    fn set_host_fp(&mut self, entry: Gpr) {
        self.push(Inst::Load {
            width: crate::inst::MemWidth::D,
            extend: crate::inst::Extend::Zero,
            dst: Gpr::Rcx,
            src: Mem::at(entry, ENTRY_HOST),
        });
        self.push(Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: Gpr::Rcx, imm: STACK_FRAME_BYTES as i32 });
        self.push(store64(field::HOST_FP, Gpr::Rcx));
    }

    /// Marks the frame whose entry `entry` points to live (`len` = frame size) or dead (0).
    fn set_frame_access(&mut self, entry: Gpr, len: i32) {
        for offset in [ENTRY_READ_LEN, ENTRY_WRITE_LEN] {
            self.push(Inst::StoreImm { width: crate::inst::MemWidth::D, dst: Mem::at(entry, offset), imm: len });
        }
    }

    /// Emits the shared routines.
    pub(super) fn routines(&mut self) {
        let routines = self.routines;
        let frame = STACK_FRAME_BYTES as i32;

        // callback_entry: a second entry point, for a function a helper calls; the runtime
        // has set up the context (frame, registers, budget) and the target's host address.
        self.push(Inst::Bind(routines.callback_entry));
        self.prologue();
        self.push(load64(Gpr::Rax, field::CALLX_TARGET));
        self.push(Inst::JmpReg(Gpr::Rax));

        // enter_frame: depth += 1, the new frame becomes accessible, r10 moves to it.
        self.push(Inst::Bind(routines.enter_frame));
        self.push(load64(Gpr::Rax, field::DEPTH));
        self.push(Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: Gpr::Rax, imm: 1 });
        self.push(store64(field::DEPTH, Gpr::Rax));
        self.frame_entry(Gpr::Rax);
        self.set_frame_access(Gpr::Rax, frame);
        self.set_host_fp(Gpr::Rax);
        self.push(Inst::MovRI { dst: Gpr::Rcx, value: REGION_STRIDE });
        self.push(Inst::AluMR { op: AluOp::Add, size: OpSize::S64, dst: ctx_field(field::GUEST_FP), src: Gpr::Rcx });
        self.push(Inst::Ret);

        // leave_frame: the frame becomes inaccessible, depth -= 1, r10 moves back; the
        // `ret` returns to the call site.
        self.push(Inst::Bind(routines.leave_frame));
        self.push(load64(Gpr::Rax, field::DEPTH));
        self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rdx, src: Gpr::Rax });
        self.frame_entry(Gpr::Rdx);
        self.set_frame_access(Gpr::Rdx, 0);
        self.push(Inst::AluRI { op: AluOp::Sub, size: OpSize::S64, dst: Gpr::Rax, imm: 1 });
        self.push(store64(field::DEPTH, Gpr::Rax));
        self.frame_entry(Gpr::Rax);
        self.set_host_fp(Gpr::Rax);
        self.push(Inst::MovRI { dst: Gpr::Rcx, value: REGION_STRIDE });
        self.push(Inst::AluMR { op: AluOp::Sub, size: OpSize::S64, dst: ctx_field(field::GUEST_FP), src: Gpr::Rcx });
        self.push(Inst::Ret);

        // call_runtime: rax = function, rdx = pc, rcx = value. r0–r5 go through the
        // context, so the Rust side reads and sets them; the stack is realigned for the
        // C ABI around the call.
        self.push(Inst::Bind(routines.call_runtime));
        for (index, gpr) in CALLER_SAVED.into_iter().enumerate() {
            self.push(store64(field::reg(index), gpr));
        }
        self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rdi, src: CTX });
        self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rsi, src: Gpr::Rdx });
        self.push(Inst::MovRR { size: OpSize::S64, dst: Gpr::Rdx, src: Gpr::Rcx });
        self.push(store64(field::SCRATCH_RSP, Gpr::Rsp));
        // Callbacks run by helpers spend the same budget.
        self.push(store64(field::BUDGET, BUDGET));
        self.push(Inst::AluRI { op: AluOp::And, size: OpSize::S64, dst: Gpr::Rsp, imm: -16 });
        self.push(Inst::CallReg(Gpr::Rax));
        self.push(load64(Gpr::Rsp, field::SCRATCH_RSP));
        self.push(load64(BUDGET, field::BUDGET));
        for (index, gpr) in CALLER_SAVED.into_iter().enumerate() {
            self.push(load64(gpr, field::reg(index)));
        }
        self.push(Inst::Ret);

        // runtime_status: a call into Rust asked to stop (eax = EXIT or TRAP) or to return
        // from the current function (RETURN), which is an `exit` at the calling pc: the
        // host stack is the body's, as at any instruction boundary.
        self.push(Inst::Bind(routines.runtime_status));
        self.push(Inst::AluRI { op: AluOp::Cmp, size: OpSize::S32, dst: Gpr::Rax, imm: abi::status::EXIT as i32 });
        self.push(Inst::Jcc(CondCode::E, routines.normal_exit));
        self.push(Inst::AluRI { op: AluOp::Cmp, size: OpSize::S32, dst: Gpr::Rax, imm: abi::status::TRAP as i32 });
        self.push(Inst::Jcc(CondCode::E, routines.trap_exit));
        self.exit();

        // normal_exit: r0–r9 and the budget go back to the context; status 0.
        self.push(Inst::Bind(routines.normal_exit));
        for (index, &gpr) in abi::HOST.iter().enumerate() {
            self.push(store64(field::reg(index), gpr));
        }
        self.push(Inst::MovRI { dst: Gpr::Rax, value: 0 });
        self.push(Inst::Jmp(routines.epilogue));

        // trap_exit: the trap is in the context; status 1.
        self.push(Inst::Bind(routines.trap_exit));
        self.push(Inst::MovRI { dst: Gpr::Rax, value: 1 });

        // epilogue: unwinds any bpf-to-bpf frames by restoring the prologue's stack pointer.
        self.push(Inst::Bind(routines.epilogue));
        self.push(store64(field::BUDGET, BUDGET));
        self.push(load64(Gpr::Rsp, field::SAVED_RSP));
        self.push(Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: Gpr::Rsp, imm: 8 });
        for gpr in [Gpr::R15, Gpr::R14, Gpr::R13, Gpr::R12, Gpr::Rbp, Gpr::Rbx] {
            self.push(Inst::Pop(gpr));
        }
        self.push(Inst::Ret);
    }
}
