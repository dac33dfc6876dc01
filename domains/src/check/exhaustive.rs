//! The exhaustive checker: every abstract pair at a small width, every concrete pair.
//!
//! For each first operand `a` it tabulates, per concrete second operand `c`, the set of
//! concrete results `{x op c | x ∈ γ(a)}` (by [`Operation::concrete`], i.e. the one
//! semantics over [`Bits`]); the result set of a pair `(a, b)` is then the union of the rows
//! of `γ(b)`, computed incrementally when `b` extends the previous second operand. The
//! abstract result must cover that set; when it equals the set's best abstraction the pair
//! counts as precise.

use bpfprove_semantics::word::Bits;

use super::bitset::ValueSet;
use super::enumerate::Enumerable;
use super::{Operation, Shape, Witness};

/// Widths the exhaustive checker accepts (results are tabulated in 256-bit sets).
pub const WIDTHS: std::ops::RangeInclusive<u32> = 2..=8;

/// What checking one operation of one domain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Abstract operand pairs (operands, for unary operations) checked.
    pub pairs: u64,
    /// Of those, the pairs whose result was the best the domain can represent.
    pub precise: u64,
    /// The first unsound case found, if any.
    pub unsound: Option<Witness>,
}

/// Whether a run also measures precision (which costs a best abstraction per pair).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Soundness only; `Outcome::precise` stays 0.
    SoundnessOnly,
    /// Soundness and precision.
    SoundnessAndPrecision,
}

/// Checks `operation` over every pair of `values` (the abstract values at `width`).
///
/// # Panics
/// If `width` is outside [`WIDTHS`] (widths are chosen by the caller, not read from input).
pub fn check<D: Enumerable>(operation: Operation, width: u32, values: &[D], measure: Measure) -> Outcome {
    assert!(WIDTHS.contains(&width), "exhaustive checks run at 2..=8 bits, not {width}");
    let gammas: Vec<ValueSet> = values.iter().map(D::gamma).collect();
    let run = Run { operation, width, measure };
    match operation.shape() {
        Shape::Unary => run.unary(values, &gammas),
        Shape::Binary => run.binary(values, &gammas),
        Shape::Refinement => run.refinement(values, &gammas),
    }
}

fn word(width: u32, value: u64) -> Bits {
    Bits::new(width, value)
}

/// Whether `next`'s concretisation adds at most a few values to `previous`'s, and which.
fn extension(previous: &ValueSet, next: &ValueSet) -> Option<ValueSet> {
    let added = next.difference(previous);
    (previous.is_subset(next) && added.len() <= 4).then_some(added)
}

/// One operation checked at one width.
struct Run {
    operation: Operation,
    width: u32,
    measure: Measure,
}

impl Run {
    /// 1 if `covered` is the best abstraction of `exact` and precision is measured.
    fn precise<D: Enumerable>(&self, covered: &ValueSet, exact: &ValueSet) -> u64 {
        u64::from(self.measure == Measure::SoundnessAndPrecision && *covered == D::best(exact, self.width))
    }

    fn unary<D: Enumerable>(&self, values: &[D], gammas: &[ValueSet]) -> Outcome {
        let (operation, width) = (self.operation, self.width);
        let image: Vec<u64> =
            (0..1u64 << width).map(|x| operation.concrete(&word(width, x), &word(width, 0)).value()).collect();
        let mut outcome = Outcome { pairs: 0, precise: 0, unsound: None };
        for (a, gamma) in values.iter().zip(gammas) {
            let results: ValueSet = gamma.iter().map(|x| image[x as usize]).collect();
            let result = operation.transfer(a, a);
            let covered = result.gamma();
            outcome.pairs += 1;
            if !results.is_subset(&covered) {
                let x = gamma.iter().find(|&x| !covered.contains(image[x as usize])).expect("a result is missed");
                outcome.unsound = Some(Witness {
                    inputs: vec![format!("{a:?}")],
                    concrete: vec![x],
                    result: image[x as usize],
                    abstract_result: format!("{result:?}"),
                });
                return outcome;
            }
            outcome.precise += self.precise::<D>(&covered, &results);
        }
        outcome
    }

    fn binary<D: Enumerable>(&self, values: &[D], gammas: &[ValueSet]) -> Outcome {
        let (operation, width) = (self.operation, self.width);
        let size = 1usize << width;
        let table: Vec<u16> = (0..size * size)
            .map(|i| {
                let (x, y) = (word(width, (i / size) as u64), word(width, (i % size) as u64));
                operation.concrete(&x, &y).value() as u16
            })
            .collect();
        let mut outcome = Outcome { pairs: 0, precise: 0, unsound: None };
        let mut rows = vec![ValueSet::EMPTY; size];
        for (a, gamma_a) in values.iter().zip(gammas) {
            rows.fill(ValueSet::EMPTY);
            for x in gamma_a.iter() {
                let line = &table[x as usize * size..][..size];
                for (row, &result) in rows.iter_mut().zip(line) {
                    row.insert(u64::from(result));
                }
            }
            let mut previous: Option<(&ValueSet, ValueSet)> = None;
            for (b, gamma_b) in values.iter().zip(gammas) {
                let (base, added) =
                    match previous.and_then(|(gamma, results)| Some((results, extension(gamma, gamma_b)?))) {
                        Some((results, added)) => (results, added),
                        None => (ValueSet::EMPTY, *gamma_b),
                    };
                let results = added.iter().fold(base, |set, y| set.union(&rows[y as usize]));
                previous = Some((gamma_b, results));
                let result = operation.transfer(a, b);
                let covered = result.gamma();
                outcome.pairs += 1;
                if !results.is_subset(&covered) {
                    let (x, y) = gamma_a
                        .iter()
                        .flat_map(|x| gamma_b.iter().map(move |y| (x, y)))
                        .find(|&(x, y)| !covered.contains(u64::from(table[x as usize * size + y as usize])))
                        .expect("a result is missed");
                    outcome.unsound = Some(Witness {
                        inputs: vec![format!("{a:?}"), format!("{b:?}")],
                        concrete: vec![x, y],
                        result: u64::from(table[x as usize * size + y as usize]),
                        abstract_result: format!("{result:?}"),
                    });
                    return outcome;
                }
                outcome.precise += self.precise::<D>(&covered, &results);
            }
        }
        outcome
    }

    fn refinement<D: Enumerable>(&self, values: &[D], gammas: &[ValueSet]) -> Outcome {
        let (operation, width) = (self.operation, self.width);
        let size = 1usize << width;
        let holds: Vec<bool> = (0..size * size)
            .map(|i| operation.holds(&word(width, (i / size) as u64), &word(width, (i % size) as u64)))
            .collect();
        let mut outcome = Outcome { pairs: 0, precise: 0, unsound: None };
        // rows[c]: the x in γ(a) related to c.
        let mut rows = vec![ValueSet::EMPTY; size];
        for (a, gamma_a) in values.iter().zip(gammas) {
            rows.fill(ValueSet::EMPTY);
            for x in gamma_a.iter() {
                for (c, row) in rows.iter_mut().enumerate() {
                    if holds[x as usize * size + c] {
                        row.insert(x);
                    }
                }
            }
            let related: ValueSet = (0..size).filter(|&c| !rows[c].is_empty()).map(|c| c as u64).collect();
            let mut previous: Option<(&ValueSet, ValueSet)> = None;
            for (b, gamma_b) in values.iter().zip(gammas) {
                let (base, added) = match previous.and_then(|(gamma, kept)| Some((kept, extension(gamma, gamma_b)?))) {
                    Some((kept, added)) => (kept, added),
                    None => (ValueSet::EMPTY, *gamma_b),
                };
                let kept_a = added.iter().fold(base, |set, y| set.union(&rows[y as usize]));
                previous = Some((gamma_b, kept_a));
                let kept_b = gamma_b.intersection(&related);
                let (refined_a, refined_b) = operation.refine(a, b);
                let (covered_a, covered_b) = (refined_a.gamma(), refined_b.gamma());
                outcome.pairs += 1;
                if !kept_a.is_subset(&covered_a) || !kept_b.is_subset(&covered_b) {
                    let (x, y) = gamma_a
                        .iter()
                        .flat_map(|x| gamma_b.iter().map(move |y| (x, y)))
                        .find(|&(x, y)| {
                            holds[x as usize * size + y as usize] && !(covered_a.contains(x) && covered_b.contains(y))
                        })
                        .expect("a related pair is dropped");
                    let (dropped, refined) = if covered_a.contains(x) {
                        (y, format!("{refined_b:?}"))
                    } else {
                        (x, format!("{refined_a:?}"))
                    };
                    outcome.unsound = Some(Witness {
                        inputs: vec![format!("{a:?}"), format!("{b:?}")],
                        concrete: vec![x, y],
                        result: dropped,
                        abstract_result: refined,
                    });
                    return outcome;
                }
                outcome.precise += self.precise::<D>(&covered_a, &kept_a) * self.precise::<D>(&covered_b, &kept_b);
            }
        }
        outcome
    }
}
