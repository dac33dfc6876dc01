//! Linux 7.2's register representation as a domain (`cnum`): a tnum, a wrapped interval of
//! the whole register (`cnum64`) and one of its low half (`cnum32`), reduced after every
//! step as the kernel's `reg_bounds_sync` does.
//!
//! The reduction ([`CnumProduct::sync`]): each arc meets the unsigned and signed ranges of
//! the tnum's bits (`__update_reg_bounds`); the low arc meets the low half of the whole
//! arc when that arc spans at most `2^32` values (`deduce_bounds_32_from_64`), and the
//! whole arc's ends move inwards to the nearest values whose low half lies in the low arc
//! (`deduce_bounds_64_from_32`, [`Cnum::restrict_low`]); the tnum meets the ranges of both
//! arcs' unsigned and signed views (`__reg_bound_offset`); the bounds from the tnum are met
//! again. Joins, widenings and narrowings are componentwise without reduction, so that
//! widening still terminates; meets reduce.

use bpfprove_semantics::isa::{BinOp, ByteOrder, Cond, Size, Width};
use bpfprove_semantics::word::Boolean;

use crate::arith::{Choose, DomainWord, pick, trunc};
use crate::cnum::Cnum;
use crate::convert;
use crate::lattice::Lattice;
use crate::tnum::Tnum;
use crate::value::{Component, Relation, ValueDomain};

/// A register as the kernel keeps it: known bits and two arcs whose concretisations are
/// intersected (`whole` at the full width, `low` over the low half at half width).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CnumProduct<W> {
    tnum: Tnum<W>,
    whole: Cnum<W>,
    low: Cnum<W>,
}

impl<W: DomainWord> CnumProduct<W> {
    /// The product of the given views, reduced; `low` is read at half width (higher bits
    /// are dropped; a size of `2^half - 1` is the whole low circle).
    pub fn new(tnum: Tnum<W>, whole: Cnum<W>, low: Cnum<W>) -> Self {
        let h = tnum.width() / 2;
        let low = Cnum::arc(trunc(&low.base, h), trunc(&low.size, h), h);
        CnumProduct { tnum, whole, low }.sync()
    }

    /// The known bits.
    pub fn tnum(&self) -> &Tnum<W> {
        &self.tnum
    }

    /// The arc of the whole register (`cnum64` at 64 bits).
    pub fn whole(&self) -> &Cnum<W> {
        &self.whole
    }

    /// The arc of the low half (`cnum32` at 64 bits), at half width.
    pub fn low(&self) -> &Cnum<W> {
        &self.low
    }

    fn width(&self) -> u32 {
        self.tnum.width()
    }

    fn half(&self) -> u32 {
        self.width() / 2
    }

    /// The unsigned bounds of the register: the whole arc's, met with the tnum's.
    pub(crate) fn unsigned_bounds(&self) -> crate::UInterval<W> {
        let n = self.width();
        self.whole.unsigned_view(n).meet_at(&convert::t_to_u(&self.tnum, n), n)
    }

    /// The signed bounds of the register: the whole arc's, met with the tnum's.
    pub(crate) fn signed_bounds(&self) -> crate::SInterval<W> {
        let n = self.width();
        self.whole.signed_view(n).meet_at(&convert::t_to_s(&self.tnum, n), n)
    }

    /// Lets the views sharpen each other, as `reg_bounds_sync` does (see the module doc).
    pub fn sync(self) -> Self {
        let (n, h) = (self.width(), self.half());
        let CnumProduct { mut tnum, mut whole, mut low } = self;
        let bounds_from_tnum = |tnum: &Tnum<W>, whole: &Cnum<W>, low: &Cnum<W>| {
            let low_tnum = tnum.truncate(h);
            (arc_meet_tnum(whole, tnum, n), arc_meet_tnum(low, &low_tnum, h))
        };
        (whole, low) = bounds_from_tnum(&tnum, &whole, &low);
        low = low.meet_at(&whole.truncate(h), h);
        whole = whole.restrict_low(&low, h);
        tnum = tnum_meet_arc(&tnum, &whole, n);
        let low_tnum = tnum_meet_arc(&Tnum::top_at(tnum.template(), h), &low, h);
        tnum = tnum.restrict_low(&low_tnum, h);
        (whole, low) = bounds_from_tnum(&tnum, &whole, &low);
        let reduced = CnumProduct { tnum, whole, low };
        let like = reduced.tnum.template().clone();
        pick(&reduced.is_bottom(), || Self::bottom(&like), || reduced)
    }

    fn strict(&self, other: Option<&Self>, result: impl FnOnce() -> Self) -> Self {
        let mut empty = self.is_bottom();
        if let Some(other) = other {
            empty = empty.or(&other.is_bottom());
        }
        pick(&empty, || Self::bottom(self.tnum.template()), result)
    }

    /// The value whose low half is described by `low` and `tnum` (at half width) and whose
    /// high half is zero: the result of a 32-bit operation.
    fn from_low(low: Cnum<W>, tnum: Tnum<W>, half: u32) -> Self {
        CnumProduct { whole: low.zero_extend(half), tnum: tnum.zero_extend(half), low }.sync()
    }

    /// Whole-width views with an unknown low arc, reduced.
    fn from_whole(tnum: Tnum<W>, whole: Cnum<W>) -> Self {
        let h = tnum.width() / 2;
        let low = Cnum::top_at(tnum.template(), h);
        CnumProduct { tnum, whole, low }.sync()
    }

    fn binary_full(&self, op: BinOp, src: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        // The low half of these results depends only on the operands' low halves.
        let low = if matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Mov) {
            self.low.binary_at(op, h, &src.low)
        } else {
            Cnum::top_at(self.tnum.template(), h)
        };
        CnumProduct { tnum: self.tnum.binary_at(op, n, &src.tnum), whole: self.whole.binary_at(op, n, &src.whole), low }
            .sync()
    }

    fn binary_low(&self, op: BinOp, src: &Self) -> Self {
        let h = self.half();
        let low = self.low.binary_at(op, h, &src.low);
        Self::from_low(low, self.tnum.truncate(h).binary_at(op, h, &src.tnum.truncate(h)), h)
    }

    /// The 32-bit result holding the low half of `self`, zero-extended.
    fn narrow_to_low(&self) -> Self {
        let h = self.half();
        Self::from_low(self.low.clone(), self.tnum.truncate(h), h)
    }

    fn refine_full(&self, relation: Relation, src: &Self) -> (Self, Self) {
        let (n, h) = (self.width(), self.half());
        let (whole_a, whole_b) = self.whole.refine_at(relation, n, &src.whole);
        let (tnum_a, tnum_b) = self.tnum.refine_at(relation, n, &src.tnum);
        let (low_a, low_b) = if relation == Relation::Holds(Cond::Eq) {
            (self.low.meet_at(&src.low, h), src.low.meet_at(&self.low, h))
        } else {
            (self.low.clone(), src.low.clone())
        };
        let build = |tnum, whole, low| CnumProduct { tnum, whole, low }.sync();
        (build(tnum_a, whole_a, low_a), build(tnum_b, whole_b, low_b))
    }

    fn refine_low(&self, relation: Relation, src: &Self) -> (Self, Self) {
        let h = self.half();
        let (low_a, low_b) = self.low.refine_at(relation, h, &src.low);
        let (tnum_a, tnum_b) = self.tnum.truncate(h).refine_at(relation, h, &src.tnum.truncate(h));
        let build = |full: &Self, low: Cnum<W>, low_tnum: Tnum<W>| {
            CnumProduct { whole: full.whole.restrict_low(&low, h), tnum: full.tnum.restrict_low(&low_tnum, h), low }
                .sync()
        };
        (build(self, low_a, tnum_a), build(src, low_b, tnum_b))
    }
}

/// `arc` met with the arcs of the unsigned and the signed range of `tnum`'s values at `bits`.
fn arc_meet_tnum<W: DomainWord>(arc: &Cnum<W>, tnum: &Tnum<W>, bits: u32) -> Cnum<W> {
    let unsigned = Cnum::from_unsigned(&convert::t_to_u(tnum, bits), bits);
    let signed = Cnum::from_signed(&convert::t_to_s(tnum, bits), bits);
    arc.meet_at(&unsigned, bits).meet_at(&signed, bits)
}

/// `tnum` met with the tnums of the arc's unsigned and signed views at `bits`.
fn tnum_meet_arc<W: DomainWord>(tnum: &Tnum<W>, arc: &Cnum<W>, bits: u32) -> Tnum<W> {
    let unsigned = convert::u_to_t(&arc.unsigned_view(bits), bits);
    let signed = convert::s_to_t(&arc.signed_view(bits), bits);
    tnum.meet_at(&unsigned, bits).meet_at(&signed, bits)
}

impl<W: DomainWord> Choose<W> for CnumProduct<W> {
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self {
        CnumProduct {
            tnum: Choose::choose(cond, &then.tnum, &otherwise.tnum),
            whole: Choose::choose(cond, &then.whole, &otherwise.whole),
            low: Choose::choose(cond, &then.low, &otherwise.low),
        }
    }
}

/// Join is Navas' smallest covering arc in each arc view (commutative, not associative);
/// meet is the intersection in each view, reduced: it lies below `self` always, and below
/// `other` too unless two arcs of one view overlap in two pieces (then that view keeps
/// `self`'s arc, see [`Cnum`]'s `meet_at`).
impl<W: DomainWord> Lattice for CnumProduct<W> {
    type Shape = W;
    type Bool = W::Bool;

    fn bottom(shape: &W) -> Self {
        let (n, h) = (shape.width(), shape.width() / 2);
        CnumProduct {
            tnum: Tnum::bottom_at(shape, n),
            whole: Cnum::bottom_at(shape, n),
            low: Cnum::bottom_at(shape, h),
        }
    }

    fn top(shape: &W) -> Self {
        let (n, h) = (shape.width(), shape.width() / 2);
        CnumProduct { tnum: Tnum::top_at(shape, n), whole: Cnum::top_at(shape, n), low: Cnum::top_at(shape, h) }
    }

    fn is_bottom(&self) -> W::Bool {
        let (n, h) = (self.width(), self.half());
        self.tnum.is_bottom_at(n).or(&self.whole.is_bottom_at(n)).or(&self.low.is_bottom_at(h))
    }

    fn leq(&self, other: &Self) -> W::Bool {
        let (n, h) = (self.width(), self.half());
        let componentwise = self
            .tnum
            .leq_at(&other.tnum, n)
            .and(&self.whole.leq_at(&other.whole, n))
            .and(&self.low.leq_at(&other.low, h));
        self.is_bottom().or(&componentwise)
    }

    fn join(&self, other: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        pick(
            &self.is_bottom(),
            || other.clone(),
            || {
                pick(
                    &other.is_bottom(),
                    || self.clone(),
                    || CnumProduct {
                        tnum: self.tnum.join_at(&other.tnum, n),
                        whole: self.whole.join_at(&other.whole, n),
                        low: self.low.join_at(&other.low, h),
                    },
                )
            },
        )
    }

    fn meet(&self, other: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        CnumProduct {
            tnum: self.tnum.meet_at(&other.tnum, n),
            whole: self.whole.meet_at(&other.whole, n),
            low: self.low.meet_at(&other.low, h),
        }
        .sync()
    }

    fn widen(&self, newer: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        pick(
            &self.is_bottom().or(&newer.is_bottom()),
            || self.join(newer),
            || CnumProduct {
                tnum: self.tnum.widen_at(&newer.tnum, n),
                whole: self.whole.widen_at(&newer.whole, n),
                low: self.low.widen_at(&newer.low, h),
            },
        )
    }

    fn narrow(&self, newer: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        pick(
            &newer.is_bottom(),
            || newer.clone(),
            || CnumProduct {
                tnum: self.tnum.narrow_at(&newer.tnum, n),
                whole: self.whole.narrow_at(&newer.whole, n),
                low: self.low.narrow_at(&newer.low, h),
            },
        )
    }
}

impl<W: DomainWord> ValueDomain<W> for CnumProduct<W> {
    const NAME: &'static str = "cnum";

    fn constant(value: &W) -> Self {
        let h = value.width() / 2;
        CnumProduct { tnum: Tnum::point(value), whole: Cnum::point(value), low: Cnum::point(&trunc(value, h)) }
    }

    fn contains(&self, value: &W) -> W::Bool {
        let (n, h) = (self.width(), self.half());
        self.tnum
            .contains_at(value, n)
            .and(&self.whole.contains_at(value, n))
            .and(&self.low.contains_at(&trunc(value, h), h))
    }

    fn binary(&self, op: BinOp, width: Width, src: &Self) -> Self {
        self.strict(Some(src), || match width {
            Width::W64 => self.binary_full(op, src),
            Width::W32 => self.binary_low(op, src),
        })
    }

    fn negate(&self, width: Width) -> Self {
        Self::constant(&self.tnum.template().constant(0)).binary(BinOp::Sub, width, self)
    }

    fn move_sign_extend(&self, width: Width, from: Size) -> Self {
        self.strict(None, || {
            let (n, h, bits) = (self.width(), self.half(), from.bits());
            let extended = if bits >= n {
                self.clone()
            } else if bits == h {
                // The low half stays; the whole register is the low arc sign-extended.
                CnumProduct {
                    tnum: self.tnum.sign_extend(bits),
                    whole: self.low.sign_extend_low(h).meet_at(&self.whole.sign_extend(bits), n),
                    low: self.low.clone(),
                }
                .sync()
            } else {
                Self::from_whole(self.tnum.sign_extend(bits), self.whole.sign_extend(bits))
            };
            match width {
                Width::W64 => extended,
                Width::W32 => extended.narrow_to_low(),
            }
        })
    }

    fn byte_order(&self, order: ByteOrder, bits: u32) -> Self {
        let n = self.width();
        self.strict(None, || match order {
            ByteOrder::ToLe if bits >= n => self.clone(),
            // The low half as it is, zero-extended: the low arc stays.
            ByteOrder::ToLe if bits == self.half() => self.narrow_to_low(),
            ByteOrder::ToLe => Self::from_whole(self.tnum.truncate(bits), self.whole.truncate(bits).zero_extend(bits)),
            ByteOrder::ToBe | ByteOrder::Swap => {
                Self::from_whole(self.tnum.swap_bytes(bits), self.whole.swap_bytes(bits))
            }
        })
    }

    fn refine(&self, relation: Relation, width: Width, src: &Self) -> (Self, Self) {
        match width {
            Width::W64 => self.refine_full(relation, src),
            Width::W32 => self.refine_low(relation, src),
        }
    }

    fn parts(&self) -> Vec<W> {
        vec![
            self.tnum.value.clone(),
            self.tnum.mask.clone(),
            self.whole.base.clone(),
            self.whole.size.clone(),
            self.low.base.clone(),
            self.low.size.clone(),
        ]
    }

    fn from_parts(next: &mut dyn FnMut() -> W) -> Self {
        // The low arc holds half-width words: their high bits are dropped.
        let low = |next: &mut dyn FnMut() -> W| {
            let word = next();
            trunc(&word, word.width() / 2)
        };
        CnumProduct {
            tnum: Tnum::new(next(), next()),
            whole: Cnum { base: next(), size: next() },
            low: Cnum { base: low(next), size: low(next) },
        }
    }
}
