//! `bpfprove-semantics`: the eBPF instruction set and its one executable meaning.
//!
//! - [`isa`]: typed instructions, decoding and encoding (RFC 9669 plus `callx`/`gotox`).
//! - [`word`]: the [`word::Word`] trait the semantics is generic over, and concrete words.
//! - [`alu`]: what ALU, JMP, load-extension and atomic instructions compute, once, over any
//!   [`word::Word`].
//! - [`program`]: a structurally valid program (functions, jump tables, labels).
//! - [`asm`]: the two assembly syntaxes.

pub mod alu;
pub mod asm;
pub mod isa;
pub mod program;
pub mod word;
