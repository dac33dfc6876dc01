//! `bpfprove-semantics`: the eBPF instruction set and its one executable meaning.
//!
//! - [`isa`]: typed instructions, decoding and encoding (RFC 9669 plus `callx`/`gotox`).
//! - [`word`]: the [`word::Word`] trait the semantics is generic over, and concrete words.
//! - [`alu`]: what ALU, JMP, load-extension and atomic instructions compute, once, over any
//!   [`word::Word`].
//! - [`program`]: a structurally valid program (functions, jump tables, labels).
//! - [`asm`]: the two assembly syntaxes.
//! - [`elf`]: loading eBPF ELF objects (programs, maps, global data, jump and call tables).
//! - [`interp`]: the reference interpreter with a bounds-checked memory model.
//! - [`conformance`]: the bpf_conformance suite's test files and plugin contract.

pub mod alu;
pub mod asm;
pub mod conformance;
pub mod elf;
pub mod interp;
pub mod isa;
pub mod model;
pub mod program;
pub mod word;
