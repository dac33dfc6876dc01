//! Signed intervals `[lo, hi]` (the domain `signed-interval`).
//!
//! Bounds are two's-complement patterns compared signed at the operand width; `lo > hi` is
//! empty. Unsigned operations go through [`crate::interval::UInterval`], bitwise ones also
//! through [`crate::tnum::Tnum`].

use bpfprove_semantics::isa::{BinOp, Cond};
use bpfprove_semantics::word::{Boolean, Word};

use crate::arith::{self, Choose, DomainWord, is_negative, ones, pick, signed_max, signed_min, sle, slt, trunc, zero};
use crate::convert;
use crate::value::{Component, Relation, component_domain};

/// The values `lo..=hi`, signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SInterval<W> {
    pub(crate) lo: W,
    pub(crate) hi: W,
}

impl<W: DomainWord> SInterval<W> {
    /// The interval `lo..=hi` of two's-complement values (empty when `lo > hi`, signed).
    pub fn new(lo: W, hi: W) -> Self {
        SInterval { lo, hi }
    }

    /// The lower bound.
    pub fn lo(&self) -> &W {
        &self.lo
    }

    /// The upper bound.
    pub fn hi(&self) -> &W {
        &self.hi
    }

    fn top_of(like: &W, bits: u32) -> Self {
        SInterval { lo: signed_min(like, bits), hi: signed_max(like, bits) }
    }

    fn single(value: W) -> Self {
        SInterval { lo: value.clone(), hi: value }
    }

    /// `self op src` by interval rules; bitwise operations get the bounds of the unsigned view.
    pub(crate) fn bounds_binary(&self, op: BinOp, bits: u32, src: &Self) -> Self {
        let (a, b) = (self, src);
        let top = || Self::top_of(&a.lo, bits);
        match op {
            BinOp::Add | BinOp::Sub => {
                let (lo, hi, lo_overflows, hi_overflows) = if op == BinOp::Add {
                    let lo = arith::add(&a.lo, &b.lo, bits);
                    let hi = arith::add(&a.hi, &b.hi, bits);
                    (
                        lo.clone(),
                        hi.clone(),
                        add_overflows(&a.lo, &b.lo, &lo, bits),
                        add_overflows(&a.hi, &b.hi, &hi, bits),
                    )
                } else {
                    let lo = arith::sub(&a.lo, &b.hi, bits);
                    let hi = arith::sub(&a.hi, &b.lo, bits);
                    (
                        lo.clone(),
                        hi.clone(),
                        sub_overflows(&a.lo, &b.hi, &lo, bits),
                        sub_overflows(&a.hi, &b.lo, &hi, bits),
                    )
                };
                // Exact when both bounds stay in range, or both wrap the same way (the
                // direction of a wrap is the sign of the left operand).
                let same_direction = arith::same(&is_negative(&a.lo, bits), &is_negative(&a.hi, bits));
                let exact = arith::same(&lo_overflows, &hi_overflows).and(&lo_overflows.not().or(&same_direction));
                pick(&exact, || SInterval { lo, hi }, top)
            }
            BinOp::Mul => {
                let corners = [(&a.lo, &b.lo), (&a.lo, &b.hi), (&a.hi, &b.lo), (&a.hi, &b.hi)];
                // When `0 <= lo <= hi` in both operands, `hi * hi` is the largest corner
                // product: every corner fits exactly when that one does. One overflow test
                // (a division) then does the work of four.
                let ordered_non_negative = |x: &Self| is_negative(&x.lo, bits).not().and(&sle(&x.lo, &x.hi, bits));
                let overflow = arith::pick_truth::<W>(
                    &ordered_non_negative(a).and(&ordered_non_negative(b)),
                    || arith::smul_overflows(&a.hi, &b.hi, bits),
                    || {
                        let mut overflow = a.lo.truth(false);
                        for (x, y) in corners {
                            overflow = overflow.or(&arith::smul_overflows(x, y, bits));
                        }
                        overflow
                    },
                );
                pick(&overflow, top, || {
                    let products = corners.map(|(x, y)| arith::mul(x, y, bits));
                    hull(&products, bits)
                })
            }
            BinOp::SDiv => self.sdiv(src, bits),
            BinOp::SMod => self.smod(src, bits),
            BinOp::Div | BinOp::Mod | BinOp::Lsh | BinOp::Rsh | BinOp::And | BinOp::Or | BinOp::Xor => {
                let unsigned = convert::s_to_u(a, bits).bounds_binary(op, bits, &convert::s_to_u(b, bits));
                convert::u_to_s(&unsigned, bits)
            }
            BinOp::Arsh => {
                let amounts = convert::shift_amounts(&convert::s_to_t(b, bits), bits);
                convert::shift_by(a, &amounts, bits, |value, k| SInterval {
                    lo: arith::ashr_const(&value.lo, k, bits),
                    hi: arith::ashr_const(&value.hi, k, bits),
                })
            }
            BinOp::Mov => b.clone(),
        }
    }

    /// The divisors of `self` below zero, and whether there are any.
    fn negative_part(&self, bits: u32) -> (Self, W::Bool) {
        let minus_one = ones(&self.lo, bits);
        (SInterval { lo: self.lo.clone(), hi: arith::smin(&self.hi, &minus_one, bits) }, is_negative(&self.lo, bits))
    }

    /// The divisors of `self` above zero, and whether there are any.
    fn positive_part(&self, bits: u32) -> (Self, W::Bool) {
        let one = self.lo.constant(1);
        (SInterval { lo: arith::smax(&self.lo, &one, bits), hi: self.hi.clone() }, slt(&zero(&self.lo), &self.hi, bits))
    }

    /// Whether 0 is in `self`.
    fn has_zero(&self, bits: u32) -> W::Bool {
        let zero = zero(&self.lo);
        sle(&self.lo, &zero, bits).and(&sle(&zero, &self.hi, bits))
    }

    /// BPF signed division: `x / 0 = 0`, `MIN / -1 = MIN`.
    fn sdiv(&self, divisor: &Self, bits: u32) -> Self {
        let bottom = Self::bottom_at(&self.lo, bits);
        let quotients = |d: &Self| {
            // On divisors of one sign the quotient is monotone in each operand.
            let corners = [(&self.lo, &d.lo), (&self.lo, &d.hi), (&self.hi, &d.lo), (&self.hi, &d.hi)]
                .map(|(x, y)| arith::sdiv(x, y, bits));
            hull(&corners, bits)
        };
        let (negative, has_negative) = divisor.negative_part(bits);
        let (positive, has_positive) = divisor.positive_part(bits);
        // MIN / -1 wraps to MIN, far from its neighbours: give up.
        let wraps =
            self.lo.eq(&signed_min(&self.lo, bits)).and(&has_negative).and(&negative.hi.eq(&ones(&self.lo, bits)));
        pick(
            &wraps,
            || Self::top_of(&self.lo, bits),
            || {
                let from_negative = pick(&has_negative, || quotients(&negative), || bottom.clone());
                let from_positive = pick(&has_positive, || quotients(&positive), || bottom.clone());
                let from_zero = pick(&divisor.has_zero(bits), || Self::single(zero(&self.lo)), || bottom.clone());
                from_negative.join_at(&from_positive, bits).join_at(&from_zero, bits)
            },
        )
    }

    /// BPF signed remainder: the sign of the dividend, `|x % y| < |y|`, `x % 0 = x`.
    fn smod(&self, divisor: &Self, bits: u32) -> Self {
        let bottom = Self::bottom_at(&self.lo, bits);
        let zero = zero(&self.lo);
        let (negative, has_negative) = divisor.negative_part(bits);
        let (positive, has_positive) = divisor.positive_part(bits);
        // The largest |y| - 1 over the non-zero divisors (`!y = -y - 1`).
        let from_negative = pick(&has_negative, || negative.lo.xor(&ones(&zero, bits)), || zero.clone());
        let from_positive = pick(&has_positive, || positive.hi.sub(&zero.constant(1)), || zero.clone());
        let bound = arith::umax(&from_negative, &from_positive);
        let minus_bound = arith::sub(&zero, &bound, bits);
        // Non-negative dividends below every (positive) divisor are unchanged.
        let unchanged = has_negative.not().and(&sle(&zero, &self.lo, bits)).and(&slt(&self.hi, &positive.lo, bits));
        let remainders = pick(
            &unchanged,
            || self.clone(),
            || SInterval {
                lo: pick(&sle(&zero, &self.lo, bits), || zero.clone(), || arith::smax(&self.lo, &minus_bound, bits)),
                hi: pick(&sle(&self.hi, &zero, bits), || zero.clone(), || arith::smin(&self.hi, &bound, bits)),
            },
        );
        let from_nonzero = pick(&has_negative.or(&has_positive), || remainders, || bottom.clone());
        let from_zero = pick(&divisor.has_zero(bits), || self.clone(), || bottom.clone());
        from_nonzero.join_at(&from_zero, bits)
    }

    /// Refinement by the relations with plain interval rules.
    pub(crate) fn bounds_refine(&self, relation: Relation, bits: u32, src: &Self) -> (Self, Self) {
        let (a, b) = (self, src);
        let one = a.lo.constant(1);
        let less = |a: &Self, b: &Self| {
            let a_new = pick(
                &b.hi.eq(&signed_min(&a.lo, bits)),
                || Self::bottom_at(&a.lo, bits),
                || SInterval { lo: a.lo.clone(), hi: arith::smin(&a.hi, &arith::sub(&b.hi, &one, bits), bits) },
            );
            let b_new = pick(
                &a.lo.eq(&signed_max(&a.lo, bits)),
                || Self::bottom_at(&a.lo, bits),
                || SInterval { lo: arith::smax(&b.lo, &arith::add(&a.lo, &one, bits), bits), hi: b.hi.clone() },
            );
            (a_new, b_new)
        };
        let less_equal = |a: &Self, b: &Self| {
            (
                SInterval { lo: a.lo.clone(), hi: arith::smin(&a.hi, &b.hi, bits) },
                SInterval { lo: arith::smax(&b.lo, &a.lo, bits), hi: b.hi.clone() },
            )
        };
        let swap = |(x, y): (Self, Self)| (y, x);
        match relation {
            Relation::Holds(Cond::Eq) => {
                let both = a.meet_at(b, bits);
                (both.clone(), both)
            }
            Relation::Holds(Cond::Ne) => (a.remove(b, bits), b.remove(a, bits)),
            Relation::Holds(Cond::SLt) => less(a, b),
            Relation::Holds(Cond::SLe) => less_equal(a, b),
            Relation::Holds(Cond::SGt) => swap(less(b, a)),
            Relation::Holds(Cond::SGe) => swap(less_equal(b, a)),
            Relation::Holds(Cond::Lt | Cond::Le | Cond::Gt | Cond::Ge) => {
                let (ua, ub) = convert::s_to_u(a, bits).refine_at(relation, bits, &convert::s_to_u(b, bits));
                (a.meet_at(&convert::u_to_s(&ua, bits), bits), b.meet_at(&convert::u_to_s(&ub, bits), bits))
            }
            Relation::Holds(Cond::Set) => {
                let zero = Self::single(zero(&a.lo));
                (a.remove(&zero, bits), b.remove(&zero, bits))
            }
            Relation::Clear => (a.clone(), b.clone()),
        }
    }

    /// `self` without the value of `other` when `other` is a constant at an end of `self`.
    fn remove(&self, other: &Self, bits: u32) -> Self {
        let one = self.lo.constant(1);
        let constant = other.lo.eq(&other.hi);
        let at_lo = constant.and(&self.lo.eq(&other.lo));
        let at_hi = constant.and(&self.hi.eq(&other.lo));
        pick(
            &at_lo.and(&at_hi),
            || Self::bottom_at(&self.lo, bits),
            || SInterval {
                lo: pick(&at_lo, || arith::add(&self.lo, &one, bits), || self.lo.clone()),
                hi: pick(&at_hi, || arith::sub(&self.hi, &one, bits), || self.hi.clone()),
            },
        )
    }
}

/// Whether `x + y = sum` overflowed at `bits`.
fn add_overflows<W: Word>(x: &W, y: &W, sum: &W, bits: u32) -> W::Bool {
    let (sx, sy, ss) = (is_negative(x, bits), is_negative(y, bits), is_negative(sum, bits));
    arith::same(&sx, &sy).and(&arith::same(&ss, &sx).not())
}

/// Whether `x - y = difference` overflowed at `bits`.
fn sub_overflows<W: Word>(x: &W, y: &W, difference: &W, bits: u32) -> W::Bool {
    let (sx, sy, sd) = (is_negative(x, bits), is_negative(y, bits), is_negative(difference, bits));
    arith::same(&sx, &sy).not().and(&arith::same(&sd, &sx).not())
}

/// The smallest signed interval holding all of `values`.
fn hull<W: DomainWord>(values: &[W], bits: u32) -> SInterval<W> {
    let mut lo = values[0].clone();
    let mut hi = values[0].clone();
    for value in &values[1..] {
        lo = arith::smin(&lo, value, bits);
        hi = arith::smax(&hi, value, bits);
    }
    SInterval { lo, hi }
}

impl<W: DomainWord> Choose<W> for SInterval<W> {
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self {
        SInterval { lo: W::select(cond, &then.lo, &otherwise.lo), hi: W::select(cond, &then.hi, &otherwise.hi) }
    }
}

impl<W: DomainWord> Component<W> for SInterval<W> {
    fn template(&self) -> &W {
        &self.lo
    }
    fn top_at(like: &W, bits: u32) -> Self {
        Self::top_of(like, bits)
    }
    fn bottom_at(like: &W, bits: u32) -> Self {
        SInterval { lo: signed_max(like, bits), hi: signed_min(like, bits) }
    }
    fn point(value: &W) -> Self {
        Self::single(value.clone())
    }
    fn is_bottom_at(&self, bits: u32) -> W::Bool {
        slt(&self.hi, &self.lo, bits)
    }
    fn contains_at(&self, x: &W, bits: u32) -> W::Bool {
        sle(&self.lo, x, bits).and(&sle(x, &self.hi, bits))
    }
    fn leq_at(&self, other: &Self, bits: u32) -> W::Bool {
        self.is_bottom_at(bits).or(&sle(&other.lo, &self.lo, bits).and(&sle(&self.hi, &other.hi, bits)))
    }
    fn join_at(&self, other: &Self, bits: u32) -> Self {
        pick(
            &self.is_bottom_at(bits),
            || other.clone(),
            || {
                pick(
                    &other.is_bottom_at(bits),
                    || self.clone(),
                    || SInterval {
                        lo: arith::smin(&self.lo, &other.lo, bits),
                        hi: arith::smax(&self.hi, &other.hi, bits),
                    },
                )
            },
        )
    }
    fn meet_at(&self, other: &Self, bits: u32) -> Self {
        SInterval { lo: arith::smax(&self.lo, &other.lo, bits), hi: arith::smin(&self.hi, &other.hi, bits) }
    }
    fn widen_at(&self, newer: &Self, bits: u32) -> Self {
        let joined = self.join_at(newer, bits);
        pick(
            &self.is_bottom_at(bits).or(&newer.is_bottom_at(bits)),
            || joined.clone(),
            || SInterval {
                lo: pick(&slt(&newer.lo, &self.lo, bits), || signed_min(&self.lo, bits), || self.lo.clone()),
                hi: pick(&slt(&self.hi, &newer.hi, bits), || signed_max(&self.lo, bits), || self.hi.clone()),
            },
        )
    }
    fn narrow_at(&self, newer: &Self, bits: u32) -> Self {
        pick(
            &newer.is_bottom_at(bits),
            || newer.clone(),
            || SInterval {
                lo: pick(&self.lo.eq(&signed_min(&self.lo, bits)), || newer.lo.clone(), || self.lo.clone()),
                hi: pick(&self.hi.eq(&signed_max(&self.lo, bits)), || newer.hi.clone(), || self.hi.clone()),
            },
        )
    }
    fn binary_at(&self, op: BinOp, bits: u32, src: &Self) -> Self {
        let bounds = self.bounds_binary(op, bits, src);
        match op {
            BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Lsh | BinOp::Rsh | BinOp::Arsh | BinOp::Mul => {
                let bitwise = convert::s_to_t(self, bits).binary_at(op, bits, &convert::s_to_t(src, bits));
                bounds.meet_at(&convert::t_to_s(&bitwise, bits), bits)
            }
            _ => bounds,
        }
    }
    fn refine_at(&self, relation: Relation, bits: u32, src: &Self) -> (Self, Self) {
        let (a, b) = self.bounds_refine(relation, bits, src);
        match relation {
            Relation::Holds(Cond::Set) | Relation::Clear => {
                let (ta, tb) = convert::s_to_t(self, bits).refine_at(relation, bits, &convert::s_to_t(src, bits));
                (a.meet_at(&convert::t_to_s(&ta, bits), bits), b.meet_at(&convert::t_to_s(&tb, bits), bits))
            }
            _ => (a, b),
        }
    }
    fn truncate(&self, bits: u32) -> Self {
        let (lo, hi) = (trunc(&self.lo, bits), trunc(&self.hi, bits));
        let span_fits = self.hi.sub(&self.lo).ult(&self.lo.constant(1u64 << bits));
        pick(&span_fits.and(&sle(&lo, &hi, bits)), || SInterval { lo, hi }, || Self::top_of(&self.lo, bits))
    }
    fn zero_extend(&self, bits: u32) -> Self {
        let same_sign = arith::same(&is_negative(&self.lo, bits), &is_negative(&self.hi, bits));
        pick(&same_sign, || self.clone(), || SInterval { lo: zero(&self.lo), hi: ones(&self.lo, bits) })
    }
    fn restrict_low(&self, low: &Self, bits: u32) -> Self {
        let n = self.width();
        pick(
            &low.is_bottom_at(bits),
            || Self::bottom_at(&self.lo, n),
            || {
                let unsigned = convert::s_to_u(self, n).restrict_low(&convert::s_to_u(low, bits), bits);
                let restricted = self.meet_at(&convert::u_to_s(&unsigned, n), n);
                // A value between the least and the greatest signed `bits`-bit number is its
                // low half sign-extended, which keeps the signed order: the low bounds,
                // sign-extended, bound it (a sign-extending move or load, then a 32-bit
                // signed comparison).
                let low_extended = SInterval { lo: low.lo.sext_low(bits), hi: low.hi.sext_low(bits) };
                let extended_range = signed_min(&self.lo, bits).sext_low(bits);
                let fits = sle(&extended_range, &self.lo, n).and(&sle(&self.hi, &signed_max(&self.lo, bits), n));
                pick(&fits, || restricted.meet_at(&low_extended, n), || restricted.clone())
            },
        )
    }
    fn sign_extend(&self, from: u32) -> Self {
        let low = self.truncate(from);
        SInterval { lo: low.lo.sext_low(from), hi: low.hi.sext_low(from) }
    }
    fn swap_bytes(&self, bits: u32) -> Self {
        let n = self.width();
        convert::t_to_s(&convert::s_to_t(self, n).swap_bytes(bits), n)
    }
}

component_domain!(SInterval, "signed-interval", [lo, hi]);
