//! The scale workloads of [`crate::generate`], each verified once and measured: wall time,
//! peak heap ([`crate::memory`]), how its loops were handled, the proof log's size and
//! check time, and for a failing program the counterexample search's share of `verify`.
//!
//! Criterion (`benchmarks/benches/scale.rs`) times the same workloads at sizes that fit
//! its repetitions; this runs each once, at any size, and measures memory too.

use std::fmt;
use std::time::{Duration, Instant};

use bpfprove_analyzer::counterexample::{self, SearchConfig};
use bpfprove_analyzer::{Config, LoopMethod, Report, Subject, Verdict, Verifier, proof};

use crate::generate::Workload;
use crate::memory;

/// What to measure beyond the verification itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// Write the proof log (in memory) and check it.
    pub proof_log: bool,
    /// Run the counterexample search after a failing verification.
    pub counterexample: bool,
}

/// One workload's measurements.
#[derive(Clone, Debug)]
pub struct ScaleRow {
    /// The workload's name.
    pub name: String,
    /// Instruction slots.
    pub insns: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// Verification wall time.
    pub verify: Duration,
    /// The verifying thread's CPU time (`None` where `/proc` is missing): on a
    /// shared machine, wall time also counts the other processes' turns.
    pub verify_cpu: Option<Duration>,
    /// Peak heap bytes of the verification (`None` without the counting allocator).
    pub peak_heap: Option<u64>,
    /// Instruction visits.
    pub visits: u64,
    /// Loops unrolled to their end ([`Report::loops`]).
    pub unrolled_loops: usize,
    /// Loops iterated with widening (their termination proven or left open).
    pub widened_loops: usize,
    /// The pretty-printed proof log's bytes, and the time to write and to check it.
    pub proof: Option<ProofFigures>,
    /// The counterexample search's time after a failing verification, and whether it
    /// confirmed a failure.
    pub counterexample: Option<(Duration, bool)>,
}

/// A proof log's size and costs.
#[derive(Clone, Copy, Debug)]
pub struct ProofFigures {
    /// Its JSON text's bytes (as `verify --json` writes it: states at the cut points).
    pub bytes: usize,
    /// Time to build and serialise it.
    pub write: Duration,
    /// Time `check-proof` takes on it.
    pub check: Duration,
    /// Whether the check accepted it.
    pub accepted: bool,
}

/// Generates `workload`, verifies it under `config` and measures it.
pub fn measure(workload: Workload, config: &Config, extras: Extras) -> Result<ScaleRow, String> {
    let object = workload.object().map_err(|e| format!("{workload}: {e}"))?;
    let loaded = &object.programs[0];
    let subject = Subject::from_object_as(&object, loaded, workload.program_type());
    // The proof log needs every pc's invariant.
    let config = &Config { all_invariants: extras.proof_log, ..config.clone() };
    let verifier = Verifier::new(config.clone());
    let started = Instant::now();
    let cpu_before = thread_cpu_time();
    let (report, peak_heap) = memory::measure(|| verifier.verify(&subject));
    let verify = started.elapsed();
    let verify_cpu = cpu_before.zip(thread_cpu_time()).map(|(before, after)| after.saturating_sub(before));
    let (unrolled_loops, widened_loops) = loop_methods(&report);
    let proof = extras.proof_log.then(|| proof_figures(&workload, config, &subject, report.clone()));
    let counterexample = (extras.counterexample && report.verdict == Verdict::Fail).then(|| {
        let started = Instant::now();
        let found = counterexample::search(&object, loaded, &subject, &report, &SearchConfig::standard());
        let confirmed = found.is_ok_and(|found| found.iter().any(|(_, finding)| finding.is_confirmed()));
        (started.elapsed(), confirmed)
    });
    Ok(ScaleRow {
        name: workload.to_string(),
        insns: loaded.program.slots(),
        verdict: report.verdict.clone(),
        verify,
        verify_cpu,
        peak_heap,
        visits: report.stats.visits,
        unrolled_loops,
        widened_loops,
        proof,
        counterexample,
    })
}

fn proof_figures(workload: &Workload, config: &Config, subject: &Subject, report: Report) -> ProofFigures {
    let text = workload.text();
    let started = Instant::now();
    let reports = [(subject.clone(), report)];
    let log =
        proof::log_of(&workload.to_string(), text.as_bytes(), config, &reports, proof::Invariants::CutPoints, None);
    let bytes = log.to_json().len();
    let write = started.elapsed();
    let started = Instant::now();
    let accepted = proof::check_subject(&log, &log.programs[0], subject).is_ok();
    ProofFigures { bytes, write, check: started.elapsed(), accepted }
}

/// The CPU time this thread has run, user and system, from `/proc/thread-self/stat` (in
/// Linux's fixed 100 ticks per second: 10 ms resolution).
fn thread_cpu_time() -> Option<Duration> {
    const TICKS_PER_SECOND: u64 = 100;
    let text = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may hold spaces), from the third (state) on.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// (loops unrolled to their end, loops widened) in `report`, as the engine chose
/// ([`Report::loops`]); a loop left unproven counts as widened.
fn loop_methods(report: &Report) -> (usize, usize) {
    let loops = report.loops();
    let unrolled = loops.iter().filter(|l| matches!(l.method, LoopMethod::Unrolled { .. })).count();
    (unrolled, loops.len() - unrolled)
}

impl fmt::Display for ScaleRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<28} {:>8} insns  {:<8} {:>9.3} s",
            self.name,
            self.insns,
            self.verdict,
            self.verify.as_secs_f64()
        )?;
        if let Some(cpu) = self.verify_cpu {
            write!(f, " ({:>7.2} s CPU)", cpu.as_secs_f64())?;
        }
        match self.peak_heap {
            Some(bytes) => write!(f, "  {:>9.1} MiB peak", bytes as f64 / (1024.0 * 1024.0))?,
            None => write!(f, "  peak unknown")?,
        }
        write!(f, "  {:>9} visits", self.visits)?;
        if self.unrolled_loops > 0 || self.widened_loops > 0 {
            write!(f, "  loops: {} unrolled, {} widened", self.unrolled_loops, self.widened_loops)?;
        }
        if let Some(proof) = &self.proof {
            write!(
                f,
                "  proof log {:.1} MiB (written in {:.3} s), check {:.3} s ({})",
                proof.bytes as f64 / (1024.0 * 1024.0),
                proof.write.as_secs_f64(),
                proof.check.as_secs_f64(),
                if proof.accepted { "accepted" } else { "REJECTED" }
            )?;
        }
        if let Some((time, confirmed)) = self.counterexample {
            let total = self.verify + time;
            write!(
                f,
                "  counterexample search {:.3} s ({:.0}% of verify with it; {})",
                time.as_secs_f64(),
                100.0 * time.as_secs_f64() / total.as_secs_f64().max(f64::MIN_POSITIVE),
                if confirmed { "confirmed" } else { "none found" }
            )?;
        }
        Ok(())
    }
}

/// The workloads at full size (`small`: a quick run at a tenth or less).
pub fn workloads(small: bool) -> Vec<(Workload, Extras)> {
    // A proof log needs every pc's state kept during the analysis, which changes the time
    // and memory measured: only the packet parser's is written.
    let plain = Extras::default();
    let straight = if small { vec![10_000, 100_000] } else { vec![100_000, 1_000_000] };
    let nested = if small { vec![2, 3, 4] } else { vec![4, 5, 8] };
    let blocks = if small { 2_000 } else { 8_000 };
    let mut out: Vec<(Workload, Extras)> =
        straight.into_iter().map(|insns| (Workload::StraightLine { insns }, plain)).collect();
    out.extend(nested.into_iter().map(|depth| (Workload::NestedLoops { depth, bound: 10 }, plain)));
    let (loops, rounds) = if small { (8, 1000) } else { (64, 1000) };
    out.push((Workload::SequentialLoops { loops, rounds }, plain));
    out.push((Workload::PacketParser { blocks }, Extras { proof_log: true, counterexample: false }));
    out.push((Workload::UncheckedParser { blocks }, Extras { proof_log: false, counterexample: true }));
    out
}
