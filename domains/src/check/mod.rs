//! Machine-checked soundness (and precision) of the domains against the one semantics.
//!
//! Every check compares a domain's transfer function with what [`bpfprove_semantics::alu`]
//! computes, never with a second definition of an instruction:
//!
//! - [`exhaustive`]: at a small width (2 to 8 bits), every pair of abstract values (a large
//!   sample for the product) and every pair of concrete values they stand for, over
//!   [`Bits`](bpfprove_semantics::word::Bits). The same pass measures precision.
//! - [`symbolic`]: the same generic domain code over Z3 bit-vectors ([`z3word`]), proving
//!   each operation for all values at up to 64 bits.
//! - [`lemma`] and [`composition`]: the reduced product's operations proven by composition,
//!   from Z3 proofs of the pieces they are built from (whole product operations are too big
//!   for Z3 beyond small widths).
//! - [`report`]: the table `bpfprove prove-domains` prints.

pub mod bitset;
pub mod composition;
pub mod enumerate;
pub mod exhaustive;
pub mod lemma;
pub mod report;
pub mod symbolic;
pub mod z3word;

use std::fmt;

use bpfprove_semantics::alu;
use bpfprove_semantics::isa::{BinOp, ByteOrder, Size, Width};
use bpfprove_semantics::word::Word;

use crate::any::DomainKind;
use crate::arith::DomainWord;
use crate::value::{Relation, ValueDomain};
use crate::{Cnum, CnumProduct, Product, SInterval, Tnum, UInterval};

/// One operation whose abstract version is checked: a transfer function or a refinement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`alu::binary`].
    Binary(BinOp, Width),
    /// [`alu::negate`].
    Negate(Width),
    /// [`alu::move_sign_extend`].
    MoveSignExtend(Width, Size),
    /// [`alu::byte_order`] of the low `bits` bits.
    ByteOrder(ByteOrder, u32),
    /// A branch edge establishing the relation at a width.
    Refine(Relation, Width),
}

/// How many operands an operation reads and what it yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One operand, one result.
    Unary,
    /// Two operands, one result.
    Binary,
    /// Two operands, both refined.
    Refinement,
}

impl Operation {
    /// Every operation, transfer functions first.
    pub fn all() -> Vec<Operation> {
        let widths = [Width::W64, Width::W32];
        let mut all = Vec::new();
        for width in widths {
            all.extend(BinOp::ALL.into_iter().map(|op| Operation::Binary(op, width)));
            all.push(Operation::Negate(width));
            all.extend([Size::B, Size::H, Size::W].map(|size| Operation::MoveSignExtend(width, size)));
        }
        for order in [ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap] {
            all.extend([16, 32, 64].map(|bits| Operation::ByteOrder(order, bits)));
        }
        for width in widths {
            all.extend(Relation::ALL.into_iter().map(|relation| Operation::Refine(relation, width)));
        }
        all
    }

    /// What the operation reads and yields.
    pub fn shape(self) -> Shape {
        match self {
            Operation::Binary(..) => Shape::Binary,
            Operation::Negate(_) | Operation::MoveSignExtend(..) | Operation::ByteOrder(..) => Shape::Unary,
            Operation::Refine(..) => Shape::Refinement,
        }
    }

    /// The concrete result of a transfer operation, by the one semantics (`y` is ignored
    /// by unary operations). Refinements yield `x`.
    pub fn concrete<W: Word>(self, x: &W, y: &W) -> W {
        match self {
            Operation::Binary(op, width) => alu::binary(op, width, x, y),
            Operation::Negate(width) => alu::negate(width, x),
            Operation::MoveSignExtend(width, from) => alu::move_sign_extend(width, x, from),
            Operation::ByteOrder(order, bits) => alu::byte_order(order, bits, x),
            Operation::Refine(..) => x.clone(),
        }
    }

    /// Whether a refinement's relation holds between `x` and `y` (true for transfers).
    pub fn holds<W: DomainWord>(self, x: &W, y: &W) -> W::Bool {
        match self {
            Operation::Refine(relation, width) => relation.holds(width, x, y),
            _ => x.truth(true),
        }
    }

    /// The abstract result of a transfer operation (`b` is ignored by unary operations).
    pub fn transfer<W: DomainWord, D: ValueDomain<W>>(self, a: &D, b: &D) -> D {
        match self {
            Operation::Binary(op, width) => a.binary(op, width, b),
            Operation::Negate(width) => a.negate(width),
            Operation::MoveSignExtend(width, from) => a.move_sign_extend(width, from),
            Operation::ByteOrder(order, bits) => a.byte_order(order, bits),
            Operation::Refine(..) => a.clone(),
        }
    }

    /// The refined operands (unchanged for transfer operations).
    pub fn refine<W: DomainWord, D: ValueDomain<W>>(self, a: &D, b: &D) -> (D, D) {
        match self {
            Operation::Refine(relation, width) => a.refine(relation, width, b),
            _ => (a.clone(), b.clone()),
        }
    }
}

/// Names such as `add64`, `sdiv32`, `neg64`, `movsx8/32`, `be16`, `bswap64`, `jslt64`;
/// `jclear` is the fall-through edge of `jset`.
impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = |width: &Width| if *width == Width::W64 { 64 } else { 32 };
        match self {
            Operation::Binary(op, width) => {
                let name = match op {
                    BinOp::Add => "add",
                    BinOp::Sub => "sub",
                    BinOp::Mul => "mul",
                    BinOp::Div => "div",
                    BinOp::SDiv => "sdiv",
                    BinOp::Or => "or",
                    BinOp::And => "and",
                    BinOp::Lsh => "lsh",
                    BinOp::Rsh => "rsh",
                    BinOp::Mod => "mod",
                    BinOp::SMod => "smod",
                    BinOp::Xor => "xor",
                    BinOp::Mov => "mov",
                    BinOp::Arsh => "arsh",
                };
                write!(f, "{name}{}", suffix(width))
            }
            Operation::Negate(width) => write!(f, "neg{}", suffix(width)),
            Operation::MoveSignExtend(width, from) => write!(f, "movsx{}/{}", from.bits(), suffix(width)),
            Operation::ByteOrder(order, bits) => {
                let name = match order {
                    ByteOrder::ToLe => "le",
                    ByteOrder::ToBe => "be",
                    ByteOrder::Swap => "bswap",
                };
                write!(f, "{name}{bits}")
            }
            Operation::Refine(relation, width) => write!(f, "j{}{}", relation.name(), suffix(width)),
        }
    }
}

/// A concrete counterexample to soundness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The abstract operands.
    pub inputs: Vec<String>,
    /// The concrete operands, one from each operand's concretisation.
    pub concrete: Vec<u64>,
    /// The concrete result (for refinements: the operand value that was dropped).
    pub result: u64,
    /// The abstract result that misses it.
    pub abstract_result: String,
}

impl fmt::Display for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let concrete: Vec<String> = self.concrete.iter().map(|value| format!("{value:#x}")).collect();
        write!(
            f,
            "inputs ({}) concrete ({}) -> {:#x} not in {}",
            self.inputs.join(", "),
            concrete.join(", "),
            self.result,
            self.abstract_result
        )
    }
}

/// A domain as a family of types, one per word type, so that one check can build its
/// values over [`Bits`](bpfprove_semantics::word::Bits) and over [`z3word::Z3Word`].
pub trait Family {
    /// The run-time name of the domain.
    const KIND: DomainKind;
    /// The domain's values over words `W`.
    type Value<W: DomainWord>: ValueDomain<W>;
}

/// The family of [`UInterval`].
#[derive(Clone, Copy, Debug)]
pub struct Intervals;
/// The family of [`SInterval`].
#[derive(Clone, Copy, Debug)]
pub struct SignedIntervals;
/// The family of [`Tnum`].
#[derive(Clone, Copy, Debug)]
pub struct Tnums;
/// The family of [`Product`].
#[derive(Clone, Copy, Debug)]
pub struct Products;

impl Family for Intervals {
    const KIND: DomainKind = DomainKind::Interval;
    type Value<W: DomainWord> = UInterval<W>;
}
impl Family for SignedIntervals {
    const KIND: DomainKind = DomainKind::SignedInterval;
    type Value<W: DomainWord> = SInterval<W>;
}
impl Family for Tnums {
    const KIND: DomainKind = DomainKind::Tnum;
    type Value<W: DomainWord> = Tnum<W>;
}
impl Family for Products {
    const KIND: DomainKind = DomainKind::Product;
    type Value<W: DomainWord> = Product<W>;
}

/// The family of [`Cnum`], the wrapped intervals [`CnumProduct`] is built from (not a
/// `--domain` of its own: its rows are labelled `cnum`).
#[derive(Clone, Copy, Debug)]
pub struct WrappedIntervals;

impl Family for WrappedIntervals {
    const KIND: DomainKind = DomainKind::Cnum;
    type Value<W: DomainWord> = Cnum<W>;
}

/// The family of [`CnumProduct`].
#[derive(Clone, Copy, Debug)]
pub struct Cnums;

impl Family for Cnums {
    const KIND: DomainKind = DomainKind::Cnum;
    type Value<W: DomainWord> = CnumProduct<W>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_listed_once_with_distinct_names() {
        let all = Operation::all();
        let names: std::collections::HashSet<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(all.len(), 2 * (14 + 1 + 3) + 9 + 2 * 12);
        assert!(names.contains("jclear32") && names.contains("movsx16/64") && names.contains("bswap64"));
    }
}
