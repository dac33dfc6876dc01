//! `--compare A.csv B.csv`, as veristat's `-C`: rows joined on (file_name, prog_name) and
//! the domain when both runs have the same verifiers; every other column shown as A, B and
//! DIFF — `+N (+P%)` for counts, `MATCH`/`MISMATCH` for text (verdicts), `N/A` when a side
//! has no row or no value.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::BenchError;
use crate::format;
use crate::row::{Column, Row};

/// (file, program, domain or empty).
type RowKey = (String, String, String);
/// A's row and B's.
type Pair = (Option<Row>, Option<Row>);

/// A compare result ready to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    columns: Vec<Column>,
    with_domain: bool,
    joined: Vec<Pair>,
}

/// Joins `base` and `comp` on (file, program[, domain]).
pub fn join(base: &[Row], comp: &[Row], columns: &[Column]) -> Result<Comparison, BenchError> {
    let domains = |rows: &[Row]| rows.iter().map(|r| r.domain.clone()).collect::<BTreeSet<String>>();
    let (base_domains, comp_domains) = (domains(base), domains(comp));
    let with_domain = if base_domains == comp_domains {
        true
    } else if base_domains.len() <= 1 && comp_domains.len() <= 1 {
        false
    } else {
        let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(",");
        return Err(BenchError::BadArgument(format!(
            "A has the verifiers {} and B {}: compare needs the same verifiers in both, or one in each",
            list(&base_domains),
            list(&comp_domains)
        )));
    };
    let mut joined: BTreeMap<RowKey, Pair> = BTreeMap::new();
    for row in base {
        if joined.insert(row.key(with_domain), (Some(row.clone()), None)).is_some() {
            return Err(duplicate("A", row));
        }
    }
    for row in comp {
        let entry = joined.entry(row.key(with_domain)).or_insert((None, None));
        if entry.1.replace(row.clone()).is_some() {
            return Err(duplicate("B", row));
        }
    }
    let mut columns: Vec<Column> = columns.to_vec();
    if !with_domain {
        // The domain is then a compared value, not part of the key.
        columns.retain(|&c| c != Column::Domain);
        let at = columns.iter().position(|c| !c.is_key()).unwrap_or(columns.len());
        columns.insert(at, Column::Domain);
    }
    Ok(Comparison { columns, with_domain, joined: joined.into_values().collect() })
}

fn duplicate(side: &str, row: &Row) -> BenchError {
    BenchError::BadArgument(format!(
        "{side} has two rows for {}/{} ({}): merge shards with --merge first",
        row.file_name, row.prog_name, row.domain
    ))
}

impl Comparison {
    /// Keeps the joined programs for which `keep` holds on A's row or on B's (veristat's
    /// filters on a compare look at both sides).
    pub fn retain(&mut self, keep: impl Fn(&Row) -> bool) {
        self.joined.retain(|(a, b)| a.as_ref().is_some_and(&keep) || b.as_ref().is_some_and(&keep));
    }

    fn is_key(&self, column: Column) -> bool {
        matches!(column, Column::FileName | Column::ProgName) || (self.with_domain && column == Column::Domain)
    }

    fn headers(&self, suffixes: [&str; 3]) -> (Vec<String>, Vec<bool>) {
        let mut headers = Vec::new();
        let mut numeric = Vec::new();
        for &column in &self.columns {
            if self.is_key(column) {
                headers.push(column.header().to_owned());
                numeric.push(false);
            } else {
                for suffix in suffixes {
                    headers.push(format!("{}{suffix}", column.header()));
                    numeric.push(column.is_number());
                }
            }
        }
        (headers, numeric)
    }

    fn cells(&self) -> Vec<Vec<String>> {
        self.joined
            .iter()
            .map(|(base, comp)| {
                let mut cells = Vec::new();
                for &column in &self.columns {
                    if self.is_key(column) {
                        let row = base.as_ref().or(comp.as_ref()).expect("a joined entry has a side");
                        cells.push(row.text(column));
                    } else {
                        let [a, b, diff] = compare_cell(base.as_ref(), comp.as_ref(), column);
                        cells.extend([a, b, diff]);
                    }
                }
                cells
            })
            .collect()
    }

    /// As a table (headers `X (A)`, `X (B)`, `X (DIFF)`).
    pub fn table(&self) -> String {
        let (headers, numeric) = self.headers([" (A)", " (B)", " (DIFF)"]);
        format::table(&headers, &numeric, &self.cells())
    }

    /// As CSV (columns `x_base`, `x_comp`, `x_diff`).
    pub fn csv(&self) -> String {
        let names: Vec<String> = self
            .columns
            .iter()
            .flat_map(|&c| {
                if self.is_key(c) {
                    vec![c.name().to_owned()]
                } else {
                    ["_base", "_comp", "_diff"].iter().map(|s| format!("{}{s}", c.name())).collect()
                }
            })
            .collect();
        format::csv(&names, &self.cells())
    }
}

/// A, B and DIFF for one column.
fn compare_cell(base: Option<&Row>, comp: Option<&Row>, column: Column) -> [String; 3] {
    let text = |row: Option<&Row>| row.map_or_else(|| "N/A".to_owned(), |r| r.text(column));
    let (a, b) = (text(base), text(comp));
    let diff = if column.is_number() {
        match (base.and_then(|r| r.number(column)), comp.and_then(|r| r.number(column))) {
            (Some(a), Some(b)) => percent_diff(a, b),
            _ => "N/A".to_owned(),
        }
    } else if base.is_none() || comp.is_none() {
        "N/A".to_owned()
    } else if a == b {
        "MATCH".to_owned()
    } else {
        "MISMATCH".to_owned()
    };
    [a, b, diff]
}

/// `+N (+P%)`, with a zero base counting as ±100% (and `+0 (+0.00%)` when both are zero).
pub fn percent_diff(base: i64, comp: i64) -> String {
    let diff = comp.saturating_sub(base);
    let percent = if base == 0 {
        match comp.cmp(&base) {
            std::cmp::Ordering::Equal => 0.0,
            std::cmp::Ordering::Less => -100.0,
            std::cmp::Ordering::Greater => 100.0,
        }
    } else {
        diff as f64 * 100.0 / base as f64
    };
    format!("{diff:+} ({percent:+.2}%)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_signed_with_percentages() {
        assert_eq!(percent_diff(100, 150), "+50 (+50.00%)");
        assert_eq!(percent_diff(200, 100), "-100 (-50.00%)");
        assert_eq!(percent_diff(0, 0), "+0 (+0.00%)");
        assert_eq!(percent_diff(0, 7), "+7 (+100.00%)");
    }
}
