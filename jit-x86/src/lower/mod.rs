//! Lowering: a [`Program`] becomes a list of x86 [`Inst`]s.
//!
//! Code layout:
//!
//! ```text
//! prologue            save host registers, load r0–r9 and the budget, fall into slot 0
//! slot code           per instruction, in slot order; each segment starts with a budget check
//! fell-off sentinel   the slot after the last one traps, as in the interpreter
//! cold stubs          one per trap site: record why, jump to the trap exit
//! routines            enter/leave frame, calls into Rust, the exits and the epilogue
//! ```
//!
//! **Budget.** The interpreter charges one unit per instruction and traps on the first
//! instruction the budget does not cover. The JIT charges whole *segments*: runs of
//! instructions entered only at their first, in which only the last may have an effect
//! visible from outside (a memory access, a call, an exit, a trap). On entering a segment
//! of `n` instructions the code subtracts `n`; if fewer than `n` were left, the interpreter
//! would have run exactly the remaining `k < n` effect-free instructions and trapped at the
//! `k`-th, so the JIT traps there too (the stub reports `k`, the runtime finds the pc). Runs
//! therefore agree exactly with the interpreter: same trap, same pc, same instruction count.
//!
//! **Memory.** Every load, store and atomic is checked against the region table, as
//! described in [`crate::abi`]; accesses through `r10` whose offset is statically inside
//! the frame use the current frame's host pointer directly.

mod alu;
mod control;
mod memory;
mod uninit;

use std::collections::BTreeMap;

use bpfprove_semantics::interp::{CallxModel, TrapKind};
use bpfprove_semantics::isa::{AtomicOp, CallTarget, Insn, LddwKind, Reg};
use bpfprove_semantics::program::Program;

use crate::abi::{self, BUDGET, CTX, ctx_field, field};
use crate::error::JitError;
use crate::inst::{AluOp, Gpr, Inst, Label, MemWidth, OpSize};

/// Most slots the JIT compiles: slot numbers and table offsets must fit an `i32`.
pub(crate) const MAX_SLOTS: usize = 1 << 24;

/// Addresses of the Rust functions generated code calls.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RuntimeFns {
    /// `call imm` of a helper, and kfunc calls.
    pub helper: u64,
    /// `callx` in the helper-id model.
    pub callx_helper: u64,
    /// Legacy packet loads.
    pub packet_load: u64,
    /// Loads and stores that failed the region check (a virtual context may complete them).
    pub access_fault: u64,
}

/// The lowered program.
#[derive(Debug)]
pub(crate) struct Lowered {
    /// The instructions, prologue first.
    pub insts: Vec<Inst>,
    /// Number of labels used.
    pub label_count: usize,
    /// Label of each segment start, by slot (`slots + 1` entries, the last for the sentinel).
    pub slot_labels: Vec<Option<Label>>,
    /// Label bound at the start of each instruction's code, in slot order, with its slot;
    /// the last is the fell-off sentinel at slot `slots`.
    pub insn_labels: Vec<(usize, Label)>,
    /// Label bound where the out-of-line code (stubs and routines) starts.
    pub cold_label: Label,
    /// Label of the entry that runs a callback (a function called by a helper).
    pub callback_entry: Label,
    /// The trap of every [`abi::TrapCode::Static`] site, by slot: instructions that always
    /// trap, and map `lddw`s whose map turns out unbound.
    pub static_traps: BTreeMap<usize, TrapKind>,
    /// The map indices `lddw`s name, in the order of [`abi::RunContext::map_slots`].
    pub map_indices: Vec<u32>,
}

/// The trap an instruction raises whenever it executes, decided by the instruction alone
/// (the interpreter's preparation makes the same decisions).
pub(crate) fn static_trap(program: &Program, pc: usize, insn: &Insn) -> Option<TrapKind> {
    let writes_frame_pointer = match *insn {
        Insn::Alu { dst, .. }
        | Insn::Neg { dst, .. }
        | Insn::MovSx { dst, .. }
        | Insn::Endian { dst, .. }
        | Insn::AddrSpaceCast { dst, .. }
        | Insn::Lddw { dst, .. }
        | Insn::Load { dst, .. } => dst == Reg::R10,
        Insn::Atomic { op, fetch, src, .. } => fetch && op != AtomicOp::CmpXchg && src == Reg::R10,
        _ => false,
    };
    if writes_frame_pointer {
        return Some(TrapKind::WriteToFramePointer);
    }
    match *insn {
        Insn::Lddw { kind, .. }
            if !program.table_loads().contains_key(&pc)
                && !matches!(kind, LddwKind::Imm64 | LddwKind::CodeAddr | LddwKind::MapIdx | LddwKind::MapIdxValue) =>
        {
            Some(TrapKind::UnsupportedLddw { kind })
        }
        _ => None,
    }
}

/// A map `lddw` (not a jump-table load): it traps when its map is unbound.
fn is_map_load(program: &Program, pc: usize, insn: &Insn) -> bool {
    matches!(insn, Insn::Lddw { kind: LddwKind::MapIdx | LddwKind::MapIdxValue, .. })
        && !program.table_loads().contains_key(&pc)
}

/// Whether `insn` must be the last of its segment: it touches memory, transfers control,
/// calls, or may trap.
fn ends_segment(program: &Program, pc: usize, insn: &Insn, traps: bool) -> bool {
    traps
        || is_map_load(program, pc, insn)
        || matches!(
            insn,
            Insn::Load { .. }
                | Insn::Store { .. }
                | Insn::Atomic { .. }
                | Insn::LoadPacket { .. }
                | Insn::Call(_)
                | Insn::Callx { .. }
                | Insn::Gotox { .. }
                | Insn::Exit
                | Insn::Ja { .. }
                | Insn::Ja32 { .. }
                | Insn::MayGoto { .. }
                | Insn::Jump { .. }
        )
}

/// Slots where a segment starts (`slots + 1` entries; the sentinel always starts one).
fn segment_starts(program: &Program, static_traps: &BTreeMap<usize, TrapKind>) -> Vec<bool> {
    let slots = program.slots();
    let mut starts = vec![false; slots + 1];
    starts[0] = true;
    starts[slots] = true;
    for decoded in program.insns() {
        let (pc, insn) = (decoded.pc, &decoded.insn);
        if let Some(target) = insn.branch_target(pc) {
            // Program guarantees every target is a slot of the program.
            starts[target as usize] = true;
        }
        if ends_segment(program, pc, insn, static_traps.contains_key(&pc)) {
            starts[pc + insn.slots()] = true;
        }
    }
    for function in program.functions() {
        starts[function.entry] = true;
    }
    for table in program.jump_tables() {
        for &target in &table.targets {
            starts[target] = true;
        }
    }
    starts
}

/// Labels of the shared routines.
#[derive(Clone, Copy, Debug)]
struct Routines {
    callback_entry: Label,
    enter_frame: Label,
    leave_frame: Label,
    call_runtime: Label,
    runtime_status: Label,
    normal_exit: Label,
    trap_exit: Label,
    epilogue: Label,
}

/// How the runtime may complete a load or store that failed the region check.
#[derive(Clone, Copy, Debug)]
enum Completion {
    /// A load into `dst`, resuming at `resume`.
    Load { dst: Gpr, resume: Label },
    /// A store of `value`, resuming at `resume`.
    Store { value: bpfprove_semantics::isa::Operand, resume: Label },
}

/// The value passed to a call into Rust besides the context and the pc.
#[derive(Clone, Copy, Debug)]
enum RuntimeArg {
    /// 0.
    None,
    /// A register's value.
    Reg(Reg),
    /// A constant.
    Imm(u64),
}

/// An out-of-line trap site.
#[derive(Clone, Copy, Debug)]
enum Stub {
    /// A failed access check; the guest address is in `rax`. Loads and stores go to the
    /// runtime, which completes them in a virtual context or reports the fault.
    Memory { label: Label, pc: usize, access: u64, size: u8, completion: Option<Completion> },
    /// A trap decided at compile time.
    Static { label: Label, pc: usize },
    /// The budget does not cover the segment starting at `pc`, of `len` instructions.
    Budget { label: Label, pc: usize, len: i32 },
    /// A call beyond the frame limit.
    CallDepth { label: Label, pc: usize },
    /// A `callx` or `gotox` through `reg`, which names no valid target.
    BadTarget { label: Label, pc: usize, reg: Reg, code: abi::TrapCode },
}

/// The lowering's state.
struct Lower<'p> {
    program: &'p Program,
    callx_model: CallxModel,
    runtime: RuntimeFns,
    insts: Vec<Inst>,
    next_label: u32,
    slot_labels: Vec<Option<Label>>,
    stubs: Vec<Stub>,
    routines: Routines,
    map_indices: Vec<u32>,
}

impl Lower<'_> {
    fn label(&mut self) -> Label {
        let label = Label(self.next_label);
        self.next_label += 1;
        label
    }

    fn push(&mut self, inst: Inst) {
        self.insts.push(inst);
    }

    /// The label of the segment starting at `slot`.
    fn slot_label(&self, slot: usize) -> Result<Label, JitError> {
        self.slot_labels.get(slot).copied().flatten().ok_or(JitError::Internal("branch target starts no segment"))
    }

    /// A new stub, returning its label.
    fn stub(&mut self, make: impl FnOnce(Label) -> Stub) -> Label {
        let label = self.label();
        self.stubs.push(make(label));
        label
    }

    /// Makes `reg` readable in a host register: its own, or `scratch` loaded with `r10`.
    fn read(&mut self, reg: Reg, scratch: Gpr) -> Gpr {
        match abi::host(reg) {
            Some(gpr) => gpr,
            None => {
                self.push(load64(scratch, field::GUEST_FP));
                scratch
            }
        }
    }

    /// The host register of `reg`, which the caller guarantees is not `r10`.
    fn write(&self, reg: Reg) -> Result<Gpr, JitError> {
        abi::host(reg).ok_or(JitError::Internal("write to r10 reached code generation"))
    }
}

/// `mov dst, qword [ctx + offset]`.
fn load64(dst: Gpr, offset: usize) -> Inst {
    Inst::Load { width: MemWidth::D, extend: crate::inst::Extend::Zero, dst, src: ctx_field(offset) }
}

/// `mov qword [ctx + offset], src`.
fn store64(offset: usize, src: Gpr) -> Inst {
    Inst::Store { width: MemWidth::D, dst: ctx_field(offset), src }
}

/// `mov qword [ctx + offset], imm`.
fn store_imm64(offset: usize, imm: i32) -> Inst {
    Inst::StoreImm { width: MemWidth::D, dst: ctx_field(offset), imm }
}

/// Lowers `program` for runs under `callx_model`.
pub(crate) fn lower(program: &Program, callx_model: CallxModel, runtime: RuntimeFns) -> Result<Lowered, JitError> {
    let slots = program.slots();
    if slots >= MAX_SLOTS {
        return Err(JitError::ProgramTooLarge { slots, limit: MAX_SLOTS });
    }
    let undefined = uninit::surely_undefined(program);
    let static_traps: BTreeMap<usize, TrapKind> = program
        .insns()
        .iter()
        .filter_map(|d| {
            // The interpreter checks reads before it executes anything.
            let undefined_reads = program.reads_everywhere(d.pc, &d.insn).bits() & undefined[d.pc];
            let first_undefined = (undefined_reads != 0).then(|| Reg::new(undefined_reads.trailing_zeros() as u8));
            let kind = match first_undefined.flatten() {
                Some(reg) => Some(TrapKind::UninitialisedRegister { reg }),
                None => static_trap(program, d.pc, &d.insn),
            };
            kind.map(|kind| (d.pc, kind))
        })
        .collect();
    let starts = segment_starts(program, &static_traps);

    let mut next_label = 0;
    let mut fresh = || {
        let label = Label(next_label);
        next_label += 1;
        label
    };
    let slot_labels: Vec<Option<Label>> = starts.iter().map(|&start| start.then(&mut fresh)).collect();
    let routines = Routines {
        callback_entry: fresh(),
        enter_frame: fresh(),
        leave_frame: fresh(),
        call_runtime: fresh(),
        runtime_status: fresh(),
        normal_exit: fresh(),
        trap_exit: fresh(),
        epilogue: fresh(),
    };
    let mut lower = Lower {
        program,
        callx_model,
        runtime,
        insts: Vec::with_capacity(slots * 6 + 64),
        next_label,
        slot_labels,
        stubs: Vec::new(),
        routines,
        map_indices: Vec::new(),
    };

    lower.prologue();
    let mut insn_labels = Vec::with_capacity(program.insns().len() + 1);
    let insns = program.insns();
    for (index, decoded) in insns.iter().enumerate() {
        let pc = decoded.pc;
        let mark = lower.label();
        lower.push(Inst::Bind(mark));
        insn_labels.push((pc, mark));
        if starts[pc] {
            let len = segment_len(program, &starts, index);
            lower.segment_start(pc, len)?;
        }
        match static_traps.get(&pc) {
            Some(_) => {
                let stub = lower.stub(|label| Stub::Static { label, pc });
                lower.push(Inst::Jmp(stub));
            }
            None => lower.insn(pc, &decoded.insn)?,
        }
    }
    // The slot after the last: the interpreter charges it and traps.
    let mark = lower.label();
    lower.push(Inst::Bind(mark));
    insn_labels.push((slots, mark));
    lower.segment_start(slots, 1)?;
    let stub = lower.stub(|label| Stub::Static { label, pc: slots });
    lower.push(Inst::Jmp(stub));

    let cold_label = lower.label();
    lower.push(Inst::Bind(cold_label));
    lower.stubs();
    lower.routines();

    let mut static_traps = static_traps;
    static_traps.insert(slots, TrapKind::FellOffEnd);
    for decoded in insns {
        if let Insn::Lddw { kind, .. } = decoded.insn
            && is_map_load(program, decoded.pc, &decoded.insn)
        {
            static_traps.insert(decoded.pc, TrapKind::UnsupportedLddw { kind });
        }
    }
    Ok(Lowered {
        insts: lower.insts,
        label_count: lower.next_label as usize,
        slot_labels: lower.slot_labels,
        insn_labels,
        cold_label,
        callback_entry: routines.callback_entry,
        static_traps,
        map_indices: lower.map_indices,
    })
}

/// Instructions in the segment starting with `insns[index]`.
fn segment_len(program: &Program, starts: &[bool], index: usize) -> i32 {
    let insns = program.insns();
    let mut len = 1;
    let mut next = index + 1;
    while next < insns.len() && !starts[insns[next].pc] {
        len += 1;
        next += 1;
    }
    len
}

impl Lower<'_> {
    /// Binds the segment's label and charges the budget for it.
    fn segment_start(&mut self, pc: usize, len: i32) -> Result<(), JitError> {
        let label = self.slot_label(pc)?;
        self.push(Inst::Bind(label));
        let stub = self.stub(|label| Stub::Budget { label, pc, len });
        self.push(Inst::AluRI { op: AluOp::Sub, size: OpSize::S64, dst: BUDGET, imm: len });
        self.push(Inst::Jcc(crate::inst::CondCode::B, stub));
        Ok(())
    }

    /// Saves the host's callee-saved registers, loads the guest registers and the budget.
    /// The stack is 16-byte aligned afterwards, and its pointer saved for the exits.
    fn prologue(&mut self) {
        for gpr in [Gpr::Rbx, Gpr::Rbp, Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15] {
            self.push(Inst::Push(gpr));
        }
        self.push(Inst::AluRI { op: AluOp::Sub, size: OpSize::S64, dst: Gpr::Rsp, imm: 8 });
        self.push(Inst::MovRR { size: OpSize::S64, dst: CTX, src: Gpr::Rdi });
        self.push(store64(field::SAVED_RSP, Gpr::Rsp));
        for (index, &gpr) in abi::HOST.iter().enumerate() {
            self.push(load64(gpr, field::reg(index)));
        }
        self.push(load64(BUDGET, field::BUDGET));
    }

    /// One instruction that does not trap statically.
    fn insn(&mut self, pc: usize, insn: &Insn) -> Result<(), JitError> {
        match *insn {
            Insn::Alu { width, op, dst, src } => self.alu(width, op, dst, src),
            Insn::Neg { width, dst } => self.neg(width, dst),
            Insn::MovSx { width, dst, src, from } => self.move_sign_extend(width, dst, src, from),
            Insn::Endian { order, dst, bits } => self.endian(order, dst, bits),
            Insn::Lddw { dst, kind, imm, next_imm } => self.lddw(pc, insn, dst, kind, imm, next_imm),
            Insn::Load { size, signed, dst, src, off } => self.load(pc, size, signed, dst, src, off),
            Insn::Store { size, dst, off, src } => self.store(pc, size, dst, off, src),
            Insn::Atomic { size, op, fetch, dst, off, src } => self.atomic(pc, size, op, fetch, dst, off, src),
            Insn::LoadPacket { addr, .. } => {
                self.load_packet(pc, addr);
                Ok(())
            }
            // The run's loop budget would need a counter in the run context; refused until then.
            Insn::MayGoto { .. } => Err(JitError::Unsupported { pc, what: "may_goto" }),
            // Arena pointers change the meaning of ALU and memory instructions by register
            // type (32-bit arithmetic, faulting-safe accesses of the arena); the JIT tracks
            // no types, so it refuses every program that makes one.
            Insn::AddrSpaceCast { .. } => Err(JitError::Unsupported { pc, what: "addr_space_cast (arena programs)" }),
            Insn::Ja { .. } | Insn::Ja32 { .. } => {
                let target = self.target(pc, insn)?;
                self.push(Inst::Jmp(target));
                Ok(())
            }
            Insn::Jump { width, cond, dst, src, .. } => {
                let target = self.target(pc, insn)?;
                self.jump(width, cond, dst, src, target)
            }
            // Kfuncs go through the helper runtime too: it dispatches on the instruction.
            Insn::Call(CallTarget::Helper(_) | CallTarget::Kfunc { .. }) => {
                self.call_runtime(pc, self.runtime.helper, RuntimeArg::None);
                Ok(())
            }
            Insn::Call(CallTarget::Local(_)) => {
                let target = self.target(pc, insn)?;
                self.call_local(pc, target)
            }
            Insn::Callx { reg } => match self.callx_model {
                CallxModel::Address => self.callx_address(pc, reg),
                CallxModel::HelperId => {
                    self.call_runtime(pc, self.runtime.callx_helper, RuntimeArg::Reg(reg));
                    Ok(())
                }
            },
            Insn::Gotox { reg } => self.gotox(pc, reg),
            Insn::Exit => {
                self.exit();
                Ok(())
            }
        }
    }

    /// The label of the branch target of `insn` at `pc`.
    fn target(&self, pc: usize, insn: &Insn) -> Result<Label, JitError> {
        let target = insn.branch_target(pc).ok_or(JitError::Internal("branch without a target"))?;
        self.slot_label(target as usize)
    }

    /// Emits every stub: record the trap in the context and leave through the trap exit.
    fn stubs(&mut self) {
        let stubs = std::mem::take(&mut self.stubs);
        let trap_exit = self.routines.trap_exit;
        for stub in stubs {
            let (code, pc) = match stub {
                Stub::Memory { label, pc, access, size, completion } => {
                    self.push(Inst::Bind(label));
                    self.push(store64(field::TRAP_VALUE, Gpr::Rax));
                    match completion {
                        Some(Completion::Load { dst, resume }) => {
                            self.call_runtime(pc, self.runtime.access_fault, RuntimeArg::None);
                            self.push(load64(dst, field::TRAP_VALUE));
                            self.push(Inst::Jmp(resume));
                            continue;
                        }
                        Some(Completion::Store { value, resume }) => {
                            let value = match value {
                                bpfprove_semantics::isa::Operand::Reg(reg) => RuntimeArg::Reg(reg),
                                bpfprove_semantics::isa::Operand::Imm(imm) => RuntimeArg::Imm(imm as i64 as u64),
                            };
                            self.call_runtime(pc, self.runtime.access_fault, value);
                            self.push(Inst::Jmp(resume));
                            continue;
                        }
                        None => (abi::TrapCode::Memory as u64 | access << 8 | u64::from(size) << 16, pc),
                    }
                }
                Stub::Static { label, pc } => {
                    self.push(Inst::Bind(label));
                    (abi::TrapCode::Static as u64, pc)
                }
                Stub::Budget { label, pc, len } => {
                    self.push(Inst::Bind(label));
                    // Undo the subtraction: what was left on entering the segment.
                    self.push(Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: BUDGET, imm: len });
                    self.push(store64(field::TRAP_VALUE, BUDGET));
                    (abi::TrapCode::Budget as u64, pc)
                }
                Stub::CallDepth { label, pc } => {
                    self.push(Inst::Bind(label));
                    (abi::TrapCode::CallDepth as u64, pc)
                }
                Stub::BadTarget { label, pc, reg, code } => {
                    self.push(Inst::Bind(label));
                    let value = self.read(reg, Gpr::Rax);
                    self.push(store64(field::TRAP_VALUE, value));
                    (code as u64, pc)
                }
            };
            self.push(store_imm64(field::TRAP_CODE, code as i32));
            self.push(store_imm64(field::TRAP_PC, pc as i32));
            self.push(Inst::Jmp(trap_exit));
        }
    }
}
