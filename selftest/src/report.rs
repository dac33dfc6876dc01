//! The judge's report: a line per test, the agreement matrix, reasons by count, and the
//! PASSes on tests that expect failure.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use crate::annotation::Expected;
use crate::classify::{self, Reason};
use crate::judge::Judgement;
use crate::outcome::{Disagreement, Got, KernelVerdict, TestOutcome};

/// One line for a test: agreement, object, program, expected, got, the kernel's verdict
/// (when asked for) and the first failure or load error.
pub fn test_line(test: &TestOutcome) -> String {
    let status = if test.disagreement().is_some() { "DIFF " } else { "agree" };
    let mut line = format!(
        "{status} {} {} expected {} got {}",
        test.id.object,
        test.id.program,
        test.expectation.expected,
        test.got.column()
    );
    if let Some(kernel) = &test.kernel {
        let _ = write!(line, " kernel {}", kernel_column(kernel));
    }
    let detail = classify::detail(test);
    if !detail.is_empty() {
        let _ = write!(line, ": {detail}");
    }
    line
}

fn kernel_column(verdict: &KernelVerdict) -> &'static str {
    match verdict {
        KernelVerdict::Accepted => "accepted",
        KernelVerdict::Rejected(_) => "rejected",
        KernelVerdict::CannotLoad(_) => "cannot-load",
    }
}

/// Counts of expected verdict × bpfprove's verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Matrix {
    /// `[expected success, expected failure][PASS, FAIL, load error]`.
    pub counts: [[usize; 3]; 2],
}

impl Matrix {
    /// The matrix of `tests`.
    pub fn of<'a>(tests: impl IntoIterator<Item = &'a TestOutcome>) -> Matrix {
        let mut matrix = Matrix::default();
        for test in tests {
            let row = match test.expectation.expected {
                Expected::Success => 0,
                Expected::Failure => 1,
            };
            let column = match test.got {
                Got::Pass => 0,
                Got::Fail { .. } => 1,
                Got::LoadError(_) => 2,
            };
            matrix.counts[row][column] += 1;
        }
        matrix
    }

    /// Percentage of the tests that expect success that PASS (100 when there are none).
    pub fn success_pass_percent(&self) -> f64 {
        let total: usize = self.counts[0].iter().sum();
        if total == 0 { 100.0 } else { 100.0 * self.counts[0][0] as f64 / total as f64 }
    }
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<18} {:>6} {:>6} {:>11} {:>6}", "", "PASS", "FAIL", "load error", "total")?;
        for (label, row) in ["expected success", "expected failure"].iter().zip(self.counts) {
            let total: usize = row.iter().sum();
            writeln!(f, "{label:<18} {:>6} {:>6} {:>11} {total:>6}", row[0], row[1], row[2])?;
        }
        write!(f, "{:.1}% of expected-success tests PASS", self.success_pass_percent())
    }
}

/// The kernel's verdicts beside the annotations: `[expected success, expected
/// failure][accepted, rejected, cannot load]`.
pub fn kernel_matrix(judgement: &Judgement) -> Option<String> {
    let mut counts = [[0usize; 3]; 2];
    let mut any = false;
    for test in &judgement.tests {
        let Some(verdict) = &test.kernel else { continue };
        any = true;
        let row = usize::from(test.expectation.expected == Expected::Failure);
        let column = match verdict {
            KernelVerdict::Accepted => 0,
            KernelVerdict::Rejected(_) => 1,
            KernelVerdict::CannotLoad(_) => 2,
        };
        counts[row][column] += 1;
    }
    if !any {
        return None;
    }
    let mut text = String::from(
        "the live kernel, loading as bpfprove's kernel crate does (no __flag program flags, no map \
         BTF, data sections without read-only flags):\n",
    );
    let _ = writeln!(text, "{:<18} {:>9} {:>9} {:>12}", "live kernel", "accepted", "rejected", "cannot load");
    for (label, row) in ["expected success", "expected failure"].iter().zip(counts) {
        let _ = writeln!(text, "{label:<18} {:>9} {:>9} {:>12}", row[0], row[1], row[2]);
    }
    Some(text.trim_end().to_owned())
}

/// Disagreements by reason, most frequent first.
pub fn reasons(judgement: &Judgement) -> Vec<(Reason, usize)> {
    let mut counts: BTreeMap<Reason, usize> = BTreeMap::new();
    for test in &judgement.tests {
        if let Some(reason) = classify::reason(test) {
            *counts.entry(reason).or_insert(0) += 1;
        }
    }
    let mut sorted: Vec<(Reason, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    sorted
}

/// The PASSes on tests that expect failure, each with the rule the kernel enforces there.
pub fn passes_on_expected_failure(judgement: &Judgement) -> Vec<String> {
    judgement
        .tests
        .iter()
        .filter(|t| t.disagreement() == Some(Disagreement::PassOnExpectedFailure))
        .map(|t| {
            let messages = if t.expectation.messages.is_empty() {
                "no __msg".to_owned()
            } else {
                t.expectation.messages.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", ")
            };
            let kernel = t.kernel.as_ref().map(|k| format!("; the live kernel: {k}")).unwrap_or_default();
            format!("{} ({}): {}: kernel expects {messages}{kernel}", t.id, t.section, classify::rule_broken(t))
        })
        .collect()
}

/// bpfprove's verdict against the live kernel's, for the tests the kernel judged:
/// `[PASS, FAIL, load error][accepted, rejected, cannot load]`, as text.
pub fn kernel_cross(judgement: &Judgement) -> Option<String> {
    let mut counts = [[0usize; 3]; 3];
    let mut any = false;
    for test in &judgement.tests {
        let Some(verdict) = &test.kernel else { continue };
        any = true;
        let row = match test.got {
            Got::Pass => 0,
            Got::Fail { .. } => 1,
            Got::LoadError(_) => 2,
        };
        let column = match verdict {
            KernelVerdict::Accepted => 0,
            KernelVerdict::Rejected(_) => 1,
            KernelVerdict::CannotLoad(_) => 2,
        };
        counts[row][column] += 1;
    }
    if !any {
        return None;
    }
    let mut text = format!("{:<18} {:>9} {:>9} {:>12}\n", "bpfprove \\ kernel", "accepted", "rejected", "cannot load");
    for (label, row) in ["PASS", "FAIL", "load error"].iter().zip(counts) {
        let _ = writeln!(text, "{label:<18} {:>9} {:>9} {:>12}", row[0], row[1], row[2]);
    }
    Some(text.trim_end().to_owned())
}

/// What the load errors are, most frequent first: the section prefix for an unknown
/// program type, else the loader's message without its place (section, offset, pc).
pub fn load_error_causes(judgement: &Judgement) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for test in &judgement.tests {
        let Got::LoadError(detail) = &test.got else { continue };
        *counts.entry(load_error_cause(detail)).or_insert(0) += 1;
    }
    let mut sorted: Vec<(String, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    sorted
}

fn load_error_cause(detail: &str) -> String {
    if let Some(rest) = detail.strip_prefix("section `")
        && let Some((section, _)) = rest.split_once('`')
    {
        let prefix = section.split('/').next().unwrap_or(section);
        return format!("program type of section `{prefix}`");
    }
    // "cannot load the ELF object: SECTION+0xOFF: pc N: WHAT" → "WHAT".
    let without_place = detail.rsplit_once(": pc ").map_or(detail, |(_, rest)| rest);
    let what = without_place.split_once(": ").map_or(without_place, |(_, what)| what);
    let what = what.split_once(": ").map_or(what, |(_, rest)| rest);
    format!("ELF: {}", what.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_errors_group_by_section_prefix_or_loader_message() {
        assert_eq!(
            load_error_cause("section `?raw_tp/sys_enter` names no program type the analyzer knows"),
            "program type of section `?raw_tp`"
        );
        assert_eq!(
            load_error_cause("cannot load the ELF object: .text+0x2a0: pc 84: unknown opcode 0xe5"),
            "ELF: unknown opcode 0xe5"
        );
        assert_eq!(
            load_error_cause("cannot load the ELF object: socket+0x10: pc 2: opcode 0xbf: invalid src_reg value 15"),
            "ELF: invalid src_reg value 15"
        );
    }
}
