//! The abstract values of a domain at a small width, their concretisations as
//! [`ValueSet`]s, and the best abstraction of a set of values.

use bpfprove_semantics::word::Bits;

use super::bitset::ValueSet;
use crate::arith::low_mask;
use crate::cnum::Cnum;
use crate::cnum_product::CnumProduct;
use crate::interval::UInterval;
use crate::lattice::Lattice;
use crate::product::Product;
use crate::signed::SInterval;
use crate::tnum::Tnum;
use crate::value::ValueDomain;

/// Abstract values to check at one width.
#[derive(Clone, Debug)]
pub struct Population<D> {
    /// The values, ordered so that neighbours often differ by one concrete value.
    pub values: Vec<D>,
    /// Whether these are all the non-empty values of the domain at that width.
    pub complete: bool,
}

/// A domain whose values at widths up to 8 bits can be listed and concretised.
pub trait Enumerable: ValueDomain<Bits> + Sized {
    /// The domain's non-empty values at `width`: all of them when there are at most
    /// `limit`, otherwise a deterministic sample of about `limit` values.
    fn population(width: u32, limit: usize) -> Population<Self>;
    /// `γ(self)`.
    fn gamma(&self) -> ValueSet;
    /// `γ(α(set))`: the concretisation of the best value of the domain holding `set`.
    fn best(set: &ValueSet, width: u32) -> ValueSet;
}

/// A small deterministic random generator (xorshift64*), so that samples are reproducible.
#[derive(Clone, Debug)]
pub(crate) struct Sampler(u64);

impl Sampler {
    pub(crate) fn new(seed: u64) -> Sampler {
        Sampler(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value below `2^width`, biased towards small and extreme values as bounds often are.
    pub(crate) fn word(&mut self, width: u32) -> u64 {
        let raw = self.next();
        let value = match raw % 4 {
            0 => raw >> 8,
            1 => (raw >> 8) % 4,
            2 => low_mask(width) - (raw >> 8) % 4,
            _ => (raw >> 8) >> (raw % u64::from(width)),
        };
        value & low_mask(width)
    }

    /// A tnum of `width` bits: every bit unknown half the time, else a random mask.
    pub(crate) fn tnum(&mut self, width: u32) -> Tnum<Bits> {
        let mask = if self.next().is_multiple_of(2) { low_mask(width) } else { self.word(width) };
        Tnum::new(bits(width, self.next() & !mask & low_mask(width)), bits(width, mask))
    }
}

fn bits(width: u32, value: u64) -> Bits {
    Bits::new(width, value)
}

/// All pairs `lo <= hi` in the order given by `order`, or a sorted sample of them.
fn interval_bounds(width: u32, limit: usize, order: impl Fn(u64) -> u64) -> (Vec<(u64, u64)>, bool) {
    let size = 1u64 << width;
    let total = size * (size + 1) / 2;
    // `order` maps a value to its rank in the domain's order, and is its own inverse.
    if total <= limit as u64 {
        let pairs = (0..size).flat_map(|lo| (lo..size).map(move |hi| (lo, hi)));
        return (pairs.map(|(lo, hi)| (order(lo), order(hi))).collect(), true);
    }
    let mut sampler = Sampler::new(u64::from(width) * 7919);
    let mut pairs: Vec<(u64, u64)> = (0..limit)
        .map(|_| {
            let (x, y) = (sampler.word(width), sampler.word(width));
            (x.min(y), x.max(y))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    (pairs.into_iter().map(|(lo, hi)| (order(lo), order(hi))).collect(), false)
}

impl Enumerable for UInterval<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        let (pairs, complete) = interval_bounds(width, limit, |x| x);
        let values = pairs.into_iter().map(|(lo, hi)| UInterval::new(bits(width, lo), bits(width, hi))).collect();
        Population { values, complete }
    }

    fn gamma(&self) -> ValueSet {
        ValueSet::range(self.lo().value(), self.hi().value())
    }

    fn best(set: &ValueSet, _width: u32) -> ValueSet {
        match (set.first(), set.last()) {
            (Some(lo), Some(hi)) => ValueSet::range(lo, hi),
            _ => ValueSet::EMPTY,
        }
    }
}

/// The patterns of the signed range `lo..=hi` at `width`.
fn signed_range(lo: i64, hi: i64, width: u32) -> ValueSet {
    if lo > hi {
        return ValueSet::EMPTY;
    }
    let pattern = |value: i64| value as u64 & low_mask(width);
    if lo < 0 && hi >= 0 {
        ValueSet::range(pattern(lo), low_mask(width)).union(&ValueSet::range(0, hi as u64))
    } else {
        ValueSet::range(pattern(lo), pattern(hi))
    }
}

fn signed_best(set: &ValueSet, width: u32) -> ValueSet {
    let sign = 1u64 << (width - 1);
    let negative = set.intersection(&ValueSet::range(sign, low_mask(width)));
    let non_negative = set.intersection(&ValueSet::range(0, sign - 1));
    let (Some(lo), Some(hi)) = (negative.first().or(non_negative.first()), non_negative.last().or(negative.last()))
    else {
        return ValueSet::EMPTY;
    };
    signed_range(bits(width, lo).signed(), bits(width, hi).signed(), width)
}

impl Enumerable for SInterval<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        // Rank r in signed order is the pattern r ^ sign bit.
        let sign = 1u64 << (width - 1);
        let (pairs, complete) = interval_bounds(width, limit, |x| x ^ sign);
        let values = pairs.into_iter().map(|(lo, hi)| SInterval::new(bits(width, lo), bits(width, hi))).collect();
        Population { values, complete }
    }

    fn gamma(&self) -> ValueSet {
        signed_range(self.lo().signed(), self.hi().signed(), self.lo().width_bits())
    }

    fn best(set: &ValueSet, width: u32) -> ValueSet {
        signed_best(set, width)
    }
}

fn tnum_gamma(value: u64, mask: u64) -> ValueSet {
    let mut set = ValueSet::EMPTY;
    if value & mask != 0 {
        return set;
    }
    // Every sub-mask of `mask`, in increasing order.
    let mut chosen = 0u64;
    loop {
        set.insert(value | chosen);
        if chosen == mask {
            return set;
        }
        chosen = chosen.wrapping_sub(mask) & mask;
    }
}

fn tnum_best(set: &ValueSet) -> ValueSet {
    let (mut all, mut any) = (u64::MAX, 0u64);
    for value in set.iter() {
        all &= value;
        any |= value;
    }
    if set.is_empty() { ValueSet::EMPTY } else { tnum_gamma(all, any ^ all) }
}

impl Enumerable for Tnum<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        let size = 1u64 << width;
        let total = 3u64.pow(width);
        let mut values = Vec::new();
        let complete = total <= limit as u64;
        if complete {
            for mask in 0..size {
                for value in (0..size).filter(|value| value & mask == 0) {
                    values.push(Tnum::new(bits(width, value), bits(width, mask)));
                }
            }
        } else {
            let mut sampler = Sampler::new(u64::from(width) * 104_729);
            for _ in 0..limit {
                let mask = sampler.word(width);
                values.push(Tnum::new(bits(width, sampler.next() & !mask), bits(width, mask)));
            }
        }
        Population { values, complete }
    }

    fn gamma(&self) -> ValueSet {
        tnum_gamma(self.value().value(), self.mask().value())
    }

    fn best(set: &ValueSet, _width: u32) -> ValueSet {
        tnum_best(set)
    }
}

/// The values whose low `half` bits are in `low`.
fn with_low_in(low: &ValueSet, width: u32, half: u32) -> ValueSet {
    let mut set = ValueSet::EMPTY;
    for value in low.iter() {
        for high in 0..1u64 << (width - half) {
            set.insert(high << half | value);
        }
    }
    set
}

impl Enumerable for Product<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        let half = width / 2;
        let mut sampler = Sampler::new(u64::from(width) * 15_485_863);
        let mut values: Vec<Product<Bits>> =
            (0..1u64 << width).map(|value| Product::constant(&bits(width, value))).collect();
        let mut seen: std::collections::HashSet<Vec<u64>> =
            values.iter().map(|value| value.parts().iter().map(|word| word.value()).collect()).collect();
        let mut attempts = 0;
        while values.len() < limit && attempts < 50 * limit {
            attempts += 1;
            let interval = |sampler: &mut Sampler, w: u32| {
                let (x, y) = (sampler.word(w), sampler.word(w));
                if sampler.next().is_multiple_of(2) { None } else { Some((x.min(y), x.max(y))) }
            };
            let top = Product::top(&bits(width, 0));
            let unsigned = interval(&mut sampler, width)
                .map_or(*top.unsigned(), |(lo, hi)| UInterval::new(bits(width, lo), bits(width, hi)));
            let sign = 1u64 << (width - 1);
            let signed = interval(&mut sampler, width)
                .map_or(*top.signed(), |(lo, hi)| SInterval::new(bits(width, lo ^ sign), bits(width, hi ^ sign)));
            let low_unsigned = interval(&mut sampler, half)
                .map_or(*top.low_unsigned(), |(lo, hi)| UInterval::new(bits(width, lo), bits(width, hi)));
            let low_sign = 1u64 << (half - 1);
            let low_signed = interval(&mut sampler, half).map_or(*top.low_signed(), |(lo, hi)| {
                SInterval::new(bits(width, lo ^ low_sign), bits(width, hi ^ low_sign))
            });
            let tnum = sampler.tnum(width);
            let value = Product::new(unsigned, signed, low_unsigned, low_signed, tnum);
            if value.is_bottom() || value.gamma().is_empty() {
                continue;
            }
            if seen.insert(value.parts().iter().map(|word| word.value()).collect()) {
                values.push(value);
            }
        }
        Population { values, complete: false }
    }

    fn gamma(&self) -> ValueSet {
        let width = self.tnum().value().width_bits();
        let half = width / 2;
        let full = self.unsigned().gamma().intersection(&self.signed().gamma()).intersection(&self.tnum().gamma());
        let low_unsigned = self.low_unsigned().gamma();
        let low_signed = self.low_signed().gamma_at(half);
        full.iter()
            .filter(|value| {
                let low = value & low_mask(half);
                low_unsigned.contains(low) && low_signed.contains(low)
            })
            .collect()
    }

    fn best(set: &ValueSet, width: u32) -> ValueSet {
        let half = width / 2;
        let low: ValueSet = set.iter().map(|value| value & low_mask(half)).collect();
        let low_best = UInterval::best(&low, half).intersection(&signed_best(&low, half));
        UInterval::best(set, width)
            .intersection(&signed_best(set, width))
            .intersection(&tnum_best(set))
            .intersection(&with_low_in(&low_best, width, half))
    }
}

/// `γ` of the arc `base ..= base + size` at `width` (`base = size = max` is empty).
fn arc_gamma(base: u64, size: u64, width: u32) -> ValueSet {
    let max = low_mask(width);
    if base == max && size == max {
        return ValueSet::EMPTY;
    }
    (0..=size).map(|offset| (base + offset) & max).collect()
}

/// `γ` of the smallest arc holding `set` at `width`: the complement of the largest gap
/// between neighbouring values on the circle.
fn arc_best(set: &ValueSet, width: u32) -> ValueSet {
    let values: Vec<u64> = set.iter().collect();
    let (Some(&first), Some(&last)) = (values.first(), values.last()) else {
        return ValueSet::EMPTY;
    };
    // The gap after `last` wraps round to `first`; the arc then starts at `first`.
    let mut best = (first + (1u64 << width) - last - 1, first, last);
    for pair in values.windows(2) {
        let gap = pair[1] - pair[0] - 1;
        if gap > best.0 {
            best = (gap, pair[1], pair[0]);
        }
    }
    let (_, start, end) = best;
    arc_gamma(start, end.wrapping_sub(start) & low_mask(width), width)
}

impl Enumerable for Cnum<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        let size = 1u64 << width;
        let max = low_mask(width);
        let complete = size * (size - 1) < limit as u64;
        let mut values = Vec::new();
        if complete {
            values.push(Cnum::new(bits(width, 0), bits(width, max)));
            for base in 0..size {
                values.extend((0..max).map(|arc_size| Cnum::new(bits(width, base), bits(width, arc_size))));
            }
        } else {
            let mut sampler = Sampler::new(u64::from(width) * 65_537);
            for _ in 0..limit {
                values.push(Cnum::new(bits(width, sampler.word(width)), bits(width, sampler.word(width))));
            }
        }
        Population { values, complete }
    }

    fn gamma(&self) -> ValueSet {
        arc_gamma(self.base().value(), self.size().value(), self.base().width_bits())
    }

    fn best(set: &ValueSet, width: u32) -> ValueSet {
        arc_best(set, width)
    }
}

impl Enumerable for CnumProduct<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        let half = width / 2;
        let mut sampler = Sampler::new(u64::from(width) * 32_452_843);
        let mut values: Vec<CnumProduct<Bits>> =
            (0..1u64 << width).map(|value| CnumProduct::constant(&bits(width, value))).collect();
        let mut seen: std::collections::HashSet<Vec<u64>> =
            values.iter().map(|value| value.parts().iter().map(|word| word.value()).collect()).collect();
        let mut attempts = 0;
        while values.len() < limit && attempts < 50 * limit {
            attempts += 1;
            let arc = |sampler: &mut Sampler, w: u32| {
                if sampler.next().is_multiple_of(3) {
                    Cnum::new(bits(w, 0), bits(w, low_mask(w)))
                } else {
                    Cnum::new(bits(w, sampler.word(w)), bits(w, sampler.word(w)))
                }
            };
            let whole = arc(&mut sampler, width);
            let low = arc(&mut sampler, half);
            let low = Cnum::new(bits(width, low.base().value()), bits(width, low.size().value()));
            let tnum = sampler.tnum(width);
            let value = CnumProduct::new(tnum, whole, low);
            if value.is_bottom() || value.gamma().is_empty() {
                continue;
            }
            if seen.insert(value.parts().iter().map(|word| word.value()).collect()) {
                values.push(value);
            }
        }
        Population { values, complete: false }
    }

    fn gamma(&self) -> ValueSet {
        let width = self.tnum().value().width_bits();
        let half = width / 2;
        let whole = self.whole();
        let low = arc_gamma(self.low().base().value(), self.low().size().value(), half);
        self.tnum()
            .gamma()
            .intersection(&arc_gamma(whole.base().value(), whole.size().value(), width))
            .iter()
            .filter(|value| low.contains(value & low_mask(half)))
            .collect()
    }

    fn best(set: &ValueSet, width: u32) -> ValueSet {
        let half = width / 2;
        let low: ValueSet = set.iter().map(|value| value & low_mask(half)).collect();
        arc_best(set, width).intersection(&tnum_best(set)).intersection(&with_low_in(
            &arc_best(&low, half),
            width,
            half,
        ))
    }
}

/// Helpers reading widths and half-width signed intervals of [`Bits`] values.
trait BitsWidth {
    fn width_bits(&self) -> u32;
}

impl BitsWidth for Bits {
    fn width_bits(&self) -> u32 {
        bpfprove_semantics::word::Word::width(self)
    }
}

impl SInterval<Bits> {
    /// `γ` of a signed interval of values at `bits` (a product's low half).
    fn gamma_at(&self, bits: u32) -> ValueSet {
        let read = |word: &Bits| Bits::new(bits, word.value()).signed();
        signed_range(read(self.lo()), read(self.hi()), bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn populations_are_complete_at_small_widths() {
        assert_eq!(UInterval::population(4, 1000).values.len(), 136);
        assert_eq!(SInterval::population(4, 1000).values.len(), 136);
        assert_eq!(Tnum::population(4, 1000).values.len(), 81);
        assert!(!UInterval::population(8, 1000).complete);
        let products = Product::population(4, 300);
        assert!(products.values.len() > 200, "{}", products.values.len());
    }

    #[test]
    fn concretisations() {
        let s = SInterval::new(Bits::new(4, 0xe), Bits::new(4, 1));
        assert_eq!(s.gamma().iter().collect::<Vec<_>>(), vec![0, 1, 14, 15]);
        let t = Tnum::new(Bits::new(4, 0b1000), Bits::new(4, 0b0011));
        assert_eq!(t.gamma().iter().collect::<Vec<_>>(), vec![8, 9, 10, 11]);
        let set: ValueSet = [1, 15].into_iter().collect();
        assert_eq!(SInterval::best(&set, 4).iter().collect::<Vec<_>>(), vec![0, 1, 15]);
        assert_eq!(Tnum::best(&set, 4).len(), 8);
        let product = Product::constant(&Bits::new(6, 37));
        assert_eq!(product.gamma().iter().collect::<Vec<_>>(), vec![37]);
    }
}
