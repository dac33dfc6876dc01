//! Proof logs of the whole corpus and of a large tc program (`proof_logs/tc_large.c`), with
//! every domain: each validates against the JSON Schema in `analyzer/schema/` and passes the
//! independent checker; tampered logs (forged loops, targets, programs, obligations) are
//! rejected with the place named.

mod common;

use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_analyzer::proof::{self, CheckError, Invariants, ProofLog};
use bpfprove_analyzer::{Config, LoopStrategy, Subject, Verifier};
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

/// Verifies every program of `object` with the standard configuration of `domain` and
/// returns the log as JSON.
fn log_of(file: &str, bytes: &[u8], object: &Object, domain: DomainKind) -> Json {
    log_with(file, bytes, object, Config::standard(domain))
}

/// Verifies every program of `object` under `config` and returns the log (states at the cut
/// points) as JSON.
fn log_with(file: &str, bytes: &[u8], object: &Object, config: Config) -> Json {
    log_keeping(file, bytes, object, config, Invariants::CutPoints)
}

/// Verifies every program of `object` under `config` and returns the log keeping
/// `invariants` as JSON.
fn log_keeping(file: &str, bytes: &[u8], object: &Object, config: Config, invariants: Invariants) -> Json {
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
    serde_json::to_value(proof::log_of(file, bytes, &config, &reports, invariants, None)).expect("serialises")
}

/// The large tc program, built with clang-22 at -mcpu=v3 like the corpus: its bytes and
/// object.
fn tc_large() -> (Vec<u8>, Object) {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tc_large.o");
    let status = std::process::Command::new("clang-22")
        .args(["-target", "bpf", "-O2", "-g", "-mcpu=v3", "-I"])
        .arg(here.join("corpus/include"))
        .arg("-c")
        .arg(here.join("tests/proof_logs/tc_large.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("clang-22 runs");
    assert!(status.success(), "clang-22 failed on tc_large.c");
    let bytes = common::read(&out);
    let object = elf::load(&bytes).expect("tc_large.o loads");
    (bytes, object)
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
        // Every domain under the standard configuration, the product with zones, with
        // equalities, once with
        // `.data`/`.bss` assumed to hold the file's values (`--assume-initial-globals`),
        // which the log records, and once with loops unrolled first.
        let initial_globals = Config { assume_initial_globals: true, ..Config::standard(DomainKind::Product) };
        let unroll = Config { loops: LoopStrategy::Unroll, ..Config::standard(DomainKind::Product) };
        let zones = Config::of_spec(DomainSpec::with_zones(DomainKind::Product));
        let equalities = Config::of_spec(DomainSpec::with_equalities(DomainKind::Product));
        // The product domain's logs also with every pc's state.
        let cut = |config| (config, Invariants::CutPoints);
        let configs = DomainKind::ALL.into_iter().map(Config::standard).map(cut).chain([
            cut(zones),
            cut(equalities),
            cut(initial_globals),
            cut(unroll.clone()),
            (Config::standard(DomainKind::Product), Invariants::EveryPc),
            (unroll, Invariants::EveryPc),
        ]);
        for (config, invariants) in configs {
            let globals = if config.assume_initial_globals { ", initial globals" } else { "" };
            let domain = format!("{}{globals}, loops {}, {invariants:?}", config.domain_spec(), config.loops);
            let json = log_keeping(&stem, &bytes, &object, config, invariants);
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
    assert!(logs >= 7 * 40, "{logs} logs");
}

/// The program-type corpus (`corpus/src/types/`) reaches regions the main corpus does not
/// (sockets, kernel objects, iterator buffers): its product-domain logs validate and check.
#[test]
fn every_program_type_log_validates_and_checks() {
    if !common::tools_present() {
        return;
    }
    let validator = schema();
    let mut paths: Vec<_> = std::fs::read_dir(common::corpus_dir().join("types"))
        .expect("the corpus has program types")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    paths.sort();
    for path in &paths {
        let bytes = common::read(path);
        let object = elf::load(&bytes).expect("type objects load");
        let stem = path.file_stem().expect("named").to_string_lossy();
        for invariants in [Invariants::CutPoints, Invariants::EveryPc] {
            let json = log_keeping(&stem, &bytes, &object, Config::standard(DomainKind::Product), invariants);
            let errors: Vec<String> =
                validator.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).take(5).collect();
            assert!(errors.is_empty(), "types/{stem} ({invariants:?}): schema violations: {errors:?}");
            if let Err(error) = check(&json, &bytes, &object) {
                panic!("types/{stem} ({invariants:?}): {error}");
            }
        }
    }
    assert!(paths.len() >= 35, "{} program-type objects", paths.len());
}

/// The v4 object `stem`, its bytes, and its product-domain log.
fn fixture(stem: &str) -> (Vec<u8>, Object, Json) {
    fixture_with(stem, Config::standard(DomainKind::Product))
}

/// The v4 object `stem`, its bytes, and its log under `config`.
fn fixture_with(stem: &str, config: Config) -> (Vec<u8>, Object, Json) {
    fixture_keeping(stem, config, Invariants::CutPoints)
}

/// The v4 object `stem`, its bytes, and its log under `config` keeping `invariants`.
fn fixture_keeping(stem: &str, config: Config, invariants: Invariants) -> (Vec<u8>, Object, Json) {
    let path = common::corpus_dir().join(Cpu::V4.name()).join(format!("{stem}.o"));
    let bytes = common::read(&path);
    let object = elf::load(&bytes).expect("loads");
    let json = log_keeping(stem, &bytes, &object, config, invariants);
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
    let values = prog["values"].as_array_mut().expect("values");
    let ranges: Vec<u64> = (0..values.len() as u64)
        .filter(|&i| {
            let value = &values[i as usize];
            value["kind"] == "scalar" && value["value"]["text"].as_str().is_some_and(|t| t.contains('['))
        })
        .collect();
    values.push(constant_of(DomainKind::Product, 7));
    let seven = values.len() - 1;
    let invariants = prog["contexts"][0]["invariants"].as_array_mut().expect("invariants");
    let (pc, reg) = invariants
        .iter_mut()
        .find_map(|inv| {
            let pc = inv["pc"].as_u64()?;
            let regs = inv["state"]["regs"].as_object_mut()?;
            let (reg, value) = regs.iter_mut().find(|(_, v)| v.as_u64().is_some_and(|i| ranges.contains(&i)))?;
            *value = Json::from(seven);
            Some((pc, reg.clone()))
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
    // Unrolled first: widened first, the loop needs no unrolling.
    let unroll = Config { loops: LoopStrategy::Unroll, ..Config::standard(DomainKind::Product) };
    let (bytes, object, mut json) = fixture_with("loops", unroll);
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
    other["schema_version"] = Json::from(1);
    assert!(check(&other, &bytes, &object).expect_err("wrong version").reason.contains("schema version"));
    let error = ProofLog::from_json(&other.to_string()).expect_err("wrong version");
    assert!(error.to_string().contains("schema version 1"), "{error}");
    // Every state of the dispatch dropped: the cases' join is reached twice.
    let mut other = json;
    let prog = program(&mut other, "switch_dispatch");
    prog["contexts"][0]["invariants"].as_array_mut().expect("invariants").clear();
    let error = check(&other, &bytes, &object).expect_err("a missing join invariant must be rejected");
    assert!(error.pc.is_some() && error.reason.contains("reached twice"), "{error}");
}

#[test]
fn every_log_of_a_large_tc_program_checks() {
    if !common::tools_present() {
        return;
    }
    let (bytes, object) = tc_large();
    for domain in DomainKind::ALL {
        let json = log_of("tc_large", &bytes, &object, domain);
        let states = |json: &Json| {
            let prog = json["programs"].as_array().expect("programs").iter().find(|p| p["function"] == "tc_large");
            prog.expect("tc_large")["contexts"][0]["invariants"].as_array().expect("invariants").len()
        };
        let full = log_keeping("tc_large", &bytes, &object, Config::standard(domain), Invariants::EveryPc);
        assert!(states(&full) > 300, "{domain}: a large program");
        assert!(states(&json) < states(&full) / 2, "{domain}: a compact log keeps fewer states");
        if let Err(error) = check(&full, &bytes, &object) {
            panic!("tc_large ({domain}, every pc): {error}");
        }
        // tc_large_partial's call has a proven and an unknown helper-argument check at one pc:
        // the case the checker used to reject.
        let partial =
            json["programs"].as_array().expect("programs").iter().find(|p| p["function"] == "tc_large_partial");
        let obligations = partial.expect("tc_large_partial")["obligations"].as_array().expect("obligations");
        let mixed = obligations.iter().any(|a| {
            a["kind"] == "helper-argument"
                && a["status"] == "proven"
                && obligations
                    .iter()
                    .any(|b| b["kind"] == "helper-argument" && b["pc"] == a["pc"] && b["status"] != "proven")
        });
        assert!(mixed, "{domain}: no pc with a proven and an open helper-argument check");
        // The callx inside the unrolled loop reaches another handler in each round: the log
        // lists both (it used to keep only the last round's).
        let handlers =
            json["programs"].as_array().expect("programs").iter().find(|p| p["function"] == "tc_large_handlers");
        let callx = handlers.expect("tc_large_handlers")["targets"].as_array().expect("targets");
        let functions: Vec<&str> =
            callx.iter().flat_map(|t| t["functions"].as_array().expect("functions")).filter_map(Json::as_str).collect();
        assert_eq!(callx.len(), 1, "{domain}: {callx:?}");
        assert!(functions.contains(&"mark_low") && functions.contains(&"mark_high"), "{domain}: {functions:?}");
        if let Err(error) = check(&json, &bytes, &object) {
            panic!("tc_large ({domain}): {error}");
        }
    }
}

/// `loop_unbounded` (the Collatz loop) forged to PASS: one loop head moved into a one-round
/// "unrolled" loop whose members leave out the rest of the loop, the open termination
/// obligation dropped. Whichever pc is named the head, the loop is still a cycle of the
/// control flow between logged states, and the log is rejected.
#[test]
fn a_pass_forged_by_editing_loop_membership_is_rejected() {
    if !common::tools_present() {
        return;
    }
    // Every pc's state may be named the head; in a compact log, the cut points only.
    for (invariants, forgeries) in [(Invariants::EveryPc, 5), (Invariants::CutPoints, 1)] {
        let full = Config::standard(DomainKind::Product);
        let (bytes, object, json) = fixture_keeping("unsafe_memory", full, invariants);
        let tried = forge_loop_membership(&json, &bytes, &object);
        assert!(tried > forgeries, "{invariants:?}: {tried} forgeries");
    }
}

/// Forges `json` into a PASS of `loop_unbounded` with each of its logged states near the loop
/// named a one-round loop's head; returns how many forgeries were rejected.
fn forge_loop_membership(json: &Json, bytes: &[u8], object: &Object) -> usize {
    let mut original = json.clone();
    let prog = program(&mut original, "loop_unbounded");
    assert_eq!(prog["verdict"], "fail");
    let termination = prog["obligations"]
        .as_array()
        .expect("obligations")
        .iter()
        .find(|o| o["kind"] == "termination")
        .and_then(|o| o["pc"].as_u64())
        .expect("an open termination obligation");
    let pcs: Vec<u64> = prog["contexts"][0]["invariants"]
        .as_array()
        .expect("invariants")
        .iter()
        .filter_map(|i| i["pc"].as_u64())
        .collect();
    let mut tried = 0;
    for &head in pcs.iter().filter(|&&pc| pc <= termination + 8) {
        let mut forged = json.clone();
        let prog = program(&mut forged, "loop_unbounded");
        let context = &mut prog["contexts"][0];
        let invariants = context["invariants"].as_array_mut().expect("invariants");
        let at = invariants.iter().position(|i| i["pc"] == head).expect("the head's invariant");
        let state = invariants.remove(at);
        context["unrolled"] = serde_json::json!([{
            "head": head, "members": [head],
            "rounds": [{ "invariants": [state], "unrolled": [], "widened": [] }],
        }]);
        prog["obligations"].as_array_mut().expect("obligations").retain(|o| o["kind"] != "termination");
        prog["verdict"] = Json::from("pass");
        let error = check(&forged, bytes, object).expect_err("a forged loop must be rejected");
        assert!(error.program.ends_with("loop_unbounded"), "{error}");
        tried += 1;
        println!("head {head}: {error}");
    }
    tried
}

/// Every (context, pc) entry of `targets` of the program `function`.
fn targets_of<'a>(json: &'a mut Json, function: &str) -> &'a mut Vec<Json> {
    program(json, function)["targets"].as_array_mut().expect("targets")
}

#[test]
fn forged_callx_targets_are_rejected() {
    // gotox forgeries: analyzer/tests/proof_check.rs, on an assembly dispatch.
    if !common::tools_present() {
        return;
    }
    let (bytes, object, json) = fixture("callx");
    let mut forged = json.clone();
    let targets = targets_of(&mut forged, "callx_branch");
    let entry = targets.iter_mut().find(|t| t["kind"] == "callx").expect("a resolved callx");
    let pc = entry["pc"].as_u64().map(|p| p as usize);
    let functions = entry["functions"].as_array_mut().expect("functions");
    assert!(functions.len() >= 2, "two targets: {functions:?}");
    functions.pop();
    let error = check(&forged, &bytes, &object).expect_err("a removed callx target must be rejected");
    assert!(error.pc == pc && error.reason.contains("callx targets"), "{error}");
    println!("callx target removed: {error}");

    let mut forged = json.clone();
    let entry = targets_of(&mut forged, "callx_branch").iter_mut().find(|t| t["kind"] == "callx").expect("callx");
    entry["functions"].as_array_mut().expect("functions").push(Json::from("callx_branch"));
    let error = check(&forged, &bytes, &object).expect_err("an added callx target must be rejected");
    assert!(error.pc == pc && error.reason.contains("callx targets"), "{error}");

    let mut forged = json;
    targets_of(&mut forged, "callx_branch").clear();
    let error = check(&forged, &bytes, &object).expect_err("dropped targets must be rejected");
    assert!(error.pc == pc && error.reason.contains("lists none"), "{error}");
}

#[test]
fn a_log_missing_or_repeating_a_program_is_rejected() {
    if !common::tools_present() {
        return;
    }
    let (bytes, object, json) = fixture("unsafe_memory");
    // Dropping the failing programs would leave only passing ones.
    let mut forged = json.clone();
    let programs = forged["programs"].as_array_mut().expect("programs");
    let dropped = programs.iter().position(|p| p["function"] == "loop_unbounded").expect("loop_unbounded");
    programs.remove(dropped);
    let error = check(&forged, &bytes, &object).expect_err("a missing program must be rejected");
    assert!(error.program.ends_with("/loop_unbounded") && error.reason.contains("log does not"), "{error}");
    println!("program dropped: {error}");

    let mut forged = json.clone();
    let programs = forged["programs"].as_array_mut().expect("programs");
    let first = programs[0].clone();
    programs.push(first);
    let error = check(&forged, &bytes, &object).expect_err("a repeated program must be rejected");
    assert!(error.reason.contains("2 times"), "{error}");

    // A log of one program (`verify --function`) checks against that selection only.
    let mut single = json;
    single["programs"].as_array_mut().expect("programs").retain(|p| p["function"] == "loop_unbounded");
    assert!(check(&single, &bytes, &object).is_err(), "the whole object is expected by default");
    let log: ProofLog = serde_json::from_value(single).expect("reads back");
    let selection = proof::Selection { section: None, function: Some("loop_unbounded".into()) };
    proof::check_selected(&log, &bytes, &object, &selection).expect("the selected program is all the log must hold");
}
