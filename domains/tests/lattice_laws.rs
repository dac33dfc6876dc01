//! The [`Lattice`] laws, checked against exact concretisations at 6 bits for every domain
//! (random pairs from each domain's values), and widening termination at 64 bits.

use bpfprove_domains::check::enumerate::Enumerable;
use bpfprove_domains::{Cnum, CnumProduct, Lattice, Product, SInterval, Tnum, UInterval};
use bpfprove_semantics::word::Bits;
use proptest::prelude::*;

const WIDTH: u32 = 6;

/// What law 4 promises of a domain's meet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Meet {
    /// Below both operands (every domain but `cnum`).
    BelowBoth,
    /// Below the first operand; below the second too unless `b` is flagged as overlapping
    /// `a` in two pieces in some arc view (wrapped intervals, see `Cnum::meet_at`).
    BelowFirst { two_pieces: bool },
}

/// Checks laws 1-6 of [`Lattice`] on `a`, `b` and `c` (with `c ⊑ a` when it is).
fn laws<D: Enumerable>(a: &D, b: &D, c: &D) -> Result<(), TestCaseError> {
    laws_with(a, b, c, Meet::BelowBoth)
}

/// [`laws`] with the meet law `meet_law`.
fn laws_with<D: Enumerable>(a: &D, b: &D, c: &D, meet_law: Meet) -> Result<(), TestCaseError> {
    let like = Bits::new(WIDTH, 0);
    let (ga, gb, gc) = (a.gamma(), b.gamma(), c.gamma());
    let (bottom, top) = (D::bottom(&like), D::top(&like));
    prop_assert!(bottom.gamma().is_empty() && bottom.is_bottom() && top.gamma().len() == 1 << WIDTH);
    prop_assert!(bottom.leq(a) && a.leq(&top) && a.leq(a));
    // 1: leq is sound.
    if a.leq(b) {
        prop_assert!(ga.is_subset(&gb), "{a:?} <= {b:?}");
    }
    if a.is_bottom() {
        prop_assert!(ga.is_empty());
    }
    // 3: join is an upper bound, commutative, with bottom as unit.
    let join = a.join(b);
    prop_assert!(a.leq(&join) && b.leq(&join), "{a:?} join {b:?} = {join:?}");
    prop_assert!(ga.union(&gb).is_subset(&join.gamma()));
    prop_assert_eq!(join.gamma(), b.join(a).gamma());
    prop_assert_eq!(bottom.join(a).gamma(), ga);
    // 4: meet is a lower bound that keeps the common values.
    let meet = a.meet(b);
    match meet_law {
        Meet::BelowBoth | Meet::BelowFirst { two_pieces: false } => {
            prop_assert!(meet.leq(a) && meet.leq(b), "{a:?} meet {b:?} = {meet:?}")
        }
        Meet::BelowFirst { two_pieces: true } => prop_assert!(meet.leq(a), "{a:?} meet {b:?} = {meet:?}"),
    }
    prop_assert!(ga.intersection(&gb).is_subset(&meet.gamma()));
    prop_assert_eq!(top.meet(a).gamma(), ga);
    // 5: widening is an upper bound.
    let widened = a.widen(b);
    prop_assert!(a.leq(&widened) && b.leq(&widened), "{a:?} widen {b:?} = {widened:?}");
    // 6: narrowing stays between.
    if c.leq(a) {
        let narrowed = a.narrow(c);
        prop_assert!(c.leq(&narrowed) && narrowed.leq(a), "{a:?} narrow {c:?} = {narrowed:?}");
        prop_assert!(gc.is_subset(&narrowed.gamma()));
    }
    Ok(())
}

fn pick<D: Clone>(values: &[D], index: usize) -> D {
    values[index % values.len()].clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn interval_laws(i in any::<usize>(), j in any::<usize>(), k in any::<usize>()) {
        let values = UInterval::population(WIDTH, 3000).values;
        let a = pick(&values, i);
        laws(&a, &pick(&values, j), &a.meet(&pick(&values, k)))?;
    }

    #[test]
    fn signed_interval_laws(i in any::<usize>(), j in any::<usize>(), k in any::<usize>()) {
        let values = SInterval::population(WIDTH, 3000).values;
        let a = pick(&values, i);
        laws(&a, &pick(&values, j), &a.meet(&pick(&values, k)))?;
    }

    #[test]
    fn tnum_laws(i in any::<usize>(), j in any::<usize>(), k in any::<usize>()) {
        let values = Tnum::population(WIDTH, 3000).values;
        let a = pick(&values, i);
        laws(&a, &pick(&values, j), &a.meet(&pick(&values, k)))?;
    }

    #[test]
    fn product_laws(i in any::<usize>(), j in any::<usize>(), k in any::<usize>()) {
        let values = Product::population(WIDTH, 300).values;
        let a = pick(&values, i);
        laws(&a, &pick(&values, j), &a.meet(&pick(&values, k)))?;
    }

    #[test]
    fn cnum_laws(i in any::<usize>(), j in any::<usize>(), k in any::<usize>()) {
        let values = CnumProduct::population(WIDTH, 300).values;
        let (a, b) = (pick(&values, i), pick(&values, j));
        // Arcs overlapping in two pieces: their meet keeps the first arc, not below the second.
        let below_both = |x: &Cnum<Bits>, y: &Cnum<Bits>| x.meet(y).leq(y);
        // The low arcs are read at half width.
        let low = |x: &Cnum<Bits>| Cnum::new(Bits::new(WIDTH / 2, x.base().value()), Bits::new(WIDTH / 2, x.size().value()));
        let two_pieces = !below_both(a.whole(), b.whole()) || !below_both(&low(a.low()), &low(b.low()));
        laws_with(&a, &b, &a.meet(&pick(&values, k)), Meet::BelowFirst { two_pieces })?;
    }

    #[test]
    fn wrapped_interval_laws(i in any::<usize>(), j in any::<usize>(), k in any::<usize>()) {
        let values = Cnum::population(WIDTH, 5000).values;
        let (a, b) = (pick(&values, i), pick(&values, j));
        let two_pieces = !a.meet(&b).leq(&b);
        laws_with(&a, &b, &a.meet(&pick(&values, k)), Meet::BelowFirst { two_pieces })?;
    }

    /// Law 5's termination: widening by ever-new values stabilises within a bound (each
    /// interval bound jumps once, each tnum step makes a bit unknown).
    #[test]
    fn widening_terminates(values in proptest::collection::vec(any::<u64>(), 70)) {
        fn steps<D: Lattice<Shape = u64>>(values: &[u64], constant: impl Fn(u64) -> D, equal: impl Fn(&D, &D) -> bool) -> usize {
            let mut current = constant(values[0]);
            let mut changes = 0;
            for &value in &values[1..] {
                let next = current.widen(&current.join(&constant(value)));
                if !equal(&next, &current) {
                    changes += 1;
                }
                current = next;
            }
            changes
        }
        prop_assert!(steps(&values, |v| UInterval::<u64>::new(v, v), |a, b| a == b) <= 2);
        prop_assert!(steps(&values, |v| SInterval::<u64>::new(v, v), |a, b| a == b) <= 2);
        prop_assert!(steps(&values, |v| Tnum::<u64>::new(v, 0), |a, b| a == b) <= 64);
        let product = |v: u64| {
            let low = v & 0xffff_ffff;
            Product::new(UInterval::new(v, v), SInterval::new(v, v), UInterval::new(low, low), SInterval::new(low, low), Tnum::new(v, 0))
        };
        prop_assert!(steps(&values, product, |a, b| a == b) <= 2 * 4 + 64);
        // Each arc's growing ends jump to the extremes of the unsigned, then the signed view.
        prop_assert!(steps(&values, |v| Cnum::<u64>::new(v, 0), |a, b| a == b) <= 4);
        let cnum = |v: u64| CnumProduct::new(Tnum::new(v, 0), Cnum::new(v, 0), Cnum::new(v & 0xffff_ffff, 0));
        prop_assert!(steps(&values, cnum, |a, b| a == b) <= 2 * 4 + 64);
    }
}
