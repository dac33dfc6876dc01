//! The bit-vector facts the zone rules ([`crate::transfer`]'s zone transfer) rest on, stated
//! over the one semantics (`bpfprove_semantics::alu` over [`Z3Word`]) for Z3 to prove at
//! 64 bits: that machine arithmetic is mathematical arithmetic where the rules say so, and
//! that a branch orders the quantities as the edge's constraint says. `prove-domains --z3`
//! reports them as the zone's rows; the analyzer's tests also check that every premise is
//! needed (without it the fact is refuted).
//!
//! Quantities are read as integers of 128 bits: a number unsigned (zero-extended), a packet
//! offset signed (sign-extended).

use std::time::{Duration, Instant};

use bpfprove_domains::Relation;
use bpfprove_domains::check::z3word::Z3Word;
use bpfprove_semantics::alu;
use bpfprove_semantics::isa::{BinOp, Cond, Width};
use z3::ast::{BV, Bool};
use z3::{Params, SatResult, Solver};

/// One fact: whenever `premise` holds, so does `conclusion`.
pub struct ZoneFact {
    /// What it says, as the report prints it.
    pub name: String,
    /// What the rule checks before using it.
    pub premise: Bool,
    /// What the rule then adds to the zone.
    pub conclusion: Bool,
}

/// What Z3 said about a fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactVerdict {
    /// It holds for every value.
    Proven,
    /// A counterexample (Z3's model).
    Refuted(String),
    /// Z3 gave up (the reason).
    Unknown(String),
}

impl std::fmt::Display for FactVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactVerdict::Proven => f.write_str("proven"),
            FactVerdict::Refuted(model) => write!(f, "UNSOUND({model})"),
            FactVerdict::Unknown(reason) => write!(f, "unknown({reason})"),
        }
    }
}

impl ZoneFact {
    /// Whether the fact holds, within `timeout`; and the time taken.
    pub fn prove(&self, timeout: Duration) -> (FactVerdict, Duration) {
        implies(&self.premise, &self.conclusion, timeout)
    }

    /// Whether the conclusion holds without the premise (it should not: the premise is
    /// what the rule checks).
    pub fn holds_without_premise(&self, timeout: Duration) -> FactVerdict {
        implies(&Bool::from_bool(true), &self.conclusion, timeout).0
    }
}

fn implies(premise: &Bool, conclusion: &Bool, timeout: Duration) -> (FactVerdict, Duration) {
    let started = Instant::now();
    let solver = Solver::new();
    let mut params = Params::new();
    params.set_u32("timeout", u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX));
    solver.set_params(&params);
    solver.assert(premise);
    solver.assert(conclusion.not());
    let verdict = match solver.check() {
        SatResult::Unsat => FactVerdict::Proven,
        SatResult::Sat => FactVerdict::Refuted(solver.get_model().map(|m| m.to_string()).unwrap_or_default()),
        SatResult::Unknown => FactVerdict::Unknown(solver.get_reason_unknown().unwrap_or_default()),
    };
    (verdict, started.elapsed())
}

fn word(name: &str) -> Z3Word {
    Z3Word::fresh(name, 64)
}

/// The integer of an unsigned word.
fn unsigned(w: &Z3Word) -> BV {
    w.0.zero_ext(64)
}

/// The integer of a signed word.
fn signed(w: &Z3Word) -> BV {
    w.0.sign_ext(64)
}

fn wide(c: i64) -> BV {
    BV::from_i64(c, 128)
}

/// `w < 2^bits`, unsigned.
fn below(w: &Z3Word, bits: u32) -> Bool {
    unsigned(w).bvult(BV::from_u64(1, 128).bvshl(BV::from_u64(u64::from(bits), 128)))
}

/// A 32-bit immediate or offset, sign-extended to 64 bits as the ISA does.
fn sign_extended_32(name: &str) -> Z3Word {
    Z3Word(BV::fresh_const(name, 32).sign_ext(32))
}

/// `|o| < 2^31`: a small packet offset.
fn small(o: &Z3Word) -> Bool {
    Bool::and(&[&signed(o).bvsgt(wide(-(1 << 31))), &signed(o).bvslt(wide(1 << 31))])
}

/// The comparisons a branch may make.
const CONDS: [Cond; 10] =
    [Cond::Eq, Cond::Ne, Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le, Cond::SGt, Cond::SGe, Cond::SLt, Cond::SLe];

/// The constraint the zone adds on the edge where `x cond y` holds (the transfer's table);
/// `None` where it adds none.
fn edge_constraint(cond: Cond, x: &BV, y: &BV) -> Option<Bool> {
    Some(match cond {
        Cond::Gt | Cond::SGt => y.bvsub(x).bvsle(wide(-1)),
        Cond::Ge | Cond::SGe => y.bvsub(x).bvsle(wide(0)),
        Cond::Lt | Cond::SLt => x.bvsub(y).bvsle(wide(-1)),
        Cond::Le | Cond::SLe => x.bvsub(y).bvsle(wide(0)),
        Cond::Eq => x.eq(y),
        Cond::Ne | Cond::Set => return None,
    })
}

/// Every fact the zone rules rest on.
pub fn facts() -> Vec<ZoneFact> {
    let mut facts = Vec::new();
    let mut fact = |name: String, premise: Bool, conclusion: Bool| facts.push(ZoneFact { name, premise, conclusion });
    let (x, y) = (word("x"), word("y"));

    // dst += src without wrap: dst' - src = dst (and dst' - dst = src).
    let sum = alu::binary(BinOp::Add, Width::W64, &x, &y);
    let no_wrap = unsigned(&x).bvadd(unsigned(&y)).bvule(BV::from_u64(u64::MAX, 128));
    fact("add64 reg: no wrap => the sum".into(), no_wrap, unsigned(&sum).bvsub(unsigned(&y)).eq(unsigned(&x)));

    // dst += imm: imm sign-extended, the sum in [0, 2^64).
    let c = sign_extended_32("c");
    let sum = alu::binary(BinOp::Add, Width::W64, &x, &c);
    let exact = unsigned(&x).bvadd(signed(&c));
    let in_range = Bool::and(&[&exact.bvsge(wide(0)), &exact.bvslt(BV::from_u64(1, 128).bvshl(BV::from_u64(64, 128)))]);
    fact("add64 imm: sum in [0, 2^64) => the sum".into(), in_range, unsigned(&sum).eq(&exact));

    // dst -= src where src cannot exceed dst.
    let difference = alu::binary(BinOp::Sub, Width::W64, &x, &y);
    fact(
        "sub64 reg: src <= dst => the difference".into(),
        unsigned(&y).bvule(unsigned(&x)),
        unsigned(&difference).eq(unsigned(&x).bvsub(unsigned(&y))),
    );

    // (data + p) - (data + q) with q <= p, offsets small: p - q.
    let data = word("data");
    let (p, q) = (sign_extended_32("p"), sign_extended_32("q"));
    let (a, b) = (alu::binary(BinOp::Add, Width::W64, &data, &p), alu::binary(BinOp::Add, Width::W64, &data, &q));
    let difference = alu::binary(BinOp::Sub, Width::W64, &a, &b);
    fact(
        "sub64 packet pointers: q <= p, small offsets => p - q".into(),
        Bool::and(&[&small(&p), &small(&q), &signed(&q).bvsle(signed(&p))]),
        unsigned(&difference).eq(signed(&p).bvsub(signed(&q))),
    );

    // wdst = wsrc of a 32-bit number: a copy.
    let copy = alu::binary(BinOp::Mov, Width::W32, &word("old"), &x);
    fact("mov32: src < 2^32 => a copy".into(), below(&x, 32), unsigned(&copy).eq(unsigned(&x)));

    // Numbers compared: where the transfer uses them, they order as the words.
    for cond in CONDS {
        let signed_cond = matches!(cond, Cond::SGt | Cond::SGe | Cond::SLt | Cond::SLe);
        for (width, bits) in
            [(Width::W64, if signed_cond { 63 } else { 64 }), (Width::W32, if signed_cond { 31 } else { 32 })]
        {
            let Some(constraint) = edge_constraint(cond, &unsigned(&x), &unsigned(&y)) else { continue };
            let holds = Relation::Holds(cond).holds(width, &x, &y).0;
            let (premise, guard) = if bits == 64 {
                (holds, String::new())
            } else {
                (Bool::and(&[&holds, &below(&x, bits), &below(&y, bits)]), format!(", both < 2^{bits}"))
            };
            let bits_of = if width == Width::W64 { 64 } else { 32 };
            fact(format!("numbers: {cond:?}{bits_of}{guard} => the edge's constraint"), premise, constraint);
        }
    }

    // Packet pointers compared: small offsets order as their addresses. Regions lie in
    // [2^32, 2^48) (the interpreter) or the top half away from its ends (the kernel): see
    // `value::SMALL_OFFSET`.
    let d = unsigned(&data);
    let placed = Bool::or(&[
        &Bool::and(&[&d.bvuge(wide(1 << 32)), &d.bvult(wide(1 << 48))]),
        &Bool::and(&[
            &d.bvuge(BV::from_u64((1 << 63) + (1 << 32), 128)),
            &d.bvule(BV::from_u64(u64::MAX - (1 << 33), 128)),
        ]),
    ]);
    for cond in CONDS {
        let Some(constraint) = edge_constraint(cond, &signed(&p), &signed(&q)) else { continue };
        let holds = Relation::Holds(cond).holds(Width::W64, &a, &b).0;
        fact(
            format!("packet pointers: {cond:?}64, small offsets => the edge's constraint"),
            Bool::and(&[&placed, &small(&p), &small(&q), &holds]),
            constraint,
        );
    }
    facts
}
