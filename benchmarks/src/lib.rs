//! `bpfprove-benchmarks`: the corpus of eBPF programs that later stages verify, compare and
//! JIT, and the harness around it.
//!
//! The corpus is C source under `benchmarks/corpus/src/`, compiled by
//! `benchmarks/corpus/build.sh` with clang-22 at `-mcpu=v1..v4` (objects are never
//! committed). [`corpus`] reads its manifest, which records for each program the expected
//! verdict, why, and for unsafe programs the kind of the first fault.

pub mod corpus;
