//! Unsigned intervals `[lo, hi]` (the domain `interval`).
//!
//! Bounds compare unsigned; `lo > hi` is empty. Arithmetic is exact while no bound
//! wraps; bitwise operations meet simple bounds with the [`Tnum`] view of the operands, and
//! signed operations go through [`SInterval`].

use bpfprove_semantics::isa::{BinOp, Cond};
use bpfprove_semantics::word::Boolean;

use crate::arith::{self, Choose, DomainWord, ones, pick, trunc, ule, zero};
use crate::convert;
use crate::signed::SInterval;
use crate::value::{Component, Relation, component_domain};

/// The values `lo..=hi`, unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UInterval<W> {
    pub(crate) lo: W,
    pub(crate) hi: W,
}

impl<W: DomainWord> UInterval<W> {
    /// The interval `lo..=hi` (empty when `lo > hi`).
    pub fn new(lo: W, hi: W) -> Self {
        UInterval { lo, hi }
    }

    /// The lower bound.
    pub fn lo(&self) -> &W {
        &self.lo
    }

    /// The upper bound.
    pub fn hi(&self) -> &W {
        &self.hi
    }

    /// Whether the interval holds exactly one value.
    pub fn is_constant(&self) -> W::Bool {
        self.lo.eq(&self.hi)
    }

    fn top_of(like: &W, bits: u32) -> Self {
        UInterval { lo: zero(like), hi: ones(like, bits) }
    }

    /// `self op src` for the operations with plain interval rules; bitwise operations get
    /// bounds only (the reduced product adds its own tnum).
    pub(crate) fn bounds_binary(&self, op: BinOp, bits: u32, src: &Self) -> Self {
        let (a, b) = (self, src);
        let top = || Self::top_of(&a.lo, bits);
        match op {
            BinOp::Add => {
                let lo = arith::add(&a.lo, &b.lo, bits);
                let hi = arith::add(&a.hi, &b.hi, bits);
                // Exact when both bounds wrap or neither does.
                let exact = arith::same(&lo.ult(&a.lo), &hi.ult(&a.hi));
                pick(&exact, || UInterval { lo, hi }, top)
            }
            BinOp::Sub => {
                let lo = arith::sub(&a.lo, &b.hi, bits);
                let hi = arith::sub(&a.hi, &b.lo, bits);
                let exact = arith::same(&a.lo.ult(&b.hi), &a.hi.ult(&b.lo));
                pick(&exact, || UInterval { lo, hi }, top)
            }
            BinOp::Mul => pick(&arith::umul_overflows(&a.hi, &b.hi, bits), top, || UInterval {
                lo: arith::mul(&a.lo, &b.lo, bits),
                hi: arith::mul(&a.hi, &b.hi, bits),
            }),
            BinOp::Div => {
                let one = a.lo.constant(1);
                let zero = zero(&a.lo);
                // `x / 0 = 0`; the other divisors are at least max(lo, 1).
                let lo = pick(&arith::is_zero(&b.lo), || zero.clone(), || a.lo.udiv(&b.hi));
                let hi = pick(&arith::is_zero(&b.hi), || zero.clone(), || a.hi.udiv(&arith::umax(&b.lo, &one)));
                UInterval { lo, hi }
            }
            BinOp::Mod => {
                let zero = zero(&a.lo);
                pick(
                    &arith::is_zero(&b.hi),
                    || a.clone(),
                    || {
                        // Below every divisor, `x % y = x`; otherwise `x % y < y` and `x % y <= x`.
                        let below = a.hi.ult(&b.lo);
                        let bound = arith::umin(&a.hi, &b.hi.sub(&a.lo.constant(1)));
                        let nonzero = pick(&below, || a.clone(), || UInterval { lo: zero.clone(), hi: bound });
                        // `x % 0 = x`.
                        pick(&arith::is_zero(&b.lo), || UInterval { lo: zero.clone(), hi: a.hi.clone() }, || nonzero)
                    },
                )
            }
            BinOp::SDiv | BinOp::SMod | BinOp::Arsh => {
                let signed = convert::u_to_s(a, bits).bounds_binary(op, bits, &convert::u_to_s(b, bits));
                convert::s_to_u(&signed, bits)
            }
            BinOp::And => UInterval { lo: zero(&a.lo), hi: arith::umin(&a.hi, &b.hi) },
            BinOp::Or => UInterval { lo: arith::umax(&a.lo, &b.lo), hi: arith::smear_right(&a.hi.or(&b.hi), bits) },
            BinOp::Xor => UInterval { lo: zero(&a.lo), hi: arith::smear_right(&a.hi.or(&b.hi), bits) },
            BinOp::Lsh | BinOp::Rsh => {
                let amounts = convert::shift_amounts(&convert::u_to_t(b, bits), bits);
                convert::shift_by(a, &amounts, bits, |value, k| {
                    if op == BinOp::Lsh { value.shl_const(k, bits) } else { value.lshr_const(k) }
                })
            }
            BinOp::Mov => b.clone(),
        }
    }

    fn shl_const(&self, k: u32, bits: u32) -> Self {
        let hi = arith::shl_const(&self.hi, k, bits);
        let kept = arith::lshr_const(&hi, k).eq(&self.hi);
        pick(
            &kept,
            || UInterval { lo: arith::shl_const(&self.lo, k, bits), hi: hi.clone() },
            || Self::top_of(&self.lo, bits),
        )
    }

    fn lshr_const(&self, k: u32) -> Self {
        UInterval { lo: arith::lshr_const(&self.lo, k), hi: arith::lshr_const(&self.hi, k) }
    }

    /// Refinement by the relations with plain interval rules.
    pub(crate) fn bounds_refine(&self, relation: Relation, bits: u32, src: &Self) -> (Self, Self) {
        let (a, b) = (self, src);
        let one = a.lo.constant(1);
        let less = |a: &Self, b: &Self| {
            // a < b: a <= b.hi - 1 and b >= a.lo + 1.
            let a_new = pick(
                &arith::is_zero(&b.hi),
                || Self::bottom_at(&a.lo, bits),
                || UInterval { lo: a.lo.clone(), hi: arith::umin(&a.hi, &b.hi.sub(&one)) },
            );
            let b_new = pick(
                &a.lo.eq(&ones(&a.lo, bits)),
                || Self::bottom_at(&a.lo, bits),
                || UInterval { lo: arith::umax(&b.lo, &a.lo.add(&one)), hi: b.hi.clone() },
            );
            (a_new, b_new)
        };
        let less_equal = |a: &Self, b: &Self| {
            (
                UInterval { lo: a.lo.clone(), hi: arith::umin(&a.hi, &b.hi) },
                UInterval { lo: arith::umax(&b.lo, &a.lo), hi: b.hi.clone() },
            )
        };
        let swap = |(x, y): (Self, Self)| (y, x);
        match relation {
            Relation::Holds(Cond::Eq) => {
                let both = a.meet_at(b, bits);
                (both.clone(), both)
            }
            Relation::Holds(Cond::Ne) => (a.remove(b), b.remove(a)),
            Relation::Holds(Cond::Lt) => less(a, b),
            Relation::Holds(Cond::Le) => less_equal(a, b),
            Relation::Holds(Cond::Gt) => swap(less(b, a)),
            Relation::Holds(Cond::Ge) => swap(less_equal(b, a)),
            Relation::Holds(Cond::SLt | Cond::SLe | Cond::SGt | Cond::SGe) => {
                let (sa, sb) = convert::u_to_s(a, bits).refine_at(relation, bits, &convert::u_to_s(b, bits));
                (a.meet_at(&convert::s_to_u(&sa, bits), bits), b.meet_at(&convert::s_to_u(&sb, bits), bits))
            }
            Relation::Holds(Cond::Set) => {
                // Both operands are non-zero.
                let nonzero = |x: &Self| UInterval { lo: arith::umax(&x.lo, &one), hi: x.hi.clone() };
                (nonzero(a), nonzero(b))
            }
            Relation::Clear => (a.clone(), b.clone()),
        }
    }

    /// `self` without the value of `other` when `other` is a constant at an end of `self`.
    fn remove(&self, other: &Self) -> Self {
        let one = self.lo.constant(1);
        let at_lo = other.is_constant().and(&self.lo.eq(&other.lo));
        let at_hi = other.is_constant().and(&self.hi.eq(&other.lo));
        pick(
            &at_lo.and(&at_hi),
            || Self::bottom_at(&self.lo, self.lo.width()),
            || UInterval {
                lo: pick(&at_lo, || self.lo.add(&one), || self.lo.clone()),
                hi: pick(&at_hi, || self.hi.sub(&one), || self.hi.clone()),
            },
        )
    }
}

impl<W: DomainWord> Choose<W> for UInterval<W> {
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self {
        UInterval { lo: W::select(cond, &then.lo, &otherwise.lo), hi: W::select(cond, &then.hi, &otherwise.hi) }
    }
}

impl<W: DomainWord> Component<W> for UInterval<W> {
    fn template(&self) -> &W {
        &self.lo
    }
    fn top_at(like: &W, bits: u32) -> Self {
        Self::top_of(like, bits)
    }
    fn bottom_at(like: &W, bits: u32) -> Self {
        UInterval { lo: ones(like, bits), hi: zero(like) }
    }
    fn point(value: &W) -> Self {
        UInterval { lo: value.clone(), hi: value.clone() }
    }
    fn is_bottom_at(&self, _bits: u32) -> W::Bool {
        self.hi.ult(&self.lo)
    }
    fn contains_at(&self, x: &W, _bits: u32) -> W::Bool {
        ule(&self.lo, x).and(&ule(x, &self.hi))
    }
    fn leq_at(&self, other: &Self, bits: u32) -> W::Bool {
        self.is_bottom_at(bits).or(&ule(&other.lo, &self.lo).and(&ule(&self.hi, &other.hi)))
    }
    fn join_at(&self, other: &Self, bits: u32) -> Self {
        pick(
            &self.is_bottom_at(bits),
            || other.clone(),
            || {
                pick(
                    &other.is_bottom_at(bits),
                    || self.clone(),
                    || UInterval { lo: arith::umin(&self.lo, &other.lo), hi: arith::umax(&self.hi, &other.hi) },
                )
            },
        )
    }
    fn meet_at(&self, other: &Self, _bits: u32) -> Self {
        UInterval { lo: arith::umax(&self.lo, &other.lo), hi: arith::umin(&self.hi, &other.hi) }
    }
    fn widen_at(&self, newer: &Self, bits: u32) -> Self {
        let joined = self.join_at(newer, bits);
        pick(
            &self.is_bottom_at(bits).or(&newer.is_bottom_at(bits)),
            || joined.clone(),
            || UInterval {
                lo: pick(&newer.lo.ult(&self.lo), || zero(&self.lo), || self.lo.clone()),
                hi: pick(&self.hi.ult(&newer.hi), || ones(&self.lo, bits), || self.hi.clone()),
            },
        )
    }
    fn narrow_at(&self, newer: &Self, bits: u32) -> Self {
        pick(
            &newer.is_bottom_at(bits),
            || newer.clone(),
            || UInterval {
                lo: pick(&arith::is_zero(&self.lo), || newer.lo.clone(), || self.lo.clone()),
                hi: pick(&self.hi.eq(&ones(&self.lo, bits)), || newer.hi.clone(), || self.hi.clone()),
            },
        )
    }
    fn binary_at(&self, op: BinOp, bits: u32, src: &Self) -> Self {
        let bounds = self.bounds_binary(op, bits, src);
        match op {
            BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Lsh | BinOp::Rsh | BinOp::Mul => {
                let bitwise = convert::u_to_t(self, bits).binary_at(op, bits, &convert::u_to_t(src, bits));
                bounds.meet_at(&convert::t_to_u(&bitwise, bits), bits)
            }
            _ => bounds,
        }
    }
    fn refine_at(&self, relation: Relation, bits: u32, src: &Self) -> (Self, Self) {
        let (a, b) = self.bounds_refine(relation, bits, src);
        match relation {
            Relation::Holds(Cond::Set) | Relation::Clear => {
                let (ta, tb) = convert::u_to_t(self, bits).refine_at(relation, bits, &convert::u_to_t(src, bits));
                (a.meet_at(&convert::t_to_u(&ta, bits), bits), b.meet_at(&convert::t_to_u(&tb, bits), bits))
            }
            _ => (a, b),
        }
    }
    fn truncate(&self, bits: u32) -> Self {
        // The low halves of a range that stays below one multiple of 2^bits, in order.
        let (lo, hi) = (trunc(&self.lo, bits), trunc(&self.hi, bits));
        let span_fits = self.hi.sub(&self.lo).ult(&self.lo.constant(1u64 << bits));
        pick(&span_fits.and(&ule(&lo, &hi)), || UInterval { lo, hi }, || Self::top_of(&self.lo, bits))
    }
    fn zero_extend(&self, _bits: u32) -> Self {
        self.clone()
    }
    fn restrict_low(&self, low: &Self, bits: u32) -> Self {
        let high = !arith::low_mask(bits);
        let high_lo = self.lo.and(&self.lo.constant(high));
        let same_block = high_lo.eq(&self.hi.and(&self.lo.constant(high)));
        let n = self.width();
        pick(
            &low.is_bottom_at(bits),
            || Self::bottom_at(&self.lo, n),
            || {
                pick(
                    &same_block,
                    || self.meet_at(&UInterval { lo: high_lo.or(&low.lo), hi: high_lo.or(&low.hi) }, n),
                    || self.clone(),
                )
            },
        )
    }
    fn sign_extend(&self, from: u32) -> Self {
        let n = self.width();
        let low = convert::u_to_s(&self.truncate(from), from);
        let extended = SInterval { lo: low.lo.sext_low(from), hi: low.hi.sext_low(from) };
        convert::s_to_u(&extended, n)
    }
    fn swap_bytes(&self, bits: u32) -> Self {
        let n = self.width();
        let swapped = convert::u_to_t(self, n).swap_bytes(bits);
        convert::t_to_u(&swapped, n)
    }
}

component_domain!(UInterval, "interval", [lo, hi]);
