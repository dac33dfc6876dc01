//! A fuzzing campaign: programs from consecutive seeds, checked in parallel until a
//! program count or a time limit, with every finding minimised and the distinct ones kept.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::FuzzError;
use crate::generate::{Case, GenConfig, generate};
use crate::minimise::minimise;
use crate::oracle::{Conclusion, Failure, Judge, OracleConfig, check};

/// When a campaign stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// After this many programs.
    Programs(u64),
    /// After this much time (the batch running then finishes).
    Time(Duration),
}

/// Every knob of a campaign.
#[derive(Clone, Copy, Debug)]
pub struct FuzzConfig {
    /// The first seed; program `i` is generated from `seed + i`.
    pub seed: u64,
    /// When to stop.
    pub limit: Limit,
    /// Worker threads.
    pub jobs: usize,
    /// How programs are generated.
    pub generation: GenConfig,
    /// How accepted programs are run.
    pub oracle: OracleConfig,
}

/// Counts so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Programs generated and judged.
    pub programs: u64,
    /// Programs accepted.
    pub accepted: u64,
    /// Runs of accepted programs.
    pub runs: u64,
    /// Accepted programs that went wrong (before removing duplicates).
    pub unsound: u64,
    /// Programs the generator got wrong (did not parse or load): a generator bug.
    pub invalid: u64,
    /// Time spent.
    pub elapsed: Duration,
}

impl Stats {
    /// Programs judged per second.
    pub fn programs_per_second(&self) -> f64 {
        self.programs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Percentage of programs accepted.
    pub fn accepted_percent(&self) -> f64 {
        100.0 * self.accepted as f64 / (self.programs.max(1)) as f64
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} programs in {:.1} s ({:.1}/s), {} accepted ({:.1}%), {} runs, {} unsound",
            self.programs,
            self.elapsed.as_secs_f64(),
            self.programs_per_second(),
            self.accepted,
            self.accepted_percent(),
            self.runs,
            self.unsound
        )
    }
}

/// A soundness bug: the program that showed it, its minimised form, and the failing run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The seed the program was generated from.
    pub seed: u64,
    /// The program as generated.
    pub original: Case,
    /// The smallest program found that fails the same way.
    pub minimised: Case,
    /// The failing run of the minimised program.
    pub failure: Failure,
    /// Identifies the bug: the problem's kind and the instruction where it happened.
    pub signature: String,
}

impl Finding {
    /// The minimised program as assembly text, with comments saying what it is, what
    /// input makes it fail and how: a regression test in the making.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "; soundness-fuzz finding: {}\n; program type: {}\n; seed: {}\n; {}\n",
            self.signature,
            self.minimised.program_type.name(),
            self.seed,
            self.failure
        );
        text.push_str(&self.minimised.text);
        text
    }
}

/// What a campaign found.
#[derive(Clone, Debug, Default)]
pub struct FuzzReport {
    /// Counts.
    pub stats: Stats,
    /// Distinct findings, by signature, the first of each.
    pub findings: Vec<Finding>,
    /// Generator errors (a generator bug), the first few.
    pub invalid: Vec<String>,
}

/// Programs checked between two looks at the limit, per worker.
const BATCH_PER_JOB: u64 = 8;

/// Runs a campaign with `judge` deciding acceptance; `progress` is called after every
/// batch.
pub fn fuzz(config: &FuzzConfig, judge: &dyn Judge, progress: &mut dyn FnMut(&Stats)) -> Result<FuzzReport, FuzzError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(config.jobs.max(1)).build()?;
    let start = Instant::now();
    let mut report = FuzzReport::default();
    let mut seen = BTreeMap::new();
    let batch = BATCH_PER_JOB * config.jobs.max(1) as u64;
    let mut next = 0u64;
    loop {
        let count = match config.limit {
            Limit::Programs(total) => batch.min(total - next),
            Limit::Time(limit) if start.elapsed() >= limit => 0,
            Limit::Time(_) => batch,
        };
        if count == 0 {
            break;
        }
        let seeds: Vec<u64> = (next..next + count).map(|i| config.seed.wrapping_add(i)).collect();
        let outcomes: Vec<(u64, Outcome)> =
            pool.install(|| seeds.par_iter().map(|&seed| (seed, one(seed, config, judge))).collect());
        next += count;
        for (seed, outcome) in outcomes {
            let stats = &mut report.stats;
            stats.programs += 1;
            match outcome {
                Outcome::Invalid(error) => {
                    stats.invalid += 1;
                    if report.invalid.len() < 10 {
                        report.invalid.push(format!("seed {seed}: {error}"));
                    }
                }
                Outcome::Judged(Conclusion::Rejected) => {}
                Outcome::Judged(Conclusion::Accepted { runs }) => {
                    stats.accepted += 1;
                    stats.runs += runs as u64;
                }
                Outcome::Judged(Conclusion::Unsound { runs, .. }) => unreachable!("minimised in `one` ({runs})"),
                Outcome::Found { runs, finding } => {
                    stats.accepted += 1;
                    stats.runs += runs as u64;
                    stats.unsound += 1;
                    if seen.insert(finding.signature.clone(), ()).is_none() {
                        report.findings.push(*finding);
                    }
                }
            }
        }
        report.stats.elapsed = start.elapsed();
        progress(&report.stats);
    }
    Ok(report)
}

/// What checking one program came to.
enum Outcome {
    Invalid(FuzzError),
    Judged(Conclusion),
    Found { runs: usize, finding: Box<Finding> },
}

fn one(seed: u64, config: &FuzzConfig, judge: &dyn Judge) -> Outcome {
    let case = generate(seed, &config.generation);
    match check(&case, judge, &config.oracle, seed) {
        Err(error) => Outcome::Invalid(error),
        Ok(Conclusion::Unsound { runs, failure }) => {
            let (minimised, failure) = minimise(&case, &failure, judge, &config.oracle);
            let signature = signature(&minimised, &failure);
            Outcome::Found { runs, finding: Box::new(Finding { seed, original: case, minimised, failure, signature }) }
        }
        Ok(conclusion) => Outcome::Judged(conclusion),
    }
}

/// The problem's kind, the shape of the instruction where it happened (registers, sizes
/// and numbers left out; for a wrong return value, the program type) and the helpers and
/// kinds of indirect control the minimised program uses, so that one bug found from many
/// seeds is reported once or a few times, not once per seed.
fn signature(case: &Case, failure: &Failure) -> String {
    use crate::oracle::Problem;
    let kind = failure.problem.kind();
    let at = match &failure.problem {
        Problem::Trap(trap) => {
            let pc = bpfprove_semantics::interp::elf_run::innermost(trap).pc;
            bpfprove_semantics::asm::llvm::parse(&case.text)
                .ok()
                .and_then(|program| program.insn_at(pc).map(bpfprove_semantics::asm::llvm::print_insn))
                .map_or_else(|| "?".to_owned(), |insn| shape(&insn))
        }
        Problem::ReturnOutOfRange { .. } => case.program_type.name().to_owned(),
    };
    let mut uses: Vec<&str> = case
        .text
        .lines()
        .filter_map(|line| {
            let first = line.split_whitespace().next()?;
            match first {
                // Local calls are named by the generator's labels: the name says nothing.
                "call"
                    if line.split_whitespace().nth(1).is_some_and(|t| !t.starts_with(|c: char| c.is_ascii_digit())) =>
                {
                    Some("call local")
                }
                "call" | "callx" | "gotox" => Some(line.trim()),
                "ld_pseudo" => line.split(',').nth(1).map(|kind| if kind.trim() == "0x5" { "map" } else { "data" }),
                _ => None,
            }
        })
        .collect();
    uses.sort_unstable();
    uses.dedup();
    format!("{kind} at `{at}` using [{}]", uses.join(", "))
}

/// An instruction's text without its registers, access sizes and numbers.
fn shape(insn: &str) -> String {
    let text = without_numbers(insn);
    let mut out = String::with_capacity(text.len());
    let mut previous_alnum = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let starts_word = !previous_alnum && matches!(c, 'r' | 'w' | 'u');
        if starts_word && chars.peek().is_some_and(|n| *n == 'N' || n.is_ascii_digit()) {
            out.push(if c == 'u' { 'u' } else { 'R' });
            while chars.peek().is_some_and(|n| n.is_ascii_alphanumeric()) {
                chars.next();
            }
            if c == 'u' {
                out.push('N');
            }
            previous_alnum = true;
            continue;
        }
        previous_alnum = c.is_ascii_alphanumeric();
        out.push(c);
    }
    out
}

/// `text` with every number (a word starting with a digit) replaced by `N`.
fn without_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    let mut previous_alnum = false;
    for c in text.chars() {
        if in_number && c.is_ascii_alphanumeric() {
            continue;
        }
        in_number = c.is_ascii_digit() && !previous_alnum;
        previous_alnum = c.is_ascii_alphanumeric();
        out.push(if in_number { 'N' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_forget_registers_sizes_and_numbers() {
        assert_eq!(shape("w0 = *(u32 *)(r1 + 0x10)"), "R = *(uN *)(R + N)");
        assert_eq!(shape("w3 = *(u8 *)(r10 - 4)"), "R = *(uN *)(R - N)");
        assert_eq!(shape("if r2 > r8 goto +0x3"), "if R > R goto +N");
        assert_eq!(shape("r0 = *(u16 *)skb[0x4]"), "R = *(uN *)skb[N]");
    }
}
