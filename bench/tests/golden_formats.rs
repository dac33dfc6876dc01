//! The output formats checked against golden files in `tests/golden/`: the table, CSV and
//! JSON of rows, `--compare`'s table and CSV, and which rows `-f` filters keep. The inputs
//! are two results files of the corpus (tnum and product, trimmed, one program missing from
//! each side and one product row `N/A`). `BLESS=1 cargo test -p bpfprove-bench --test
//! golden_formats` rewrites the golden files from the current output.

use std::fmt::Write;
use std::path::PathBuf;

use bpfprove_bench::compare;
use bpfprove_bench::filter::{self, Filter};
use bpfprove_bench::format::{self, OutputFormat};
use bpfprove_bench::row::{Column, Row};

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn rows(name: &str) -> Vec<Row> {
    let path = golden_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format::read_csv(name, &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Compares `actual` with the golden file `name`, or rewrites it under `BLESS=1`.
fn check(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (BLESS=1 writes it)", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(e, a)| e != a);
        panic!(
            "{} differs (BLESS=1 rewrites it); first differing line {:?}\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display(),
            first.map(|l| l + 1)
        );
    }
}

#[test]
fn rows_as_a_table() {
    check("tnum.table", &OutputFormat::Table.rows(&rows("tnum.csv"), &Column::TABLE));
}

#[test]
fn rows_as_csv_with_chosen_columns() {
    let columns = Column::parse_list("file,prog,verdict,insns,first_failure").unwrap();
    check("tnum-emit.csv", &OutputFormat::Csv.rows(&rows("tnum.csv"), &columns));
}

#[test]
fn csv_reads_back_what_it_wrote() {
    let original = rows("product.csv");
    let text = OutputFormat::Csv.rows(&original, &Column::ALL);
    assert_eq!(format::read_csv("again", &text).unwrap(), original);
}

#[test]
fn rows_as_json() {
    check(
        "product.json",
        &OutputFormat::Json.rows(&rows("product.csv"), &Column::parse_list("file,prog,verdict,insns,reason").unwrap()),
    );
}

#[test]
fn compare_as_a_table() {
    let comparison = compare::join(
        &rows("tnum.csv"),
        &rows("product.csv"),
        &Column::parse_list("file,prog,verdict,insns,proven,first_failure").unwrap(),
    )
    .unwrap();
    check("compare.table", &comparison.table());
}

#[test]
fn compare_as_csv() {
    let comparison = compare::join(&rows("tnum.csv"), &rows("product.csv"), &Column::TABLE).unwrap();
    check("compare.csv", &comparison.csv());
}

#[test]
fn compare_joins_on_the_domain_when_both_sides_have_the_same_verifiers() {
    let both: Vec<Row> = rows("tnum.csv").into_iter().chain(rows("product.csv")).collect();
    let comparison =
        compare::join(&both, &both, &Column::parse_list("file,prog,domain,verdict,proven").unwrap()).unwrap();
    check("compare-same.table", &comparison.table());
}

#[test]
fn filters_keep_what_veristat_would() {
    let all: Vec<Row> = rows("tnum.csv").into_iter().chain(rows("product.csv")).collect();
    let cases: &[&[&str]] = &[
        &["verdict=failure"],
        &["verdict=success", "domain=product"],
        &["total_insns>200"],
        &["insns<=108"],
        &["!unsafe*"],
        &["*memory*/"],
        &["/xdp_*"],
        &["xdp_udp_dns", "loop_unbounded"],
        &["proven!=12", "!domain=tnum"],
    ];
    let mut out = String::new();
    for filters in cases {
        let parsed: Vec<Filter> = filters.iter().map(|f| Filter::parse(f).unwrap()).collect();
        let kept: Vec<String> = all
            .iter()
            .filter(|r| filter::keep(&parsed, r))
            .map(|r| format!("{}/{} ({})", r.file_name, r.prog_name, r.domain))
            .collect();
        let _ = writeln!(out, "-f {}:", filters.join(" -f "));
        for row in kept {
            let _ = writeln!(out, "  {row}");
        }
    }
    check("filters.txt", &out);
}

#[test]
fn compare_refuses_runs_of_different_verifier_sets() {
    let both: Vec<Row> = rows("tnum.csv").into_iter().chain(rows("product.csv")).collect();
    let error = compare::join(&both, &rows("tnum.csv"), &Column::TABLE).unwrap_err();
    assert_eq!(
        error.to_string(),
        "A has the verifiers product,tnum and B tnum: compare needs the same verifiers in both, or one in each"
    );
}

#[test]
fn acceptance_summary_counts_run_programs_only() {
    let all: Vec<Row> = rows("tnum.csv").into_iter().chain(rows("product.csv")).collect();
    assert_eq!(
        format::acceptance_summary(&all, &["tnum".to_owned(), "product".to_owned()]),
        "tnum: 1 of 4 accepted, 0 N/A\nproduct: 3 of 4 accepted, 1 N/A\n"
    );
}

#[test]
fn compare_filters_keep_a_program_when_either_side_matches() {
    let mut comparison =
        compare::join(&rows("tnum.csv"), &rows("product.csv"), &Column::parse_list("file,prog,verdict").unwrap())
            .unwrap();
    let filters = [Filter::parse("verdict=failure").unwrap()];
    comparison.retain(|row| filter::keep(&filters, row));
    check("compare-filtered.table", &comparison.table());
}
