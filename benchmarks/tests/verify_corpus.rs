//! The analyzer against the corpus manifest, at every `-mcpu`:
//! - with `--domain product`, safe programs pass and unsafe ones fail with an obligation of
//!   the manifest's fault kind at the manifest's instruction;
//! - with `--domain interval`, exactly the programs the manifest marks `needs_bit_level` at
//!   that cpu fail (the others pass, or fail as they do with the product).

mod common;

use bpfprove_analyzer::{Config, Report, Status, Subject, Verdict, Verifier};
use bpfprove_benchmarks::corpus::{Entry, Manifest, Verdict as Expected};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm::llvm::print_insn_objdump;
use bpfprove_semantics::elf::Object;

fn verify<'a>(object: &'a Object, entry: &Entry, domain: DomainKind) -> (Report, Subject<'a>) {
    let loaded = common::entry_program(object, entry);
    let subject = Subject::from_object(object, loaded).expect("known program type");
    let config = Config { privilege: entry.privilege(), ..Config::standard(domain) };
    let report = Verifier::new(config).verify(&subject);
    (report, subject)
}

/// Whether the report fails with the manifest's fault at the manifest's instruction (for
/// gotox faults, the jump-table load before the gotox counts too).
fn fault_matches(report: &Report, subject: &Subject, entry: &Entry) -> Result<(), String> {
    let kind = format!("{:?}", entry.fault.expect("unsafe entries name a fault"));
    let expected_kind = kind.chars().fold(String::new(), |mut s, c| {
        if c.is_uppercase() && !s.is_empty() {
            s.push('-');
        }
        s.push(c.to_ascii_lowercase());
        s
    });
    let fault_at = entry.fault_at.as_deref().expect("unsafe entries name an instruction");
    let text_at = |pc: usize| subject.program.insn_at(pc).map(print_insn_objdump).unwrap_or_default();
    let found = report.failures().into_iter().any(|o| {
        o.kind.name() == expected_kind
            && (text_at(o.pc).starts_with(fault_at)
                || (expected_kind == "gotox-target" && text_at(o.pc + 1).starts_with(fault_at)))
    });
    if found {
        return Ok(());
    }
    let failed: Vec<String> =
        report.failures().iter().map(|o| format!("pc {} {} [{}]: {}", o.pc, o.kind, text_at(o.pc), o.detail)).collect();
    Err(format!("expected {expected_kind} at `{fault_at}`; failures: {failed:?}"))
}

#[test]
fn product_domain_matches_every_manifest_verdict() {
    if !common::tools_present() {
        return;
    }
    let manifest = Manifest::corpus();
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in &manifest.programs {
        for &cpu in &entry.cpus {
            let object = common::load_object(cpu, &entry.object);
            let (report, subject) = verify(&object, entry, DomainKind::Product);
            checked += 1;
            let title = format!("{cpu} {}/{}", entry.section, entry.function);
            match (entry.verdict, &report.verdict) {
                (Expected::Safe, Verdict::Pass) => {}
                (Expected::Safe, verdict) => {
                    let failed: Vec<String> = report
                        .failures()
                        .iter()
                        .take(3)
                        .map(|o| format!("pc {} {} {}: {}", o.pc, o.kind, o.status, o.detail))
                        .collect();
                    problems.push(format!("{title}: safe but {verdict}: {failed:?}"));
                }
                (Expected::Unsafe, Verdict::Fail) => {
                    if let Err(why) = fault_matches(&report, &subject, entry) {
                        problems.push(format!("{title}: {why}"));
                    }
                }
                (Expected::Unsafe, verdict) => problems.push(format!("{title}: unsafe but {verdict}")),
            }
        }
    }
    println!("{checked} programs checked with the product domain");
    assert!(problems.is_empty(), "{} mismatches:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn interval_domain_fails_exactly_where_bit_level_facts_are_needed() {
    if !common::tools_present() {
        return;
    }
    let manifest = Manifest::corpus();
    let mut problems = Vec::new();
    let mut needing = 0;
    for entry in manifest.programs.iter().filter(|e| e.verdict == Expected::Safe) {
        for &cpu in &entry.cpus {
            let object = common::load_object(cpu, &entry.object);
            let (report, _) = verify(&object, entry, DomainKind::Interval);
            let needs = entry.needs_bit_level.contains(&cpu);
            needing += usize::from(needs);
            let passes = report.verdict == Verdict::Pass;
            if needs == passes {
                let failed: Vec<String> = report
                    .failures()
                    .iter()
                    .filter(|o| o.status != Status::Proven)
                    .take(2)
                    .map(|o| format!("pc {} {}: {}", o.pc, o.kind, o.detail))
                    .collect();
                problems.push(format!(
                    "{cpu} {}/{}: needs_bit_level={needs} but interval gives {} {failed:?}",
                    entry.section, entry.function, report.verdict
                ));
            }
        }
    }
    assert!(needing > 0, "the manifest marks no program as needing bit-level facts");
    assert!(problems.is_empty(), "{} mismatches:\n{}", problems.len(), problems.join("\n"));
}
