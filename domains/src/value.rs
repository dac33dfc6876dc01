//! The value-domain interface: one transfer function per ALU operation and a refinement per
//! branch edge, indexed by the same operation enums the semantics runs.

use bpfprove_semantics::alu;
use bpfprove_semantics::isa::{BinOp, ByteOrder, Cond, Size, Width};
use bpfprove_semantics::word::{Boolean, Word};

use crate::arith::{Choose, DomainWord, pick};
use crate::lattice::Lattice;

/// What a branch edge tells about its operands `dst` and `src`.
///
/// The taken edge of `if dst cond src` establishes `cond`; the fall-through edge its
/// negation, which is again a condition except for `Set`, whose negation is [`Relation::Clear`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// `dst cond src` holds.
    Holds(Cond),
    /// `dst & src == 0` (the fall-through edge of `jset`).
    Clear,
}

impl Relation {
    /// Every relation a branch edge can establish: the eleven conditions and `Clear`.
    pub const ALL: [Relation; 12] = [
        Relation::Holds(Cond::Eq),
        Relation::Holds(Cond::Ne),
        Relation::Holds(Cond::Set),
        Relation::Clear,
        Relation::Holds(Cond::Gt),
        Relation::Holds(Cond::Ge),
        Relation::Holds(Cond::Lt),
        Relation::Holds(Cond::Le),
        Relation::Holds(Cond::SGt),
        Relation::Holds(Cond::SGe),
        Relation::Holds(Cond::SLt),
        Relation::Holds(Cond::SLe),
    ];

    /// The relation on the taken edge of a jump on `cond`.
    pub const fn taken(cond: Cond) -> Relation {
        Relation::Holds(cond)
    }

    /// The relation on the fall-through edge of a jump on `cond`.
    pub const fn not_taken(cond: Cond) -> Relation {
        match cond.negate() {
            Some(negated) => Relation::Holds(negated),
            None => Relation::Clear,
        }
    }

    /// Whether the relation holds between `dst` and `src` at `width`, by the one semantics.
    pub fn holds<W: Word>(self, width: Width, dst: &W, src: &W) -> W::Bool {
        match self {
            Relation::Holds(cond) => alu::condition(cond, width, dst, src),
            Relation::Clear => alu::condition(Cond::Set, width, dst, src).not(),
        }
    }

    /// A short name (`eq`, `set`, `clear`, `slt`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Relation::Clear => "clear",
            Relation::Holds(cond) => match cond {
                Cond::Eq => "eq",
                Cond::Ne => "ne",
                Cond::Set => "set",
                Cond::Gt => "gt",
                Cond::Ge => "ge",
                Cond::Lt => "lt",
                Cond::Le => "le",
                Cond::SGt => "sgt",
                Cond::SGe => "sge",
                Cond::SLt => "slt",
                Cond::SLe => "sle",
            },
        }
    }
}

/// An abstract domain of register values, generic over the machine word `W`.
///
/// Every transfer function mirrors one function of [`bpfprove_semantics::alu`] and must be
/// sound for it: for all `x ∈ γ(self)` and `y ∈ γ(src)`, `alu::binary(op, width, x, y) ∈
/// γ(self.binary(op, width, src))`, and likewise for the others. Refinements keep every pair
/// that satisfies the relation: if `relation.holds(width, x, y)` then `x ∈ γ(a')` and
/// `y ∈ γ(b')` where `(a', b') = a.refine(relation, width, b)`. No input needs to be
/// normalised or reduced for this to hold. [`crate::check`] verifies all of it.
pub trait ValueDomain<W: DomainWord>: Lattice<Shape = W, Bool = W::Bool> + std::fmt::Debug {
    /// The domain's name as `--domain` takes it.
    const NAME: &'static str;

    /// The abstraction of the single value `value`.
    fn constant(value: &W) -> Self;
    /// Whether `value ∈ γ(self)`.
    fn contains(&self, value: &W) -> W::Bool;
    /// `self op src` (`src` for `mov`).
    fn binary(&self, op: BinOp, width: Width, src: &Self) -> Self;
    /// `-self`.
    fn negate(&self, width: Width) -> Self;
    /// `movsx`: sign-extends the low `from` bits.
    fn move_sign_extend(&self, width: Width, from: Size) -> Self;
    /// `le`/`be`/`bswap` of the low `bits` bits.
    fn byte_order(&self, order: ByteOrder, bits: u32) -> Self;
    /// `(self', src')`: both operands restricted to the pairs where `relation` holds.
    fn refine(&self, relation: Relation, width: Width, src: &Self) -> (Self, Self);

    /// The words that make up the value, in a fixed order (for the checkers).
    fn parts(&self) -> Vec<W>;
    /// The value made of the words `next` yields, in the order of [`ValueDomain::parts`];
    /// any words make a value (possibly an empty one).
    fn from_parts(next: &mut dyn FnMut() -> W) -> Self;
}

/// A domain written once at any operand width, from which [`lift`] derives the 64- and
/// 32-bit forms. Values "at `bits`" have zero bits above `bits` (see [`crate::arith`]).
pub(crate) trait Component<W: DomainWord>: Choose<W> + Clone {
    /// A word of the value (for its width and solver context).
    fn template(&self) -> &W;
    fn top_at(like: &W, bits: u32) -> Self;
    fn bottom_at(like: &W, bits: u32) -> Self;
    fn point(value: &W) -> Self;
    fn is_bottom_at(&self, bits: u32) -> W::Bool;
    fn contains_at(&self, x: &W, bits: u32) -> W::Bool;
    fn leq_at(&self, other: &Self, bits: u32) -> W::Bool;
    fn join_at(&self, other: &Self, bits: u32) -> Self;
    fn meet_at(&self, other: &Self, bits: u32) -> Self;
    fn widen_at(&self, newer: &Self, bits: u32) -> Self;
    fn narrow_at(&self, newer: &Self, bits: u32) -> Self;
    fn binary_at(&self, op: BinOp, bits: u32, src: &Self) -> Self;
    fn refine_at(&self, relation: Relation, bits: u32, src: &Self) -> (Self, Self);
    /// The low `bits` bits of a full-width value, as a value at `bits`.
    fn truncate(&self, bits: u32) -> Self;
    /// A value at `bits`, zero-extended to the full width.
    fn zero_extend(&self, bits: u32) -> Self;
    /// The full-width values of `self` whose low `bits` bits lie in `low` (a value at `bits`).
    fn restrict_low(&self, low: &Self, bits: u32) -> Self;
    /// The full-width sign extension of the low `from` bits (`from` < width).
    fn sign_extend(&self, from: u32) -> Self;
    /// The swap of the low `bits / 8` bytes, as [`Word::swap_bytes_low`].
    fn swap_bytes(&self, bits: u32) -> Self;

    fn width(&self) -> u32 {
        self.template().width()
    }

    /// `-self` at `bits`.
    fn negate_at(&self, bits: u32) -> Self {
        Self::point(&self.template().constant(0)).binary_at(BinOp::Sub, bits, self)
    }
}

/// The derived 64- and 32-bit forms of a [`Component`]'s operations.
pub(crate) mod lift {
    use super::*;

    /// `result()`, or bottom if either operand is bottom (transfer functions are strict).
    pub fn strict<W: DomainWord, C: Component<W>>(a: &C, b: Option<&C>, result: impl FnOnce() -> C) -> C {
        let n = a.width();
        let mut empty = a.is_bottom_at(n);
        if let Some(b) = b {
            empty = empty.or(&b.is_bottom_at(n));
        }
        pick(&empty, || C::bottom_at(a.template(), n), result)
    }

    pub fn binary<W: DomainWord, C: Component<W>>(a: &C, op: BinOp, width: Width, b: &C) -> C {
        strict(a, Some(b), || match width {
            Width::W64 => a.binary_at(op, a.width(), b),
            Width::W32 => {
                let half = a.width() / 2;
                a.truncate(half).binary_at(op, half, &b.truncate(half)).zero_extend(half)
            }
        })
    }

    pub fn negate<W: DomainWord, C: Component<W>>(a: &C, width: Width) -> C {
        strict(a, None, || match width {
            Width::W64 => a.negate_at(a.width()),
            Width::W32 => {
                let half = a.width() / 2;
                a.truncate(half).negate_at(half).zero_extend(half)
            }
        })
    }

    pub fn move_sign_extend<W: DomainWord, C: Component<W>>(a: &C, width: Width, from: Size) -> C {
        strict(a, None, || {
            let extended = if from.bits() >= a.width() { a.clone() } else { a.sign_extend(from.bits()) };
            narrow(&extended, width)
        })
    }

    /// The value of a 32-bit result: the low half, zero-extended.
    pub fn narrow<W: DomainWord, C: Component<W>>(a: &C, width: Width) -> C {
        match width {
            Width::W64 => a.clone(),
            Width::W32 => {
                let half = a.width() / 2;
                a.truncate(half).zero_extend(half)
            }
        }
    }

    pub fn byte_order<W: DomainWord, C: Component<W>>(a: &C, order: ByteOrder, bits: u32) -> C {
        strict(a, None, || match order {
            ByteOrder::ToLe if bits >= a.width() => a.clone(),
            ByteOrder::ToLe => a.truncate(bits).zero_extend(bits),
            ByteOrder::ToBe | ByteOrder::Swap => a.swap_bytes(bits),
        })
    }

    pub fn refine<W: DomainWord, C: Component<W>>(a: &C, relation: Relation, width: Width, b: &C) -> (C, C) {
        match width {
            Width::W64 => a.refine_at(relation, a.width(), b),
            Width::W32 => {
                let half = a.width() / 2;
                let (low_a, low_b) = a.truncate(half).refine_at(relation, half, &b.truncate(half));
                (a.restrict_low(&low_a, half), b.restrict_low(&low_b, half))
            }
        }
    }
}

/// Implements [`Lattice`] and [`ValueDomain`] for a [`Component`] at the full word width.
macro_rules! component_domain {
    ($type:ident, $name:literal, [$($part:ident),*]) => {
        impl<W: $crate::arith::DomainWord> $crate::lattice::Lattice for $type<W> {
            type Shape = W;
            type Bool = W::Bool;

            fn bottom(shape: &W) -> Self {
                <Self as $crate::value::Component<W>>::bottom_at(shape, shape.width())
            }
            fn top(shape: &W) -> Self {
                <Self as $crate::value::Component<W>>::top_at(shape, shape.width())
            }
            fn is_bottom(&self) -> W::Bool {
                self.is_bottom_at(self.width())
            }
            fn leq(&self, other: &Self) -> W::Bool {
                self.leq_at(other, self.width())
            }
            fn join(&self, other: &Self) -> Self {
                self.join_at(other, self.width())
            }
            fn meet(&self, other: &Self) -> Self {
                self.meet_at(other, self.width())
            }
            fn widen(&self, newer: &Self) -> Self {
                self.widen_at(newer, self.width())
            }
            fn narrow(&self, newer: &Self) -> Self {
                self.narrow_at(newer, self.width())
            }
        }

        impl<W: $crate::arith::DomainWord> $crate::value::ValueDomain<W> for $type<W> {
            const NAME: &'static str = $name;

            fn constant(value: &W) -> Self {
                <Self as $crate::value::Component<W>>::point(value)
            }
            fn contains(&self, value: &W) -> W::Bool {
                self.contains_at(value, self.width())
            }
            fn binary(
                &self,
                op: bpfprove_semantics::isa::BinOp,
                width: bpfprove_semantics::isa::Width,
                src: &Self,
            ) -> Self {
                $crate::value::lift::binary(self, op, width, src)
            }
            fn negate(&self, width: bpfprove_semantics::isa::Width) -> Self {
                $crate::value::lift::negate(self, width)
            }
            fn move_sign_extend(
                &self,
                width: bpfprove_semantics::isa::Width,
                from: bpfprove_semantics::isa::Size,
            ) -> Self {
                $crate::value::lift::move_sign_extend(self, width, from)
            }
            fn byte_order(&self, order: bpfprove_semantics::isa::ByteOrder, bits: u32) -> Self {
                $crate::value::lift::byte_order(self, order, bits)
            }
            fn refine(
                &self,
                relation: $crate::value::Relation,
                width: bpfprove_semantics::isa::Width,
                src: &Self,
            ) -> (Self, Self) {
                $crate::value::lift::refine(self, relation, width, src)
            }
            fn parts(&self) -> Vec<W> {
                vec![$(self.$part.clone()),*]
            }
            fn from_parts(next: &mut dyn FnMut() -> W) -> Self {
                $type { $($part: next()),* }
            }
        }
    };
}

pub(crate) use component_domain;
