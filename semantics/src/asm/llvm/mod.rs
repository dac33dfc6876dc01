//! The LLVM/kernel assembly syntax, as `llvm-objdump-22 -d` prints it and `llvm-mc-22`
//! assembles it: `w1 += w2`, `if w2 > 0xb goto +0x29`, `r2 = *(u64 *)(r3 + 0x0)`,
//! `lock *(u64 *)(r10 - 0x8) += r1`, `r3 = 0x0 ll`, `callx r2`, `gotox r2`.
//!
//! [`print_insn_objdump`] reproduces objdump's text byte for byte. That text does not name
//! every instruction uniquely, so [`print_insn`] (what the rest of the crate prints) extends
//! it exactly where objdump loses information, and [`parse_insn`] reads both:
//!
//! | instruction                      | objdump                   | extension                   |
//! |----------------------------------|---------------------------|-----------------------------|
//! | local call (`src = 1`)           | `call 0x3`                | `call pc+0x3`               |
//! | kfunc call (`src = 2`)           | `call 0x4d2`              | `call kfunc 0x4d2 [btf 0x1]`|
//! | `lddw` with `src > 0`            | `ld_pseudo r1, 0x2, 0x5`  | `ld_pseudo r1, 0x2, 0x5, 0x7` when the second immediate is not 0 |
//! | `ldind` with an immediate        | `r0 = *(u8 *)skb[r1]`     | `r0 = *(u8 *)skb[r1 + 0x7]` |
//!
//! Objdump's default CPU has 32-bit sub-registers, so narrow loads and stores print with
//! `w` registers (`w2 = *(u8 *)(r3 + 0x0)`); that is what we print. The parser also accepts
//! what `llvm-objdump --mcpu=v1` and llvm-mc write beyond that: `r` registers there
//! (`*(u8 *)(r1 + 0x0) = r2`), decimal numbers, and 32-bit immediates written as their
//! unsigned bit pattern (`0xffffffff`). The pre-LLVM-19 `callx` (register in `imm`), which
//! objdump prints as `callx r0`, is normalised by the decoder and printed with its register.
//!
//! Programs ([`parse()`], [`print()`]) add one instruction per line, `LABEL:` lines (or a
//! `LABEL:` prefix), `;`, `#` and `//` comments, jumps and calls to labels (`goto LBB0_3`,
//! `call fname`), and the shared extensions of [`crate::asm`]: `.jumptable NAME L1, L2` and
//! `rX = NAME ll` for the address of a table or of a code label.

mod lex;
mod parse;
mod print;
mod program;
mod spelling;

use crate::asm::{AsmError, AsmErrorKind};
use crate::isa::Insn;
use crate::program::Program;

pub use print::{print_insn, print_insn_objdump};
pub use program::print;

/// Parses one instruction (no label, no comment). Jumps must use a signed offset
/// (`goto +0x3`); a label is reported as [`AsmErrorKind::UndefinedLabel`].
pub fn parse_insn(text: &str) -> Result<Insn, AsmErrorKind> {
    match parse::statement(text)? {
        parse::Statement::Insn(insn) => Ok(insn),
        parse::Statement::ToLabel(_, name) | parse::Statement::LoadName(_, name) => {
            Err(AsmErrorKind::UndefinedLabel(name))
        }
    }
}

/// Parses a program; errors carry the 1-based line.
pub fn parse(text: &str) -> Result<Program, AsmError> {
    program::parse(text)
}

#[cfg(test)]
mod tests;
