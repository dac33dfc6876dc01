//! Zones (`--domain zone`): what they prove that the product does not, the proof log's zone
//! constraints (re-checked, and refused when they do not hold), and the bit-vector facts
//! the zone transfer rests on, proven by Z3 over the one semantics.

use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_analyzer::proof::{self, CheckError, Invariants, ProofLog};
use bpfprove_analyzer::spec::ProgramSpec;
use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_domains::Relation;
use bpfprove_domains::check::z3word::Z3Word;
use bpfprove_semantics::alu;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::isa::{BinOp, Cond, Width};
use bpfprove_semantics::program::Program;
use serde_json::Value as Json;
use z3::ast::{BV, Bool};
use z3::{SatResult, Solver};

fn program(text: &str) -> Program {
    asm::llvm::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn subject(program: &Program) -> Subject<'_> {
    let mut subject = Subject::bare("test", program, ProgramType::Xdp);
    subject.spec = ProgramSpec::of(ProgramType::Xdp);
    subject
}

fn zone() -> Config {
    Config::of_spec(DomainSpec::with_zones(DomainKind::Product))
}

/// The log of `subject` keeping every pc's state, so that forgeries can reach them all.
fn log_of(subject: &Subject, config: &Config) -> Json {
    log_keeping(subject, config, Invariants::EveryPc)
}

fn log_keeping(subject: &Subject, config: &Config, invariants: Invariants) -> Json {
    let report = Verifier::new(config.clone()).verify(subject);
    let log = proof::log_of("test", b"", config, &[(subject.clone(), report)], invariants, None);
    serde_json::to_value(log).expect("serialises")
}

fn check(json: &Json, subject: &Subject) -> Result<(), CheckError> {
    let log: ProofLog = serde_json::from_value(json.clone()).expect("reads back");
    proof::check_subject(&log, &log.programs[0], subject).map(|_| ())
}

/// `off < len` and `data + 2 + len <= data_end`: the byte at `data + 2 + off` exists.
const OFFSET_BELOW_LENGTH: &str = "
r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = r1
r3 += 2
if r3 > r2 goto out
r4 = *(u8 *)(r1 + 0)
r3 += r4
if r3 > r2 goto out
r2 = *(u8 *)(r1 + 1)
if w2 >= w4 goto out
r1 += r2
r0 = *(u8 *)(r1 + 2)
out:
r0 = 2
exit
";

#[test]
fn zones_prove_what_the_product_cannot_and_their_log_checks() {
    let program = program(OFFSET_BELOW_LENGTH);
    let subject = subject(&program);
    let product = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
    assert_eq!(product.verdict, Verdict::Fail, "the product sees no relation");
    for invariants in [Invariants::CutPoints, Invariants::EveryPc] {
        let json = log_keeping(&subject, &zone(), invariants);
        assert_eq!(json["options"]["domain"], "zone");
        assert_eq!(json["programs"][0]["verdict"], "pass");
        check(&json, &subject)
            .unwrap_or_else(|e| panic!("the verifier's own zone log ({invariants:?}) is invalid: {e}"));
    }
}

/// The zone constraints of every logged state, as (context, invariant) positions.
fn zoned_states(json: &Json) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (c, context) in json["programs"][0]["contexts"].as_array().expect("contexts").iter().enumerate() {
        for (i, inv) in context["invariants"].as_array().expect("invariants").iter().enumerate() {
            if inv["state"]["zone"].as_array().is_some_and(|z| !z.is_empty()) {
                out.push((c, i));
            }
        }
    }
    out
}

/// A logged zone constraint tightened by one, wherever it is, makes the log refused: the
/// checker's own transfer does not imply it (or it contradicts the state).
#[test]
fn a_tightened_zone_constraint_is_refused() {
    let program = program(OFFSET_BELOW_LENGTH);
    let subject = subject(&program);
    let json = log_of(&subject, &zone());
    let states = zoned_states(&json);
    assert!(states.len() >= 4, "{} states with zones", states.len());
    let mut tried = 0;
    for (c, i) in states {
        let constraints =
            json["programs"][0]["contexts"][c]["invariants"][i]["state"]["zone"].as_array().expect("zone").len();
        for k in 0..constraints {
            let mut forged = json.clone();
            let constraint = &mut forged["programs"][0]["contexts"][c]["invariants"][i]["state"]["zone"][k];
            // Bounds the values themselves imply (against `zero`) may be implied by the
            // non-relational part too; tighten only relations between two variables.
            if constraint["x"] == "zero" || constraint["y"] == "zero" {
                continue;
            }
            let bound: i128 = constraint["bound"].as_str().expect("a bound").parse().expect("decimal");
            constraint["bound"] = Json::from((bound - 1).to_string());
            tried += 1;
            assert!(
                check(&forged, &subject).is_err(),
                "context {c}, invariant {i}, constraint {k}: a tightened relation is accepted"
            );
        }
    }
    assert!(tried >= 4, "only {tried} relations tightened");
}

#[test]
fn a_forged_relation_is_refused_and_a_malformed_one_is_an_error() {
    let program = program(OFFSET_BELOW_LENGTH);
    let subject = subject(&program);
    let json = log_of(&subject, &zone());
    let (c, i) = zoned_states(&json)[0];
    let mut forged = json.clone();
    forged["programs"][0]["contexts"][c]["invariants"][i]["state"]["zone"]
        .as_array_mut()
        .expect("zone")
        .push(serde_json::json!({ "x": "len", "y": "zero", "bound": "0" }));
    assert!(check(&forged, &subject).is_err(), "an empty packet claimed where it need not be");
    for bad in [
        serde_json::json!({ "x": "num:r11", "y": "zero", "bound": "0" }),
        serde_json::json!({ "x": "len", "y": "zero", "bound": "one" }),
        serde_json::json!({ "x": "old", "y": "zero", "bound": "0" }),
    ] {
        let mut forged = json.clone();
        forged["programs"][0]["contexts"][c]["invariants"][i]["state"]["zone"]
            .as_array_mut()
            .expect("zone")
            .push(bad.clone());
        let error = check(&forged, &subject).expect_err("malformed");
        assert!(error.reason.contains("zone"), "{bad}: {error}");
    }
    // A log made without zones is checked without them: its states carry none.
    let plain = log_of(&subject, &Config::standard(DomainKind::Product));
    assert!(zoned_states(&plain).is_empty());
    check(&plain, &subject).expect("the product's log is valid");
}

// ---- Z3: the bit-vector facts behind the transfer ----

fn word(name: &str) -> Z3Word {
    Z3Word::fresh(name, 64)
}

/// The mathematical integer of an unsigned word, in 128 bits.
fn unsigned(w: &Z3Word) -> BV {
    w.0.zero_ext(64)
}

/// The mathematical integer of a signed word, in 128 bits.
fn signed(w: &Z3Word) -> BV {
    w.0.sign_ext(64)
}

fn wide(c: i64) -> BV {
    BV::from_i64(c, 128)
}

/// `premise ⇒ conclusion` for every value of the free words.
fn valid(premise: &Bool, conclusion: &Bool) -> bool {
    let solver = Solver::new();
    solver.assert(premise);
    solver.assert(conclusion.not());
    solver.check() == SatResult::Unsat
}

fn below(w: &Z3Word, bits: u32) -> Bool {
    unsigned(w).bvult(BV::from_u64(1, 128).bvshl(BV::from_u64(u64::from(bits), 128)))
}

#[test]
fn z3_adding_without_wrap_is_the_mathematical_sum() {
    let (x, y) = (word("x"), word("y"));
    let sum = alu::binary(BinOp::Add, Width::W64, &x, &y);
    let no_wrap = unsigned(&x).bvadd(unsigned(&y)).bvule(BV::from_u64(u64::MAX, 128));
    // dst' - src = dst and dst' - dst = src.
    assert!(valid(&no_wrap, &unsigned(&sum).bvsub(unsigned(&y)).eq(unsigned(&x))));
    // A constant: imm sign-extended, the sum in [0, 2^64).
    let c = Z3Word(BV::fresh_const("c", 32).sign_ext(32));
    let sum = alu::binary(BinOp::Add, Width::W64, &x, &c);
    let exact = unsigned(&x).bvadd(signed(&c));
    let in_range = Bool::and(&[&exact.bvsge(wide(0)), &exact.bvslt(BV::from_u64(1, 128).bvshl(BV::from_u64(64, 128)))]);
    assert!(valid(&in_range, &unsigned(&sum).eq(&exact)));
    // Without the premise it fails (the wrap the adversarial suite attacks).
    assert!(!valid(&Bool::from_bool(true), &unsigned(&sum).eq(&exact)));
}

#[test]
fn z3_subtracting_what_cannot_exceed_is_the_mathematical_difference() {
    let (x, y) = (word("x"), word("y"));
    let diff = alu::binary(BinOp::Sub, Width::W64, &x, &y);
    assert!(valid(&unsigned(&y).bvule(unsigned(&x)), &unsigned(&diff).eq(unsigned(&x).bvsub(unsigned(&y)))));
    assert!(!valid(&Bool::from_bool(true), &unsigned(&diff).eq(unsigned(&x).bvsub(unsigned(&y)))));
    // Pointers: (data + p) - (data + q) with q <= p, offsets small: p - q.
    let data = word("data");
    let (p, q) = (Z3Word(BV::fresh_const("p", 32).sign_ext(32)), Z3Word(BV::fresh_const("q", 32).sign_ext(32)));
    let small = |o: &Z3Word| Bool::and(&[&signed(o).bvsgt(wide(-(1 << 31))), &signed(o).bvslt(wide(1 << 31))]);
    let (a, b) = (alu::binary(BinOp::Add, Width::W64, &data, &p), alu::binary(BinOp::Add, Width::W64, &data, &q));
    let diff = alu::binary(BinOp::Sub, Width::W64, &a, &b);
    let premise = Bool::and(&[&small(&p), &small(&q), &signed(&q).bvsle(signed(&p))]);
    assert!(valid(&premise, &unsigned(&diff).eq(signed(&p).bvsub(signed(&q)))));
}

#[test]
fn z3_a_32_bit_copy_of_a_32_bit_number_is_a_copy() {
    let x = word("x");
    let copy = alu::binary(BinOp::Mov, Width::W32, &word("old"), &x);
    assert!(valid(&below(&x, 32), &unsigned(&copy).eq(unsigned(&x))));
    assert!(!valid(&Bool::from_bool(true), &unsigned(&copy).eq(unsigned(&x))));
}

/// The constraint the zone adds on the edge where `x cond y` holds: `x - y <= c` or
/// `y - x <= c` (as the transfer's table).
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

const CONDS: [Cond; 10] =
    [Cond::Eq, Cond::Ne, Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le, Cond::SGt, Cond::SGe, Cond::SLt, Cond::SLe];

#[test]
fn z3_number_comparisons_order_the_numbers_where_the_zone_uses_them() {
    let (x, y) = (word("x"), word("y"));
    for cond in CONDS {
        let signed_cond = matches!(cond, Cond::SGt | Cond::SGe | Cond::SLt | Cond::SLe);
        for (width, bits) in
            [(Width::W64, if signed_cond { 63 } else { 64 }), (Width::W32, if signed_cond { 31 } else { 32 })]
        {
            let Some(constraint) = edge_constraint(cond, &unsigned(&x), &unsigned(&y)) else { continue };
            let holds = Relation::Holds(cond).holds(width, &x, &y).0;
            let premise = if bits == 64 { holds } else { Bool::and(&[&holds, &below(&x, bits), &below(&y, bits)]) };
            assert!(valid(&premise, &constraint), "{cond:?} at {width:?}");
        }
    }
}

#[test]
fn z3_small_packet_offsets_compare_as_their_addresses() {
    let data = word("data");
    let (p, q) = (Z3Word(BV::fresh_const("p", 32).sign_ext(32)), Z3Word(BV::fresh_const("q", 32).sign_ext(32)));
    let small = |o: &Z3Word| Bool::and(&[&signed(o).bvsgt(wide(-(1 << 31))), &signed(o).bvslt(wide(1 << 31))]);
    // Regions lie in [2^32, 2^48) (the interpreter) or the top half away from its ends
    // (the kernel): see `value::SMALL_OFFSET`.
    let d = unsigned(&data);
    let placed = Bool::or(&[
        &Bool::and(&[&d.bvuge(wide(1 << 32)), &d.bvult(wide(1 << 48))]),
        &Bool::and(&[
            &d.bvuge(BV::from_u64((1 << 63) + (1 << 32), 128)),
            &d.bvule(BV::from_u64(u64::MAX - (1 << 33), 128)),
        ]),
    ]);
    let (a, b) = (alu::binary(BinOp::Add, Width::W64, &data, &p), alu::binary(BinOp::Add, Width::W64, &data, &q));
    for cond in CONDS {
        let Some(constraint) = edge_constraint(cond, &signed(&p), &signed(&q)) else { continue };
        let holds = Relation::Holds(cond).holds(Width::W64, &a, &b).0;
        let premise = Bool::and(&[&placed, &small(&p), &small(&q), &holds]);
        assert!(valid(&premise, &constraint), "{cond:?}");
    }
}
