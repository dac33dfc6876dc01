//! `bpfprove paper` through the built binary: the results that `scale --csv` and
//! `prove-domains --csv` write are read back and every number of the page comes from them;
//! a source citing a value no result gives, or a missing results directory, is refused with
//! the place named.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_bpfprove");

/// A bench result of two programs under two verifiers, as `bench -o csv` writes it.
const BENCH_CSV: &str = "\
file_name,prog_name,domain,verdict,duration,total_insns,total_states,peak_states,mem_peak_kib,proven,obligations,by_kind,first_failure,reason
r/r.o,near,product,success,100,10,10,2,64,3,3,packet-bounds:3/3,,
r/r.o,near,kernel,failure,50,10,4,2,N/A,N/A,N/A,,,
r/r.o,far,product,failure,120,12,12,2,64,2,3,packet-bounds:2/3,pc 7 packet-bounds refuted,
r/r.o,far,kernel,failure,40,12,4,2,N/A,N/A,N/A,,,
";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpfprove-paper-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("data")).expect("temp dir is writable");
    fs::write(dir.join("data/bench-toy.csv"), BENCH_CSV).expect("write");
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BINARY).args(args).current_dir(dir).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_page_cites_only_generated_results() {
    let dir = scratch("cites");
    let scale = run(&dir, &["scale", "--small", "--only", "nested_loops_2x10", "--csv", "data/scale.csv"]);
    assert!(scale.status.success(), "{}", text(&scale.stderr));
    let domains = run(&dir, &["prove-domains", "--width", "2", "--domain", "tnum", "--csv", "data/domains.csv"]);
    assert!(domains.status.success(), "{}", text(&domains.stderr));
    fs::write(
        dir.join("paper.md"),
        "# Toy\n\nThe product accepts {{value:toy.product.accepted}} of {{value:toy.programs}}; \
         tnum is sound in {{value:domains.tnum.sound}} of {{value:domains.tnum.checks}} checks.\n\
         Nested loops: {{value:scale.nested_loops.loops_widened}} widened.\n\n{{table:precision-toy}}\n\n\
         {{figure:acceptance-toy}}\n",
    )
    .expect("write");
    let output = run(&dir, &["paper", "paper.md", "--data", "data", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = fs::read_to_string(dir.join("out/paper.html")).expect("the page is written");
    assert!(page.contains("The product accepts 1 of 2;"), "{page}");
    assert!(page.contains("Nested loops: 2 widened."), "{page}");
    let checks = fs::read_to_string(dir.join("data/domains.csv")).expect("domains.csv");
    let tnum_checks = checks.lines().filter(|line| line.split(',').nth(1) == Some("tnum")).count();
    assert!(tnum_checks > 0, "{checks}");
    assert!(page.contains(&format!("in {tnum_checks} of {tnum_checks} checks")), "{page}");
    // Every table and figure the page shows is a generated file beside it.
    assert!(page.contains("<code>tables/precision-toy.md</code>"), "{page}");
    let table = fs::read_to_string(dir.join("out/tables/precision-toy.md")).expect("the table is written");
    assert!(table.contains("| product | 1 / 2 |"), "{table}");
    assert!(dir.join("out/figures/acceptance-toy.svg").is_file());
    let values = fs::read_to_string(dir.join("out/values.json")).expect("values.json");
    assert!(values.contains("\"toy.kernel.accepted\": \"0\""), "{values}");
}

#[test]
fn a_value_no_result_gives_is_refused_with_its_line() {
    let dir = scratch("refused");
    fs::write(dir.join("paper.md"), "# Toy\n\nZones accept {{value:toy.zone.accepted}}.\n").expect("write");
    let output = run(&dir, &["paper", "paper.md", "--data", "data", "--out", "out"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("paper.md") && stderr.contains("line 3: no generated value `toy.zone.accepted`"),
        "{stderr}"
    );
    assert!(!dir.join("out/paper.html").exists(), "no page is written from a refused source");

    let output = run(&dir, &["paper", "paper.md", "--data", "missing", "--out", "out"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("missing"), "{}", text(&output.stderr));
}
