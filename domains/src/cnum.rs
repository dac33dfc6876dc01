//! Wrapped intervals (`Cnum`): one arc `base, base + 1, …, base + size` on the number
//! circle of a width, the representation of Linux 7.2's `struct cnum64`/`cnum32` and of
//! Navas et al.'s wrapped intervals ("Signedness-agnostic program analysis", 2012).
//!
//! One arc gives both the unsigned bounds (unless it crosses from the maximum to 0) and the
//! signed bounds (unless it crosses from the signed maximum to the signed minimum), so a
//! range such as `[-3, 5]` that neither unsigned nor signed intervals hold alone stays one
//! value. `size` counts the values after `base`: `size = 2^bits - 1` is the whole circle
//! (kept with `base = 0`), and the one pattern `base = size = 2^bits - 1` is empty.
//!
//! Arcs are not a lattice: the union of two arcs may need one of two covering arcs, and two
//! arcs may intersect in two pieces. Join takes the smaller covering arc (commutative,
//! not associative); meet keeps its first operand when the intersection has two pieces, so
//! it then lies below that operand only (see [`Cnum::meet_at`]). Widening jumps a growing end to the extreme of the unsigned view, or
//! of the signed view when the arc crosses 0, so chains stabilise after a bounded number of
//! steps.
//!
//! Addition, subtraction and negation are exact; multiplication, division, remainders,
//! shifts and bitwise operations go through the unsigned and signed interval views (less
//! precise than the kernel's chunked multiplication for arcs that cross both boundaries,
//! and bitwise results are left to the tnum of [`crate::CnumProduct`]).

use bpfprove_semantics::isa::{BinOp, Cond};
use bpfprove_semantics::word::Boolean;

use crate::arith::{self, Choose, DomainWord, ones, pick, signed_max, signed_min, trunc, ule, zero};
use crate::interval::UInterval;
use crate::signed::SInterval;
use crate::value::{Component, Relation, component_domain};

/// The arc `base ..= base + size` (modulo the width); `base = size = max` is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cnum<W> {
    pub(crate) base: W,
    pub(crate) size: W,
}

impl<W: DomainWord> Cnum<W> {
    /// The arc of `size + 1` values from `base` (read at the word's width; the whole
    /// circle when `size` is the maximum, whatever `base`).
    pub fn new(base: W, size: W) -> Self {
        let n = base.width();
        Self::arc(base, size, n)
    }

    /// The first value of the arc.
    pub fn base(&self) -> &W {
        &self.base
    }

    /// How many values follow the first.
    pub fn size(&self) -> &W {
        &self.size
    }

    /// The arc at `bits`, the whole circle kept with base 0 (so that it is never the empty
    /// pattern).
    pub(crate) fn arc(base: W, size: W, bits: u32) -> Self {
        let like = base.clone();
        pick(&size.eq(&ones(&size, bits)), || Self::top_at(&like, bits), || Cnum { base, size })
    }

    /// The last value of the arc at `bits`.
    pub(crate) fn end(&self, bits: u32) -> W {
        arith::add(&self.base, &self.size, bits)
    }

    fn is_full(&self, bits: u32) -> W::Bool {
        self.size.eq(&ones(&self.size, bits)).and(&self.is_bottom_at(bits).not())
    }

    /// Whether the arc passes from the unsigned maximum to 0.
    pub(crate) fn wraps_unsigned(&self, bits: u32) -> W::Bool {
        arith::sub(&ones(&self.base, bits), &self.base, bits).ult(&self.size)
    }

    /// Whether the arc passes from the signed maximum to the signed minimum.
    pub(crate) fn crosses_signed(&self, bits: u32) -> W::Bool {
        let offset = arith::sub(&signed_min(&self.base, bits), &self.base, bits);
        // The arc holds the signed minimum and, one step before it, the signed maximum.
        ule(&offset, &self.size).and(&arith::is_zero(&offset).not().or(&self.is_full(bits)))
    }

    /// The unsigned bounds of the arc (all values when it wraps).
    pub(crate) fn unsigned_view(&self, bits: u32) -> UInterval<W> {
        pick(
            &self.is_bottom_at(bits),
            || UInterval::bottom_at(&self.base, bits),
            || {
                pick(
                    &self.wraps_unsigned(bits),
                    || UInterval::top_at(&self.base, bits),
                    || UInterval::new(self.base.clone(), self.end(bits)),
                )
            },
        )
    }

    /// The signed bounds of the arc (all values when it crosses the signed boundary).
    pub(crate) fn signed_view(&self, bits: u32) -> SInterval<W> {
        pick(
            &self.is_bottom_at(bits),
            || SInterval::bottom_at(&self.base, bits),
            || {
                pick(
                    &self.crosses_signed(bits),
                    || SInterval::top_at(&self.base, bits),
                    || SInterval::new(self.base.clone(), self.end(bits)),
                )
            },
        )
    }

    /// The arc of an unsigned interval.
    pub(crate) fn from_unsigned(u: &UInterval<W>, bits: u32) -> Self {
        pick(
            &u.is_bottom_at(bits),
            || Self::bottom_at(u.lo(), bits),
            || Self::arc(u.lo().clone(), arith::sub(u.hi(), u.lo(), bits), bits),
        )
    }

    /// The arc of a signed interval.
    pub(crate) fn from_signed(s: &SInterval<W>, bits: u32) -> Self {
        pick(
            &s.is_bottom_at(bits),
            || Self::bottom_at(s.lo(), bits),
            || Self::arc(s.lo().clone(), arith::sub(s.hi(), s.lo(), bits), bits),
        )
    }

    /// The arcs `self + src`: exact unless the sizes add up past the whole circle.
    fn add(&self, src: &Self, bits: u32) -> Self {
        let size = arith::add(&self.size, &src.size, bits);
        let overflows = size.ult(&self.size);
        pick(
            &overflows,
            || Self::top_at(&self.base, bits),
            || Self::arc(arith::add(&self.base, &src.base, bits), size, bits),
        )
    }

    /// `-self`: the arc reflected, starting at the negated end.
    fn negated(&self, bits: u32) -> Self {
        pick(
            &self.is_bottom_at(bits),
            || self.clone(),
            || Self::arc(arith::sub(&zero(&self.base), &self.end(bits), bits), self.size.clone(), bits),
        )
    }

    /// `self` without the value of `other` when `other` is a constant at an end of `self`
    /// (any constant, when `self` is the whole circle).
    fn remove(&self, other: &Self, bits: u32) -> Self {
        let one = self.base.constant(1);
        let value = &other.base;
        let removable = other.size.eq(&zero(value)).and(&self.contains_at(value, bits));
        let at_base = value.eq(&self.base);
        let at_end = value.eq(&self.end(bits));
        pick(
            &removable.not(),
            || self.clone(),
            || {
                pick(
                    &arith::is_zero(&self.size),
                    || Self::bottom_at(&self.base, bits),
                    || {
                        pick(
                            &self.is_full(bits),
                            || Cnum { base: arith::add(value, &one, bits), size: arith::sub(&self.size, &one, bits) },
                            || {
                                pick(
                                    &at_base,
                                    || Cnum {
                                        base: arith::add(&self.base, &one, bits),
                                        size: arith::sub(&self.size, &one, bits),
                                    },
                                    || {
                                        pick(
                                            &at_end,
                                            || Cnum {
                                                base: self.base.clone(),
                                                size: arith::sub(&self.size, &one, bits),
                                            },
                                            || self.clone(),
                                        )
                                    },
                                )
                            },
                        )
                    },
                )
            },
        )
    }

    /// The arc at the full width holding the values of `self` (at `bits`) sign-extended.
    pub(crate) fn sign_extend_low(&self, bits: u32) -> Self {
        let n = self.width();
        pick(
            &self.is_bottom_at(bits),
            || Self::bottom_at(&self.base, n),
            || {
                pick(
                    &self.crosses_signed(bits),
                    // Both signed halves: every sign-extended `bits`-bit value.
                    || Self::arc(signed_min(&self.base, bits).sext_low(bits), ones(&self.base, bits), n),
                    || Self::arc(self.base.sext_low(bits), self.size.clone(), n),
                )
            },
        )
    }

    /// Widening in the unsigned view: a bound that moved goes to its extreme.
    fn widen_unsigned(&self, newer: &Self, bits: u32) -> Self {
        let (old, new) = (self.unsigned_view(bits), newer.unsigned_view(bits));
        let lo = pick(&new.lo().ult(old.lo()), || zero(&self.base), || old.lo().clone());
        let hi = pick(&old.hi().ult(new.hi()), || ones(&self.base, bits), || old.hi().clone());
        Self::arc(lo.clone(), arith::sub(&hi, &lo, bits), bits)
    }

    /// Widening in the signed view: a bound that moved goes to its extreme.
    fn widen_signed(&self, newer: &Self, bits: u32) -> Self {
        let (old, new) = (self.signed_view(bits), newer.signed_view(bits));
        let lo = pick(&arith::slt(new.lo(), old.lo(), bits), || signed_min(&self.base, bits), || old.lo().clone());
        let hi = pick(&arith::slt(old.hi(), new.hi(), bits), || signed_max(&self.base, bits), || old.hi().clone());
        Self::arc(lo.clone(), arith::sub(&hi, &lo, bits), bits)
    }
}

impl<W: DomainWord> Choose<W> for Cnum<W> {
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self {
        Cnum { base: W::select(cond, &then.base, &otherwise.base), size: W::select(cond, &then.size, &otherwise.size) }
    }
}

impl<W: DomainWord> Component<W> for Cnum<W> {
    fn template(&self) -> &W {
        &self.base
    }
    fn top_at(like: &W, bits: u32) -> Self {
        Cnum { base: zero(like), size: ones(like, bits) }
    }
    fn bottom_at(like: &W, bits: u32) -> Self {
        Cnum { base: ones(like, bits), size: ones(like, bits) }
    }
    fn point(value: &W) -> Self {
        Cnum { base: value.clone(), size: zero(value) }
    }
    fn is_bottom_at(&self, bits: u32) -> W::Bool {
        let max = ones(&self.base, bits);
        self.base.eq(&max).and(&self.size.eq(&max))
    }
    fn contains_at(&self, x: &W, bits: u32) -> W::Bool {
        self.is_bottom_at(bits).not().and(&ule(&arith::sub(x, &self.base, bits), &self.size))
    }
    fn leq_at(&self, other: &Self, bits: u32) -> W::Bool {
        let offset = arith::sub(&self.base, &other.base, bits);
        let inside = ule(&offset, &other.size).and(&ule(&self.size, &arith::sub(&other.size, &offset, bits)));
        let other_holds = other.is_full(bits).or(&other.is_bottom_at(bits).not().and(&inside));
        self.is_bottom_at(bits).or(&other_holds)
    }
    /// The smaller of the two arcs covering both (Navas et al.'s join): the union when the
    /// arcs overlap or one holds the other, the whole circle when each holds the other's
    /// start, otherwise the arc bridging the smaller gap (ties: the one with the smaller
    /// base, so that join is commutative).
    fn join_at(&self, other: &Self, bits: u32) -> Self {
        let (a, b) = (self, other);
        // `a` then `b`: from a's base to b's end; and the other way round.
        let a_then_b = || Self::arc(a.base.clone(), arith::sub(&b.end(bits), &a.base, bits), bits);
        let b_then_a = || Self::arc(b.base.clone(), arith::sub(&a.end(bits), &b.base, bits), bits);
        let b_starts_in_a = a.contains_at(&b.base, bits);
        let a_starts_in_b = b.contains_at(&a.base, bits);
        let bridge = || {
            let (first, second) = (a_then_b(), b_then_a());
            let first_smaller =
                first.size.ult(&second.size).or(&first.size.eq(&second.size).and(&ule(&a.base, &b.base)));
            pick(&first_smaller, || first.clone(), || second.clone())
        };
        let covering = || {
            pick(
                &b_starts_in_a.and(&a_starts_in_b),
                || Self::top_at(&a.base, bits),
                || pick(&b_starts_in_a, a_then_b, || pick(&a_starts_in_b, b_then_a, bridge)),
            )
        };
        pick(&b.leq_at(a, bits), || a.clone(), || pick(&a.leq_at(b, bits), || b.clone(), covering))
    }
    /// The intersection when it is one arc (or empty); when the arcs overlap in two pieces
    /// (each holds the other's start and neither holds the other), `self`, which holds the
    /// intersection and lies below `self` but not below `other`. (The kernel's
    /// `cnum_intersect` returns the smaller operand there; keeping `self` makes every meet
    /// a refinement of its first operand, so the reduction of [`crate::CnumProduct`] never
    /// trades a view for a larger one.)
    fn meet_at(&self, other: &Self, bits: u32) -> Self {
        let (a, b) = (self, other);
        let b_starts_in_a = a.contains_at(&b.base, bits);
        let a_starts_in_b = b.contains_at(&a.base, bits);
        // From b's base (inside a): up to the first of a's and b's ends.
        let from_b = || {
            let room = arith::sub(&a.size, &arith::sub(&b.base, &a.base, bits), bits);
            Self::arc(b.base.clone(), arith::umin(&room, &b.size), bits)
        };
        let from_a = || {
            let room = arith::sub(&b.size, &arith::sub(&a.base, &b.base, bits), bits);
            Self::arc(a.base.clone(), arith::umin(&room, &a.size), bits)
        };
        // Two pieces, or one operand inside the other.
        let both = || pick(&b.leq_at(a, bits), || b.clone(), || a.clone());
        let met = pick(&b_starts_in_a.and(&a_starts_in_b), both, || {
            pick(&b_starts_in_a, from_b, || pick(&a_starts_in_b, from_a, || Self::bottom_at(&a.base, bits)))
        });
        pick(&a.is_bottom_at(bits).or(&b.is_bottom_at(bits)), || Self::bottom_at(&a.base, bits), || met)
    }
    fn widen_at(&self, newer: &Self, bits: u32) -> Self {
        let joined = self.join_at(newer, bits);
        let grown = || {
            pick(
                &self.wraps_unsigned(bits).not(),
                || self.widen_unsigned(newer, bits),
                || {
                    pick(
                        &self.crosses_signed(bits).not(),
                        || self.widen_signed(newer, bits),
                        || Self::top_at(&self.base, bits),
                    )
                },
            )
        };
        pick(
            &self.is_bottom_at(bits).or(&newer.is_bottom_at(bits)),
            || joined.clone(),
            || pick(&newer.leq_at(self, bits), || self.clone(), grown),
        )
    }
    /// Narrowing replaces the whole circle by `newer`, and, in the unsigned view of an arc
    /// that does not wrap, a bound at its extreme by `newer`'s (as intervals do).
    fn narrow_at(&self, newer: &Self, bits: u32) -> Self {
        let bounds = || {
            let (old, new) = (self.unsigned_view(bits), newer.unsigned_view(bits));
            let lo = pick(&arith::is_zero(old.lo()), || new.lo().clone(), || old.lo().clone());
            let hi = pick(&old.hi().eq(&ones(&self.base, bits)), || new.hi().clone(), || old.hi().clone());
            Self::from_unsigned(&UInterval::new(lo, hi), bits)
        };
        let replace = newer.is_bottom_at(bits).or(&self.is_full(bits));
        pick(&replace, || newer.clone(), || pick(&self.wraps_unsigned(bits), || self.clone(), bounds))
    }
    fn binary_at(&self, op: BinOp, bits: u32, src: &Self) -> Self {
        let (a, b) = (self, src);
        let unsigned =
            || Self::from_unsigned(&a.unsigned_view(bits).bounds_binary(op, bits, &b.unsigned_view(bits)), bits);
        let signed = || Self::from_signed(&a.signed_view(bits).bounds_binary(op, bits, &b.signed_view(bits)), bits);
        match op {
            BinOp::Add => a.add(b, bits),
            BinOp::Sub => a.add(&b.negated(bits), bits),
            BinOp::Mov => b.clone(),
            BinOp::Mul => unsigned().meet_at(&signed(), bits),
            BinOp::Div | BinOp::Mod | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Lsh | BinOp::Rsh => unsigned(),
            BinOp::SDiv | BinOp::SMod | BinOp::Arsh => signed(),
        }
    }
    fn refine_at(&self, relation: Relation, bits: u32, src: &Self) -> (Self, Self) {
        let (a, b) = (self, src);
        match relation {
            Relation::Holds(Cond::Eq) => (a.meet_at(b, bits), b.meet_at(a, bits)),
            Relation::Holds(Cond::Ne) => (a.remove(b, bits), b.remove(a, bits)),
            Relation::Holds(Cond::Lt | Cond::Le | Cond::Gt | Cond::Ge) => {
                let (ua, ub) = a.unsigned_view(bits).bounds_refine(relation, bits, &b.unsigned_view(bits));
                (a.meet_at(&Self::from_unsigned(&ua, bits), bits), b.meet_at(&Self::from_unsigned(&ub, bits), bits))
            }
            Relation::Holds(Cond::SLt | Cond::SLe | Cond::SGt | Cond::SGe) => {
                let (sa, sb) = a.signed_view(bits).bounds_refine(relation, bits, &b.signed_view(bits));
                (a.meet_at(&Self::from_signed(&sa, bits), bits), b.meet_at(&Self::from_signed(&sb, bits), bits))
            }
            Relation::Holds(Cond::Set) => {
                let zero = Self::point(&zero(&a.base));
                (a.remove(&zero, bits), b.remove(&zero, bits))
            }
            Relation::Clear => (a.clone(), b.clone()),
        }
    }
    fn truncate(&self, bits: u32) -> Self {
        // At most 2^bits consecutive values have consecutive low halves.
        let n = self.width();
        pick(
            &self.is_bottom_at(n),
            || Self::bottom_at(&self.base, bits),
            || {
                pick(
                    &ule(&self.size, &ones(&self.size, bits)),
                    || Self::arc(trunc(&self.base, bits), self.size.clone(), bits),
                    || Self::top_at(&self.base, bits),
                )
            },
        )
    }
    fn zero_extend(&self, bits: u32) -> Self {
        let n = self.width();
        pick(
            &self.is_bottom_at(bits),
            || Self::bottom_at(&self.base, n),
            || {
                pick(
                    &self.wraps_unsigned(bits),
                    || Cnum { base: zero(&self.base), size: ones(&self.base, bits) },
                    || self.clone(),
                )
            },
        )
    }
    /// The part of `self` from its first to its last value whose low `bits` bits lie in
    /// `low`: both ends move inwards to the nearest such value (the kernel's
    /// `cnum64_cnum32_intersect`, found by walking from each end to the nearest end of
    /// `low`).
    fn restrict_low(&self, low: &Self, bits: u32) -> Self {
        let n = self.width();
        let first_low = trunc(&self.base, bits);
        let skip_first =
            pick(&low.contains_at(&first_low, bits), || zero(&self.base), || arith::sub(&low.base, &first_low, bits));
        let last_low = trunc(&self.end(n), bits);
        let skip_last = pick(
            &low.contains_at(&last_low, bits),
            || zero(&self.base),
            || arith::sub(&last_low, &low.end(bits), bits),
        );
        let empty = self.is_bottom_at(n).or(&low.is_bottom_at(bits)).or(&self.size.ult(&skip_first));
        pick(
            &empty,
            || Self::bottom_at(&self.base, n),
            || {
                let size = arith::sub(&arith::sub(&self.size, &skip_first, n), &skip_last, n);
                Self::arc(arith::add(&self.base, &skip_first, n), size, n)
            },
        )
    }
    fn sign_extend(&self, from: u32) -> Self {
        self.truncate(from).sign_extend_low(from)
    }
    fn swap_bytes(&self, bits: u32) -> Self {
        let n = self.width();
        pick(
            &self.is_bottom_at(n),
            || self.clone(),
            || {
                pick(
                    &arith::is_zero(&self.size),
                    || Self::point(&self.base.swap_bytes_low(bits)),
                    || Self::top_at(&self.base, n),
                )
            },
        )
    }
}

component_domain!(Cnum, "wrapped-interval", [base, size]);

#[cfg(test)]
mod tests {
    use bpfprove_semantics::word::Bits;

    use super::*;
    use crate::check::Operation;
    use crate::check::enumerate::Enumerable;
    use crate::check::exhaustive::{self, Measure};
    use crate::lattice::Lattice;

    fn arc(base: u64, size: u64) -> Cnum<u64> {
        Cnum::new(base, size)
    }

    #[test]
    fn every_operation_of_the_arcs_is_sound_for_all_arcs_at_4_bits() {
        let population = Cnum::population(4, 1000);
        assert!(population.complete && population.values.len() == 16 * 15 + 1);
        for operation in Operation::all() {
            let outcome = exhaustive::check(operation, 4, &population.values, Measure::SoundnessOnly);
            assert_eq!(outcome.unsound, None, "{operation}");
        }
    }

    #[test]
    fn addition_and_negation_are_exact() {
        let population = Cnum::population(4, 1000);
        let w64 = bpfprove_semantics::isa::Width::W64;
        for operation in
            [Operation::Binary(BinOp::Add, w64), Operation::Binary(BinOp::Sub, w64), Operation::Negate(w64)]
        {
            let outcome = exhaustive::check(operation, 4, &population.values, Measure::SoundnessAndPrecision);
            assert_eq!(outcome.precise, outcome.pairs, "{operation}");
        }
    }

    #[test]
    fn join_is_the_smallest_covering_arc_and_meet_holds_the_intersection() {
        let values = Cnum::population(4, 1000).values;
        let bottom = Cnum::bottom(&Bits::new(4, 0));
        for a in &values {
            assert!(bottom.leq(a) && a.leq(a) && bottom.join(a) == *a);
            for b in &values {
                let (ga, gb) = (a.gamma(), b.gamma());
                let join = a.join(b);
                assert_eq!(join.gamma(), Cnum::best(&ga.union(&gb), 4).union(&join.gamma()), "{a:?} {b:?}");
                assert_eq!(join.gamma().len(), Cnum::best(&ga.union(&gb), 4).len(), "{a:?} {b:?}: {join:?}");
                assert_eq!(join.gamma(), b.join(a).gamma());
                assert_eq!(a.leq(b), ga.is_subset(&gb), "{a:?} {b:?}");
                let meet = a.meet(b);
                let common = ga.intersection(&gb);
                assert!(common.is_subset(&meet.gamma()), "{a:?} {b:?}: {meet:?}");
                // Exact for one-piece intersections; otherwise the first operand.
                assert!(meet.leq(a), "{a:?} {b:?}: {meet:?}");
                if Cnum::best(&common, 4) == common {
                    assert_eq!(meet.gamma(), common, "{a:?} {b:?}: {meet:?}");
                } else {
                    assert_eq!(meet, *a, "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn the_low_arc_trims_both_ends_of_the_whole_arc() {
        // The kernel's selftest examples of `cnum64_cnum32_intersect`.
        let low = |base: u64, size: u64| Cnum::arc(base, size, 32);
        let trimmed = arc(0x1_0000_000a, 20).restrict_low(&low(15, 5), 32);
        assert_eq!(trimmed, arc(0x1_0000_000f, 5));
        let trimmed = arc(0x1_0000_0000, 4).restrict_low(&low(u64::from(u32::MAX) - 2, 5), 32);
        assert_eq!(trimmed, arc(0x1_0000_0000, 2));
        assert!(arc(10, 2).restrict_low(&low(20, 5), 32).is_bottom());
        // An `int` clamped to [-4095, 0] in a sign-extended register.
        let extended = arc((-(1i64 << 31)) as u64, u64::from(u32::MAX));
        assert_eq!(
            extended.restrict_low(&low((-4095i64) as u64 & 0xffff_ffff, 4095), 32),
            arc((-4095i64) as u64, 4095)
        );
    }

    #[test]
    fn one_arc_holds_ranges_across_zero_and_across_the_sign_boundary() {
        let around_zero = Cnum::<u64>::from_signed(&SInterval::new((-3i64) as u64, 5), 64);
        assert_eq!(around_zero.signed_view(64), SInterval::new((-3i64) as u64, 5));
        assert!(around_zero.unsigned_view(64).lo() == &0 && around_zero.unsigned_view(64).hi() == &u64::MAX);
        let sum = around_zero.binary_at(BinOp::Add, 64, &arc(10, 0));
        assert_eq!(sum, arc(7, 8));
        assert!(around_zero.crosses_signed(64).not() && around_zero.wraps_unsigned(64));
    }

    #[test]
    fn widening_stabilises_in_few_steps() {
        let mut sampler = crate::check::enumerate::Sampler::new(99);
        for _ in 0..2000 {
            let mut current = arc(sampler.word(64), sampler.word(64) >> (sampler.next() % 64));
            let mut changes = 0;
            for _ in 0..40 {
                let newer = arc(sampler.word(64), sampler.word(64) >> (sampler.next() % 64));
                let next = current.widen(&current.join(&newer));
                assert!(current.leq(&next) && newer.leq(&next));
                if next != current {
                    changes += 1;
                }
                current = next;
            }
            assert!(changes <= 4, "{changes} changes");
        }
    }
}
