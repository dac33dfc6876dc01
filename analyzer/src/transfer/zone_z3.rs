//! Zone transfers computed by symbolic abstraction with Z3 (`--domain zone-z3`).
//!
//! The hand-written zone transfer ([`super::zone`]) adds only the relations its rules
//! state. Here the instruction's meaning, read from the one semantics
//! (`bpfprove_semantics::alu` over [`Z3Word`]), is conjoined with what the state before it
//! knows: the zone's constraints and every variable's unsigned and signed bounds and known
//! bits. For each template term `x - y` the instruction may change (the written register
//! against every other variable; on a branch edge, each compared register against every
//! other variable), Z3 bounds the term from above as tightly as it can: the zone computed
//! is the best the template can say about what the encoded facts allow, the precision
//! ceiling of zones against which the rules can be measured. The result is met with the
//! rules' (both are sound, so their meet is), so a term Z3 gives up on keeps what the
//! rules found. An edge whose facts Z3 proves contradictory is not taken.
//!
//! Which terms are asked:
//! - not those between variables the instruction leaves alone: a write of one register
//!   cannot tighten them (the new value is a function of the old ones, always defined),
//!   and a branch's new facts about them reach them through closure;
//! - not a variable's relation to 0 (its bounds): the values compute them, and the zone
//!   takes them from there;
//! - only variables with a zone constraint to another variable, or in the instruction:
//!   any other one relates to the new value only through its bounds;
//! - not after a copy or a constant added without wrapping: the rules relate those
//!   exactly (see `zone_after`).
//!
//! Joins and widening are the zone's own: a closed zone's pointwise maximum is already the
//! best zone over the union.
//!
//! **Budget.** A term is bounded by a binary search between a value a model reaches and
//! the least bound proven so far (at first the rules' or the ranges'), so stopping early
//! still leaves a proven bound. Each query runs under Z3's resource limit
//! [`RLIMIT_PER_QUERY`], a deterministic count rather than a clock; a transfer asks at most
//! [`MAX_QUERIES`], and none after one runs out of resources (its formula is too hard): so the proof checker, which reruns the transfers, derives the same
//! zones the analysis did. Answers are remembered per thread by the query's text (loop
//! rounds, descending passes and the checker meet the same transfers again).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use bpfprove_domains::Relation;
use bpfprove_domains::check::z3word::Z3Word;
use bpfprove_semantics::alu;
use bpfprove_semantics::isa::{BinOp, Insn, Operand, Reg, Width};
use z3::ast::{BV, Bool};
use z3::{Params, SatResult, Solver};

use super::Env;
use crate::state::State;
use crate::value::Value;
use crate::zone::{Var, Zone};

/// Z3 resource units (its `rlimit`) one maximisation may use.
pub const RLIMIT_PER_QUERY: u32 = 4_000_000;

/// Most solver queries per transfer.
pub const MAX_QUERIES: usize = 32;

/// Bits of the integers the variables are read as: every variable lies in
/// `[-2^63, 2^64)`, so every difference fits in 66 bits; two more keep sums of a
/// difference and a constraint's constant clear of wrapping.
const INT_BITS: u32 = 68;

/// Constraints with a constant at least this large in magnitude say nothing a difference
/// of two variables can reach, and are not encoded.
const ENCODED_LIMIT: i128 = 1 << 66;

/// The variables of one transfer as Z3 terms, with what the state knows of them.
struct Encoding {
    /// Each variable's 64-bit word: a number, a packet offset, the packet's length.
    words: BTreeMap<Var, BV>,
    /// Each variable's integer range, from the non-relational values.
    ranges: BTreeMap<Var, (i128, i128)>,
    /// What the state before the instruction knows of them.
    facts: Vec<Bool>,
}

impl Encoding {
    /// The variables `vars` of `state`, with their bounds, known bits and the zone's
    /// constraints among them; `None` if some variable has no value (the state is empty).
    fn of(state: &State, vars: &[Var]) -> Option<Encoding> {
        let mut encoding = Encoding { words: BTreeMap::new(), ranges: BTreeMap::new(), facts: Vec::new() };
        for &var in vars {
            let word = BV::new_const(var.name(), 64);
            let range = match var {
                Var::Zero | Var::Old => continue,
                Var::Len => {
                    let min_len = BV::from_u64(state.packet.min_len, 64);
                    encoding.facts.push(word.bvuge(&min_len));
                    (i128::from(state.packet.min_len), i128::from(u64::MAX))
                }
                Var::Num(_) | Var::Slot { .. } => {
                    let n = state.zone_number(var)?;
                    encoding.facts.extend(facts_of(&word, n)?);
                    unsigned_range(n)?
                }
                Var::Off(r) => {
                    let Value::Pointer(p) = state.reg(r) else { return None };
                    encoding.facts.extend(facts_of(&word, &p.offset)?);
                    let (lo, hi) = p.offset.signed_bounds()?;
                    (i128::from(lo), i128::from(hi))
                }
            };
            encoding.words.insert(var, word);
            encoding.ranges.insert(var, range);
        }
        for (x, y, c) in state.zone.constraints() {
            if c.abs() < ENCODED_LIMIT
                && let (Some(ix), Some(iy)) = (encoding.int(x), encoding.int(y))
            {
                encoding.facts.push(ix.bvsub(&iy).bvsle(int_constant(c)));
            }
        }
        Some(encoding)
    }

    /// The least and greatest integer `var` may be, if it is encoded.
    fn range(&self, var: Var) -> Option<(i128, i128)> {
        if var == Var::Zero { Some((0, 0)) } else { self.ranges.get(&var).copied() }
    }

    /// `var` read as an integer of [`INT_BITS`] bits, if it is encoded.
    fn int(&self, var: Var) -> Option<BV> {
        let extend = INT_BITS - 64;
        match var {
            Var::Zero => Some(BV::from_u64(0, INT_BITS)),
            Var::Off(_) => self.words.get(&var).map(|w| w.sign_ext(extend)),
            Var::Num(_) | Var::Slot { .. } | Var::Len => self.words.get(&var).map(|w| w.zero_ext(extend)),
            Var::Old => None,
        }
    }
}

/// What the value `n` says of the word `word`; `None` if `n` is empty.
fn facts_of(word: &BV, n: &crate::value::Num) -> Option<Vec<Bool>> {
    let (lo, hi) = n.unsigned_bounds()?;
    let (slo, shi) = n.signed_bounds()?;
    let mut facts = vec![
        word.bvuge(BV::from_u64(lo, 64)),
        word.bvule(BV::from_u64(hi, 64)),
        word.bvsge(BV::from_i64(slo, 64)),
        word.bvsle(BV::from_i64(shi, 64)),
    ];
    if let Some(known) = n.known_bits()
        && known.mask != u64::MAX
    {
        let fixed = BV::from_u64(!known.mask, 64);
        facts.push(word.bvand(&fixed).eq(BV::from_u64(known.value, 64)));
    }
    Some(facts)
}

/// The unsigned bounds of `n` as integers; `None` if `n` is empty.
fn unsigned_range(n: &crate::value::Num) -> Option<(i128, i128)> {
    n.unsigned_bounds().map(|(lo, hi)| (i128::from(lo), i128::from(hi)))
}

/// `c` as an integer of [`INT_BITS`] bits (`|c| < 2^66`).
fn int_constant(c: i128) -> BV {
    let low = BV::from_u64(c as u64, 64);
    let high = BV::from_u64(((c >> 64) as u64) & 0xf, INT_BITS - 64);
    high.concat(&low)
}

/// The value of the [`INT_BITS`]-bit term `t` in `model`, as a signed integer.
fn int_value(model: &z3::Model, t: &BV) -> Option<i128> {
    let low = model.eval(&t.extract(63, 0), true)?.as_u64()?;
    let high = model.eval(&t.extract(INT_BITS - 1, 64), true)?.as_u64()?;
    let raw = (i128::from(high) << 64) | i128::from(low);
    // Sign-extend from bit INT_BITS - 1.
    let shift = 128 - INT_BITS;
    Some((raw << shift) >> shift)
}

/// A solver over the facts of one transfer that bounds terms from above.
struct Maximiser {
    solver: Solver,
    asked: usize,
    /// Whether a query ran out of its resources: the formula is too hard for the budget,
    /// and the rest of the transfer's terms keep what was known.
    gave_up: bool,
}

impl Maximiser {
    fn new(facts: &[Bool]) -> Maximiser {
        // The bit-vector logic's own solver answers these small queries about twice as fast
        // as the general one.
        let solver = Solver::new_for_logic("QF_BV").unwrap_or_default();
        let mut params = Params::new();
        params.set_u32("rlimit", RLIMIT_PER_QUERY);
        solver.set_params(&params);
        for fact in facts {
            solver.assert(fact);
        }
        Maximiser { solver, asked: 0, gave_up: false }
    }

    /// Whether the facts can hold at all: `false` only when Z3 proves they cannot.
    fn satisfiable(&mut self) -> bool {
        self.asked += 1;
        match self.solver.check() {
            SatResult::Unsat => false,
            SatResult::Sat => true,
            SatResult::Unknown => {
                self.gave_up = true;
                true
            }
        }
    }

    /// Whether `t >= value` can hold: `Some(model's t)` if it can, `Some(None)` if it
    /// cannot, `None` when Z3 gives up.
    fn reaches(&mut self, t: &BV, value: i128) -> Option<Option<i128>> {
        if self.gave_up || self.asked >= MAX_QUERIES {
            return None;
        }
        self.asked += 1;
        self.solver.push();
        self.solver.assert(t.bvsge(int_constant(value)));
        let answer = match self.solver.check() {
            SatResult::Sat => self.solver.get_model().and_then(|m| int_value(&m, t)).map(Some),
            SatResult::Unsat => Some(None),
            SatResult::Unknown => {
                self.gave_up = true;
                None
            }
        };
        self.solver.pop(1);
        answer
    }

    /// The least bound on the signed term `t` Z3 proves within budget, starting from
    /// `known`, a bound already proven: a binary search between a value `t` reaches and
    /// the least bound proven so far, so giving up half way still leaves a sound bound.
    fn maximum(&mut self, t: &BV, known: i128) -> i128 {
        let mut proven = match self.reaches(t, known) {
            Some(None) => known - 1,
            Some(Some(_)) | None => return known,
        };
        // The bounds that order two quantities (`x <= y`, `x < y`) are what safety needs
        // most: asked first, they need not wait for the search to narrow down to them.
        let mut reached = None;
        for probe in [1, 0] {
            if probe <= proven && reached.is_none() {
                match self.reaches(t, probe) {
                    Some(None) => proven = probe - 1,
                    Some(Some(value)) => reached = Some(value),
                    None => return proven,
                }
            }
        }
        // Any value of `t` the facts allow is a lower end.
        let Some(mut reached) = reached.or_else(|| self.reaches(t, -ENCODED_LIMIT).flatten()) else { return proven };
        while reached < proven && self.asked < MAX_QUERIES {
            let middle = reached + (proven - reached + 1) / 2;
            match self.reaches(t, middle) {
                Some(Some(v)) => reached = v,
                Some(None) => proven = middle - 1,
                None => break,
            }
        }
        proven
    }
}

/// A term to bound: `a - b`, as a Z3 term, with the bound already proven.
struct Term {
    a: Var,
    b: Var,
    term: BV,
    known: i128,
}

/// Bounds found for `(facts, terms)` queries, by their text: the analysis meets the same
/// transfer again (loop rounds, descending passes, the proof checker), and each answer is a
/// function of the query alone.
type Answers = HashMap<String, Option<Vec<i128>>>;

/// Most answers remembered per thread before the memory is cleared.
const MAX_ANSWERS: usize = 50_000;

thread_local! {
    static ANSWERS: RefCell<Answers> = RefCell::new(HashMap::new());
}

/// The bound Z3 proves for each of `terms` under `facts` (each no larger than its known
/// bound); `None` if Z3 proves the facts cannot hold.
fn bounds_under(facts: &[Bool], terms: &[Term]) -> Option<Vec<i128>> {
    let mut maximiser = Maximiser::new(facts);
    let mut key = maximiser.solver.to_string();
    for t in terms {
        key.push_str(&format!("|{}-{}<={}", t.a.name(), t.b.name(), t.known));
    }
    if let Some(answer) = ANSWERS.with(|answers| answers.borrow().get(&key).cloned()) {
        return answer;
    }
    let answer = if maximiser.satisfiable() {
        Some(terms.iter().map(|t| maximiser.maximum(&t.term, t.known)).collect())
    } else {
        None
    };
    ANSWERS.with(|answers| {
        let mut answers = answers.borrow_mut();
        if answers.len() >= MAX_ANSWERS {
            answers.clear();
        }
        answers.insert(key, answer.clone());
    });
    answer
}

/// The terms `x - y` and `y - x` for each `y` of `others`, with what `zone` and the ranges
/// already bound them by.
fn terms_of(encoding: &Encoding, zone: &Zone, x: Var, others: &[Var]) -> Vec<Term> {
    let Some(ix) = encoding.int(x) else { return Vec::new() };
    let mut terms = Vec::new();
    for &y in others.iter().filter(|&&y| y != x) {
        let Some(iy) = encoding.int(y) else { continue };
        for (a, b, term) in [(x, y, ix.bvsub(&iy)), (y, x, iy.bvsub(&ix))] {
            let (Some((_, a_hi)), Some((b_lo, _))) = (encoding.range(a), encoding.range(b)) else { continue };
            let known = zone.bound(a, b).map_or(a_hi - b_lo, |c| c.min(a_hi - b_lo));
            terms.push(Term { a, b, term, known });
        }
    }
    terms
}

/// What Z3 found for one transfer.
enum Found {
    /// Nothing to ask, or nothing tighter than what was known.
    Nothing,
    /// The facts cannot hold: the state is unreachable.
    Contradiction,
    /// `a - b <= c` for each `(a, b, c)`, each tighter than what was known.
    Bounds(Vec<(Var, Var, i128)>),
}

impl Found {
    /// What bounding `terms` under `facts` finds.
    fn of(facts: &[Bool], terms: &[Term]) -> Found {
        if terms.is_empty() {
            return Found::Nothing;
        }
        match bounds_under(facts, terms) {
            None => Found::Contradiction,
            Some(bounds) => Found::Bounds(
                terms.iter().zip(bounds).filter(|(t, c)| *c < t.known).map(|(t, c)| (t.a, t.b, c)).collect(),
            ),
        }
    }
}

/// Runs `query` in a fresh Z3 context: Z3's answers under a resource limit depend on what
/// its context has seen before, and the proof checker must find what the analysis found.
fn in_fresh_context<R: Send + Sync>(query: impl FnOnce() -> R + Send + Sync) -> R {
    z3::with_z3_config(&z3::Config::new(), query)
}

/// The variables worth relating to the instruction's registers `operands`: those and every
/// variable the zone relates to something other than 0. (A variable's relation to 0, its
/// bounds, is the values' job: the zone takes them from there.)
fn candidates(state: &State, operands: &[Var]) -> Vec<Var> {
    let mut vars: Vec<Var> = operands.to_vec();
    for (x, y, _) in state.zone.constraints() {
        if x != Var::Zero && y != Var::Zero {
            vars.extend([x, y]);
        }
    }
    vars.sort();
    vars.dedup();
    vars
}

/// The word `src` reads: a register's variable or an immediate, sign-extended.
fn source_word(encoding: &Encoding, src: Operand) -> Z3Word {
    match src {
        Operand::Reg(r) => Z3Word(encoding.words[&Var::Num(r)].clone()),
        Operand::Imm(imm) => Z3Word(BV::from_u64(i64::from(imm) as u64, 64)),
    }
}

/// An ALU instruction's question to Z3, decided without it: what is written, and the
/// variables its new value may be related to (at least one).
struct AluQuestion {
    width: Width,
    op: BinOp,
    dst: Reg,
    src: Operand,
    /// The variables besides the written one.
    others: Vec<Var>,
    /// The new value's unsigned range.
    result_range: (i128, i128),
}

impl AluQuestion {
    /// The question `insn`, run from `before` to `after`, asks; `None` when there is none.
    fn of(before: &State, after: &State, insn: &Insn) -> Option<AluQuestion> {
        let Insn::Alu { width, op, dst, src } = *insn else { return None };
        // A constant's relations are its bounds', which the zone gets anyway.
        if op == BinOp::Mov && matches!(src, Operand::Imm(_)) {
            return None;
        }
        let (Value::Scalar(_), Value::Scalar(result_value)) = (before.reg(dst), after.reg(dst)) else { return None };
        let source = match src {
            Operand::Reg(r) if !matches!(before.reg(r), Value::Scalar(_)) => return None,
            Operand::Reg(r) => Some(Var::Num(r)),
            Operand::Imm(_) => None,
        };
        let written = Var::Num(dst);
        let mut others = candidates(before, &[Some(written), source].into_iter().flatten().collect::<Vec<_>>());
        others.retain(|&v| v != written);
        let result_range = unsigned_range(result_value)?;
        (!others.is_empty()).then_some(AluQuestion { width, op, dst, src, others, result_range })
    }

    /// What Z3 finds of the new number beyond `zone` (the rules' zone after the
    /// instruction).
    fn answer(&self, before: &State, zone: &Zone) -> Found {
        let written = Var::Num(self.dst);
        let vars: Vec<Var> = self.others.iter().copied().chain([written]).collect();
        let Some(mut encoding) = Encoding::of(before, &vars) else { return Found::Nothing };
        let old = Z3Word(encoding.words[&written].clone());
        let result = alu::binary(self.op, self.width, &old, &source_word(&encoding, self.src)).0;
        // From here on `dst`'s variable is its new number; the facts name the old one's word.
        let new = BV::new_const("new", 64);
        encoding.facts.push(new.eq(&result));
        encoding.words.insert(written, new);
        encoding.ranges.insert(written, self.result_range);
        Found::of(&encoding.facts, &terms_of(&encoding, zone, written, &self.others))
    }
}

/// A branch edge's question to Z3, decided without it: the compared numbers and the
/// variables to relate them to (something besides a lone operand).
struct EdgeQuestion {
    /// The compared registers' variables, `dst`'s first.
    operands: Vec<Var>,
    /// Those and the variables the zone relates to something other than 0.
    vars: Vec<Var>,
}

impl EdgeQuestion {
    /// The question `if dst ... src` asks of `before`; `None` when there is none.
    fn of(before: &State, dst: Reg, src: Operand) -> Option<EdgeQuestion> {
        let is_number = |r: Reg| matches!(before.reg(r), Value::Scalar(_));
        let source = match src {
            Operand::Reg(r) if !is_number(r) => return None,
            Operand::Reg(r) => Some(Var::Num(r)),
            Operand::Imm(_) => None,
        };
        if !is_number(dst) {
            return None;
        }
        let operands: Vec<Var> = [Some(Var::Num(dst)), source].into_iter().flatten().collect();
        let vars = candidates(before, &operands);
        (vars.len() >= 2).then_some(EdgeQuestion { operands, vars })
    }

    /// What Z3 finds of the compared numbers on the edge where `relation` holds, beyond
    /// `zone` (the rules' zone on that edge).
    fn answer(&self, before: &State, width: Width, relation: Relation, src: Operand, zone: &Zone) -> Found {
        let Some(mut encoding) = Encoding::of(before, &self.vars) else { return Found::Nothing };
        let dst_word = Z3Word(encoding.words[&self.operands[0]].clone());
        encoding.facts.push(relation.holds(width, &dst_word, &source_word(&encoding, src)).0);
        let mut terms = Vec::new();
        for &x in &self.operands {
            terms.extend(terms_of(&encoding, zone, x, &self.vars).into_iter().filter(|t| {
                // A pair of operands comes up twice.
                !(self.operands.contains(&t.a) && self.operands.contains(&t.b) && x != self.operands[0])
            }));
        }
        Found::of(&encoding.facts, &terms)
    }
}

impl Env<'_> {
    /// Tightens `zone` (the rules' zone after `insn`, run from `before` to `after`) with
    /// what Z3 finds of the number an ALU instruction writes (other instructions: nothing).
    pub(super) fn z3_zone_after(&self, before: &State, after: &State, insn: &Insn, zone: &mut Zone) {
        let Some(question) = AluQuestion::of(before, after, insn) else { return };
        let rules = &*zone;
        match in_fresh_context(|| question.answer(before, rules)) {
            Found::Nothing => {}
            Found::Bounds(bounds) => {
                if !bounds.into_iter().all(|(a, b, c)| zone.add(a, b, c))
                    && let Insn::Alu { dst, .. } = insn
                {
                    // Only possible if the state before was empty: forgetting is sound.
                    zone.forget_reg(*dst);
                }
            }
            // Only if the state before was empty; the rules' zone stays (sound).
            Found::Contradiction => {}
        }
    }

    /// Tightens `edge`'s zone (the rules' zone on the edge of `if dst cond src` where
    /// `relation` holds) with what Z3 finds of the compared registers; `false` if Z3 shows
    /// the edge cannot be taken.
    pub(super) fn z3_zone_on_edge(
        &self,
        before: &State,
        width: Width,
        relation: Relation,
        dst: Reg,
        src: Operand,
        edge: &mut State,
    ) -> bool {
        let Some(question) = EdgeQuestion::of(before, dst, src) else { return true };
        let rules = &edge.zone;
        match in_fresh_context(|| question.answer(before, width, relation, src, rules)) {
            Found::Nothing => true,
            Found::Contradiction => false,
            Found::Bounds(bounds) => bounds.into_iter().all(|(a, b, c)| edge.zone.add(a, b, c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_round_trip_through_the_wide_integers() {
        let solver = z3::Solver::new();
        assert_eq!(solver.check(), SatResult::Sat);
        let model = solver.get_model().expect("a model");
        for c in [0, 1, -1, 5, -5, i128::from(u64::MAX), -i128::from(u64::MAX), (1 << 65) + 3, -(1 << 65) - 3] {
            assert_eq!(int_value(&model, &int_constant(c)), Some(c), "{c}");
        }
    }
}
