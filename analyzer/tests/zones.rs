//! Zones (`--domain zone`): what they prove that the product does not, the proof log's zone
//! constraints (re-checked, and refused when they do not hold), and the bit-vector facts
//! the zone transfer rests on, proven by Z3 over the one semantics.

use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_analyzer::proof::{self, CheckError, Invariants, ProofLog};
use bpfprove_analyzer::spec::ProgramSpec;
use bpfprove_analyzer::zone_facts::{self, FactVerdict};
use bpfprove_analyzer::{Config, ObligationKind, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::program::Program;
use serde_json::Value as Json;
use std::time::Duration;

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

/// `off < len` and `data + 2 + len <= data_end` learned in registers (`data` in r1, `off` in
/// r2, `len` in r4, the context kept in r9), then `use`, which reads `data + 2 + off`.
fn offset_below_length(then: &str) -> String {
    format!(
        "
r9 = r1
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
{then}
r0 = *(u8 *)(r1 + 2)
out:
r0 = 2
exit
"
    )
}

/// The byte at `data + 2 + off` read straight after the checks.
fn offset_below_length_read() -> String {
    offset_below_length("r1 += r2")
}

#[test]
fn zones_prove_what_the_product_cannot_and_their_log_checks() {
    let program = program(&offset_below_length_read());
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
    let program = program(&offset_below_length_read());
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
    let program = program(&offset_below_length_read());
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

// ---- Stack slots as zone variables ----

/// `off < len` learned in a register, the register spilled and overwritten (its relation
/// now lives in the slot only), then filled back and used: `between` runs between the
/// spill and the fill.
fn spilled_offset(between: &str) -> String {
    offset_below_length(&format!(
        "*(u64 *)(r10 - 8) = r2\nr2 = 0\nr6 = r4\nr4 = 0\n{between}\nr5 = *(u64 *)(r10 - 8)\nr1 += r5"
    ))
}

#[test]
fn a_spilled_relation_survives_the_register_and_its_log_checks() {
    let program = program(&spilled_offset(""));
    let subject = subject(&program);
    let product = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
    assert_eq!(product.verdict, Verdict::Fail, "the product sees no relation");
    let json = log_of(&subject, &zone());
    assert_eq!(json["programs"][0]["verdict"], "pass", "the slot keeps off < len");
    let names: Vec<&str> = json["programs"][0]["contexts"][0]["invariants"]
        .as_array()
        .expect("invariants")
        .iter()
        .flat_map(|inv| inv["state"]["zone"].as_array().into_iter().flatten())
        .flat_map(|c| [c["x"].as_str(), c["y"].as_str()])
        .flatten()
        .collect();
    assert!(names.contains(&"slot:0:-8"), "the log names the slot: {names:?}");
    check(&json, &subject).unwrap_or_else(|e| panic!("the verifier's own slot log is invalid: {e}"));
    let z3 = Verifier::new(Config::of_spec(DomainSpec::with_z3_zones(DomainKind::Product))).verify(&subject);
    assert_eq!(z3.verdict, Verdict::Pass, "zone-z3 encodes the slot too");
}

/// Every way of changing the slot's bytes between the spill and the fill forgets what the
/// slot was known to hold; each of these programs may read past the packet.
#[test]
fn a_slot_written_between_spill_and_fill_loses_its_relation() {
    let twins = [
        ("an 8-byte store of another number", "r6 = 255\n*(u64 *)(r10 - 8) = r6"),
        ("an 8-byte store of a constant", "*(u64 *)(r10 - 8) = 255"),
        ("a store of its low byte", "*(u8 *)(r10 - 8) = 255"),
        ("a store of its high half", "r6 = 1\n*(u32 *)(r10 - 4) = r6"),
        ("a store straddling it", "r6 = 0xff00000000 ll\n*(u64 *)(r10 - 12) = r6"),
        ("an atomic add", "r6 = 200\nlock *(u64 *)(r10 - 8) += r6"),
        (
            "a store through a stack pointer of unknown offset",
            "r6 = *(u8 *)(r1 + 1)\nr6 &= 8\nr7 = r10\nr7 -= 16\nr7 += r6\nr6 = 255\n*(u64 *)(r7 + 0) = r6",
        ),
        ("a call that writes the stack", "r8 = r1\nr1 = r9\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall 189\nr1 = r8"),
    ];
    for (what, between) in twins {
        let program = program(&spilled_offset(&between.replace("\\n", "\n")));
        let subject = subject(&program);
        for config in [zone(), Config::of_spec(DomainSpec::with_z3_zones(DomainKind::Product))] {
            let report = Verifier::new(config).verify(&subject);
            assert_eq!(report.verdict, Verdict::Fail, "{what}: accepted");
            let failures = report.failures();
            assert!(
                failures.iter().all(|o| o.kind == ObligationKind::PacketBounds),
                "{what}: refused for another reason than the packet read: {failures:?}"
            );
        }
    }
    // A fill of another slot is not the spilled number.
    let text = spilled_offset("r6 = 255\n*(u64 *)(r10 - 16) = r6")
        .replace("r5 = *(u64 *)(r10 - 8)", "r5 = *(u64 *)(r10 - 16)");
    let report = Verifier::new(zone()).verify(&subject(&program(&text)));
    assert_eq!(report.verdict, Verdict::Fail, "a fill of another slot: accepted");
}

// ---- Z3: the bit-vector facts behind the transfer ----

/// Every fact the zone rules rest on holds at 64 bits, and none holds without its premise
/// (the check the rule makes is needed: the wraps and orders the adversarial suite attacks).
#[test]
fn z3_every_zone_fact_is_proven_and_needs_its_premise() {
    let timeout = Duration::from_secs(60);
    let facts = zone_facts::facts();
    assert!(facts.len() >= 20, "{} facts", facts.len());
    for fact in &facts {
        assert_eq!(fact.prove(timeout).0, FactVerdict::Proven, "{}", fact.name);
        assert!(
            matches!(fact.holds_without_premise(timeout), FactVerdict::Refuted(_)),
            "{}: holds without its premise",
            fact.name
        );
    }
}
