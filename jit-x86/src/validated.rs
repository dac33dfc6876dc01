//! The token the JIT demands before it compiles anything.
//!
//! The JIT compiles only programs the analyzer has proved safe: [`Validated`] comes from the
//! analyzer's [`Verified`] token, which only a passing verification produces. The generated
//! code still bounds-checks every memory access and traps exactly as the interpreter does,
//! which is what lets the `differential-testing` feature (off by default) compile programs
//! no one verified — the conformance suite, random programs, and the corpus's unsafe twins,
//! whose traps are compared with the interpreter's.

use bpfprove_analyzer::Verified;
use bpfprove_semantics::program::Program;

/// A program the JIT may compile. See the module docs for what it vouches for.
#[derive(Clone, Copy, Debug)]
pub struct Validated<'p> {
    program: &'p Program,
}

impl<'p> From<Verified<'p>> for Validated<'p> {
    fn from(verified: Verified<'p>) -> Validated<'p> {
        Validated { program: verified.program() }
    }
}

impl<'p> Validated<'p> {
    /// A program no one verified, for differential testing only (it still passes the
    /// semantics' structural validation, as every [`Program`] does).
    #[cfg(feature = "differential-testing")]
    pub fn unverified(program: &'p Program) -> Validated<'p> {
        Validated { program }
    }

    /// The program.
    pub fn program(&self) -> &'p Program {
        self.program
    }
}
