//! The reduced product's soundness at 64 bits, by composition: each product transfer
//! function is a short sequence of pieces (component transfers, conversions between views,
//! meets, truncations and extensions, and [`Product::sync`], itself only conversions,
//! meets and restrictions), each piece has a [`Lemma`] proven by Z3 on its own, and
//! [`lemmas`] lists, per operation, the lemmas its code composes. An operation is
//! *proven by composition at width W* when every lemma it lists is proven at W.
//!
//! # Why composition is sound
//!
//! A product `p` has five views; its concretisation is their intersection,
//!
//! ```text
//! γ(p) = { x | x ∈ γ(u), x ∈ γ(s), x ∈ γ(t), low(x) ∈ γ_h(lu), low(x) ∈ γ_h(ls) }
//! ```
//!
//! where `n` is the word width, `h = n / 2`, `low(x)` the low `h` bits and `γ_h` a view read
//! at `h` bits (as [`ValueDomain::contains`] reads them). Its representation invariant `R`:
//! the words of `lu` and `ls` are zero above bit `h` (every constructor establishes it:
//! `new`, `from_parts`, `constant`, `top`, `bottom`; joins and widenings pick among such
//! words and constants at `h`).
//!
//! Each lemma is a *pointwise* statement about one piece `f`: for all inputs (values that
//! satisfy the invariant of their width) and all concrete points in their concretisations
//! (for refinements: points related by the relation), the image point lies in the
//! concretisation of `f`'s result, and a result at `h` bits again has no words above `h`.
//!
//! Claim: if every lemma of `lemmas(op, n)` holds at `n`, then for all products `a`, `b`
//! with `R`, all `x ∈ γ(a)`, `y ∈ γ(b)` (related, for a refinement), the concrete result
//! `r = op(x, y)` (the operands themselves, for a refinement) lies in `γ(op#(a, b))`, and
//! `op#(a, b)` has `R`.
//!
//! Proof: follow the code of `op#` statement by statement, carrying, for every view that
//! has been computed, the concrete point it must hold (`r` for whole-word views, `low(r)`
//! for low views; an input's point for a view of an input). Every statement computes one
//! view from views already computed, by one of the pieces, and `lemmas` lists a lemma for
//! it (the table below names the statements). The lemma's premise holds: its inputs hold
//! their points (induction) and satisfy the width invariant (induction, via the lemma's
//! "stays at `h`" claim, starting from `R`). So the new view holds its point and keeps the
//! invariant. A `pick` on a condition is either inside a piece (and its lemma covers both
//! sides) or `strict`'s test for emptiness, which [`Lemma::Inhabited`] shows false when a
//! point exists. At the end, the five views of the result hold `r` and `low(r)`, which is
//! `r ∈ γ(result)`; its low views are at `h`, which is `R`. ∎
//!
//! Side conditions, all of them about the code the proof follows:
//!
//! - *Every step keeps its point.* `sync` is conversions, meets and restrictions only; the
//!   transfer functions add component transfers, truncations, extensions and `top` views.
//!   There is no step that may drop a value as long as the result is sound "at the end"
//!   (for example a heuristic that loses values which a later meet would remove anyway):
//!   such a step would need a lemma of its own, and it could not be proven pointwise. So
//!   "unsound at the end but sound at every step" is impossible, and "sound at the end but
//!   unsound at a step" only makes the composition fail (report *unknown* or *unsound*),
//!   never pass wrongly.
//! - *The semantic identities* the composition relies on are lemmas too: the low half of
//!   `add`, `sub`, `mul` and `mov` at 64 bits is the 32-bit operation of the low halves
//!   ([`Lemma::LowHalf`]), `neg` is `0 - x` ([`Lemma::NegateIsSub`]), and sign-extending
//!   from the half word keeps the low half ([`Lemma::SignExtendKeepsLow`]). That a 32-bit
//!   operation reads only its operands' low halves, and that `le`'s result is `low(x)`, is
//!   the definition in `alu` (`narrow` first).
//! - *Shortcuts of known words.* The lemmas prove the path solver terms take. Concrete
//!   words also take shortcuts (ARCHITECTURE.md, `domains`): `sync` returns the empty product
//!   for an empty input (not taken when a point exists, by [`Lemma::Inhabited`]) and skips
//!   meets that change nothing, and the tnum ordering refinements skip such a meet too; a
//!   skipped meet leaves a view that holds its point, so these keep soundness whatever the
//!   unit tests comparing both paths find. `smear_right`'s shortcut computes the same word
//!   (its unit test checks all words at up to 8 bits and a sample at 64).
//! - *The table mirrors the code.* Each line of [`lemmas`] is one path through
//!   `product.rs`; the conditions it copies (which operations compute the low half from the
//!   low halves, when `le` and `movsx` are the identity, the extra meets of `jeq`) are checked
//!   against the product's behaviour by the tests below, and the exhaustive and random
//!   checks of whole product operations (and `--whole-product`, which proves them whole at
//!   small widths) would catch a piece the table forgot.
//! - *Inputs.* As in the whole-operation checks, inputs are products with `R`; results of
//!   operations on inputs with no concrete value (empty products) are not constrained.

use bpfprove_semantics::isa::{BinOp, ByteOrder, Cond, Size, Width};

use super::Operation;
use super::lemma::{Conversion, Cut, Lemma, View};
use crate::value::Relation;
#[cfg(doc)]
use crate::{Product, ValueDomain};

use Lemma::{
    Bounds, Constant, Convert, Inhabited, Meet, MeetViews, NegateIsSub, RefineBounds, RestrictLow, SignExtend,
    SignExtendKeepsLow, SwapBytes, TnumBinary, TnumRefine, Top, Truncate, ZeroExtend,
};
use View::{Signed as S, Tnum as T, Unsigned as U};
use Width::{W32 as HALF, W64 as FULL};

/// The lemmas the product's code for `operation` composes, at words of `width` bits, in the
/// order the code applies them (each once). One line per path through `product.rs`.
pub fn lemmas(operation: Operation, width: u32) -> Vec<Lemma> {
    let n = width;
    let steps = match operation {
        // `binary`, W64: strict(binary_full).
        Operation::Binary(op, Width::W64) => [strict(), binary_full(op)].concat(),
        // `binary`, W32: strict(binary_low).
        Operation::Binary(op, Width::W32) => [strict(), binary_low(op)].concat(),
        // `negate`: constant(0).binary(Sub, width, self).
        Operation::Negate(w) => [vec![Constant, NegateIsSub(w)], lemmas(Operation::Binary(BinOp::Sub, w), n)].concat(),
        // `move_sign_extend`: strict(from_full(sign_extend ×3), from the half the kept low views
        // and sync, or self), then narrow_to_low for W32.
        Operation::MoveSignExtend(w, from) => [strict(), sign_extend(from, n), narrow(w)].concat(),
        // `byte_order`, le: strict(self, or from_full(truncate+zero_extend ×3)).
        Operation::ByteOrder(ByteOrder::ToLe, bits) => [strict(), to_le(bits, n)].concat(),
        // `byte_order`, be/bswap: strict(from_full(top, top, tnum.swap_bytes)).
        Operation::ByteOrder(ByteOrder::ToBe | ByteOrder::Swap, bits) => {
            [strict(), vec![Top(U, FULL), Top(S, FULL), SwapBytes(bits)], from_full()].concat()
        }
        // `refine`, W64: refine_full.
        Operation::Refine(relation, Width::W64) => refine_full(relation),
        // `refine`, W32: refine_low.
        Operation::Refine(relation, Width::W32) => refine_low(relation),
    };
    let mut unique = Vec::with_capacity(steps.len());
    for lemma in steps {
        if !unique.contains(&lemma) {
            unique.push(lemma);
        }
    }
    unique
}

/// Whether `binary_full` computes the low views from the operands' low views (the
/// `low_determined` set of `Product::binary_full`); the others get `top` low views.
pub fn low_half_determined(op: BinOp) -> bool {
    matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Mov)
}

/// `Product::strict`: the empty product only for an input with an empty view.
fn strict() -> Vec<Lemma> {
    vec![Inhabited]
}

/// `Product::sync`, statement by statement: bounds from the tnum (whole and low half),
/// low bounds from the whole ones and across signedness (`meet_views`), whole bounds from
/// each other, restricted by the low ones and from each other again, the tnum from the
/// bounds and restricted by the low ones, bounds from the tnum again.
pub fn sync() -> Vec<Lemma> {
    let mut lemmas = Vec::new();
    for part in [FULL, HALF] {
        lemmas.extend(Conversion::ALL.map(|conversion| Convert(conversion, part)));
        lemmas.extend([U, S, T].map(|view| Meet(view, part)));
        lemmas.push(MeetViews(part));
    }
    lemmas.extend([Truncate(T, Cut::Half), Truncate(U, Cut::Half), Truncate(S, Cut::Half)]);
    lemmas.extend([RestrictLow(U), RestrictLow(S), RestrictLow(T)]);
    lemmas
}

/// `Product::from_low`: the low views, zero-extended to whole-word views, then `sync`.
fn from_low() -> Vec<Lemma> {
    [vec![ZeroExtend(U, Cut::Half), ZeroExtend(S, Cut::Half), ZeroExtend(T, Cut::Half)], sync()].concat()
}

/// `Product::from_full`: `top` low views, then `sync`.
fn from_full() -> Vec<Lemma> {
    [vec![Top(U, HALF), Top(S, HALF)], sync()].concat()
}

/// `Product::binary_full`: low views from the low views (or `top`), whole bounds by the
/// joint `bounds_binary`, the tnum's `binary_at`, then `sync`.
fn binary_full(op: BinOp) -> Vec<Lemma> {
    let low = if low_half_determined(op) {
        vec![Lemma::LowHalf(op), Bounds(op, HALF)]
    } else {
        vec![Top(U, HALF), Top(S, HALF)]
    };
    [low, vec![Bounds(op, FULL), TnumBinary(op, FULL)], sync()].concat()
}

/// `Product::binary_low`: low bounds by the joint `bounds_binary`, the truncated tnums'
/// `binary_at`, then `from_low`.
fn binary_low(op: BinOp) -> Vec<Lemma> {
    [vec![Bounds(op, HALF), Truncate(T, Cut::Half), TnumBinary(op, HALF)], from_low()].concat()
}

/// `Product::narrow_to_low` for W32 results (nothing for W64).
fn narrow(width: Width) -> Vec<Lemma> {
    match width {
        Width::W64 => Vec::new(),
        Width::W32 => [vec![Truncate(T, Cut::Half)], from_low()].concat(),
    }
}

/// `move_sign_extend`'s whole-word part: each view's `sign_extend`, then `from_full`, or,
/// from the half word, the kept low views and `sync` (nothing when `from` covers the word:
/// the value is kept).
fn sign_extend(from: Size, n: u32) -> Vec<Lemma> {
    if from.bits() >= n {
        return Vec::new();
    }
    let extended = vec![SignExtend(U, from), SignExtend(S, from), SignExtend(T, from)];
    if from.bits() == n / 2 {
        [extended, vec![SignExtendKeepsLow(from)], sync()].concat()
    } else {
        [extended, from_full()].concat()
    }
}

/// `le<bits>`: the value itself when `bits` covers the word; otherwise each view truncated
/// and zero-extended (the tnum's `zero_extend` is the identity, so its lemma is exactly
/// what using the truncated tnum as a whole-word one needs), then `from_full`.
fn to_le(bits: u32, n: u32) -> Vec<Lemma> {
    if bits >= n {
        return Vec::new();
    }
    let cut = Cut::of(bits, n);
    let views = [U, S, T].into_iter().flat_map(|view| [Truncate(view, cut), ZeroExtend(view, cut)]).collect();
    [views, from_full()].concat()
}

/// `Product::refine_full`: the joint `refine_bounds` and the tnum's `refine_at` on the whole
/// word; `jeq` also meets the low views; then `sync` (of each operand).
fn refine_full(relation: Relation) -> Vec<Lemma> {
    let low = if relation == Relation::Holds(Cond::Eq) { vec![Meet(U, HALF), Meet(S, HALF)] } else { Vec::new() };
    [vec![RefineBounds(relation, FULL), TnumRefine(relation, FULL)], low, sync()].concat()
}

/// `Product::refine_low`: the joint `refine_bounds` of the low views, the truncated tnums'
/// `refine_at`, each whole view restricted by its refined low half, then `sync`.
fn refine_low(relation: Relation) -> Vec<Lemma> {
    let refined = vec![RefineBounds(relation, HALF), Truncate(T, Cut::Half), TnumRefine(relation, HALF)];
    [refined, vec![RestrictLow(U), RestrictLow(S), RestrictLow(T)], sync()].concat()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::mem::discriminant;

    use bpfprove_semantics::word::Bits;

    use super::*;
    use crate::arith::low_mask;
    use crate::lattice::Lattice;
    use crate::product::Product;
    use crate::value::ValueDomain;
    use crate::{SInterval, Tnum, UInterval};

    const WIDTHS: [u32; 5] = [64, 32, 16, 8, 4];

    #[test]
    fn every_product_operation_has_a_composition_that_names_its_own_pieces() {
        let sync: HashSet<Lemma> = sync().into_iter().collect();
        assert_eq!(sync.len(), 26);
        for width in WIDTHS {
            for operation in Operation::all() {
                let listed = lemmas(operation, width);
                let has = |lemma: Lemma| listed.contains(&lemma);
                let identity = matches!(operation, Operation::ByteOrder(ByteOrder::ToLe, bits) if bits >= width)
                    || matches!(operation, Operation::MoveSignExtend(Width::W64, from) if from.bits() >= width);
                assert!(identity || sync.iter().all(|&lemma| has(lemma)), "{operation} at {width}: no sync");
                let own = match operation {
                    Operation::Binary(op, w) => vec![Inhabited, Bounds(op, w), TnumBinary(op, w)],
                    Operation::Negate(w) => vec![Constant, NegateIsSub(w), Bounds(BinOp::Sub, w)],
                    Operation::MoveSignExtend(_, from) if from.bits() < width => vec![SignExtend(U, from)],
                    Operation::MoveSignExtend(..) => vec![Inhabited],
                    Operation::ByteOrder(ByteOrder::ToLe, bits) if bits < width => {
                        vec![Truncate(U, Cut::of(bits, width)), ZeroExtend(T, Cut::of(bits, width))]
                    }
                    Operation::ByteOrder(ByteOrder::ToLe, _) => vec![Inhabited],
                    Operation::ByteOrder(_, bits) => vec![SwapBytes(bits)],
                    Operation::Refine(relation, w) => vec![RefineBounds(relation, w), TnumRefine(relation, w)],
                };
                assert!(own.iter().all(|&lemma| has(lemma)), "{operation} at {width}: {listed:?}");
                let unique: HashSet<&Lemma> = listed.iter().collect();
                assert_eq!(unique.len(), listed.len(), "{operation}: each lemma once");
            }
        }
    }

    #[test]
    fn every_kind_of_lemma_serves_some_operation() {
        // No line of the table names a piece no product operation has: every kind of lemma
        // is listed by some operation at 64 bits.
        let listed: HashSet<Lemma> = Operation::all().into_iter().flat_map(|operation| lemmas(operation, 64)).collect();
        let kinds: HashSet<_> = listed.iter().map(discriminant).collect();
        let every_kind = [
            Inhabited,
            Constant,
            Lemma::LowHalf(BinOp::Add),
            NegateIsSub(FULL),
            SignExtendKeepsLow(Size::W),
            Top(U, FULL),
            Convert(Conversion::UToS, FULL),
            Meet(U, FULL),
            MeetViews(FULL),
            Truncate(U, Cut::Half),
            ZeroExtend(U, Cut::Half),
            RestrictLow(U),
            SignExtend(U, Size::B),
            SwapBytes(16),
            Bounds(BinOp::Add, FULL),
            TnumBinary(BinOp::Add, FULL),
            RefineBounds(Relation::Clear, FULL),
            TnumRefine(Relation::Clear, FULL),
        ];
        assert_eq!(kinds, every_kind.iter().map(discriminant).collect());
        // At 64 bits: `le16` cuts at 16 bits, every other cut is the half.
        assert!(listed.contains(&Truncate(T, Cut::Low(16))) && !listed.contains(&Truncate(T, Cut::Low(32))));
    }

    /// A product at `width` bits whose whole-word views know nothing and whose low views
    /// hold exactly `low`: what `binary_full` makes of the low half shows whether it reads
    /// the operands' low views.
    fn known_low_half(width: u32, low: u64) -> Product<Bits> {
        let word = |value| Bits::new(width, value);
        let mut parts =
            [0, low_mask(width), 1 << (width - 1), low_mask(width - 1), low, low, low, low, 0, low_mask(width)]
                .into_iter()
                .map(word);
        Product::from_parts(&mut || parts.next().expect("ten parts"))
    }

    #[test]
    fn the_low_half_routing_matches_the_product() {
        let (width, half) = (16, 8);
        let (a, b) = (known_low_half(width, 3), known_low_half(width, 5));
        for op in BinOp::ALL {
            let result = a.binary(op, Width::W64, &b);
            let low = result.low_unsigned();
            let low_known = low.lo() == low.hi();
            assert_eq!(low_known, low_half_determined(op), "{op:?}: {result:?}");
            if low_known {
                let expected =
                    bpfprove_semantics::alu::binary(op, Width::W32, &Bits::new(width, 3), &Bits::new(width, 5));
                assert_eq!(low.lo().value(), expected.value() & low_mask(half), "{op:?}");
            }
        }
    }

    #[test]
    fn only_movsx_from_the_half_keeps_the_low_views() {
        // At 16 bits the half is a byte: `movsx8/64` keeps the operand's low views (the
        // table's `low-half-movsx8/64`), `movsx16/64` is the identity; at 64 bits `movsx32/64`
        // keeps them and the narrower ones rebuild them from the whole word.
        let value = known_low_half(16, 0x85);
        let extended = value.move_sign_extend(Width::W64, Size::B);
        assert_eq!((extended.low_unsigned(), extended.low_signed()), (value.low_unsigned(), value.low_signed()));
        for width in WIDTHS {
            for from in [Size::B, Size::H, Size::W] {
                let listed = lemmas(Operation::MoveSignExtend(Width::W64, from), width);
                let keeps = listed.contains(&SignExtendKeepsLow(from));
                assert_eq!(keeps, from.bits() == width / 2, "movsx{}/64 at {width}", from.bits());
            }
        }
    }

    #[test]
    fn the_identity_cases_match_the_product() {
        // Where the table lists no sync, the product returns its input unchanged.
        let width = 16;
        let value = Product::new(
            UInterval::new(Bits::new(width, 3), Bits::new(width, 900)),
            SInterval::top(&Bits::new(width, 0)),
            UInterval::top(&Bits::new(width, 0)),
            SInterval::top(&Bits::new(width, 0)),
            Tnum::top(&Bits::new(width, 0)),
        );
        for operation in Operation::all() {
            if lemmas(operation, width) == vec![Inhabited] {
                assert_eq!(operation.transfer(&value, &value), value, "{operation}");
            }
        }
    }

    #[test]
    fn only_jeq_refines_the_low_views_whole() {
        // `refine_full` meets the operands' low views for `jeq` alone (the table's extra
        // meets; `sync` lists the same lemmas for every relation): an operand with unknown
        // low views learns the other's low half only then.
        let width = 16;
        let known = known_low_half(width, 3);
        let unknown = Product::top(&Bits::new(width, 0));
        for relation in Relation::ALL {
            let (_, refined) = known.refine(relation, Width::W64, &unknown);
            let learned = refined.low_unsigned().lo() == refined.low_unsigned().hi();
            assert_eq!(learned, relation == Relation::Holds(Cond::Eq), "{relation:?}: {refined:?}");
            let listed = lemmas(Operation::Refine(relation, Width::W64), width);
            assert!(listed.contains(&Meet(U, HALF)) && listed.contains(&Meet(S, HALF)), "{relation:?}");
        }
    }
}
