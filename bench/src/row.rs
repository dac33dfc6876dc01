//! One result row — a (file, program, verifier) — and the columns it is printed in,
//! named as veristat names the statistics the two tools share.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::BenchError;

/// The result of one verifier on one program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The object file, relative to the directory it was found under.
    pub file_name: String,
    /// The program (its function symbol).
    pub prog_name: String,
    /// The verifier: a domain name, `kernel` or `prevail`.
    pub domain: String,
    /// `Some(true)` accepted, `Some(false)` rejected, `None` not run (see `reason`).
    pub verdict: Option<bool>,
    /// Wall time of the verification, microseconds.
    pub duration: Option<u64>,
    /// Instructions processed (visits).
    pub total_insns: Option<u64>,
    /// States stored (invariants kept per pc over the live contexts).
    pub total_states: Option<u64>,
    /// Most states held at once.
    pub peak_states: Option<u64>,
    /// Most heap memory the analysis held, KiB.
    pub mem_peak_kib: Option<u64>,
    /// Obligations proven (by key: see [`crate::key`]).
    pub proven: Option<u64>,
    /// Obligations in all.
    pub obligations: Option<u64>,
    /// Proven/total per obligation kind, `kind:p/t` joined by `;`.
    pub by_kind: String,
    /// The first obligation not proven (lowest pc), with its status.
    pub first_failure: String,
    /// Why the verdict is `N/A` or `failure` without a failed obligation (a budget, a
    /// verifier's message).
    pub reason: String,
}

impl Row {
    /// A row for a verifier that could not run the program, saying why.
    pub fn not_applicable(file_name: &str, prog_name: &str, domain: &str, reason: impl Into<String>) -> Row {
        Row {
            file_name: file_name.to_owned(),
            prog_name: prog_name.to_owned(),
            domain: domain.to_owned(),
            verdict: None,
            duration: None,
            total_insns: None,
            total_states: None,
            peak_states: None,
            mem_peak_kib: None,
            proven: None,
            obligations: None,
            by_kind: String::new(),
            first_failure: String::new(),
            reason: reason.into(),
        }
    }

    /// The text of `column` (numbers in decimal, `N/A` for a missing value).
    pub fn text(&self, column: Column) -> String {
        let number = |value: Option<u64>| value.map_or_else(|| "N/A".to_owned(), |v| v.to_string());
        match column {
            Column::FileName => self.file_name.clone(),
            Column::ProgName => self.prog_name.clone(),
            Column::Domain => self.domain.clone(),
            Column::Verdict => verdict_text(self.verdict).to_owned(),
            Column::Duration => number(self.duration),
            Column::TotalInsns => number(self.total_insns),
            Column::TotalStates => number(self.total_states),
            Column::PeakStates => number(self.peak_states),
            Column::MemPeak => number(self.mem_peak_kib),
            Column::Proven => number(self.proven),
            Column::Obligations => number(self.obligations),
            Column::ByKind => self.by_kind.clone(),
            Column::FirstFailure => self.first_failure.clone(),
            Column::Reason => self.reason.clone(),
        }
    }

    /// The number filters and compare use: verdicts count as success 1, failure 0.
    pub fn number(&self, column: Column) -> Option<i64> {
        let of = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        match column {
            Column::Verdict => self.verdict.map(i64::from),
            Column::Duration => of(self.duration),
            Column::TotalInsns => of(self.total_insns),
            Column::TotalStates => of(self.total_states),
            Column::PeakStates => of(self.peak_states),
            Column::MemPeak => of(self.mem_peak_kib),
            Column::Proven => of(self.proven),
            Column::Obligations => of(self.obligations),
            _ => None,
        }
    }

    /// Sets `column` from its text (the inverse of [`Row::text`]).
    pub fn set(&mut self, column: Column, text: &str) -> Result<(), String> {
        let number = |text: &str| -> Result<Option<u64>, String> {
            if text == "N/A" || text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| format!("{}: `{text}` is not a count", column.name()))
        };
        match column {
            Column::FileName => self.file_name = text.to_owned(),
            Column::ProgName => self.prog_name = text.to_owned(),
            Column::Domain => self.domain = text.to_owned(),
            Column::Verdict => {
                self.verdict = match text {
                    "success" => Some(true),
                    "failure" => Some(false),
                    "N/A" => None,
                    other => return Err(format!("verdict `{other}` is not success, failure or N/A")),
                }
            }
            Column::Duration => self.duration = number(text)?,
            Column::TotalInsns => self.total_insns = number(text)?,
            Column::TotalStates => self.total_states = number(text)?,
            Column::PeakStates => self.peak_states = number(text)?,
            Column::MemPeak => self.mem_peak_kib = number(text)?,
            Column::Proven => self.proven = number(text)?,
            Column::Obligations => self.obligations = number(text)?,
            Column::ByKind => self.by_kind = text.to_owned(),
            Column::FirstFailure => self.first_failure = text.to_owned(),
            Column::Reason => self.reason = text.to_owned(),
        }
        Ok(())
    }

    /// The join key of compare and merge.
    pub fn key(&self, with_domain: bool) -> (String, String, String) {
        let domain = if with_domain { self.domain.clone() } else { String::new() };
        (self.file_name.clone(), self.prog_name.clone(), domain)
    }
}

/// `success`, `failure` or `N/A`.
pub fn verdict_text(verdict: Option<bool>) -> &'static str {
    match verdict {
        Some(true) => "success",
        Some(false) => "failure",
        None => "N/A",
    }
}

/// A column of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// `file_name`.
    FileName,
    /// `prog_name`.
    ProgName,
    /// `domain`: the verifier.
    Domain,
    /// `verdict`.
    Verdict,
    /// `duration` (µs).
    Duration,
    /// `total_insns`.
    TotalInsns,
    /// `total_states`.
    TotalStates,
    /// `peak_states`.
    PeakStates,
    /// `mem_peak_kib`.
    MemPeak,
    /// `proven`.
    Proven,
    /// `obligations`.
    Obligations,
    /// `by_kind`.
    ByKind,
    /// `first_failure`.
    FirstFailure,
    /// `reason`.
    Reason,
}

impl Column {
    /// Every column, in CSV order.
    pub const ALL: [Column; 14] = [
        Column::FileName,
        Column::ProgName,
        Column::Domain,
        Column::Verdict,
        Column::Duration,
        Column::TotalInsns,
        Column::TotalStates,
        Column::PeakStates,
        Column::MemPeak,
        Column::Proven,
        Column::Obligations,
        Column::ByKind,
        Column::FirstFailure,
        Column::Reason,
    ];

    /// The table's default columns.
    pub const TABLE: [Column; 13] = [
        Column::FileName,
        Column::ProgName,
        Column::Domain,
        Column::Verdict,
        Column::Duration,
        Column::TotalInsns,
        Column::TotalStates,
        Column::PeakStates,
        Column::MemPeak,
        Column::Proven,
        Column::Obligations,
        Column::FirstFailure,
        Column::Reason,
    ];

    /// The CSV and JSON name (veristat's where it has the statistic).
    pub fn name(self) -> &'static str {
        self.names()[0]
    }

    /// Every name `-e` and `-f` accept (veristat's aliases included).
    fn names(self) -> &'static [&'static str] {
        match self {
            Column::FileName => &["file_name", "filename", "file"],
            Column::ProgName => &["prog_name", "progname", "prog"],
            Column::Domain => &["domain", "verifier"],
            Column::Verdict => &["verdict"],
            Column::Duration => &["duration", "dur"],
            Column::TotalInsns => &["total_insns", "insns"],
            Column::TotalStates => &["total_states", "states"],
            Column::PeakStates => &["peak_states"],
            Column::MemPeak => &["mem_peak_kib", "mem"],
            Column::Proven => &["proven"],
            Column::Obligations => &["obligations", "total_obligations"],
            Column::ByKind => &["by_kind"],
            Column::FirstFailure => &["first_failure"],
            Column::Reason => &["reason"],
        }
    }

    /// The table header (veristat's where it has the statistic).
    pub fn header(self) -> &'static str {
        match self {
            Column::FileName => "File",
            Column::ProgName => "Program",
            Column::Domain => "Domain",
            Column::Verdict => "Verdict",
            Column::Duration => "Duration (us)",
            Column::TotalInsns => "Insns",
            Column::TotalStates => "States",
            Column::PeakStates => "Peak states",
            Column::MemPeak => "Peak mem (KiB)",
            Column::Proven => "Proven",
            Column::Obligations => "Obligations",
            Column::ByKind => "By kind",
            Column::FirstFailure => "First failure",
            Column::Reason => "Reason",
        }
    }

    /// Whether the column is a count (right-aligned, compared as `+N (+P%)`).
    pub fn is_number(self) -> bool {
        !matches!(
            self,
            Column::FileName
                | Column::ProgName
                | Column::Domain
                | Column::Verdict
                | Column::ByKind
                | Column::FirstFailure
                | Column::Reason
        )
    }

    /// Whether the column names the row rather than measuring it.
    pub fn is_key(self) -> bool {
        matches!(self, Column::FileName | Column::ProgName | Column::Domain)
    }

    /// The column named `name` (any alias).
    pub fn by_name(name: &str) -> Result<Column, BenchError> {
        Column::ALL.into_iter().find(|c| c.names().contains(&name)).ok_or_else(|| {
            let known: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
            BenchError::BadArgument(format!("unknown column `{name}`; the columns are {}", known.join(", ")))
        })
    }

    /// Parses `-e` (`file,prog,verdict,...`; `*` or `all` for every column).
    pub fn parse_list(list: &str) -> Result<Vec<Column>, BenchError> {
        if list == "*" || list == "all" {
            return Ok(Column::ALL.to_vec());
        }
        list.split(',').map(str::trim).filter(|n| !n.is_empty()).map(Column::by_name).collect()
    }
}

/// `kind:proven/total` per kind, joined by `;`.
pub fn by_kind_text(counts: &BTreeMap<&'static str, (u64, u64)>) -> String {
    counts.iter().map(|(kind, (proven, total))| format!("{kind}:{proven}/{total}")).collect::<Vec<_>>().join(";")
}
