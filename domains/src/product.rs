//! The kernel-style reduced product (the domain `product`): unsigned and signed intervals
//! of the whole register and of its low half (the 32-bit sub-register at 64 bits), and a
//! tnum, synchronised after every step as Linux's `reg_bounds_sync` does.
//!
//! Transfer functions compute each component from the operands' components, then
//! [`Product::sync`] lets them sharpen each other. Joins and widenings are componentwise
//! without synchronisation, so that widening still terminates; meets synchronise.

use bpfprove_semantics::isa::{BinOp, ByteOrder, Cond, Size, Width};
use bpfprove_semantics::word::Boolean;

use crate::arith::{self, Choose, DomainWord, is_negative, pick};
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
        self.sync_with(Shortcut::Allowed)
    }

    /// [`Product::sync`]; with [`Shortcut::Allowed`], known words skip steps that provably
    /// change nothing (see the comments there), which `sync_shortcut_changes_nothing` checks:
    /// the result is the same, or empty both ways.
    fn sync_with(self, shortcut: Shortcut) -> Self {
        // A product with an empty view is empty, and every step below keeps an empty view
        // empty: known words return the canonical empty product at once.
        if shortcut == Shortcut::Allowed && W::known_truth(&self.is_bottom()) == Some(true) {
            return Self::bottom(self.tnum.template());
        }
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
        let tnum_before = tnum.clone();

        low_unsigned = low_unsigned.meet_at(&unsigned.truncate(h), h);
        low_signed = low_signed.meet_at(&signed.truncate(h), h);
        (low_unsigned, low_signed) = meet_views(&low_unsigned, &low_signed, h);

        // Meeting the views before the restrictions lets a range that the other view confines
        // to one block of high bits learn its low half; meeting them after passes on what
        // the low halves taught.
        (unsigned, signed) = meet_views(&unsigned, &signed, n);
        unsigned = unsigned.restrict_low(&low_unsigned, h);
        signed = signed.restrict_low(&low_signed, h);
        (unsigned, signed) = meet_views(&unsigned, &signed, n);

        // Signed bounds that are the unsigned ones, on one side of the sign boundary, give
        // the same tnum range, and meeting with a range twice changes nothing: known words
        // skip the second meet then.
        let skip_signed = |unsigned: &UInterval<W>, signed: &SInterval<W>, bits: u32| {
            let same = unsigned.lo.eq(&signed.lo).and(&unsigned.hi.eq(&signed.hi));
            let one_side = arith::same(&is_negative(&signed.lo, bits), &is_negative(&signed.hi, bits));
            let condition = same.and(&one_side).and(&arith::sle(&signed.lo, &signed.hi, bits));
            shortcut == Shortcut::Allowed && W::known_truth(&condition) == Some(true)
        };
        tnum = tnum.meet_at(&convert::u_to_t(&unsigned, n), n);
        if !skip_signed(&unsigned, &signed, n) {
            tnum = tnum.meet_at(&convert::s_to_t(&signed, n), n);
        }
        let mut low_tnum = convert::u_to_t(&low_unsigned, h);
        if !skip_signed(&low_unsigned, &low_signed, h) {
            low_tnum = low_tnum.meet_at(&convert::s_to_t(&low_signed, h), h);
        }
        tnum = tnum.restrict_low(&low_tnum, h);

        // The bounds met the tnum's at the start and only shrank since (every step above is a
        // meet, or a restriction that is a meet or empty), so while the tnum is unchanged,
        // meeting them with its bounds again changes nothing. Known words skip the pass
        // then; solver terms always take it, which gives the same value.
        let unchanged = tnum.value.eq(&tnum_before.value).and(&tnum.mask.eq(&tnum_before.mask));
        if shortcut == Shortcut::Forbidden || W::known_truth(&unchanged) != Some(true) {
            bounds_from_tnum(&mut unsigned, &mut signed, &mut low_unsigned, &mut low_signed, &tnum);
        }
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
        let ((unsigned_a, unsigned_b), (signed_a, signed_b)) =
            refine_bounds((&self.unsigned, &self.signed), relation, n, (&src.unsigned, &src.signed));
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
        let ((unsigned_a, unsigned_b), (signed_a, signed_b)) =
            refine_bounds((&self.low_unsigned, &self.low_signed), relation, h, (&src.low_unsigned, &src.low_signed));
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

/// The values in both `unsigned` and `signed` at `bits`, as the smallest unsigned and signed
/// intervals holding them (Linux's deductions between the s64 and u64 ranges, and between
/// the s32 and u32 ones, in one exact step).
///
/// On the unsigned number line the signed interval is its non-negative part `[max(lo, 0),
/// hi]` and its negative part `[lo, min(hi, -1)]`, each one interval that keeps its order in
/// both readings. The intersection is the union of the unsigned interval's meets with those
/// two parts, and each reading's hull of that union is the join of the parts in that
/// reading. When the unsigned interval overlaps only one part (the "positive" and
/// "negative overlap" cases), both results are that overlap; when it overlaps both, the
/// hulls are the inputs again: no single interval in either reading says more.
pub(crate) fn meet_views<W: DomainWord>(
    unsigned: &UInterval<W>,
    signed: &SInterval<W>,
    bits: u32,
) -> (UInterval<W>, SInterval<W>) {
    let like = &signed.lo;
    let (zero, minus_one) = (arith::zero(like), arith::ones(like, bits));
    let inhabited = arith::sle(&signed.lo, &signed.hi, bits);
    let part = |exists: W::Bool, lo: W, hi: W| {
        let part = pick(&exists, || UInterval::new(lo, hi), || UInterval::bottom_at(like, bits));
        unsigned.meet_at(&part, bits)
    };
    let non_negative = part(
        inhabited.and(&is_negative(&signed.hi, bits).not()),
        arith::smax(&signed.lo, &zero, bits),
        signed.hi.clone(),
    );
    let negative = part(
        inhabited.and(&is_negative(&signed.lo, bits)),
        signed.lo.clone(),
        arith::smin(&signed.hi, &minus_one, bits),
    );
    // Each part lies on one side of the sign boundary, where both readings order alike.
    let as_signed = |part: &UInterval<W>| {
        pick(
            &part.is_bottom_at(bits),
            || SInterval::bottom_at(like, bits),
            || SInterval::new(part.lo.clone(), part.hi.clone()),
        )
    };
    let joined_signed = as_signed(&non_negative).join_at(&as_signed(&negative), bits);
    (non_negative.join_at(&negative, bits), joined_signed)
}

/// Whether the signed view, read as unsigned (`s_to_u`), is the unsigned view.
fn signed_views_are_unsigned<W: DomainWord>(unsigned: &UInterval<W>, signed: &SInterval<W>, bits: u32) -> W::Bool {
    let converted = convert::s_to_u(signed, bits);
    converted.lo.eq(&unsigned.lo).and(&converted.hi.eq(&unsigned.hi))
}

/// Whether the unsigned view, read as signed (`u_to_s`), is the signed view.
fn unsigned_views_are_signed<W: DomainWord>(unsigned: &UInterval<W>, signed: &SInterval<W>, bits: u32) -> W::Bool {
    let converted = convert::u_to_s(unsigned, bits);
    converted.lo.eq(&signed.lo).and(&converted.hi.eq(&signed.hi))
}

/// Both operands refined by `relation` in the unsigned and the signed view at `bits`: each
/// view's `refine_at`, computed once where one view's rule goes through the other view.
///
/// `UInterval::refine_at` refines by the signed orderings through the signed views of its
/// operands (then meets), and `SInterval::refine_at` refines by the unsigned orderings
/// through the unsigned views. When those converted views of both operands equal the
/// product's own other views, the other view's refinement is reused, as in
/// [`bounds_binary`].
#[allow(clippy::type_complexity)]
#[inline(always)]
pub(crate) fn refine_bounds<W: DomainWord>(
    (a_unsigned, a_signed): (&UInterval<W>, &SInterval<W>),
    relation: Relation,
    bits: u32,
    (b_unsigned, b_signed): (&UInterval<W>, &SInterval<W>),
) -> ((UInterval<W>, UInterval<W>), (SInterval<W>, SInterval<W>)) {
    match relation {
        Relation::Holds(Cond::Lt | Cond::Le | Cond::Gt | Cond::Ge) => {
            let (ua, ub) = a_unsigned.refine_at(relation, bits, b_unsigned);
            let views_agree = signed_views_are_unsigned(a_unsigned, a_signed, bits)
                .and(&signed_views_are_unsigned(b_unsigned, b_signed, bits));
            let signed = pick(
                &views_agree,
                || {
                    (
                        a_signed.meet_at(&convert::u_to_s(&ua, bits), bits),
                        b_signed.meet_at(&convert::u_to_s(&ub, bits), bits),
                    )
                },
                || a_signed.refine_at(relation, bits, b_signed),
            );
            ((ua, ub), signed)
        }
        Relation::Holds(Cond::SLt | Cond::SLe | Cond::SGt | Cond::SGe) => {
            let (sa, sb) = a_signed.refine_at(relation, bits, b_signed);
            let views_agree = unsigned_views_are_signed(a_unsigned, a_signed, bits)
                .and(&unsigned_views_are_signed(b_unsigned, b_signed, bits));
            let unsigned = pick(
                &views_agree,
                || {
                    (
                        a_unsigned.meet_at(&convert::s_to_u(&sa, bits), bits),
                        b_unsigned.meet_at(&convert::s_to_u(&sb, bits), bits),
                    )
                },
                || a_unsigned.refine_at(relation, bits, b_unsigned),
            );
            (unsigned, (sa, sb))
        }
        _ => (a_unsigned.refine_at(relation, bits, b_unsigned), a_signed.refine_at(relation, bits, b_signed)),
    }
}

/// Whether [`Product::sync`] may skip work that provably changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shortcut {
    Allowed,
    /// Only for the test that the shortcut changes nothing.
    #[cfg_attr(not(test), allow(dead_code))]
    Forbidden,
}

/// The unsigned and signed bounds of `a op b` at `bits`, from the operands' (unsigned,
/// signed) views at `bits`: each view's `bounds_binary`, computed once where one view's rule
/// goes through the other view.
///
/// `SInterval::bounds_binary` computes division, remainder, shifts and bitwise operations on
/// the unsigned views of its operands, and `UInterval::bounds_binary` computes the signed
/// ones on the signed views. When those converted views of both operands equal the
/// product's own other views (as they mostly do once synchronised), the other view's
/// result is reused: the same bounds for half the work. Multiplication of non-negative
/// operands, the same in both views, likewise gets its signed bounds from the unsigned ones.
#[inline(always)]
pub(crate) fn bounds_binary<W: DomainWord>(
    (a_unsigned, a_signed): (&UInterval<W>, &SInterval<W>),
    op: BinOp,
    bits: u32,
    (b_unsigned, b_signed): (&UInterval<W>, &SInterval<W>),
) -> (UInterval<W>, SInterval<W>) {
    match op {
        BinOp::Div | BinOp::Mod | BinOp::Lsh | BinOp::Rsh | BinOp::And | BinOp::Or | BinOp::Xor => {
            let unsigned = a_unsigned.bounds_binary(op, bits, b_unsigned);
            let views_agree = signed_views_are_unsigned(a_unsigned, a_signed, bits)
                .and(&signed_views_are_unsigned(b_unsigned, b_signed, bits));
            let signed =
                pick(&views_agree, || convert::u_to_s(&unsigned, bits), || a_signed.bounds_binary(op, bits, b_signed));
            (unsigned, signed)
        }
        BinOp::SDiv | BinOp::SMod | BinOp::Arsh => {
            let signed = a_signed.bounds_binary(op, bits, b_signed);
            let views_agree = unsigned_views_are_signed(a_unsigned, a_signed, bits)
                .and(&unsigned_views_are_signed(b_unsigned, b_signed, bits));
            let unsigned = pick(
                &views_agree,
                || convert::s_to_u(&signed, bits),
                || a_unsigned.bounds_binary(op, bits, b_unsigned),
            );
            (unsigned, signed)
        }
        BinOp::Mul => {
            // With both operands `0 <= lo <= hi` in a signed view that is also their unsigned
            // view, the signed product overflows exactly when the unsigned one does or its
            // upper bound has the sign bit; otherwise both views hold `[lo * lo, hi * hi]`.
            let unsigned = a_unsigned.bounds_binary(op, bits, b_unsigned);
            let plain = |u: &UInterval<W>, s: &SInterval<W>| {
                unsigned_views_are_signed(u, s, bits)
                    .and(&is_negative(&s.lo, bits).not())
                    .and(&arith::sle(&s.lo, &s.hi, bits))
            };
            let signed = pick(
                &plain(a_unsigned, a_signed).and(&plain(b_unsigned, b_signed)),
                || {
                    pick(
                        &is_negative(&unsigned.hi, bits),
                        || SInterval::top_at(&unsigned.lo, bits),
                        || SInterval::new(unsigned.lo.clone(), unsigned.hi.clone()),
                    )
                },
                || a_signed.bounds_binary(op, bits, b_signed),
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
            } else if bits == self.half() {
                // Extending the low half keeps it: the low views stay, and `sync` extends
                // the signed one to the whole register (`SInterval::restrict_low`).
                Product {
                    unsigned: self.unsigned.sign_extend(bits),
                    signed: self.signed.sign_extend(bits),
                    low_unsigned: self.low_unsigned.clone(),
                    low_signed: self.low_signed.clone(),
                    tnum: self.tnum.sign_extend(bits),
                }
                .sync()
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

#[cfg(test)]
mod tests {
    use bpfprove_semantics::word::Bits;

    use super::*;
    use crate::check::enumerate::Sampler;

    /// Random products at `width` bits: a third from random words, a third of those
    /// synchronised, and a third the synchronised range between two random words (whose
    /// views agree when the range keeps one sign, as the analyzer's values mostly do).
    fn products(width: u32, count: usize) -> Vec<Product<Bits>> {
        let mut sampler = Sampler::new(u64::from(width) * 31);
        let mut values = Vec::with_capacity(count);
        for i in 0..count {
            let value = match i % 3 {
                0 | 1 => {
                    let value = Product::from_parts(&mut || Bits::new(width, sampler.word(width)));
                    if i % 3 == 0 { value.sync_with(Shortcut::Forbidden) } else { value }
                }
                _ => {
                    let (x, y) = (sampler.word(width), sampler.word(width));
                    let (x, y) = (Bits::new(width, x.min(y)), Bits::new(width, x.max(y)));
                    let top = Product::top(&x);
                    Product { unsigned: UInterval::new(x, y), ..top }.sync_with(Shortcut::Forbidden)
                }
            };
            values.push(value);
        }
        values
    }

    /// Whether the views of `p` agree and are non-negative, so that the shortcuts apply.
    fn agreeing(p: &Product<Bits>) -> bool {
        let (lo, hi) = (p.signed.lo.signed(), p.signed.hi.signed());
        p.unsigned.lo == p.signed.lo && p.unsigned.hi == p.signed.hi && 0 <= lo && lo <= hi
    }

    /// Operand pairs: each value with its neighbour, and with the next value of its kind.
    fn pairs(values: &[Product<Bits>]) -> impl Iterator<Item = (&Product<Bits>, &Product<Bits>)> {
        values.iter().zip(&values[1..]).chain(values.iter().zip(&values[3..]))
    }

    /// Views of values at `bits` in words of `width` bits.
    fn views_in(
        width: u32,
        bits: u32,
        (ulo, uhi): (u64, u64),
        (slo, shi): (i64, i64),
    ) -> (UInterval<Bits>, SInterval<Bits>) {
        let word = |value: u64| Bits::new(width, value);
        // Signed bounds as two's-complement patterns at `bits`.
        let signed = |value: i64| word(value as u64 & arith::low_mask(bits));
        (UInterval::new(word(ulo), word(uhi)), SInterval::new(signed(slo), signed(shi)))
    }

    fn views_at(bits: u32, unsigned: (u64, u64), signed: (i64, i64)) -> (UInterval<Bits>, SInterval<Bits>) {
        views_in(bits, bits, unsigned, signed)
    }

    /// A 64-bit product whose views are top but the given ones.
    fn product_with(
        (unsigned, signed): (Option<UInterval<Bits>>, Option<SInterval<Bits>>),
        (low_unsigned, low_signed): (Option<UInterval<Bits>>, Option<SInterval<Bits>>),
    ) -> Product<Bits> {
        let like = Bits::new(64, 0);
        Product::new(
            unsigned.unwrap_or_else(|| UInterval::top_at(&like, 64)),
            signed.unwrap_or_else(|| SInterval::top_at(&like, 64)),
            low_unsigned.unwrap_or_else(|| UInterval::top_at(&like, 32)),
            low_signed.unwrap_or_else(|| SInterval::top_at(&like, 32)),
            Tnum::top(&like),
        )
    }

    fn met(bits: u32, unsigned: (u64, u64), signed: (i64, i64)) -> ((u64, u64), (i64, i64)) {
        let (u, s) = views_at(bits, unsigned, signed);
        let (u, s) = meet_views(&u, &s, bits);
        ((u.lo.value(), u.hi.value()), (s.lo.signed(), s.hi.signed()))
    }

    #[test]
    fn positive_overlap_leaves_the_non_negative_part() {
        // `r0 = (s8)r0; if r0 > 0xffffffffffffff00 goto`: the negative values lie above the
        // unsigned upper bound.
        assert_eq!(met(64, (0, u64::MAX - 255), (-128, 127)), ((0, 127), (0, 127)));
        // The 32-bit case of `signed_unsigned_intersection32_case2`: u32 [0, S32_MIN + 3]
        // and s32 [-3, S32_MAX] meet in [0, S32_MAX].
        assert_eq!(met(32, (0, 0x8000_0003), (-3, i64::from(i32::MAX))), ((0, 0x7fff_ffff), (0, 0x7fff_ffff)));
    }

    #[test]
    fn negative_overlap_leaves_the_negative_part() {
        // `bounds_deduct_negative_overlap`: u64 [0xfffffcf1, -146] and s64 [-655, 0xeffffeee];
        // the non-negative values lie below the unsigned lower bound.
        let expected = ((u64::MAX - 654, u64::MAX - 145), (-655, -146));
        assert_eq!(met(64, (0xffff_fcf1, u64::MAX - 145), (-655, 0xefff_feee)), expected);
        let expected = ((0xffff_ff80, 0xffff_fff0), (-128, -16));
        assert_eq!(met(32, (0x8000_0000, 0xffff_fff0), (-128, 100)), expected);
    }

    #[test]
    fn two_overlaps_deduce_nothing() {
        // Both parts of the signed range meet the unsigned one: each view's hull of the
        // intersection is that view again.
        assert_eq!(met(64, (100, u64::MAX - 99), (-128, 127)), ((100, u64::MAX - 99), (-128, 127)));
        assert_eq!(met(32, (100, 0xffff_ff9c), (-128, 127)), ((100, 0xffff_ff9c), (-128, 127)));
    }

    #[test]
    fn disjoint_views_meet_empty() {
        let (u, s) = views_at(64, (5, 10), (20, 30));
        let (u, s) = meet_views(&u, &s, 64);
        assert!(u.is_bottom_at(64) && s.is_bottom_at(64), "{u:?} {s:?}");
    }

    #[test]
    fn meet_views_is_each_views_hull_of_the_intersection() {
        // Every pair of (possibly empty) unsigned and signed intervals at 5 bits.
        let bits = 5;
        let size = 1u64 << bits;
        let word = |value| Bits::new(bits, value);
        for (ulo, uhi) in (0..size).flat_map(|lo| (0..size).map(move |hi| (lo, hi))) {
            for (slo, shi) in (0..size).flat_map(|lo| (0..size).map(move |hi| (lo, hi))) {
                let (u, s) = (UInterval::new(word(ulo), word(uhi)), SInterval::new(word(slo), word(shi)));
                let both: Vec<Bits> =
                    (0..size).map(word).filter(|x| u.contains_at(x, bits) && s.contains_at(x, bits)).collect();
                let (met_u, met_s) = meet_views(&u, &s, bits);
                if both.is_empty() {
                    assert!(met_u.is_bottom_at(bits) && met_s.is_bottom_at(bits), "{u:?} {s:?}: {met_u:?} {met_s:?}");
                    continue;
                }
                let unsigned = |x: &Bits| x.value();
                let signed = |x: &Bits| x.signed();
                let hull_u = (both.iter().map(unsigned).min(), both.iter().map(unsigned).max());
                let hull_s = (both.iter().map(signed).min(), both.iter().map(signed).max());
                assert_eq!((Some(met_u.lo.value()), Some(met_u.hi.value())), hull_u, "{u:?} {s:?}");
                assert_eq!((Some(met_s.lo.signed()), Some(met_s.hi.signed())), hull_s, "{u:?} {s:?}");
            }
        }
    }

    #[test]
    fn sync_deduces_across_the_sign_boundary_at_both_widths() {
        let (unsigned, signed) = views_at(64, (0, u64::MAX - 255), (-128, 127));
        let value = product_with((Some(unsigned), Some(signed)), (None, None));
        assert_eq!((value.unsigned().hi().value(), value.signed().lo().signed()), (127, 0), "{value:?}");
        let (low_unsigned, low_signed) = views_in(64, 32, (0, 0x8000_0003), (-3, i64::from(i32::MAX)));
        let value = product_with((None, None), (Some(low_unsigned), Some(low_signed)));
        assert_eq!((value.low_unsigned().hi().value(), value.low_signed().lo().value()), (0x7fff_ffff, 0), "{value:?}");
    }

    #[test]
    fn low_signed_bounds_reach_the_whole_register_through_sign_extension() {
        // An LSM hook's `int` return, clamped by 32-bit signed comparisons: the whole
        // register knows nothing, its low half is in [-4095, 0].
        let (_, low_signed) = views_in(64, 32, (0, 0), (-4095, 0));
        let value = product_with((None, None), (None, Some(low_signed)));
        let extended = value.move_sign_extend(Width::W64, Size::W);
        assert_eq!((extended.signed().lo().signed(), extended.signed().hi().signed()), (-4095, 0), "{extended:?}");
        assert_eq!(extended.low_signed(), value.low_signed());
        // A 32-bit signed range reaches the whole register only where the register is its
        // low half sign-extended.
        let in_range = SInterval::new(Bits::new(64, (-(1i64 << 31)) as u64), Bits::new(64, (1 << 31) - 1));
        let restricted = in_range.restrict_low(&low_signed, 32);
        assert_eq!((restricted.lo().signed(), restricted.hi().signed()), (-4095, 0));
        let wider = SInterval::new(Bits::new(64, (-(1i64 << 31) - 1) as u64), Bits::new(64, 0));
        assert_eq!(wider.restrict_low(&low_signed, 32), wider);
    }

    #[test]
    fn sync_shortcut_changes_nothing() {
        let mut empty = 0;
        for width in [4, 6, 8, 64] {
            for value in products(width, 20_000) {
                let (fast, full) = (value.sync_with(Shortcut::Allowed), value.sync_with(Shortcut::Forbidden));
                if full.is_bottom() {
                    empty += 1;
                    assert!(fast.is_bottom(), "{value:?}: {fast:?}");
                } else {
                    assert_eq!(fast, full, "{value:?}");
                }
            }
        }
        assert!(empty > 1000, "only {empty} empty results");
    }

    #[test]
    fn shared_refinements_equal_each_views_own() {
        let mut shortcut_pairs = 0;
        for width in [4, 6, 8, 64] {
            let values = products(width, 400);
            for (a, b) in pairs(&values) {
                shortcut_pairs += usize::from(agreeing(a) && agreeing(b));
                for relation in Relation::ALL {
                    for (bits, (au, as_), (bu, bs)) in [
                        (width, (&a.unsigned, &a.signed), (&b.unsigned, &b.signed)),
                        (width / 2, (&a.low_unsigned, &a.low_signed), (&b.low_unsigned, &b.low_signed)),
                    ] {
                        let own = (au.refine_at(relation, bits, bu), as_.refine_at(relation, bits, bs));
                        let shared = refine_bounds((au, as_), relation, bits, (bu, bs));
                        assert_eq!(shared, own, "{relation:?} at {bits}: {a:?} {b:?}");
                    }
                }
            }
        }
        assert!(shortcut_pairs > 50, "only {shortcut_pairs} pairs exercise the shortcuts");
    }

    #[test]
    fn shared_bounds_equal_each_views_own() {
        let mut shortcut_pairs = 0;
        for width in [4, 6, 8, 64] {
            let values = products(width, 400);
            for (a, b) in pairs(&values) {
                shortcut_pairs += usize::from(agreeing(a) && agreeing(b));
                for op in BinOp::ALL {
                    for (bits, (au, as_), (bu, bs)) in [
                        (width, (&a.unsigned, &a.signed), (&b.unsigned, &b.signed)),
                        (width / 2, (&a.low_unsigned, &a.low_signed), (&b.low_unsigned, &b.low_signed)),
                    ] {
                        let own = (au.bounds_binary(op, bits, bu), as_.bounds_binary(op, bits, bs));
                        assert_eq!(bounds_binary((au, as_), op, bits, (bu, bs)), own, "{op:?} at {bits}: {a:?} {b:?}");
                    }
                }
            }
        }
        assert!(shortcut_pairs > 50, "only {shortcut_pairs} pairs exercise the shortcuts");
    }
}
