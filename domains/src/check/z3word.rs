//! Z3 bit-vectors as a [`Word`], so the generic domain code and the one semantics build
//! formulas instead of values.
//!
//! Uses Z3's thread-local context (`z3` 0.22) and only API calls present in Debian's
//! Z3 4.8.12, which the crate links to.

use bpfprove_semantics::word::{Boolean, Word};
use z3::ast::{BV, Bool};

use crate::arith::{Choose, DomainWord, low_mask};

/// A bit-vector term.
#[derive(Clone, Debug)]
pub struct Z3Word(pub BV);

/// A Boolean formula.
#[derive(Clone, Debug)]
pub struct Z3Bool(pub Bool);

impl Z3Word {
    /// A fresh bit-vector variable of `width` bits named after `prefix`.
    pub fn fresh(prefix: &str, width: u32) -> Z3Word {
        Z3Word(BV::fresh_const(prefix, width))
    }
}

impl Boolean for Z3Bool {
    fn and(&self, rhs: &Self) -> Self {
        Z3Bool(Bool::and(&[&self.0, &rhs.0]))
    }
    fn or(&self, rhs: &Self) -> Self {
        Z3Bool(Bool::or(&[&self.0, &rhs.0]))
    }
    fn not(&self) -> Self {
        Z3Bool(self.0.not())
    }
}

impl Word for Z3Word {
    type Bool = Z3Bool;

    fn width(&self) -> u32 {
        self.0.get_size()
    }
    fn constant(&self, value: u64) -> Self {
        let width = self.width();
        Z3Word(BV::from_u64(value & low_mask(width), width))
    }
    fn add(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvadd(&rhs.0))
    }
    fn sub(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvsub(&rhs.0))
    }
    fn mul(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvmul(&rhs.0))
    }
    fn udiv(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvudiv(&rhs.0))
    }
    fn urem(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvurem(&rhs.0))
    }
    fn sdiv(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvsdiv(&rhs.0))
    }
    fn srem(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvsrem(&rhs.0))
    }
    fn neg(&self) -> Self {
        Z3Word(self.0.bvneg())
    }
    fn and(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvand(&rhs.0))
    }
    fn or(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvor(&rhs.0))
    }
    fn xor(&self, rhs: &Self) -> Self {
        Z3Word(self.0.bvxor(&rhs.0))
    }
    fn shl(&self, amount: &Self) -> Self {
        Z3Word(self.0.bvshl(&amount.0))
    }
    fn lshr(&self, amount: &Self) -> Self {
        Z3Word(self.0.bvlshr(&amount.0))
    }
    fn ashr(&self, amount: &Self) -> Self {
        Z3Word(self.0.bvashr(&amount.0))
    }
    fn eq(&self, rhs: &Self) -> Z3Bool {
        Z3Bool(self.0.eq(&rhs.0))
    }
    fn ult(&self, rhs: &Self) -> Z3Bool {
        Z3Bool(self.0.bvult(&rhs.0))
    }
    fn slt(&self, rhs: &Self) -> Z3Bool {
        Z3Bool(self.0.bvslt(&rhs.0))
    }
    fn select(cond: &Z3Bool, then: &Self, otherwise: &Self) -> Self {
        Z3Word(cond.0.ite(&then.0, &otherwise.0))
    }
    fn zext_low(&self, bits: u32) -> Self {
        let width = self.width();
        match bits {
            0 => self.constant(0),
            bits if bits >= width => self.clone(),
            bits => Z3Word(self.0.extract(bits - 1, 0).zero_ext(width - bits)),
        }
    }
    fn sext_low(&self, bits: u32) -> Self {
        let width = self.width();
        if bits >= width { self.clone() } else { Z3Word(self.0.extract(bits - 1, 0).sign_ext(width - bits)) }
    }
}

impl Choose<Z3Word> for Z3Word {
    fn choose(cond: &Z3Bool, then: &Self, otherwise: &Self) -> Self {
        Z3Word::select(cond, then, otherwise)
    }
}

impl DomainWord for Z3Word {
    fn known(&self) -> Option<u64> {
        self.0.as_u64()
    }
    fn known_truth(truth: &Z3Bool) -> Option<bool> {
        truth.0.as_bool()
    }
    fn truth(&self, value: bool) -> Z3Bool {
        Z3Bool(Bool::from_bool(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use z3::ast::Ast;
    use z3::{SatResult, Solver};

    #[test]
    fn the_linked_z3_answers_bit_vector_queries() {
        // The z3 crate warns when the system library is older than it expects; the calls
        // used here exist in Debian's 4.8.12.
        assert!(!z3::full_version().is_empty());
        let x = Z3Word::fresh("x", 8);
        let solver = Solver::new();
        // x + 1 == 0 has exactly the solution 0xff.
        solver.assert(x.add(&x.constant(1)).eq(&x.constant(0)).0);
        assert_eq!(solver.check(), SatResult::Sat);
        let model = solver.get_model().expect("a model after sat");
        assert_eq!(model.eval(&x.0, true).and_then(|v| v.as_u64()), Some(0xff));
        // And nothing is below zero unsigned.
        let solver = Solver::new();
        solver.assert(x.ult(&x.constant(0)).0);
        assert_eq!(solver.check(), SatResult::Unsat);
    }

    #[test]
    fn extensions_match_the_concrete_words() {
        let x = Z3Word(BV::from_u64(0x80, 16));
        assert_eq!(x.sext_low(8).0.simplify().as_u64(), Some(0xff80));
        assert_eq!(x.zext_low(4).0.simplify().as_u64(), Some(0));
        assert_eq!(x.sext_low(16).0.as_u64(), Some(0x80));
    }
}
