//! `bpfprove-domains`: value domains for eBPF registers, with machine-checked soundness.
//!
//! - [`lattice`]: the [`Lattice`] trait and its laws.
//! - [`value`]: the [`ValueDomain`] trait: one transfer function per ALU operation of
//!   [`bpfprove_semantics::alu`] and a refinement per branch [`Relation`].
//! - Domains, generic over the machine word ([`arith::DomainWord`]) so that the same code
//!   runs at 64 bits, at small widths for exhaustive checks, and over Z3 bit-vectors:
//!   [`UInterval`] (`interval`), [`SInterval`] (`signed-interval`), [`Tnum`] (`tnum`) and
//!   their reduced [`Product`] (`product`); Linux 7.2's representation, a [`Tnum`] with
//!   wrapped intervals ([`Cnum`]) of the register and of its low half, as [`CnumProduct`]
//!   (`cnum`).
//! - [`any`]: the run-time choice of a domain ([`DomainKind`], [`AnyValue`]).
//! - [`query`]: bounds and known bits of any 64-bit value, and values built from them.

pub mod any;
pub mod arith;
pub mod check;
pub mod cnum;
pub mod cnum_product;
mod convert;
pub mod interval;
pub mod lattice;
pub mod product;
pub mod query;
pub mod signed;
pub mod tnum;
pub mod value;

pub use any::{AnyValue, DomainKind, UnknownDomain};
pub use cnum::Cnum;
pub use cnum_product::CnumProduct;
pub use interval::UInterval;
pub use lattice::Lattice;
pub use product::Product;
pub use query::KnownBits;
pub use signed::SInterval;
pub use tnum::Tnum;
pub use value::{Relation, ValueDomain};
