//! The random decisions a generated case is made of, as a plain list of numbers.
//!
//! The generator reads its decisions from a [`Choices`] stream. Proptest supplies the list
//! (and shrinks it: shorter lists and smaller numbers give simpler programs, because 0 is
//! always the simplest decision and an exhausted list reads as zeros); the CLI fills it
//! from a seeded [`SplitMix64`].

/// A stream of decisions read from a list; zeros once the list is exhausted.
#[derive(Clone, Debug)]
pub struct Choices<'a> {
    data: &'a [u64],
    position: usize,
}

impl<'a> Choices<'a> {
    /// Decisions read from `data`.
    pub fn new(data: &'a [u64]) -> Choices<'a> {
        Choices { data, position: 0 }
    }

    /// The next raw decision.
    pub fn raw(&mut self) -> u64 {
        let value = self.data.get(self.position).copied().unwrap_or(0);
        self.position += 1;
        value
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.raw() % n.max(1)
    }

    /// An index into a slice of `len` elements (`len > 0`).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// One of `items` (non-empty); the first is the simplest.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// True with probability `percent`%; false when the list is exhausted.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) + percent >= 100
    }

    /// Whether every decision read so far came from the list.
    pub fn exhausted(&self) -> bool {
        self.position >= self.data.len()
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausted_choices_read_as_the_simplest() {
        let data = [7, 250];
        let mut choices = Choices::new(&data);
        assert_eq!(choices.below(5), 2);
        assert!(choices.chance(50));
        assert!(choices.exhausted());
        assert_eq!(choices.raw(), 0);
        assert!(!choices.chance(99));
        assert_eq!(choices.pick(&['a', 'b']), 'a');
    }

    #[test]
    fn splitmix_is_deterministic_per_seed() {
        let first: Vec<u64> = (0..3).scan(SplitMix64::new(1), |g, _| Some(g.next_u64())).collect();
        let again: Vec<u64> = (0..3).scan(SplitMix64::new(1), |g, _| Some(g.next_u64())).collect();
        let other: Vec<u64> = (0..3).scan(SplitMix64::new(2), |g, _| Some(g.next_u64())).collect();
        assert_eq!(first, again);
        assert_ne!(first, other);
    }
}
