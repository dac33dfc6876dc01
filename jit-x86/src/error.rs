//! The crate's one error enum, split by cause as Cranelift's `CodegenError` is: limits of
//! the JIT, failures of the host (memory mapping), and bugs (an instruction the encoder
//! refuses, a broken internal invariant). Traps of the compiled program are not errors of
//! the JIT; they are [`bpfprove_semantics::interp::Trap`]s, as in the interpreter.

use thiserror::Error;

/// Why a program could not be compiled or its code could not be mapped.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum JitError {
    /// The program has more slots than the JIT addresses (branch and table offsets are
    /// 32-bit).
    #[error("program of {slots} slots exceeds the JIT's limit of {limit}")]
    ProgramTooLarge {
        /// Slots in the program.
        slots: usize,
        /// Most slots the JIT compiles.
        limit: usize,
    },
    /// The machine code would exceed the reach of a 32-bit branch.
    #[error("generated code of {bytes} bytes is too large")]
    CodeTooLarge {
        /// Bytes generated so far.
        bytes: usize,
    },
    /// The host refused to map, seal or unmap code memory.
    #[error("{operation} failed: {message}")]
    Host {
        /// The system call (`mmap`, `mprotect`).
        operation: &'static str,
        /// The OS error.
        message: String,
    },
    /// iced-x86 refused an instruction the lowering produced (a JIT bug).
    #[error("encoder rejected {inst}: {message}")]
    Encode {
        /// The instruction, in debug form.
        inst: String,
        /// iced's message.
        message: String,
    },
    /// The program uses an instruction the JIT does not compile.
    #[error("pc {pc}: the JIT does not compile {what}")]
    Unsupported {
        /// Where.
        pc: usize,
        /// The instruction.
        what: &'static str,
    },
    /// An internal invariant failed (a JIT bug).
    #[error("internal JIT error: {0}")]
    Internal(&'static str),
}
