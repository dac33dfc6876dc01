//! The uBPF assembly syntax of bpf_conformance: `mov32 %r0, 1`, `ldxh %r0, [%r1+2]`,
//! `lock fetch add [%r10-8], %r1`, `call local L`.
//!
//! One statement per line, `#` starts a comment, `name:` defines a label (an instruction may
//! follow on the same line). Operands are separated by commas and/or whitespace.
//!
//! | family | spelling |
//! |---|---|
//! | ALU | `add %rD, %rS` / `add %rD, imm`, `32` suffix for 32 bits (`64` or none for 64): `add sub mul div sdiv or and lsh rsh mod smod xor mov arsh`; `neg`, `neg32` |
//! | sign-extending move | `movsx{8,16,32}{32,64} %rD, %rS` (`movsx3232` does not exist) |
//! | arena cast | `addr_space_cast %rD, %rS, DST_AS, SRC_AS` (`0, 1` or `1, 0`; LLVM's `rD = addr_space_cast(rS, DST_AS, SRC_AS)`) |
//! | byte order | `le16/32/64`, `be16/32/64`, `bswap16/32/64` (also `swap16/32/64`) `%rD` |
//! | 64-bit load | `lddw %rD, 0x1122334455667788` (hex: any 64-bit pattern; decimal: `i64` or `u64`) |
//! | special `lddw` | `lddw %rD, map_fd(N)`, `map_value(N, OFF)`, `var_addr(N)`, `map_idx(N)`, `map_idx_value(N, OFF)`, `code(+N)`; a second number is `next_imm` |
//! | loads | `ldx{b,h,w,dw} %rD, [%rS+off]`, sign-extending `ldxs{b,h,w}`; `[%rS]` means offset 0 |
//! | stores | `st{b,h,w,dw} [%rD+off], imm`, `stx{b,h,w,dw} [%rD+off], %rS` |
//! | atomics | `lock [fetch] {add,or,and,xor}[32] [%rD+off], %rS`, `lock {xchg,cmpxchg}[32] ...` (always fetch) |
//! | packet loads | `ldabs{b,h,w} imm`, `ldind{b,h,w} %rS, imm` |
//! | jumps | `ja T`, `ja32 T`, `{jeq,jgt,jge,jset,jne,jsgt,jsge,jlt,jle,jslt,jsle}[32] %rD, %rS\|imm, T` where `T` is `+N`, `-N` or a label |
//! | calls | `call N` (helper), `call local T`, `call %rN` and `callx %rN` (indirect), `call helper N\|%rN`, `call runtime ID[, OBJ]` (kfunc) |
//! | other | `gotox %rN`, `exit` |
//!
//! Range rules (those of bpf_conformance's assembler, which its negative tests check): a
//! decimal immediate must fit `i32`, while a hexadecimal one may be any 32-bit pattern
//! (`0xffffffff` is -1) and `-0x...` must fit `i32`; offsets likewise fit `i16` in decimal
//! and `0..=0xffff` in hex (`+0x10000` is rejected). As in that assembler, the first `exit`
//! instruction defines the label `exit` unless the program defines it itself.
//!
//! Indirect control flow (the extensions shared with the LLVM syntax, see [`crate::asm`]):
//! `.jumptable NAME L1, L2, ...` declares a table, and `lddw %rD, NAME` loads the address of
//! the table `NAME` if one is declared anywhere in the text, otherwise the code address of
//! the label `NAME` (`lddw` with `src = 4`). Labels and tables share one namespace, so a
//! name never means both.
//!
//! [`print()`] writes jump tables, labels and table loads by name, so `parse(print(p)) == p`
//! for programs whose jump-table targets are labelled; function entries given by
//! [`crate::program::ProgramParts::function_entries`] have no spelling and are not printed.

mod lex;
mod parse;
mod print;
#[cfg(test)]
mod tests;

pub use print::{print, print_insn};

use super::{AsmError, AsmErrorKind, ProgramBuilder};
use crate::isa::{Insn, LddwKind};
use crate::program::Program;
use parse::Statement;

/// The label the first `exit` defines when the text does not define it.
const EXIT_LABEL: &str = "exit";

/// Parses a whole program.
pub fn parse(text: &str) -> Result<Program, AsmError> {
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let parsed = parse::line(lex::strip_comment(raw)).map_err(|kind| AsmError::new(line, kind))?;
        lines.push((line, parsed));
    }

    let mut builder = ProgramBuilder::new();
    // Tables first, so that `lddw %rD, NAME` can tell a table from a label whatever the order.
    for (line, parsed) in &lines {
        if let Some(Statement::JumpTable { name, entries }) = &parsed.statement {
            builder.jump_table(*line, name, entries.clone());
        }
    }
    let mut implicit_exit = !builder.is_table(EXIT_LABEL)
        && !lines.iter().any(|(_, parsed)| parsed.labels.iter().any(|label| label == EXIT_LABEL))
        && lines.iter().any(|(_, parsed)| parsed.statement.as_ref().is_some_and(|s| s.names(EXIT_LABEL)));
    for (line, parsed) in lines {
        for label in &parsed.labels {
            builder.label(line, label)?;
        }
        match parsed.statement {
            None | Some(Statement::JumpTable { .. }) => {}
            Some(Statement::Insn { insn, target }) => {
                if implicit_exit && insn == Insn::Exit {
                    builder.label(line, EXIT_LABEL)?;
                    implicit_exit = false;
                }
                match target {
                    Some(label) => builder.push_to(line, insn, label),
                    None => builder.push(line, insn),
                }
            }
            Some(Statement::NamedLoad { dst, name }) => {
                if builder.is_table(&name) {
                    builder.push_table_load(line, dst, &name);
                } else {
                    let load = Insn::Lddw { dst, kind: LddwKind::CodeAddr, imm: 0, next_imm: 0 };
                    builder.push_to(line, load, name);
                }
            }
        }
    }
    builder.finish()
}

/// Parses one instruction without labels: jump targets must be `+N`/`-N`.
pub fn parse_insn(text: &str) -> Result<Insn, AsmErrorKind> {
    let parsed = parse::line(lex::strip_comment(text))?;
    if !parsed.labels.is_empty() {
        return Err(AsmErrorKind::Syntax("a single instruction cannot define labels".into()));
    }
    match parsed.statement {
        Some(Statement::Insn { insn, target: None }) => Ok(insn),
        Some(Statement::Insn { target: Some(label), .. }) | Some(Statement::NamedLoad { name: label, .. }) => {
            Err(AsmErrorKind::UndefinedLabel(label))
        }
        Some(Statement::JumpTable { .. }) => {
            Err(AsmErrorKind::Syntax("expected an instruction, found a directive".into()))
        }
        None => Err(AsmErrorKind::Syntax("expected an instruction".into())),
    }
}
