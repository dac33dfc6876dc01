//! The paper's inputs besides bench rows: the domain checks of `prove-domains` and the
//! scale figures of `scale`, as CSV records (written by those commands with `--csv`, read
//! back here), and the summary figures of other commands ([`Measured`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::BenchError;
use crate::scale::ScaleRow;

/// One row of `prove-domains`: an operation of a domain and how its soundness was checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainCheck {
    /// The operation (`add64`, `jsle32`, …).
    pub operation: String,
    /// The domain's name.
    pub domain: String,
    /// How the check ended: `proven`, `proven-at-width`, `proven-by-composition`,
    /// `sampled-at-width`, `unsound` or `unknown`.
    pub outcome: String,
    /// The word width the outcome holds at (64 for the machine).
    pub width: Option<u32>,
    /// Abstract operand pairs enumerated (0 for Z3 checks).
    pub pairs: u64,
    /// Seconds taken.
    pub seconds: f64,
}

impl DomainCheck {
    /// The record of one `prove-domains` row.
    pub fn of(row: &bpfprove_domains::check::report::Row) -> DomainCheck {
        use bpfprove_domains::check::report::Verdict;
        let (outcome, width) = match &row.verdict {
            Verdict::Proven => ("proven", Some(64)),
            Verdict::ProvenAtWidth(width) => ("proven-at-width", Some(*width)),
            Verdict::ProvenByComposition { width, .. } => ("proven-by-composition", Some(*width)),
            Verdict::SampledAtWidth(width) => ("sampled-at-width", Some(*width)),
            Verdict::Unsound(_) => ("unsound", None),
            Verdict::Unknown(_) => ("unknown", None),
        };
        DomainCheck {
            operation: row.operation.to_string(),
            domain: row.domain.to_string(),
            outcome: outcome.to_owned(),
            width,
            pairs: row.pairs,
            seconds: row.time.as_secs_f64(),
        }
    }

    /// Whether the check found the operation sound (proven or, at a small width, sampled
    /// without a counterexample).
    pub fn sound(&self) -> bool {
        !matches!(self.outcome.as_str(), "unsound" | "unknown")
    }
}

/// One workload of `scale`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleFigures {
    /// The workload (`straight_line_100000`, …).
    pub workload: String,
    /// Instruction slots.
    pub insns: u64,
    /// `pass` or `fail`.
    pub verdict: String,
    /// Verification wall time, seconds.
    pub verify_seconds: f64,
    /// The verifying thread's CPU time, seconds.
    pub verify_cpu_seconds: Option<f64>,
    /// Peak heap of the verification, MiB.
    pub peak_mib: Option<f64>,
    /// Loops unrolled to their end.
    pub unrolled_loops: u64,
    /// Loops widened.
    pub widened_loops: u64,
    /// The proof log's bytes, where one was written.
    pub proof_log_bytes: Option<u64>,
    /// Time to check the proof log, seconds.
    pub check_seconds: Option<f64>,
    /// Time of the counterexample search after a failing verification, seconds.
    pub counterexample_seconds: Option<f64>,
}

impl ScaleFigures {
    /// The record of one measured workload.
    pub fn of(row: &ScaleRow) -> ScaleFigures {
        ScaleFigures {
            workload: row.name.clone(),
            insns: row.insns as u64,
            verdict: if row.verdict == bpfprove_analyzer::Verdict::Pass { "pass" } else { "fail" }.to_owned(),
            verify_seconds: row.verify.as_secs_f64(),
            verify_cpu_seconds: row.verify_cpu.map(|cpu| cpu.as_secs_f64()),
            peak_mib: row.peak_heap.map(|bytes| bytes as f64 / (1024.0 * 1024.0)),
            unrolled_loops: row.unrolled_loops as u64,
            widened_loops: row.widened_loops as u64,
            proof_log_bytes: row.proof.map(|proof| proof.bytes as u64),
            check_seconds: row.proof.map(|proof| proof.check.as_secs_f64()),
            counterexample_seconds: row.counterexample.map(|(time, _)| time.as_secs_f64()),
        }
    }
}

/// A figure a command printed as its summary (`difftest`'s cases and divergences, the
/// fuzzer's programs and findings), which `paper/build` reads from that line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measured {
    /// Its key (`jit.cases`, …), used as `run.KEY` in the paper.
    pub key: String,
    /// Its value, as printed.
    pub value: String,
}

/// `records` as CSV text, a header line first.
pub fn write_records<T: Serialize>(records: &[T]) -> Result<String, BenchError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer.serialize(record).map_err(|e| BenchError::BadArgument(format!("cannot write a CSV record: {e}")))?;
    }
    let bytes = writer.into_inner().map_err(|e| BenchError::BadArgument(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| BenchError::BadArgument(format!("CSV is not UTF-8: {e}")))
}

/// The records of CSV `text` read from `file` (named in errors, with the line).
pub fn read_records<T: DeserializeOwned>(file: &str, text: &str) -> Result<Vec<T>, BenchError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .deserialize()
        .map(|record| {
            record.map_err(|e| BenchError::BadResults {
                file: file.to_owned(),
                line: e.position().map_or(0, |p| p.line() as usize),
                reason: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_csv() {
        let check = DomainCheck {
            operation: "add64".to_owned(),
            domain: "tnum".to_owned(),
            outcome: "proven".to_owned(),
            width: Some(64),
            pairs: 0,
            seconds: 0.25,
        };
        let text = write_records(std::slice::from_ref(&check)).expect("writes");
        assert_eq!(read_records::<DomainCheck>("checks.csv", &text).expect("reads"), vec![check]);
    }

    #[test]
    fn a_bad_record_names_its_file_and_line() {
        let text = "operation,domain,outcome,width,pairs,seconds\nadd64,tnum,proven,64,many,0.1\n";
        let error = read_records::<DomainCheck>("checks.csv", text).expect_err("pairs is not a number");
        let message = error.to_string();
        assert!(message.starts_with("checks.csv, line 2:"), "{message}");
    }
}
