//! Running a suite: every program of every file under every verifier, in parallel on a
//! pool of `jobs` threads, one [`Row`] each, in a fixed order whatever the scheduling.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bpfprove_analyzer::{Config, Status, Subject, Verdict, Verifier};
use bpfprove_semantics::elf::LoadedProgram;
use rayon::prelude::*;

use crate::key::{self, ObligationMap};
use crate::memory;
use crate::prevail;
use crate::row::{Row, by_kind_text};
use crate::suite::{self, LoadedFile, Shard, SuiteFile};
use crate::verifier::VerifierKind;

/// Every knob of a bench run.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// The verifiers, in column order.
    pub verifiers: Vec<VerifierKind>,
    /// Worker threads.
    pub jobs: usize,
    /// The slice of the suite to run, if not all of it.
    pub shard: Option<Shard>,
    /// The analyzer's settings; each domain column takes them with its own domain.
    pub analysis: Config,
    /// The `prevail` binary, when the PREVAIL column should run.
    pub prevail: Option<PathBuf>,
    /// Keep every domain run's obligations by key (for precision reports).
    pub keep_obligations: bool,
}

/// The work of a run, known before it starts (so a progress bar knows its length).
pub struct Plan<'f> {
    files: Vec<LoadedFile<'f>>,
    /// Files that are not loadable objects, with the reason.
    pub skipped_files: Vec<(String, String)>,
    /// (file index, program index) in (file, program) order, after sharding.
    programs: Vec<(usize, usize)>,
}

impl Plan<'_> {
    /// Programs in the (sharded) run.
    pub fn programs(&self) -> usize {
        self.programs.len()
    }

    /// Files that loaded.
    pub fn files(&self) -> usize {
        self.files.len()
    }
}

/// Loads the files and picks the programs of `shard`.
pub fn plan(files: &[SuiteFile], shard: Option<Shard>) -> Plan<'_> {
    let (files, skipped_files) = suite::load(files);
    let all = files.iter().enumerate().flat_map(|(f, loaded)| (0..loaded.object.programs.len()).map(move |p| (f, p)));
    let programs: Vec<(usize, usize)> =
        all.enumerate().filter(|(position, _)| shard.is_none_or(|s| s.takes(*position))).map(|(_, fp)| fp).collect();
    Plan { files, skipped_files, programs }
}

/// The results of a run.
#[derive(Debug, Default)]
pub struct BenchRun {
    /// One row per (program, verifier), in (file, program, verifier) order.
    pub rows: Vec<Row>,
    /// Per domain row (by file, program, domain): its obligations by key, when asked for.
    pub obligations: BTreeMap<(String, String, String), ObligationMap>,
}

/// Runs `plan` under `config`; `on_done` is called once per finished (program, verifier)
/// from the worker that finished it.
pub fn execute(plan: &Plan<'_>, config: &BenchConfig, on_done: &(dyn Fn() + Sync)) -> BenchRun {
    let kernel_unavailable =
        config.verifiers.contains(&VerifierKind::Kernel).then(bpfprove_kernel::capability::probe).and_then(Result::err);
    let jobs: Vec<(usize, usize, VerifierKind)> =
        plan.programs.iter().flat_map(|&(f, p)| config.verifiers.iter().map(move |&v| (f, p, v))).collect();
    let work = |&(f, p, verifier): &(usize, usize, VerifierKind)| {
        let file = &plan.files[f];
        let program = &file.object.programs[p];
        let result = match verifier {
            VerifierKind::Domain(domain) => {
                let config = Config {
                    domain: domain.values,
                    zones: domain.zones,
                    equalities: domain.equalities,
                    ..config.analysis.clone()
                };
                analyse(file, program, &config)
            }
            VerifierKind::Kernel => match &kernel_unavailable {
                Some(why) => (na(file, program, verifier, format!("kernel verifier unavailable: {why}")), None),
                None => (kernel_row(file, program), None),
            },
            VerifierKind::Prevail => match &config.prevail {
                None => (na(file, program, verifier, "no `prevail` binary on PATH"), None),
                Some(binary) => (prevail_row(binary, file, program), None),
            },
        };
        on_done();
        result
    };
    let results: Vec<(Row, Option<ObligationMap>)> =
        match rayon::ThreadPoolBuilder::new().num_threads(config.jobs.max(1)).build() {
            // One job per task: analysis times differ by 1000×, and rayon's default split
            // into a few long runs of jobs left a worker idle through much of a suite.
            Ok(pool) => pool.install(|| jobs.par_iter().with_max_len(1).map(work).collect()),
            // No threads to be had: run on this one.
            Err(_) => jobs.iter().map(work).collect(),
        };
    let mut run = BenchRun::default();
    for (row, obligations) in results {
        if config.keep_obligations
            && let Some(obligations) = obligations
        {
            run.obligations.insert(row.key(true), obligations);
        }
        run.rows.push(row);
    }
    run
}

fn na(file: &LoadedFile<'_>, program: &LoadedProgram, verifier: VerifierKind, why: impl Into<String>) -> Row {
    Row::not_applicable(&file.file.name, &program.name, &verifier.name(), why)
}

/// One domain's analysis of one program.
fn analyse(file: &LoadedFile<'_>, program: &LoadedProgram, config: &Config) -> (Row, Option<ObligationMap>) {
    let verifier = VerifierKind::Domain(config.domain_spec());
    let Some(subject) = Subject::from_object(&file.object, program) else {
        let why = format!("section `{}` names no program type the analyzer knows", program.section);
        return (na(file, program, verifier, why), None);
    };
    let (report, bytes) = memory::measure(|| Verifier::new(config.clone()).verify(&subject));
    let keyed = key::keyed(&report.obligations, subject.program);
    let mut by_kind: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    for (key, outcome) in &keyed {
        let counts = by_kind.entry(key.kind.name()).or_default();
        counts.1 += 1;
        if outcome.status == Status::Proven {
            counts.0 += 1;
        }
    }
    let first_failure = keyed
        .iter()
        .find(|(_, outcome)| outcome.status != Status::Proven)
        .map(|(key, outcome)| format!("{key} {}", outcome.status))
        .unwrap_or_default();
    let (verdict, reason) = match &report.verdict {
        Verdict::Pass => (true, String::new()),
        Verdict::Fail => (false, String::new()),
        Verdict::Unknown(why) => (false, why.clone()),
    };
    let total_states = report
        .analysis
        .as_ref()
        .map(|analysis| analysis.live().iter().map(|&id| analysis.contexts[id].invariants.len() as u64).sum::<u64>());
    let row = Row {
        file_name: file.file.name.clone(),
        prog_name: program.name.clone(),
        domain: verifier.name(),
        verdict: Some(verdict),
        duration: Some(report.elapsed.as_micros() as u64),
        total_insns: Some(report.stats.visits),
        total_states,
        peak_states: Some(report.stats.peak_states as u64),
        mem_peak_kib: bytes.map(|b| b.div_ceil(1024)),
        proven: Some(keyed.values().filter(|o| o.status == Status::Proven).count() as u64),
        obligations: Some(keyed.len() as u64),
        by_kind: by_kind_text(&by_kind),
        first_failure,
        reason,
    };
    (row, Some(keyed))
}

fn kernel_row(file: &LoadedFile<'_>, program: &LoadedProgram) -> Row {
    match bpfprove_kernel::verdict::verify(&file.object, program) {
        Err(error) => na(file, program, VerifierKind::Kernel, error.to_string()),
        Ok(verdict) => Row {
            verdict: Some(verdict.accepted),
            duration: Some(verdict.duration.as_micros() as u64),
            total_insns: verdict.processed_insns,
            total_states: verdict.total_states,
            peak_states: verdict.peak_states,
            first_failure: verdict.reason.unwrap_or_default(),
            ..na(file, program, VerifierKind::Kernel, "")
        },
    }
}

fn prevail_row(binary: &std::path::Path, file: &LoadedFile<'_>, program: &LoadedProgram) -> Row {
    let section = program.section.strip_prefix('?').unwrap_or(&program.section);
    match prevail::run(binary, &file.file.path, section, &program.name) {
        Err(why) => na(file, program, VerifierKind::Prevail, why),
        Ok(outcome) => Row {
            verdict: Some(outcome.pass),
            duration: Some(outcome.duration.as_micros() as u64),
            mem_peak_kib: Some(outcome.rss_kib),
            first_failure: outcome.first_failure.unwrap_or_default(),
            ..na(file, program, VerifierKind::Prevail, "")
        },
    }
}
