//! [`JitMachine`]: a program compiled to sealed x86-64 code, run like the interpreter's
//! `Machine` — same memory, same arguments, same helpers, same [`Outcome`] or [`Trap`].

use std::collections::BTreeMap;

use bpfprove_semantics::interp::memory::region_base;
use bpfprove_semantics::interp::{Access, Helpers, MAX_FRAMES, Memory, Outcome, RunConfig, Trap, TrapKind};
use bpfprove_semantics::isa::Reg;
use bpfprove_semantics::program::{JumpTableId, Program, code_address, pc_of_code_address};

use crate::abi::{EntryFn, RunContext, RuntimeFn, status};
use crate::code_memory::ExecutableCode;
use crate::emit::{Emitted, Emitter};
use crate::error::JitError;
use crate::lower::{self, Lowered, RuntimeFns};
use crate::runtime::{self, Session};
use crate::validated::Validated;

/// A compiled program, ready for repeated runs under one [`RunConfig`].
#[derive(Debug)]
pub struct JitMachine {
    program: Program,
    config: RunConfig,
    code: ExecutableCode,
    /// Per slot: host address of the function starting there, else 0.
    call_targets: Vec<u64>,
    /// Per slot: host address of the jump-table target there, else 0.
    gotox_targets: Vec<u64>,
    /// Contents of each jump table's region, as the interpreter lays them out.
    tables: Vec<Vec<u8>>,
    static_traps: BTreeMap<usize, TrapKind>,
    map_indices: Vec<u32>,
    /// Code offset of the callback entry point.
    callback_offset: u32,
    /// Code offset where each instruction's code starts, in slot order (the last entry is
    /// the fell-off sentinel), and where the out-of-line code starts.
    insn_offsets: Vec<(usize, u32)>,
    cold_offset: u32,
}

/// Where generated code is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryPoint {
    /// Slot 0, for a run.
    Program,
    /// The host address in `callx_target`, for a callback a helper runs.
    Callback,
}

/// The addresses of the runtime functions generated code calls.
fn runtime_fns() -> RuntimeFns {
    RuntimeFns {
        helper: runtime::helper_call as RuntimeFn as usize as u64,
        callx_helper: runtime::callx_helper as RuntimeFn as usize as u64,
        packet_load: runtime::packet_load as RuntimeFn as usize as u64,
        access_fault: runtime::access_fault as RuntimeFn as usize as u64,
    }
}

/// Lowers and encodes `program`.
pub(crate) fn compile(program: &Program, config: &RunConfig) -> Result<(Lowered, Emitted), JitError> {
    let lowered = lower::lower(program, config.callx_model, runtime_fns())?;
    let mut emitter = Emitter::new(lowered.label_count, lowered.insts.len() * 5);
    emitter.emit_all(&lowered.insts)?;
    let emitted = emitter.finish()?;
    Ok((lowered, emitted))
}

impl JitMachine {
    /// Compiles the program under `config` (the `callx` model shapes the code; the budget
    /// is read at each run).
    pub fn new(program: Validated<'_>, config: RunConfig) -> Result<JitMachine, JitError> {
        let program = program.program();
        let (lowered, emitted) = compile(program, &config)?;
        let code = ExecutableCode::new(&emitted.code)?;
        let base = code.base() as u64;
        let offset_of = |label: crate::inst::Label| emitted.label_offsets[label.0 as usize];
        let host_of = |slot: usize| -> Result<u64, JitError> {
            let label = lowered.slot_labels[slot].ok_or(JitError::Internal("call or jump target starts no segment"))?;
            Ok(base + u64::from(offset_of(label)))
        };
        let slots = program.slots();
        let mut call_targets = vec![0; slots];
        for function in program.functions() {
            call_targets[function.entry] = host_of(function.entry)?;
        }
        let mut gotox_targets = vec![0; slots];
        let mut tables = Vec::with_capacity(program.jump_tables().len());
        for table in program.jump_tables() {
            let mut bytes = Vec::with_capacity(8 * table.targets.len());
            for &target in &table.targets {
                gotox_targets[target] = host_of(target)?;
                bytes.extend_from_slice(&code_address(target).to_le_bytes());
            }
            tables.push(bytes);
        }
        let insn_offsets = lowered.insn_labels.iter().map(|&(pc, label)| (pc, offset_of(label))).collect();
        Ok(JitMachine {
            program: program.clone(),
            config,
            code,
            call_targets,
            gotox_targets,
            tables,
            static_traps: lowered.static_traps,
            map_indices: lowered.map_indices,
            callback_offset: offset_of(lowered.callback_entry),
            insn_offsets,
            cold_offset: offset_of(lowered.cold_label),
        })
    }

    /// The configuration runs use.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The machine code, read back from its sealed mapping.
    pub fn code(&self) -> &[u8] {
        self.code.bytes()
    }

    /// Host address of the code's first byte (for inspecting the mapping).
    pub fn code_address(&self) -> *const u8 {
        self.code.base()
    }

    /// Where each instruction's code starts (slot, code offset), in slot order; the last
    /// entry is the slot after the program, whose code traps.
    pub fn insn_offsets(&self) -> &[(usize, u32)] {
        &self.insn_offsets
    }

    /// Code offset where the out-of-line code (trap stubs and shared routines) starts.
    pub fn cold_offset(&self) -> u32 {
        self.cold_offset
    }

    /// The map indices the program's `lddw`s name, in map-slot order.
    pub(crate) fn map_indices(&self) -> &[u32] {
        &self.map_indices
    }

    /// The trap a static-trap site at `pc` raises.
    pub(crate) fn static_trap(&self, pc: usize) -> Option<&TrapKind> {
        self.static_traps.get(&pc)
    }

    /// The host address of the function whose guest code address is `address`, if it is one.
    pub(crate) fn function_host_address(&self, address: u64) -> Option<u64> {
        let pc = pc_of_code_address(address, self.call_targets.len())?;
        Some(self.call_targets[pc]).filter(|&host| host != 0)
    }

    /// A fresh memory laid out as the interpreter's `Machine::new_memory` lays it out:
    /// stack frames, then jump tables, ready for the caller's regions.
    pub fn new_memory(&self) -> Result<Memory, Trap> {
        let mut memory = Memory::new();
        memory.install_jump_tables(&self.tables).map_err(|error| Trap { pc: 0, kind: error.into() })?;
        Ok(memory)
    }

    /// Runs the program from slot 0 with `r1`, `r2`, ... set to `args` (at most five),
    /// exactly as the interpreter's `Machine::run` does: same memory layout and faults,
    /// same helper calls and callbacks, same budget, same result.
    ///
    /// Two differences remain: the interpreter traps when an instruction reads a register
    /// that holds no defined value; the JIT reads the value the interpreter's register file
    /// would hold (0 at entry, the clobber value after a call). And the JIT does not track
    /// stack writes, so it always runs as in `UninitialisedStack::Arbitrary` mode: a read
    /// of uninitialised stack yields the bytes the frame holds. Verified programs do neither.
    /// The JIT also assumes helpers leave the access rights of active stack frames alone.
    pub fn run(&self, memory: &mut Memory, args: &[u64], helpers: &mut dyn Helpers) -> Result<Outcome, Trap> {
        if args.len() > 5 {
            return Err(Trap { pc: 0, kind: TrapKind::TooManyArguments { count: args.len() } });
        }
        memory.install_jump_tables(&self.tables).map_err(|error| Trap { pc: 0, kind: error.into() })?;
        // Generated code stores to the stack without bookkeeping, so helpers must not check it.
        memory.track_stack_writes(false);
        for frame in 0..MAX_FRAMES {
            let access = if frame == 0 { Access::ReadWrite } else { Access::None };
            memory.set_access(Memory::stack_frame(frame), access);
        }
        let table_addresses: Vec<u64> = (0..self.tables.len())
            .map(|index| memory.jump_table(JumpTableId(index as u32)).map_or(0, region_base))
            .collect();
        let mut regs = [0u64; Reg::COUNT];
        regs[1..1 + args.len()].copy_from_slice(args);
        let mut ctx = RunContext {
            table: std::ptr::null(),
            entries: 0,
            host_fp: 0,
            guest_fp: Memory::frame_pointer(0),
            depth: 0,
            base_depth: 0,
            saved_rsp: 0,
            scratch_rsp: 0,
            callx_target: 0,
            budget: self.config.instruction_budget,
            regs,
            trap_code: 0,
            trap_pc: 0,
            trap_value: 0,
            call_targets: self.call_targets.as_ptr(),
            gotox_targets: self.gotox_targets.as_ptr(),
            table_addresses: table_addresses.as_ptr(),
            map_slots: std::ptr::null(),
            session: std::ptr::null_mut(),
        };
        let mut session = Session::new(self, memory, helpers);
        self.execute(&mut ctx, &mut session, EntryPoint::Program)
    }

    /// Enters generated code at `entry` with `ctx` set up (frame, registers, budget), and
    /// returns what the interpreter would: the outcome of the (possibly nested) run or its
    /// trap. `memory` of `session` receives the frames' final access rights.
    pub(crate) fn execute(
        &self,
        ctx: &mut RunContext,
        session: &mut Session<'_>,
        entry: EntryPoint,
    ) -> Result<Outcome, Trap> {
        session.refresh(ctx);
        ctx.session = (session as *mut Session<'_>).cast();
        let allowed = ctx.budget;
        let offset = match entry {
            EntryPoint::Program => 0,
            EntryPoint::Callback => self.callback_offset as usize,
        };
        // SAFETY: the code was generated by `lower` for this program and sealed read-execute;
        // both entry points follow the `EntryFn` ABI. The context, session, tables and memory
        // it reaches outlive the call, and nothing else touches them during it.
        let result = unsafe {
            let entry: EntryFn = std::mem::transmute(self.code.base().add(offset));
            entry(ctx)
        };
        if let Some(payload) = session.panic.take() {
            std::panic::resume_unwind(payload);
        }
        session.frames_to_memory();
        if result == status::CONTINUE {
            let mut registers = ctx.regs;
            registers[Reg::R10.index()] = ctx.guest_fp;
            return Ok(Outcome { r0: registers[0], instructions: allowed - ctx.budget, registers });
        }
        Err(runtime::decode_trap(ctx, session))
    }
}

/// Runs `program` (unverified: `differential-testing` only) through the JIT on one
/// read-write memory region, exactly as the
/// interpreter's `interp::run_on_memory` does (bpf_conformance's contract: `r1` holds the
/// region's address, `r2` its length; the region is also the packet). `memory` receives
/// the region's final contents, even after a trap.
#[cfg(feature = "differential-testing")]
pub fn run_on_memory(
    program: &Program,
    memory: &mut [u8],
    config: &RunConfig,
    helpers: &mut dyn Helpers,
) -> Result<Result<Outcome, Trap>, JitError> {
    let machine = JitMachine::new(Validated::unverified(program), config.clone())?;
    let mut machine_memory = match machine.new_memory() {
        Ok(memory) => memory,
        Err(trap) => return Ok(Err(trap)),
    };
    let input = match machine_memory.add_region(
        bpfprove_semantics::interp::RegionKind::Context,
        memory.to_vec(),
        Access::ReadWrite,
    ) {
        Ok(input) => input,
        Err(error) => return Ok(Err(Trap { pc: 0, kind: error.into() })),
    };
    machine_memory.set_packet(input);
    let args = [region_base(input), memory.len() as u64];
    let result = machine.run(&mut machine_memory, &args, helpers);
    if let Some(region) = machine_memory.region(input) {
        memory.copy_from_slice(region.bytes());
    }
    Ok(result)
}

/// The JIT as a `conformance::Engine`: [`run_on_memory`] with the suite's helpers,
/// returning `r0`, or the trap (or compile error) as text.
#[cfg(feature = "differential-testing")]
pub fn conformance_engine(program: &Program, memory: &mut [u8], config: &RunConfig) -> Result<u64, String> {
    match run_on_memory(program, memory, config, &mut bpfprove_semantics::interp::DefaultHelpers) {
        Ok(Ok(outcome)) => Ok(outcome.r0),
        Ok(Err(trap)) => Err(trap.to_string()),
        Err(error) => Err(format!("JIT: {error}")),
    }
}
