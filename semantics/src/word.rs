//! The word trait the one semantics is generic over, and its concrete instances.
//!
//! [`crate::alu`] defines what each instruction computes in terms of [`Word`] only. The
//! interpreter reads that definition over `u64`; the domains' soundness checks read it over
//! small concrete widths ([`Bits`]) and over solver bit-vectors (an instance outside this
//! crate, so the semantics carries no solver dependency).
//!
//! Contract: every operation is total. Where the machine leaves a result undefined
//! (division by zero, shift by at least the width) an instance may return any value of the
//! right width; the semantics guards those cases itself with [`Word::select`], so every
//! instance gives the same observable result.

/// Truth values produced by word comparisons (`bool` concretely, a formula symbolically).
pub trait Boolean: Clone {
    /// Conjunction.
    fn and(&self, rhs: &Self) -> Self;
    /// Disjunction.
    fn or(&self, rhs: &Self) -> Self;
    /// Negation.
    fn not(&self) -> Self;
}

/// A fixed-width two's-complement machine word.
pub trait Word: Clone {
    /// Result of comparisons.
    type Bool: Boolean;

    /// Width in bits (1..=64 for the concrete instances).
    fn width(&self) -> u32;
    /// A constant of the same width (and solver context) as `self`, truncated to the width.
    fn constant(&self, value: u64) -> Self;

    /// Wrapping addition.
    fn add(&self, rhs: &Self) -> Self;
    /// Wrapping subtraction.
    fn sub(&self, rhs: &Self) -> Self;
    /// Wrapping multiplication.
    fn mul(&self, rhs: &Self) -> Self;
    /// Unsigned division (any value when `rhs` is zero).
    fn udiv(&self, rhs: &Self) -> Self;
    /// Unsigned remainder (any value when `rhs` is zero).
    fn urem(&self, rhs: &Self) -> Self;
    /// Signed division, wrapping on `MIN / -1` (any value when `rhs` is zero).
    fn sdiv(&self, rhs: &Self) -> Self;
    /// Signed remainder with the sign of the dividend; `MIN % -1` is 0 (any value when
    /// `rhs` is zero).
    fn srem(&self, rhs: &Self) -> Self;
    /// Two's-complement negation.
    fn neg(&self) -> Self;
    /// Bitwise and.
    fn and(&self, rhs: &Self) -> Self;
    /// Bitwise or.
    fn or(&self, rhs: &Self) -> Self;
    /// Bitwise exclusive or.
    fn xor(&self, rhs: &Self) -> Self;
    /// Left shift (any value when `amount >= width`).
    fn shl(&self, amount: &Self) -> Self;
    /// Logical right shift (any value when `amount >= width`).
    fn lshr(&self, amount: &Self) -> Self;
    /// Arithmetic right shift (any value when `amount >= width`).
    fn ashr(&self, amount: &Self) -> Self;

    /// Equality.
    fn eq(&self, rhs: &Self) -> Self::Bool;
    /// Unsigned less-than.
    fn ult(&self, rhs: &Self) -> Self::Bool;
    /// Signed less-than.
    fn slt(&self, rhs: &Self) -> Self::Bool;
    /// `if cond { then } else { otherwise }`.
    fn select(cond: &Self::Bool, then: &Self, otherwise: &Self) -> Self;

    /// Keeps the low `bits` bits and clears the rest (`bits <= width`).
    fn zext_low(&self, bits: u32) -> Self;
    /// Sign-extends the low `bits` bits to the full width (`1 <= bits <= width`).
    fn sext_low(&self, bits: u32) -> Self;

    /// Reverses the order of the low `bits / 8` bytes and clears the rest.
    fn swap_bytes_low(&self, bits: u32) -> Self {
        let byte_mask = self.constant(0xff);
        let mut result = self.constant(0);
        for i in 0..bits / 8 {
            let byte = self.lshr(&self.constant(u64::from(8 * i))).and(&byte_mask);
            let placed = byte.shl(&self.constant(u64::from(bits - 8 - 8 * i)));
            result = result.or(&placed);
        }
        result
    }
}

impl Boolean for bool {
    fn and(&self, rhs: &Self) -> Self {
        *self && *rhs
    }
    fn or(&self, rhs: &Self) -> Self {
        *self || *rhs
    }
    fn not(&self) -> Self {
        !*self
    }
}

/// Implements [`Word`] for a primitive unsigned integer, using its signed twin for the
/// signed operations.
macro_rules! primitive_word {
    ($unsigned:ty, $signed:ty) => {
        impl Word for $unsigned {
            type Bool = bool;

            #[inline]
            fn width(&self) -> u32 {
                <$unsigned>::BITS
            }
            #[inline]
            fn constant(&self, value: u64) -> Self {
                value as $unsigned
            }
            #[inline]
            fn add(&self, rhs: &Self) -> Self {
                self.wrapping_add(*rhs)
            }
            #[inline]
            fn sub(&self, rhs: &Self) -> Self {
                self.wrapping_sub(*rhs)
            }
            #[inline]
            fn mul(&self, rhs: &Self) -> Self {
                self.wrapping_mul(*rhs)
            }
            #[inline]
            fn udiv(&self, rhs: &Self) -> Self {
                self.checked_div(*rhs).unwrap_or(0)
            }
            #[inline]
            fn urem(&self, rhs: &Self) -> Self {
                self.checked_rem(*rhs).unwrap_or(*self)
            }
            #[inline]
            fn sdiv(&self, rhs: &Self) -> Self {
                if *rhs == 0 { 0 } else { (*self as $signed).wrapping_div(*rhs as $signed) as $unsigned }
            }
            #[inline]
            fn srem(&self, rhs: &Self) -> Self {
                if *rhs == 0 { *self } else { (*self as $signed).wrapping_rem(*rhs as $signed) as $unsigned }
            }
            #[inline]
            fn neg(&self) -> Self {
                self.wrapping_neg()
            }
            #[inline]
            fn and(&self, rhs: &Self) -> Self {
                *self & *rhs
            }
            #[inline]
            fn or(&self, rhs: &Self) -> Self {
                *self | *rhs
            }
            #[inline]
            fn xor(&self, rhs: &Self) -> Self {
                *self ^ *rhs
            }
            #[inline]
            fn shl(&self, amount: &Self) -> Self {
                self.checked_shl(*amount as u32).unwrap_or(0)
            }
            #[inline]
            fn lshr(&self, amount: &Self) -> Self {
                self.checked_shr(*amount as u32).unwrap_or(0)
            }
            #[inline]
            fn ashr(&self, amount: &Self) -> Self {
                let amount = (*amount).min(<$unsigned>::BITS as $unsigned - 1);
                ((*self as $signed) >> amount) as $unsigned
            }
            #[inline]
            fn eq(&self, rhs: &Self) -> bool {
                self == rhs
            }
            #[inline]
            fn ult(&self, rhs: &Self) -> bool {
                self < rhs
            }
            #[inline]
            fn slt(&self, rhs: &Self) -> bool {
                (*self as $signed) < (*rhs as $signed)
            }
            #[inline]
            fn select(cond: &bool, then: &Self, otherwise: &Self) -> Self {
                if *cond { *then } else { *otherwise }
            }
            #[inline]
            fn zext_low(&self, bits: u32) -> Self {
                if bits >= <$unsigned>::BITS { *self } else { *self & ((1 << bits) - 1) }
            }
            #[inline]
            fn sext_low(&self, bits: u32) -> Self {
                let unused = <$unsigned>::BITS - bits;
                (((*self << unused) as $signed) >> unused) as $unsigned
            }
            #[inline]
            fn swap_bytes_low(&self, bits: u32) -> Self {
                let unused = <$unsigned>::BITS - bits;
                (self.zext_low(bits) << unused).swap_bytes()
            }
        }
    };
}

primitive_word!(u64, i64);
primitive_word!(u32, i32);
primitive_word!(u16, i16);
primitive_word!(u8, i8);

/// A concrete word of any width from 1 to 64 bits, chosen at run time. Soundness checks
/// use it to run the semantics exhaustively at small widths such as 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bits {
    value: u64,
    width: u32,
}

impl Bits {
    /// The word of `width` bits whose value is `value` truncated to the width.
    ///
    /// # Panics
    /// If `width` is 0 or more than 64: widths are chosen by the program, not read from input.
    #[inline]
    pub fn new(width: u32, value: u64) -> Bits {
        assert!((1..=64).contains(&width), "Bits width must be 1..=64, got {width}");
        Bits { value: value & Self::mask(width), width }
    }

    /// The unsigned value.
    #[inline]
    pub fn value(self) -> u64 {
        self.value
    }

    /// The value read as signed.
    #[inline]
    pub fn signed(self) -> i64 {
        let unused = 64 - self.width;
        ((self.value << unused) as i64) >> unused
    }

    #[inline]
    fn mask(width: u32) -> u64 {
        if width == 64 { u64::MAX } else { (1 << width) - 1 }
    }

    #[inline]
    fn with(self, value: u64) -> Bits {
        Bits::new(self.width, value)
    }

    #[inline]
    fn with_signed(self, value: i64) -> Bits {
        Bits::new(self.width, value as u64)
    }
}

impl Word for Bits {
    type Bool = bool;

    #[inline]
    fn width(&self) -> u32 {
        self.width
    }
    #[inline]
    fn constant(&self, value: u64) -> Self {
        self.with(value)
    }
    #[inline]
    fn add(&self, rhs: &Self) -> Self {
        self.with(self.value.wrapping_add(rhs.value))
    }
    #[inline]
    fn sub(&self, rhs: &Self) -> Self {
        self.with(self.value.wrapping_sub(rhs.value))
    }
    #[inline]
    fn mul(&self, rhs: &Self) -> Self {
        self.with(self.value.wrapping_mul(rhs.value))
    }
    #[inline]
    fn udiv(&self, rhs: &Self) -> Self {
        self.with(self.value.checked_div(rhs.value).unwrap_or(0))
    }
    #[inline]
    fn urem(&self, rhs: &Self) -> Self {
        self.with(self.value.checked_rem(rhs.value).unwrap_or(self.value))
    }
    #[inline]
    fn sdiv(&self, rhs: &Self) -> Self {
        // Computed in i64, where `MIN_w / -1` does not overflow for w < 64; truncation then
        // wraps it exactly as the machine does.
        if rhs.value == 0 { self.with(0) } else { self.with_signed(self.signed().wrapping_div(rhs.signed())) }
    }
    #[inline]
    fn srem(&self, rhs: &Self) -> Self {
        if rhs.value == 0 { *self } else { self.with_signed(self.signed().wrapping_rem(rhs.signed())) }
    }
    #[inline]
    fn neg(&self) -> Self {
        self.with(self.value.wrapping_neg())
    }
    #[inline]
    fn and(&self, rhs: &Self) -> Self {
        self.with(self.value & rhs.value)
    }
    #[inline]
    fn or(&self, rhs: &Self) -> Self {
        self.with(self.value | rhs.value)
    }
    #[inline]
    fn xor(&self, rhs: &Self) -> Self {
        self.with(self.value ^ rhs.value)
    }
    #[inline]
    fn shl(&self, amount: &Self) -> Self {
        if amount.value >= u64::from(self.width) { self.with(0) } else { self.with(self.value << amount.value) }
    }
    #[inline]
    fn lshr(&self, amount: &Self) -> Self {
        if amount.value >= u64::from(self.width) { self.with(0) } else { self.with(self.value >> amount.value) }
    }
    #[inline]
    fn ashr(&self, amount: &Self) -> Self {
        let amount = amount.value.min(u64::from(self.width) - 1);
        self.with_signed(self.signed() >> amount)
    }
    #[inline]
    fn eq(&self, rhs: &Self) -> bool {
        self.value == rhs.value
    }
    #[inline]
    fn ult(&self, rhs: &Self) -> bool {
        self.value < rhs.value
    }
    #[inline]
    fn slt(&self, rhs: &Self) -> bool {
        self.signed() < rhs.signed()
    }
    #[inline]
    fn select(cond: &bool, then: &Self, otherwise: &Self) -> Self {
        if *cond { *then } else { *otherwise }
    }
    #[inline]
    fn zext_low(&self, bits: u32) -> Self {
        self.with(self.value & Self::mask(bits.min(self.width)))
    }
    #[inline]
    fn sext_low(&self, bits: u32) -> Self {
        let unused = 64 - bits;
        self.with_signed(((self.value << unused) as i64) >> unused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_agrees_with_primitive_u8_on_every_pair() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let (x, y) = (Bits::new(8, a.into()), Bits::new(8, b.into()));
                let check = |name: &str, p: u8, q: Bits| assert_eq!(u64::from(p), q.value(), "{name}({a}, {b})");
                check("add", a.add(&b), x.add(&y));
                check("sub", a.sub(&b), x.sub(&y));
                check("mul", a.mul(&b), x.mul(&y));
                check("udiv", a.udiv(&b), x.udiv(&y));
                check("urem", a.urem(&b), x.urem(&y));
                check("sdiv", a.sdiv(&b), x.sdiv(&y));
                check("srem", a.srem(&b), x.srem(&y));
                check("shl", a.shl(&b), x.shl(&y));
                check("lshr", a.lshr(&b), x.lshr(&y));
                check("ashr", a.ashr(&b), x.ashr(&y));
                assert_eq!(a.slt(&b), x.slt(&y));
            }
        }
    }

    #[test]
    fn sign_and_zero_extension() {
        assert_eq!(0x80u64.sext_low(8), 0xffff_ffff_ffff_ff80);
        assert_eq!(0x7fu64.sext_low(8), 0x7f);
        assert_eq!(0xffff_ffff_8000_0000u64.zext_low(32), 0x8000_0000);
        assert_eq!(0x1234_5678u64.sext_low(64), 0x1234_5678);
        assert_eq!(Bits::new(6, 0b100000).sext_low(6).signed(), -32);
    }

    #[test]
    fn default_byte_swap_matches_the_primitive_one() {
        for bits in [16, 32, 64] {
            let v = 0x0123_4567_89ab_cdefu64;
            let generic = Bits::new(64, v).swap_bytes_low(bits).value();
            assert_eq!(generic, v.swap_bytes_low(bits), "bswap{bits}");
        }
        assert_eq!(0x0123_4567_89ab_cdefu64.swap_bytes_low(16), 0xefcd);
    }
}
