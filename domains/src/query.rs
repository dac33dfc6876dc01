//! What an analyzer asks of a 64-bit value whatever its domain: sound summaries of `γ`
//! (bounds, known bits, the constant it is), and values built from such summaries.
//!
//! Every answer over-approximates: if `x ∈ γ(v)` then `x` lies within `v.unsigned_bounds()`,
//! within `v.signed_bounds()`, and agrees with `v.known_bits()` on its known bits. Every
//! constructor returns a value whose `γ` holds every word of the range or pattern given.
//! The tests at the bottom check both directions on random values.

use crate::any::{AnyValue, DomainKind};
use crate::cnum::Cnum;
use crate::cnum_product::CnumProduct;
use crate::convert;
use crate::interval::UInterval;
use crate::lattice::Lattice;
use crate::product::Product;
use crate::signed::SInterval;
use crate::tnum::Tnum;
use crate::value::Component;

const BITS: u32 = 64;
const HALF: u32 = 32;

/// Known bits of a value: bits clear in `mask` are equal to those of `value` in every
/// concrete value; bits set in `mask` are unknown. `value & mask == 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KnownBits {
    /// The known bits' values.
    pub value: u64,
    /// The unknown bits.
    pub mask: u64,
}

impl KnownBits {
    /// Whether the low `bits` bits are all known to be zero (the value is a multiple of
    /// `2^bits`).
    pub fn low_bits_zero(&self, bits: u32) -> bool {
        let low = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
        (self.value | self.mask) & low == 0
    }
}

impl AnyValue<u64> {
    /// Bounds on every value as an unsigned number, `None` when the value is empty.
    pub fn unsigned_bounds(&self) -> Option<(u64, u64)> {
        let bounds = match self {
            AnyValue::Interval(u) => *u,
            AnyValue::SignedInterval(s) => convert::s_to_u(s, BITS),
            AnyValue::Tnum(t) => convert::t_to_u(t, BITS),
            AnyValue::Product(p) => p
                .unsigned()
                .meet_at(&convert::s_to_u(p.signed(), BITS), BITS)
                .meet_at(&convert::t_to_u(p.tnum(), BITS), BITS),
            AnyValue::Cnum(c) => c.unsigned_bounds(),
        };
        (!self.is_bottom() && bounds.lo <= bounds.hi).then_some((bounds.lo, bounds.hi))
    }

    /// Bounds on every value as a signed number, `None` when the value is empty.
    pub fn signed_bounds(&self) -> Option<(i64, i64)> {
        let bounds = match self {
            AnyValue::Interval(u) => convert::u_to_s(u, BITS),
            AnyValue::SignedInterval(s) => *s,
            AnyValue::Tnum(t) => convert::t_to_s(t, BITS),
            AnyValue::Product(p) => p
                .signed()
                .meet_at(&convert::u_to_s(p.unsigned(), BITS), BITS)
                .meet_at(&convert::t_to_s(p.tnum(), BITS), BITS),
            AnyValue::Cnum(c) => c.signed_bounds(),
        };
        let (lo, hi) = (bounds.lo as i64, bounds.hi as i64);
        (!self.is_bottom() && lo <= hi).then_some((lo, hi))
    }

    /// The bits every value agrees on, `None` when the value is empty.
    pub fn known_bits(&self) -> Option<KnownBits> {
        let tnum = match self {
            AnyValue::Interval(u) => convert::u_to_t(u, BITS),
            AnyValue::SignedInterval(s) => convert::s_to_t(s, BITS),
            AnyValue::Tnum(t) => *t,
            AnyValue::Product(p) => p.tnum().meet_at(&convert::u_to_t(p.unsigned(), BITS), BITS),
            AnyValue::Cnum(c) => c.tnum().meet_at(&convert::u_to_t(&c.unsigned_bounds(), BITS), BITS),
        };
        (!self.is_bottom() && !tnum.is_bottom_at(BITS)).then_some(KnownBits { value: tnum.value, mask: tnum.mask })
    }

    /// The one value this stands for, if it stands for exactly one.
    pub fn as_constant(&self) -> Option<u64> {
        let (lo, hi) = self.unsigned_bounds()?;
        if lo == hi {
            return Some(lo);
        }
        let known = self.known_bits()?;
        (known.mask == 0).then_some(known.value)
    }
}

impl DomainKind {
    /// A value holding every word of `lo..=hi` (unsigned); empty when `lo > hi`.
    pub fn unsigned_range(self, lo: u64, hi: u64) -> AnyValue<u64> {
        if lo > hi {
            return AnyValue::bottom(&(self, 0));
        }
        let u = UInterval::new(lo, hi);
        match self {
            DomainKind::Interval => AnyValue::Interval(u),
            DomainKind::SignedInterval => AnyValue::SignedInterval(convert::u_to_s(&u, BITS)),
            DomainKind::Tnum => AnyValue::Tnum(convert::u_to_t(&u, BITS)),
            DomainKind::Product => AnyValue::Product(Product::new(
                u,
                convert::u_to_s(&u, BITS),
                UInterval::top_at(&0, HALF),
                SInterval::top_at(&0, HALF),
                convert::u_to_t(&u, BITS),
            )),
            DomainKind::Cnum => AnyValue::Cnum(CnumProduct::new(
                convert::u_to_t(&u, BITS),
                Cnum::new(lo, hi - lo),
                Cnum::top_at(&0, HALF),
            )),
        }
    }

    /// A value holding every word of `lo..=hi` (signed); empty when `lo > hi`.
    pub fn signed_range(self, lo: i64, hi: i64) -> AnyValue<u64> {
        if lo > hi {
            return AnyValue::bottom(&(self, 0));
        }
        let s = SInterval::new(lo as u64, hi as u64);
        match self {
            DomainKind::Interval => AnyValue::Interval(convert::s_to_u(&s, BITS)),
            DomainKind::SignedInterval => AnyValue::SignedInterval(s),
            DomainKind::Tnum => AnyValue::Tnum(convert::s_to_t(&s, BITS)),
            DomainKind::Product => AnyValue::Product(Product::new(
                convert::s_to_u(&s, BITS),
                s,
                UInterval::top_at(&0, HALF),
                SInterval::top_at(&0, HALF),
                convert::s_to_t(&s, BITS),
            )),
            DomainKind::Cnum => AnyValue::Cnum(CnumProduct::new(
                convert::s_to_t(&s, BITS),
                Cnum::new(lo as u64, (hi as u64).wrapping_sub(lo as u64)),
                Cnum::top_at(&0, HALF),
            )),
        }
    }

    /// A value holding every word that agrees with `known` on its known bits.
    pub fn with_known_bits(self, known: KnownBits) -> AnyValue<u64> {
        let t = Tnum::new(known.value & !known.mask, known.mask);
        match self {
            DomainKind::Interval => AnyValue::Interval(convert::t_to_u(&t, BITS)),
            DomainKind::SignedInterval => AnyValue::SignedInterval(convert::t_to_s(&t, BITS)),
            DomainKind::Tnum => AnyValue::Tnum(t),
            DomainKind::Product => AnyValue::Product(Product::new(
                convert::t_to_u(&t, BITS),
                convert::t_to_s(&t, BITS),
                UInterval::top_at(&0, HALF),
                SInterval::top_at(&0, HALF),
                t,
            )),
            DomainKind::Cnum => AnyValue::Cnum(CnumProduct::new(t, Cnum::top_at(&0, BITS), Cnum::top_at(&0, HALF))),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A value of `kind` built by joining constants (so that `values` all lie in `γ`).
    fn joined(kind: DomainKind, values: &[u64]) -> AnyValue<u64> {
        values.iter().fold(AnyValue::bottom(&(kind, 0)), |acc, v| acc.join(&kind.constant(v)))
    }

    fn edge_values() -> impl Strategy<Value = u64> {
        prop_oneof![any::<u64>(), 0u64..300, (0u64..300).prop_map(|v| v.wrapping_neg()), Just(1u64 << 63)]
    }

    proptest! {
        #[test]
        fn summaries_hold_every_value(values in proptest::collection::vec(edge_values(), 1..5)) {
            for kind in DomainKind::ALL {
                let v = joined(kind, &values);
                let (ulo, uhi) = v.unsigned_bounds().expect("not empty");
                let (slo, shi) = v.signed_bounds().expect("not empty");
                let known = v.known_bits().expect("not empty");
                prop_assert_eq!(known.value & known.mask, 0);
                for &x in &values {
                    prop_assert!(ulo <= x && x <= uhi, "{kind}: {x:#x} outside [{ulo:#x}, {uhi:#x}]");
                    prop_assert!(slo <= x as i64 && x as i64 <= shi, "{kind}: {x:#x} outside signed bounds");
                    prop_assert_eq!(x & !known.mask, known.value, "{}: {:#x} disagrees with known bits", kind, x);
                }
                if values.iter().all(|&x| x == values[0]) {
                    prop_assert_eq!(v.as_constant(), Some(values[0]));
                } else {
                    prop_assert_eq!(v.as_constant(), None);
                }
            }
        }

        #[test]
        fn constructors_hold_their_ranges(a in edge_values(), b in edge_values(), pick in any::<u64>()) {
            let (lo, hi) = (a.min(b), a.max(b));
            let inside = lo + pick % (hi - lo).saturating_add(1).max(1);
            let (slo, shi) = ((a as i64).min(b as i64), (a as i64).max(b as i64));
            let signed_inside = slo.wrapping_add((pick % ((shi.wrapping_sub(slo) as u64).saturating_add(1)).max(1)) as i64);
            let known = KnownBits { value: a & !b, mask: b };
            for kind in DomainKind::ALL {
                prop_assert!(kind.unsigned_range(lo, hi).contains(&inside), "{kind}: {inside:#x} in [{lo:#x}, {hi:#x}]");
                prop_assert!(kind.unsigned_range(lo, hi).contains(&lo) && kind.unsigned_range(lo, hi).contains(&hi));
                prop_assert!(kind.signed_range(slo, shi).contains(&(signed_inside as u64)), "{kind}: signed {signed_inside}");
                prop_assert!(kind.with_known_bits(known).contains(&((pick & known.mask) | known.value)));
            }
        }
    }

    #[test]
    fn empty_ranges_are_bottom() {
        for kind in DomainKind::ALL {
            assert!(kind.unsigned_range(5, 4).unsigned_bounds().is_none());
            assert!(kind.signed_range(5, 4).signed_bounds().is_none());
        }
    }

    #[test]
    fn alignment_is_known_to_bit_level_domains_only() {
        let offsets = joined(DomainKind::Tnum, &[0, 8, 16, 24]);
        assert!(offsets.known_bits().expect("not empty").low_bits_zero(3));
        let offsets = joined(DomainKind::Interval, &[0, 8, 16, 24]);
        assert!(!offsets.known_bits().expect("not empty").low_bits_zero(3));
    }
}
