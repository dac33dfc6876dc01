//! Lemmas: soundness facts about the pieces the reduced product is built from, each proven
//! by Z3 over the same generic code the product runs ([`Z3Word`] instances of the component
//! functions, of the conversions and of the product's own joint helpers).
//!
//! Every lemma is *pointwise*: for all abstract inputs (fresh words) and all concrete points
//! in their concretisations (and, for refinements, related by the relation), the image of
//! the points lies in the concretisation of the piece's result. A value "at `bits`" has
//! zero words above `bits` (see [`crate::arith`]); inputs of a lemma at a sub-width are
//! built at that width (as [`Product::from_parts`] builds the low views), and a lemma
//! whose result is at a sub-width also claims that the result stays at that width, so that
//! the next piece's lemma applies to it. Why these lemmas add up to the soundness of every
//! product transfer function is the subject of [`super::composition`].
//!
//! [`prove_law`] asks Z3 for a counterexample and replays it on concrete [`Bits`], so that
//! a failed lemma is reported with a witness the concrete code confirms, exactly as the
//! operation rows of [`super::symbolic`] are.

use std::fmt;
use std::time::Duration;

use bpfprove_semantics::alu;
use bpfprove_semantics::isa::{BinOp, ByteOrder, Size, Width};
use bpfprove_semantics::word::{Bits, Boolean};
use z3::{Params, SatResult, Solver};

use super::symbolic::Verdict;
use super::z3word::{Z3Bool, Z3Word};
use super::{Operation, Witness};
use crate::arith::{DomainWord, trunc};
use crate::convert;
use crate::interval::UInterval;
use crate::lattice::Lattice;
use crate::product::{self, Product};
use crate::signed::SInterval;
use crate::tnum::Tnum;
use crate::value::{Component, Relation, ValueDomain};

/// One of the product's views, as a component domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// [`UInterval`].
    Unsigned,
    /// [`SInterval`].
    Signed,
    /// [`Tnum`].
    Tnum,
}

impl View {
    const fn letter(self) -> &'static str {
        match self {
            View::Unsigned => "u",
            View::Signed => "s",
            View::Tnum => "t",
        }
    }
}

/// A conversion between views (the functions of `convert.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Conversion {
    /// Unsigned to signed interval.
    UToS,
    /// Signed to unsigned interval.
    SToU,
    /// Unsigned interval to tnum.
    UToT,
    /// Tnum to unsigned interval.
    TToU,
    /// Signed interval to tnum.
    SToT,
    /// Tnum to signed interval.
    TToS,
}

impl Conversion {
    /// Every conversion.
    pub const ALL: [Conversion; 6] =
        [Conversion::UToS, Conversion::SToU, Conversion::UToT, Conversion::TToU, Conversion::SToT, Conversion::TToS];

    const fn name(self) -> &'static str {
        match self {
            Conversion::UToS => "u_to_s",
            Conversion::SToU => "s_to_u",
            Conversion::UToT => "u_to_t",
            Conversion::TToU => "t_to_u",
            Conversion::SToT => "s_to_t",
            Conversion::TToS => "t_to_s",
        }
    }
}

/// Where a truncation cuts (and a zero extension starts): the low half of the word (the
/// sub-register), or the low `bits` bits for `le16` at 64 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cut {
    /// `width / 2` bits.
    Half,
    /// This many bits (below the word width).
    Low(u32),
}

impl Cut {
    /// The cut of `le<bits>` in words of `width` bits: [`Cut::Half`] when that is half the
    /// word, so that one lemma serves both.
    pub fn of(bits: u32, width: u32) -> Cut {
        if bits == width / 2 { Cut::Half } else { Cut::Low(bits) }
    }

    /// The number of bits kept in words of `width` bits.
    pub fn bits(self, width: u32) -> u32 {
        match self {
            Cut::Half => width / 2,
            Cut::Low(bits) => bits,
        }
    }
}

/// The operand bits of a lemma about sub-register (`W32`) or whole-register (`W64`) values.
fn part_bits(part: Width, width: u32) -> u32 {
    match part {
        Width::W64 => width,
        Width::W32 => width / 2,
    }
}

fn part_name(part: Width) -> &'static str {
    match part {
        Width::W64 => "64",
        Width::W32 => "32",
    }
}

/// A soundness fact about one piece of the product. Names (see `Display`) read like the
/// operation rows: `64` is the whole word, `32` its low half, at every checked width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lemma {
    /// `x ∈ γ(p)` implies `!p.is_bottom()`: `strict` only empties empty products.
    Inhabited,
    /// `x ∈ γ(Product::constant(x))`, with its low views at half width.
    Constant,
    /// The semantics: the low half of `op` at 64 bits is `op` at 32 bits of the low halves
    /// (for the operations whose product transfer uses that).
    LowHalf(BinOp),
    /// The semantics: `neg` is `0 - x` at the same width.
    NegateIsSub(Width),
    /// The semantics: sign-extending from `size` keeps the low half (listed where `size` is
    /// the half word, whose low views `move_sign_extend` keeps).
    SignExtendKeepsLow(Size),
    /// Every value at the part's width is in the view's `top_at`.
    Top(View, Width),
    /// A conversion keeps every value.
    Convert(Conversion, Width),
    /// `γ(a) ∩ γ(b) ⊆ γ(a ⊓ b)`.
    Meet(View, Width),
    /// The product's joint meet of an unsigned and a signed interval (`meet_views`): a
    /// point in both is in both results.
    MeetViews(Width),
    /// `x ∈ γ(a)` implies `trunc(x) ∈ γ(a.truncate(cut))` (at the cut).
    Truncate(View, Cut),
    /// A value at the cut, zero-extended: `x ∈ γ(a)` implies `x ∈ γ(a.zero_extend(cut))`.
    ZeroExtend(View, Cut),
    /// `x ∈ γ(a)` and `low(x) ∈ γ(low)` imply `x ∈ γ(a.restrict_low(low, half))`.
    RestrictLow(View),
    /// `x ∈ γ(a)` implies `sext(x) ∈ γ(a.sign_extend(size))`.
    SignExtend(View, Size),
    /// `x ∈ γ(t)` implies `swap(x) ∈ γ(t.swap_bytes(bits))` (tnums only).
    SwapBytes(u32),
    /// The product's joint `bounds_binary` of the (unsigned, signed) views.
    Bounds(BinOp, Width),
    /// The tnum's `binary_at`.
    TnumBinary(BinOp, Width),
    /// The product's joint `refine_bounds` of the (unsigned, signed) views.
    RefineBounds(Relation, Width),
    /// The tnum's `refine_at`.
    TnumRefine(Relation, Width),
}

impl fmt::Display for Lemma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = |cut: &Cut| match cut {
            Cut::Half => "32".to_owned(),
            Cut::Low(bits) => bits.to_string(),
        };
        match self {
            Lemma::Inhabited => f.write_str("inhabited"),
            Lemma::Constant => f.write_str("constant"),
            Lemma::LowHalf(op) => write!(f, "low-half-{}", Operation::Binary(*op, Width::W64)),
            Lemma::NegateIsSub(width) => write!(f, "{}-is-sub", Operation::Negate(*width)),
            Lemma::SignExtendKeepsLow(size) => {
                write!(f, "low-half-{}", Operation::MoveSignExtend(Width::W64, *size))
            }
            Lemma::Top(view, part) => write!(f, "top-{}/{}", view.letter(), part_name(*part)),
            Lemma::Convert(conversion, part) => write!(f, "{}/{}", conversion.name(), part_name(*part)),
            Lemma::Meet(view, part) => write!(f, "meet-{}/{}", view.letter(), part_name(*part)),
            Lemma::MeetViews(part) => write!(f, "meet-us/{}", part_name(*part)),
            Lemma::Truncate(view, to) => write!(f, "truncate-{}/{}", view.letter(), cut(to)),
            Lemma::ZeroExtend(view, from) => write!(f, "zext-{}/{}", view.letter(), cut(from)),
            Lemma::RestrictLow(view) => write!(f, "restrict-low-{}", view.letter()),
            Lemma::SignExtend(view, size) => write!(f, "sext-{}/{}", view.letter(), size.bits()),
            Lemma::SwapBytes(bits) => write!(f, "swap-t/{bits}"),
            Lemma::Bounds(op, part) => write!(f, "bounds-{}", Operation::Binary(*op, *part)),
            Lemma::TnumBinary(op, part) => write!(f, "tnum-{}", Operation::Binary(*op, *part)),
            Lemma::RefineBounds(relation, part) => write!(f, "bounds-{}", Operation::Refine(*relation, *part)),
            Lemma::TnumRefine(relation, part) => write!(f, "tnum-{}", Operation::Refine(*relation, *part)),
        }
    }
}

/// The fresh words a law is built from, in a fixed order, so that a Z3 model can be
/// replayed on concrete words.
pub(crate) struct Words<'a, W> {
    next: &'a mut dyn FnMut() -> W,
    /// Whether results are described (only when replaying a counterexample: describing a
    /// solver term would print the whole formula).
    describe: bool,
}

impl<'a, W: DomainWord> Words<'a, W> {
    pub(crate) fn new(next: &'a mut dyn FnMut() -> W, describe: bool) -> Self {
        Words { next, describe }
    }

    /// A concrete point at `bits`.
    pub(crate) fn point(&mut self, bits: u32) -> W {
        trunc(&(self.next)(), bits)
    }

    /// An abstract value made of words at `bits`.
    pub(crate) fn value<C: ValueDomain<W>>(&mut self, bits: u32) -> C {
        let next = &mut self.next;
        C::from_parts(&mut || trunc(&next(), bits))
    }

    /// `value`'s description, when describing.
    pub(crate) fn show(&self, value: &dyn fmt::Debug) -> String {
        self.note(|| format!("{value:?}"))
    }

    /// `text()`, when describing.
    pub(crate) fn note(&self, text: impl FnOnce() -> String) -> String {
        if self.describe { text() } else { String::new() }
    }
}

/// One thing a law claims of the points: `holds`; `point` and `output` describe it in a
/// witness when it fails.
pub(crate) struct Claim<W: DomainWord> {
    point: W,
    output: String,
    holds: W::Bool,
}

/// A law, built over words `W`: if `premise` holds then every claim holds.
pub(crate) struct Evaluation<W: DomainWord> {
    inputs: Vec<String>,
    points: Vec<W>,
    premise: W::Bool,
    claims: Vec<Claim<W>>,
    /// Assumptions to check one at a time (a case split that keeps each query small);
    /// empty for one query.
    cases: Vec<W::Bool>,
}

impl<W: DomainWord> Evaluation<W> {
    /// A law over the concrete `points`.
    pub(crate) fn new(points: Vec<W>) -> Self {
        let premise = points[0].truth(true);
        Evaluation { inputs: Vec::new(), points, premise, claims: Vec::new(), cases: Vec::new() }
    }

    /// Records an abstract input (for the witness).
    pub(crate) fn input(&mut self, words: &Words<'_, W>, value: &dyn fmt::Debug) {
        self.inputs.push(words.show(value));
    }

    /// Adds `fact` to the premise.
    pub(crate) fn assume(&mut self, fact: &W::Bool) {
        self.premise = self.premise.and(fact);
    }

    /// Claims `point ∈ γ(value)` at `bits` and, when `bits` is below the word width, that
    /// `value` stays at `bits`.
    pub(crate) fn claim_in<C: Component<W> + ValueDomain<W>>(
        &mut self,
        words: &Words<'_, W>,
        value: &C,
        point: &W,
        bits: u32,
    ) {
        let output = words.show(value);
        self.claims.push(Claim { point: point.clone(), output: output.clone(), holds: value.contains_at(point, bits) });
        self.claim_at_bits(value.parts(), point, output, bits);
    }

    /// Claims that `parts` (of a value described by `output`) are at `bits`.
    fn claim_at_bits(&mut self, parts: Vec<W>, point: &W, output: String, bits: u32) {
        if bits >= point.width() {
            return;
        }
        let mut at_bits = point.truth(true);
        for part in &parts {
            at_bits = at_bits.and(&part.eq(&trunc(part, bits)));
        }
        let output = if output.is_empty() { output } else { format!("{output}, which has bits above bit {bits}") };
        self.claims.push(Claim { point: point.clone(), output, holds: at_bits });
    }

    /// Claims `holds` of `point`, described by `output`.
    pub(crate) fn claim(&mut self, point: &W, output: String, holds: W::Bool) {
        self.claims.push(Claim { point: point.clone(), output, holds });
    }

    /// Splits the query on the shift count `count` at `bits` (one case per masked count),
    /// as the operation rows do.
    fn split_on_shift_count(&mut self, count: &W, bits: u32) {
        let mask = count.constant(u64::from(bits - 1));
        let masked = count.and(&mask);
        self.cases = (0..u64::from(bits)).map(|value| masked.eq(&count.constant(value))).collect();
    }

    /// Whether every claim holds.
    fn conclusion(&self) -> W::Bool {
        let mut all = self.points[0].truth(true);
        for claim in &self.claims {
            all = all.and(&claim.holds);
        }
        all
    }
}

/// A fact Z3 can check: built by the same generic code over solver terms and, to replay a
/// counterexample, over concrete words.
pub(crate) trait Law {
    /// The law at words of `width` bits, drawing its variables from `words`.
    fn evaluate<W: DomainWord>(&self, width: u32, words: &mut Words<'_, W>) -> Evaluation<W>;
}

/// Calls `$body` with `$C` naming the component type of `$view`.
macro_rules! per_view {
    ($view:expr, |$C:ident| $body:expr) => {
        match $view {
            View::Unsigned => {
                type $C<X> = UInterval<X>;
                $body
            }
            View::Signed => {
                type $C<X> = SInterval<X>;
                $body
            }
            View::Tnum => {
                type $C<X> = Tnum<X>;
                $body
            }
        }
    };
}

impl Law for Lemma {
    fn evaluate<W: DomainWord>(&self, n: u32, words: &mut Words<'_, W>) -> Evaluation<W> {
        let h = n / 2;
        match *self {
            Lemma::Inhabited => {
                let p = Product::from_parts(&mut *words.next);
                let x = words.point(n);
                let mut law = Evaluation::new(vec![x.clone()]);
                law.input(words, &p);
                law.assume(&p.contains(&x));
                law.claim(&x, words.note(|| "an empty product".to_owned()), p.is_bottom().not());
                law
            }
            Lemma::Constant => {
                let x = words.point(n);
                let constant = Product::constant(&x);
                let mut law = Evaluation::new(vec![x.clone()]);
                let output = words.show(&constant);
                law.claim(&x, output.clone(), constant.contains(&x));
                law.claim_at_bits(constant.parts()[4..8].to_vec(), &x, output, h);
                law
            }
            Lemma::LowHalf(op) => {
                let (x, y) = (words.point(n), words.point(n));
                let whole = trunc(&alu::binary(op, Width::W64, &x, &y), h);
                let low = alu::binary(op, Width::W32, &x, &y);
                let mut law = Evaluation::new(vec![x, y]);
                law.claim(&whole, words.note(|| format!("the 32-bit result {low:?}")), whole.eq(&low));
                law
            }
            Lemma::NegateIsSub(width) => {
                let x = words.point(n);
                let negated = alu::negate(width, &x);
                let difference = alu::binary(BinOp::Sub, width, &x.constant(0), &x);
                let mut law = Evaluation::new(vec![x]);
                law.claim(&negated, words.note(|| format!("0 - x = {difference:?}")), negated.eq(&difference));
                law
            }
            Lemma::SignExtendKeepsLow(size) => {
                let x = words.point(n);
                let (extended, low) = (trunc(&alu::move_sign_extend(Width::W64, &x, size), h), trunc(&x, h));
                let mut law = Evaluation::new(vec![x]);
                law.claim(&extended, words.note(|| format!("the low half {low:?}")), extended.eq(&low));
                law
            }
            Lemma::Top(view, part) => {
                let bits = part_bits(part, n);
                per_view!(view, |C| {
                    let x = words.point(bits);
                    let top = C::<W>::top_at(&x, bits);
                    let mut law = Evaluation::new(vec![x.clone()]);
                    law.claim_in(words, &top, &x, bits);
                    law
                })
            }
            Lemma::Convert(conversion, part) => {
                let bits = part_bits(part, n);
                match conversion {
                    Conversion::UToS => conversion_law(words, bits, convert::u_to_s::<W>),
                    Conversion::SToU => conversion_law(words, bits, convert::s_to_u::<W>),
                    Conversion::UToT => conversion_law(words, bits, convert::u_to_t::<W>),
                    Conversion::TToU => conversion_law(words, bits, convert::t_to_u::<W>),
                    Conversion::SToT => conversion_law(words, bits, convert::s_to_t::<W>),
                    Conversion::TToS => conversion_law(words, bits, convert::t_to_s::<W>),
                }
            }
            Lemma::Meet(view, part) => {
                let bits = part_bits(part, n);
                per_view!(view, |C| meet_law::<W, C<W>>(words, bits, |a, b, bits| a.meet_at(b, bits)))
            }
            Lemma::MeetViews(part) => {
                let bits = part_bits(part, n);
                let (unsigned, signed): (UInterval<W>, SInterval<W>) = (words.value(bits), words.value(bits));
                let x = words.point(bits);
                let mut law = Evaluation::new(vec![x.clone()]);
                law.input(words, &unsigned);
                law.input(words, &signed);
                law.assume(&unsigned.contains_at(&x, bits).and(&signed.contains_at(&x, bits)));
                let (met_unsigned, met_signed) = product::meet_views(&unsigned, &signed, bits);
                law.claim_in(words, &met_unsigned, &x, bits);
                law.claim_in(words, &met_signed, &x, bits);
                law
            }
            Lemma::Truncate(view, to) => {
                let bits = to.bits(n);
                per_view!(view, |C| {
                    let (mut law, a, x): (_, C<W>, _) = operand(words, n);
                    law.claim_in(words, &a.truncate(bits), &trunc(&x, bits), bits);
                    law
                })
            }
            Lemma::ZeroExtend(view, from) => {
                let bits = from.bits(n);
                per_view!(view, |C| {
                    let (mut law, a, x): (_, C<W>, _) = operand(words, bits);
                    law.claim_in(words, &a.zero_extend(bits), &x, n);
                    law
                })
            }
            Lemma::RestrictLow(view) => per_view!(view, |C| {
                let a: C<W> = words.value(n);
                let low: C<W> = words.value(h);
                let x = words.point(n);
                let mut law = Evaluation::new(vec![x.clone()]);
                law.input(words, &a);
                law.input(words, &low);
                law.assume(&a.contains_at(&x, n).and(&low.contains_at(&trunc(&x, h), h)));
                law.claim_in(words, &a.restrict_low(&low, h), &x, n);
                law
            }),
            Lemma::SignExtend(view, size) => per_view!(view, |C| {
                let (mut law, a, x): (_, C<W>, _) = operand(words, n);
                let extended = alu::move_sign_extend(Width::W64, &x, size);
                law.claim_in(words, &a.sign_extend(size.bits()), &extended, n);
                law
            }),
            Lemma::SwapBytes(bits) => {
                let (mut law, t, x): (_, Tnum<W>, _) = operand(words, n);
                law.claim_in(words, &t.swap_bytes(bits), &alu::byte_order(ByteOrder::Swap, bits, &x), n);
                law
            }
            Lemma::Bounds(op, part) => {
                let bits = part_bits(part, n);
                let (mut law, [(au, as_, x), (bu, bs, y)]) = bounds_operands(words, bits);
                let result = alu::binary(op, part, &x, &y);
                let (unsigned, signed) = product::bounds_binary((&au, &as_), op, bits, (&bu, &bs));
                law.claim_in(words, &unsigned, &result, bits);
                law.claim_in(words, &signed, &result, bits);
                if matches!(op, BinOp::Lsh | BinOp::Rsh | BinOp::Arsh) {
                    law.split_on_shift_count(&y, bits);
                }
                law
            }
            Lemma::TnumBinary(op, part) => {
                let bits = part_bits(part, n);
                let (mut law, [(a, x), (b, y)]) = tnum_operands(words, bits);
                law.claim_in(words, &a.binary_at(op, bits, &b), &alu::binary(op, part, &x, &y), bits);
                if matches!(op, BinOp::Lsh | BinOp::Rsh | BinOp::Arsh) {
                    law.split_on_shift_count(&y, bits);
                }
                law
            }
            Lemma::RefineBounds(relation, part) => {
                let bits = part_bits(part, n);
                let (mut law, [(au, as_, x), (bu, bs, y)]) = bounds_operands(words, bits);
                law.assume(&relation.holds(part, &x, &y));
                let ((ua, ub), (sa, sb)) = product::refine_bounds((&au, &as_), relation, bits, (&bu, &bs));
                law.claim_in(words, &ua, &x, bits);
                law.claim_in(words, &sa, &x, bits);
                law.claim_in(words, &ub, &y, bits);
                law.claim_in(words, &sb, &y, bits);
                law
            }
            Lemma::TnumRefine(relation, part) => {
                let bits = part_bits(part, n);
                let (mut law, [(a, x), (b, y)]) = tnum_operands(words, bits);
                law.assume(&relation.holds(part, &x, &y));
                let (refined_a, refined_b) = a.refine_at(relation, bits, &b);
                law.claim_in(words, &refined_a, &x, bits);
                law.claim_in(words, &refined_b, &y, bits);
                law
            }
        }
    }
}

/// A law over one abstract value at `bits`, assumed to hold its point `x`.
fn operand<W: DomainWord, C: Component<W> + ValueDomain<W>>(
    words: &mut Words<'_, W>,
    bits: u32,
) -> (Evaluation<W>, C, W) {
    let a: C = words.value(bits);
    let x = words.point(bits);
    let mut law = Evaluation::new(vec![x.clone()]);
    law.input(words, &a);
    law.assume(&a.contains_at(&x, bits));
    (law, a, x)
}

/// An operand of the product's joint interval helpers: its (unsigned, signed) views and a
/// point in both.
type BoundsOperand<W> = (UInterval<W>, SInterval<W>, W);

/// A law over two [`BoundsOperand`]s at `bits`, each assumed to hold its point.
fn bounds_operands<W: DomainWord>(words: &mut Words<'_, W>, bits: u32) -> (Evaluation<W>, [BoundsOperand<W>; 2]) {
    let mut operand = || -> BoundsOperand<W> { (words.value(bits), words.value(bits), words.point(bits)) };
    let [(au, as_, x), (bu, bs, y)] = [operand(), operand()];
    let mut law = Evaluation::new(vec![x.clone(), y.clone()]);
    for input in [&au as &dyn fmt::Debug, &as_, &bu, &bs] {
        law.input(words, input);
    }
    law.assume(&au.contains_at(&x, bits).and(&as_.contains_at(&x, bits)));
    law.assume(&bu.contains_at(&y, bits).and(&bs.contains_at(&y, bits)));
    (law, [(au, as_, x), (bu, bs, y)])
}

/// A law over two tnums at `bits`, each assumed to hold its point.
fn tnum_operands<W: DomainWord>(words: &mut Words<'_, W>, bits: u32) -> (Evaluation<W>, [(Tnum<W>, W); 2]) {
    let mut operand = || -> (Tnum<W>, W) { (words.value(bits), words.point(bits)) };
    let [(a, x), (b, y)] = [operand(), operand()];
    let mut law = Evaluation::new(vec![x.clone(), y.clone()]);
    law.input(words, &a);
    law.input(words, &b);
    law.assume(&a.contains_at(&x, bits).and(&b.contains_at(&y, bits)));
    (law, [(a, x), (b, y)])
}

/// `x ∈ γ(a)` implies `x ∈ γ(convert(a))`, for values at `bits`.
pub(crate) fn conversion_law<W, A, B>(
    words: &mut Words<'_, W>,
    bits: u32,
    convert: impl Fn(&A, u32) -> B,
) -> Evaluation<W>
where
    W: DomainWord,
    A: Component<W> + ValueDomain<W>,
    B: Component<W> + ValueDomain<W>,
{
    let (mut law, a, x): (_, A, _) = operand(words, bits);
    law.claim_in(words, &convert(&a, bits), &x, bits);
    law
}

/// `x ∈ γ(a)` and `x ∈ γ(b)` imply `x ∈ γ(meet(a, b))`, for values at `bits`.
pub(crate) fn meet_law<W, C>(words: &mut Words<'_, W>, bits: u32, meet: impl Fn(&C, &C, u32) -> C) -> Evaluation<W>
where
    W: DomainWord,
    C: Component<W> + ValueDomain<W>,
{
    let (a, b): (C, C) = (words.value(bits), words.value(bits));
    let x = words.point(bits);
    let mut law = Evaluation::new(vec![x.clone()]);
    law.input(words, &a);
    law.input(words, &b);
    law.assume(&a.contains_at(&x, bits).and(&b.contains_at(&x, bits)));
    law.claim_in(words, &meet(&a, &b, bits), &x, bits);
    law
}

/// Asks Z3 whether `lemma` holds at words of `width` bits (an even width from 4 to 64),
/// giving up after `timeout` per query; a counterexample comes with a concrete witness.
pub fn prove(lemma: Lemma, width: u32, timeout: Duration) -> Verdict {
    prove_law(&lemma, width, timeout)
}

/// A Z3 solver for bit-vector queries with a time limit.
fn solver(timeout: Duration) -> Solver {
    // The bit-vector logic selects Z3's bit-blasting tactics.
    let solver = Solver::new_for_logic("QF_BV").unwrap_or_default();
    let mut params = Params::new();
    params.set_u32("timeout", u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX));
    solver.set_params(&params);
    solver
}

/// Asks Z3 whether `law` holds for all words of `width` bits (an even width from 4 to 64),
/// giving up after `timeout` per query. A counterexample is replayed on concrete words and
/// reported as a [`Witness`]: the abstract inputs, the concrete points, the image that
/// escapes and the result that misses it.
pub(crate) fn prove_law<L: Law>(law: &L, width: u32, timeout: Duration) -> Verdict {
    let solver = solver(timeout);
    let mut variables: Vec<Z3Word> = Vec::new();
    let evaluation = {
        let mut fresh = || {
            let word = Z3Word::fresh("w", width);
            variables.push(word.clone());
            word
        };
        law.evaluate(width, &mut Words::new(&mut fresh, false))
    };
    solver.assert(&evaluation.premise.0);
    solver.assert(&evaluation.conclusion().not().0);
    let outcome = if evaluation.cases.is_empty() {
        solver.check()
    } else {
        let check = |case: &Z3Bool| solver.check_assumptions(std::slice::from_ref(&case.0));
        evaluation.cases.iter().map(check).find(|outcome| *outcome != SatResult::Unsat).unwrap_or(SatResult::Unsat)
    };
    match outcome {
        SatResult::Unsat => Verdict::Proven,
        SatResult::Unknown => Verdict::Unknown(solver.get_reason_unknown().unwrap_or_else(|| "unknown".to_owned())),
        SatResult::Sat => {
            let Some(model) = solver.get_model() else { return Verdict::Unknown("sat without a model".to_owned()) };
            let values: Vec<u64> = variables
                .iter()
                .map(|word| model.eval(&word.0, true).and_then(|value| value.as_u64()).unwrap_or(0))
                .collect();
            match replay(law, width, &values) {
                Some(witness) => Verdict::Unsound(witness),
                None => Verdict::Unknown("Z3's counterexample does not replay on concrete words".to_owned()),
            }
        }
    }
}

/// `law` over the concrete words `values` (in the order the law draws them): the witness,
/// if the premise holds and a claim fails.
pub(crate) fn replay<L: Law>(law: &L, width: u32, values: &[u64]) -> Option<Witness> {
    let mut values = values.iter();
    let mut next = || Bits::new(width, values.next().copied().unwrap_or(0));
    let evaluation = law.evaluate(width, &mut Words::new(&mut next, true));
    let failed = evaluation.claims.iter().find(|claim| !claim.holds)?;
    evaluation.premise.then(|| Witness {
        inputs: evaluation.inputs.clone(),
        concrete: evaluation.points.iter().map(|point| point.value()).collect(),
        result: failed.point.value(),
        abstract_result: failed.output.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith;
    use crate::check::enumerate::Sampler;

    const QUICK: Duration = Duration::from_secs(60);

    /// The unsigned-to-signed conversion without its sign-boundary test, on the low half:
    /// `[1, -1]` becomes an empty signed interval.
    struct BrokenUToS;

    impl Law for BrokenUToS {
        fn evaluate<W: DomainWord>(&self, width: u32, words: &mut Words<'_, W>) -> Evaluation<W> {
            conversion_law(words, width / 2, |u: &UInterval<W>, _| SInterval::new(u.lo.clone(), u.hi.clone()))
        }
    }

    /// The unsigned meet with an exclusive upper bound: it drops the smaller upper bound.
    struct BrokenMeet;

    impl Law for BrokenMeet {
        fn evaluate<W: DomainWord>(&self, width: u32, words: &mut Words<'_, W>) -> Evaluation<W> {
            meet_law(words, width, |a: &UInterval<W>, b: &UInterval<W>, _| {
                UInterval::new(arith::umax(&a.lo, &b.lo), arith::umin(&a.hi, &b.hi).sub(&a.lo.constant(1)))
            })
        }
    }

    /// A tnum meet that keeps only the first operand's known bits: a bit unknown there but
    /// known 1 in the other becomes known 0.
    struct BrokenTnumMeet;

    impl Law for BrokenTnumMeet {
        fn evaluate<W: DomainWord>(&self, width: u32, words: &mut Words<'_, W>) -> Evaluation<W> {
            meet_law(words, width, |a: &Tnum<W>, b: &Tnum<W>, _| Tnum::new(a.value.clone(), a.mask.and(&b.mask)))
        }
    }

    /// The counterexample Z3 found, after checking that it is a real one: a random search
    /// over concrete words, with no solver, finds the bug too.
    fn counterexample(law: &impl Law, width: u32) -> Witness {
        let verdict = prove_law(law, width, QUICK);
        let Verdict::Unsound(witness) = verdict else { panic!("expected a counterexample, got {verdict:?}") };
        assert!(!witness.inputs.is_empty() && !witness.abstract_result.is_empty(), "{witness}");
        let mut sampler = Sampler::new(u64::from(width));
        let found = (0..100_000).find_map(|_| {
            let values: Vec<u64> = (0..12).map(|_| sampler.word(width)).collect();
            replay(law, width, &values)
        });
        assert!(found.is_some(), "no concrete counterexample at {width} bits");
        witness
    }

    #[test]
    fn a_broken_conversion_is_caught_with_a_witness() {
        let witness = counterexample(&BrokenUToS, 8);
        assert!(witness.inputs[0].contains("UInterval") && witness.abstract_result.contains("SInterval"), "{witness}");
        // A conversion keeps its point: the escaping value is the input's.
        assert_eq!(witness.result, witness.concrete[0]);
        // The real conversion passes the same check.
        assert_eq!(prove_law(&Lemma::Convert(Conversion::UToS, Width::W32), 8, QUICK), Verdict::Proven);
    }

    #[test]
    fn a_broken_meet_is_caught_with_a_witness() {
        let witness = counterexample(&BrokenMeet, 8);
        assert_eq!(witness.inputs.len(), 2, "{witness}");
        assert!(witness.abstract_result.contains("UInterval"), "{witness}");
        let witness = counterexample(&BrokenTnumMeet, 8);
        assert!(witness.abstract_result.contains("Tnum"), "{witness}");
        for view in [View::Unsigned, View::Signed, View::Tnum] {
            for part in [Width::W64, Width::W32] {
                assert_eq!(prove_law(&Lemma::Meet(view, part), 8, QUICK), Verdict::Proven, "{view:?} {part:?}");
            }
        }
    }

    #[test]
    fn a_result_above_its_width_is_caught() {
        /// Truncation that forgets to cut the upper bound: the result holds the point but
        /// is not a value at half width.
        struct Uncut;
        impl Law for Uncut {
            fn evaluate<W: DomainWord>(&self, width: u32, words: &mut Words<'_, W>) -> Evaluation<W> {
                let a: UInterval<W> = words.value(width);
                let x = words.point(width);
                let mut law = Evaluation::new(vec![x.clone()]);
                law.input(words, &a);
                law.assume(&a.contains_at(&x, width));
                let half = width / 2;
                law.claim_in(words, &UInterval::new(arith::zero(&x), a.hi.clone()), &trunc(&x, half), half);
                law
            }
        }
        let witness = counterexample(&Uncut, 8);
        assert!(witness.abstract_result.contains("bits above bit 4"), "{witness}");
    }

    /// The joint meet of the unsigned and signed views that keeps only the signed interval's
    /// non-negative part (Linux's positive-overlap deduction without its condition).
    struct NonNegativeOnly;

    impl Law for NonNegativeOnly {
        fn evaluate<W: DomainWord>(&self, width: u32, words: &mut Words<'_, W>) -> Evaluation<W> {
            let (unsigned, signed): (UInterval<W>, SInterval<W>) = (words.value(width), words.value(width));
            let x = words.point(width);
            let mut law = Evaluation::new(vec![x.clone()]);
            law.input(words, &unsigned);
            law.input(words, &signed);
            law.assume(&unsigned.contains_at(&x, width).and(&signed.contains_at(&x, width)));
            let non_negative = SInterval::new(arith::smax(&signed.lo, &arith::zero(&x), width), signed.hi.clone());
            let (_, met) = product::meet_views(&unsigned, &non_negative, width);
            law.claim_in(words, &met, &x, width);
            law
        }
    }

    #[test]
    fn the_joint_meet_of_the_views_is_proven_and_its_careless_twin_caught() {
        let witness = counterexample(&NonNegativeOnly, 8);
        assert!(witness.abstract_result.contains("SInterval"), "{witness}");
        // The dropped point is negative.
        assert!(witness.result >= 0x80, "{witness}");
        for part in [Width::W64, Width::W32] {
            assert_eq!(prove_law(&Lemma::MeetViews(part), 16, QUICK), Verdict::Proven, "{part:?}");
        }
        assert_eq!(prove_law(&Lemma::RestrictLow(View::Signed), 16, QUICK), Verdict::Proven);
        assert_eq!(prove_law(&Lemma::SignExtendKeepsLow(Size::B), 16, QUICK), Verdict::Proven);
    }

    #[test]
    fn every_conversion_is_proven_at_16_bits() {
        for conversion in Conversion::ALL {
            for part in [Width::W64, Width::W32] {
                let lemma = Lemma::Convert(conversion, part);
                assert_eq!(prove_law(&lemma, 16, QUICK), Verdict::Proven, "{lemma}");
            }
        }
    }
}
