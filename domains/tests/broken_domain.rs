//! Deliberately broken domains (unsigned intervals whose addition forgets wrap-around, and
//! the kernel's cnum whose arc addition forgets that sizes can add up past the whole
//! circle) are caught by both checkers, each with a concrete witness that really is a
//! counterexample.

use std::time::Duration;

use bpfprove_domains::arith::DomainWord;
use bpfprove_domains::check::bitset::ValueSet;
use bpfprove_domains::check::enumerate::{Enumerable, Population};
use bpfprove_domains::check::exhaustive::{self, Measure};
use bpfprove_domains::check::symbolic::{self, Verdict};
use bpfprove_domains::check::{Family, Operation, Witness};
use bpfprove_domains::{Cnum, CnumProduct, DomainKind, Lattice, Relation, Tnum, UInterval, ValueDomain};
use bpfprove_semantics::isa::{BinOp, ByteOrder, Size, Width};
use bpfprove_semantics::word::Bits;

/// Unsigned intervals, except that 64-bit addition adds the bounds and never gives up.
#[derive(Clone, Debug)]
struct Broken<W>(UInterval<W>);

impl<W: DomainWord> Lattice for Broken<W> {
    type Shape = W;
    type Bool = W::Bool;
    fn bottom(shape: &W) -> Self {
        Broken(UInterval::bottom(shape))
    }
    fn top(shape: &W) -> Self {
        Broken(UInterval::top(shape))
    }
    fn is_bottom(&self) -> W::Bool {
        self.0.is_bottom()
    }
    fn leq(&self, other: &Self) -> W::Bool {
        self.0.leq(&other.0)
    }
    fn join(&self, other: &Self) -> Self {
        Broken(self.0.join(&other.0))
    }
    fn meet(&self, other: &Self) -> Self {
        Broken(self.0.meet(&other.0))
    }
    fn widen(&self, newer: &Self) -> Self {
        Broken(self.0.widen(&newer.0))
    }
    fn narrow(&self, newer: &Self) -> Self {
        Broken(self.0.narrow(&newer.0))
    }
}

impl<W: DomainWord> ValueDomain<W> for Broken<W> {
    const NAME: &'static str = "broken";
    fn constant(value: &W) -> Self {
        Broken(UInterval::constant(value))
    }
    fn contains(&self, value: &W) -> W::Bool {
        self.0.contains(value)
    }
    fn binary(&self, op: BinOp, width: Width, src: &Self) -> Self {
        if op == BinOp::Add && width == Width::W64 {
            // The bug: the bounds may wrap.
            return Broken(UInterval::new(self.0.lo().add(src.0.lo()), self.0.hi().add(src.0.hi())));
        }
        Broken(self.0.binary(op, width, &src.0))
    }
    fn negate(&self, width: Width) -> Self {
        Broken(self.0.negate(width))
    }
    fn move_sign_extend(&self, width: Width, from: Size) -> Self {
        Broken(self.0.move_sign_extend(width, from))
    }
    fn byte_order(&self, order: ByteOrder, bits: u32) -> Self {
        Broken(self.0.byte_order(order, bits))
    }
    fn refine(&self, relation: Relation, width: Width, src: &Self) -> (Self, Self) {
        let (a, b) = self.0.refine(relation, width, &src.0);
        (Broken(a), Broken(b))
    }
    fn parts(&self) -> Vec<W> {
        self.0.parts()
    }
    fn from_parts(next: &mut dyn FnMut() -> W) -> Self {
        Broken(UInterval::from_parts(next))
    }
}

impl Enumerable for Broken<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        let population = UInterval::population(width, limit);
        Population { values: population.values.into_iter().map(Broken).collect(), complete: population.complete }
    }
    fn gamma(&self) -> ValueSet {
        self.0.gamma()
    }
    fn best(set: &ValueSet, width: u32) -> ValueSet {
        UInterval::best(set, width)
    }
}

struct BrokenFamily;

impl Family for BrokenFamily {
    const KIND: DomainKind = DomainKind::Interval;
    type Value<W: DomainWord> = Broken<W>;
}

/// The `cnum` domain, except that 64-bit addition adds the arcs' sizes without checking that
/// they stay below the whole circle (the kernel's `cnum_add` checks it).
#[derive(Clone, Debug)]
struct BrokenCnum<W>(CnumProduct<W>);

impl<W: DomainWord> BrokenCnum<W> {
    fn unchecked_add(&self, src: &Self) -> Self {
        let (a, b) = (self.0.whole(), src.0.whole());
        let whole = Cnum::new(a.base().add(b.base()), a.size().add(b.size()));
        let like = a.base();
        let half = like.width() / 2;
        let all_low = Cnum::new(like.constant(0), like.constant((1u64 << half) - 1));
        BrokenCnum(CnumProduct::new(Tnum::top(like), whole, all_low))
    }
}

impl<W: DomainWord> Lattice for BrokenCnum<W> {
    type Shape = W;
    type Bool = W::Bool;
    fn bottom(shape: &W) -> Self {
        BrokenCnum(CnumProduct::bottom(shape))
    }
    fn top(shape: &W) -> Self {
        BrokenCnum(CnumProduct::top(shape))
    }
    fn is_bottom(&self) -> W::Bool {
        self.0.is_bottom()
    }
    fn leq(&self, other: &Self) -> W::Bool {
        self.0.leq(&other.0)
    }
    fn join(&self, other: &Self) -> Self {
        BrokenCnum(self.0.join(&other.0))
    }
    fn meet(&self, other: &Self) -> Self {
        BrokenCnum(self.0.meet(&other.0))
    }
    fn widen(&self, newer: &Self) -> Self {
        BrokenCnum(self.0.widen(&newer.0))
    }
    fn narrow(&self, newer: &Self) -> Self {
        BrokenCnum(self.0.narrow(&newer.0))
    }
}

impl<W: DomainWord> ValueDomain<W> for BrokenCnum<W> {
    const NAME: &'static str = "broken-cnum";
    fn constant(value: &W) -> Self {
        BrokenCnum(CnumProduct::constant(value))
    }
    fn contains(&self, value: &W) -> W::Bool {
        self.0.contains(value)
    }
    fn binary(&self, op: BinOp, width: Width, src: &Self) -> Self {
        if op == BinOp::Add && width == Width::W64 {
            return self.unchecked_add(src);
        }
        BrokenCnum(self.0.binary(op, width, &src.0))
    }
    fn negate(&self, width: Width) -> Self {
        BrokenCnum(self.0.negate(width))
    }
    fn move_sign_extend(&self, width: Width, from: Size) -> Self {
        BrokenCnum(self.0.move_sign_extend(width, from))
    }
    fn byte_order(&self, order: ByteOrder, bits: u32) -> Self {
        BrokenCnum(self.0.byte_order(order, bits))
    }
    fn refine(&self, relation: Relation, width: Width, src: &Self) -> (Self, Self) {
        let (a, b) = self.0.refine(relation, width, &src.0);
        (BrokenCnum(a), BrokenCnum(b))
    }
    fn parts(&self) -> Vec<W> {
        self.0.parts()
    }
    fn from_parts(next: &mut dyn FnMut() -> W) -> Self {
        BrokenCnum(CnumProduct::from_parts(next))
    }
}

impl Enumerable for BrokenCnum<Bits> {
    fn population(width: u32, limit: usize) -> Population<Self> {
        let population = CnumProduct::population(width, limit);
        Population { values: population.values.into_iter().map(BrokenCnum).collect(), complete: population.complete }
    }
    fn gamma(&self) -> ValueSet {
        self.0.gamma()
    }
    fn best(set: &ValueSet, width: u32) -> ValueSet {
        CnumProduct::best(set, width)
    }
}

/// Wrapped intervals whose 64-bit addition adds the sizes without the overflow check.
#[derive(Clone, Debug)]
struct BrokenArc<W>(Cnum<W>);

impl<W: DomainWord> Lattice for BrokenArc<W> {
    type Shape = W;
    type Bool = W::Bool;
    fn bottom(shape: &W) -> Self {
        BrokenArc(Cnum::bottom(shape))
    }
    fn top(shape: &W) -> Self {
        BrokenArc(Cnum::top(shape))
    }
    fn is_bottom(&self) -> W::Bool {
        self.0.is_bottom()
    }
    fn leq(&self, other: &Self) -> W::Bool {
        self.0.leq(&other.0)
    }
    fn join(&self, other: &Self) -> Self {
        BrokenArc(self.0.join(&other.0))
    }
    fn meet(&self, other: &Self) -> Self {
        BrokenArc(self.0.meet(&other.0))
    }
    fn widen(&self, newer: &Self) -> Self {
        BrokenArc(self.0.widen(&newer.0))
    }
    fn narrow(&self, newer: &Self) -> Self {
        BrokenArc(self.0.narrow(&newer.0))
    }
}

impl<W: DomainWord> ValueDomain<W> for BrokenArc<W> {
    const NAME: &'static str = "broken-arc";
    fn constant(value: &W) -> Self {
        BrokenArc(Cnum::constant(value))
    }
    fn contains(&self, value: &W) -> W::Bool {
        self.0.contains(value)
    }
    fn binary(&self, op: BinOp, width: Width, src: &Self) -> Self {
        if op == BinOp::Add && width == Width::W64 {
            let (a, b) = (&self.0, &src.0);
            return BrokenArc(Cnum::new(a.base().add(b.base()), a.size().add(b.size())));
        }
        BrokenArc(self.0.binary(op, width, &src.0))
    }
    fn negate(&self, width: Width) -> Self {
        BrokenArc(self.0.negate(width))
    }
    fn move_sign_extend(&self, width: Width, from: Size) -> Self {
        BrokenArc(self.0.move_sign_extend(width, from))
    }
    fn byte_order(&self, order: ByteOrder, bits: u32) -> Self {
        BrokenArc(self.0.byte_order(order, bits))
    }
    fn refine(&self, relation: Relation, width: Width, src: &Self) -> (Self, Self) {
        let (a, b) = self.0.refine(relation, width, &src.0);
        (BrokenArc(a), BrokenArc(b))
    }
    fn parts(&self) -> Vec<W> {
        self.0.parts()
    }
    fn from_parts(next: &mut dyn FnMut() -> W) -> Self {
        BrokenArc(Cnum::from_parts(next))
    }
}

struct BrokenArcFamily;

impl Family for BrokenArcFamily {
    const KIND: DomainKind = DomainKind::Cnum;
    type Value<W: DomainWord> = BrokenArc<W>;
}

const ADD64: Operation = Operation::Binary(BinOp::Add, Width::W64);

/// The witness's concrete operands are in the operands' concretisations and their sum,
/// by the semantics, is outside the broken result (re-checked from the witness alone).
fn assert_real_counterexample(witness: &Witness, width: u32) {
    assert_real_counterexample_of(witness, width, "UInterval");
}

fn assert_real_counterexample_of(witness: &Witness, width: u32, domain: &str) {
    let [x, y] = witness.concrete[..] else { panic!("two operands expected: {witness}") };
    let sum = ADD64.concrete(&Bits::new(width, x), &Bits::new(width, y)).value();
    assert_eq!(witness.result, sum, "{witness}");
    assert!(witness.inputs.iter().all(|input| input.contains(domain)), "{witness}");
    assert!(!witness.abstract_result.is_empty());
}

#[test]
fn the_exhaustive_checker_finds_the_bug() {
    let population = Broken::population(4, 1000);
    let outcome = exhaustive::check(ADD64, 4, &population.values, Measure::SoundnessOnly);
    let witness = outcome.unsound.expect("the broken addition is reported");
    assert_real_counterexample(&witness, 4);
    // The sound operations of the same domain still pass.
    let sub =
        exhaustive::check(Operation::Binary(BinOp::Sub, Width::W64), 4, &population.values, Measure::SoundnessOnly);
    assert_eq!(sub.unsound, None);
}

#[test]
fn the_symbolic_checker_finds_the_bug_at_64_bits() {
    match symbolic::prove::<BrokenFamily>(ADD64, 64, Duration::from_secs(60)) {
        Verdict::Unsound(witness) => assert_real_counterexample(&witness, 64),
        other => panic!("expected a counterexample, got {other:?}"),
    }
    assert_eq!(
        symbolic::prove::<BrokenFamily>(Operation::Binary(BinOp::Sub, Width::W64), 64, Duration::from_secs(60)),
        Verdict::Proven
    );
}

#[test]
fn the_exhaustive_checker_finds_the_cnum_bug() {
    let population = BrokenCnum::population(4, 400);
    let outcome = exhaustive::check(ADD64, 4, &population.values, Measure::SoundnessOnly);
    let witness = outcome.unsound.expect("the broken arc addition is reported");
    assert_real_counterexample_of(&witness, 4, "CnumProduct");
    let sub =
        exhaustive::check(Operation::Binary(BinOp::Sub, Width::W64), 4, &population.values, Measure::SoundnessOnly);
    assert_eq!(sub.unsound, None);
}

/// Z3 does not finish on whole `cnum` operations (a transfer and two reductions) even at 4
/// bits; it finds the same bug planted in the arcs alone at 64 bits.
#[test]
fn the_symbolic_checker_finds_the_arc_bug_at_64_bits() {
    match symbolic::prove::<BrokenArcFamily>(ADD64, 64, Duration::from_secs(120)) {
        Verdict::Unsound(witness) => assert_real_counterexample_of(&witness, 64, "Cnum"),
        other => panic!("expected a counterexample, got {other:?}"),
    }
}
