//! The token the JIT demands before it compiles anything.
//!
//! The JIT compiles only programs someone has vouched for. Today the only check that
//! exists is the semantics' structural validation: a [`Program`] cannot be built unless
//! every jump, call, code-address load and jump-table entry lands on an instruction
//! boundary inside it. [`Validated`] records that check. When the analyzer lands, its
//! verified-program type becomes the token (a `From` conversion into [`Validated`], and
//! [`Validated::structural`] is removed), so that only proven-safe programs reach native
//! code. Until then the generated code keeps every bounds check and traps exactly as the
//! interpreter does, so a structurally valid but unsafe program is still contained.

use bpfprove_semantics::program::Program;

/// A program the JIT may compile. See the module docs for what it vouches for.
#[derive(Clone, Copy, Debug)]
pub struct Validated<'p> {
    program: &'p Program,
}

impl<'p> Validated<'p> {
    /// The token for a program that passed structural validation (which every [`Program`]
    /// has, by construction). Replaced by the analyzer's verdict when the analyzer lands.
    pub fn structural(program: &'p Program) -> Validated<'p> {
        Validated { program }
    }

    /// The program.
    pub fn program(&self) -> &'p Program {
        self.program
    }
}
