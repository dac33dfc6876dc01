//! Helper functions (`call imm`, and `callx` in the helper-id model) and kernel functions
//! (kfunc `call`s, by BTF id) behind a trait, so a run chooses which helpers and kfuncs
//! exist and what they do. The interpreter and the JIT both call through [`Helpers`], so
//! they agree on every helper and kfunc by construction.
//!
//! After any helper or kfunc call the interpreter sets `r1`–`r5` to [`CLOBBERED`]: the ABI
//! makes them caller-saved, and a fixed poison value makes a program that reads them anyway
//! behave the same in the interpreter and the JIT.

use thiserror::Error;

use super::memory::{Memory, MemoryError, MemoryFault};
use super::trap::{Trap, TrapKind};

/// The value of `r1`–`r5` after a helper call (and after a legacy packet load, which
/// Linux implements as a helper call).
pub const CLOBBERED: u64 = 0xdead_beef_0bad_f00d;

/// The suite's "unwind" helper (bpf_conformance `call 5`).
pub const UNWIND_HELPER: i32 = 5;

/// What a helper call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelperResult {
    /// It returned this value in `r0`; the program continues.
    Return(u64),
    /// It ended the whole program at once with this `r0`.
    Exit(u64),
}

/// Why a helper call failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HelperError {
    /// No helper has this number.
    #[error("unknown helper")]
    Unknown,
    /// The helper (or kfunc) exists, but the kernel does not offer it to this program type
    /// ([`super::availability`]).
    #[error("not available to {program_type} programs")]
    NotAvailable {
        /// The calling program's type.
        program_type: super::context::ProgramType,
    },
    /// The helper touched memory it may not.
    #[error(transparent)]
    Memory(#[from] MemoryFault),
    /// An argument is not acceptable.
    #[error("argument r{register} = {value:#x} is invalid: {reason}")]
    InvalidArgument {
        /// Argument register, 1..=5.
        register: u8,
        /// Its value.
        value: u64,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// Program code the helper ran (a `bpf_loop` callback) trapped.
    #[error("callback trapped at {0}")]
    Callback(Box<Trap>),
    /// The helper needed a new memory region and the memory has no room for it.
    #[error(transparent)]
    Setup(#[from] MemoryError),
    /// Not a failure: `tail_call` found a program in its slot, so the running program ends
    /// here and the runner of the object starts that one on `context` (see
    /// [`super::elf_run::ObjectRunner`]). Only a runner that knows the object's programs
    /// can continue; any other caller sees the run stop at the call.
    #[error("tail call to program {program} of the object")]
    TailCall {
        /// The target, an index in [`crate::elf::Object::programs`].
        program: usize,
        /// The context argument (`r1`) the target starts with.
        context: u64,
    },
    /// A tail call the model cannot make faithfully (the reason says why).
    #[error("tail call not modelled: {0}")]
    TailCallNotModelled(String),
}

/// Why a kfunc call failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum KfuncError {
    /// The run knows no kfunc by this BTF id (a plain run, or an id no extern names).
    #[error("no kfunc has this BTF id in this run")]
    NotProvided,
    /// The id names kfunc `name`, which this run does not implement.
    #[error("kfunc `{name}` is not implemented")]
    Unknown {
        /// The kfunc's name (its extern symbol).
        name: String,
    },
    /// Kfunc `name` rejected its arguments or faulted.
    #[error("kfunc `{name}` failed: {error}")]
    Failed {
        /// The kfunc's name.
        name: String,
        /// Why.
        error: HelperError,
    },
}

impl KfuncError {
    /// The trap a failed call of kfunc `btf_id` (in BTF object `btf_obj`) raises; the one
    /// translation the interpreter and the JIT share.
    pub fn trap_kind(self, btf_id: i32, btf_obj: i16) -> TrapKind {
        match self {
            KfuncError::NotProvided => TrapKind::UnsupportedKfunc { btf_id, btf_obj },
            KfuncError::Unknown { name } => TrapKind::UnknownKfunc { btf_id, name },
            KfuncError::Failed { name, error } => TrapKind::KfuncFailed { btf_id, name, error },
        }
    }
}

/// Runs program code for a helper that takes a callback (`bpf_loop`): the machine that
/// calls the helper provides it.
pub trait CodeRunner {
    /// Whether `address` is the code address of a function entry the runner can call.
    fn is_function(&self, address: u64) -> bool;

    /// Calls the function at code address `function` with `r1`, `r2`, ... set to `args`,
    /// in a new stack frame above the caller's, and returns its `r0`. The callee's
    /// instructions count against the run's budget; if it traps, the error is
    /// [`HelperError::Callback`].
    fn call_function(
        &mut self,
        helpers: &mut dyn Helpers,
        memory: &mut Memory,
        function: u64,
        args: &[u64],
    ) -> Result<u64, HelperError>;
}

/// A [`CodeRunner`] that runs nothing, for helper calls made outside a machine.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCode;

impl CodeRunner for NoCode {
    fn is_function(&self, _address: u64) -> bool {
        false
    }

    fn call_function(
        &mut self,
        _helpers: &mut dyn Helpers,
        _memory: &mut Memory,
        function: u64,
        _args: &[u64],
    ) -> Result<u64, HelperError> {
        Err(HelperError::InvalidArgument { register: 0, value: function, reason: "no program code can run here" })
    }
}

/// A set of helper functions.
pub trait Helpers {
    /// Calls helper `id` with `r1`–`r5` as `args`. Returns [`HelperError::Unknown`] for a
    /// number this set does not provide.
    fn call(&mut self, id: i32, args: [u64; 5], memory: &mut Memory) -> Result<HelperResult, HelperError>;

    /// Calls helper `id` from a machine that can run program code for it (`code`). The
    /// interpreter calls this; sets without callback helpers keep the default, [`Helpers::call`].
    fn call_with_code(
        &mut self,
        id: i32,
        args: [u64; 5],
        memory: &mut Memory,
        code: &mut dyn CodeRunner,
    ) -> Result<HelperResult, HelperError> {
        let _ = code;
        self.call(id, args, memory)
    }

    /// Calls the kfunc with BTF id `btf_id` in BTF object `btf_obj` (the `imm` and `off` of
    /// a kfunc `call`) with `r1`–`r5` as `args`, from a machine that can run program code
    /// for it. Sets without kfuncs keep the default, which provides none
    /// ([`KfuncError::NotProvided`]). A kfunc never ends the program, so a success is a
    /// return value.
    fn call_kfunc(
        &mut self,
        btf_id: i32,
        btf_obj: i16,
        args: [u64; 5],
        memory: &mut Memory,
        code: &mut dyn CodeRunner,
    ) -> Result<u64, KfuncError> {
        let _ = (btf_id, btf_obj, args, memory, code);
        Err(KfuncError::NotProvided)
    }
}

/// The helpers every run has: the suite's helper 5 ("unwind"), which returns `r1` and, when
/// `r1 == 0`, ends the program at once with `r0 = 0`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultHelpers;

impl Helpers for DefaultHelpers {
    fn call(&mut self, id: i32, args: [u64; 5], _memory: &mut Memory) -> Result<HelperResult, HelperError> {
        match id {
            UNWIND_HELPER if args[0] == 0 => Ok(HelperResult::Exit(0)),
            UNWIND_HELPER => Ok(HelperResult::Return(args[0])),
            _ => Err(HelperError::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwind_returns_r1_or_exits_on_zero() {
        let mut memory = Memory::new();
        let mut helpers = DefaultHelpers;
        assert_eq!(helpers.call(5, [7, 0, 0, 0, 0], &mut memory), Ok(HelperResult::Return(7)));
        assert_eq!(helpers.call(5, [0, 1, 0, 0, 0], &mut memory), Ok(HelperResult::Exit(0)));
        assert_eq!(helpers.call(6, [0; 5], &mut memory), Err(HelperError::Unknown));
    }
}
