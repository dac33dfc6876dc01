//! Verification time per corpus program (at `-mcpu=v4`) per domain: one criterion benchmark
//! `verify/<domain>/<program>` each, from a loaded object to a report (the global-data
//! rounds, every context, loop unrolling and recording included).
//!
//! `cargo bench -p bpfprove-benchmarks --bench verify` (add a filter such as `product/` to
//! run one domain). The corpus is built with clang-22 into `target/bench-corpus/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bpfprove_analyzer::{Config, Subject, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::{self, Object};
use criterion::{Criterion, criterion_group, criterion_main};

/// Builds the corpus (build.sh skips up-to-date objects) and returns the v4 objects.
fn corpus() -> Vec<(String, Object)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("../target/bench-corpus");
    let status = Command::new("bash").arg(root.join("corpus/build.sh")).arg(&out).status();
    assert!(status.is_ok_and(|s| s.success()), "corpus/build.sh failed: run ./scripts/setup for clang-22");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(out.join("v4"))
        .expect("build.sh made v4/")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("readable object");
            let stem = path.file_stem().expect("named").to_string_lossy().into_owned();
            (stem, elf::load(&bytes).expect("corpus objects load"))
        })
        .collect()
}

fn verification(c: &mut Criterion) {
    let objects = corpus();
    let mut group = c.benchmark_group("verify");
    group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for domain in [DomainKind::Interval, DomainKind::Tnum, DomainKind::Product] {
        let verifier = Verifier::new(Config::standard(domain));
        for (_, object) in &objects {
            for loaded in &object.programs {
                let Some(subject) = Subject::from_object(object, loaded) else { continue };
                group.bench_function(format!("{domain}/{}", loaded.name), |b| b.iter(|| verifier.verify(&subject)));
            }
        }
    }
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
