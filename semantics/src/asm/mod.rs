//! Assembly text: the LLVM/kernel syntax `llvm-objdump` prints, and the uBPF syntax of
//! bpf_conformance. Both parsers build a [`Program`] through [`ProgramBuilder`], which owns
//! label resolution, so the two syntaxes differ only in how they spell instructions.
//!
//! Both syntaxes accept the same extensions for indirect control flow:
//! - `.jumptable NAME L1, L2, ...` declares a jump table whose entries are the code
//!   addresses of labels `L1`, `L2`, ...; a 64-bit load of `NAME` loads the table's address
//!   (recorded in [`crate::program::ProgramParts::table_loads`]);
//! - a 64-bit load of a code label loads that label's code address (`lddw` with `src = 4`,
//!   Linux's `BPF_PSEUDO_FUNC`), which is what `callx` calls through.

mod builder;
pub mod llvm;
pub mod ubpf;

use thiserror::Error;

use crate::program::ProgramError;

pub(crate) use builder::ProgramBuilder;

/// Why assembly text was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AsmErrorKind {
    /// No instruction has this mnemonic.
    #[error("invalid mnemonic `{0}`")]
    UnknownMnemonic(String),
    /// A register name is not `r0`..`r10` (or `w0`..`w10` / `%r0`..`%r10`).
    #[error("invalid register `{0}`")]
    InvalidRegister(String),
    /// The instruction has the wrong number of operands.
    #[error("invalid number of operands for {mnemonic}: expected {expected}, found {found}")]
    OperandCount {
        /// The mnemonic.
        mnemonic: String,
        /// How many it takes.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// An immediate does not fit its field.
    #[error("immediate `{0}` out of range")]
    ImmediateOutOfRange(String),
    /// An offset does not fit its 16-bit field (or a jump is too far).
    #[error("offset `{0}` out of range")]
    OffsetOutOfRange(String),
    /// A label is used but never defined.
    #[error("undefined label `{0}`")]
    UndefinedLabel(String),
    /// A label or table is defined twice.
    #[error("`{0}` is defined twice")]
    DuplicateLabel(String),
    /// A `.directive` is not known.
    #[error("unknown directive `{0}`")]
    UnknownDirective(String),
    /// Anything else that does not parse; the string says what was expected.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// The instructions parse but do not form a valid program.
    #[error(transparent)]
    Program(#[from] ProgramError),
}

/// An assembly error at a 1-based line (0 when it concerns the whole program).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("line {line}: {kind}")]
pub struct AsmError {
    /// 1-based line number, or 0 for whole-program errors.
    pub line: usize,
    /// What was wrong.
    pub kind: AsmErrorKind,
}

impl AsmError {
    /// An error at `line`.
    pub fn new(line: usize, kind: AsmErrorKind) -> AsmError {
        AsmError { line, kind }
    }
}

/// What the property tests of both syntaxes share.
#[cfg(test)]
pub(crate) mod testing {
    use proptest::prelude::*;

    use super::{AsmError, AsmErrorKind};
    use crate::isa::Insn;
    use crate::program::Program;

    /// One syntax's parsers and printers.
    pub(crate) struct Syntax {
        pub(crate) parse_insn: fn(&str) -> Result<Insn, AsmErrorKind>,
        pub(crate) print_insn: fn(&Insn) -> String,
        pub(crate) parse: fn(&str) -> Result<Program, AsmError>,
        pub(crate) print: fn(&Program) -> String,
    }

    /// Whatever `text` parses to, or the error it gets, is sane: a program's error names a
    /// line of the text (or 0, the whole program); a parsed instruction or program prints
    /// back to text that parses to the same thing.
    pub(crate) fn check_parsed(syntax: &Syntax, text: &str) -> Result<(), TestCaseError> {
        let lines = text.split('\n').count();
        if let Ok(insn) = (syntax.parse_insn)(text) {
            prop_assert_eq!((syntax.parse_insn)(&(syntax.print_insn)(&insn)), Ok(insn));
        }
        match (syntax.parse)(text) {
            Ok(program) => {
                let again = (syntax.parse)(&(syntax.print)(&program))
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                prop_assert_eq!(again.insns(), program.insns());
                prop_assert_eq!(again.jump_tables(), program.jump_tables());
                prop_assert_eq!(again.table_loads(), program.table_loads());
            }
            Err(error) => prop_assert!(error.line <= lines, "{error:?} in {lines} lines"),
        }
        Ok(())
    }
}
