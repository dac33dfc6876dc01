//! The contract between generated code and the Rust runtime: which host register holds
//! which eBPF register, the layout of the [`RunContext`] the code reads through `r14`, the
//! region table it bounds-checks against, and the codes it reports traps with.
//!
//! Register assignment. `r0`–`r5` live in caller-saved host registers, because a helper
//! call clobbers them anyway; `r6`–`r9` live in callee-saved ones, so they survive calls
//! into Rust. `r10` lives in the context ([`RunContext::guest_fp`]): it changes only at
//! bpf-to-bpf calls and returns, and freeing its register leaves room for the context
//! pointer (`r14`) and the instruction budget (`r15`). `rax`, `rcx` and `rdx` are scratch.
//!
//! Guest addresses are the interpreter's: region `i` starts at `(i + 1) << 32`
//! ([`bpfprove_semantics::interp::memory::region_base`]). Generated code maps an address to
//! table index `(address + 2^31) >> 32` (region `i` is entry `i + 1`) and to the offset
//! its low 32 bits give, then checks offset and size against that [`RegionEntry`]: the
//! same decision `interp::Memory` makes for every access, so both fault on the same
//! accesses, and the fault itself is then described by `Memory`.

use std::mem::offset_of;

use bpfprove_semantics::isa::Reg;

use crate::inst::{Gpr, Mem};

/// The context pointer.
pub(crate) const CTX: Gpr = Gpr::R14;
/// Instructions left in the budget.
pub(crate) const BUDGET: Gpr = Gpr::R15;

/// Host register of each eBPF register `r0`..=`r9`.
pub(crate) const HOST: [Gpr; 10] =
    [Gpr::Rsi, Gpr::Rdi, Gpr::R8, Gpr::R9, Gpr::R10, Gpr::R11, Gpr::Rbx, Gpr::Rbp, Gpr::R12, Gpr::R13];

/// Host registers a bpf-to-bpf call saves (`r6`–`r9`).
pub(crate) const CALLEE_SAVED: [Gpr; 4] = [Gpr::Rbx, Gpr::Rbp, Gpr::R12, Gpr::R13];

/// Host registers of `r0`–`r5`, which a call into Rust clobbers.
pub(crate) const CALLER_SAVED: [Gpr; 6] = [Gpr::Rsi, Gpr::Rdi, Gpr::R8, Gpr::R9, Gpr::R10, Gpr::R11];

/// The host register of `reg`, or `None` for `r10`.
pub(crate) fn host(reg: Reg) -> Option<Gpr> {
    HOST.get(reg.index()).copied()
}

/// One region as generated code sees it: where its bytes are and how many bytes a load or
/// a store may touch (0 when the access is not allowed at all).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RegionEntry {
    /// Host address of the region's first byte.
    pub host: u64,
    /// Bytes loads may read: the length, or 0 when the region is inaccessible.
    pub read_len: u64,
    /// Bytes stores and atomics may write: the length when read-write, else 0.
    pub write_len: u64,
    /// Keeps the entry 32 bytes, so an index scales by a shift.
    pub _pad: u64,
}

/// log2 of the size of a [`RegionEntry`].
pub(crate) const ENTRY_SHIFT: u8 = 5;
const _: () = assert!(size_of::<RegionEntry>() == 1 << ENTRY_SHIFT);

/// Offset of [`RegionEntry::host`].
pub(crate) const ENTRY_HOST: i32 = offset_of!(RegionEntry, host) as i32;
/// Offset of [`RegionEntry::read_len`].
pub(crate) const ENTRY_READ_LEN: i32 = offset_of!(RegionEntry, read_len) as i32;
/// Offset of [`RegionEntry::write_len`].
pub(crate) const ENTRY_WRITE_LEN: i32 = offset_of!(RegionEntry, write_len) as i32;

/// Everything generated code reads or writes besides registers and guest memory.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunContext {
    /// The region table: entry `i + 1` describes region `i`; entry 0 covers the addresses
    /// around null and allows nothing.
    pub table: *const RegionEntry,
    /// Entries in the table.
    pub entries: u64,
    /// Host address one past the current stack frame (where `r10` points).
    pub host_fp: u64,
    /// `r10`.
    pub guest_fp: u64,
    /// Current frame (0 is the outermost).
    pub depth: u64,
    /// The frame whose `exit` ends this (possibly nested) run: 0, or a callback's frame.
    pub base_depth: u64,
    /// `rsp` after the prologue, restored by every exit.
    pub saved_rsp: u64,
    /// `rsp` around calls into Rust, which realign the stack.
    pub scratch_rsp: u64,
    /// Host address a `callx` is about to call.
    pub callx_target: u64,
    /// Instructions left: in at entry, out at exit.
    pub budget: u64,
    /// `r0`–`r10`: the arguments in, the final registers out, and `r0`–`r5` across calls
    /// into Rust.
    pub regs: [u64; Reg::COUNT],
    /// A [`TrapCode`] (plus access kind and size for memory faults) when the code trapped.
    pub trap_code: u64,
    /// Slot of the trapping instruction (the segment start for budget traps).
    pub trap_pc: u64,
    /// The faulting address, the bad call/jump target, or the budget left.
    pub trap_value: u64,
    /// Per slot: host address of a function entry (`callx` targets), else 0.
    pub call_targets: *const u64,
    /// Per slot: host address of a jump-table target (`gotox` targets), else 0.
    pub gotox_targets: *const u64,
    /// Guest address of each jump table's region.
    pub table_addresses: *const u64,
    /// Per map an `lddw` names (in `Lowered::map_indices` order), a [`MapSlot`].
    pub map_slots: *const MapSlot,
    /// The Rust side of the run ([`crate::runtime`]'s session).
    pub session: *mut u8,
}

/// What the `lddw`s naming one map load, copied from `Memory::map_binding` at the start of
/// a run and after every call into Rust (the only code that can rebind a map).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MapSlot {
    /// 1 if the map is bound.
    pub bound: u64,
    /// Its handle (`lddw` kind `MapIdx`).
    pub handle: u64,
    /// 1 if it has a value region.
    pub has_value: u64,
    /// Guest address of its value region (kind `MapIdxValue` adds the offset).
    pub value: u64,
}

/// log2 of the size of a [`MapSlot`].
pub(crate) const MAP_SLOT_SHIFT: u32 = 5;
const _: () = assert!(size_of::<MapSlot>() == 1 << MAP_SLOT_SHIFT);
/// Offset of [`MapSlot::bound`].
pub(crate) const MAP_SLOT_BOUND: i32 = offset_of!(MapSlot, bound) as i32;
/// Offset of [`MapSlot::handle`].
pub(crate) const MAP_SLOT_HANDLE: i32 = offset_of!(MapSlot, handle) as i32;
/// Offset of [`MapSlot::has_value`].
pub(crate) const MAP_SLOT_HAS_VALUE: i32 = offset_of!(MapSlot, has_value) as i32;
/// Offset of [`MapSlot::value`].
pub(crate) const MAP_SLOT_VALUE: i32 = offset_of!(MapSlot, value) as i32;

/// A memory operand naming a context field at byte offset `offset`.
pub(crate) const fn ctx_field(offset: usize) -> Mem {
    Mem::at(CTX, offset as i32)
}

/// Offsets of the context fields generated code uses.
pub(crate) mod field {
    use super::*;

    /// [`RunContext::table`].
    pub const TABLE: usize = offset_of!(RunContext, table);
    /// [`RunContext::entries`].
    pub const ENTRIES: usize = offset_of!(RunContext, entries);
    /// [`RunContext::host_fp`].
    pub const HOST_FP: usize = offset_of!(RunContext, host_fp);
    /// [`RunContext::guest_fp`].
    pub const GUEST_FP: usize = offset_of!(RunContext, guest_fp);
    /// [`RunContext::depth`].
    pub const DEPTH: usize = offset_of!(RunContext, depth);
    /// [`RunContext::base_depth`].
    pub const BASE_DEPTH: usize = offset_of!(RunContext, base_depth);
    /// [`RunContext::saved_rsp`].
    pub const SAVED_RSP: usize = offset_of!(RunContext, saved_rsp);
    /// [`RunContext::scratch_rsp`].
    pub const SCRATCH_RSP: usize = offset_of!(RunContext, scratch_rsp);
    /// [`RunContext::callx_target`].
    pub const CALLX_TARGET: usize = offset_of!(RunContext, callx_target);
    /// [`RunContext::budget`].
    pub const BUDGET: usize = offset_of!(RunContext, budget);
    /// [`RunContext::regs`].
    pub const REGS: usize = offset_of!(RunContext, regs);
    /// [`RunContext::trap_code`].
    pub const TRAP_CODE: usize = offset_of!(RunContext, trap_code);
    /// [`RunContext::trap_pc`].
    pub const TRAP_PC: usize = offset_of!(RunContext, trap_pc);
    /// [`RunContext::trap_value`].
    pub const TRAP_VALUE: usize = offset_of!(RunContext, trap_value);
    /// [`RunContext::call_targets`].
    pub const CALL_TARGETS: usize = offset_of!(RunContext, call_targets);
    /// [`RunContext::gotox_targets`].
    pub const GOTOX_TARGETS: usize = offset_of!(RunContext, gotox_targets);
    /// [`RunContext::table_addresses`].
    pub const TABLE_ADDRESSES: usize = offset_of!(RunContext, table_addresses);
    /// [`RunContext::map_slots`].
    pub const MAP_SLOTS: usize = offset_of!(RunContext, map_slots);

    /// The saved slot of register `index` in [`RunContext::regs`].
    pub const fn reg(index: usize) -> usize {
        REGS + 8 * index
    }
}

/// How generated code says why it stopped; stored in the low byte of
/// [`RunContext::trap_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum TrapCode {
    /// An atomic failed its bounds or access check (loads and stores go to the runtime,
    /// which may complete them in a virtual context). Bits 8–15 hold the access kind
    /// ([`ACCESS_ATOMIC`]), bits 16–23 the size; the value is the address.
    Memory = 1,
    /// An instruction whose trap is known at compile time (e.g. a write to `r10`).
    Static = 2,
    /// The budget ran out in the segment starting at the pc; the value is what was left
    /// on entering it.
    Budget = 3,
    /// A call would exceed the frame limit.
    CallDepth = 4,
    /// `callx` through a value that is no function entry; the value is the register.
    BadCallx = 5,
    /// `gotox` through a value that is no jump-table entry of the current function.
    BadGotox = 6,
    /// A call into Rust stored a complete trap in the session.
    Runtime = 7,
}

/// Access kind of a [`TrapCode::Memory`]: a load.
pub(crate) const ACCESS_LOAD: u64 = 0;
/// Access kind of a [`TrapCode::Memory`]: a store.
pub(crate) const ACCESS_STORE: u64 = 1;
/// Access kind of a [`TrapCode::Memory`]: an atomic.
pub(crate) const ACCESS_ATOMIC: u64 = 2;

/// What a call into Rust returns to generated code.
pub(crate) mod status {
    /// Continue after the call.
    pub const CONTINUE: u64 = 0;
    /// End the program normally with the registers in the context.
    pub const EXIT: u64 = 1;
    /// End the program with the trap stored in the session.
    pub const TRAP: u64 = 2;
    /// Return from the current function (ending the program in its base frame) with the
    /// registers in the context: a legacy packet load that missed.
    pub const RETURN: u64 = 3;
}

/// The signature of a call from generated code into Rust: the context, the slot of the
/// calling instruction, and one value (a register's content, or 0). `r0`–`r5` and the
/// budget are in the context during the call.
pub(crate) type RuntimeFn = unsafe extern "sysv64" fn(*mut RunContext, u64, u64) -> u64;

/// The signature of the compiled program's entry point.
pub(crate) type EntryFn = unsafe extern "sysv64" fn(*mut RunContext) -> u64;

/// Distance between the guest addresses of consecutive regions (and so of consecutive
/// stack frames' `r10`).
pub(crate) const REGION_STRIDE: u64 = 1 << 32;
