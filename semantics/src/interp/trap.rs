//! Why a run stopped abnormally: [`Trap`] names the pc and a typed [`TrapKind`].
//!
//! A trap is the interpreter's verdict that the program did something the machine model
//! forbids. For a program the analyzer accepted, any trap is a verifier soundness bug, so
//! every kind carries enough data (region, offset, size, offending value) to explain it.

use thiserror::Error;

use super::CallxModel;
use super::helpers::HelperError;
use super::memory::MemoryFault;
use crate::isa::{LddwKind, Reg};

/// An abnormal end of a run at slot `pc`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("pc {pc}: {kind}")]
pub struct Trap {
    /// Slot of the instruction that trapped (the slot count for falling off the end).
    pub pc: usize,
    /// What went wrong.
    pub kind: TrapKind,
}

/// The kinds of trap.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TrapKind {
    /// A load, store or atomic access outside every accessible region, or not allowed on
    /// the region it falls in.
    #[error(transparent)]
    Memory(#[from] MemoryFault),
    /// An instruction reads a register that holds no defined value: never written in this
    /// frame, or left undefined by a call (`r1`–`r5`).
    #[error("read of uninitialised register {reg}")]
    UninitialisedRegister {
        /// The register.
        reg: Reg,
    },
    /// A run was given more than five argument registers.
    #[error("{count} arguments given; a program takes at most five (r1-r5)")]
    TooManyArguments {
        /// How many were given.
        count: usize,
    },
    /// An `addr_space_cast` or an arena access in a run whose program has no arena (Linux
    /// refuses the cast in such a program).
    #[error("addr_space_cast or arena access without an arena")]
    NoArena,
    /// A sign-extending load through an arena pointer, which Linux refuses.
    #[error("sign-extending load from the arena (Linux refuses it)")]
    ArenaSignExtendingLoad,
    /// An atomic operation through an arena pointer, which the model does not run.
    #[error("atomic operation on the arena (not modelled)")]
    ArenaAtomic,
    /// An instruction would write `r10`, the read-only frame pointer.
    #[error("write to the read-only frame pointer r10")]
    WriteToFramePointer,
    /// More instructions would run than the budget allows.
    #[error("instruction budget of {budget} exhausted")]
    BudgetExhausted {
        /// The budget of the run.
        budget: u64,
    },
    /// Execution ran past the last slot without an `exit`.
    #[error("execution fell off the end of the program")]
    FellOffEnd,
    /// Control reached the second slot of an `lddw` (the program model rules this out; the
    /// trap exists so the interpreter never panics).
    #[error("execution reached the second slot of an lddw")]
    InsideLddw,
    /// A bpf-to-bpf call would exceed the frame limit.
    #[error("call depth exceeds {max_frames} frames")]
    CallDepthExceeded {
        /// The frame limit (8, as in Linux).
        max_frames: usize,
    },
    /// `callx` through a value that is not a valid target under the run's model.
    #[error("callx target {value:#x} is not valid in the {model} model")]
    BadCallxTarget {
        /// The register's value.
        value: u64,
        /// The model the run used.
        model: CallxModel,
    },
    /// `gotox` through a value that is not a jump-table entry of the current function.
    #[error("gotox target {value:#x} is not a jump-table entry of the current function")]
    BadGotoxTarget {
        /// The register's value.
        value: u64,
    },
    /// A helper number the run's helper set does not provide.
    #[error("unknown helper {id}")]
    UnknownHelper {
        /// The helper number.
        id: i32,
    },
    /// A helper rejected its arguments or faulted.
    #[error("helper {id} failed: {error}")]
    HelperFailed {
        /// The helper number.
        id: i32,
        /// Why.
        error: HelperError,
    },
    /// A kfunc call by a BTF id the run does not know: a run without kfuncs (plain
    /// bytecode), or a call whose id no extern of the object names.
    #[error("no kfunc has btf id {btf_id} (object {btf_obj}) in this run")]
    UnsupportedKfunc {
        /// BTF id of the function.
        btf_id: i32,
        /// BTF object index.
        btf_obj: i16,
    },
    /// The program returned a value its program type does not allow
    /// ([`super::context::ProgramType::return_range`]). Judged once the whole program has
    /// returned, so the trap names the slot after the program's last one.
    #[error("returned {value:#x}, outside the program type's range [{min}, {max}]")]
    ReturnOutOfRange {
        /// `r0` at the end.
        value: u64,
        /// Least value allowed (signed).
        min: i64,
        /// Greatest value allowed (signed).
        max: i64,
    },
    /// The program exited holding a `bpf_spin_lock` (which the kernel's verifier refuses).
    /// Judged once the whole program has returned, so the trap names the slot after the
    /// program's last one.
    #[error("exited holding a bpf_spin_lock")]
    SpinLockHeldAtExit,
    /// A call of a kfunc the run knows by name but does not implement.
    #[error("unknown kfunc `{name}` (btf id {btf_id})")]
    UnknownKfunc {
        /// BTF id in the `call` (program-local for objects; see `elf::LoadedProgram::kfuncs`).
        btf_id: i32,
        /// The kfunc's name.
        name: String,
    },
    /// A kfunc rejected its arguments or faulted.
    #[error("kfunc `{name}` (btf id {btf_id}) failed: {error}")]
    KfuncFailed {
        /// BTF id in the `call`.
        btf_id: i32,
        /// The kfunc's name.
        name: String,
        /// Why.
        error: HelperError,
    },
    /// An `lddw` whose kind needs objects (maps, BTF variables) the run does not provide.
    #[error("lddw of kind {kind:?} is not supported by this run")]
    UnsupportedLddw {
        /// The `lddw` kind.
        kind: LddwKind,
    },
    /// A legacy packet load in a run that has no packet region.
    #[error("legacy packet load without a packet region")]
    NoPacket,
    /// A legacy packet load the kernel refuses: in a program type without it, or with r6
    /// not the context.
    #[error("legacy packet load refused: {why}")]
    LegacyPacketLoadRefused {
        /// Which rule it breaks.
        why: &'static str,
    },
    /// The run's memory could not be set up.
    #[error("memory setup failed: {0}")]
    Setup(#[from] super::memory::MemoryError),
}
