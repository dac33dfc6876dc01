//! Property test at 64 bits: concrete operands drawn from the concretisations of random
//! abstract operands always give results inside the abstract result, for every domain and
//! operation. Abstract values are grown around chosen concrete values, so every draw is a
//! member of its abstract value by construction.

use bpfprove_domains::check::Operation;
use bpfprove_domains::{Cnum, CnumProduct, Product, SInterval, Tnum, UInterval, ValueDomain};
use proptest::prelude::*;

/// Random slack around a concrete value: mostly small, sometimes huge.
fn slack() -> impl Strategy<Value = u64> {
    prop_oneof![0..4u64, 0..256u64, any::<u64>().prop_map(|v| v >> (v % 64))]
}

fn unsigned_around(x: u64, below: u64, above: u64) -> UInterval<u64> {
    UInterval::new(x.saturating_sub(below), x.saturating_add(above))
}

fn signed_around(x: u64, below: u64, above: u64) -> SInterval<u64> {
    let (x, below, above) = (x as i64, below.min(i64::MAX as u64) as i64, above.min(i64::MAX as u64) as i64);
    SInterval::new(x.saturating_sub(below) as u64, x.saturating_add(above) as u64)
}

fn tnum_around(x: u64, mask: u64) -> Tnum<u64> {
    Tnum::new(x & !mask, mask)
}

/// A product holding `x`: each view around `x` (the low ones around its low half).
fn product_around(x: u64, slacks: [u64; 4], mask: u64) -> Product<u64> {
    let low = x & 0xffff_ffff;
    let low_signed = low as u32 as i32 as i64;
    let low_signed_interval = SInterval::new(
        (low_signed.saturating_sub(slacks[3].min(1 << 40) as i64).max(i64::from(i32::MIN)) as u64) & 0xffff_ffff,
        (low_signed.saturating_add(slacks[3].min(1 << 40) as i64).min(i64::from(i32::MAX)) as u64) & 0xffff_ffff,
    );
    Product::new(
        unsigned_around(x, slacks[0], slacks[0]),
        signed_around(x, slacks[1], slacks[1]),
        UInterval::new(low.saturating_sub(slacks[2]), low.saturating_add(slacks[2]).min(0xffff_ffff)),
        low_signed_interval,
        tnum_around(x, mask),
    )
}

/// An arc holding `x`: `below` values before it and `above` after it (wrapping).
fn arc_around(x: u64, below: u64, above: u64) -> Cnum<u64> {
    Cnum::new(x.wrapping_sub(below), below.saturating_add(above))
}

/// A cnum product holding `x`: each arc around `x` (the low one around its low half).
fn cnum_around(x: u64, slacks: [u64; 4], mask: u64) -> CnumProduct<u64> {
    let low = x & 0xffff_ffff;
    let low_below = slacks[2] & 0xffff_ffff;
    let low_size = low_below.saturating_add(slacks[3]).min(0xffff_ffff);
    CnumProduct::new(
        tnum_around(x, mask),
        arc_around(x, slacks[0], slacks[1]),
        Cnum::new(low.wrapping_sub(low_below) & 0xffff_ffff, low_size),
    )
}

fn check<D: ValueDomain<u64>>(operation: Operation, a: &D, b: &D, x: u64, y: u64) -> Result<(), TestCaseError> {
    prop_assert!(a.contains(&x) && b.contains(&y), "generator broke membership: {a:?} {x:#x} {b:?} {y:#x}");
    if !operation.holds(&x, &y).known_truth_value() {
        return Ok(());
    }
    let result = operation.concrete(&x, &y);
    let (kept_a, kept_b) = operation.refine(a, b);
    let abstract_result = operation.transfer(a, b);
    prop_assert!(
        abstract_result.contains(&result),
        "{operation}: {a:?} {b:?} ({x:#x}, {y:#x}) -> {result:#x} not in {abstract_result:?}"
    );
    prop_assert!(
        kept_a.contains(&x) && kept_b.contains(&y),
        "{operation}: {a:?} {b:?} ({x:#x}, {y:#x}) dropped: {kept_a:?} {kept_b:?}"
    );
    Ok(())
}

/// Reads a concrete truth value.
trait KnownTruth {
    fn known_truth_value(&self) -> bool;
}

impl KnownTruth for bool {
    fn known_truth_value(&self) -> bool {
        *self
    }
}

fn operations() -> impl Strategy<Value = Operation> {
    proptest::sample::select(Operation::all())
}

/// Concrete values biased towards edges where bugs live.
fn concrete() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0..70u64,
        (0..70u64).prop_map(|v| v.wrapping_neg()),
        (0..64u32).prop_map(|s| 1u64 << s),
        any::<u32>().prop_map(u64::from)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn intervals(operation in operations(), x in concrete(), y in concrete(), s in [slack(), slack(), slack(), slack()]) {
        check(operation, &unsigned_around(x, s[0], s[1]), &unsigned_around(y, s[2], s[3]), x, y)?;
    }

    #[test]
    fn signed_intervals(operation in operations(), x in concrete(), y in concrete(), s in [slack(), slack(), slack(), slack()]) {
        check(operation, &signed_around(x, s[0], s[1]), &signed_around(y, s[2], s[3]), x, y)?;
    }

    #[test]
    fn tnums(operation in operations(), x in concrete(), y in concrete(), m in [any::<u64>(), any::<u64>()], narrow in [0..64u32, 0..64u32]) {
        let a = tnum_around(x, m[0] >> narrow[0]);
        let b = tnum_around(y, m[1] >> narrow[1]);
        check(operation, &a, &b, x, y)?;
    }

    #[test]
    fn wrapped_intervals(operation in operations(), x in concrete(), y in concrete(), s in [slack(), slack(), slack(), slack()]) {
        check(operation, &arc_around(x, s[0], s[1]), &arc_around(y, s[2], s[3]), x, y)?;
    }

    #[test]
    fn cnum_products(operation in operations(), x in concrete(), y in concrete(), s in [slack(), slack(), slack(), slack()], t in [slack(), slack(), slack(), slack()], m in [any::<u64>(), any::<u64>()], narrow in [0..64u32, 0..64u32]) {
        let a = cnum_around(x, s, m[0] >> narrow[0]);
        let b = cnum_around(y, t, m[1] >> narrow[1]);
        check(operation, &a, &b, x, y)?;
    }

    #[test]
    fn products(operation in operations(), x in concrete(), y in concrete(), s in [slack(), slack(), slack(), slack()], t in [slack(), slack(), slack(), slack()], m in [any::<u64>(), any::<u64>()], narrow in [0..64u32, 0..64u32]) {
        let a = product_around(x, s, m[0] >> narrow[0]);
        let b = product_around(y, t, m[1] >> narrow[1]);
        check(operation, &a, &b, x, y)?;
    }
}
