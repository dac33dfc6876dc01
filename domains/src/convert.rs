//! Sound conversions between the unsigned-interval, signed-interval and tnum views of one
//! set of values at an operand width, and the join over possible shift amounts.
//!
//! Each conversion returns a superset of its input's values (the best one where the target
//! can represent it cheaply) and maps empty to empty.

use bpfprove_semantics::isa::BinOp;
use bpfprove_semantics::word::Boolean;

use crate::arith::{self, DomainWord, is_negative, ones, pick, zero};
use crate::interval::UInterval;
use crate::signed::SInterval;
use crate::tnum::Tnum;
use crate::value::Component;

/// The unsigned interval as a signed one: the same bounds unless it crosses the sign boundary.
pub(crate) fn u_to_s<W: DomainWord>(u: &UInterval<W>, bits: u32) -> SInterval<W> {
    let same_sign = arith::same(&is_negative(&u.lo, bits), &is_negative(&u.hi, bits));
    pick(&same_sign, || SInterval::new(u.lo.clone(), u.hi.clone()), || SInterval::top_at(&u.lo, bits))
}

/// The signed interval as an unsigned one: the same bounds unless it crosses zero.
pub(crate) fn s_to_u<W: DomainWord>(s: &SInterval<W>, bits: u32) -> UInterval<W> {
    let same_sign = arith::same(&is_negative(&s.lo, bits), &is_negative(&s.hi, bits));
    pick(&same_sign, || UInterval::new(s.lo.clone(), s.hi.clone()), || UInterval::top_at(&s.lo, bits))
}

/// The smallest tnum holding the unsigned interval.
pub(crate) fn u_to_t<W: DomainWord>(u: &UInterval<W>, bits: u32) -> Tnum<W> {
    pick(&u.is_bottom_at(bits), || Tnum::bottom_at(&u.lo, bits), || Tnum::range(&u.lo, &u.hi, bits))
}

/// The smallest unsigned interval holding the tnum.
pub(crate) fn t_to_u<W: DomainWord>(t: &Tnum<W>, bits: u32) -> UInterval<W> {
    pick(
        &t.is_bottom_at(bits),
        || UInterval::bottom_at(&t.value, bits),
        || UInterval::new(t.value.clone(), t.value.or(&t.mask)),
    )
}

/// A tnum holding the signed interval (the union of its negative and non-negative parts).
pub(crate) fn s_to_t<W: DomainWord>(s: &SInterval<W>, bits: u32) -> Tnum<W> {
    let crosses = is_negative(&s.lo, bits).and(&is_negative(&s.hi, bits).not());
    pick(
        &s.is_bottom_at(bits),
        || Tnum::bottom_at(&s.lo, bits),
        || {
            pick(
                &crosses,
                || {
                    let negative = Tnum::range(&s.lo, &ones(&s.lo, bits), bits);
                    negative.join_at(&Tnum::range(&zero(&s.lo), &s.hi, bits), bits)
                },
                || Tnum::range(&s.lo, &s.hi, bits),
            )
        },
    )
}

/// The smallest signed interval holding the tnum: the sign bit set where it may be, the
/// other unknown bits cleared for the minimum and set for the maximum.
pub(crate) fn t_to_s<W: DomainWord>(t: &Tnum<W>, bits: u32) -> SInterval<W> {
    let sign = arith::signed_min(&t.value, bits);
    let others = arith::signed_max(&t.value, bits);
    pick(
        &t.is_bottom_at(bits),
        || SInterval::bottom_at(&t.value, bits),
        || SInterval::new(t.value.or(&t.mask.and(&sign)), t.value.or(&t.mask.and(&others))),
    )
}

/// The shift counts an amount can give after the ISA masks it to the operand width.
pub(crate) fn shift_amounts<W: DomainWord>(amount: &Tnum<W>, bits: u32) -> Tnum<W> {
    let mask = Tnum::point(&amount.value.constant(u64::from(bits - 1)));
    amount.binary_at(BinOp::And, bits, &mask)
}

/// `value` shifted by every count in `amounts` (counts below `bits`), joined: a barrel
/// shifter whose stage for bit `2^i` of the count shifts by `2^i` when that bit is known 1,
/// keeps the value when it is known 0, and joins both when it is unknown. Shifts by `p`
/// then `q` equal a shift by `p + q` here since every count stays below `bits`, so this is
/// the join over the counts; and it stays a small formula for the solver.
pub(crate) fn shift_by<W: DomainWord, C: Component<W>>(
    value: &C,
    amounts: &Tnum<W>,
    bits: u32,
    shift: impl Fn(&C, u32) -> C,
) -> C {
    let mut result = value.clone();
    let mut step = 1;
    while step < bits {
        let bit = amounts.value.constant(u64::from(step));
        let known_one = arith::is_zero(&amounts.value.and(&bit)).not();
        let unknown = arith::is_zero(&amounts.mask.and(&bit)).not();
        result = pick(
            &known_one,
            || shift(&result, step),
            || pick(&unknown, || result.join_at(&shift(&result, step), bits), || result.clone()),
        );
        step *= 2;
    }
    result
}
