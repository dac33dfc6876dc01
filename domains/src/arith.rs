//! Word arithmetic at an operand width, written so that it runs over concrete words and
//! solver terms alike.
//!
//! Domain code never branches on a word's value with `if`: it uses [`pick`], which
//! branches when the condition is known (every concrete word) and builds a
//! [`Word::select`] otherwise (solver terms). The result is the same either way, so a proof
//! over bit-vectors covers the concrete code path.
//!
//! Values "at `bits`" are words whose bits above `bits` are zero; operations at `bits`
//! wrap at `2^bits` and read signed values from bit `bits - 1`. Operand widths are the
//! register width `n` (64-bit operations) or `n / 2` (32-bit sub-register operations).

use bpfprove_semantics::word::{Bits, Boolean, Word};

/// A [`Word`] the domains can run over: it can tell when its value (or a truth value) is
/// already known, so concrete runs branch instead of evaluating both sides of a choice.
pub trait DomainWord: Word + Choose<Self> + std::fmt::Debug {
    /// The value as an unsigned integer, if it is known (always, for concrete words).
    fn known(&self) -> Option<u64>;
    /// The truth value, if it is known (always, for concrete words).
    fn known_truth(truth: &Self::Bool) -> Option<bool>;
    /// The truth constant `value` (in the same solver context as `self`).
    fn truth(&self, value: bool) -> Self::Bool;
}

macro_rules! concrete_domain_word {
    ($($word:ty),*) => {$(
        impl DomainWord for $word {
            #[inline]
            fn known(&self) -> Option<u64> {
                Some(u64::from(*self))
            }
            #[inline]
            fn known_truth(truth: &bool) -> Option<bool> {
                Some(*truth)
            }
            #[inline]
            fn truth(&self, value: bool) -> bool {
                value
            }
        }
    )*};
}

concrete_domain_word!(u64, u32, u16, u8);

impl DomainWord for Bits {
    #[inline]
    fn known(&self) -> Option<u64> {
        Some(self.value())
    }
    #[inline]
    fn known_truth(truth: &bool) -> Option<bool> {
        Some(*truth)
    }
    #[inline]
    fn truth(&self, value: bool) -> bool {
        value
    }
}

/// Values built from words that can be chosen between by a condition.
pub trait Choose<W: Word>: Sized {
    /// `if cond { then } else { otherwise }`, word by word.
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self;
}

macro_rules! choose_word {
    ($($word:ty),*) => {$(
        impl Choose<$word> for $word {
            #[inline]
            fn choose(cond: &bool, then: &Self, otherwise: &Self) -> Self {
                if *cond { *then } else { *otherwise }
            }
        }
    )*};
}

choose_word!(u64, u32, u16, u8, Bits);

impl<W: Word, A: Choose<W>, B: Choose<W>> Choose<W> for (A, B) {
    #[inline]
    fn choose(cond: &W::Bool, then: &Self, otherwise: &Self) -> Self {
        (A::choose(cond, &then.0, &otherwise.0), B::choose(cond, &then.1, &otherwise.1))
    }
}

/// `if cond { then() } else { otherwise() }`: evaluates one side when the condition is
/// known, both sides and a word-wise select when it is symbolic.
#[inline]
pub fn pick<W: DomainWord, T: Choose<W>>(cond: &W::Bool, then: impl FnOnce() -> T, otherwise: impl FnOnce() -> T) -> T {
    match W::known_truth(cond) {
        Some(true) => then(),
        Some(false) => otherwise(),
        None => T::choose(cond, &then(), &otherwise()),
    }
}

/// [`pick`] for truth values: `if cond { then() } else { otherwise() }`, evaluating one
/// side when the condition is known and both sides otherwise.
#[inline]
pub fn pick_truth<W: DomainWord>(
    cond: &W::Bool,
    then: impl FnOnce() -> W::Bool,
    otherwise: impl FnOnce() -> W::Bool,
) -> W::Bool {
    match W::known_truth(cond) {
        Some(true) => then(),
        Some(false) => otherwise(),
        None => cond.and(&then()).or(&cond.not().and(&otherwise())),
    }
}

/// The truth value `a == b` of two truth values.
#[inline]
pub fn same<B: Boolean>(a: &B, b: &B) -> B {
    a.and(b).or(&a.not().and(&b.not()))
}

/// The `u64` whose low `bits` bits are set.
#[inline]
pub const fn low_mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 }
}

/// The word whose low `bits` bits are set (the unsigned maximum at `bits`).
#[inline]
pub fn ones<W: Word>(like: &W, bits: u32) -> W {
    like.constant(low_mask(bits))
}

/// The word 0.
#[inline]
pub fn zero<W: Word>(like: &W) -> W {
    like.constant(0)
}

/// The signed minimum at `bits` (only the sign bit set).
#[inline]
pub fn signed_min<W: Word>(like: &W, bits: u32) -> W {
    like.constant(1u64 << (bits - 1))
}

/// The signed maximum at `bits`.
#[inline]
pub fn signed_max<W: Word>(like: &W, bits: u32) -> W {
    like.constant(low_mask(bits - 1))
}

/// `x` reduced to its low `bits` bits.
#[inline]
pub fn trunc<W: Word>(x: &W, bits: u32) -> W {
    if bits >= x.width() { x.clone() } else { x.zext_low(bits) }
}

/// `x` read as a signed number at `bits`, sign-extended to the whole word.
#[inline]
pub fn signed<W: Word>(x: &W, bits: u32) -> W {
    if bits >= x.width() { x.clone() } else { x.sext_low(bits) }
}

/// `x == 0`.
#[inline]
pub fn is_zero<W: Word>(x: &W) -> W::Bool {
    x.eq(&zero(x))
}

/// `x <= y`, unsigned.
#[inline]
pub fn ule<W: Word>(x: &W, y: &W) -> W::Bool {
    y.ult(x).not()
}

/// `x < y`, signed at `bits`.
#[inline]
pub fn slt<W: Word>(x: &W, y: &W, bits: u32) -> W::Bool {
    signed(x, bits).slt(&signed(y, bits))
}

/// `x <= y`, signed at `bits`.
#[inline]
pub fn sle<W: Word>(x: &W, y: &W, bits: u32) -> W::Bool {
    slt(y, x, bits).not()
}

/// Whether `x` is negative at `bits`.
#[inline]
pub fn is_negative<W: Word>(x: &W, bits: u32) -> W::Bool {
    is_zero(&x.and(&signed_min(x, bits))).not()
}

/// The unsigned minimum of `x` and `y`.
#[inline]
pub fn umin<W: DomainWord>(x: &W, y: &W) -> W {
    pick(&x.ult(y), || x.clone(), || y.clone())
}

/// The unsigned maximum of `x` and `y`.
#[inline]
pub fn umax<W: DomainWord>(x: &W, y: &W) -> W {
    pick(&x.ult(y), || y.clone(), || x.clone())
}

/// The signed minimum of `x` and `y` at `bits`.
#[inline]
pub fn smin<W: DomainWord>(x: &W, y: &W, bits: u32) -> W {
    pick(&slt(x, y, bits), || x.clone(), || y.clone())
}

/// The signed maximum of `x` and `y` at `bits`.
#[inline]
pub fn smax<W: DomainWord>(x: &W, y: &W, bits: u32) -> W {
    pick(&slt(x, y, bits), || y.clone(), || x.clone())
}

/// `x + y` at `bits`.
#[inline]
pub fn add<W: Word>(x: &W, y: &W, bits: u32) -> W {
    trunc(&x.add(y), bits)
}

/// `x - y` at `bits`.
#[inline]
pub fn sub<W: Word>(x: &W, y: &W, bits: u32) -> W {
    trunc(&x.sub(y), bits)
}

/// `x * y` at `bits`.
#[inline]
pub fn mul<W: Word>(x: &W, y: &W, bits: u32) -> W {
    trunc(&x.mul(y), bits)
}

/// `x << k` at `bits` for a constant `k < bits`.
#[inline]
pub fn shl_const<W: Word>(x: &W, k: u32, bits: u32) -> W {
    trunc(&x.shl(&x.constant(u64::from(k))), bits)
}

/// `x >> k` (logical) for a constant `k < bits`.
#[inline]
pub fn lshr_const<W: Word>(x: &W, k: u32) -> W {
    x.lshr(&x.constant(u64::from(k)))
}

/// `x >> k` (arithmetic at `bits`) for a constant `k < bits`.
#[inline]
pub fn ashr_const<W: Word>(x: &W, k: u32, bits: u32) -> W {
    trunc(&signed(x, bits).ashr(&x.constant(u64::from(k))), bits)
}

/// Every bit at or below the highest set bit of `x` (which is at `bits`) set:
/// `x | x >> 1 | x >> 2 | ...`.
///
/// A known word at `bits` takes a shortcut to the same result (one leading-zero count
/// instead of `log2(bits)` shift-or steps); `smear_shortcut_agrees` checks the two agree.
#[inline]
pub fn smear_right<W: DomainWord>(x: &W, bits: u32) -> W {
    if let Some(value) = x.known()
        && (bits >= 64 || value >> bits == 0)
    {
        return x.constant(u64::MAX.checked_shr(value.leading_zeros()).unwrap_or(0));
    }
    smear_right_steps(x, bits)
}

/// [`smear_right`] by shift-or steps, for any word.
#[inline]
fn smear_right_steps<W: Word>(x: &W, bits: u32) -> W {
    let mut result = x.clone();
    let mut step = 1;
    while step < bits {
        result = result.or(&lshr_const(&result, step));
        step *= 2;
    }
    result
}

/// Whether `x * y` at `bits` wraps, for unsigned `x`, `y` at `bits`.
pub fn umul_overflows<W: DomainWord>(x: &W, y: &W, bits: u32) -> W::Bool {
    let product = mul(x, y, bits);
    // Dividing back recovers `y` exactly when nothing was lost.
    let divided = product.udiv(&pick(&is_zero(x), || x.constant(1), || x.clone()));
    is_zero(x).not().and(&divided.eq(y).not())
}

/// `x / y` signed at `bits` (wrapping `MIN / -1`; any value when `y` is zero).
pub fn sdiv<W: Word>(x: &W, y: &W, bits: u32) -> W {
    trunc(&signed(x, bits).sdiv(&signed(y, bits)), bits)
}

/// Whether `x * y` overflows as a signed product at `bits`.
pub fn smul_overflows<W: DomainWord>(x: &W, y: &W, bits: u32) -> W::Bool {
    let product = mul(x, y, bits);
    let minus_one = ones(x, bits);
    let divisor = pick(&is_zero(x), || x.constant(1), || x.clone());
    let divided = sdiv(&product, &divisor, bits);
    let lost = divided.eq(y).not().or(&x.eq(&minus_one).and(&y.eq(&signed_min(x, bits))));
    is_zero(x).not().and(&lost)
}

/// Whether `x` has exactly one bit set.
#[inline]
pub fn is_power_of_two<W: Word>(x: &W) -> W::Bool {
    let below = x.sub(&x.constant(1));
    is_zero(x).not().and(&is_zero(&x.and(&below)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_detection_matches_wide_arithmetic() {
        for x in 0..64u64 {
            for y in 0..64u64 {
                let (a, b) = (Bits::new(6, x), Bits::new(6, y));
                assert_eq!(umul_overflows(&a, &b, 6), x * y >= 64, "{x}*{y}");
                let (sx, sy) = (a.signed(), b.signed());
                let exact = sx * sy;
                assert_eq!(smul_overflows(&a, &b, 6), !(-32..32).contains(&exact), "{sx}*{sy}");
            }
        }
    }

    #[test]
    fn smear_shortcut_agrees() {
        for width in 1..=8 {
            for bits in 1..=width {
                for value in 0..1u64 << bits {
                    let word = Bits::new(width, value);
                    assert_eq!(smear_right(&word, bits), smear_right_steps(&word, bits), "{value:#x} at {bits}");
                }
            }
        }
        let mut sample = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            sample ^= sample << 13;
            sample ^= sample >> 7;
            sample ^= sample << 17;
            for bits in [64, 32, 16] {
                let value = sample >> (sample % 64) & low_mask(bits);
                assert_eq!(smear_right(&value, bits), smear_right_steps(&value, bits), "{value:#x} at {bits}");
            }
        }
    }

    #[test]
    fn smear_and_helpers() {
        assert_eq!(smear_right(&0b0100_1000u64, 64), 0b0111_1111);
        assert_eq!(smear_right(&(1u64 << 63), 64), u64::MAX);
        assert_eq!(signed_min(&0u64, 8), 0x80);
        assert_eq!(signed_max(&0u64, 8), 0x7f);
        assert!(slt(&0xffu64, &0u64, 8));
        assert!(!slt(&0xffu64, &0u64, 64));
        assert_eq!(ashr_const(&0x80u64, 3, 8), 0xf0);
        assert!(is_power_of_two(&8u64) && !is_power_of_two(&0u64) && !is_power_of_two(&6u64));
    }
}
