//! `--merge A.csv B.csv ...`: the shards of one run joined back into one result.

use std::collections::BTreeSet;

use crate::error::BenchError;
use crate::row::Row;
use crate::verifier::VerifierKind;

/// All rows of `shards`, in the order a whole run prints them; a (file, program, verifier)
/// present in two shards is an error (the shards overlap or one was passed twice).
pub fn merge(shards: Vec<Vec<Row>>) -> Result<Vec<Row>, BenchError> {
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for row in shards.into_iter().flatten() {
        if !seen.insert(row.key(true)) {
            return Err(BenchError::BadArgument(format!(
                "{}/{} ({}) is in two shards",
                row.file_name, row.prog_name, row.domain
            )));
        }
        rows.push(row);
    }
    sort(&mut rows);
    Ok(rows)
}

/// Sorts rows by file, program, then verifier in column order (domains, kernel, PREVAIL;
/// names this version does not know last, by name).
pub fn sort(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        let rank = |r: &Row| r.domain.parse::<VerifierKind>().ok();
        (&a.file_name, &a.prog_name, rank(a).is_none(), rank(a), &a.domain).cmp(&(
            &b.file_name,
            &b.prog_name,
            rank(b).is_none(),
            rank(b),
            &b.domain,
        ))
    });
}
