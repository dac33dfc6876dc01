//! Proof logs of the whole corpus: each validates against the JSON Schema in
//! `analyzer/schema/` and passes the independent checker; tampered logs are rejected with
//! the place named.

mod common;

use bpfprove_analyzer::proof::{self, CheckError, ProofLog};
use bpfprove_analyzer::{Config, Subject, Verifier};
use bpfprove_benchmarks::corpus::Cpu;
use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::{self, Object};
use serde_json::Value as Json;

fn schema() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../analyzer/schema/proof-log.schema.json");
    let text = std::fs::read_to_string(path).expect("the schema is in the repository");
    let schema: Json = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Verifies every program of `object` and returns the log as JSON.
fn log_of(file: &str, bytes: &[u8], object: &Object, domain: DomainKind) -> Json {
    let config = Config::standard(domain);
    let verifier = Verifier::new(config.clone());
    let reports: Vec<_> = object
        .programs
        .iter()
        .filter_map(|loaded| Subject::from_object(object, loaded))
        .map(|subject| {
            let report = verifier.verify(&subject);
            (subject, report)
        })
        .collect();
    serde_json::to_value(proof::log_of(file, bytes, &config, &reports, None)).expect("serialises")
}

fn check(json: &Json, bytes: &[u8], object: &Object) -> Result<(), CheckError> {
    let log: ProofLog = serde_json::from_value(json.clone()).expect("the log reads back");
    proof::check(&log, bytes, object).map(|_| ())
}

#[test]
fn every_corpus_log_validates_and_checks() {
    if !common::tools_present() {
        return;
    }
    let validator = schema();
    let mut logs = 0;
    for (cpu, stem, path) in common::objects() {
        let bytes = common::read(&path);
        let object = elf::load(&bytes).expect("corpus objects load");
        for domain in [DomainKind::Product, DomainKind::Interval] {
            let json = log_of(&stem, &bytes, &object, domain);
            let errors: Vec<String> =
                validator.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).take(5).collect();
            assert!(errors.is_empty(), "{cpu} {stem} ({domain}): schema violations: {errors:?}");
            if let Err(error) = check(&json, &bytes, &object) {
                panic!("{cpu} {stem} ({domain}): {error}");
            }
            logs += 1;
        }
    }
    println!("{logs} proof logs validated and checked");
    assert!(logs >= 40);
}

/// The v4 object `stem`, its bytes, and its product-domain log.
fn fixture(stem: &str) -> (Vec<u8>, Object, Json) {
    let path = common::corpus_dir().join(Cpu::V4.name()).join(format!("{stem}.o"));
    let bytes = common::read(&path);
    let object = elf::load(&bytes).expect("loads");
    let json = log_of(stem, &bytes, &object, DomainKind::Product);
    check(&json, &bytes, &object).expect("the untouched log is valid");
    (bytes, object, json)
}

fn program<'a>(json: &'a mut Json, function: &str) -> &'a mut Json {
    json["programs"]
        .as_array_mut()
        .expect("programs")
        .iter_mut()
        .find(|p| p["function"] == function)
        .expect("program in log")
}

/// A scalar register's value `{"kind": "scalar", ...}` made the constant of `like`.
fn constant_of(domain: DomainKind, value: u64) -> Json {
    let n = domain.constant(&value);
    let parts: Vec<String> = n.parts().iter().map(|w| format!("{w:#x}")).collect();
    serde_json::json!({ "kind": "scalar", "value": { "parts": parts, "text": value.to_string() } })
}

#[test]
fn a_narrowed_invariant_is_rejected_at_an_edge_into_it() {
    if !common::tools_present() {
        return;
    }
    let (bytes, object, mut json) = fixture("xdp_parser");
    // In xdp_tcp_filter, make the first invariant holding a non-constant number claim that
    // the number is 7.
    let prog = program(&mut json, "xdp_tcp_filter");
    let invariants = prog["contexts"][0]["invariants"].as_array_mut().expect("invariants");
    let (pc, reg) = invariants
        .iter_mut()
        .find_map(|inv| {
            let pc = inv["pc"].as_u64()?;
            let regs = inv["state"]["regs"].as_array_mut()?;
            let reg = regs.iter_mut().find(|r| {
                r["value"]["kind"] == "scalar" && r["value"]["value"]["text"].as_str().is_some_and(|t| t.contains('['))
            })?;
            reg["value"] = constant_of(DomainKind::Product, 7);
            Some((pc, reg["reg"].as_u64()?))
        })
        .expect("some invariant holds a range");
    let error = check(&json, &bytes, &object).expect_err("a narrowed invariant must be rejected");
    assert!(error.pc.is_some(), "the error names a pc: {error}");
    println!("narrowed r{reg} at pc {pc}: {error}");
}

#[test]
fn an_unknown_obligation_relabelled_proven_is_rejected() {
    if !common::tools_present() {
        return;
    }
    let (bytes, object, mut json) = fixture("unsafe_control");
    let prog = program(&mut json, "callx_table_overrun");
    let obligations = prog["obligations"].as_array_mut().expect("obligations");
    let target = obligations.iter_mut().find(|o| o["kind"] == "callx-target").expect("the callx obligation");
    assert_ne!(target["status"], "proven");
    target["status"] = Json::from("proven");
    let pc = target["pc"].as_u64().expect("pc") as usize;
    for o in obligations.iter_mut() {
        o["status"] = Json::from("proven");
    }
    prog["verdict"] = Json::from("pass");
    let error = check(&json, &bytes, &object).expect_err("a false proof must be rejected");
    assert_eq!(error.pc, Some(pc), "{error}");
    assert!(error.reason.contains("callx-target"), "{error}");
}

#[test]
fn a_truncated_unrolling_is_rejected() {
    if !common::tools_present() {
        return;
    }
    let (bytes, object, mut json) = fixture("loops");
    let prog = program(&mut json, "loop_packet_checksum");
    let unrolled = prog["contexts"][0]["unrolled"][0]["rounds"].as_array_mut().expect("an unrolled loop");
    let rounds = unrolled.len();
    assert!(rounds > 2, "{rounds} rounds");
    unrolled.pop();
    let error = check(&json, &bytes, &object).expect_err("a loop cut short must be rejected");
    assert!(error.pc.is_some() && error.reason.contains("reaches its head again"), "{error}");
}

#[test]
fn a_log_for_another_object_or_version_is_rejected() {
    if !common::tools_present() {
        return;
    }
    let (bytes, object, json) = fixture("switch");
    let mut other = json.clone();
    other["object"]["sha256"] = Json::from("0".repeat(64));
    assert!(check(&other, &bytes, &object).expect_err("wrong object").reason.contains("SHA-256"));
    let mut other = json.clone();
    other["schema_version"] = Json::from(2);
    assert!(check(&other, &bytes, &object).expect_err("wrong version").reason.contains("schema version"));
    // A jump target dropped from a gotox's successor: the edge lands on no invariant.
    let mut other = json;
    let prog = program(&mut other, "switch_dispatch");
    let invariants = prog["contexts"][0]["invariants"].as_array_mut().expect("invariants");
    let last = invariants.len() - 1;
    invariants.remove(last / 2);
    let error = check(&other, &bytes, &object).expect_err("a missing invariant must be rejected");
    assert!(error.pc.is_some(), "{error}");
}
