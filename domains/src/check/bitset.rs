//! Sets of concrete values of at most 8 bits, as 256-bit bitsets.

/// A set of values `0..256`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ValueSet {
    words: [u64; 4],
}

impl ValueSet {
    /// The empty set.
    pub const EMPTY: ValueSet = ValueSet { words: [0; 4] };

    /// The values `lo..=hi` (empty when `lo > hi`).
    pub fn range(lo: u64, hi: u64) -> ValueSet {
        let mut set = ValueSet::EMPTY;
        if lo > hi {
            return set;
        }
        for (index, word) in set.words.iter_mut().enumerate() {
            let base = 64 * index as u64;
            let (first, last) = (lo.max(base), hi.min(base + 63));
            if first <= last {
                let count = last - first + 1;
                let bits = if count == 64 { u64::MAX } else { ((1u64 << count) - 1) << (first - base) };
                *word |= bits;
            }
        }
        set
    }

    /// Adds `value` (< 256).
    #[inline]
    pub fn insert(&mut self, value: u64) {
        self.words[(value / 64) as usize] |= 1 << (value % 64);
    }

    /// Whether `value` is in the set.
    #[inline]
    pub fn contains(&self, value: u64) -> bool {
        value < 256 && self.words[(value / 64) as usize] & (1 << (value % 64)) != 0
    }

    /// `self ∪ other`.
    #[inline]
    pub fn union(&self, other: &ValueSet) -> ValueSet {
        ValueSet { words: std::array::from_fn(|i| self.words[i] | other.words[i]) }
    }

    /// `self ∩ other`.
    #[inline]
    pub fn intersection(&self, other: &ValueSet) -> ValueSet {
        ValueSet { words: std::array::from_fn(|i| self.words[i] & other.words[i]) }
    }

    /// `self \ other`.
    #[inline]
    pub fn difference(&self, other: &ValueSet) -> ValueSet {
        ValueSet { words: std::array::from_fn(|i| self.words[i] & !other.words[i]) }
    }

    /// Whether every value of `self` is in `other`.
    #[inline]
    pub fn is_subset(&self, other: &ValueSet) -> bool {
        (0..4).all(|i| self.words[i] & !other.words[i] == 0)
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.words == [0; 4]
    }

    /// The number of values.
    pub fn len(&self) -> u32 {
        self.words.iter().map(|word| word.count_ones()).sum()
    }

    /// The smallest value.
    pub fn first(&self) -> Option<u64> {
        (0..4).find(|&i| self.words[i] != 0).map(|i| 64 * i as u64 + u64::from(self.words[i].trailing_zeros()))
    }

    /// The largest value.
    pub fn last(&self) -> Option<u64> {
        (0..4)
            .rev()
            .find(|&i| self.words[i] != 0)
            .map(|i| 64 * i as u64 + 63 - u64::from(self.words[i].leading_zeros()))
    }

    /// The values in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..4).flat_map(move |i| {
            let mut word = self.words[i];
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros();
                word &= word - 1;
                Some(64 * i as u64 + u64::from(bit))
            })
        })
    }
}

impl FromIterator<u64> for ValueSet {
    fn from_iter<I: IntoIterator<Item = u64>>(values: I) -> Self {
        let mut set = ValueSet::EMPTY;
        for value in values {
            set.insert(value);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_iteration() {
        let set = ValueSet::range(60, 130);
        assert_eq!(set.len(), 71);
        assert_eq!(set.first(), Some(60));
        assert_eq!(set.last(), Some(130));
        assert_eq!(set.iter().collect::<Vec<_>>(), (60..=130).collect::<Vec<_>>());
        assert!(ValueSet::range(5, 4).is_empty());
        assert_eq!(ValueSet::range(0, 255).len(), 256);
        let small: ValueSet = [3, 200].into_iter().collect();
        assert!(small.is_subset(&ValueSet::range(3, 200)) && !small.is_subset(&ValueSet::range(4, 255)));
        assert_eq!(small.difference(&ValueSet::range(0, 100)).iter().collect::<Vec<_>>(), vec![200]);
    }
}
