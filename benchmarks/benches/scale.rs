//! Verification time of the generated scale workloads (`bpfprove_bench::generate`):
//! straight-line code, nested bounded loops, sequential loops, a large packet parser with
//! its proof log written and checked, and a failing parser with and without the
//! counterexample search. Criterion repeats each run at least ten times, so sizes here stop
//! where one run takes a few seconds; `bpfprove scale` runs the full sizes once,
//! with peak memory, and says whether loops were unrolled or widened.
//!
//! `cargo bench -p bpfprove-benchmarks --bench scale` (add a filter such as `straight_line`).

use std::time::Duration;

use bpfprove_analyzer::counterexample::{self, SearchConfig};
use bpfprove_analyzer::{Config, Subject, Verifier, proof};
use bpfprove_bench::generate::Workload;
use bpfprove_domains::DomainKind;
use criterion::{Criterion, criterion_group, criterion_main};

fn scale(c: &mut Criterion) {
    let config = Config::standard(DomainKind::Product);
    let verifier = Verifier::new(config.clone());
    let mut group = c.benchmark_group("scale");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    let verified = [
        Workload::StraightLine { insns: 10_000 },
        Workload::StraightLine { insns: 100_000 },
        Workload::NestedLoops { depth: 3, bound: 10 },
        Workload::NestedLoops { depth: 4, bound: 10 },
        Workload::SequentialLoops { loops: 8, rounds: 1000 },
        Workload::PacketParser { blocks: 2000 },
    ];
    for workload in verified {
        let object = workload.object().expect("generated programs assemble");
        let subject = Subject::from_object_as(&object, &object.programs[0], workload.program_type());
        group.bench_function(format!("verify/{workload}"), |b| b.iter(|| verifier.verify(&subject)));
    }

    let parser = Workload::PacketParser { blocks: 2000 };
    let object = parser.object().expect("generated programs assemble");
    let subject = Subject::from_object_as(&object, &object.programs[0], parser.program_type());
    let text = parser.text();
    let log = proof::log_of(
        &parser.to_string(),
        text.as_bytes(),
        &config,
        &[(subject.clone(), verifier.verify(&subject))],
        proof::Invariants::CutPoints,
        None,
    );
    group.bench_function(format!("check_proof/{parser}"), |b| {
        b.iter(|| proof::check_subject(&log, &log.programs[0], &subject).expect("the log checks"))
    });

    let failing = Workload::UncheckedParser { blocks: 2000 };
    let object = failing.object().expect("generated programs assemble");
    let loaded = &object.programs[0];
    let subject = Subject::from_object_as(&object, loaded, failing.program_type());
    group.bench_function(format!("verify/{failing}"), |b| b.iter(|| verifier.verify(&subject)));
    group.bench_function(format!("verify_and_counterexample/{failing}"), |b| {
        b.iter(|| {
            let report = verifier.verify(&subject);
            counterexample::search(&object, loaded, &subject, &report, &SearchConfig::standard())
        })
    });
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
