//! A bench run over the project's corpus (built by `benchmarks/corpus/build.sh` with
//! clang-22): shards merge back into the whole run, the thread count changes no result, and
//! every row is consistent with its own counts.

use bpfprove_analyzer::domain_spec::DomainSpec;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bpfprove_analyzer::Config;
use bpfprove_bench::merge;
use bpfprove_bench::row::{Column, Row};
use bpfprove_bench::run::{self, BenchConfig};
use bpfprove_bench::suite::{Shard, SuiteFile};
use bpfprove_bench::verifier::VerifierKind;
use bpfprove_domains::DomainKind;

/// The columns that do not depend on timing or memory.
const STABLE: [Column; 11] = [
    Column::FileName,
    Column::ProgName,
    Column::Domain,
    Column::Verdict,
    Column::TotalInsns,
    Column::TotalStates,
    Column::PeakStates,
    Column::Proven,
    Column::Obligations,
    Column::ByKind,
    Column::FirstFailure,
];

fn corpus() -> Option<Vec<SuiteFile>> {
    if Command::new("clang-22").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "clang-22 missing under CI: run ./scripts/setup");
        eprintln!("clang-22 not found: ./scripts/setup installs it; the corpus run is skipped");
        return None;
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benchmarks/corpus/build.sh");
    let status = Command::new("bash").arg(&script).arg(&out).status().expect("bash runs");
    assert!(status.success(), "{} failed", script.display());
    let dir = out.join("v4");
    let mut files: Vec<SuiteFile> = std::fs::read_dir(&dir)
        .expect("build.sh made v4/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .map(|path| SuiteFile {
            name: format!("v4/{}", path.file_name().expect("named").to_string_lossy()),
            bytes: std::fs::read(&path).expect("readable"),
            path,
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Some(files)
}

fn config(jobs: usize, shard: Option<Shard>) -> BenchConfig {
    BenchConfig {
        verifiers: vec![
            VerifierKind::Domain(DomainSpec::plain(DomainKind::Interval)),
            VerifierKind::Domain(DomainSpec::plain(DomainKind::Product)),
        ],
        jobs,
        shard,
        analysis: Config { time_limit: Some(Duration::from_secs(120)), ..Config::standard(DomainKind::Product) },
        prevail: None,
        keep_obligations: false,
    }
}

fn stable(rows: &[Row]) -> Vec<Vec<String>> {
    let mut rows = rows.to_vec();
    merge::sort(&mut rows);
    rows.iter().map(|r| STABLE.iter().map(|&c| r.text(c)).collect()).collect()
}

#[test]
fn shards_threads_and_rows_agree() {
    let Some(files) = corpus() else { return };
    let whole = run::execute(&run::plan(&files, None), &config(2, None), &|| {});
    let plan = run::plan(&files, None);
    assert_eq!(whole.rows.len(), plan.programs() * 2, "one row per program and domain");

    let single = run::execute(&run::plan(&files, None), &config(1, None), &|| {});
    assert_eq!(stable(&single.rows), stable(&whole.rows), "-j 1 and -j 2 differ");

    let shards: Vec<Vec<Row>> = (1..=3)
        .map(|k| {
            let shard = Shard::parse(&format!("{k}/3")).expect("valid");
            run::execute(&run::plan(&files, Some(shard)), &config(2, Some(shard)), &|| {}).rows
        })
        .collect();
    let merged = merge::merge(shards).expect("shards do not overlap");
    assert_eq!(stable(&merged), stable(&whole.rows), "merged shards differ from the whole run");

    for row in &whole.rows {
        let (Some(proven), Some(total)) = (row.proven, row.obligations) else { continue };
        assert!(proven <= total, "{row:?}");
        if row.verdict == Some(true) {
            assert_eq!(proven, total, "a success with an unproven obligation: {row:?}");
            assert!(row.first_failure.is_empty(), "{row:?}");
        } else if proven < total {
            assert!(!row.first_failure.is_empty(), "a failure without its first failed obligation: {row:?}");
        }
    }
}
