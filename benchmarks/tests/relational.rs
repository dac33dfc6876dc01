//! The relational suite (`corpus/src/relational/`, listed in `corpus/relational.toml`):
//! safe programs whose safety needs a relation between two quantities, each with an
//! unsafe twin. Every twin is refused by every domain and faults in the interpreter on its
//! recorded packet (alone, with zones, with equalities, with both, with zone-z3); every safe
//! program runs without a fault; today's product-domain, zone-domain, zone-z3, eq-domain and
//! live-kernel verdicts are the recorded ones, so a domain that proves more shows up here.

mod common;

use common::Rng;
use serde::Deserialize;

use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_analyzer::{Config, Subject, Verdict, Verifier, proof};
use bpfprove_domains::DomainKind;
use bpfprove_kernel::KernelError;
use bpfprove_kernel::capability;
use bpfprove_kernel::object::load_for_verdict;
use bpfprove_semantics::conformance::parse_hex;
use bpfprove_semantics::elf::{self, LoadedProgram, Object};
use bpfprove_semantics::interp::elf_run::ObjectRunner;
use bpfprove_semantics::interp::{CallxModel, RunConfig};

/// Random packets per safe program, besides the zeroed ones.
const RANDOM_PACKETS: usize = 48;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    program: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    function: String,
    verdict: String,
    pattern: String,
    trap: Option<String>,
    trap_len: Option<usize>,
    product: String,
    zone: String,
    zone_z3: String,
    eq: String,
    kernel: String,
}

fn suite() -> Suite {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/relational.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn object() -> Object {
    let path = common::corpus_dir().join("relational/relational.o");
    elf::load(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn program<'a>(object: &'a Object, entry: &Entry) -> &'a LoadedProgram {
    object.program(&entry.function).unwrap_or_else(|| panic!("{} not in relational.o", entry.function))
}

/// Whether `program` passes with `domain`. Without a time limit: zone-z3 asks the solver
/// at every transfer, and its verdict must not depend on how loaded the machine is.
fn passes(object: &Object, program: &LoadedProgram, domain: DomainSpec) -> bool {
    let subject = Subject::from_object(object, program).expect("XDP sections");
    let config = Config { time_limit: None, ..Config::of_spec(domain) };
    Verifier::new(config).verify(&subject).verdict == Verdict::Pass
}

/// Every domain the suite runs: the non-relational ones alone, with zones, with
/// equalities, and with both; and the product with zones computed by Z3.
fn domains() -> Vec<DomainSpec> {
    DomainKind::ALL
        .into_iter()
        .flat_map(DomainSpec::all_of)
        .chain([DomainSpec::with_z3_zones(DomainKind::Product)])
        .collect()
}

/// The first fault of the interpreter over `packets`, described.
fn first_fault(object: &Object, program: &LoadedProgram, packets: &[Vec<u8>]) -> Option<String> {
    let config = RunConfig::new(CallxModel::Address, 1_000_000);
    let mut runner = ObjectRunner::new(object, program, config).expect("XDP programs run");
    packets.iter().find_map(|packet| {
        let run = runner.run(packet).expect("packets install");
        run.result.err().map(|trap| format!("{trap} on {} bytes", packet.len()))
    })
}

fn verdict_name(pass: bool) -> &'static str {
    if pass { "pass" } else { "fail" }
}

#[test]
fn twins_fault_and_are_refused_and_verdicts_are_as_recorded() {
    if !common::tools_present() {
        return;
    }
    let suite = suite();
    let object = object();
    let mut problems = Vec::new();
    let mut rng = Rng(0x0e1a_7104);
    for entry in &suite.program {
        assert!(!entry.pattern.is_empty(), "{}: says its pattern", entry.function);
        let program = program(&object, entry);
        let (product_spec, zone_spec, z3_spec, eq_spec) = (
            DomainSpec::plain(DomainKind::Product),
            DomainSpec::with_zones(DomainKind::Product),
            DomainSpec::with_z3_zones(DomainKind::Product),
            DomainSpec::with_equalities(DomainKind::Product),
        );
        let product = passes(&object, program, product_spec);
        let zone = passes(&object, program, zone_spec);
        let zone_z3 = passes(&object, program, z3_spec);
        let eq = passes(&object, program, eq_spec);
        let recorded = [
            ("product", product, &entry.product),
            ("zone", zone, &entry.zone),
            ("zone-z3", zone_z3, &entry.zone_z3),
            ("eq", eq, &entry.eq),
        ];
        for (name, got, recorded) in recorded {
            if verdict_name(got) != recorded {
                problems.push(format!("{}: {name} gives {}, recorded {recorded}", entry.function, verdict_name(got)));
            }
        }
        match entry.verdict.as_str() {
            "fail" => {
                // The product's, the zones' and eq's verdicts are known: only the others run again.
                let known = [product_spec, zone_spec, z3_spec, eq_spec];
                let others = domains().into_iter().filter(|d| !known.contains(d));
                let mut unsound: Vec<String> =
                    others.filter(|&d| passes(&object, program, d)).map(|d| d.to_string()).collect();
                for (spec, passed) in [(product_spec, product), (zone_spec, zone), (z3_spec, zone_z3), (eq_spec, eq)] {
                    if passed {
                        unsound.push(spec.to_string());
                    }
                }
                if !unsound.is_empty() {
                    problems.push(format!("{}: an unsafe twin passes with {}", entry.function, unsound.join(", ")));
                }
                let mut packet =
                    parse_hex(entry.trap.as_deref().unwrap_or_else(|| panic!("{}: a trap", entry.function)))
                        .expect("hex trap");
                packet.resize(entry.trap_len.unwrap_or(packet.len()).max(packet.len()), 0);
                if first_fault(&object, program, &[packet]).is_none() {
                    problems.push(format!("{}: the twin runs its trap packet without a fault", entry.function));
                }
            }
            "pass" => {
                assert!(entry.trap.is_none(), "{}: safe programs have no trap", entry.function);
                let mut packets: Vec<Vec<u8>> = [0, 2, 8, 20, 64, 200, 256].iter().map(|&n| vec![0; n]).collect();
                for _ in 0..RANDOM_PACKETS {
                    let len = (rng.next() % 300) as usize;
                    packets.push(rng.bytes(len));
                }
                if let Some(fault) = first_fault(&object, program, &packets) {
                    problems.push(format!("{}: a safe program faults: {fault}", entry.function));
                }
            }
            other => panic!("{}: verdict `{other}`", entry.function),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let safe = suite.program.iter().filter(|e| e.verdict == "pass").count();
    assert!(safe >= 7 && suite.program.len() - safe >= safe, "{safe} safe programs, each with a twin");
}

/// The zone and eq domains' proof logs of the suite validate against the schema, carry
/// their zone constraints and links, and pass the independent checker, which re-checks them.
#[test]
fn the_zone_and_eq_proof_logs_validate_and_check() {
    if !common::tools_present() {
        return;
    }
    let path = common::corpus_dir().join("relational/relational.o");
    let bytes = common::read(&path);
    let object = elf::load(&bytes).expect("relational.o loads");
    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../analyzer/schema/proof-log.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("the schema")).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let specs = [
        (DomainSpec::with_zones(DomainKind::Product), "\"zone\":[{"),
        (DomainSpec::with_equalities(DomainKind::Product), "\"links\":[{"),
        (DomainSpec { equalities: true, ..DomainSpec::with_zones(DomainKind::Product) }, "\"links\":[{"),
    ];
    for (spec, carried) in specs {
        let config = Config::of_spec(spec);
        let verifier = Verifier::new(config.clone());
        let reports: Vec<_> = object
            .programs
            .iter()
            .filter_map(|loaded| Subject::from_object(&object, loaded))
            .map(|subject| {
                let report = verifier.verify(&subject);
                (subject, report)
            })
            .collect();
        let log = proof::log_of("relational.o", &bytes, &config, &reports, proof::Invariants::CutPoints, None);
        let json = serde_json::to_value(&log).expect("serialises");
        let errors: Vec<String> =
            validator.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).take(5).collect();
        assert!(errors.is_empty(), "{spec}: schema violations: {errors:?}");
        assert!(json.to_string().contains(carried), "{spec}: the log carries {carried}");
        proof::check(&log, &bytes, &object).unwrap_or_else(|e| panic!("{spec}: the log does not check: {e}"));
    }
}

#[test]
fn the_live_kernel_gives_the_recorded_verdicts() {
    if !common::tools_present() || !capability::available_or_explain("relational suite kernel verdicts") {
        return;
    }
    let object = object();
    let mut problems = Vec::new();
    for entry in &suite().program {
        let verdict = match load_for_verdict(&object, program(&object, entry)) {
            Ok(()) => "pass",
            Err(KernelError::Rejected { .. }) => "fail",
            Err(other) => {
                problems.push(format!("{}: the kernel could not judge it: {other}", entry.function));
                continue;
            }
        };
        if verdict != entry.kernel {
            problems.push(format!("{}: the kernel gives {verdict}, recorded {}", entry.function, entry.kernel));
        }
        assert!(entry.verdict == "pass" || verdict == "fail", "{}: the kernel accepts an unsafe twin", entry.function);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
