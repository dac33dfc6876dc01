//! The independent proof checker: re-validates a [`ProofLog`] against the object in one
//! pass over its states, with no fixpoint.
//!
//! It uses the transfer function ([`crate::transfer::Env::post`]), the states and the
//! domains, never the engine, the CFG or the iteration order. A log keeps states at some
//! pcs (by default the cut points, [`super::cut_points`]; any set is read the same way).
//! From each logged state (and from a context's entry state, when its entry pc has none)
//! the checker applies the instruction and follows every edge that lands on a pc without a
//! logged state, deriving that state, until the edges land on logged states. It trusts
//! nothing the log says about where its cut points are: a pc without a logged state may be
//! derived once per context and round (by exactly one edge), and one reached twice (a join
//! or a cycle with no logged invariant) is a failure. For every state, logged or derived,
//! it checks:
//! - **inductiveness**: each successor's logged state covers what the instruction produces
//!   (the next round's head for a back edge of an unrolled loop, which the last round must
//!   not reach; the enclosing state for an exit of a loop; the context's exit state for an
//!   `exit`);
//! - **calls**: each call is covered by a logged context of the callee whose entry covers
//!   the call's state, and the call's effect is that context's logged exit; a call no
//!   context covers does not return and is an open `call` obligation the log must list
//!   (a recursive call the analysis refused);
//! - **obligations**: every obligation the log calls proven is proven again under the
//!   states, and every obligation that is not proven under them is in the log as not
//!   proven; a `pass` verdict has none;
//! - **termination**: every cycle of the graph of checked edges between states must
//!   end by [`crate::termination::ends`] (counters and iterators, part by part, recomputed on
//!   the states) or carry a termination obligation that is not proven; one logged
//!   proven must lie in an unrolled loop or in a part that ends. The graph is built from the edges
//!   the transfer function produces, each landing on the one state that must cover it or
//!   is derived from it (an unrolled loop's rounds are distinct states), so its cycles are the loops of the
//!   control-flow graph that the log did not unroll, whatever loop membership the log
//!   claims; calls between contexts must not form a cycle either;
//! - **targets**: the resolved `callx`/`gotox` targets of each context and pc are exactly
//!   the union of those the transfer function resolves under the states;
//! - **completeness**: every program of the object (or of the selection) is in the log,
//!   once;
//! - **global data**: the summary covers the loaded contents and every store;
//! - the program entry state is covered by the first context.
//!
//! Every failure names the program, the context and the pc.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::Object;
use bpfprove_semantics::interp::CallxModel;
use bpfprove_semantics::isa::Reg;
use bpfprove_semantics::model::privilege::Privilege;
use bpfprove_semantics::program::FunctionId;

use super::log::{self, ContextLog, ProgramLog, ProofLog, SCHEMA_VERSION, TargetLog, UnrolledLog};
use crate::domain_spec::{DomainSpec, Zones};
use crate::globals::GlobalSummary;
use crate::obligation::{Check, ObligationKind, Status};
use crate::spec::Prototypes;
use crate::state::State;
use crate::subject::Subject;
use crate::termination;
use crate::transfer::{CallKind, CallOutcome, Calls, Env, Resolved, Stop};
use crate::value::Value;
use crate::widening::Thresholds;

/// Deepest nesting of unrolled loops a log may have (logs are untrusted input; the checker
/// recurses once per level).
const MAX_LOG_NESTING: usize = 8;

/// Why a log is rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{program}{}{}: {reason}", context.map(|c| format!(" context {c}")).unwrap_or_default(), pc.map(|p| format!(" pc {p}")).unwrap_or_default())]
pub struct CheckError {
    /// `SECTION/FUNCTION`, or `<log>` for the whole document.
    pub program: String,
    /// The context concerned.
    pub context: Option<usize>,
    /// The instruction concerned.
    pub pc: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

/// What a successful check covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckSummary {
    /// Programs checked.
    pub programs: usize,
    /// Contexts checked.
    pub contexts: usize,
    /// States to which an instruction was applied.
    pub states: usize,
    /// Edges shown inductive.
    pub edges: usize,
    /// Obligations re-derived.
    pub obligations: usize,
}

/// Which programs of the object a log must cover: all of them unless narrowed, as
/// `verify --section/--function` narrows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only programs of this ELF section.
    pub section: Option<String>,
    /// Only programs of this function name.
    pub function: Option<String>,
}

impl Selection {
    fn selects(&self, section: &str, function: &str) -> bool {
        self.section.as_deref().is_none_or(|s| s == section) && self.function.as_deref().is_none_or(|f| f == function)
    }
}

/// Checks `log` against `object` (whose file bytes are `bytes`): the log must cover every
/// program of the object.
pub fn check(log: &ProofLog, bytes: &[u8], object: &Object) -> Result<CheckSummary, CheckError> {
    check_selected(log, bytes, object, &Selection::default())
}

/// Checks `log` against `object` (whose file bytes are `bytes`): the log must cover exactly
/// the programs `selection` picks.
pub fn check_selected(
    log: &ProofLog,
    bytes: &[u8],
    object: &Object,
    selection: &Selection,
) -> Result<CheckSummary, CheckError> {
    let whole = |reason: String| CheckError { program: "<log>".into(), context: None, pc: None, reason };
    if log.schema_version != SCHEMA_VERSION {
        return Err(whole(format!("schema version {} (this checker reads {SCHEMA_VERSION})", log.schema_version)));
    }
    let sha = log::sha256_hex(bytes);
    if log.object.sha256 != sha {
        return Err(whole(format!(
            "the log is about an object with SHA-256 {}, not this one ({sha})",
            log.object.sha256
        )));
    }
    let (domain, callx_model) = options_of(log)?;
    privilege_of(log)?;
    check_complete(log, object, selection)?;
    let mut summary = CheckSummary::default();
    for program in &log.programs {
        check_program(log, program, object, domain, callx_model, &mut summary)?;
        summary.programs += 1;
    }
    Ok(summary)
}

/// The log's domain and callx model.
fn options_of(log: &ProofLog) -> Result<(DomainKind, CallxModel), CheckError> {
    let whole = |reason: String| CheckError { program: "<log>".into(), context: None, pc: None, reason };
    let domain: DomainSpec = log.options.domain.parse().map_err(|e| whole(format!("{e}")))?;
    let domain = domain.values;
    let callx_model = match log.options.callx_model.as_str() {
        "address" => CallxModel::Address,
        "helper-id" => CallxModel::HelperId,
        other => return Err(whole(format!("unknown callx model `{other}`"))),
    };
    Ok((domain, callx_model))
}

/// The loader's privilege the log was made for: the checker applies the same rules.
fn privilege_of(log: &ProofLog) -> Result<Privilege, CheckError> {
    log.options.privilege.parse().map_err(|e| CheckError {
        program: "<log>".into(),
        context: None,
        pc: None,
        reason: format!("{e}"),
    })
}

/// Checks one program's entry `program` of `log` against `subject`, for programs that have
/// no ELF object (bare bytecode, tests): neither the object's hash nor the completeness of
/// the log is checked, everything else is.
pub fn check_subject(log: &ProofLog, program: &ProgramLog, subject: &Subject) -> Result<CheckSummary, CheckError> {
    if log.schema_version != SCHEMA_VERSION {
        return Err(CheckError {
            program: "<log>".into(),
            context: None,
            pc: None,
            reason: format!("schema version {} (this checker reads {SCHEMA_VERSION})", log.schema_version),
        });
    }
    let (domain, callx_model) = options_of(log)?;
    let mut summary = CheckSummary::default();
    check_program_on(log, program, subject, domain, callx_model, &mut summary)?;
    summary.programs = 1;
    Ok(summary)
}

/// Checks `log` against a program without an ELF object (assembly text or raw bytecode,
/// analysed as `subject`) whose file bytes are `bytes`: the log must be about that file and
/// hold exactly that one program.
pub fn check_bare(log: &ProofLog, bytes: &[u8], subject: &Subject) -> Result<CheckSummary, CheckError> {
    let whole = |reason: String| CheckError { program: "<log>".into(), context: None, pc: None, reason };
    let sha = log::sha256_hex(bytes);
    if log.object.sha256 != sha {
        return Err(whole(format!("the log is about a file with SHA-256 {}, not this one ({sha})", log.object.sha256)));
    }
    privilege_of(log)?;
    let [program] = log.programs.as_slice() else {
        return Err(whole(format!("a program file has one program; the log has {}", log.programs.len())));
    };
    if (program.section.as_str(), program.function.as_str()) != (subject.section.as_str(), subject.function.as_str()) {
        return Err(whole(format!(
            "the log is about {}/{}, not {}",
            program.section,
            program.function,
            subject.title()
        )));
    }
    check_subject(log, program, subject)
}

/// Every selected program of the object is in the log exactly once, and the log has no
/// other program: a log that leaves a program out proves nothing about it.
fn check_complete(log: &ProofLog, object: &Object, selection: &Selection) -> Result<(), CheckError> {
    let named = |section: &str, function: &str, reason: &str| CheckError {
        program: format!("{section}/{function}"),
        context: None,
        pc: None,
        reason: reason.to_owned(),
    };
    let mut logged: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for program in &log.programs {
        *logged.entry((program.section.as_str(), program.function.as_str())).or_default() += 1;
    }
    for (&(section, function), &count) in &logged {
        if count > 1 {
            return Err(named(section, function, &format!("the program is in the log {count} times")));
        }
        if !selection.selects(section, function) {
            return Err(named(section, function, "the program is in the log but not in the checked selection"));
        }
    }
    for program in object.programs.iter().filter(|p| selection.selects(&p.section, &p.name)) {
        if !logged.contains_key(&(program.section.as_str(), program.name.as_str())) {
            return Err(named(&program.section, &program.name, "the object has this program but the log does not"));
        }
    }
    if logged.is_empty() {
        return Err(CheckError {
            program: "<log>".into(),
            context: None,
            pc: None,
            reason: "the log has no program (and the selection matches none of the object)".into(),
        });
    }
    Ok(())
}

/// A parsed unrolled loop.
struct LoopCert {
    /// Unique among the loops of its context: names its rounds' states in the edge graph.
    uid: usize,
    head: usize,
    members: BTreeSet<usize>,
    rounds: Vec<RoundCert>,
}

/// A parsed iteration.
struct RoundCert {
    states: BTreeMap<usize, State>,
    loops: Vec<LoopCert>,
}

/// A parsed context.
struct ContextCert {
    function: FunctionId,
    entry_pc: usize,
    entry: State,
    exit: Option<State>,
    states: BTreeMap<usize, State>,
    loops: Vec<LoopCert>,
    calls: BTreeMap<(usize, FunctionId), Vec<usize>>,
}

/// Where a state sits: the context's top level, or a round of an unrolled loop (innermost
/// last).
type Path<'a> = Vec<(&'a LoopCert, usize)>;

fn parse_loop(
    log: &UnrolledLog,
    domain: DomainKind,
    values: &[Value],
    depth: usize,
    uids: &mut usize,
) -> Result<LoopCert, String> {
    if depth > MAX_LOG_NESTING {
        return Err(format!("unrolled loops nested more than {MAX_LOG_NESTING} deep"));
    }
    let mut rounds = Vec::new();
    for round in &log.rounds {
        let mut states = BTreeMap::new();
        for inv in &round.invariants {
            let state = log::state_of(&inv.state, domain, values).map_err(|e| format!("pc {}: {e}", inv.pc))?;
            states.insert(inv.pc, state);
        }
        let loops =
            round.unrolled.iter().map(|l| parse_loop(l, domain, values, depth + 1, uids)).collect::<Result<_, _>>()?;
        rounds.push(RoundCert { states, loops });
    }
    *uids += 1;
    Ok(LoopCert { uid: *uids, head: log.head, members: log.members.iter().copied().collect(), rounds })
}

fn parse_context(log: &ContextLog, domain: DomainKind, values: &[Value]) -> Result<ContextCert, String> {
    let mut states = BTreeMap::new();
    for inv in &log.invariants {
        states.insert(inv.pc, log::state_of(&inv.state, domain, values).map_err(|e| format!("pc {}: {e}", inv.pc))?);
    }
    let mut uids = 0;
    let mut calls: BTreeMap<(usize, FunctionId), Vec<usize>> = BTreeMap::new();
    for call in &log.calls {
        calls.entry((call.pc, FunctionId(call.function_id))).or_default().extend(&call.contexts);
    }
    Ok(ContextCert {
        function: FunctionId(log.function_id),
        entry_pc: log.entry_pc,
        entry: log::state_of(&log.entry, domain, values).map_err(|e| format!("entry: {e}"))?,
        exit: log
            .exit
            .as_ref()
            .map(|s| log::state_of(s, domain, values))
            .transpose()
            .map_err(|e| format!("exit: {e}"))?,
        states,
        loops: log.unrolled.iter().map(|l| parse_loop(l, domain, values, 1, &mut uids)).collect::<Result<_, _>>()?,
        calls,
    })
}

/// Calls during the check: looked up in the log.
struct LoggedCalls<'a> {
    contexts: &'a BTreeMap<usize, ContextCert>,
    current: usize,
    domain: DomainKind,
    /// The contexts the checked calls entered.
    entered: Vec<usize>,
}

impl Calls for LoggedCalls<'_> {
    fn call(&mut self, pc: usize, _kind: CallKind, function: FunctionId, entry: State) -> Result<CallOutcome, Stop> {
        let caller = &self.contexts[&self.current];
        let candidates = caller.calls.get(&(pc, function)).cloned().unwrap_or_default();
        let covering = candidates.iter().find(|id| {
            self.contexts.get(id).is_some_and(|c| c.function == function && entry.leq(&c.entry, self.domain))
        });
        match covering {
            Some(id) => {
                self.entered.push(*id);
                Ok(CallOutcome { exit: self.contexts[id].exit.clone(), problem: None })
            }
            // Not returning, and an open obligation the log must list (as it does for a
            // recursive call the analysis refused): a PASS cannot have one.
            None => Ok(CallOutcome {
                exit: None,
                problem: Some(Check::new(
                    ObligationKind::Call,
                    Status::Unknown,
                    format!("no logged context of function {} covers this call's state", function.0),
                )),
            }),
        }
    }
}

/// A state of one context, logged or derived: the path of (loop uid, round) to it, and its
/// pc.
type StateKey = (Vec<(usize, usize)>, usize);

/// Where an edge lands.
enum Landing<'p> {
    /// On a logged state, which must cover what arrives.
    Logged(StateKey, &'p State),
    /// On a state the log leaves out: what arrives is that state, sitting at this many
    /// levels of the edge's path.
    Derived(StateKey, usize),
    /// On the head of an unrolled loop from its last round.
    PastLastRound,
}

/// The key of `path`.
fn path_key(path: &[(&LoopCert, usize)]) -> Vec<(usize, usize)> {
    path.iter().map(|(l, round)| (l.uid, *round)).collect()
}

struct ProgramCheck<'a> {
    title: String,
    env: Env<'a>,
    contexts: &'a BTreeMap<usize, ContextCert>,
    /// Recomputed checks: (context, pc, kind) → statuses.
    checks: BTreeMap<CheckKey, BTreeSet<(Status, String)>>,
    /// Stores seen, joined into the logged summary.
    stored: GlobalSummary,
    /// Per context, the checked edges between its states, logged and derived: their cycles
    /// are the loops the log did not unroll.
    state_edges: BTreeMap<usize, Vec<(StateKey, StateKey)>>,
    /// The states derived so far, each by exactly one edge: (context, key).
    derived: HashSet<(usize, StateKey)>,
    /// Calls between contexts (caller, callee): a cycle is unbounded recursion.
    context_calls: BTreeSet<(usize, usize)>,
    /// Resolved indirect targets, joined over the visits of (context, pc).
    resolved: BTreeMap<(usize, usize), Resolved>,
    /// Unrolled loops: (context, members).
    unrolled: Vec<(usize, BTreeSet<usize>)>,
    /// Logged states whose instruction takes an item of an iterator, and those whose
    /// instruction may start one afresh (see [`crate::termination`]).
    taking: BTreeSet<(usize, StateKey)>,
    renewing: BTreeSet<(usize, StateKey)>,
    /// Logged states whose instruction steps a counter without wrapping, and which way.
    stepping: BTreeMap<(usize, StateKey), termination::Step>,
    summary: CheckSummary,
}

impl<'a> ProgramCheck<'a> {
    fn error(&self, context: Option<usize>, pc: Option<usize>, reason: impl Into<String>) -> CheckError {
        CheckError { program: self.title.clone(), context, pc, reason: reason.into() }
    }

    /// Where an edge to `target` from a state at `path` in `context` lands: the state key
    /// the checker's own reading of the loop structure gives it, and its logged state if the
    /// log has one. Heads of unrolled rounds must be logged (they tell the rounds apart).
    fn landing<'p>(&self, context: &'p ContextCert, path: &Path<'p>, target: usize) -> Result<Landing<'p>, String> {
        for level in (0..path.len()).rev() {
            let (loop_, round) = path[level];
            let outer = &path[..level];
            if target == loop_.head {
                return match loop_.rounds.get(round + 1) {
                    Some(next) => {
                        let mut key = path_key(outer);
                        key.push((loop_.uid, round + 1));
                        next.states
                            .get(&target)
                            .map(|s| Landing::Logged((key, target), s))
                            .ok_or_else(|| format!("round {} has no state at its head {target}", round + 2))
                    }
                    None => Ok(Landing::PastLastRound),
                };
            }
            let here = &loop_.rounds[round];
            if let Some(nested) = here.loops.iter().find(|l| l.head == target) {
                let mut key = path_key(&path[..=level]);
                key.push((nested.uid, 0));
                return first_round(nested, target).map(|s| Landing::Logged((key, target), s));
            }
            if loop_.members.contains(&target) {
                let key = (path_key(&path[..=level]), target);
                return Ok(match here.states.get(&target) {
                    Some(logged) => Landing::Logged(key, logged),
                    None => Landing::Derived(key, level + 1),
                });
            }
        }
        if let Some(nested) = context.loops.iter().find(|l| l.head == target) {
            return first_round(nested, target).map(|s| Landing::Logged((vec![(nested.uid, 0)], target), s));
        }
        if context.loops.iter().any(|l| l.members.contains(&target)) {
            return Err(format!("{target} is inside an unrolled loop but is not its head"));
        }
        Ok(match context.states.get(&target) {
            Some(logged) => Landing::Logged((Vec::new(), target), logged),
            None => Landing::Derived((Vec::new(), target), 0),
        })
    }

    /// Checks the state `state` at `pc` (sitting at `path`) as [`Self::visit`] does, then
    /// every state derived from it, until each path lands on logged states.
    fn check_from<'p>(
        &mut self,
        id: usize,
        context: &'p ContextCert,
        path: &Path<'p>,
        pc: usize,
        state: &State,
    ) -> Result<(), CheckError> {
        let mut pending: Vec<(Path<'p>, usize, State)> = vec![(path.to_vec(), pc, state.clone())];
        while let Some((path, pc, state)) = pending.pop() {
            for (depth, target, derived) in self.visit(id, context, &path, pc, &state)? {
                pending.push((path[..depth].to_vec(), target, derived));
            }
        }
        Ok(())
    }

    /// Takes `key`, a state the log leaves out, as derived by one edge: a second edge to
    /// it would need a join, which only a logged invariant may stand for.
    fn derive_once(&mut self, id: usize, key: &StateKey) -> Result<(), CheckError> {
        if self.derived.insert((id, key.clone())) {
            return Ok(());
        }
        Err(self.error(Some(id), Some(key.1), format!("pc {} is reached twice but has no logged invariant", key.1)))
    }

    /// Applies the instruction at `pc` to `state` (sitting at `path`) and checks its
    /// successors, call and exit states, and stores. Returns the successors the log leaves
    /// out, to be checked in turn: (how many levels of `path` they sit at, pc, state).
    fn visit<'p>(
        &mut self,
        id: usize,
        context: &'p ContextCert,
        path: &Path<'p>,
        pc: usize,
        state: &State,
    ) -> Result<Vec<(usize, usize, State)>, CheckError> {
        let program = self.env.subject.program;
        let insn = *program.insn_at(pc).ok_or_else(|| self.error(Some(id), Some(pc), "no instruction starts here"))?;
        let function = program.function(context.function);
        if pc < function.entry || pc >= function.end {
            return Err(self.error(Some(id), Some(pc), "the state is outside the context's function"));
        }
        let mut calls =
            LoggedCalls { contexts: self.contexts, current: id, domain: self.env.domain, entered: Vec::new() };
        let post =
            self.env.post(&mut calls, pc, &insn, state).map_err(|e| self.error(Some(id), Some(pc), e.to_string()))?;
        self.context_calls.extend(calls.entered.iter().map(|&callee| (id, callee)));
        self.summary.states += 1;
        for check in &post.checks {
            self.checks.entry((id, pc, check.kind)).or_default().insert((check.status, check.detail.clone()));
        }
        if let Some(resolved) = post.resolved {
            match self.resolved.entry((id, pc)) {
                std::collections::btree_map::Entry::Vacant(entry) => {
                    entry.insert(resolved);
                }
                std::collections::btree_map::Entry::Occupied(mut entry) => entry.get_mut().merge(resolved),
            }
        }
        let source = (path_key(path), pc);
        if termination::takes_an_item(self.env.subject, pc, state) {
            self.taking.insert((id, source.clone()));
        }
        if termination::may_renew(self.env.subject, pc) {
            self.renewing.insert((id, source.clone()));
        }
        if let Some(step) = termination::steps_a_counter(self.env.subject, pc, state) {
            self.stepping.insert((id, source.clone()), step);
        }
        let mut derived = Vec::new();
        for (target, produced) in post.edges {
            if target < function.entry || target >= function.end {
                // Leaving the function is a (refuted) obligation the log must carry.
                let detail = format!("control flow leaves the function to {target}");
                self.checks.entry((id, pc, ObligationKind::Call)).or_default().insert((Status::Refuted, detail));
                continue;
            }
            let landing =
                self.landing(context, path, target).map_err(|reason| self.error(Some(id), Some(pc), reason))?;
            match landing {
                Landing::Logged(key, logged) if produced.leq(logged, self.env.domain) => {
                    self.state_edges.entry(id).or_default().push((source.clone(), key));
                }
                Landing::Logged(..) => {
                    return Err(self.error(
                        Some(id),
                        Some(pc),
                        format!("not inductive: the state reaching {target} is not covered by its logged state"),
                    ));
                }
                Landing::Derived(key, depth) => {
                    self.derive_once(id, &key)?;
                    self.state_edges.entry(id).or_default().push((source.clone(), key));
                    derived.push((depth, target, produced));
                }
                Landing::PastLastRound => {
                    return Err(self.error(
                        Some(id),
                        Some(pc),
                        format!("the last round of the loop at {target} reaches its head again: the loop is not unrolled to its end"),
                    ));
                }
            }
            self.summary.edges += 1;
        }
        if let Some(exit) = &post.exit {
            let covered = context.exit.as_ref().is_some_and(|logged| exit.leq(logged, self.env.domain));
            if !covered {
                return Err(self.error(
                    Some(id),
                    Some(pc),
                    "the exit state is not covered by the context's logged exit",
                ));
            }
        }
        for store in &post.global_stores {
            for &offset in &store.offsets {
                self.stored.store(store.map, offset, store.len, &store.value, self.env.domain);
            }
        }
        Ok(derived)
    }

    /// Checks every state of the loop `loop_` (at `path`), rounds in order.
    fn visit_loop<'p>(
        &mut self,
        id: usize,
        context: &'p ContextCert,
        path: &mut Path<'p>,
        loop_: &'p LoopCert,
    ) -> Result<(), CheckError> {
        self.unrolled.push((id, loop_.members.clone()));
        if loop_.rounds.is_empty() {
            return Err(self.error(Some(id), Some(loop_.head), "an unrolled loop with no rounds"));
        }
        for (index, round) in loop_.rounds.iter().enumerate() {
            path.push((loop_, index));
            for (pc, state) in &round.states {
                if !loop_.members.contains(pc) {
                    let reason = format!("a state of round {} is outside the loop at {}", index + 1, loop_.head);
                    return Err(self.error(Some(id), Some(*pc), reason));
                }
                self.check_from(id, context, path, *pc, state)?;
            }
            for nested in &round.loops {
                self.visit_loop(id, context, path, nested)?;
            }
            path.pop();
        }
        Ok(())
    }
}

/// The state at `head` in the first round of `loop_`.
fn first_round(loop_: &LoopCert, head: usize) -> Result<&State, String> {
    loop_
        .rounds
        .first()
        .and_then(|r| r.states.get(&head))
        .ok_or_else(|| format!("the loop at {head} has no first round"))
}

/// `section/function` of the program `program_log` covers, as errors name it.
fn program_title(program_log: &ProgramLog) -> String {
    format!("{}/{}", program_log.section, program_log.function)
}

/// A builder of errors about the program `program_log` covers.
fn program_error(program_log: &ProgramLog) -> impl Fn(Option<usize>, Option<usize>, String) -> CheckError {
    let program = program_title(program_log);
    move |context, pc, reason| CheckError { program: program.clone(), context, pc, reason }
}

fn check_program(
    log: &ProofLog,
    program_log: &ProgramLog,
    object: &Object,
    domain: DomainKind,
    callx_model: CallxModel,
    summary: &mut CheckSummary,
) -> Result<(), CheckError> {
    let error = program_error(program_log);
    let loaded = object
        .programs
        .iter()
        .find(|p| p.section == program_log.section && p.name == program_log.function)
        .ok_or_else(|| error(None, None, "no such program in the object".into()))?;
    let subject =
        Subject::from_object(object, loaded).ok_or_else(|| error(None, None, "unknown program type".into()))?;
    check_program_on(log, program_log, &subject, domain, callx_model, summary)
}

fn check_program_on(
    log: &ProofLog,
    program_log: &ProgramLog,
    subject: &Subject,
    domain: DomainKind,
    callx_model: CallxModel,
    summary: &mut CheckSummary,
) -> Result<(), CheckError> {
    let error = program_error(program_log);
    let sha = log::sha256_hex(&subject.program.to_bytes());
    if sha != program_log.program_sha256 {
        return Err(error(
            None,
            None,
            format!("the program's bytecode hash is {sha}, the log says {}", program_log.program_sha256),
        ));
    }
    if program_log.verdict == "unknown" {
        if !program_log.contexts.is_empty() {
            return Err(error(None, None, "an `unknown` verdict with invariants".into()));
        }
        return Ok(());
    }
    let section_slots = subject.maps.iter().filter_map(|m| m.data.as_ref()).map(|d| d.image.len().div_ceil(8) as u64);
    let globals = log::globals_of(&program_log.globals, domain, section_slots.sum())
        .map_err(|e| error(None, None, format!("globals: {e}")))?;
    let assumed = if log.options.assume_initial_globals {
        GlobalSummary::from_file(subject, domain)
    } else {
        GlobalSummary::initial(subject, domain)
    };
    if !assumed.leq(&globals) {
        return Err(error(None, None, "the global data summary does not cover the loaded contents".into()));
    }
    let values = log::values_of(&program_log.values, domain).map_err(|e| error(None, None, format!("values: {e}")))?;
    let mut contexts = BTreeMap::new();
    for context in &program_log.contexts {
        let parsed = parse_context(context, domain, &values).map_err(|reason| error(Some(context.id), None, reason))?;
        if context.function_id as usize >= subject.program.functions().len()
            || subject.program.function(parsed.function).entry != parsed.entry_pc
        {
            return Err(error(
                Some(context.id),
                None,
                "the function does not exist or does not start at entry_pc".into(),
            ));
        }
        if contexts.insert(context.id, parsed).is_some() {
            return Err(error(Some(context.id), None, "context listed twice".into()));
        }
    }
    let root = program_log.contexts.first().ok_or_else(|| error(None, None, "no contexts".into()))?;
    let root_cert = &contexts[&root.id];
    if root_cert.function != FunctionId(0) || !State::entry(domain).leq(&root_cert.entry, domain) {
        return Err(error(
            Some(root.id),
            None,
            "the first context is not the program entered with its initial state".into(),
        ));
    }
    let thresholds =
        if log.options.widening_thresholds { Thresholds::from_program(subject.program) } else { Thresholds::none() };
    let spec = log.options.domain.parse::<DomainSpec>().ok();
    let env = Env {
        domain,
        subject,
        prototypes: Prototypes::builtin(),
        callx_model,
        globals: &globals,
        thresholds: &thresholds,
        widening_delay: log.options.widening_delay,
        privilege: privilege_of(log)?,
        zones: spec.as_ref().map_or(Zones::Off, |spec| spec.zones),
        equalities: spec.as_ref().is_some_and(|spec| spec.equalities),
    };
    let mut run = ProgramCheck {
        title: program_title(program_log),
        env,
        contexts: &contexts,
        checks: BTreeMap::new(),
        stored: globals.clone(),
        state_edges: BTreeMap::new(),
        derived: HashSet::new(),
        context_calls: BTreeSet::new(),
        resolved: BTreeMap::new(),
        unrolled: Vec::new(),
        taking: BTreeSet::new(),
        renewing: BTreeSet::new(),
        stepping: BTreeMap::new(),
        summary: CheckSummary::default(),
    };
    for (&id, context) in &contexts {
        // The entry state must be covered where the function starts, or starts the
        // derivation there when the log leaves that pc out (the entry is then its one edge).
        let at_entry = run
            .landing(context, &Vec::new(), context.entry_pc)
            .map_err(|reason| error(Some(id), Some(context.entry_pc), reason))?;
        match at_entry {
            Landing::Logged(_, logged) if context.entry.leq(logged, domain) => {}
            Landing::Derived(key, _) => {
                run.derive_once(id, &key)?;
                run.check_from(id, context, &Vec::new(), context.entry_pc, &context.entry)?;
            }
            Landing::Logged(..) | Landing::PastLastRound => {
                return Err(error(
                    Some(id),
                    Some(context.entry_pc),
                    "the entry state is not covered by the invariant at the entry".into(),
                ));
            }
        }
        let in_loops: BTreeSet<usize> = context.loops.iter().flat_map(|l| l.members.iter().copied()).collect();
        for (pc, state) in &context.states {
            if in_loops.contains(pc) {
                return Err(error(Some(id), Some(*pc), "a top-level invariant inside an unrolled loop".into()));
            }
            run.check_from(id, context, &Vec::new(), *pc, state)?;
        }
        let mut path = Vec::new();
        for loop_ in &context.loops {
            run.visit_loop(id, context, &mut path, loop_)?;
        }
        run.summary.contexts += 1;
    }
    if !run.stored.leq(&globals) {
        return Err(error(None, None, "a store to global data is not covered by the global summary".into()));
    }
    check_targets(&run, program_log, subject).map_err(|(context, pc, reason)| error(context, pc, reason))?;
    check_obligations(&run, program_log).map_err(|(context, pc, reason)| error(context, pc, reason))?;
    summary.contexts += run.summary.contexts;
    summary.states += run.summary.states;
    summary.edges += run.summary.edges;
    summary.obligations += program_log.obligations.len();
    Ok(())
}

/// The logged `callx`/`gotox` targets against the recomputed ones: the same (context, pc)
/// entries, each with exactly the recomputed targets.
fn check_targets(run: &ProgramCheck, log: &ProgramLog, subject: &Subject) -> Result<(), Located> {
    let mut logged: BTreeMap<(usize, usize), &TargetLog> = BTreeMap::new();
    for target in &log.targets {
        if logged.insert((target.context, target.pc), target).is_some() {
            return Err((Some(target.context), Some(target.pc), "the targets of this pc are logged twice".into()));
        }
    }
    for (&(context, pc), resolved) in &run.resolved {
        let at = |reason: String| (Some(context), Some(pc), reason);
        let Some(entry) = logged.remove(&(context, pc)) else {
            return Err(at("the instruction resolves indirect targets, but the log lists none".into()));
        };
        let (kind, functions, helpers, targets) = match resolved {
            Resolved::Callx { functions, helpers } => {
                let names: BTreeSet<&str> =
                    functions.iter().map(|f| subject.program.function(*f).name.as_str()).collect();
                ("callx", names, helpers.iter().copied().collect(), BTreeSet::new())
            }
            Resolved::Gotox { targets } => {
                ("gotox", BTreeSet::new(), BTreeSet::new(), targets.iter().copied().collect::<BTreeSet<usize>>())
            }
        };
        if entry.kind != kind {
            return Err(at(format!("the log calls this a {}, the instruction is a {kind}", entry.kind)));
        }
        let logged_functions: BTreeSet<&str> = entry.functions.iter().map(String::as_str).collect();
        if logged_functions != functions {
            return Err(at(format!(
                "{kind} targets logged as functions {logged_functions:?}, the invariant gives {functions:?}"
            )));
        }
        let logged_helpers: BTreeSet<i32> = entry.helpers.iter().copied().collect();
        if logged_helpers != helpers {
            return Err(at(format!(
                "{kind} targets logged as helpers {logged_helpers:?}, the invariant gives {helpers:?}"
            )));
        }
        let logged_targets: BTreeSet<usize> = entry.targets.iter().copied().collect();
        if logged_targets != targets {
            return Err(at(format!(
                "{kind} targets logged as pcs {logged_targets:?}, the invariant gives {targets:?}"
            )));
        }
    }
    if let Some(((context, pc), _)) = logged.into_iter().next() {
        return Err((Some(context), Some(pc), "targets are logged for a pc that resolves none".into()));
    }
    Ok(())
}

/// Where checks of one kind are made: (context, pc, kind).
type CheckKey = (usize, usize, ObligationKind);

/// An error's context, pc and reason.
type Located = (Option<usize>, Option<usize>, String);

/// One context's graph of checked edges between logged states, as [`termination`]'s rules
/// read it.
struct ContextLoops<'r, 'a> {
    run: &'r ProgramCheck<'a>,
    context: usize,
    successors: BTreeMap<&'r StateKey, Vec<StateKey>>,
    predecessors: BTreeMap<&'r StateKey, Vec<StateKey>>,
}

impl<'r, 'a> ContextLoops<'r, 'a> {
    /// The graph of the edges of `context` that land in `cyclic`, the states on its cycles
    /// (the rules look at nothing else: successors inside a cycle, predecessors of its states).
    fn new(
        run: &'r ProgramCheck<'a>,
        context: usize,
        edges: &'r [(StateKey, StateKey)],
        cyclic: &BTreeSet<StateKey>,
    ) -> ContextLoops<'r, 'a> {
        let mut successors: BTreeMap<&StateKey, Vec<StateKey>> = BTreeMap::new();
        let mut predecessors: BTreeMap<&StateKey, Vec<StateKey>> = BTreeMap::new();
        for (a, b) in edges.iter().filter(|(_, b)| cyclic.contains(b)) {
            successors.entry(a).or_default().push(b.clone());
            predecessors.entry(b).or_default().push(a.clone());
        }
        ContextLoops { run, context, successors, predecessors }
    }

    fn with_facts<T>(&self, then: impl FnOnce(&termination::LoopFacts<StateKey>) -> T) -> T {
        let (run, context) = (self.run, self.context);
        let subject = run.env.subject;
        let facts = termination::LoopFacts {
            successors: &|key: &StateKey| self.successors.get(key).cloned().unwrap_or_default(),
            steps: &|key: &StateKey| run.stepping.get(&(context, key.clone())).copied(),
            writes: &|key: &StateKey, reg: Reg| termination::may_write(subject, key.1, reg),
            takes_an_item: &|key: &StateKey| run.taking.contains(&(context, key.clone())),
            renews: &|key: &StateKey| run.renewing.contains(&(context, key.clone())),
            // Unrolled rounds are distinct states: an unrolled loop closes no cycle.
            bounded_otherwise: &|_: &BTreeSet<StateKey>| BTreeSet::new(),
        };
        then(&facts)
    }

    /// Whether no run stays in the strongly connected states `cycle` for ever.
    fn ends(&self, cycle: &BTreeSet<StateKey>) -> bool {
        self.with_facts(|facts| termination::ends(cycle, facts).is_some())
    }

    /// The pcs of the states in loops that end, nested ones included.
    fn ending_pcs(&self) -> BTreeSet<usize> {
        let nodes: BTreeSet<StateKey> = self.predecessors.keys().map(|k| (*k).clone()).collect();
        let predecessors = |key: &StateKey| self.predecessors.get(key).cloned().unwrap_or_default();
        let points = self.with_facts(|facts| termination::ending_points(&nodes, &predecessors, facts));
        points.into_iter().map(|(_, pc)| pc).collect()
    }
}

/// The logged obligations against the recomputed ones (see the module docs).
fn check_obligations(run: &ProgramCheck, log: &ProgramLog) -> Result<(), Located> {
    let mut logged: BTreeMap<CheckKey, BTreeSet<(Status, &str)>> = BTreeMap::new();
    for o in &log.obligations {
        logged.entry((o.context, o.pc, o.kind)).or_default().insert((o.status, o.detail.as_str()));
    }
    // A check that does not hold first: it is the cause of the other mismatches it brings
    // (a call no context covers leaves the rest of the function unchecked).
    for ((context, pc, kind), checks) in &run.checks {
        if let Some((_, detail)) = checks.iter().find(|(s, _)| *s != Status::Proven) {
            let listed =
                logged.get(&(*context, *pc, *kind)).is_some_and(|l| l.iter().any(|(s, _)| *s != Status::Proven));
            if !listed {
                return Err((
                    Some(*context),
                    Some(*pc),
                    format!("{kind} is not proven under the invariant ({detail}), and the log does not say so"),
                ));
            }
        }
    }
    // One instruction can make several checks of one kind (one per helper argument), some
    // proven and some not: a check logged proven must be recomputed proven, with its detail.
    for ((context, pc, kind), entries) in &logged {
        if *kind == ObligationKind::Termination {
            continue;
        }
        for (status, detail) in entries {
            if *status != Status::Proven {
                continue;
            }
            let recomputed = run.checks.get(&(*context, *pc, *kind));
            let reason = match recomputed {
                Some(checks) if checks.iter().any(|(s, d)| *s == Status::Proven && d == detail) => continue,
                Some(_) => format!("{kind} is logged proven ({detail}) but does not follow from the invariant"),
                None => format!("{kind} is logged proven but the instruction has no such check"),
            };
            return Err((Some(*context), Some(*pc), reason));
        }
    }
    // Termination: proven only for unrolled loops and loops that `crate::termination`'s
    // rules end; every other cycle of checked edges must carry an open obligation.
    // Most states lie on no cycle: the graphs the rules read keep only those that do.
    let cyclic: BTreeMap<usize, BTreeSet<StateKey>> = run
        .state_edges
        .iter()
        .map(|(context, edges)| (*context, state_cycles(edges).into_iter().flatten().collect()))
        .collect();
    let graphs: BTreeMap<usize, ContextLoops> = run
        .state_edges
        .iter()
        .map(|(context, edges)| (*context, ContextLoops::new(run, *context, edges, &cyclic[context])))
        .collect();
    let bounded_pcs: BTreeSet<(usize, usize)> =
        graphs.iter().flat_map(|(context, graph)| graph.ending_pcs().into_iter().map(|pc| (*context, pc))).collect();
    for ((context, pc, kind), entries) in &logged {
        if *kind == ObligationKind::Termination && entries.iter().any(|(s, _)| *s == Status::Proven) {
            let unrolled = run.unrolled.iter().any(|(c, members)| c == context && members.contains(pc));
            // A loop whose back edges no checked state takes ends after one pass.
            let on_a_cycle = cyclic.get(context).is_some_and(|states| states.iter().any(|(_, at)| at == pc));
            if !unrolled && on_a_cycle && !bounded_pcs.contains(&(*context, *pc)) {
                return Err((
                    Some(*context),
                    Some(*pc),
                    "termination is logged proven but no unrolled loop ends here".into(),
                ));
            }
        }
    }
    let program = run.env.subject.program;
    for (context, edges) in &run.state_edges {
        // A cycle that takes a `may_goto`'s fall-through ends when the call's budget does.
        let within = &cyclic[context];
        let unbounded: Vec<(StateKey, StateKey)> = edges
            .iter()
            .filter(|(a, b)| within.contains(a) && within.contains(b))
            .filter(|(a, b)| !crate::may_goto::spends_budget(program, a.1, b.1))
            .cloned()
            .collect();
        for cycle in state_cycles(&unbounded) {
            let pcs: BTreeSet<usize> = cycle.iter().map(|(_, pc)| *pc).collect();
            let open = logged.iter().any(|((c, pc, kind), entries)| {
                c == context
                    && *kind == ObligationKind::Termination
                    && pcs.contains(pc)
                    && entries.iter().any(|(s, _)| *s != Status::Proven)
            });
            if !open && !graphs[context].ends(&cycle) {
                let first = pcs.first().copied();
                let reason = format!(
                    "the control flow has a loop through pcs {pcs:?} that no unrolling of the log ends, and its termination is not left open"
                );
                return Err((Some(*context), first, reason));
            }
        }
    }
    let calls: Vec<(usize, usize)> = run.context_calls.iter().copied().collect();
    if let Some(cycle) = cycles(&calls).into_iter().next() {
        let first = cycle.first().copied();
        return Err((first, None, format!("contexts {cycle:?} call each other: unbounded recursion")));
    }
    let all_proven = log.obligations.iter().all(|o| o.status == Status::Proven);
    match (log.verdict.as_str(), all_proven) {
        ("pass", true) | ("fail", false) => Ok(()),
        (verdict, _) => Err((None, None, format!("verdict `{verdict}` does not match the obligations"))),
    }
}

/// The cycles of the edges between states: none without an edge that goes back (or stays)
/// in pc order, since pcs cannot rise all the way round a cycle (most code has no loop).
fn state_cycles(edges: &[(StateKey, StateKey)]) -> Vec<BTreeSet<StateKey>> {
    if edges.iter().all(|(a, b)| a.1 < b.1) {
        return Vec::new();
    }
    cycles(edges)
}

/// The cycles of a graph given by its edges: the node sets of its strongly connected
/// components that have an edge inside them.
fn cycles<N: Clone + Ord>(edges: &[(N, N)]) -> Vec<BTreeSet<N>> {
    let mut graph = petgraph::graph::DiGraph::<N, ()>::new();
    let mut index = BTreeMap::new();
    for (a, b) in edges {
        for node in [a, b] {
            if !index.contains_key(node) {
                index.insert(node.clone(), graph.add_node(node.clone()));
            }
        }
        graph.add_edge(index[a], index[b], ());
    }
    // A component of two or more nodes always has an edge inside it, one node only a
    // self-loop (looking through every edge for each component was quadratic in the log).
    let self_loops: BTreeSet<&N> = edges.iter().filter(|(a, b)| a == b).map(|(a, _)| a).collect();
    petgraph::algo::kosaraju_scc(&graph)
        .into_iter()
        .map(|scc| scc.into_iter().map(|n| graph[n].clone()).collect::<BTreeSet<N>>())
        .filter(|scc| scc.len() > 1 || scc.iter().any(|node| self_loops.contains(node)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_components_with_an_edge_inside() {
        let edges = [(1, 2), (2, 3), (3, 2), (3, 4), (4, 4), (5, 6)];
        let found: BTreeSet<BTreeSet<i32>> = cycles(&edges).into_iter().collect();
        assert_eq!(found, BTreeSet::from([BTreeSet::from([4]), BTreeSet::from([2, 3])]));
    }

    #[test]
    fn rounds_of_an_unrolled_loop_are_distinct_states_and_form_no_cycle() {
        // Head 3 in rounds 0 and 1 of loop 1, then the exit at top level.
        let round = |r: usize, pc: usize| -> StateKey { (vec![(1, r)], pc) };
        let top = |pc: usize| -> StateKey { (Vec::new(), pc) };
        let unrolled =
            vec![(top(2), round(0, 3)), (round(0, 3), round(0, 4)), (round(0, 4), round(1, 3)), (round(1, 3), top(5))];
        assert!(cycles(&unrolled).is_empty());
        // The same pcs at one level: the back edge closes a cycle.
        let widened = vec![(top(2), top(3)), (top(3), top(4)), (top(4), top(3)), (top(3), top(5))];
        assert_eq!(cycles(&widened), vec![BTreeSet::from([top(3), top(4)])]);
        // `ja -1`: a state that is its own successor.
        assert_eq!(cycles(&[(top(7), top(7))]).len(), 1);
    }

    #[test]
    fn targets_resolved_under_several_states_are_joined() {
        let mut gotox = Resolved::Gotox { targets: vec![4, 9] };
        gotox.merge(Resolved::Gotox { targets: vec![9, 2] });
        assert_eq!(gotox, Resolved::Gotox { targets: vec![2, 4, 9] });
        let mut callx = Resolved::Callx { functions: vec![FunctionId(2)], helpers: Vec::new() };
        callx.merge(Resolved::Callx { functions: vec![FunctionId(1), FunctionId(2)], helpers: vec![5] });
        assert_eq!(callx, Resolved::Callx { functions: vec![FunctionId(1), FunctionId(2)], helpers: vec![5] });
    }

    #[test]
    fn a_selection_picks_by_section_and_function() {
        let all = Selection::default();
        assert!(all.selects("tc", "a") && all.selects("xdp", "b"));
        let one = Selection { section: Some("tc".into()), function: Some("a".into()) };
        assert!(one.selects("tc", "a") && !one.selects("tc", "b") && !one.selects("xdp", "a"));
    }
}
