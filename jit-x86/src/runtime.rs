//! The Rust side of a run: the region table and map slots generated code reads, the calls
//! it makes into Rust (helpers, kfuncs, `callx` in the helper-id model, legacy packet loads,
//! accesses the region check refused), callbacks that helpers run back in generated code,
//! and the translation of what generated code reports into the interpreter's [`Trap`]s.
//!
//! Guest memory is the interpreter's own [`Memory`]: generated code reads and writes the
//! regions' bytes in place, through the host pointers of the region table. Helpers receive
//! the same `Memory`, so before each call into Rust the stack frames' access rights (which
//! generated code tracks in the table) are copied into it, and afterwards the table and
//! the map slots are rebuilt from it, since Rust code may add regions, change access
//! rights, or rebind maps.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use bpfprove_semantics::alu;
use bpfprove_semantics::interp::context;
use bpfprove_semantics::interp::helpers::{CLOBBERED, CodeRunner};
use bpfprove_semantics::interp::memory::{AccessKind, region_base};
use bpfprove_semantics::interp::{
    Access, CallxModel, HelperError, HelperResult, Helpers, MAX_FRAMES, Memory, RegionId, STACK_FRAME_BYTES, Trap,
    TrapKind,
};
use bpfprove_semantics::isa::{ByteOrder, CallTarget, Insn, PacketAddr, Reg};
use bpfprove_semantics::program::pc_of_code_address;

use crate::abi::{self, MapSlot, RegionEntry, RunContext, TrapCode, status};
use crate::machine::{EntryPoint, JitMachine};

/// State of one run (or one callback) that generated code reaches only through calls
/// into Rust.
pub(crate) struct Session<'a> {
    pub machine: &'a JitMachine,
    pub memory: &'a mut Memory,
    pub helpers: &'a mut dyn Helpers,
    /// Backing store of [`RunContext::table`].
    pub table: Vec<RegionEntry>,
    /// Backing store of [`RunContext::map_slots`].
    pub map_slots: Vec<MapSlot>,
    /// A trap raised inside Rust, reported with [`TrapCode::Runtime`].
    pub trap: Option<Trap>,
    /// A helper's panic, resumed once generated code has returned.
    pub panic: Option<Box<dyn Any + Send>>,
}

impl<'a> Session<'a> {
    /// A session over `memory` and `helpers`.
    pub fn new(machine: &'a JitMachine, memory: &'a mut Memory, helpers: &'a mut dyn Helpers) -> Session<'a> {
        Session { machine, memory, helpers, table: Vec::new(), map_slots: Vec::new(), trap: None, panic: None }
    }
}

impl Session<'_> {
    /// Rebuilds the region table and the map slots from the memory and points the context
    /// at them.
    pub fn refresh(&mut self, ctx: &mut RunContext) {
        self.table.clear();
        // Entry 0 covers the addresses around null and allows nothing.
        self.table.push(RegionEntry::default());
        let mut index = 0;
        while let Some(region) = self.memory.region_mut(RegionId(index)) {
            index += 1;
            let len = region.bytes().len() as u64;
            let access = region.access();
            let host = region.bytes_mut().as_mut_ptr() as u64;
            let read_len = if access.reads() { len } else { 0 };
            let write_len = if access.writes() { len } else { 0 };
            self.table.push(RegionEntry { host, read_len, write_len, _pad: 0 });
        }
        ctx.table = self.table.as_ptr();
        ctx.entries = self.table.len() as u64;
        let frame = self.table.get(ctx.depth as usize + 1).copied().unwrap_or_default();
        ctx.host_fp = frame.host.wrapping_add(STACK_FRAME_BYTES as u64);

        self.map_slots.clear();
        for &map in self.machine.map_indices() {
            let binding = self.memory.map_binding(map);
            let value = binding.and_then(|b| b.value);
            self.map_slots.push(MapSlot {
                bound: u64::from(binding.is_some()),
                handle: binding.map_or(0, |b| b.handle),
                has_value: u64::from(value.is_some()),
                value: value.map_or(0, region_base),
            });
        }
        ctx.map_slots = self.map_slots.as_ptr();
    }

    /// Copies the stack frames' access rights, which generated code keeps in the table,
    /// into the memory.
    pub fn frames_to_memory(&mut self) {
        for frame in 0..MAX_FRAMES {
            let Some(entry) = self.table.get(frame + 1) else { return };
            let access = if entry.write_len > 0 {
                Access::ReadWrite
            } else if entry.read_len > 0 {
                Access::ReadOnly
            } else {
                Access::None
            };
            self.memory.set_access(Memory::stack_frame(frame), access);
        }
    }

    /// Calls helper `id` with `r1`–`r5`; sets `r0`, and clobbers `r1`–`r5` if the program
    /// continues (the interpreter's rules). Callbacks the helper runs use frame depth + 1.
    fn call_helper(&mut self, ctx: &mut RunContext, id: i32) -> Result<u64, TrapKind> {
        let mut args = [0; 5];
        args.copy_from_slice(&ctx.regs[1..6]);
        let depth = ctx.depth as usize + 1;
        let ctx_pointer: *mut RunContext = ctx;
        let mut callbacks = Callbacks { machine: self.machine, ctx: ctx_pointer, depth };
        let result = self.helpers.call_with_code(id, args, self.memory, &mut callbacks);
        match result {
            Ok(HelperResult::Return(value)) => {
                ctx.regs[0] = value;
                ctx.regs[1..6].fill(CLOBBERED);
                Ok(status::CONTINUE)
            }
            Ok(HelperResult::Exit(value)) => {
                ctx.regs[0] = value;
                Ok(status::EXIT)
            }
            Err(HelperError::Unknown) => Err(TrapKind::UnknownHelper { id }),
            Err(error) => Err(TrapKind::HelperFailed { id, error }),
        }
    }

    /// Calls kfunc `btf_id` of BTF object `btf_obj` with `r1`–`r5`; sets `r0` and clobbers
    /// `r1`–`r5` (the interpreter's rules, and its translation of failures into traps).
    fn call_kfunc(&mut self, ctx: &mut RunContext, btf_id: i32, btf_obj: i16) -> Result<u64, TrapKind> {
        let mut args = [0; 5];
        args.copy_from_slice(&ctx.regs[1..6]);
        let depth = ctx.depth as usize + 1;
        let ctx_pointer: *mut RunContext = ctx;
        let mut callbacks = Callbacks { machine: self.machine, ctx: ctx_pointer, depth };
        let result = self.helpers.call_kfunc(btf_id, btf_obj, args, self.memory, &mut callbacks);
        let value = result.map_err(|e| e.trap_kind(btf_id, btf_obj))?;
        ctx.regs[0] = value;
        ctx.regs[1..6].fill(CLOBBERED);
        Ok(status::CONTINUE)
    }

    /// A legacy big-endian packet load of the instruction at `pc`, with `index` the value
    /// of its index register (if any).
    fn load_packet(&mut self, ctx: &mut RunContext, pc: usize, index: u64) -> Result<u64, TrapKind> {
        let Some(&Insn::LoadPacket { size, addr, imm }) = self.machine.program().insn_at(pc) else {
            mismatched_call(pc, "packet-load")
        };
        let packet = self.memory.packet().ok_or(TrapKind::NoPacket)?;
        // Linux reads the packet of the skb in r6, and only socket filters and tc have one.
        if let Some(view) = self.memory.context_view() {
            if !view.program_type.legacy_packet_loads() {
                return Err(TrapKind::LegacyPacketLoadRefused { why: "the program type has no skb" });
            }
            if ctx.regs[6] != region_base(view.region) {
                return Err(TrapKind::LegacyPacketLoadRefused { why: "r6 is not the context" });
            }
        }
        // Linux computes `(int)(src + imm)`: a 64-bit sum truncated to a signed 32-bit offset.
        let offset = match addr {
            PacketAddr::Abs => imm,
            PacketAddr::Ind(_) => index.wrapping_add(imm as i64 as u64) as u32 as i32,
        };
        let bytes = u64::try_from(offset)
            .ok()
            .and_then(|offset| self.memory.read(region_base(packet) + offset, size.bytes() as usize).ok());
        let Some(bytes) = bytes else {
            // Linux ends the current function with r0 = 0 when a legacy load misses.
            ctx.regs[0] = 0;
            return Ok(status::RETURN);
        };
        let mut buffer = [0u8; 8];
        buffer[..bytes.len()].copy_from_slice(bytes);
        let little_endian = u64::from_le_bytes(buffer);
        ctx.regs[0] = alu::byte_order(ByteOrder::ToBe, size.bits(), &little_endian);
        ctx.regs[1..6].fill(CLOBBERED);
        Ok(status::CONTINUE)
    }

    /// A load or store at `pc` that the region check refused, at the address in
    /// `trap_value`: a virtual context may complete it (a load's value goes back in
    /// `trap_value`), else it faults, as in the interpreter.
    fn complete_access(&mut self, ctx: &mut RunContext, pc: usize, value: u64) -> Result<u64, TrapKind> {
        let address = ctx.trap_value;
        match self.machine.program().insn_at(pc) {
            Some(&Insn::Load { size, signed, off, .. }) => {
                let fault = self.memory.fault(AccessKind::Load, address, size.bytes() as usize);
                let base = address.wrapping_sub(off as i64 as u64);
                ctx.trap_value = context::load(self.memory, fault, base, size, signed)?;
                Ok(status::CONTINUE)
            }
            Some(&Insn::Store { size, off, .. }) => {
                let fault = self.memory.fault(AccessKind::Store, address, size.bytes() as usize);
                let base = address.wrapping_sub(off as i64 as u64);
                context::store(self.memory, fault, base, size, value)?;
                Ok(status::CONTINUE)
            }
            _ => mismatched_call(pc, "access-fault"),
        }
    }
}

/// Reports a call from generated code whose pc names another kind of instruction: a JIT
/// bug. The panic is caught around the call and resumed once generated code has returned.
fn mismatched_call(pc: usize, expected: &str) -> ! {
    panic!("JIT invariant broken: generated code called the {expected} runtime for pc {pc}")
}

/// Runs `body` on the session of `ctx`, keeping memory, table and map slots in step around
/// it, and turning its error or panic into a trap status.
///
/// # Safety
/// `ctx` must be the context of a live run, whose `session` points to its [`Session`].
unsafe fn in_session(
    ctx: *mut RunContext,
    pc: u64,
    body: impl FnOnce(&mut Session<'_>, &mut RunContext) -> Result<u64, TrapKind>,
) -> u64 {
    // SAFETY: the caller guarantees `ctx` is live; generated code does not touch it while
    // Rust runs.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: `session` was set by `JitMachine::execute` to a session that outlives the run.
    let session = unsafe { &mut *ctx.session.cast::<Session<'_>>() };
    session.frames_to_memory();
    let result = catch_unwind(AssertUnwindSafe(|| body(session, ctx)));
    session.refresh(ctx);
    match result {
        Ok(Ok(status)) => status,
        Ok(Err(kind)) => {
            session.trap = Some(Trap { pc: pc as usize, kind });
            ctx.trap_code = TrapCode::Runtime as u64;
            status::TRAP
        }
        Err(payload) => {
            session.panic = Some(payload);
            ctx.trap_code = TrapCode::Runtime as u64;
            status::TRAP
        }
    }
}

/// `call imm` of a helper or a kfunc, from generated code.
///
/// # Safety
/// Called only by generated code, with the context of a live run.
pub(crate) unsafe extern "sysv64" fn helper_call(ctx: *mut RunContext, pc: u64, _value: u64) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe {
        in_session(ctx, pc, |session, ctx| match session.machine.program().insn_at(pc as usize) {
            Some(&Insn::Call(CallTarget::Helper(id))) => session.call_helper(ctx, id),
            Some(&Insn::Call(CallTarget::Kfunc { btf_id, btf_obj })) => session.call_kfunc(ctx, btf_id, btf_obj),
            _ => mismatched_call(pc as usize, "helper"),
        })
    }
}

/// `callx` in the helper-id model, from generated code: `value` is the register.
///
/// # Safety
/// Called only by generated code, with the context of a live run.
pub(crate) unsafe extern "sysv64" fn callx_helper(ctx: *mut RunContext, pc: u64, value: u64) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe {
        in_session(ctx, pc, |session, ctx| match i32::try_from(value) {
            Ok(id) => session.call_helper(ctx, id),
            Err(_) => Err(TrapKind::BadCallxTarget { value, model: CallxModel::HelperId }),
        })
    }
}

/// A legacy packet load, from generated code: `value` is the index register (or 0).
///
/// # Safety
/// Called only by generated code, with the context of a live run.
pub(crate) unsafe extern "sysv64" fn packet_load(ctx: *mut RunContext, pc: u64, value: u64) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe { in_session(ctx, pc, |session, ctx| session.load_packet(ctx, pc as usize, value)) }
}

/// A load or store the region check refused, from generated code: `value` is the value a
/// store writes.
///
/// # Safety
/// Called only by generated code, with the context of a live run.
pub(crate) unsafe extern "sysv64" fn access_fault(ctx: *mut RunContext, pc: u64, value: u64) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe { in_session(ctx, pc, |session, ctx| session.complete_access(ctx, pc as usize, value)) }
}

/// The [`CodeRunner`] a helper called from generated code gets: it runs callbacks in
/// generated code, in frame `depth`, out of the calling run's remaining budget (the
/// interpreter's rules).
struct Callbacks<'m> {
    machine: &'m JitMachine,
    ctx: *mut RunContext,
    depth: usize,
}

impl CodeRunner for Callbacks<'_> {
    fn is_function(&self, address: u64) -> bool {
        self.machine.function_host_address(address).is_some()
    }

    fn call_function(
        &mut self,
        helpers: &mut dyn Helpers,
        memory: &mut Memory,
        function: u64,
        args: &[u64],
    ) -> Result<u64, HelperError> {
        let (Some(pc), Some(host)) = (
            pc_of_code_address(function, self.machine.program().slots()),
            self.machine.function_host_address(function),
        ) else {
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
        memory.set_access(Memory::stack_frame(self.depth), Access::ReadWrite);
        // SAFETY: the context belongs to the run whose helper call is in progress; generated
        // code does not touch it while Rust runs, and it is restored before returning.
        let ctx = unsafe { &mut *self.ctx };
        let outer = *ctx;
        let mut regs = [0u64; Reg::COUNT];
        regs[1..1 + args.len()].copy_from_slice(args);
        ctx.regs = regs;
        ctx.depth = self.depth as u64;
        ctx.base_depth = self.depth as u64;
        ctx.guest_fp = Memory::frame_pointer(self.depth);
        ctx.callx_target = host;
        let mut session = Session::new(self.machine, memory, helpers);
        let result = self.machine.execute(ctx, &mut session, EntryPoint::Callback);
        let left = ctx.budget;
        drop(session);
        *ctx = outer;
        memory.set_access(Memory::stack_frame(self.depth), Access::None);
        match result {
            Ok(outcome) => {
                ctx.budget = left;
                Ok(outcome.r0)
            }
            Err(trap) => {
                // A trap ends the whole run, so the budget left no longer matters.
                ctx.budget = 0;
                Err(HelperError::Callback(Box::new(trap)))
            }
        }
    }
}

/// The interpreter's trap for what generated code reported in `ctx`.
pub(crate) fn decode_trap(ctx: &RunContext, session: &mut Session<'_>) -> Trap {
    let machine = session.machine;
    let pc = ctx.trap_pc as usize;
    let code = ctx.trap_code;
    let kind = match code & 0xff {
        c if c == TrapCode::Memory as u64 => {
            let access = match (code >> 8) & 0xff {
                abi::ACCESS_LOAD => AccessKind::Load,
                abi::ACCESS_STORE => AccessKind::Store,
                _ => AccessKind::Atomic,
            };
            let size = ((code >> 16) & 0xff) as usize;
            TrapKind::Memory(session.memory.fault(access, ctx.trap_value, size))
        }
        c if c == TrapCode::Static as u64 => machine
            .static_trap(pc)
            .cloned()
            .expect("generated code raises static traps only at slots lowering recorded"),
        c if c == TrapCode::Budget as u64 => {
            // The budget covered `trap_value` instructions of the segment starting at pc;
            // the interpreter traps on the next one.
            let mut at = pc;
            for _ in 0..ctx.trap_value {
                at += machine.program().insn_at(at).map_or(1, Insn::slots);
            }
            let budget = machine.config().instruction_budget;
            return Trap { pc: at, kind: TrapKind::BudgetExhausted { budget } };
        }
        c if c == TrapCode::CallDepth as u64 => TrapKind::CallDepthExceeded { max_frames: MAX_FRAMES },
        c if c == TrapCode::BadCallx as u64 => {
            TrapKind::BadCallxTarget { value: ctx.trap_value, model: CallxModel::Address }
        }
        c if c == TrapCode::BadGotox as u64 => TrapKind::BadGotoxTarget { value: ctx.trap_value },
        _ => return session.trap.take().expect("a runtime trap status comes with the trap in the session"),
    };
    Trap { pc, kind }
}
