//! Delta debugging over the lines of a failing program: the smallest program found that
//! still parses, is still accepted, and still goes wrong the same way on the same input.
//!
//! Lines are removed in chunks of halving size (Zeller's ddmin) until no single line can
//! go, then in runs of neighbouring lines (an idiom's lines only go together). Labels, directives and instructions are all lines, so a removal
//! that leaves a jump without its label simply fails to parse and is not kept.

use bpfprove_analyzer::Subject;

use crate::environment;
use crate::generate::Case;
use crate::oracle::{Failure, Judge, OracleConfig, replay};

/// Longest run of neighbouring lines removed at once after the halving phase.
const MAX_WINDOW: usize = 10;

/// Most candidate programs one minimisation tries.
const MAX_ATTEMPTS: usize = 4000;

/// The smallest variant of `case` on which `failure`'s input still makes an accepted
/// program go wrong with the same kind of problem, and the failure on it.
pub fn minimise(case: &Case, failure: &Failure, judge: &dyn Judge, config: &OracleConfig) -> (Case, Failure) {
    let kind = failure.problem.kind();
    let mut attempts = 0;
    let mut best = (case.clone(), failure.clone());
    let mut still_fails = |lines: &[&str]| -> Option<(Case, Failure)> {
        attempts += 1;
        if attempts > MAX_ATTEMPTS {
            return None;
        }
        let candidate = Case { program_type: case.program_type, text: lines.join("\n") + "\n" };
        let problem = fails(&candidate, failure, judge, config)?;
        (problem.problem.kind() == kind).then_some((candidate, problem))
    };
    let text = case.text.clone();
    let mut lines: Vec<&str> = text.lines().collect();
    let mut chunks = 2usize;
    while lines.len() > 1 {
        let size = lines.len().div_ceil(chunks);
        let mut reduced = false;
        for start in (0..lines.len()).step_by(size) {
            let rest: Vec<&str> =
                lines[..start].iter().chain(&lines[(start + size).min(lines.len())..]).copied().collect();
            if let Some(found) = still_fails(&rest) {
                lines = rest;
                best = found;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if size == 1 {
                break;
            }
            chunks = (chunks * 2).min(lines.len());
        }
    }
    // Idioms are runs of lines that only go together (a value computed, then used): try
    // removing runs of up to `MAX_WINDOW` neighbours as well.
    for width in (2..=MAX_WINDOW).rev() {
        let mut start = 0;
        while start + width <= lines.len() {
            let rest: Vec<&str> = lines[..start].iter().chain(&lines[start + width..]).copied().collect();
            match still_fails(&rest) {
                Some(found) => {
                    lines = rest;
                    best = found;
                }
                None => start += 1,
            }
        }
    }
    best
}

/// The failure `failure`'s input causes on `candidate`, if the candidate parses, is
/// accepted, and goes wrong.
fn fails(candidate: &Case, failure: &Failure, judge: &dyn Judge, config: &OracleConfig) -> Option<Failure> {
    let object = environment::object(candidate.program_type, &candidate.text).ok()?;
    let subject = Subject::from_object(&object, &object.programs[0])?;
    if !judge.accepts(&object, &subject) {
        return None;
    }
    let problem = replay(candidate, &subject, &failure.input, failure.data.as_deref(), config).ok()??;
    Some(Failure { problem, ..failure.clone() })
}
