//! Tristate numbers (the domain `tnum`): each bit known 0, known 1 or unknown.
//!
//! The algorithms follow Linux's `kernel/bpf/tnum.c`: addition and subtraction propagate
//! carries of the unknown bits (Vishwanathan et al., CGO'22, prove them sound and optimal),
//! and multiplication is the 2025 kernel version, which adds the multiplicand for a known
//! 1 and takes the union of "add" and "don't add" for an unknown bit of the multiplier.
//! Shifts by a non-constant amount join the shifts by every amount the tnum allows, and
//! division, remainder and the ordering refinements go through the interval domains.

use bpfprove_semantics::isa::{BinOp, Cond};
use bpfprove_semantics::word::{Boolean, Word};

use crate::arith::{self, Choose, DomainWord, is_zero, ones, pick, trunc, zero};
use crate::convert;
use crate::interval::UInterval;
use crate::signed::SInterval;
use crate::value::{Component, Relation, component_domain};

/// The values `x` with `x & !mask == value`; `value & mask != 0` is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tnum<W> {
    pub(crate) value: W,
    pub(crate) mask: W,
}

impl<W: DomainWord> Tnum<W> {
    /// The tnum with known bits `value` and unknown bits `mask`.
    pub fn new(value: W, mask: W) -> Self {
        Tnum { value, mask }
    }

    /// The known bits' values.
    pub fn value(&self) -> &W {
        &self.value
    }

    /// The unknown bits.
    pub fn mask(&self) -> &W {
        &self.mask
    }

    /// The smallest tnum holding `lo..=hi` (unsigned, `lo <= hi`), as Linux's `tnum_range`.
    pub(crate) fn range(lo: &W, hi: &W, bits: u32) -> Self {
        let unknown = arith::smear_right(&lo.xor(hi), bits);
        Tnum { value: lo.and(&not(&unknown)), mask: unknown }
    }

    fn add_at(&self, other: &Self, bits: u32) -> Self {
        let masks = self.mask.add(&other.mask);
        let values = self.value.add(&other.value);
        let carries = masks.add(&values).xor(&values);
        let unknown = trunc(&carries.or(&self.mask).or(&other.mask), bits);
        Tnum { value: trunc(&values, bits).and(&not(&unknown)), mask: unknown }
    }

    fn sub_at(&self, other: &Self, bits: u32) -> Self {
        let difference = self.value.sub(&other.value);
        let most = difference.add(&self.mask);
        let least = difference.sub(&other.mask);
        let unknown = trunc(&most.xor(&least).or(&self.mask).or(&other.mask), bits);
        Tnum { value: trunc(&difference, bits).and(&not(&unknown)), mask: unknown }
    }

    fn and(&self, other: &Self) -> Self {
        let maybe_one = self.value.or(&self.mask).and(&other.value.or(&other.mask));
        let value = self.value.and(&other.value);
        Tnum { mask: maybe_one.and(&not(&value)), value }
    }

    fn or(&self, other: &Self) -> Self {
        let value = self.value.or(&other.value);
        let unknown = self.mask.or(&other.mask);
        Tnum { mask: unknown.and(&not(&value)), value }
    }

    fn xor(&self, other: &Self) -> Self {
        let unknown = self.mask.or(&other.mask);
        Tnum { value: self.value.xor(&other.value).and(&not(&unknown)), mask: unknown }
    }

    /// The union of both sets' bits (Linux's `tnum_union`), ignoring emptiness.
    fn union(&self, other: &Self) -> Self {
        let value = self.value.and(&other.value);
        let unknown = self.value.xor(&other.value).or(&self.mask).or(&other.mask);
        Tnum { value: value.and(&not(&unknown)), mask: unknown }
    }

    fn mul_at(&self, other: &Self, bits: u32) -> Self {
        let one = self.value.constant(1);
        let mut multiplier = self.clone();
        let mut multiplicand = other.clone();
        let mut product = Tnum { value: zero(&self.value), mask: zero(&self.value) };
        for _ in 0..bits {
            // Once the multiplier is known zero, nothing more is added.
            if multiplier.value.or(&multiplier.mask).known() == Some(0) {
                break;
            }
            let low_one = is_zero(&multiplier.value.and(&one)).not();
            let low_unknown = is_zero(&multiplier.mask.and(&one)).not();
            product = pick(
                &low_one,
                || product.add_at(&multiplicand, bits),
                || pick(&low_unknown, || product.union(&product.add_at(&multiplicand, bits)), || product.clone()),
            );
            multiplier = multiplier.lshr_const(1);
            multiplicand = multiplicand.shl_const(1, bits);
        }
        product
    }

    fn shl_const(&self, k: u32, bits: u32) -> Self {
        Tnum { value: arith::shl_const(&self.value, k, bits), mask: arith::shl_const(&self.mask, k, bits) }
    }

    fn lshr_const(&self, k: u32) -> Self {
        Tnum { value: arith::lshr_const(&self.value, k), mask: arith::lshr_const(&self.mask, k) }
    }

    fn ashr_const(&self, k: u32, bits: u32) -> Self {
        Tnum { value: arith::ashr_const(&self.value, k, bits), mask: arith::ashr_const(&self.mask, k, bits) }
    }

    fn is_constant(&self) -> W::Bool {
        is_zero(&self.mask)
    }

    /// `self` without the constant `other` where that is representable.
    fn remove(&self, other: &Self, bits: u32) -> Self {
        let constant_other = other.is_constant();
        // A constant equal to the removed one becomes empty; a tnum with one unknown bit
        // that holds the removed value becomes the other value.
        let equal = self.is_constant().and(&self.value.eq(&other.value));
        let one_unknown = arith::is_power_of_two(&self.mask).and(&self.contains_at(&other.value, bits));
        pick(
            &constant_other.and(&equal),
            || Self::bottom_at(&self.value, bits),
            || {
                pick(
                    &constant_other.and(&one_unknown),
                    || Tnum { value: other.value.xor(&self.mask), mask: zero(&self.value) },
                    || self.clone(),
                )
            },
        )
    }

    /// `self` met with the tnum of its refined bounds (`bounds()`). When the bounds came out
    /// `unchanged` and `self` is not empty, that tnum holds `self` (the conversions are
    /// sound, and for non-empty tnums holding is the tnum order), so the meet is `self`:
    /// known words skip it.
    fn keep_or_meet(&self, unchanged: &W::Bool, bits: u32, bounds: impl FnOnce() -> Self) -> Self {
        let keep = unchanged.and(&self.is_bottom_at(bits).not());
        match W::known_truth(&keep) {
            Some(true) => self.clone(),
            _ => self.meet_at(&bounds(), bits),
        }
    }

    /// For `self & constant != 0`: if exactly one bit can make it so, that bit is 1.
    fn force_overlap(&self, other: &Self) -> Self {
        let possible = self.mask.and(&other.value);
        let forced =
            other.is_constant().and(&is_zero(&self.value.and(&other.value))).and(&arith::is_power_of_two(&possible));
        pick(
            &forced,
            || Tnum { value: self.value.or(&possible), mask: self.mask.and(&not(&possible)) },
            || self.clone(),
        )
    }
}

/// Bitwise not over the whole word.
fn not<W: Word>(x: &W) -> W {
    x.xor(&ones(x, x.width()))
}

impl<W: DomainWord> Choose<W> for Tnum<W> {
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self {
        Tnum {
            value: W::select(cond, &then.value, &otherwise.value),
            mask: W::select(cond, &then.mask, &otherwise.mask),
        }
    }
}

impl<W: DomainWord> Component<W> for Tnum<W> {
    fn template(&self) -> &W {
        &self.value
    }
    fn top_at(like: &W, bits: u32) -> Self {
        Tnum { value: zero(like), mask: ones(like, bits) }
    }
    fn bottom_at(like: &W, bits: u32) -> Self {
        Tnum { value: ones(like, bits), mask: ones(like, bits) }
    }
    fn point(value: &W) -> Self {
        Tnum { value: value.clone(), mask: zero(value) }
    }
    fn is_bottom_at(&self, _bits: u32) -> W::Bool {
        is_zero(&self.value.and(&self.mask)).not()
    }
    fn contains_at(&self, x: &W, bits: u32) -> W::Bool {
        self.is_bottom_at(bits).not().and(&is_zero(&x.xor(&self.value).and(&not(&self.mask))))
    }
    fn leq_at(&self, other: &Self, bits: u32) -> W::Bool {
        let outside = not(&other.mask);
        let within = is_zero(&self.mask.and(&outside)).and(&is_zero(&self.value.xor(&other.value).and(&outside)));
        self.is_bottom_at(bits).or(&other.is_bottom_at(bits).not().and(&within))
    }
    fn join_at(&self, other: &Self, bits: u32) -> Self {
        pick(
            &self.is_bottom_at(bits),
            || other.clone(),
            || pick(&other.is_bottom_at(bits), || self.clone(), || self.union(other)),
        )
    }
    fn meet_at(&self, other: &Self, bits: u32) -> Self {
        let known_both = not(&self.mask.or(&other.mask));
        let conflict = is_zero(&self.value.xor(&other.value).and(&known_both)).not();
        let empty = conflict.or(&self.is_bottom_at(bits)).or(&other.is_bottom_at(bits));
        pick(
            &empty,
            || Self::bottom_at(&self.value, bits),
            || Tnum { value: self.value.or(&other.value), mask: self.mask.and(&other.mask) },
        )
    }
    fn widen_at(&self, newer: &Self, bits: u32) -> Self {
        // The join, with every bit above the highest bit it newly made unknown made unknown
        // too: a growing counter's high bits go at once (a join alone would take one step
        // per bit), while low bits that stay known, such as an alignment, are kept.
        let joined = self.join_at(newer, bits);
        let fresh = joined.mask.and(&not(&self.mask));
        let from_highest = ones(&fresh, bits).and(&not(&arith::lshr_const(&arith::smear_right(&fresh, bits), 1)));
        let grown = pick(&is_zero(&fresh), || zero(&fresh), || from_highest);
        let mask = trunc(&joined.mask.or(&grown), bits);
        let widened = Tnum { value: joined.value.and(&not(&mask)), mask };
        pick(&self.is_bottom_at(bits).or(&newer.is_bottom_at(bits)), || joined.clone(), || widened)
    }
    fn narrow_at(&self, newer: &Self, bits: u32) -> Self {
        self.meet_at(newer, bits)
    }
    fn binary_at(&self, op: BinOp, bits: u32, src: &Self) -> Self {
        let (a, b) = (self, src);
        match op {
            BinOp::Add => a.add_at(b, bits),
            BinOp::Sub => a.sub_at(b, bits),
            BinOp::Mul => a.mul_at(b, bits),
            BinOp::And => a.and(b),
            BinOp::Or => a.or(b),
            BinOp::Xor => a.xor(b),
            BinOp::Div | BinOp::Mod => {
                let unsigned = convert::t_to_u(a, bits).bounds_binary(op, bits, &convert::t_to_u(b, bits));
                convert::u_to_t(&unsigned, bits)
            }
            BinOp::SDiv | BinOp::SMod => {
                let signed = convert::t_to_s(a, bits).bounds_binary(op, bits, &convert::t_to_s(b, bits));
                convert::s_to_t(&signed, bits)
            }
            BinOp::Lsh | BinOp::Rsh | BinOp::Arsh => {
                let amounts = convert::shift_amounts(b, bits);
                convert::shift_by(a, &amounts, bits, |value, k| match op {
                    BinOp::Lsh => value.shl_const(k, bits),
                    BinOp::Rsh => value.lshr_const(k),
                    _ => value.ashr_const(k, bits),
                })
            }
            BinOp::Mov => b.clone(),
        }
    }
    fn refine_at(&self, relation: Relation, bits: u32, src: &Self) -> (Self, Self) {
        let (a, b) = (self, src);
        match relation {
            Relation::Holds(Cond::Eq) => {
                let both = a.meet_at(b, bits);
                (both.clone(), both)
            }
            Relation::Holds(Cond::Ne) => (a.remove(b, bits), b.remove(a, bits)),
            Relation::Holds(Cond::Set) => {
                let maybe_one = |t: &Self| t.value.or(&t.mask);
                let disjoint = is_zero(&maybe_one(a).and(&maybe_one(b)));
                pick(
                    &disjoint,
                    || (Self::bottom_at(&a.value, bits), Self::bottom_at(&a.value, bits)),
                    || (a.force_overlap(b), b.force_overlap(a)),
                )
            }
            Relation::Clear => {
                let overlap = is_zero(&a.value.and(&b.value)).not();
                pick(
                    &overlap,
                    || (Self::bottom_at(&a.value, bits), Self::bottom_at(&a.value, bits)),
                    || {
                        // A bit known 1 on one side is known 0 on the other.
                        let clear = |t: &Self, other: &Self| Tnum {
                            value: t.value.clone(),
                            mask: t.mask.and(&not(&other.value)),
                        };
                        (clear(a, b), clear(b, a))
                    },
                )
            }
            Relation::Holds(Cond::Gt | Cond::Ge | Cond::Lt | Cond::Le) => {
                let (before_a, before_b) = (convert::t_to_u(a, bits), convert::t_to_u(b, bits));
                let (ua, ub) = before_a.refine_at(relation, bits, &before_b);
                let narrow = |t: &Self, before: &UInterval<W>, after: &UInterval<W>| {
                    let unchanged = before.lo().eq(after.lo()).and(&before.hi().eq(after.hi()));
                    t.keep_or_meet(&unchanged, bits, || convert::u_to_t(after, bits))
                };
                (narrow(a, &before_a, &ua), narrow(b, &before_b, &ub))
            }
            Relation::Holds(Cond::SGt | Cond::SGe | Cond::SLt | Cond::SLe) => {
                let (before_a, before_b) = (convert::t_to_s(a, bits), convert::t_to_s(b, bits));
                let (sa, sb) = before_a.refine_at(relation, bits, &before_b);
                let narrow = |t: &Self, before: &SInterval<W>, after: &SInterval<W>| {
                    let unchanged = before.lo().eq(after.lo()).and(&before.hi().eq(after.hi()));
                    t.keep_or_meet(&unchanged, bits, || convert::s_to_t(after, bits))
                };
                (narrow(a, &before_a, &sa), narrow(b, &before_b, &sb))
            }
        }
    }
    fn truncate(&self, bits: u32) -> Self {
        Tnum { value: trunc(&self.value, bits), mask: trunc(&self.mask, bits) }
    }
    fn zero_extend(&self, _bits: u32) -> Self {
        self.clone()
    }
    fn restrict_low(&self, low: &Self, bits: u32) -> Self {
        let high_unknown = self.value.constant(!arith::low_mask(bits));
        let n = self.width();
        pick(
            &low.is_bottom_at(bits),
            || Self::bottom_at(&self.value, n),
            || self.meet_at(&Tnum { value: low.value.clone(), mask: low.mask.or(&high_unknown) }, n),
        )
    }
    fn sign_extend(&self, from: u32) -> Self {
        Tnum { value: self.value.sext_low(from), mask: self.mask.sext_low(from) }
    }
    fn swap_bytes(&self, bits: u32) -> Self {
        // A byte swap moves bits without combining them, so it maps known and unknown
        // bits separately.
        Tnum { value: self.value.swap_bytes_low(bits), mask: self.mask.swap_bytes_low(bits) }
    }
}

component_domain!(Tnum, "tnum", [value, mask]);

#[cfg(test)]
mod tests {
    use bpfprove_semantics::word::Bits;

    use super::*;
    use crate::check::enumerate::Sampler;

    /// The ordering refinements without the shortcut of [`Tnum::keep_or_meet`].
    fn refine_by_meeting(a: &Tnum<Bits>, b: &Tnum<Bits>, relation: Relation, bits: u32) -> (Tnum<Bits>, Tnum<Bits>) {
        match relation {
            Relation::Holds(Cond::Gt | Cond::Ge | Cond::Lt | Cond::Le) => {
                let (ua, ub) = convert::t_to_u(a, bits).refine_at(relation, bits, &convert::t_to_u(b, bits));
                (a.meet_at(&convert::u_to_t(&ua, bits), bits), b.meet_at(&convert::u_to_t(&ub, bits), bits))
            }
            _ => {
                let (sa, sb) = convert::t_to_s(a, bits).refine_at(relation, bits, &convert::t_to_s(b, bits));
                (a.meet_at(&convert::s_to_t(&sa, bits), bits), b.meet_at(&convert::s_to_t(&sb, bits), bits))
            }
        }
    }

    #[test]
    fn ordering_refinements_skip_only_meets_that_change_nothing() {
        let orderings = [Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le, Cond::SGt, Cond::SGe, Cond::SLt, Cond::SLe];
        for width in [4, 6, 8, 64] {
            let mut sampler = Sampler::new(u64::from(width) * 977);
            let mut tnum = || {
                let mask = sampler.word(width);
                Tnum::new(Bits::new(width, sampler.next() & !mask), Bits::new(width, mask))
            };
            let values: Vec<Tnum<Bits>> = (0..300).map(|_| tnum()).collect();
            for (a, b) in values.iter().zip(&values[1..]) {
                for cond in orderings {
                    let relation = Relation::Holds(cond);
                    for bits in [width, width / 2] {
                        let (a, b) = (a.truncate(bits), b.truncate(bits));
                        assert_eq!(
                            a.refine_at(relation, bits, &b),
                            refine_by_meeting(&a, &b, relation, bits),
                            "{cond:?}"
                        );
                    }
                }
            }
        }
    }
}
