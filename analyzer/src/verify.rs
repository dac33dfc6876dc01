//! The verifier's driver: configure, run the engine (in rounds until global data is
//! stable), and turn the result into a report with a verdict and every obligation.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bpfprove_analyzer::{Config, Subject, Verifier};
//! use bpfprove_domains::DomainKind;
//! use bpfprove_semantics::elf;
//!
//! let object = elf::load(&std::fs::read("callx.o")?)?;
//! let verifier = Verifier::new(Config::standard(DomainKind::Product));
//! for loaded in &object.programs {
//!     let subject = Subject::from_object(&object, loaded).ok_or("unknown program type")?;
//!     let report = verifier.verify(&subject);
//!     println!("{}: {}", subject.title(), report.verdict);
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::CallxModel;
use bpfprove_semantics::model::privilege::Privilege;

use crate::domain_spec::{DomainSpec, Zones};
use crate::engine::{Analysis, ContextId, Engine, EngineConfig, Stats};
use crate::globals::GlobalSummary;
use crate::loops::{LoopMethod, LoopStrategy};
use crate::obligation::{ObligationKind, Status};
use crate::spec::{ContextSpec, Prototypes};
use crate::state::State;
use crate::subject::Subject;
use crate::transfer::{Env, Stop};
use crate::widening::Thresholds;

/// Rounds of the global-data iteration before widening its slots.
const GLOBAL_ROUNDS_BEFORE_WIDENING: u32 = 2;
/// Most rounds of the global-data iteration.
const MAX_GLOBAL_ROUNDS: u32 = 12;

/// Every knob of a verification. There is no `Default`: callers say what they want, or take
/// [`Config::standard`] and change what they need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The value domain.
    pub domain: DomainKind,
    /// Whether zones ([`crate::zone`]) are added to the value domain, and how their
    /// transfers are computed.
    pub zones: Zones,
    /// Whether links between places ([`crate::links`]) are added to the value domain.
    pub equalities: bool,
    /// How `callx` is read.
    pub callx_model: CallxModel,
    /// Loop-head visits that join before widening.
    pub widening_delay: u32,
    /// Whether widening stops at the program's constants first.
    pub widening_thresholds: bool,
    /// Descending passes.
    pub narrowing_passes: u32,
    /// Most rounds of abstract unrolling when proving a loop terminates.
    pub loop_unroll: u32,
    /// Which loops are unrolled rather than widened.
    pub loops: LoopStrategy,
    /// Most instruction visits.
    pub max_visits: u64,
    /// Most contexts (function × entry state).
    pub max_contexts: usize,
    /// Time limit per program.
    pub time_limit: Option<Duration>,
    /// Whether writable global data (`.data`, `.bss`) still holds the object file's initial
    /// values. Off by default: user space may write those sections after load, so only
    /// `.rodata` (frozen at load) and function-pointer variables (see
    /// [`crate::subject::DataSection::function_pointer_slots`]) have known contents.
    pub assume_initial_globals: bool,
    /// Who loads the program: a privileged loader (the default) may read uninitialised stack
    /// and leak pointers; an unprivileged one may not, and gets fewer program types, helpers
    /// and features ([`Privilege`]).
    pub privilege: Privilege,
    /// Keep the invariant of every reached pc in the report: the proof log
    /// ([`crate::proof::log_of`]) and a listing of invariants need them all, and a log made
    /// without them does not check. Off, functions without loops keep only the states of
    /// pcs with an obligation that is not proven (what the counterexample search reads),
    /// and their states are dropped as the analysis moves past them.
    pub all_invariants: bool,
}

impl Config {
    /// The settings the CLI uses by default: address-model `callx`, widening after 10
    /// visits with thresholds, two narrowing passes, loops widened first and unrolled up to
    /// 4096 rounds where a check fails when widened, budgets of 5 million visits, 10,000
    /// contexts and 60 seconds, for a privileged loader, keeping every invariant (for a proof
    /// log).
    pub fn standard(domain: DomainKind) -> Config {
        Config {
            domain,
            zones: Zones::Off,
            equalities: false,
            callx_model: CallxModel::Address,
            widening_delay: 10,
            widening_thresholds: true,
            narrowing_passes: 2,
            loop_unroll: 4096,
            loops: LoopStrategy::WidenFirst,
            max_visits: 5_000_000,
            max_contexts: 10_000,
            time_limit: Some(Duration::from_secs(60)),
            assume_initial_globals: false,
            privilege: Privilege::Privileged,
            all_invariants: true,
        }
    }

    /// [`Config::standard`] for the domain `spec` names (zones and equalities or not).
    pub fn of_spec(spec: DomainSpec) -> Config {
        Config { zones: spec.zones, equalities: spec.equalities, ..Config::standard(spec.values) }
    }

    /// The domain, with the relational components added.
    pub fn domain_spec(&self) -> DomainSpec {
        DomainSpec { values: self.domain, zones: self.zones, equalities: self.equalities }
    }
}

/// The outcome for one program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every obligation is proven.
    Pass,
    /// Some obligation is refuted or unknown.
    Fail,
    /// The analysis did not finish (a budget ran out) or could not start (the program
    /// type's context is not modelled): why.
    Unknown(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => f.write_str("PASS"),
            Verdict::Fail => f.write_str("FAIL"),
            Verdict::Unknown(why) => write!(f, "UNKNOWN ({why})"),
        }
    }
}

/// One proof obligation as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obligation {
    /// Where.
    pub pc: usize,
    /// In which context (see [`Report::analysis`]).
    pub context: ContextId,
    /// What.
    pub kind: ObligationKind,
    /// How it came out.
    pub status: Status,
    /// The domain that decided it.
    pub domain: DomainKind,
    /// Details for people.
    pub detail: String,
}

/// A program's verification.
#[derive(Clone, Debug)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Every obligation of the live contexts, by context and pc.
    pub obligations: Vec<Obligation>,
    /// The analysis (absent when a budget stopped it).
    pub analysis: Option<Analysis>,
    /// The global data summary the analysis used.
    pub globals: GlobalSummary,
    /// Counters.
    pub stats: Stats,
    /// Rounds of the global-data iteration.
    pub rounds: u32,
    /// Wall time.
    pub elapsed: Duration,
}

/// How one loop of a live context was analysed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopReport {
    /// The context (see [`Report::analysis`]).
    pub context: ContextId,
    /// The loop's head.
    pub head: usize,
    /// How it was analysed and why it ends.
    pub method: LoopMethod,
}

impl Report {
    /// Every loop of the live contexts, by context and head: whether it was widened or
    /// unrolled, and by which rule it ends.
    pub fn loops(&self) -> Vec<LoopReport> {
        let Some(analysis) = &self.analysis else { return Vec::new() };
        let mut out = Vec::new();
        for id in analysis.live() {
            for summary in analysis.contexts[id].loops.values() {
                out.push(LoopReport { context: id, head: summary.head, method: summary.method.clone() });
            }
        }
        out
    }

    /// The obligations that are not proven, in pc order.
    pub fn failures(&self) -> Vec<&Obligation> {
        let mut failed: Vec<&Obligation> = self.obligations.iter().filter(|o| o.status != Status::Proven).collect();
        failed.sort_by_key(|o| (o.pc, o.kind));
        failed
    }
}

/// A program the analyzer proved safe: every obligation of its verification is proven.
/// Only [`Verifier::verified`] makes one, so holding it is the proof that the check ran
/// (the JIT compiles nothing else).
#[derive(Clone, Copy, Debug)]
pub struct Verified<'p> {
    program: &'p bpfprove_semantics::program::Program,
    domain: DomainKind,
}

impl<'p> Verified<'p> {
    /// The verified program.
    pub fn program(&self) -> &'p bpfprove_semantics::program::Program {
        self.program
    }

    /// The domain that proved it.
    pub fn domain(&self) -> DomainKind {
        self.domain
    }
}

/// Runs verifications with one [`Config`].
#[derive(Clone, Debug)]
pub struct Verifier {
    config: Config,
}

impl Verifier {
    /// A verifier.
    pub fn new(config: Config) -> Verifier {
        Verifier { config }
    }

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The engine knobs for one run starting now.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            widening_delay: self.config.widening_delay,
            narrowing_passes: self.config.narrowing_passes,
            loop_unroll: self.config.loop_unroll,
            loops: self.config.loops,
            max_visits: self.config.max_visits,
            max_contexts: self.config.max_contexts,
            // A limit too far to add to the clock (`--time-limit 18446744073709551615`) is
            // no limit.
            deadline: self.config.time_limit.and_then(|limit| Instant::now().checked_add(limit)),
            all_invariants: self.config.all_invariants,
        }
    }

    /// The widening thresholds for `subject`.
    pub fn thresholds(&self, subject: &Subject) -> Thresholds {
        if self.config.widening_thresholds { Thresholds::from_program(subject.program) } else { Thresholds::none() }
    }

    /// Verifies `subject`: its token when it passes, else the report saying why not.
    pub fn verified<'p>(&self, subject: &Subject<'p>) -> Result<Verified<'p>, Box<Report>> {
        let report = self.verify(subject);
        match report.verdict {
            Verdict::Pass => Ok(Verified { program: subject.program, domain: self.config.domain }),
            _ => Err(Box::new(report)),
        }
    }

    /// Verifies `subject`.
    pub fn verify(&self, subject: &Subject) -> Report {
        let started = Instant::now();
        let domain = self.config.domain;
        if let ContextSpec::NotModelled { structure } = subject.spec.context {
            let why =
                format!("{} programs get a {structure} context, which is not modelled yet", subject.spec.program_type);
            return Report {
                verdict: Verdict::Unknown(why),
                obligations: Vec::new(),
                analysis: None,
                globals: GlobalSummary::initial(subject, domain),
                stats: Stats::default(),
                rounds: 0,
                elapsed: started.elapsed(),
            };
        }
        let thresholds = self.thresholds(subject);
        let engine_config = self.engine_config();
        let mut globals = if self.config.assume_initial_globals {
            GlobalSummary::from_file(subject, domain)
        } else {
            GlobalSummary::initial(subject, domain)
        };
        let mut stats = Stats::default();
        let mut rounds = 0;
        let outcome = loop {
            rounds += 1;
            let env = Env {
                domain,
                subject,
                prototypes: Prototypes::builtin(),
                callx_model: self.config.callx_model,
                globals: &globals,
                thresholds: &thresholds,
                widening_delay: self.config.widening_delay,
                privilege: self.config.privilege,
                zones: self.config.zones,
                equalities: self.config.equalities,
            };
            let analysis = match Engine::new(env, &engine_config).run(State::entry(domain)) {
                Ok(analysis) => analysis,
                Err(stop) => break Err(stop),
            };
            add_stats(&mut stats, &analysis.stats);
            let mut stored = globals.clone();
            for id in analysis.live() {
                for store in &analysis.contexts[id].global_stores {
                    for &offset in &store.offsets {
                        stored.store(store.map, offset, store.len, &store.value, domain);
                    }
                }
            }
            if stored.leq(&globals) {
                break Ok(analysis);
            }
            if rounds >= MAX_GLOBAL_ROUNDS {
                break Err(Stop::Budget(format!("global data did not stabilise in {MAX_GLOBAL_ROUNDS} rounds")));
            }
            globals = if rounds >= GLOBAL_ROUNDS_BEFORE_WIDENING {
                globals.widen(&stored, domain, &thresholds)
            } else {
                stored
            };
        };
        let (verdict, obligations, analysis) = match outcome {
            Ok(analysis) => {
                let mut obligations = collect_obligations(&analysis, domain);
                obligations.extend(stack_depth_obligations(&analysis, subject, domain));
                let verdict =
                    if obligations.iter().all(|o| o.status == Status::Proven) { Verdict::Pass } else { Verdict::Fail };
                (verdict, obligations, Some(analysis))
            }
            Err(Stop::Budget(why)) => (Verdict::Unknown(format!("budget: {why}")), Vec::new(), None),
        };
        Report { verdict, obligations, analysis, globals, stats, rounds, elapsed: started.elapsed() }
    }
}

fn add_stats(total: &mut Stats, more: &Stats) {
    total.visits += more.visits;
    total.widenings += more.widenings;
    total.contexts += more.contexts;
    total.restarts += more.restarts;
    total.peak_states = total.peak_states.max(more.peak_states);
}

/// The call chains whose frames exceed 512 bytes together. Only failures are listed: the
/// check is made over the whole analysis, not at an instruction under its invariant.
fn stack_depth_obligations(analysis: &Analysis, subject: &Subject, domain: DomainKind) -> Vec<Obligation> {
    crate::stack_depth::failures(analysis, subject.program)
        .into_iter()
        .map(|(context, pc, check)| Obligation {
            pc,
            context,
            kind: check.kind,
            status: check.status,
            domain,
            detail: check.detail,
        })
        .collect()
}

/// The obligations of the live contexts, deduplicated per (context, pc, kind, status).
fn collect_obligations(analysis: &Analysis, domain: DomainKind) -> Vec<Obligation> {
    let mut out = Vec::new();
    for id in analysis.live() {
        let mut seen = std::collections::BTreeSet::new();
        for (pc, check) in &analysis.contexts[id].checks {
            if !seen.insert((*pc, check.kind, check.status, check.detail.clone())) {
                continue;
            }
            out.push(Obligation {
                pc: *pc,
                context: id,
                kind: check.kind,
                status: check.status,
                domain,
                detail: check.detail.clone(),
            });
        }
    }
    out
}
