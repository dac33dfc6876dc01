//! The symbolic checker: runs a domain's generic code and the one semantics over Z3
//! bit-vectors and asks Z3 for a counterexample to soundness.
//!
//! For an operation `f` with abstract version `f#`, it asserts `x ∈ γ(a)`, `y ∈ γ(b)` and
//! `f(x, y) ∉ γ(f#(a, b))` over fresh variables for every word of `a`, `b`, `x` and `y`;
//! "unsatisfiable" proves the operation sound for every input at that width. Refinements
//! assert the relation and that `(x, y)` is not kept.

use std::time::Duration;

use bpfprove_semantics::isa::{BinOp, Width};
use bpfprove_semantics::word::{Bits, Boolean, Word};
use z3::{Params, SatResult, Solver};

use super::z3word::{Z3Bool, Z3Word};
use super::{Family, Operation, Shape, Witness};
use crate::value::ValueDomain;

/// What Z3 said about one operation at one width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No counterexample exists.
    Proven,
    /// A counterexample.
    Unsound(Witness),
    /// Z3 gave up (time limit or incompleteness), with its reason.
    Unknown(String),
}

/// One value of a shift count: `y & mask == value`.
struct Count {
    mask: u64,
    value: u64,
}

/// For shifts, the counts the ISA's masking allows (the sub-masks of `bits - 1`).
fn shift_count_cases(operation: Operation, width: u32) -> Option<Vec<Count>> {
    let Operation::Binary(BinOp::Lsh | BinOp::Rsh | BinOp::Arsh, operand) = operation else {
        return None;
    };
    let bits = if operand == Width::W64 { width } else { width / 2 };
    let mask = u64::from(bits - 1);
    Some((0..=mask).filter(|value| value & !mask == 0).map(|value| Count { mask, value }).collect())
}

/// Asks Z3 whether `operation` of the family's domain is sound at `width` bits (an even
/// width from 2 to 64), giving up after `timeout`.
pub fn prove<F: Family>(operation: Operation, width: u32, timeout: Duration) -> Verdict {
    // The bit-vector logic selects Z3's bit-blasting tactics, much faster here than the
    // general solver.
    let solver = Solver::new_for_logic("QF_BV").unwrap_or_default();
    let mut params = Params::new();
    params.set_u32("timeout", u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX));
    solver.set_params(&params);

    let a = F::Value::<Z3Word>::from_parts(&mut || Z3Word::fresh("a", width));
    let b = F::Value::<Z3Word>::from_parts(&mut || Z3Word::fresh("b", width));
    let x = Z3Word::fresh("x", width);
    let y = Z3Word::fresh("y", width);
    solver.assert(&a.contains(&x).0);
    if operation.shape() != Shape::Unary {
        solver.assert(&b.contains(&y).0);
    }
    let escapes: Z3Bool = match operation.shape() {
        Shape::Unary | Shape::Binary => {
            let result = operation.transfer(&a, &b);
            result.contains(&operation.concrete(&x, &y)).not()
        }
        Shape::Refinement => {
            solver.assert(&operation.holds(&x, &y).0);
            let (kept_a, kept_b) = operation.refine(&a, &b);
            kept_a.contains(&x).and(&kept_b.contains(&y)).not()
        }
    };
    solver.assert(&escapes.0);
    let outcome = match shift_count_cases(operation, width) {
        // Case splits on the concrete shift count keep each query small.
        Some(counts) => counts
            .into_iter()
            .map(|count| {
                let masked = y.and(&y.constant(count.mask));
                solver.check_assumptions(&[masked.eq(&y.constant(count.value)).0])
            })
            .find(|outcome| *outcome != SatResult::Unsat)
            .unwrap_or(SatResult::Unsat),
        None => solver.check(),
    };
    match outcome {
        SatResult::Unsat => Verdict::Proven,
        SatResult::Unknown => Verdict::Unknown(solver.get_reason_unknown().unwrap_or_else(|| "unknown".to_owned())),
        SatResult::Sat => match solver.get_model() {
            Some(model) => {
                let value = |word: &Z3Word| model.eval(&word.0, true).and_then(|v| v.as_u64()).unwrap_or(0);
                let concrete = |word: &Z3Word| Bits::new(width, value(word));
                let rebuild = |symbolic: &F::Value<Z3Word>| {
                    let mut words = symbolic.parts().into_iter();
                    F::Value::<Bits>::from_parts(&mut || concrete(&words.next().expect("parts and from_parts agree")))
                };
                let (concrete_a, concrete_b) = (rebuild(&a), rebuild(&b));
                let (xv, yv) = (concrete(&x), concrete(&y));
                let (result, abstract_result) = match operation.shape() {
                    Shape::Refinement => {
                        let (kept_a, kept_b) = operation.refine(&concrete_a, &concrete_b);
                        if kept_a.contains(&xv) {
                            (yv.value(), format!("{kept_b:?}"))
                        } else {
                            (xv.value(), format!("{kept_a:?}"))
                        }
                    }
                    _ => (
                        operation.concrete(&xv, &yv).value(),
                        format!("{:?}", operation.transfer(&concrete_a, &concrete_b)),
                    ),
                };
                let mut inputs = vec![format!("{concrete_a:?}")];
                let mut values = vec![xv.value()];
                if operation.shape() != Shape::Unary {
                    inputs.push(format!("{concrete_b:?}"));
                    values.push(yv.value());
                }
                Verdict::Unsound(Witness { inputs, concrete: values, result, abstract_result })
            }
            None => Verdict::Unknown("sat without a model".to_owned()),
        },
    }
}

/// Proves the reduced product's synchronisation sound at `width` bits: for every product
/// `p` and every `x ∈ γ(p)`, `x ∈ γ(p.sync())`. With the components' operations proven,
/// this makes every product transfer function sound (each one is a synchronisation of
/// componentwise results), so product rows need not be proven whole at 64 bits.
pub fn prove_sync(width: u32, timeout: Duration) -> Verdict {
    let solver = Solver::new_for_logic("QF_BV").unwrap_or_default();
    let mut params = Params::new();
    params.set_u32("timeout", u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX));
    solver.set_params(&params);
    let p = crate::Product::<Z3Word>::from_parts(&mut || Z3Word::fresh("p", width));
    let x = Z3Word::fresh("x", width);
    solver.assert(&p.contains(&x).0);
    solver.assert(&p.clone().sync().contains(&x).not().0);
    match solver.check() {
        SatResult::Unsat => Verdict::Proven,
        SatResult::Unknown => Verdict::Unknown(solver.get_reason_unknown().unwrap_or_else(|| "unknown".to_owned())),
        SatResult::Sat => match solver.get_model() {
            Some(model) => {
                let value = |word: &Z3Word| model.eval(&word.0, true).and_then(|v| v.as_u64()).unwrap_or(0);
                let mut words = p.parts().into_iter();
                let concrete = crate::Product::<Bits>::from_parts(&mut || {
                    Bits::new(width, value(&words.next().expect("parts and from_parts agree")))
                });
                Verdict::Unsound(Witness {
                    inputs: vec![format!("{concrete:?}")],
                    concrete: vec![value(&x)],
                    result: value(&x),
                    abstract_result: format!("{:?}", concrete.sync()),
                })
            }
            None => Verdict::Unknown("sat without a model".to_owned()),
        },
    }
}
