//! The paper's tables (Markdown) and named values, computed from its inputs. Every number
//! the text shows is one of these values, so none is typed by hand.

use std::collections::{BTreeMap, BTreeSet};

use super::Inputs;
use super::data::{DomainCheck, ScaleFigures};
use crate::row::Row;

/// Generated tables by name, and values by key (`suite.verifier.accepted`, …).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Generated {
    /// Markdown tables.
    pub tables: BTreeMap<String, String>,
    /// Formatted numbers.
    pub values: BTreeMap<String, String>,
}

impl Generated {
    fn value(&mut self, key: String, value: impl ToString) {
        self.values.insert(key, value.to_string());
    }
}

/// Every table and value of `inputs`.
pub fn generate(inputs: &Inputs) -> Generated {
    let mut out = Generated::default();
    for (suite, rows) in &inputs.suites {
        suite_tables(suite, rows, &mut out);
    }
    domain_tables(&inputs.domain_checks, &mut out);
    scale_tables(&inputs.scale, &mut out);
    for measured in &inputs.measured {
        out.value(format!("run.{}", measured.key), &measured.value);
    }
    budgets(&mut out);
    out
}

/// The relational domains' budgets, as the analyzer states them: zone-z3's solver budget
/// and the most places `eq` links at once.
fn budgets(out: &mut Generated) {
    use bpfprove_analyzer::{links, transfer};
    out.value("zone-z3.rlimit_per_query".to_owned(), thousands(u64::from(transfer::RLIMIT_PER_QUERY)));
    out.value("zone-z3.max_queries".to_owned(), transfer::MAX_QUERIES);
    out.value("eq.max_places".to_owned(), links::MAX_PLACES);
}

/// `n` with its thousands separated by commas (`4,000,000`).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The verifiers of `rows`, in their first-appearance order (the order `bench` ran them).
pub fn verifiers(rows: &[Row]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    rows.iter().filter(|r| seen.insert(r.domain.clone())).map(|r| r.domain.clone()).collect()
}

/// A Markdown table; `numeric[i]` right-aligns column `i`.
fn markdown(headers: &[&str], numeric: &[bool], cells: &[Vec<String>]) -> String {
    let mut text = format!("| {} |\n|", headers.join(" | "));
    for &right in numeric {
        text.push_str(if right { " ---: |" } else { " :--- |" });
    }
    text.push('\n');
    for row in cells {
        text.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    text
}

/// Seconds with three significant digits (`0.0123`, `1.23`, `123`).
fn seconds(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let digits = (2 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.digits$}")
}

/// What one verifier did on one suite.
struct Totals {
    programs: usize,
    accepted: usize,
    not_run: usize,
    proven: Option<u64>,
    obligations: Option<u64>,
    seconds: f64,
    peak_mib: Option<f64>,
    /// Programs stopped by the time limit (each counts as rejected, after the limit's time).
    timed_out: usize,
}

fn totals(rows: &[&Row]) -> Totals {
    let ran: Vec<&&Row> = rows.iter().filter(|r| r.verdict.is_some()).collect();
    let sum = |field: fn(&Row) -> Option<u64>| ran.iter().map(|r| field(r)).sum::<Option<u64>>();
    Totals {
        programs: ran.len(),
        accepted: ran.iter().filter(|r| r.verdict == Some(true)).count(),
        not_run: rows.len() - ran.len(),
        proven: sum(|r| r.proven),
        obligations: sum(|r| r.obligations),
        seconds: ran.iter().filter_map(|r| r.duration).sum::<u64>() as f64 / 1e6,
        peak_mib: ran.iter().filter_map(|r| r.mem_peak_kib).max().map(|kib| kib as f64 / 1024.0),
        timed_out: ran.iter().filter(|r| r.reason.contains("time limit")).count(),
    }
}

fn suite_tables(suite: &str, rows: &[Row], out: &mut Generated) {
    let verifiers = verifiers(rows);
    let programs: BTreeSet<(&str, &str)> = rows.iter().map(|r| (r.file_name.as_str(), r.prog_name.as_str())).collect();
    out.value(format!("{suite}.programs"), programs.len());
    let product_seconds = totals(&rows.iter().filter(|r| r.domain == "product").collect::<Vec<_>>()).seconds;
    let mut cells = Vec::new();
    for verifier in &verifiers {
        let mine: Vec<&Row> = rows.iter().filter(|r| &r.domain == verifier).collect();
        let t = totals(&mine);
        let key = |name: &str| format!("{suite}.{verifier}.{name}");
        out.value(key("accepted"), t.accepted);
        out.value(key("ran"), t.programs);
        out.value(key("seconds"), seconds(t.seconds));
        out.value(key("timed_out"), t.timed_out);
        let obligations = match (t.proven, t.obligations) {
            (Some(proven), Some(total)) if total > 0 => {
                out.value(key("proven"), proven);
                out.value(key("obligations"), total);
                format!("{proven} / {total}")
            }
            _ => "—".to_owned(),
        };
        let relative = if product_seconds > 0.0 && t.programs > 0 {
            let ratio = format!("{:.2}", t.seconds / product_seconds);
            out.value(key("time_vs_product"), &ratio);
            format!("{ratio}×")
        } else {
            "—".to_owned()
        };
        let peak = t.peak_mib.map_or_else(|| "—".to_owned(), |mib| format!("{mib:.1}"));
        cells.push(vec![
            verifier.clone(),
            format!("{} / {}", t.accepted, t.programs),
            t.not_run.to_string(),
            obligations,
            seconds(t.seconds),
            relative,
            peak,
        ]);
    }
    out.tables.insert(
        format!("precision-{suite}"),
        markdown(
            &["verifier", "accepted / ran", "N/A", "obligations proven", "time (s)", "time vs product", "peak MiB"],
            &[false, true, true, true, true, true, true],
            &cells,
        ),
    );
    out.tables.insert(format!("verdicts-{suite}"), verdict_matrix(rows, &verifiers));
    out.tables.insert(format!("differences-{suite}"), differences(rows, &verifiers));
}

/// Program × verifier: `pass`, `fail` or `N/A`.
fn verdict_matrix(rows: &[Row], verifiers: &[String]) -> String {
    let mut by_program: BTreeMap<(&str, &str), BTreeMap<&str, &str>> = BTreeMap::new();
    for row in rows {
        let verdict = match row.verdict {
            Some(true) => "pass",
            Some(false) => "fail",
            None => "N/A",
        };
        by_program.entry((&row.file_name, &row.prog_name)).or_default().insert(&row.domain, verdict);
    }
    let mut headers = vec!["program"];
    headers.extend(verifiers.iter().map(String::as_str));
    let cells: Vec<Vec<String>> = by_program
        .iter()
        .map(|((_, program), verdicts)| {
            let mut line = vec![format!("`{program}`")];
            line.extend(verifiers.iter().map(|v| verdicts.get(v.as_str()).copied().unwrap_or("—").to_owned()));
            line
        })
        .collect();
    markdown(&headers, &vec![false; headers.len()], &cells)
}

/// The programs some verifier accepts and another that ran it rejects.
fn differences(rows: &[Row], verifiers: &[String]) -> String {
    let mut by_program: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
    for row in rows {
        by_program.entry((&row.file_name, &row.prog_name)).or_default().push(row);
    }
    let cells: Vec<Vec<String>> = by_program
        .iter()
        .filter_map(|((file, program), rows)| {
            let accepted: Vec<&str> = verifiers
                .iter()
                .filter(|v| rows.iter().any(|r| &r.domain == *v && r.verdict == Some(true)))
                .map(String::as_str)
                .collect();
            let rejected: Vec<&str> = verifiers
                .iter()
                .filter(|v| rows.iter().any(|r| &r.domain == *v && r.verdict == Some(false)))
                .map(String::as_str)
                .collect();
            (!accepted.is_empty() && !rejected.is_empty())
                .then(|| vec![format!("`{file}`"), format!("`{program}`"), accepted.join(", "), rejected.join(", ")])
        })
        .collect();
    if cells.is_empty() {
        return "Every verifier that ran a program gave it the same verdict.\n".to_owned();
    }
    markdown(&["object", "program", "accepted by", "rejected by"], &[false; 4], &cells)
}

fn domain_tables(checks: &[DomainCheck], out: &mut Generated) {
    out.value("domains.checks".to_owned(), checks.len());
    out.value("domains.unsound".to_owned(), checks.iter().filter(|c| c.outcome == "unsound").count());
    out.value("domains.unknown".to_owned(), checks.iter().filter(|c| c.outcome == "unknown").count());
    let widths: BTreeSet<u32> = checks.iter().filter_map(|c| c.width).collect();
    if let Some(widest) = widths.last() {
        out.value("domains.widest".to_owned(), widest);
    }
    let mut domains: Vec<&str> = Vec::new();
    for check in checks {
        if !domains.contains(&check.domain.as_str()) {
            domains.push(&check.domain);
        }
    }
    let mut cells = Vec::new();
    for domain in domains {
        let mine: Vec<&DomainCheck> = checks.iter().filter(|c| c.domain == domain).collect();
        let count = |outcome: &str| mine.iter().filter(|c| c.outcome == outcome).count();
        let by_width: Vec<String> = widths
            .iter()
            .map(|&w| mine.iter().filter(|c| c.width == Some(w) && c.sound()).count().to_string())
            .collect();
        out.value(format!("domains.{domain}.checks"), mine.len());
        out.value(format!("domains.{domain}.sound"), mine.iter().filter(|c| c.sound()).count());
        let mut line = vec![domain.to_owned(), mine.len().to_string()];
        line.extend(by_width);
        line.extend([
            count("unsound").to_string(),
            count("unknown").to_string(),
            seconds(mine.iter().map(|c| c.seconds).sum()),
        ]);
        cells.push(line);
    }
    let width_headers: Vec<String> = widths.iter().map(|w| format!("sound at {w} bits")).collect();
    let mut headers = vec!["domain", "operations"];
    headers.extend(width_headers.iter().map(String::as_str));
    headers.extend(["unsound", "unknown", "time (s)"]);
    let mut numeric = vec![false];
    numeric.extend(vec![true; headers.len() - 1]);
    out.tables.insert("domains".to_owned(), markdown(&headers, &numeric, &cells));
}

fn scale_tables(figures: &[ScaleFigures], out: &mut Generated) {
    let optional = |value: Option<f64>, format: fn(f64) -> String| value.map_or_else(|| "—".to_owned(), format);
    let mut cells = Vec::new();
    for f in figures {
        let workload = f.workload.as_str();
        // Keyed by family too (`straight_line`, …): the text cites the family's largest
        // workload, whichever sizes the run used.
        let family = workload.rsplit_once('_').map_or(workload, |(family, _)| family);
        for name in [workload, family] {
            scale_values(&format!("scale.{name}"), f, out);
        }
        cells.push(vec![
            format!("`{workload}`"),
            f.insns.to_string(),
            f.verdict.clone(),
            seconds(f.verify_seconds),
            optional(f.verify_cpu_seconds, seconds),
            optional(f.peak_mib, |m| format!("{m:.1}")),
            format!("{} / {}", f.unrolled_loops, f.widened_loops),
            optional(f.proof_log_bytes.map(|b| b as f64 / (1024.0 * 1024.0)), |m| format!("{m:.1}")),
            optional(f.check_seconds, seconds),
            optional(f.counterexample_seconds, seconds),
        ]);
    }
    out.tables.insert(
        "scale".to_owned(),
        markdown(
            &[
                "workload",
                "insns",
                "verdict",
                "verify (s)",
                "CPU (s)",
                "peak MiB",
                "loops unrolled / widened",
                "proof log MiB",
                "check (s)",
                "counterexample (s)",
            ],
            &[false, true, false, true, true, true, true, true, true, true],
            &cells,
        ),
    );
}

/// The values of one scale workload under `prefix` (a later workload of the same family
/// replaces an earlier one's).
fn scale_values(prefix: &str, f: &ScaleFigures, out: &mut Generated) {
    let key = |name: &str| format!("{prefix}.{name}");
    out.value(key("insns"), f.insns);
    out.value(key("seconds"), seconds(f.verify_seconds));
    if let Some(cpu) = f.verify_cpu_seconds {
        out.value(key("cpu_seconds"), seconds(cpu));
    }
    if let Some(mib) = f.peak_mib {
        out.value(key("peak_mib"), format!("{mib:.1}"));
    }
    if let Some(bytes) = f.proof_log_bytes {
        out.value(key("log_mib"), format!("{:.1}", bytes as f64 / (1024.0 * 1024.0)));
    }
    if let Some(check) = f.check_seconds {
        out.value(key("check_seconds"), seconds(check));
    }
    if let Some(search) = f.counterexample_seconds {
        out.value(key("counterexample_seconds"), seconds(search));
    }
    out.value(key("loops_widened"), f.widened_loops);
    out.value(key("loops_unrolled"), f.unrolled_loops);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(program: &str, domain: &str, verdict: Option<bool>, proven: u64, duration: u64) -> Row {
        Row {
            verdict,
            duration: verdict.map(|_| duration),
            proven: Some(proven),
            obligations: Some(10),
            mem_peak_kib: Some(2048),
            ..Row::not_applicable("relational.o", program, domain, "")
        }
    }

    #[test]
    fn suite_values_count_what_each_verifier_did() {
        let rows = vec![
            row("a", "product", Some(true), 10, 1000),
            row("a", "tnum", Some(false), 7, 500),
            row("b", "product", Some(false), 9, 1000),
            row("b", "tnum", None, 0, 0),
        ];
        let generated = generated_for("relational", rows);
        let value = |key: &str| value_of(&generated, key);
        assert_eq!(value("relational.programs"), "2");
        assert_eq!(value("relational.product.accepted"), "1");
        assert_eq!(value("relational.product.ran"), "2");
        assert_eq!(value("relational.product.proven"), "19");
        assert_eq!(value("relational.tnum.ran"), "1");
        assert_eq!(value("relational.tnum.time_vs_product"), "0.25");
        let differences = &generated.tables["differences-relational"];
        assert!(differences.contains("| `relational.o` | `a` | product | tnum |"), "{differences}");
        assert!(!differences.contains("`b`"), "b has no verifier accepting it: {differences}");
    }

    /// What the paper generates from one suite's rows.
    fn generated_for(suite: &str, rows: Vec<Row>) -> Generated {
        generate(&Inputs { suites: vec![(suite.to_owned(), rows)], ..Inputs::default() })
    }

    /// A generated value, which must exist.
    fn value_of(generated: &Generated, key: &str) -> String {
        generated.values.get(key).cloned().unwrap_or_else(|| panic!("no {key}"))
    }

    #[test]
    fn a_domain_named_with_a_dash_has_its_values_and_its_cost_against_the_product() {
        let rows = vec![
            row("a", "product", Some(true), 10, 1000),
            row("b", "product", Some(false), 9, 1000),
            row("a", "zone-z3", Some(true), 10, 30_000),
            Row { reason: "budget: time limit".to_owned(), ..row("b", "zone-z3", Some(false), 3, 10_000) },
            row("a", "eq", Some(true), 10, 1000),
            row("b", "eq", Some(false), 9, 1500),
        ];
        let generated = generated_for("corpus", rows);
        let value = |key: &str| value_of(&generated, key);
        assert_eq!(value("corpus.zone-z3.accepted"), "1");
        assert_eq!(value("corpus.zone-z3.time_vs_product"), "20.00");
        assert_eq!(value("corpus.zone-z3.timed_out"), "1");
        assert_eq!(value("corpus.eq.time_vs_product"), "1.25");
        assert_eq!(value("corpus.product.timed_out"), "0");
        let source = "zone-z3 costs {{value:corpus.zone-z3.time_vs_product}} times the product's time.\n";
        let text = super::super::render::expand(source, &generated, &BTreeMap::new()).expect("the key resolves");
        assert_eq!(text, "zone-z3 costs 20.00 times the product's time.\n");
    }

    #[test]
    fn the_domain_table_counts_sound_checks_per_width() {
        let check = |domain: &str, outcome: &str, width: Option<u32>| DomainCheck {
            operation: "add64".to_owned(),
            domain: domain.to_owned(),
            outcome: outcome.to_owned(),
            width,
            pairs: 0,
            seconds: 1.0,
        };
        let inputs = Inputs {
            domain_checks: vec![
                check("tnum", "proven", Some(64)),
                check("tnum", "proven-at-width", Some(8)),
                check("product", "unsound", None),
            ],
            ..Inputs::default()
        };
        let generated = generate(&inputs);
        assert_eq!(generated.values["domains.unsound"], "1");
        assert_eq!(generated.values["domains.tnum.sound"], "2");
        assert_eq!(generated.values["domains.widest"], "64");
        let table = &generated.tables["domains"];
        assert!(table.contains("| tnum | 2 | 1 | 1 | 0 | 0 | 2.00 |"), "{table}");
        assert!(table.contains("| product | 1 | 0 | 0 | 1 | 0 | 1.00 |"), "{table}");
    }

    #[test]
    fn the_budgets_are_the_analyzers() {
        let generated = generate(&Inputs::default());
        assert_eq!(generated.values["zone-z3.max_queries"], bpfprove_analyzer::transfer::MAX_QUERIES.to_string());
        assert_eq!(thousands(4_000_000), "4,000,000");
        assert_eq!(thousands(400), "400");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn seconds_keep_three_significant_digits() {
        assert_eq!(seconds(0.012345), "0.0123");
        assert_eq!(seconds(1.2345), "1.23");
        assert_eq!(seconds(123.45), "123");
        assert_eq!(seconds(0.0), "0");
    }
}
