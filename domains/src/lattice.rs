//! The lattice interface every abstract domain offers the analyzer's fixpoint.

use bpfprove_semantics::word::Boolean;

/// An abstract domain's order and its bounds, joins and widening.
///
/// Values are compared only among values of one *shape* (for value domains: one word
/// width and, symbolically, one solver context). Truth values are [`Lattice::Bool`], which
/// is `bool` for concrete values and a solver formula for symbolic ones.
///
/// # Contract
/// With `γ` the concretisation (the set of machine values a value stands for), every
/// implementation keeps these laws; `tests` in each domain module check them by property
/// tests against `γ`, and [`crate::check`] checks the transfer functions built on them.
///
/// 1. *Sound order*: `a.leq(b)` implies `γ(a) ⊆ γ(b)`; `leq` is reflexive and transitive.
/// 2. *Bounds*: `γ(bottom) = ∅`, `γ(top)` is every value; `bottom ⊑ a ⊑ top`.
///    `a.is_bottom()` implies `γ(a) = ∅` (the converse may fail for reduced products).
/// 3. *Join*: `a ⊑ a ⊔ b` and `b ⊑ a ⊔ b`; it is commutative, and `bottom ⊔ a = a`.
/// 4. *Meet*: `a ⊓ b ⊑ a`, `a ⊓ b ⊑ b` and `γ(a) ∩ γ(b) ⊆ γ(a ⊓ b)`; `top ⊓ a = a`.
///    Wrapped intervals (`cnum`) keep all of it but `a ⊓ b ⊑ b` where two arcs overlap in
///    two pieces, which no single arc below both holds (see [`crate::cnum`]).
/// 5. *Widening*: `a ⊑ a ∇ b` and `b ⊑ a ∇ b`; for any sequence `b_i`, the chain
///    `x_{i+1} = x_i ∇ b_i` becomes stationary after finitely many steps (for the
///    interval bounds: each bound moves at most once, to its extreme).
/// 6. *Narrowing*: if `b ⊑ a` then `b ⊑ a Δ b ⊑ a`, and decreasing chains built with
///    `Δ` become stationary.
pub trait Lattice: Clone {
    /// What [`Lattice::bottom`] and [`Lattice::top`] need to build a value: for value
    /// domains a word of the right width (and solver context).
    type Shape;
    /// Truth values of [`Lattice::leq`] and [`Lattice::is_bottom`].
    type Bool: Boolean;

    /// The least element: no value at all (unreachable code).
    fn bottom(shape: &Self::Shape) -> Self;
    /// The greatest element: any value.
    fn top(shape: &Self::Shape) -> Self;
    /// Whether `self` is (recognisably) the least element.
    fn is_bottom(&self) -> Self::Bool;
    /// The partial order `self ⊑ other`.
    fn leq(&self, other: &Self) -> Self::Bool;
    /// The least upper bound (or, where a domain has none, an upper bound).
    fn join(&self, other: &Self) -> Self;
    /// The greatest lower bound (or a sound lower bound, see law 4).
    fn meet(&self, other: &Self) -> Self;
    /// Widening of `self` (the previous iterate) by `newer`.
    fn widen(&self, newer: &Self) -> Self;
    /// Narrowing of `self` (the previous iterate) by `newer`.
    fn narrow(&self, newer: &Self) -> Self;
}
