//! The oracle finds bugs planted in the verifier, and minimises them to the idiom that goes
//! wrong: a verifier that forgets one kind of check accepts programs that trap.

use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_analyzer::{ObligationKind, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::Object;
use bpfprove_semantics::model::privilege::Privilege;
use bpfprove_soundness::oracle::{self, Conclusion, Judge, standard_verifier};
use bpfprove_soundness::{Case, FuzzConfig, GenConfig, Limit, OracleConfig, fuzz, minimise};

/// The real verifier, except that failures of one obligation kind are ignored.
struct Forgetful {
    verifier: Verifier,
    forgets: ObligationKind,
}

impl Judge for Forgetful {
    fn accepts(&self, _object: &Object, subject: &Subject<'_>) -> bool {
        let report = self.verifier.verify(subject);
        match report.verdict {
            Verdict::Pass => true,
            Verdict::Fail => report.failures().iter().all(|o| o.kind == self.forgets),
            Verdict::Unknown(_) => false,
        }
    }
}

fn forgetful(forgets: ObligationKind) -> Forgetful {
    Forgetful { verifier: standard_verifier(DomainSpec::plain(DomainKind::Product), Privilege::Privileged), forgets }
}

fn config(programs: u64) -> FuzzConfig {
    FuzzConfig {
        seed: 1,
        limit: Limit::Programs(programs),
        jobs: 2,
        generation: GenConfig { mutation_percent: 50, max_idioms: 4 },
        oracle: OracleConfig { runs: 100, ..OracleConfig::standard() },
    }
}

/// Instructions of a program text (lines that are neither labels nor directives).
fn instructions(text: &str) -> usize {
    text.lines().filter(|l| !l.ends_with(':') && !l.starts_with('.') && !l.starts_with(';')).count()
}

#[test]
fn a_verifier_that_forgets_packet_bounds_is_caught_and_minimised() {
    let judge = forgetful(ObligationKind::PacketBounds);
    let report = fuzz(&config(300), &judge, &mut |_| {}).expect("the campaign runs");
    let packet =
        report.findings.iter().find(|f| f.failure.problem.to_string().contains("of packet")).unwrap_or_else(|| {
            panic!("no packet trap among {:#?}", report.findings.iter().map(|f| &f.signature).collect::<Vec<_>>())
        });
    println!("{}", packet.to_text());
    // Minimised to the access, what computes its address, and the loop around it if any.
    let left = instructions(&packet.minimised.text);
    assert!(left <= 12, "{left} instructions left:\n{}", packet.minimised.text);
    assert!(left < instructions(&packet.original.text), "nothing removed");
    // The minimised program is still accepted by the broken judge, rejected by the real
    // verifier, and traps on the recorded input.
    let object = bpfprove_soundness::environment::object(packet.minimised.program_type, &packet.minimised.text)
        .expect("the minimised program parses");
    let subject = Subject::from_object(&object, &object.programs[0]).expect("known type");
    assert!(judge.accepts(&object, &subject));
    assert!(
        !standard_verifier(DomainSpec::plain(DomainKind::Product), Privilege::Privileged).accepts(&object, &subject)
    );
    let replayed = oracle::replay(
        &packet.minimised,
        &subject,
        &packet.failure.input,
        packet.failure.data.as_deref(),
        &OracleConfig::standard(),
    )
    .expect("runs");
    assert_eq!(replayed.as_ref(), Some(&packet.failure.problem));
}

#[test]
fn a_verifier_that_forgets_null_checks_is_caught() {
    let report = fuzz(&config(300), &forgetful(ObligationKind::NullDeref), &mut |_| {}).expect("the campaign runs");
    // Among the findings, one the real verifier rejects (so the planted bug, not a real one,
    // let it through) that dereferences a lookup's result.
    let real = standard_verifier(DomainSpec::plain(DomainKind::Product), Privilege::Privileged);
    let planted = report.findings.iter().find(|f| {
        let object = bpfprove_soundness::environment::object(f.minimised.program_type, &f.minimised.text)
            .expect("minimised programs parse");
        let subject = Subject::from_object(&object, &object.programs[0]).expect("known type");
        f.minimised.text.contains("call 1") && !real.accepts(&object, &subject)
    });
    assert!(
        planted.is_some_and(|f| f.failure.problem.to_string().contains("address 0x0")),
        "no NULL dereference after a lookup: {:#?}",
        report.findings.iter().map(|f| &f.signature).collect::<Vec<_>>()
    );
}

#[test]
fn minimising_keeps_the_failure_and_drops_the_rest() {
    // A missing NULL check among unrelated instructions.
    let text = "r6 = r1\nr2 = 5\nr3 = r2\nr3 *= 7\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\n\
                ld_pseudo r1, 0x5, 0\ncall 1\nr4 = 9\nr1 = *(u32 *)(r0 + 0)\nr5 = 1\nr0 = 0\nexit\n";
    let case = Case { program_type: bpfprove_semantics::interp::context::ProgramType::Kprobe, text: text.into() };
    let judge = forgetful(ObligationKind::NullDeref);
    let oracle_config = OracleConfig::standard();
    let Conclusion::Unsound { failure, .. } = oracle::check(&case, &judge, &oracle_config, 3).expect("runs") else {
        panic!("the empty hash table makes the lookup return NULL");
    };
    let (minimised, kept) = minimise::minimise(&case, &failure, &judge, &oracle_config);
    assert_eq!(kept.problem.kind(), failure.problem.kind());
    // A privileged loader may pass a never-written key and return the lookup's result from
    // a kprobe, so neither the key's store nor `r0 = 0` is needed to keep the failure.
    assert_eq!(minimised.text, "r2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0\ncall 1\nr1 = *(u32 *)(r0 + 0)\nexit\n");
}

#[test]
fn the_real_verifier_accepts_a_third_of_the_programs() {
    let config = FuzzConfig { generation: GenConfig::standard(), ..config(200) };
    let report =
        fuzz(&config, &standard_verifier(DomainSpec::plain(DomainKind::Product), Privilege::Privileged), &mut |_| {})
            .expect("the campaign runs");
    println!("{}", report.stats);
    assert_eq!(report.stats.invalid, 0, "{:?}", report.invalid);
    assert!(report.stats.accepted_percent() >= 30.0, "{}", report.stats);
    // Every accepted program ran on all its inputs, except those that failed early.
    let (accepted, unsound) = (report.stats.accepted, report.stats.unsound);
    assert!(report.stats.runs <= accepted * 100 && report.stats.runs >= (accepted - unsound) * 100, "{}", report.stats);
}
