//! The kernel-style reduced product (the domain `product`): unsigned and signed intervals
//! of the whole register and of its low half (the 32-bit sub-register at 64 bits), and a
//! tnum, synchronised after every step as Linux's `reg_bounds_sync` does.
//!
//! Transfer functions compute each component from the operands' components, then
//! [`Product::sync`] lets them sharpen each other. Joins and widenings are componentwise
//! without synchronisation, so that widening still terminates; meets synchronise.

use bpfprove_semantics::isa::{BinOp, ByteOrder, Cond, Size, Width};
use bpfprove_semantics::word::Boolean;

use crate::arith::{Choose, DomainWord, pick};
use crate::convert;
use crate::interval::UInterval;
use crate::lattice::Lattice;
use crate::signed::SInterval;
use crate::tnum::Tnum;
use crate::value::{Component, Relation, ValueDomain};

/// A register value as five views whose concretisations are intersected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Product<W> {
    unsigned: UInterval<W>,
    signed: SInterval<W>,
    low_unsigned: UInterval<W>,
    low_signed: SInterval<W>,
    tnum: Tnum<W>,
}

impl<W: DomainWord> Product<W> {
    /// The product of the given views, synchronised. The `low_*` views describe the low
    /// half of the word; their bounds are read at half width (higher bits are dropped).
    pub fn new(
        unsigned: UInterval<W>,
        signed: SInterval<W>,
        low_unsigned: UInterval<W>,
        low_signed: SInterval<W>,
        tnum: Tnum<W>,
    ) -> Self {
        let h = tnum.width() / 2;
        let low = |word: &W| crate::arith::trunc(word, h);
        let low_unsigned = UInterval::new(low(&low_unsigned.lo), low(&low_unsigned.hi));
        let low_signed = SInterval::new(low(&low_signed.lo), low(&low_signed.hi));
        Product { unsigned, signed, low_unsigned, low_signed, tnum }.sync()
    }

    /// The unsigned bounds of the register.
    pub fn unsigned(&self) -> &UInterval<W> {
        &self.unsigned
    }

    /// The signed bounds of the register.
    pub fn signed(&self) -> &SInterval<W> {
        &self.signed
    }

    /// The unsigned bounds of the low half.
    pub fn low_unsigned(&self) -> &UInterval<W> {
        &self.low_unsigned
    }

    /// The signed bounds of the low half.
    pub fn low_signed(&self) -> &SInterval<W> {
        &self.low_signed
    }

    /// The known bits of the register.
    pub fn tnum(&self) -> &Tnum<W> {
        &self.tnum
    }

    fn width(&self) -> u32 {
        self.tnum.width()
    }

    fn half(&self) -> u32 {
        self.width() / 2
    }

    /// The value whose low half is described by `unsigned`, `signed` and `tnum` (at half
    /// width) and whose high half is zero: the result of a 32-bit operation.
    fn from_low(unsigned: UInterval<W>, signed: SInterval<W>, tnum: Tnum<W>, half: u32) -> Self {
        Product {
            unsigned: unsigned.zero_extend(half),
            signed: signed.zero_extend(half),
            low_unsigned: unsigned,
            low_signed: signed,
            tnum: tnum.zero_extend(half),
        }
        .sync()
    }

    /// The views over the full width, with unknown low halves, synchronised.
    fn from_full(unsigned: UInterval<W>, signed: SInterval<W>, tnum: Tnum<W>) -> Self {
        let like = tnum.template().clone();
        let half = like.width() / 2;
        Product {
            unsigned,
            signed,
            low_unsigned: UInterval::top_at(&like, half),
            low_signed: SInterval::top_at(&like, half),
            tnum,
        }
        .sync()
    }

    /// Lets the views sharpen each other, as `reg_bounds_sync` does: bounds from the
    /// known bits, low-half bounds from the full ones and back, signed bounds from
    /// unsigned ones where no sign boundary is crossed, and known bits from the bounds.
    pub fn sync(self) -> Self {
        let (n, h) = (self.width(), self.half());
        let Product { mut unsigned, mut signed, mut low_unsigned, mut low_signed, mut tnum } = self;

        let bounds_from_tnum = |unsigned: &mut UInterval<W>,
                                signed: &mut SInterval<W>,
                                low_unsigned: &mut UInterval<W>,
                                low_signed: &mut SInterval<W>,
                                tnum: &Tnum<W>| {
            let low_tnum = tnum.truncate(h);
            *unsigned = unsigned.meet_at(&convert::t_to_u(tnum, n), n);
            *signed = signed.meet_at(&convert::t_to_s(tnum, n), n);
            *low_unsigned = low_unsigned.meet_at(&convert::t_to_u(&low_tnum, h), h);
            *low_signed = low_signed.meet_at(&convert::t_to_s(&low_tnum, h), h);
        };
        bounds_from_tnum(&mut unsigned, &mut signed, &mut low_unsigned, &mut low_signed, &tnum);

        low_unsigned = low_unsigned.meet_at(&unsigned.truncate(h), h);
        low_signed = low_signed.meet_at(&signed.truncate(h), h);
        low_unsigned = low_unsigned.meet_at(&convert::s_to_u(&low_signed, h), h);
        low_signed = low_signed.meet_at(&convert::u_to_s(&low_unsigned, h), h);

        unsigned = unsigned.meet_at(&convert::s_to_u(&signed, n), n);
        unsigned = unsigned.restrict_low(&low_unsigned, h);
        signed = signed.meet_at(&convert::u_to_s(&unsigned, n), n);

        tnum = tnum.meet_at(&convert::u_to_t(&unsigned, n), n).meet_at(&convert::s_to_t(&signed, n), n);
        let low_tnum = convert::u_to_t(&low_unsigned, h).meet_at(&convert::s_to_t(&low_signed, h), h);
        tnum = tnum.restrict_low(&low_tnum, h);

        bounds_from_tnum(&mut unsigned, &mut signed, &mut low_unsigned, &mut low_signed, &tnum);
        Product { unsigned, signed, low_unsigned, low_signed, tnum }
    }

    fn strict(&self, other: Option<&Self>, result: impl FnOnce() -> Self) -> Self {
        let mut empty = self.is_bottom();
        if let Some(other) = other {
            empty = empty.or(&other.is_bottom());
        }
        pick(&empty, || Self::bottom(self.tnum.template()), result)
    }

    fn binary_full(&self, op: BinOp, src: &Self) -> Self {
        let h = self.half();
        // The low half of these results depends only on the operands' low halves.
        let low_determined = matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Mov);
        let (low_unsigned, low_signed) = if low_determined {
            bounds_binary((&self.low_unsigned, &self.low_signed), op, h, (&src.low_unsigned, &src.low_signed))
        } else {
            (UInterval::top_at(self.tnum.template(), h), SInterval::top_at(self.tnum.template(), h))
        };
        let n = self.width();
        let (unsigned, signed) = bounds_binary((&self.unsigned, &self.signed), op, n, (&src.unsigned, &src.signed));
        Product { unsigned, signed, low_unsigned, low_signed, tnum: self.tnum.binary_at(op, n, &src.tnum) }.sync()
    }

    fn binary_low(&self, op: BinOp, src: &Self) -> Self {
        let h = self.half();
        let (low_unsigned, low_signed) =
            bounds_binary((&self.low_unsigned, &self.low_signed), op, h, (&src.low_unsigned, &src.low_signed));
        Self::from_low(low_unsigned, low_signed, self.tnum.truncate(h).binary_at(op, h, &src.tnum.truncate(h)), h)
    }

    /// The 32-bit result holding the low half of `self`, zero-extended.
    fn narrow_to_low(&self) -> Self {
        let h = self.half();
        Self::from_low(self.low_unsigned.clone(), self.low_signed.clone(), self.tnum.truncate(h), h)
    }

    fn refine_full(&self, relation: Relation, src: &Self) -> (Self, Self) {
        let n = self.width();
        let (unsigned_a, unsigned_b) = self.unsigned.refine_at(relation, n, &src.unsigned);
        let (signed_a, signed_b) = self.signed.refine_at(relation, n, &src.signed);
        let (tnum_a, tnum_b) = self.tnum.refine_at(relation, n, &src.tnum);
        let (low_a, low_b) = if relation == Relation::Holds(Cond::Eq) {
            let h = self.half();
            let unsigned = self.low_unsigned.meet_at(&src.low_unsigned, h);
            let signed = self.low_signed.meet_at(&src.low_signed, h);
            ((unsigned.clone(), signed.clone()), (unsigned, signed))
        } else {
            ((self.low_unsigned.clone(), self.low_signed.clone()), (src.low_unsigned.clone(), src.low_signed.clone()))
        };
        let build = |unsigned, signed, (low_unsigned, low_signed), tnum| {
            Product { unsigned, signed, low_unsigned, low_signed, tnum }.sync()
        };
        (build(unsigned_a, signed_a, low_a, tnum_a), build(unsigned_b, signed_b, low_b, tnum_b))
    }

    fn refine_low(&self, relation: Relation, src: &Self) -> (Self, Self) {
        let h = self.half();
        let (unsigned_a, unsigned_b) = self.low_unsigned.refine_at(relation, h, &src.low_unsigned);
        let (signed_a, signed_b) = self.low_signed.refine_at(relation, h, &src.low_signed);
        let (tnum_a, tnum_b) = self.tnum.truncate(h).refine_at(relation, h, &src.tnum.truncate(h));
        let build = |full: &Self, low_unsigned: UInterval<W>, low_signed: SInterval<W>, low_tnum: Tnum<W>| {
            Product {
                unsigned: full.unsigned.restrict_low(&low_unsigned, h),
                signed: full.signed.restrict_low(&low_signed, h),
                tnum: full.tnum.restrict_low(&low_tnum, h),
                low_unsigned,
                low_signed,
            }
            .sync()
        };
        (build(self, unsigned_a, signed_a, tnum_a), build(src, unsigned_b, signed_b, tnum_b))
    }
}

/// The unsigned and signed bounds of `a op b` at `bits`, from the operands' (unsigned,
/// signed) views at `bits`: each view's `bounds_binary`, computed once where one view's rule
/// goes through the other view.
///
/// `SInterval::bounds_binary` computes division, remainder, shifts and bitwise operations on
/// the unsigned views of its operands, and `UInterval::bounds_binary` computes the signed
/// ones on the signed views. When those converted views of both operands equal the
/// product's own other views (as they mostly do once synchronised), the other view's
/// result is reused: the same bounds for half the work.
fn bounds_binary<W: DomainWord>(
    (a_unsigned, a_signed): (&UInterval<W>, &SInterval<W>),
    op: BinOp,
    bits: u32,
    (b_unsigned, b_signed): (&UInterval<W>, &SInterval<W>),
) -> (UInterval<W>, SInterval<W>) {
    let same_u = |x: &UInterval<W>, y: &UInterval<W>| x.lo.eq(&y.lo).and(&x.hi.eq(&y.hi));
    let same_s = |x: &SInterval<W>, y: &SInterval<W>| x.lo.eq(&y.lo).and(&x.hi.eq(&y.hi));
    match op {
        BinOp::Div | BinOp::Mod | BinOp::Lsh | BinOp::Rsh | BinOp::And | BinOp::Or | BinOp::Xor => {
            let unsigned = a_unsigned.bounds_binary(op, bits, b_unsigned);
            let views_agree = same_u(&convert::s_to_u(a_signed, bits), a_unsigned)
                .and(&same_u(&convert::s_to_u(b_signed, bits), b_unsigned));
            let signed =
                pick(&views_agree, || convert::u_to_s(&unsigned, bits), || a_signed.bounds_binary(op, bits, b_signed));
            (unsigned, signed)
        }
        BinOp::SDiv | BinOp::SMod | BinOp::Arsh => {
            let signed = a_signed.bounds_binary(op, bits, b_signed);
            let views_agree = same_s(&convert::u_to_s(a_unsigned, bits), a_signed)
                .and(&same_s(&convert::u_to_s(b_unsigned, bits), b_signed));
            let unsigned = pick(
                &views_agree,
                || convert::s_to_u(&signed, bits),
                || a_unsigned.bounds_binary(op, bits, b_unsigned),
            );
            (unsigned, signed)
        }
        _ => (a_unsigned.bounds_binary(op, bits, b_unsigned), a_signed.bounds_binary(op, bits, b_signed)),
    }
}

impl<W: DomainWord> Choose<W> for Product<W> {
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self {
        Product {
            unsigned: Choose::choose(cond, &then.unsigned, &otherwise.unsigned),
            signed: Choose::choose(cond, &then.signed, &otherwise.signed),
            low_unsigned: Choose::choose(cond, &then.low_unsigned, &otherwise.low_unsigned),
            low_signed: Choose::choose(cond, &then.low_signed, &otherwise.low_signed),
            tnum: Choose::choose(cond, &then.tnum, &otherwise.tnum),
        }
    }
}

impl<W: DomainWord> Lattice for Product<W> {
    type Shape = W;
    type Bool = W::Bool;

    fn bottom(shape: &W) -> Self {
        let (n, h) = (shape.width(), shape.width() / 2);
        Product {
            unsigned: UInterval::bottom_at(shape, n),
            signed: SInterval::bottom_at(shape, n),
            low_unsigned: UInterval::bottom_at(shape, h),
            low_signed: SInterval::bottom_at(shape, h),
            tnum: Tnum::bottom_at(shape, n),
        }
    }

    fn top(shape: &W) -> Self {
        let (n, h) = (shape.width(), shape.width() / 2);
        Product {
            unsigned: UInterval::top_at(shape, n),
            signed: SInterval::top_at(shape, n),
            low_unsigned: UInterval::top_at(shape, h),
            low_signed: SInterval::top_at(shape, h),
            tnum: Tnum::top_at(shape, n),
        }
    }

    fn is_bottom(&self) -> W::Bool {
        let (n, h) = (self.width(), self.half());
        self.unsigned
            .is_bottom_at(n)
            .or(&self.signed.is_bottom_at(n))
            .or(&self.low_unsigned.is_bottom_at(h))
            .or(&self.low_signed.is_bottom_at(h))
            .or(&self.tnum.is_bottom_at(n))
    }

    fn leq(&self, other: &Self) -> W::Bool {
        let (n, h) = (self.width(), self.half());
        let componentwise = self
            .unsigned
            .leq_at(&other.unsigned, n)
            .and(&self.signed.leq_at(&other.signed, n))
            .and(&self.low_unsigned.leq_at(&other.low_unsigned, h))
            .and(&self.low_signed.leq_at(&other.low_signed, h))
            .and(&self.tnum.leq_at(&other.tnum, n));
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
                    || Product {
                        unsigned: self.unsigned.join_at(&other.unsigned, n),
                        signed: self.signed.join_at(&other.signed, n),
                        low_unsigned: self.low_unsigned.join_at(&other.low_unsigned, h),
                        low_signed: self.low_signed.join_at(&other.low_signed, h),
                        tnum: self.tnum.join_at(&other.tnum, n),
                    },
                )
            },
        )
    }

    fn meet(&self, other: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        Product {
            unsigned: self.unsigned.meet_at(&other.unsigned, n),
            signed: self.signed.meet_at(&other.signed, n),
            low_unsigned: self.low_unsigned.meet_at(&other.low_unsigned, h),
            low_signed: self.low_signed.meet_at(&other.low_signed, h),
            tnum: self.tnum.meet_at(&other.tnum, n),
        }
        .sync()
    }

    fn widen(&self, newer: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        pick(
            &self.is_bottom().or(&newer.is_bottom()),
            || self.join(newer),
            || Product {
                unsigned: self.unsigned.widen_at(&newer.unsigned, n),
                signed: self.signed.widen_at(&newer.signed, n),
                low_unsigned: self.low_unsigned.widen_at(&newer.low_unsigned, h),
                low_signed: self.low_signed.widen_at(&newer.low_signed, h),
                tnum: self.tnum.widen_at(&newer.tnum, n),
            },
        )
    }

    fn narrow(&self, newer: &Self) -> Self {
        let (n, h) = (self.width(), self.half());
        pick(
            &newer.is_bottom(),
            || newer.clone(),
            || Product {
                unsigned: self.unsigned.narrow_at(&newer.unsigned, n),
                signed: self.signed.narrow_at(&newer.signed, n),
                low_unsigned: self.low_unsigned.narrow_at(&newer.low_unsigned, h),
                low_signed: self.low_signed.narrow_at(&newer.low_signed, h),
                tnum: self.tnum.narrow_at(&newer.tnum, n),
            },
        )
    }
}

impl<W: DomainWord> ValueDomain<W> for Product<W> {
    const NAME: &'static str = "product";

    fn constant(value: &W) -> Self {
        let h = value.width() / 2;
        let low = crate::arith::trunc(value, h);
        Product {
            unsigned: UInterval::point(value),
            signed: SInterval::point(value),
            low_unsigned: UInterval::point(&low),
            low_signed: SInterval::point(&low),
            tnum: Tnum::point(value),
        }
    }

    fn contains(&self, value: &W) -> W::Bool {
        let (n, h) = (self.width(), self.half());
        let low = crate::arith::trunc(value, h);
        self.unsigned
            .contains_at(value, n)
            .and(&self.signed.contains_at(value, n))
            .and(&self.low_unsigned.contains_at(&low, h))
            .and(&self.low_signed.contains_at(&low, h))
            .and(&self.tnum.contains_at(value, n))
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
            let bits = from.bits();
            let extended = if bits >= self.width() {
                self.clone()
            } else {
                Self::from_full(
                    self.unsigned.sign_extend(bits),
                    self.signed.sign_extend(bits),
                    self.tnum.sign_extend(bits),
                )
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
            ByteOrder::ToLe => Self::from_full(
                self.unsigned.truncate(bits).zero_extend(bits),
                self.signed.truncate(bits).zero_extend(bits),
                self.tnum.truncate(bits),
            ),
            ByteOrder::ToBe | ByteOrder::Swap => {
                let like = self.tnum.template();
                Self::from_full(UInterval::top_at(like, n), SInterval::top_at(like, n), self.tnum.swap_bytes(bits))
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
        let mut parts = Vec::with_capacity(10);
        parts.extend([self.unsigned.lo.clone(), self.unsigned.hi.clone()]);
        parts.extend([self.signed.lo.clone(), self.signed.hi.clone()]);
        parts.extend([self.low_unsigned.lo.clone(), self.low_unsigned.hi.clone()]);
        parts.extend([self.low_signed.lo.clone(), self.low_signed.hi.clone()]);
        parts.extend([self.tnum.value.clone(), self.tnum.mask.clone()]);
        parts
    }

    fn from_parts(next: &mut dyn FnMut() -> W) -> Self {
        // The low views hold half-width words: their high bits are dropped.
        let low = |next: &mut dyn FnMut() -> W| {
            let word = next();
            crate::arith::trunc(&word, word.width() / 2)
        };
        Product {
            unsigned: UInterval::new(next(), next()),
            signed: SInterval::new(next(), next()),
            low_unsigned: UInterval::new(low(next), low(next)),
            low_signed: SInterval::new(low(next), low(next)),
            tnum: Tnum::new(next(), next()),
        }
    }
}
