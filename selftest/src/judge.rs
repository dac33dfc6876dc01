//! Judging objects: every test program of each object is verified by the analyzer, run in
//! the interpreter when it expects a return value, and (optionally) loaded into the live
//! kernel; each becomes a [`TestOutcome`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bpfprove_analyzer::{Config, Report, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::{self, Object};
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::elf_run::ObjectRunner;
use bpfprove_semantics::interp::{CallxModel, RunConfig};

use crate::annotation::{Arch, Expectation, ModeExpectation, Retval, TEST_DATA_LEN};
use crate::error::SelftestError;
use crate::fixtures;
use crate::outcome::{Got, KernelVerdict, RetvalCheck, Skipped, TestId, TestOutcome};

/// Bytes of the Ethernet header a socket filter's test run pulls off the packet before the
/// program sees it.
const ETH_HEADER: usize = 14;

/// The largest object read (256 MiB, as the CLI's other verbs): an endless input such as
/// `/dev/zero` ends with an error instead of exhausting memory.
const MAX_OBJECT_BYTES: u64 = 256 << 20;

/// Instructions a retval run may execute: enough for loops that run until `may_goto`'s
/// budget (8 Mi falls through per call) is spent, at a dozen instructions a round, as the
/// kernel's harness runs them (`cond_break*`, `*_and_may_goto`).
const RUN_BUDGET: u64 = 12 * bpfprove_semantics::interp::MAY_GOTO_BUDGET;

/// How to judge.
#[derive(Clone, Debug)]
pub struct Options {
    /// The analyzer's configuration.
    pub config: Config,
    /// Programs judged at once.
    pub jobs: usize,
    /// Whether to load each program into the live kernel too.
    pub kernel: bool,
}

impl Options {
    /// The product domain with the CLI's standard settings and `time_limit` per program,
    /// one job, no kernel.
    pub fn standard(time_limit: Duration) -> Options {
        Options {
            config: Config { time_limit: Some(time_limit), ..Config::standard(DomainKind::Product) },
            jobs: 1,
            kernel: false,
        }
    }
}

/// An object whose tests could not even be listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectError {
    /// The object (file stem).
    pub object: String,
    /// Why.
    pub reason: String,
}

/// Everything the judge found.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// One per test, by object then program name.
    pub tests: Vec<TestOutcome>,
    /// Programs that are not tests here, with the reason.
    pub skipped: Vec<Skipped>,
    /// Objects whose annotations could not be read.
    pub object_errors: Vec<ObjectError>,
    /// When `--kernel` was asked for but the kernel cannot load programs: why.
    pub kernel_unavailable: Option<String>,
}

/// The object files named by `paths`: files as given, directories by their `*.o` files.
pub fn object_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SelftestError> {
    let mut files = Vec::new();
    for path in paths {
        let read = |source| SelftestError::Read { path: path.clone(), source };
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(read)?
                .map(|entry| entry.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(read)?
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "o"))
                .collect();
            if found.is_empty() {
                return Err(SelftestError::NoObjects(path.clone()));
            }
            found.sort();
            files.extend(found);
        } else {
            std::fs::metadata(path).map_err(read)?;
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// One object file, read: its tests' expectations and, when it loads, the object.
struct LoadedFile {
    name: String,
    /// The object with the programs that link, and those that do not.
    object: Result<Object, String>,
    /// The tests: program name and privileged expectation.
    tests: Vec<(String, ModeExpectation)>,
}

/// Judges every test of the objects in `paths` (files, or directories of `.o` files).
pub fn judge(paths: &[PathBuf], options: &Options) -> Result<Judgement, SelftestError> {
    let mut judgement = Judgement::default();
    let mut files = Vec::new();
    for path in object_files(paths)? {
        match read_file(&path)? {
            FileRead::Tests { file, skipped } => {
                judgement.skipped.extend(skipped);
                files.push(file);
            }
            FileRead::Unreadable(error) => judgement.object_errors.push(error),
        }
    }
    let kernel = options.kernel && {
        match bpfprove_kernel::capability::probe() {
            Ok(()) => true,
            Err(reason) => {
                judgement.kernel_unavailable = Some(reason);
                false
            }
        }
    };
    let work: Vec<(usize, usize)> =
        files.iter().enumerate().flat_map(|(f, file)| (0..file.tests.len()).map(move |t| (f, t))).collect();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(work.len()));
    let verifier = Verifier::new(options.config.clone());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(f, t)) = work.get(index) else { break };
                    let outcome = judge_test(&files[f], t, &verifier, kernel);
                    results.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(outcome);
                }
            });
        }
    });
    judgement.tests = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    judgement.tests.sort_by(|a, b| a.id.cmp(&b.id));
    judgement.skipped.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(judgement)
}

/// What reading one object file gave.
enum FileRead {
    /// Its tests, and the programs that are not tests.
    Tests {
        /// The tests.
        file: LoadedFile,
        /// The other programs, with the reason.
        skipped: Vec<Skipped>,
    },
    /// Its annotations cannot be read.
    Unreadable(ObjectError),
}

/// Reads `path`; only a file that cannot be read at all is an error.
fn read_file(path: &Path) -> Result<FileRead, SelftestError> {
    let bytes = read_capped(path)?;
    let name = path.file_stem().map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned());
    let object_error = |reason: String| ObjectError { object: name.clone(), reason };
    let tags = match elf::function_decl_tags(&bytes) {
        Ok(tags) => tags,
        Err(error) => {
            return Ok(FileRead::Unreadable(object_error(format!("cannot read the BTF annotations: {error}"))));
        }
    };
    // Each program linked on its own, as libbpf loads them: one out-of-range jump fails
    // its own test only.
    let object = elf::load(&bytes).map_err(|e| format!("cannot load the ELF object: {e}"));
    // With the object loaded, its programs are the candidates (untagged ones expect success);
    // without it, the tagged functions are all that is known.
    let candidates: Vec<String> = match &object {
        Ok(object) => {
            let failed = object.failed_programs.iter().map(|p| p.name.clone());
            object.programs.iter().map(|p| p.name.clone()).chain(failed).collect()
        }
        Err(_) => tags.keys().cloned().collect(),
    };
    let mut tests = Vec::new();
    let mut skipped = Vec::new();
    for program in candidates {
        let id = TestId { object: name.clone(), program: program.clone() };
        let own_tags = tags.get(&program).map_or(&[][..], Vec::as_slice);
        let expectation = match Expectation::from_tags(own_tags) {
            Ok(expectation) => expectation,
            Err(error) => return Ok(FileRead::Unreadable(object_error(format!("program {program}: {error}")))),
        };
        let why = if expectation.auxiliary {
            "auxiliary (a callee or tail-call target of other tests)".to_owned()
        } else if !expectation.runs_on(Arch::HOST) {
            format!("restricted to other architectures ({:?})", expectation.arches)
        } else if let Some(privileged) = expectation.privileged {
            tests.push((program, privileged));
            continue;
        } else {
            "tested unprivileged only".to_owned()
        };
        skipped.push(Skipped { id, why });
    }
    Ok(FileRead::Tests { file: LoadedFile { name, object, tests }, skipped })
}

fn read_capped(path: &Path) -> Result<Vec<u8>, SelftestError> {
    use std::io::Read as _;
    let read = |source| SelftestError::Read { path: path.to_owned(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(read)?.take(MAX_OBJECT_BYTES + 1).read_to_end(&mut bytes).map_err(read)?;
    if bytes.len() as u64 > MAX_OBJECT_BYTES {
        return Err(SelftestError::TooLarge { path: path.to_owned(), limit_mib: MAX_OBJECT_BYTES >> 20 });
    }
    Ok(bytes)
}

fn judge_test(file: &LoadedFile, index: usize, verifier: &Verifier, kernel: bool) -> TestOutcome {
    let (program, expectation) = &file.tests[index];
    let id = TestId { object: file.name.clone(), program: program.clone() };
    let mut outcome = TestOutcome {
        id,
        section: String::new(),
        expectation: expectation.clone(),
        got: Got::LoadError(String::new()),
        retval: None,
        kernel: None,
    };
    let object = match &file.object {
        Ok(object) => object,
        Err(reason) => {
            outcome.got = Got::LoadError(reason.clone());
            return outcome;
        }
    };
    if let Some(failed) = object.failed_program(program) {
        outcome.section = failed.section.clone();
        outcome.got = unlinked_got(&failed.error);
        return outcome;
    }
    let Some(loaded) = object.program(program) else {
        outcome.got = Got::LoadError(format!("no program `{program}` in the object"));
        return outcome;
    };
    outcome.section = loaded.section.clone();
    if kernel {
        outcome.kernel = Some(kernel_verdict(object, loaded));
    }
    let Some(subject) = Subject::from_object(object, loaded) else {
        outcome.got = Got::LoadError(format!("section `{}` names no program type the analyzer knows", loaded.section));
        return outcome;
    };
    let report = verifier.verify(&subject);
    outcome.got = got(&report);
    if outcome.got == Got::Pass
        && let Some(retval) = outcome.expectation.retval
    {
        let config = RunConfig::new(CallxModel::Address, RUN_BUDGET).with_privilege(verifier.config().privilege);
        outcome.retval = Some(retval_run(&file.name, object, loaded, retval, config));
    }
    outcome
}

/// Runs a passing program once in the interpreter, as the kernel's harness runs it: on a
/// packet of `TEST_DATA_LEN` zero bytes, after the harness's map setup, with `config` (the
/// analyzer's privilege: a privileged program reads never-written stack as whatever it holds).
fn retval_run(
    object_name: &str,
    object: &Object,
    loaded: &elf::LoadedProgram,
    retval: Retval,
    config: RunConfig,
) -> RetvalCheck {
    let mut runner = match ObjectRunner::new(object, loaded, config) {
        Ok(runner) => runner,
        Err(error) => return RetvalCheck::NotRun(error.to_string()),
    };
    for (map, key, value) in fixtures::map_entries(object_name, object) {
        if let Err(error) = runner.insert_map_entry(map, &key, &value) {
            return RetvalCheck::NotRun(format!("the harness's map setup: {error}"));
        }
    }
    let packet = vec![0u8; TEST_DATA_LEN as usize];
    let input = if runner.program_type() == ProgramType::SocketFilter { &packet[ETH_HEADER..] } else { &packet[..] };
    match runner.run(input) {
        Err(error) => RetvalCheck::NotRun(error.to_string()),
        Ok(run) => match run.result {
            Ok(done) if retval.accepts(done.r0) => RetvalCheck::Agreed(done.r0),
            Ok(done) => RetvalCheck::Mismatch { expected: retval, r0: done.r0 },
            Err(trap) => RetvalCheck::Trapped(trap.to_string()),
        },
    }
}

/// The verdict on a program that does not link: a jump or call out of its function is a
/// refutation (the kernel's `check_cfg` refuses it too); anything else is a load error.
fn unlinked_got(error: &elf::ElfError) -> Got {
    match &error.kind {
        elf::ElfErrorKind::BadControlFlow(detail) => {
            Got::Fail { first: format!("{}+{:#x}: control-flow refuted: {detail}", error.section, error.offset) }
        }
        _ => Got::LoadError(format!("cannot link the program: {error}")),
    }
}

fn got(report: &Report) -> Got {
    match &report.verdict {
        Verdict::Pass => Got::Pass,
        Verdict::Fail => {
            let first = report.failures().first().map_or_else(
                || "no obligation failed".to_owned(),
                |o| format!("pc {}: {} {}: {}", o.pc, o.kind, o.status, o.detail),
            );
            Got::Fail { first }
        }
        Verdict::Unknown(why) => Got::Fail { first: format!("budget: {why}") },
    }
}

fn kernel_verdict(object: &Object, loaded: &elf::LoadedProgram) -> KernelVerdict {
    match bpfprove_kernel::object::load_for_verdict(object, loaded) {
        Ok(()) => KernelVerdict::Accepted,
        Err(bpfprove_kernel::KernelError::Rejected { last_line, .. }) => KernelVerdict::Rejected(last_line),
        Err(other) => KernelVerdict::CannotLoad(other.to_string()),
    }
}
