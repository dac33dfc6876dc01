//! The independent proof checker: re-validates a [`ProofLog`] against the object in one
//! pass over its invariants, with no fixpoint.
//!
//! It uses the transfer function ([`crate::transfer::Env::post`]), the states and the
//! domains, never the engine, the CFG or the iteration order. For every logged state it
//! applies the instruction once and checks:
//! - **inductiveness**: each successor's logged state covers what the instruction produces
//!   (the next round's head for a back edge of an unrolled loop, which the last round must
//!   not reach; the enclosing state for an exit of a loop; the context's exit state for an
//!   `exit`);
//! - **calls**: each call is covered by a logged context of the callee whose entry covers
//!   the call's state, and the call's effect is that context's logged exit;
//! - **obligations**: every obligation the log calls proven is proven again under the
//!   logged state, and every obligation that is not proven under it is in the log as not
//!   proven; a `pass` verdict has none;
//! - **termination**: a loop not unrolled (a backward edge outside unrolled rounds) must
//!   carry a termination obligation that is not proven;
//! - **global data**: the summary covers the loaded contents and every store;
//! - the program entry state is covered by the first context.
//!
//! Every failure names the program, the context and the pc.

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::Object;
use bpfprove_semantics::interp::CallxModel;
use bpfprove_semantics::program::FunctionId;

use super::log::{self, ContextLog, ProgramLog, ProofLog, SCHEMA_VERSION, UnrolledLog};
use crate::globals::GlobalSummary;
use crate::obligation::{Check, ObligationKind, Status};
use crate::spec::Prototypes;
use crate::state::State;
use crate::subject::Subject;
use crate::transfer::{CallKind, CallOutcome, Calls, Env, Stop};
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

/// Checks `log` against `object` (whose file bytes are `bytes`).
pub fn check(log: &ProofLog, bytes: &[u8], object: &Object) -> Result<CheckSummary, CheckError> {
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
    let domain: DomainKind = log.options.domain.parse().map_err(|e| whole(format!("{e}")))?;
    let callx_model = match log.options.callx_model.as_str() {
        "address" => CallxModel::Address,
        "helper-id" => CallxModel::HelperId,
        other => return Err(whole(format!("unknown callx model `{other}`"))),
    };
    let mut summary = CheckSummary::default();
    for program in &log.programs {
        check_program(log, program, object, domain, callx_model, &mut summary)?;
        summary.programs += 1;
    }
    Ok(summary)
}

/// A parsed unrolled loop.
struct LoopCert {
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

fn parse_loop(log: &UnrolledLog, domain: DomainKind, depth: usize) -> Result<LoopCert, String> {
    if depth > MAX_LOG_NESTING {
        return Err(format!("unrolled loops nested more than {MAX_LOG_NESTING} deep"));
    }
    let mut rounds = Vec::new();
    for round in &log.rounds {
        let mut states = BTreeMap::new();
        for inv in &round.invariants {
            states.insert(inv.pc, log::state_of(&inv.state, domain).map_err(|e| format!("pc {}: {e}", inv.pc))?);
        }
        let loops = round.unrolled.iter().map(|l| parse_loop(l, domain, depth + 1)).collect::<Result<_, _>>()?;
        rounds.push(RoundCert { states, loops });
    }
    Ok(LoopCert { head: log.head, members: log.members.iter().copied().collect(), rounds })
}

fn parse_context(log: &ContextLog, domain: DomainKind) -> Result<ContextCert, String> {
    let mut states = BTreeMap::new();
    for inv in &log.invariants {
        states.insert(inv.pc, log::state_of(&inv.state, domain).map_err(|e| format!("pc {}: {e}", inv.pc))?);
    }
    let mut calls: BTreeMap<(usize, FunctionId), Vec<usize>> = BTreeMap::new();
    for call in &log.calls {
        calls.entry((call.pc, FunctionId(call.function_id))).or_default().extend(&call.contexts);
    }
    Ok(ContextCert {
        function: FunctionId(log.function_id),
        entry_pc: log.entry_pc,
        entry: log::state_of(&log.entry, domain).map_err(|e| format!("entry: {e}"))?,
        exit: log.exit.as_ref().map(|s| log::state_of(s, domain)).transpose().map_err(|e| format!("exit: {e}"))?,
        states,
        loops: log.unrolled.iter().map(|l| parse_loop(l, domain, 1)).collect::<Result<_, _>>()?,
        calls,
    })
}

/// Calls during the check: looked up in the log.
struct LoggedCalls<'a> {
    contexts: &'a BTreeMap<usize, ContextCert>,
    current: usize,
    domain: DomainKind,
    problems: Vec<(usize, String)>,
}

impl Calls for LoggedCalls<'_> {
    fn call(&mut self, pc: usize, _kind: CallKind, function: FunctionId, entry: State) -> Result<CallOutcome, Stop> {
        let caller = &self.contexts[&self.current];
        let candidates = caller.calls.get(&(pc, function)).cloned().unwrap_or_default();
        let covering = candidates.iter().find(|id| {
            self.contexts.get(id).is_some_and(|c| c.function == function && entry.leq(&c.entry, self.domain))
        });
        match covering {
            Some(id) => Ok(CallOutcome { exit: self.contexts[id].exit.clone(), problem: None }),
            None => {
                self.problems
                    .push((pc, format!("no logged context of function {} covers this call's state", function.0)));
                Ok(CallOutcome {
                    exit: None,
                    problem: Some(Check::new(ObligationKind::Call, Status::Unknown, "call not covered by the log")),
                })
            }
        }
    }
}

/// A region of one context: the path of (loop head, round) to it.
type RegionKey = (usize, Vec<(usize, usize)>);

struct ProgramCheck<'a> {
    title: String,
    env: Env<'a>,
    contexts: &'a BTreeMap<usize, ContextCert>,
    /// Recomputed checks: (context, pc, kind) → statuses.
    checks: BTreeMap<(usize, usize, ObligationKind), BTreeSet<Status>>,
    /// Stores seen, joined into the logged summary.
    stored: GlobalSummary,
    /// Edges between states of one region (a context's top level, or one round of an
    /// unrolled loop), by (context, path of (loop head, round)): cycles among them are
    /// loops that were widened.
    region_edges: BTreeMap<RegionKey, Vec<(usize, usize)>>,
    /// Unrolled loops: (context, members).
    unrolled: Vec<(usize, BTreeSet<usize>)>,
    summary: CheckSummary,
}

impl<'a> ProgramCheck<'a> {
    fn error(&self, context: Option<usize>, pc: Option<usize>, reason: impl Into<String>) -> CheckError {
        CheckError { program: self.title.clone(), context, pc, reason: reason.into() }
    }

    /// The logged state of `target` as seen from `path` in `context`: `Ok(None)` when the
    /// target is a back edge out of the last round (which must not be reached).
    fn slot<'p>(&self, context: &'p ContextCert, path: &Path<'p>, target: usize) -> Result<Option<&'p State>, String> {
        for &(loop_, round) in path.iter().rev() {
            if target == loop_.head {
                return match loop_.rounds.get(round + 1) {
                    Some(next) => next
                        .states
                        .get(&target)
                        .map(Some)
                        .ok_or_else(|| format!("round {} has no state at its head {target}", round + 2)),
                    None => Ok(None),
                };
            }
            let here = &loop_.rounds[round];
            if let Some(nested) = here.loops.iter().find(|l| l.head == target) {
                return first_round(nested, target).map(Some);
            }
            if loop_.members.contains(&target) {
                return here.states.get(&target).map(Some).ok_or_else(|| {
                    format!("{target} has no state in round {} of the loop at {}", round + 1, loop_.head)
                });
            }
        }
        if let Some(nested) = context.loops.iter().find(|l| l.head == target) {
            return first_round(nested, target).map(Some);
        }
        if context.loops.iter().any(|l| l.members.contains(&target)) {
            return Err(format!("{target} is inside an unrolled loop but is not its head"));
        }
        context
            .states
            .get(&target)
            .map(Some)
            .ok_or_else(|| format!("{target} has no invariant (the log calls it unreachable)"))
    }

    /// Applies the instruction at `pc` to `state` (sitting at `path`) and checks its
    /// successors, call and exit states, and stores.
    fn visit<'p>(
        &mut self,
        id: usize,
        context: &'p ContextCert,
        path: &Path<'p>,
        pc: usize,
        state: &State,
    ) -> Result<(), CheckError> {
        let program = self.env.subject.program;
        let insn = *program.insn_at(pc).ok_or_else(|| self.error(Some(id), Some(pc), "no instruction starts here"))?;
        let function = program.function(context.function);
        if pc < function.entry || pc >= function.end {
            return Err(self.error(Some(id), Some(pc), "the state is outside the context's function"));
        }
        let mut calls =
            LoggedCalls { contexts: self.contexts, current: id, domain: self.env.domain, problems: Vec::new() };
        let post =
            self.env.post(&mut calls, pc, &insn, state).map_err(|e| self.error(Some(id), Some(pc), e.to_string()))?;
        if let Some((at, problem)) = calls.problems.into_iter().next() {
            return Err(self.error(Some(id), Some(at), problem));
        }
        self.summary.states += 1;
        for check in &post.checks {
            self.checks.entry((id, pc, check.kind)).or_default().insert(check.status);
        }
        for (target, produced) in &post.edges {
            if *target < function.entry || *target >= function.end {
                // Leaving the function is a (refuted) obligation the log must carry.
                self.checks.entry((id, pc, ObligationKind::Call)).or_default().insert(Status::Refuted);
                continue;
            }
            let slot = self.slot(context, path, *target).map_err(|reason| self.error(Some(id), Some(pc), reason))?;
            match slot {
                Some(logged) if produced.leq(logged, self.env.domain) => {}
                Some(_) => {
                    return Err(self.error(
                        Some(id),
                        Some(pc),
                        format!("not inductive: the state reaching {target} is not covered by its logged state"),
                    ));
                }
                None => {
                    return Err(self.error(
                        Some(id),
                        Some(pc),
                        format!("the last round of the loop at {target} reaches its head again: the loop is not unrolled to its end"),
                    ));
                }
            }
            self.summary.edges += 1;
            // Edges staying in this region (not a back edge to the next round, not leaving a
            // loop, not entering a nested one) are where widened loops can be.
            let same_region = match path.last() {
                None => !context.loops.iter().any(|l| l.head == *target),
                Some((l, round)) => {
                    *target != l.head
                        && l.members.contains(target)
                        && !l.rounds[*round].loops.iter().any(|n| n.head == *target)
                }
            };
            if same_region {
                let key = (id, path.iter().map(|(l, r)| (l.head, *r)).collect());
                self.region_edges.entry(key).or_default().push((pc, *target));
            }
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
        Ok(())
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
                self.visit(id, context, path, *pc, state)?;
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

fn check_program(
    log: &ProofLog,
    program_log: &ProgramLog,
    object: &Object,
    domain: DomainKind,
    callx_model: CallxModel,
    summary: &mut CheckSummary,
) -> Result<(), CheckError> {
    let title = format!("{}/{}", program_log.section, program_log.function);
    let error = |context: Option<usize>, pc: Option<usize>, reason: String| CheckError {
        program: title.clone(),
        context,
        pc,
        reason,
    };
    let loaded = object
        .programs
        .iter()
        .find(|p| p.section == program_log.section && p.name == program_log.function)
        .ok_or_else(|| error(None, None, "no such program in the object".into()))?;
    let subject =
        Subject::from_object(object, loaded).ok_or_else(|| error(None, None, "unknown program type".into()))?;
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
    let globals =
        log::globals_of(&program_log.globals, domain).map_err(|e| error(None, None, format!("globals: {e}")))?;
    if !GlobalSummary::initial(&subject, domain).leq(&globals) {
        return Err(error(None, None, "the global data summary does not cover the loaded contents".into()));
    }
    let mut contexts = BTreeMap::new();
    for context in &program_log.contexts {
        let parsed = parse_context(context, domain).map_err(|reason| error(Some(context.id), None, reason))?;
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
    let env = Env {
        domain,
        subject: &subject,
        prototypes: Prototypes::builtin(),
        callx_model,
        globals: &globals,
        thresholds: &thresholds,
        widening_delay: log.options.widening_delay,
    };
    let mut run = ProgramCheck {
        title: title.clone(),
        env,
        contexts: &contexts,
        checks: BTreeMap::new(),
        stored: globals.clone(),
        region_edges: BTreeMap::new(),
        unrolled: Vec::new(),
        summary: CheckSummary::default(),
    };
    for (&id, context) in &contexts {
        // The entry state must be covered where the function starts.
        let at_entry = run
            .slot(context, &Vec::new(), context.entry_pc)
            .map_err(|reason| error(Some(id), Some(context.entry_pc), reason))?;
        if !at_entry.is_some_and(|logged| context.entry.leq(logged, domain)) {
            return Err(error(
                Some(id),
                Some(context.entry_pc),
                "the entry state is not covered by the invariant at the entry".into(),
            ));
        }
        let in_loops: BTreeSet<usize> = context.loops.iter().flat_map(|l| l.members.iter().copied()).collect();
        for (pc, state) in &context.states {
            if in_loops.contains(pc) {
                return Err(error(Some(id), Some(*pc), "a top-level invariant inside an unrolled loop".into()));
            }
            run.visit(id, context, &Vec::new(), *pc, state)?;
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
    check_obligations(&run, program_log).map_err(|(context, pc, reason)| error(context, pc, reason))?;
    summary.contexts += run.summary.contexts;
    summary.states += run.summary.states;
    summary.edges += run.summary.edges;
    summary.obligations += program_log.obligations.len();
    Ok(())
}

/// The logged obligations against the recomputed ones (see the module docs).
fn check_obligations(run: &ProgramCheck, log: &ProgramLog) -> Result<(), (Option<usize>, Option<usize>, String)> {
    let mut logged: BTreeMap<(usize, usize, ObligationKind), BTreeSet<Status>> = BTreeMap::new();
    for o in &log.obligations {
        logged.entry((o.context, o.pc, o.kind)).or_default().insert(o.status);
    }
    for ((context, pc, kind), statuses) in &logged {
        if *kind == ObligationKind::Termination {
            continue;
        }
        if statuses.contains(&Status::Proven) {
            match run.checks.get(&(*context, *pc, *kind)) {
                Some(recomputed) if recomputed.iter().all(|s| *s == Status::Proven) => {}
                Some(_) => {
                    return Err((
                        Some(*context),
                        Some(*pc),
                        format!("{kind} is logged proven but does not follow from the invariant"),
                    ));
                }
                None => {
                    return Err((
                        Some(*context),
                        Some(*pc),
                        format!("{kind} is logged proven but the instruction has no such check"),
                    ));
                }
            }
        }
    }
    for ((context, pc, kind), statuses) in &run.checks {
        if statuses.iter().any(|s| *s != Status::Proven) {
            let listed = logged.get(&(*context, *pc, *kind)).is_some_and(|l| l.iter().any(|s| *s != Status::Proven));
            if !listed {
                return Err((
                    Some(*context),
                    Some(*pc),
                    format!("{kind} is not proven under the invariant, and the log does not say so"),
                ));
            }
        }
    }
    // Termination: proven only for unrolled loops; every other loop must carry an open one.
    for ((context, pc, kind), statuses) in &logged {
        if *kind == ObligationKind::Termination && statuses.contains(&Status::Proven) {
            let unrolled = run.unrolled.iter().any(|(c, members)| c == context && members.contains(pc));
            if !unrolled {
                return Err((
                    Some(*context),
                    Some(*pc),
                    "termination is logged proven but no unrolled loop ends here".into(),
                ));
            }
        }
    }
    for ((context, _), edges) in &run.region_edges {
        for cycle in cycles(edges) {
            let open = logged.iter().any(|((c, pc, kind), statuses)| {
                c == context
                    && *kind == ObligationKind::Termination
                    && cycle.contains(pc)
                    && statuses.iter().any(|s| *s != Status::Proven)
            });
            if !open {
                let first = cycle.iter().min().copied();
                let reason = format!("the loop through {cycle:?} is not unrolled and its termination is not left open");
                return Err((Some(*context), first, reason));
            }
        }
    }
    let all_proven = log.obligations.iter().all(|o| o.status == Status::Proven);
    match (log.verdict.as_str(), all_proven) {
        ("pass", true) | ("fail", false) => Ok(()),
        (verdict, _) => Err((None, None, format!("verdict `{verdict}` does not match the obligations"))),
    }
}

/// The cycles of a graph given by its edges: the node sets of its strongly connected
/// components that have an edge inside them.
fn cycles(edges: &[(usize, usize)]) -> Vec<BTreeSet<usize>> {
    let mut graph = petgraph::graph::DiGraph::<usize, ()>::new();
    let mut index = BTreeMap::new();
    for &(a, b) in edges {
        for pc in [a, b] {
            index.entry(pc).or_insert_with(|| graph.add_node(pc));
        }
        graph.add_edge(index[&a], index[&b], ());
    }
    petgraph::algo::kosaraju_scc(&graph)
        .into_iter()
        .map(|scc| scc.into_iter().map(|n| graph[n]).collect::<BTreeSet<usize>>())
        .filter(|scc| edges.iter().any(|(a, b)| scc.contains(a) && scc.contains(b)))
        .collect()
}
