//! The reference interpreter: the oracle every other reading of the semantics (analyzer,
//! JIT) is checked against.
//!
//! What each instruction computes comes from [`crate::alu`] over `u64`; this module adds
//! only the machine around it:
//!
//! - [`memory`]: regions in a 64-bit address space, every access bounds-checked, faults
//!   naming region, offset and size;
//! - [`helpers`]: helper and kfunc calls behind the [`Helpers`] trait;
//! - [`Machine`]: a program prepared for repeated runs, and its execution loop;
//! - [`Trap`]: every abnormal end, typed;
//! - for programs of ELF objects: [`context`] (program types chosen from section names, and
//!   their contexts), [`maps`] (map handles and values), [`kernel_helpers`] (Linux's helpers
//!   and a few kfuncs, deterministic) and [`elf_run`], which puts them together.
//!
//! Machine rules beyond the ISA, which the JIT must match:
//! - `r10` is read-only: an instruction that would write it traps
//!   ([`TrapKind::WriteToFramePointer`]).
//! - Each call frame has its own 512-byte stack region; `r10` points one past its end.
//!   Reading stack bytes not written since the frame was entered traps, unless the run's
//!   [`UninitialisedStack`] mode allows it (the JIT runs as in the permissive mode).
//!   `call` (local or `callx`) saves `r6`–`r9`, at most [`MAX_FRAMES`] frames are active,
//!   and a returned frame's stack is inaccessible.
//! - After a helper or kfunc call, and after a legacy packet load, `r1`–`r5` hold
//!   [`helpers::CLOBBERED`].
//! - A kfunc `call` goes to the run's helper set by BTF id ([`Helpers::call_kfunc`]); a set
//!   that provides no kfunc of that id makes it trap ([`TrapKind::UnsupportedKfunc`]).
//! - Legacy `ld_abs`/`ld_ind` read big-endian from the packet region; when the bytes are
//!   not all inside it (or the offset is negative) the current function ends with
//!   `r0 = 0`, as in Linux: a subprogram returns 0 to its caller, the entry function ends
//!   the program.
//! - `callx` follows the run's [`CallxModel`]; `gotox` must name a jump-table entry of the
//!   current function. A jump table's `lddw` yields the base of a read-only region of
//!   8-byte code addresses ([`crate::program::code_address`]).
//! - The instruction budget bounds every run: the instruction after the last one it allows
//!   traps ([`TrapKind::BudgetExhausted`]).
//! - `lddw` kinds `MapIdx`/`MapIdxValue` load what the memory binds to the map index
//!   ([`memory::MapBinding`]: a map handle, which is an address in no region, or the address
//!   of the map's first value plus the offset); an unbound index traps
//!   ([`TrapKind::UnsupportedLddw`]).
//! - A load or store the memory refuses is offered to the run's virtual context
//!   ([`context::load`]/[`context::store`]) before it traps: packet contexts (`xdp_md`,
//!   `__sk_buff`) are inaccessible regions whose fields only that cold path reads, so a
//!   32-bit load of `data`/`data_end` yields a 64-bit packet address.
//! - Arenas ([`arena`]): `addr_space_cast(r, 0, 1)` makes an arena pointer, and the
//!   machine keeps, per register, whether it holds one, as the verifier's types do; ALU
//!   operations on one are 32-bit, loads and stores through one are the kernel's
//!   faulting-safe `PROBE_MEM32` accesses of the arena (a page not allocated reads 0 and
//!   ignores stores).
//! - A helper may run program code ([`CodeRunner`], for `bpf_loop`): the callee runs in the
//!   frame above the caller's, out of the same instruction budget; a trap inside it ends the
//!   run as [`HelperError::Callback`] of the calling helper.
//!
//! [`run_on_memory`] is the bpf_conformance entry point. For anything else, prepare a
//! [`Machine`] once and give each run a [`Memory`] with the regions it needs:
//!
//! ```
//! use bpfprove_semantics::interp::{self, Access, CallxModel, Machine, RegionKind, RunConfig};
//! use bpfprove_semantics::isa::{self, Insn, PacketAddr, Reg, Size};
//! use bpfprove_semantics::program::{Program, ProgramParts};
//!
//! // r0 = *(u32 *)(ctx + 0) + packet[1] (a legacy big-endian byte load).
//! let program = Program::new(
//!     vec![
//!         Insn::Load { size: Size::W, signed: false, dst: Reg::R6, src: Reg::R1, off: 0 },
//!         Insn::LoadPacket { size: Size::B, addr: PacketAddr::Abs, imm: 1 },
//!         Insn::Alu {
//!             width: isa::Width::W64,
//!             op: isa::BinOp::Add,
//!             dst: Reg::R0,
//!             src: isa::Operand::Reg(Reg::R6),
//!         },
//!         Insn::Exit,
//!     ],
//!     ProgramParts::default(),
//! )?;
//! let machine = Machine::new(&program, RunConfig::new(CallxModel::Address, 1_000));
//! let mut memory = machine.new_memory()?;
//! let ctx = memory.add_region(RegionKind::Context, 40u32.to_le_bytes().to_vec(), Access::ReadOnly)?;
//! let packet = memory.add_region(RegionKind::Packet, vec![0xaa, 2, 0xbb], Access::ReadWrite)?;
//! memory.set_packet(packet);
//! let args = [interp::memory::region_base(ctx)];
//! let outcome = machine.run(&mut memory, &args, &mut interp::DefaultHelpers)?;
//! assert_eq!(outcome.r0, 42);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod arena;
mod arena_step;
pub mod context;
pub use crate::model::availability;
pub mod elf_run;
pub mod helpers;
pub mod iter_context;
pub mod kernel_helpers;
mod machine;
pub mod maps;
pub mod memory;
mod printk;
mod trap;

#[cfg(test)]
mod tests;

pub use helpers::{CodeRunner, DefaultHelpers, HelperError, HelperResult, Helpers, KfuncError};
pub use kernel_helpers::KernelHelpers;
pub use machine::Machine;
pub use memory::{Access, MAX_FRAMES, Memory, MemoryFault, RegionId, RegionKind, STACK_FRAME_BYTES};
pub use trap::{Trap, TrapKind};

use crate::isa::Reg;
use crate::program::Program;

/// How `callx` finds its target; chosen per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallxModel {
    /// The register holds the code address of a local function entry (clang ≥ 19, gcc);
    /// anything else traps.
    Address,
    /// The register holds a helper id, called like `call imm` (PREVAIL, bpf_conformance).
    HelperId,
}

impl std::fmt::Display for CallxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CallxModel::Address => "address",
            CallxModel::HelperId => "helper-id",
        })
    }
}

/// What a load (or atomic, or helper read) of stack bytes the program has not written in
/// the current activation of their frame does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UninitialisedStack {
    /// It traps with [`memory::FaultReason::Uninitialised`]: the kernel's verifier refuses
    /// such reads, so the oracle must not give them a value. The default.
    Trap,
    /// It yields the bytes the frame holds ([`memory::STACK_FILL`], or what an earlier
    /// call left there): an arbitrary value, as the kernel lets privileged programs read
    /// uninitialised stack (`allow_uninit_stack`). For suites written against engines that
    /// allow it (bpf_conformance) and for comparing with the JIT, which does not track
    /// stack writes.
    Arbitrary,
}

/// The knobs of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// How `callx` finds its target.
    pub callx_model: CallxModel,
    /// Most instructions a run may execute; the next one traps.
    pub instruction_budget: u64,
    /// When a run still going traps as if its budget had run out (checked every
    /// [`DEADLINE_STRIDE`] instructions): a helper may copy megabytes per instruction, so
    /// the budget alone does not bound a run's time.
    pub deadline: Option<std::time::Instant>,
    /// What reads of uninitialised stack do.
    pub uninitialised_stack: UninitialisedStack,
    /// How many times `may_goto` falls through in one function call before it jumps (the
    /// kernel sets each function's counter in its prologue).
    pub may_goto_budget: u64,
}

/// The `may_goto` budget the kernel gives a program (`BPF_MAX_LOOPS`, 8 Mi iterations).
pub const MAY_GOTO_BUDGET: u64 = 8 * 1024 * 1024;

/// Instructions between two looks at the clock when a run has a deadline.
pub const DEADLINE_STRIDE: u64 = 1024;

impl RunConfig {
    /// A configuration with the given `callx` model and instruction budget, no deadline,
    /// reads of uninitialised stack that trap, and the kernel's `may_goto` budget.
    pub fn new(callx_model: CallxModel, instruction_budget: u64) -> RunConfig {
        RunConfig {
            callx_model,
            instruction_budget,
            deadline: None,
            uninitialised_stack: UninitialisedStack::Trap,
            may_goto_budget: MAY_GOTO_BUDGET,
        }
    }

    /// The same configuration with `may_goto` falling through `budget` times per call.
    pub fn with_may_goto_budget(self, budget: u64) -> RunConfig {
        RunConfig { may_goto_budget: budget, ..self }
    }

    /// The same configuration with `deadline`.
    pub fn with_deadline(self, deadline: Option<std::time::Instant>) -> RunConfig {
        RunConfig { deadline, ..self }
    }

    /// This configuration with reads of uninitialised stack doing `mode`.
    pub fn with_uninitialised_stack(self, mode: UninitialisedStack) -> RunConfig {
        RunConfig { uninitialised_stack: mode, ..self }
    }

    /// This configuration for a program loaded with `privilege`: reads of uninitialised
    /// stack give the stack's bytes for a privileged loader and trap for an unprivileged one
    /// ([`crate::model::privilege::Privilege::uninitialised_stack`]).
    pub fn with_privilege(self, privilege: crate::model::privilege::Privilege) -> RunConfig {
        self.with_uninitialised_stack(privilege.uninitialised_stack())
    }
}

/// How a run that did not trap ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The program's return value.
    pub r0: u64,
    /// Instructions executed (an `lddw` counts once).
    pub instructions: u64,
    /// `r0`–`r10` at the end (of the outermost frame, or of the frame that ended the
    /// program through a helper or a missed legacy packet load).
    pub registers: [u64; Reg::COUNT],
}

/// Runs `program` on one read-write memory region, as bpf_conformance does: `r1` holds
/// the region's address and `r2` its length. The region is also the packet that legacy
/// packet loads read. `memory` receives the region's final contents, even after a trap.
pub fn run_on_memory(
    program: &Program,
    memory: &mut [u8],
    config: &RunConfig,
    helpers: &mut dyn Helpers,
) -> Result<Outcome, Trap> {
    let machine = Machine::new(program, config.clone());
    let mut machine_memory = machine.new_memory()?;
    let input = machine_memory
        .add_region(RegionKind::Context, memory.to_vec(), Access::ReadWrite)
        .map_err(|error| Trap { pc: 0, kind: error.into() })?;
    machine_memory.set_packet(input);
    let args = [memory::region_base(input), memory.len() as u64];
    let result = machine.run(&mut machine_memory, &args, helpers);
    if let Some(region) = machine_memory.region(input) {
        memory.copy_from_slice(region.bytes());
    }
    result
}
