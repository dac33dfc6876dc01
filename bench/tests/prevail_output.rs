//! PREVAIL's output parser on recorded output (`fixtures/prevail/`).

use std::time::Duration;

use bpfprove_bench::prevail::{PrevailOutcome, parse_output};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/prevail/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_pass_is_its_last_line() {
    assert_eq!(
        parse_output(&fixture("pass.txt")),
        Ok(PrevailOutcome {
            pass: true,
            duration: Duration::from_secs_f64(0.001203),
            rss_kib: 7312,
            first_failure: None
        })
    );
}

#[test]
fn a_failure_keeps_its_first_error_and_skips_the_source_line() {
    assert_eq!(
        parse_output(&fixture("fail.txt")),
        Ok(PrevailOutcome {
            pass: false,
            duration: Duration::from_secs_f64(0.004271),
            rss_kib: 7684,
            first_failure: Some(
                "18: Upper bound must be at most packet_size (valid_access(r1.offset, width=4) for read)".to_owned()
            ),
        })
    );
}

#[test]
fn a_program_list_is_not_a_verdict() {
    assert_eq!(
        parse_output(&fixture("ambiguous.txt")),
        Err("the section and function name no single program".to_owned())
    );
    assert_eq!(parse_output(""), Err("no output".to_owned()));
    assert_eq!(parse_output("2,x,7\n"), Err("unexpected last line `2,x,7`".to_owned()));
}
