//! The execution loop: a [`Machine`] is a program pre-indexed by slot into compact
//! operations, run against a [`Memory`].
//!
//! Preparation resolves everything that does not depend on run-time values (jump targets,
//! sign-extended immediates, `lddw` constants, instructions that would write `r10`), so
//! the loop dispatches once on the operation (ALU and jumps, split by width and operand
//! form, dispatch a second time on the operator) and calls [`crate::alu`] for every value
//! it computes. Registers live in a 16-entry array indexed by a masked 4-bit number, which
//! keeps bounds checks out of the loop without `unsafe`.

use std::time::Instant;

use super::arena_step;
use super::context;
use super::helpers::{CLOBBERED, CodeRunner, HelperError, HelperResult, Helpers};
use super::memory::{MAX_FRAMES, MapBinding, Memory, region_base};
use super::trap::{Trap, TrapKind};
use super::{CallxModel, DEADLINE_STRIDE, Outcome, RunConfig, UninitialisedStack};
use crate::alu;
use crate::isa::{
    AtomicOp, BinOp, ByteOrder, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, RegSet, Size, Width,
};
use crate::program::{JumpTableId, Program, code_address, pc_of_code_address};

/// A trap decided when the program is prepared, raised only if the slot executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StaticTrap {
    WriteToFramePointer,
    FellOffEnd,
    InsideLddw,
    UnsupportedLddw(LddwKind),
}

impl StaticTrap {
    fn kind(self) -> TrapKind {
        match self {
            StaticTrap::WriteToFramePointer => TrapKind::WriteToFramePointer,
            StaticTrap::FellOffEnd => TrapKind::FellOffEnd,
            StaticTrap::InsideLddw => TrapKind::InsideLddw,
            StaticTrap::UnsupportedLddw(kind) => TrapKind::UnsupportedLddw { kind },
        }
    }
}

/// One prepared slot. Register numbers are `0..=10`; targets are slots. `Const`,
/// `TableAddress`, `MapHandle` and `MapValue` come from an `lddw` and so advance the pc by
/// two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Alu64Imm {
        op: BinOp,
        dst: u8,
        imm: u64,
    },
    Alu64Reg {
        op: BinOp,
        dst: u8,
        src: u8,
    },
    Alu32Imm {
        op: BinOp,
        dst: u8,
        imm: u64,
    },
    Alu32Reg {
        op: BinOp,
        dst: u8,
        src: u8,
    },
    Neg {
        width: Width,
        dst: u8,
    },
    MovSx {
        width: Width,
        dst: u8,
        src: u8,
        from: Size,
    },
    Endian {
        order: ByteOrder,
        dst: u8,
        bits: u8,
    },
    Const {
        dst: u8,
        value: u64,
    },
    TableAddress {
        dst: u8,
        table: u32,
    },
    MapHandle {
        dst: u8,
        map: u32,
    },
    MapValue {
        dst: u8,
        map: u32,
        offset: u32,
    },
    Load {
        size: Size,
        signed: bool,
        dst: u8,
        src: u8,
        off: i16,
    },
    StoreImm {
        size: Size,
        dst: u8,
        off: i16,
        imm: u64,
    },
    StoreReg {
        size: Size,
        dst: u8,
        off: i16,
        src: u8,
    },
    Atomic {
        size: Size,
        op: AtomicOp,
        fetch: bool,
        dst: u8,
        src: u8,
        off: i16,
    },
    LoadPacket {
        size: Size,
        index: Option<u8>,
        imm: i32,
    },
    Goto {
        target: u32,
    },
    MayGoto {
        target: u32,
    },
    Jump64Imm {
        cond: Cond,
        dst: u8,
        target: u32,
        imm: u64,
    },
    Jump64Reg {
        cond: Cond,
        dst: u8,
        src: u8,
        target: u32,
    },
    Jump32Imm {
        cond: Cond,
        dst: u8,
        target: u32,
        imm: u64,
    },
    Jump32Reg {
        cond: Cond,
        dst: u8,
        src: u8,
        target: u32,
    },
    CallHelper {
        id: i32,
    },
    CallKfunc {
        btf_id: i32,
        btf_obj: i16,
    },
    CallLocal {
        target: u32,
    },
    Callx {
        reg: u8,
    },
    Gotox {
        reg: u8,
    },
    Exit,
    /// An instruction of a program that casts to arena pointers: its meaning depends on
    /// which registers hold one (`Machine::arena_insns[index]`, run by `arena_step`).
    Arena {
        index: u32,
    },
    Trap(StaticTrap),
}

// The loop copies operations around; keep them to two machine words.
const _: () = assert!(std::mem::size_of::<Op>() <= 16);

/// What the loop needs to know about a slot besides its operation.
#[derive(Clone, Copy, Debug, Default)]
struct SlotInfo {
    /// Index of the function containing the slot.
    function: u32,
    /// A function starts here (a valid `callx` target).
    is_entry: bool,
    /// Some jump-table entry names this slot.
    is_table_target: bool,
}

/// Which registers a slot reads, defines and leaves undefined, as bit masks over register
/// numbers. Calls that enter a frame (local calls, `callx`) carry none: their arm moves the
/// masks between frames itself.
#[derive(Clone, Copy, Debug, Default)]
struct SlotEffects {
    reads: u16,
    writes: u16,
    clobbers: u16,
}

impl SlotEffects {
    fn of(insn: &Insn) -> SlotEffects {
        if matches!(insn, Insn::Call(CallTarget::Local(_)) | Insn::Callx { .. }) {
            let reads = insn.register_effects().reads.bits();
            return SlotEffects { reads, writes: 0, clobbers: 0 };
        }
        let effects = insn.register_effects();
        SlotEffects { reads: effects.reads.bits(), writes: effects.writes.bits(), clobbers: effects.clobbers.bits() }
    }
}

const R0: u16 = RegSet::of(Reg::R0).bits();
const R10: u16 = RegSet::of(Reg::R10).bits();
const CALLER_SAVED: u16 = RegSet::CALLER_SAVED.bits();
const CALLEE_SAVED: u16 = 0b11_1100_0000;

/// The registers saved by a bpf-to-bpf call.
#[derive(Clone, Copy, Debug, Default)]
struct SavedFrame {
    return_pc: usize,
    callee_saved: [u64; 4],
    /// The caller's initialised registers once the call returns.
    initialised: u16,
    /// The caller's arena-pointer registers among `r6`–`r9`.
    arena_pointers: u16,
}

/// A program prepared for repeated runs under one [`RunConfig`].
#[derive(Clone, Debug)]
pub struct Machine {
    /// One operation per slot, plus a final "fell off the end" sentinel.
    code: Vec<Op>,
    slots: Vec<SlotInfo>,
    /// Register effects per slot, plus the sentinel's.
    effects: Vec<SlotEffects>,
    /// Contents of each jump table's region.
    tables: Vec<Vec<u8>>,
    /// The instructions of `Op::Arena` slots.
    arena_insns: Vec<Insn>,
    config: RunConfig,
}

/// The register number of `reg` as the loop stores it.
fn num(reg: Reg) -> u8 {
    reg.number()
}

impl Machine {
    /// Prepares `program` for runs under `config`.
    pub fn new(program: &Program, config: RunConfig) -> Machine {
        let slot_count = program.slots();
        let mut code = vec![Op::Trap(StaticTrap::InsideLddw); slot_count + 1];
        code[slot_count] = Op::Trap(StaticTrap::FellOffEnd);
        let mut effects = vec![SlotEffects::default(); slot_count + 1];
        // Only a cast makes an arena pointer, so a program without one runs no `Op::Arena`.
        let casts = program.insns().iter().any(|d| matches!(d.insn, Insn::AddrSpaceCast { .. }));
        let mut arena_insns = Vec::new();
        for decoded in program.insns() {
            code[decoded.pc] = prepare(program, decoded.pc, &decoded.insn);
            if casts
                && arena_step::depends_on_arena_pointers(&decoded.insn)
                && code[decoded.pc] != Op::Trap(StaticTrap::WriteToFramePointer)
            {
                code[decoded.pc] = Op::Arena { index: arena_insns.len() as u32 };
                arena_insns.push(decoded.insn);
            }
            effects[decoded.pc] = SlotEffects::of(&decoded.insn);
            // `Op::Exit` reads r0 itself when a static subprogram's exit ends the run (a
            // callback's).
            effects[decoded.pc].reads &= program.reads_everywhere(decoded.pc, &decoded.insn).bits();
        }
        let mut slots = vec![SlotInfo::default(); slot_count];
        for (index, function) in program.functions().iter().enumerate() {
            for info in &mut slots[function.entry..function.end] {
                info.function = index as u32;
            }
            slots[function.entry].is_entry = true;
        }
        let mut tables = Vec::with_capacity(program.jump_tables().len());
        for table in program.jump_tables() {
            let mut bytes = Vec::with_capacity(8 * table.targets.len());
            for &target in &table.targets {
                slots[target].is_table_target = true;
                bytes.extend_from_slice(&code_address(target).to_le_bytes());
            }
            tables.push(bytes);
        }
        Machine { code, slots, effects, tables, arena_insns, config }
    }

    /// The initial contents of the program's jump-table regions.
    pub fn jump_table_images(&self) -> &[Vec<u8>] {
        &self.tables
    }

    /// The configuration runs use.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// A fresh memory for this machine: stack frames and jump tables, ready for the caller
    /// to add its context, packet and other regions.
    pub fn new_memory(&self) -> Result<Memory, Trap> {
        let mut memory = Memory::new();
        memory.install_jump_tables(&self.tables).map_err(|error| Trap { pc: 0, kind: error.into() })?;
        Ok(memory)
    }

    /// Runs the program from slot 0 with `r1`, `r2`, ... set to `args` (at most five)
    /// against `memory`. Registers other than these and `r10` start undefined: reading one
    /// before writing it traps, as the kernel's verifier rejects such programs.
    ///
    /// `memory` keeps its contents afterwards (stacks included), so a caller can inspect
    /// every region. Jump-table regions are installed on first use; a memory serves the
    /// runs of one machine.
    pub fn run(&self, memory: &mut Memory, args: &[u64], helpers: &mut dyn Helpers) -> Result<Outcome, Trap> {
        if args.len() > 5 {
            return Err(Trap { pc: 0, kind: TrapKind::TooManyArguments { count: args.len() } });
        }
        memory.install_jump_tables(&self.tables).map_err(|error| Trap { pc: 0, kind: error.into() })?;
        memory.track_stack_writes(self.config.uninitialised_stack == UninitialisedStack::Trap);
        memory.activate_frames(0);
        memory.set_may_goto_budget(self.config.may_goto_budget);
        let budget = self.config.instruction_budget;
        let outcome = self.execute(memory, helpers, Entry { pc: 0, depth: 0, args, remaining: budget })?;
        if helpers.spin_lock_held() {
            return Err(Trap { pc: self.slots.len(), kind: TrapKind::SpinLockHeldAtExit });
        }
        Ok(outcome)
    }

    /// Runs from `entry.pc` in frame `entry.depth` (whose stack the caller made live) until
    /// that frame returns, with at most `entry.remaining` instructions.
    fn execute(&self, memory: &mut Memory, helpers: &mut dyn Helpers, entry: Entry<'_>) -> Result<Outcome, Trap> {
        let Entry { pc: entry_pc, depth, args, remaining: allowed } = entry;
        let mut regs = [0u64; 16];
        regs[1..1 + args.len()].copy_from_slice(args);
        regs[10] = Memory::frame_pointer(depth);
        // Bit n is set once rn holds a defined value.
        let mut initialised: u16 = R10 | RegSet::arguments(args.len()).bits();
        // Bit n is set while rn holds an arena pointer (the verifier's `PTR_TO_ARENA`).
        let mut arena_pointers: u16 = 0;
        let mut calls = CallStack { frames: [SavedFrame::default(); MAX_FRAMES], depth, base: depth };
        let budget = self.config.instruction_budget;
        // Counting down keeps the budget check to one decrement and one test.
        let mut remaining = allowed;
        let mut pc: usize = entry_pc;
        let trap = |pc: usize, kind: TrapKind| Err(Trap { pc, kind });
        let deadline = self.config.deadline;
        loop {
            if remaining == 0
                || (remaining.is_multiple_of(DEADLINE_STRIDE)
                    && deadline.is_some_and(|deadline| Instant::now() > deadline))
            {
                return trap(pc, TrapKind::BudgetExhausted { budget });
            }
            remaining -= 1;
            let op = self.code.get(pc).unwrap_or(&Op::Trap(StaticTrap::FellOffEnd));
            let effects = self.effects.get(pc).copied().unwrap_or_default();
            let undefined = effects.reads & !initialised;
            if undefined != 0 {
                let reg = Reg::new(undefined.trailing_zeros() as u8).expect("masks hold register numbers 0..=10");
                return trap(pc, TrapKind::UninitialisedRegister { reg });
            }
            initialised = (initialised | effects.writes) & !effects.clobbers;
            let arena_pointers_before = arena_pointers;
            arena_pointers &= !(effects.writes | effects.clobbers);
            match *op {
                Op::Alu64Imm { op, dst, imm } => {
                    let dst = &mut regs[r(dst)];
                    *dst = binary64(op, *dst, imm);
                    pc += 1;
                }
                Op::Alu64Reg { op, dst, src } => {
                    let value = regs[r(src)];
                    let dst = &mut regs[r(dst)];
                    *dst = binary64(op, *dst, value);
                    pc += 1;
                }
                Op::Alu32Imm { op, dst, imm } => {
                    let dst = &mut regs[r(dst)];
                    *dst = binary32(op, *dst, imm);
                    pc += 1;
                }
                Op::Alu32Reg { op, dst, src } => {
                    let value = regs[r(src)];
                    let dst = &mut regs[r(dst)];
                    *dst = binary32(op, *dst, value);
                    pc += 1;
                }
                Op::Jump64Imm { cond, dst, target, imm } => {
                    pc = if condition64(cond, regs[r(dst)], imm) { target as usize } else { pc + 1 };
                }
                Op::Jump64Reg { cond, dst, src, target } => {
                    pc = if condition64(cond, regs[r(dst)], regs[r(src)]) { target as usize } else { pc + 1 };
                }
                Op::Jump32Imm { cond, dst, target, imm } => {
                    pc = if condition32(cond, regs[r(dst)], imm) { target as usize } else { pc + 1 };
                }
                Op::Jump32Reg { cond, dst, src, target } => {
                    pc = if condition32(cond, regs[r(dst)], regs[r(src)]) { target as usize } else { pc + 1 };
                }
                Op::Goto { target } => pc = target as usize,
                Op::MayGoto { target } => {
                    pc = if memory.may_goto_falls_through(calls.depth) { pc + 1 } else { target as usize }
                }
                Op::Load { size, signed, dst, src, off } => {
                    match load(memory, regs[r(src)], off, size, signed) {
                        Ok(value) => regs[r(dst)] = value,
                        Err(kind) => return trap(pc, kind),
                    }
                    pc += 1;
                }
                Op::StoreImm { size, dst, off, imm } => {
                    if let Err(kind) = store(memory, regs[r(dst)], off, size, imm) {
                        return trap(pc, kind);
                    }
                    pc += 1;
                }
                Op::StoreReg { size, dst, off, src } => {
                    if let Err(kind) = store(memory, regs[r(dst)], off, size, regs[r(src)]) {
                        return trap(pc, kind);
                    }
                    pc += 1;
                }
                Op::Neg { width, dst } => {
                    let dst = &mut regs[r(dst)];
                    *dst = alu::negate(width, dst);
                    pc += 1;
                }
                Op::MovSx { width, dst, src, from } => {
                    regs[r(dst)] = alu::move_sign_extend(width, &regs[r(src)], from);
                    pc += 1;
                }
                Op::Endian { order, dst, bits } => {
                    let dst = &mut regs[r(dst)];
                    *dst = alu::byte_order(order, u32::from(bits), dst);
                    pc += 1;
                }
                Op::Const { dst, value } => {
                    regs[r(dst)] = value;
                    pc += 2;
                }
                Op::TableAddress { dst, table } => {
                    let region =
                        memory.jump_table(JumpTableId(table)).expect("run() installs a region for every jump table");
                    regs[r(dst)] = region_base(region);
                    pc += 2;
                }
                Op::MapHandle { dst, map } => match memory.map_binding(map) {
                    Some(binding) => {
                        regs[r(dst)] = binding.handle;
                        pc += 2;
                    }
                    None => return trap(pc, TrapKind::UnsupportedLddw { kind: LddwKind::MapIdx }),
                },
                Op::MapValue { dst, map, offset } => match memory.map_binding(map) {
                    Some(MapBinding { value: Some(region), .. }) => {
                        regs[r(dst)] = region_base(region).wrapping_add(u64::from(offset));
                        pc += 2;
                    }
                    // The arena's "value" is its user range (its globals' user addresses).
                    Some(MapBinding { handle, value: None })
                        if memory.arena().is_some_and(|arena| arena.handle() == handle) =>
                    {
                        let start = memory.arena().map_or(0, |arena| arena.user_vm_start());
                        regs[r(dst)] = start + u64::from(offset);
                        pc += 2;
                    }
                    _ => return trap(pc, TrapKind::UnsupportedLddw { kind: LddwKind::MapIdxValue }),
                },
                Op::Atomic { size, op, fetch, dst, src, off } => {
                    if let Err(kind) = atomic(memory, &mut regs, size, op, fetch, dst, src, off) {
                        return trap(pc, kind);
                    }
                    pc += 1;
                }
                Op::LoadPacket { size, index, imm } => {
                    match load_packet(memory, &regs, size, index, imm) {
                        Ok(Some(value)) => regs[0] = value,
                        // Linux ends the current function with r0 = 0 when a legacy load
                        // misses: a subprogram returns 0 to its caller, the entry function
                        // ends the program.
                        Ok(None) => {
                            regs[0] = 0;
                            match calls.pop(memory, &mut regs, &mut initialised, &mut arena_pointers) {
                                Some(return_pc) => {
                                    pc = return_pc;
                                    continue;
                                }
                                None => return Ok(outcome(&regs, allowed - remaining)),
                            }
                        }
                        Err(kind) => return trap(pc, kind),
                    }
                    regs[1..6].fill(CLOBBERED);
                    pc += 1;
                }
                Op::CallHelper { id } => {
                    let mut code = Callbacks { machine: self, depth: calls.depth + 1, remaining: &mut remaining };
                    match call_helper(helpers, memory, &mut regs, id, &mut code) {
                        Ok(HelperResult::Return(_)) => pc += 1,
                        Ok(HelperResult::Exit(_)) => return Ok(outcome(&regs, allowed - remaining)),
                        Err(kind) => return trap(pc, kind),
                    }
                }
                Op::CallKfunc { btf_id, btf_obj } => {
                    let mut code = Callbacks { machine: self, depth: calls.depth + 1, remaining: &mut remaining };
                    if let Err(kind) = call_kfunc(helpers, memory, &mut regs, btf_id, btf_obj, &mut code) {
                        return trap(pc, kind);
                    }
                    pc += 1;
                }
                Op::CallLocal { target } => {
                    match calls.push(memory, &mut regs, pc + 1, &mut initialised, &mut arena_pointers) {
                        Ok(()) => pc = target as usize,
                        Err(kind) => return trap(pc, kind),
                    }
                }
                Op::Callx { reg } => {
                    let value = regs[r(reg)];
                    match self.config.callx_model {
                        CallxModel::Address => match pc_of_code_address(value, self.slots.len()) {
                            Some(target) if self.slots[target].is_entry => {
                                match calls.push(memory, &mut regs, pc + 1, &mut initialised, &mut arena_pointers) {
                                    Ok(()) => pc = target,
                                    Err(kind) => return trap(pc, kind),
                                }
                            }
                            _ => return trap(pc, TrapKind::BadCallxTarget { value, model: CallxModel::Address }),
                        },
                        CallxModel::HelperId => {
                            let Ok(id) = i32::try_from(value) else {
                                return trap(pc, TrapKind::BadCallxTarget { value, model: CallxModel::HelperId });
                            };
                            let mut code =
                                Callbacks { machine: self, depth: calls.depth + 1, remaining: &mut remaining };
                            match call_helper(helpers, memory, &mut regs, id, &mut code) {
                                Ok(HelperResult::Return(_)) => {
                                    initialised = (initialised | R0) & !CALLER_SAVED;
                                    arena_pointers &= !CALLER_SAVED;
                                    pc += 1;
                                }
                                Ok(HelperResult::Exit(_)) => return Ok(outcome(&regs, allowed - remaining)),
                                Err(kind) => return trap(pc, kind),
                            }
                        }
                    }
                }
                Op::Gotox { reg } => {
                    let value = regs[r(reg)];
                    let here = self.slots.get(pc).map(|info| info.function);
                    match pc_of_code_address(value, self.slots.len()) {
                        Some(target)
                            if self.slots[target].is_table_target && Some(self.slots[target].function) == here =>
                        {
                            pc = target;
                        }
                        _ => return trap(pc, TrapKind::BadGotoxTarget { value }),
                    }
                }
                Op::Exit => {
                    let r0_defined = initialised & R0;
                    match calls.pop(memory, &mut regs, &mut initialised, &mut arena_pointers) {
                        Some(return_pc) => {
                            // A static subprogram returns r0 as it is, defined or not.
                            initialised = (initialised & !R0) | r0_defined;
                            pc = return_pc;
                        }
                        None if r0_defined == 0 => return trap(pc, TrapKind::UninitialisedRegister { reg: Reg::R0 }),
                        None => return Ok(outcome(&regs, allowed - remaining)),
                    }
                }
                Op::Arena { index } => {
                    let insn = &self.arena_insns[index as usize];
                    let registers = arena_step::Registers {
                        values: &mut regs,
                        arena_before: arena_pointers_before,
                        arena: &mut arena_pointers,
                    };
                    if let Err(kind) = arena_step::step(insn, registers, memory) {
                        return trap(pc, kind);
                    }
                    pc += 1;
                }
                Op::Trap(kind) => return trap(pc, kind.kind()),
            }
        }
    }
}

/// Where and how [`Machine::execute`] starts.
struct Entry<'a> {
    pc: usize,
    depth: usize,
    args: &'a [u64],
    /// Instructions it may execute.
    remaining: u64,
}

/// The [`CodeRunner`] a helper called from frame `depth - 1` gets: it runs callbacks in
/// frame `depth`, out of the calling run's remaining budget.
struct Callbacks<'a> {
    machine: &'a Machine,
    depth: usize,
    remaining: &'a mut u64,
}

impl CodeRunner for Callbacks<'_> {
    fn is_function(&self, address: u64) -> bool {
        pc_of_code_address(address, self.machine.slots.len()).is_some_and(|pc| self.machine.slots[pc].is_entry)
    }

    fn call_function(
        &mut self,
        helpers: &mut dyn Helpers,
        memory: &mut Memory,
        function: u64,
        args: &[u64],
    ) -> Result<u64, HelperError> {
        let slots = &self.machine.slots;
        let Some(pc) = pc_of_code_address(function, slots.len()).filter(|&pc| slots[pc].is_entry) else {
            return Err(HelperError::InvalidArgument { register: 0, value: function, reason: "not a function entry" });
        };
        if args.len() > 5 {
            let kind = TrapKind::TooManyArguments { count: args.len() };
            return Err(HelperError::Callback(Box::new(Trap { pc, kind })));
        }
        if self.depth >= MAX_FRAMES {
            let kind = TrapKind::CallDepthExceeded { max_frames: MAX_FRAMES };
            return Err(HelperError::Callback(Box::new(Trap { pc, kind })));
        }
        memory.set_frame_live(self.depth, true);
        let entry = Entry { pc, depth: self.depth, args, remaining: *self.remaining };
        let result = self.machine.execute(memory, helpers, entry);
        memory.set_frame_live(self.depth, false);
        match result {
            Ok(outcome) => {
                *self.remaining -= outcome.instructions;
                Ok(outcome.r0)
            }
            Err(trap) => {
                // A trap ends the whole run, so the budget left no longer matters.
                *self.remaining = 0;
                Err(HelperError::Callback(Box::new(trap)))
            }
        }
    }
}

/// Index of register `number` in the 16-entry register array; the mask proves the bound.
#[inline(always)]
fn r(number: u8) -> usize {
    usize::from(number & 15)
}

/// Expands to a `match` on a runtime operation whose every arm calls `$function` with that
/// operation as a constant. The constant lets the compiler inline the one definition in
/// [`crate::alu`] down to a few machine instructions per arm, instead of calling it and
/// dispatching on the operation a second time.
macro_rules! specialise {
    ($function:path, $enum:ident, $value:expr, $width:expr, $a:expr, $b:expr, [$($variant:ident),*]) => {
        match $value {
            $($enum::$variant => $function($enum::$variant, $width, &$a, &$b),)*
        }
    };
}

#[inline(always)]
pub(super) fn binary64(op: BinOp, a: u64, b: u64) -> u64 {
    specialise!(
        alu::binary,
        BinOp,
        op,
        Width::W64,
        a,
        b,
        [Add, Sub, Mul, Div, SDiv, Or, And, Lsh, Rsh, Mod, SMod, Xor, Mov, Arsh]
    )
}

#[inline(always)]
pub(super) fn binary32(op: BinOp, a: u64, b: u64) -> u64 {
    specialise!(
        alu::binary,
        BinOp,
        op,
        Width::W32,
        a,
        b,
        [Add, Sub, Mul, Div, SDiv, Or, And, Lsh, Rsh, Mod, SMod, Xor, Mov, Arsh]
    )
}

#[inline(always)]
fn condition64(cond: Cond, a: u64, b: u64) -> bool {
    specialise!(alu::condition, Cond, cond, Width::W64, a, b, [Eq, Ne, Set, Gt, Ge, Lt, Le, SGt, SGe, SLt, SLe])
}

#[inline(always)]
fn condition32(cond: Cond, a: u64, b: u64) -> bool {
    specialise!(alu::condition, Cond, cond, Width::W32, a, b, [Eq, Ne, Set, Gt, Ge, Lt, Le, SGt, SGe, SLt, SLe])
}

/// The result of a run that ended normally.
fn outcome(regs: &[u64; 16], instructions: u64) -> Outcome {
    let mut registers = [0; Reg::COUNT];
    registers.copy_from_slice(&regs[..Reg::COUNT]);
    Outcome { r0: regs[0], instructions, registers }
}

/// The frames of the active bpf-to-bpf calls.
struct CallStack {
    /// `frames[i]` holds what the call from frame `i` saved.
    frames: [SavedFrame; MAX_FRAMES],
    /// Current frame (0 is the outermost).
    depth: usize,
    /// The frame the run started in (above 0 for a helper's callback); exiting it ends
    /// the run.
    base: usize,
}

impl CallStack {
    /// Enters a new frame returning to `return_pc`, saving `r6`–`r9`. The callee starts with
    /// the caller's defined arguments and `r10`; everything else is undefined, as for the
    /// kernel's verifier.
    fn push(
        &mut self,
        memory: &mut Memory,
        regs: &mut [u64; 16],
        return_pc: usize,
        initialised: &mut u16,
        arena_pointers: &mut u16,
    ) -> Result<(), TrapKind> {
        if self.depth + 1 >= MAX_FRAMES {
            return Err(TrapKind::CallDepthExceeded { max_frames: MAX_FRAMES });
        }
        let mut callee_saved = [0; 4];
        callee_saved.copy_from_slice(&regs[6..10]);
        let after_return = (*initialised | R0) & !CALLER_SAVED;
        self.frames[self.depth] = SavedFrame {
            return_pc,
            callee_saved,
            initialised: after_return,
            arena_pointers: *arena_pointers & CALLEE_SAVED,
        };
        *initialised = (*initialised & CALLER_SAVED) | R10;
        *arena_pointers &= CALLER_SAVED & !R0;
        self.depth += 1;
        memory.set_frame_live(self.depth, true);
        regs[10] = Memory::frame_pointer(self.depth);
        Ok(())
    }

    /// Leaves the current frame, restoring `r6`–`r10`; `None` in the run's first frame.
    fn pop(
        &mut self,
        memory: &mut Memory,
        regs: &mut [u64; 16],
        initialised: &mut u16,
        arena_pointers: &mut u16,
    ) -> Option<usize> {
        if self.depth == self.base {
            return None;
        }
        memory.set_frame_live(self.depth, false);
        self.depth -= 1;
        let saved = self.frames[self.depth];
        regs[6..10].copy_from_slice(&saved.callee_saved);
        *initialised = saved.initialised;
        *arena_pointers = saved.arena_pointers | (*arena_pointers & R0);
        regs[10] = Memory::frame_pointer(self.depth);
        Some(saved.return_pc)
    }
}

/// Calls helper `id`; on return sets `r0` and clobbers `r1`–`r5`, on exit sets `r0`.
#[inline(never)]
fn call_helper(
    helpers: &mut dyn Helpers,
    memory: &mut Memory,
    regs: &mut [u64; 16],
    id: i32,
    code: &mut Callbacks<'_>,
) -> Result<HelperResult, TrapKind> {
    let args = [regs[1], regs[2], regs[3], regs[4], regs[5]];
    match helpers.call_with_code(id, args, memory, code) {
        Ok(result) => {
            match result {
                HelperResult::Return(value) => {
                    regs[0] = value;
                    regs[1..6].fill(CLOBBERED);
                }
                HelperResult::Exit(value) => regs[0] = value,
            }
            Ok(result)
        }
        Err(HelperError::Unknown) => Err(TrapKind::UnknownHelper { id }),
        Err(error) => Err(TrapKind::HelperFailed { id, error }),
    }
}

/// Calls kfunc `btf_id` of BTF object `btf_obj`; on return sets `r0` and clobbers `r1`–`r5`.
#[inline(never)]
fn call_kfunc(
    helpers: &mut dyn Helpers,
    memory: &mut Memory,
    regs: &mut [u64; 16],
    btf_id: i32,
    btf_obj: i16,
    code: &mut Callbacks<'_>,
) -> Result<(), TrapKind> {
    let args = [regs[1], regs[2], regs[3], regs[4], regs[5]];
    let value = helpers.call_kfunc(btf_id, btf_obj, args, memory, code).map_err(|e| e.trap_kind(btf_id, btf_obj))?;
    regs[0] = value;
    regs[1..6].fill(CLOBBERED);
    Ok(())
}

/// `*(size *)(base + off)`, extended; a fault is offered to the run's virtual context.
#[inline(always)]
pub(super) fn load(memory: &Memory, base: u64, off: i16, size: Size, signed: bool) -> Result<u64, TrapKind> {
    let address = base.wrapping_add(off as i64 as u64);
    match memory.load(address, size) {
        Ok(raw) => Ok(alu::extend_load(&raw, size, signed)),
        Err(fault) => context::load(memory, fault, base, size, signed).map_err(TrapKind::from),
    }
}

/// `*(size *)(base + off) = value`; a fault is offered to the run's virtual context.
#[inline(always)]
pub(super) fn store(memory: &mut Memory, base: u64, off: i16, size: Size, value: u64) -> Result<(), TrapKind> {
    let address = base.wrapping_add(off as i64 as u64);
    if let Err(fault) = memory.store(address, size, value)
        && let Err(fault) = context::store(memory, fault, base, size, value)
    {
        return Err(fault.into());
    }
    Ok(())
}

/// An atomic read-modify-write; the fetched value goes to `src` (`r0` for `cmpxchg`).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) fn atomic(
    memory: &mut Memory,
    regs: &mut [u64; 16],
    size: Size,
    op: AtomicOp,
    fetch: bool,
    dst: u8,
    src: u8,
    off: i16,
) -> Result<(), TrapKind> {
    let address = regs[r(dst)].wrapping_add(off as i64 as u64);
    let old = memory.atomic_load(address, size)?;
    let effect = alu::atomic(op, fetch, size, &old, &regs[r(src)], &regs[0]);
    memory.atomic_store(address, size, effect.memory)?;
    if let Some(fetched) = effect.fetched {
        let target = if op == AtomicOp::CmpXchg { 0 } else { r(src) };
        regs[target] = fetched;
    }
    Ok(())
}

/// A legacy big-endian packet load: `Some(value)`, or `None` when the bytes are not all in
/// the packet. Negative offsets (Linux's `SKF_*_OFF` ancillary areas) count as misses.
#[inline(never)]
fn load_packet(
    memory: &Memory,
    regs: &[u64; 16],
    size: Size,
    index: Option<u8>,
    imm: i32,
) -> Result<Option<u64>, TrapKind> {
    let packet = memory.packet().ok_or(TrapKind::NoPacket)?;
    // Linux reads the packet of the skb in r6, and only socket filters and tc have one.
    if let Some(view) = memory.context_view() {
        if !view.program_type.legacy_packet_loads() {
            return Err(TrapKind::LegacyPacketLoadRefused { why: "the program type has no skb" });
        }
        if regs[6] != region_base(view.region) {
            return Err(TrapKind::LegacyPacketLoadRefused { why: "r6 is not the context" });
        }
    }
    // Linux computes `(int)(src + imm)`: a 64-bit sum truncated to a signed 32-bit offset.
    let offset = match index {
        None => imm,
        Some(reg) => regs[r(reg)].wrapping_add(imm as i64 as u64) as u32 as i32,
    };
    let Ok(offset) = u64::try_from(offset) else { return Ok(None) };
    let Ok(bytes) = memory.read(region_base(packet) + offset, size.bytes() as usize) else { return Ok(None) };
    let mut buffer = [0u8; 8];
    buffer[..bytes.len()].copy_from_slice(bytes);
    let little_endian = u64::from_le_bytes(buffer);
    Ok(Some(alu::byte_order(ByteOrder::ToBe, size.bits(), &little_endian)))
}

/// The operation for `insn` at slot `pc`.
fn prepare(program: &Program, pc: usize, insn: &Insn) -> Op {
    let target = || {
        let target = insn.branch_target(pc).expect("jumps and local calls have a target");
        u32::try_from(target).expect("Program checked that every target is a slot")
    };
    let writes_frame_pointer = match *insn {
        Insn::Alu { dst, .. }
        | Insn::Neg { dst, .. }
        | Insn::MovSx { dst, .. }
        | Insn::Endian { dst, .. }
        | Insn::Lddw { dst, .. }
        | Insn::AddrSpaceCast { dst, .. }
        | Insn::Load { dst, .. } => dst == Reg::R10,
        Insn::Atomic { op, fetch, src, .. } => fetch && op != AtomicOp::CmpXchg && src == Reg::R10,
        _ => false,
    };
    if writes_frame_pointer {
        return Op::Trap(StaticTrap::WriteToFramePointer);
    }
    match *insn {
        Insn::Alu { width, op, dst, src } => {
            let dst = num(dst);
            match (width, src) {
                (Width::W64, Operand::Imm(imm)) => Op::Alu64Imm { op, dst, imm: imm as i64 as u64 },
                (Width::W64, Operand::Reg(src)) => Op::Alu64Reg { op, dst, src: num(src) },
                (Width::W32, Operand::Imm(imm)) => Op::Alu32Imm { op, dst, imm: imm as i64 as u64 },
                (Width::W32, Operand::Reg(src)) => Op::Alu32Reg { op, dst, src: num(src) },
            }
        }
        Insn::Neg { width, dst } => Op::Neg { width, dst: num(dst) },
        Insn::MovSx { width, dst, src, from } => Op::MovSx { width, dst: num(dst), src: num(src), from },
        Insn::Endian { order, dst, bits } => Op::Endian { order, dst: num(dst), bits: bits as u8 },
        Insn::Lddw { dst, kind, imm, next_imm } => match (program.table_loads().get(&pc), kind) {
            (Some(table), _) => Op::TableAddress { dst: num(dst), table: table.0 },
            (None, LddwKind::Imm64) => Op::Const { dst: num(dst), value: Insn::lddw_value(imm, next_imm) },
            (None, LddwKind::CodeAddr) => Op::Const { dst: num(dst), value: code_address(target() as usize) },
            (None, LddwKind::MapIdx) => Op::MapHandle { dst: num(dst), map: imm as u32 },
            (None, LddwKind::MapIdxValue) => Op::MapValue { dst: num(dst), map: imm as u32, offset: next_imm as u32 },
            (None, kind) => Op::Trap(StaticTrap::UnsupportedLddw(kind)),
        },
        Insn::LoadPacket { size, addr, imm } => {
            let index = match addr {
                PacketAddr::Abs => None,
                PacketAddr::Ind(reg) => Some(num(reg)),
            };
            Op::LoadPacket { size, index, imm }
        }
        Insn::Load { size, signed, dst, src, off } => Op::Load { size, signed, dst: num(dst), src: num(src), off },
        Insn::Store { size, dst, off, src: Operand::Imm(imm) } => {
            Op::StoreImm { size, dst: num(dst), off, imm: imm as i64 as u64 }
        }
        Insn::Store { size, dst, off, src: Operand::Reg(src) } => {
            Op::StoreReg { size, dst: num(dst), off, src: num(src) }
        }
        Insn::Atomic { size, op, fetch, dst, off, src } => {
            Op::Atomic { size, op, fetch, dst: num(dst), src: num(src), off }
        }
        Insn::Ja { .. } | Insn::Ja32 { .. } => Op::Goto { target: target() },
        Insn::MayGoto { .. } => Op::MayGoto { target: target() },
        Insn::Jump { width, cond, dst, src, .. } => {
            let (dst, target) = (num(dst), target());
            match (width, src) {
                (Width::W64, Operand::Imm(imm)) => Op::Jump64Imm { cond, dst, target, imm: imm as i64 as u64 },
                (Width::W64, Operand::Reg(src)) => Op::Jump64Reg { cond, dst, src: num(src), target },
                (Width::W32, Operand::Imm(imm)) => Op::Jump32Imm { cond, dst, target, imm: imm as i64 as u64 },
                (Width::W32, Operand::Reg(src)) => Op::Jump32Reg { cond, dst, src: num(src), target },
            }
        }
        Insn::Call(CallTarget::Helper(id)) => Op::CallHelper { id },
        Insn::Call(CallTarget::Local(_)) => Op::CallLocal { target: target() },
        Insn::Call(CallTarget::Kfunc { btf_id, btf_obj }) => Op::CallKfunc { btf_id, btf_obj },
        Insn::Callx { reg } => Op::Callx { reg: num(reg) },
        Insn::Gotox { reg } => Op::Gotox { reg: num(reg) },
        Insn::Exit => Op::Exit,
        // Replaced by `Op::Arena` in `Machine::new`, as the cast is what makes the program
        // one with arena pointers.
        Insn::AddrSpaceCast { .. } => Op::Trap(StaticTrap::FellOffEnd),
    }
}
