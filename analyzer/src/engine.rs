//! The fixpoint engine: per function and entry state (a *context*), iterate the function's
//! weak topological order with widening after a delay and with thresholds, narrow, then make
//! sure the result is a post-fixpoint and record every check under it.
//!
//! Calls are analysed context-sensitively: each call site analyses its callee from the
//! caller's actual state (memoised on the callee and that state), so a callee sees the real
//! arguments, function pointers and caller frames. The price is analysis time proportional
//! to the number of distinct calling states; recursion is refused (Linux refuses it too).
//!
//! Loops are widened or unrolled as [`LoopStrategy`] says (by default widened first, see
//! [`crate::loops`]). A widened loop is iterated to a stable head state with widening, and
//! ends if [`termination::ends`] proves it on the invariants. Abstract unrolling runs, from
//! the state entering the loop, its body one iteration at a time without joining
//! iterations. If after `k` rounds no state reaches the back edges, every execution leaves
//! the loop within `k` iterations: the loop terminates, and the rounds' states (an
//! [`Unrolled`] certificate) are as precise as path-by-path exploration for counters and
//! walking pointers that no non-relational domain relates. Loops that do not end within
//! the limit (or whose rounds repeat) are widened instead.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use bpfprove_semantics::isa::Reg;
use bpfprove_semantics::program::FunctionId;

use crate::cfg::{CallGraph, FunctionCfg};
use crate::loops::{self, LoopMethod, LoopStrategy, LoopSummary};
use crate::obligation::{Check, ObligationKind, Status};
use crate::state::{Reach, State, join_reach};
use crate::termination;
use crate::transfer::{CallKind, CallOutcome, Calls, Env, GlobalStore, Post, Resolved, Stop};
use crate::wto::{Component, Wto};

/// Index of an analysed context.
pub type ContextId = usize;

/// Knobs of the fixpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Visits of a loop head that join before widening starts.
    pub widening_delay: u32,
    /// Descending passes after the ascending iteration.
    pub narrowing_passes: u32,
    /// Most rounds of abstract unrolling per loop.
    pub loop_unroll: u32,
    /// Which loops are unrolled.
    pub loops: LoopStrategy,
    /// Most instruction visits in all.
    pub max_visits: u64,
    /// Most contexts (function × entry state).
    pub max_contexts: usize,
    /// When to give up.
    pub deadline: Option<Instant>,
    /// Keep the state of every reached pc in [`ContextResult::invariants`] (the proof log
    /// needs them all). Otherwise a function without loops keeps only the states of pcs
    /// with a check that is not proven.
    pub all_invariants: bool,
}

/// Counters of one analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Instruction visits (transfer-function applications).
    pub visits: u64,
    /// Widenings applied.
    pub widenings: u64,
    /// Contexts analysed.
    pub contexts: usize,
    /// Restarts after new `gotox` edges were found.
    pub restarts: u64,
    /// Most states held at once by one context's fixpoint.
    pub peak_states: usize,
}

/// The analysis of one function from one entry state.
#[derive(Clone, Debug)]
pub struct ContextResult {
    /// The function.
    pub function: FunctionId,
    /// Its entry state.
    pub entry: State,
    /// The invariant at each reachable pc (for pcs of unrolled loops: the join of the
    /// rounds); without [`EngineConfig::all_invariants`], a function without loops keeps
    /// only those of pcs with a check that is not proven.
    pub invariants: BTreeMap<usize, State>,
    /// The loops analysed by unrolling, outside any other unrolled loop, by head.
    pub unrolled: BTreeMap<usize, Unrolled>,
    /// Every loop, by head: how it was analysed and why it ends.
    pub loops: BTreeMap<usize, LoopSummary>,
    /// The join of its exit states.
    pub exit: Reach,
    /// Every check, by pc.
    pub checks: Vec<(usize, Check)>,
    /// `callx`/`gotox` targets by pc.
    pub resolved: BTreeMap<usize, Resolved>,
    /// The contexts each call site calls, by (pc, callee): one per distinct entry state (a
    /// callback called by a looping helper is entered with several).
    pub callees: BTreeMap<(usize, FunctionId), BTreeSet<ContextId>>,
    /// Stores to global data.
    pub global_stores: Vec<GlobalStore>,
    /// The lowest stack offset its instructions may access, per frame depth (its own frame
    /// and those of its callers that it reaches through pointers).
    pub stack_uses: BTreeMap<u8, i64>,
}

/// A loop analysed by unrolling: its states iteration by iteration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unrolled {
    /// The loop's head.
    pub head: usize,
    /// The loop's instructions.
    pub members: BTreeSet<usize>,
    /// One entry per iteration; the last one reaches no back edge.
    pub rounds: Vec<Round>,
}

/// One iteration of an unrolled loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    /// The states of the loop's instructions reached in this iteration, except those inside
    /// nested unrolled loops.
    pub states: BTreeMap<usize, State>,
    /// Nested loops unrolled in this iteration, by head.
    pub unrolled: BTreeMap<usize, Unrolled>,
    /// Nested loops iterated with widening instead, with the reason.
    pub widened: BTreeMap<usize, String>,
}

/// Most nested loops unrolled inside one another (deeper ones are widened). Unrolling
/// recurses once per level, so this also bounds the engine's stack depth.
const MAX_UNROLL_DEPTH: u32 = 4;

/// States flowing through one function's graph.
struct Flow {
    seed_pc: usize,
    seed: State,
    /// Ignore edges into `seed_pc` (loop unrolling starts a loop's head afresh).
    cut_seed: bool,
    states: HashMap<usize, State>,
    edges: HashMap<(usize, usize), State>,
    exits: BTreeMap<usize, State>,
    new_edges: bool,
    /// Loops last processed by unrolling, by head.
    unrolled: BTreeMap<usize, Unrolled>,
    /// Loops last processed by widening, with why they were not unrolled.
    widened: BTreeMap<usize, String>,
}

impl Flow {
    fn new(seed_pc: usize, seed: State, cut_seed: bool) -> Flow {
        Flow {
            seed_pc,
            seed,
            cut_seed,
            states: HashMap::new(),
            edges: HashMap::new(),
            exits: BTreeMap::new(),
            new_edges: false,
            unrolled: BTreeMap::new(),
            widened: BTreeMap::new(),
        }
    }
}

/// What a recording pass collects.
#[derive(Default)]
struct Record {
    checks: Vec<(usize, Check)>,
    resolved: BTreeMap<usize, Resolved>,
    global_stores: Vec<GlobalStore>,
    stack_uses: BTreeMap<u8, i64>,
}

impl Record {
    /// The result of analysing `function` from `entry`: its `invariants`, its loops (those
    /// unrolled, and how each was handled), its `exit`, and what this recording gathered.
    fn into_result(
        self,
        function: FunctionId,
        entry: &State,
        invariants: BTreeMap<usize, State>,
        (unrolled, loops): (BTreeMap<usize, Unrolled>, BTreeMap<usize, LoopSummary>),
        exit: Reach,
    ) -> ContextResult {
        ContextResult {
            function,
            entry: entry.clone(),
            invariants,
            unrolled,
            loops,
            exit,
            checks: self.checks,
            resolved: self.resolved,
            callees: BTreeMap::new(),
            global_stores: self.global_stores,
            stack_uses: self.stack_uses,
        }
    }
}

/// The join of a function's exit states (unreachable when it has none).
fn exit_of(exits: BTreeMap<usize, State>, domain: bpfprove_domains::DomainKind) -> Reach {
    exits.into_values().fold(None, |acc, s| join_reach(&acc, &Some(s), domain))
}

/// A function being analysed, for calls made from it.
struct Active {
    function: FunctionId,
    recording: bool,
    callees: BTreeMap<(usize, FunctionId), BTreeSet<ContextId>>,
}

/// The engine (see the module docs).
pub struct Engine<'a> {
    env: Env<'a>,
    config: &'a EngineConfig,
    contexts: Vec<ContextResult>,
    memo: HashMap<(FunctionId, State), ContextId>,
    active: Vec<Active>,
    indirect: BTreeMap<FunctionId, BTreeMap<usize, BTreeSet<usize>>>,
    call_graph: CallGraph,
    stats: Stats,
    /// Loops whose unrolling failed once, by function and head, with the reason: they are
    /// widened from then on.
    not_unrollable: HashMap<(FunctionId, usize), String>,
    /// Loops, by function and head, that [`LoopStrategy::WidenFirst`] unrolls: a check failed
    /// in them when they were widened.
    unroll_wanted: HashSet<(FunctionId, usize)>,
}

/// Everything one program's analysis produced.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// All contexts (some only served the iteration; see [`Analysis::live`]).
    pub contexts: Vec<ContextResult>,
    /// The program's own context.
    pub root: ContextId,
    /// Who calls whom.
    pub call_graph: CallGraph,
    /// Counters.
    pub stats: Stats,
}

impl Analysis {
    /// The contexts reachable from the root through the call sites of the final invariants,
    /// in discovery order.
    pub fn live(&self) -> Vec<ContextId> {
        let mut seen = BTreeSet::from([self.root]);
        let mut order = vec![self.root];
        let mut next = 0;
        while next < order.len() {
            let id = order[next];
            next += 1;
            for &callee in self.contexts[id].callees.values().flatten() {
                if seen.insert(callee) {
                    order.push(callee);
                }
            }
        }
        order
    }
}

impl<'a> Engine<'a> {
    /// An engine for `env`.
    pub fn new(env: Env<'a>, config: &'a EngineConfig) -> Engine<'a> {
        Engine {
            env,
            config,
            contexts: Vec::new(),
            memo: HashMap::new(),
            active: Vec::new(),
            indirect: BTreeMap::new(),
            call_graph: CallGraph::default(),
            stats: Stats::default(),
            not_unrollable: HashMap::new(),
            unroll_wanted: HashSet::new(),
        }
    }

    /// Analyses the program from its entry state.
    pub fn run(mut self, entry: State) -> Result<Analysis, Stop> {
        let root = self.analyze(FunctionId(0), entry)?;
        Ok(Analysis { contexts: self.contexts, root, call_graph: self.call_graph, stats: self.stats })
    }

    fn spend(&mut self) -> Result<(), Stop> {
        self.stats.visits += 1;
        if self.stats.visits > self.config.max_visits {
            return Err(Stop::Budget(format!("more than {} instruction visits", self.config.max_visits)));
        }
        // Every visit: one visit can be slow (large states), and the clock is cheap beside it.
        check_deadline(self.config.deadline)
    }

    /// The context of `function` entered with `entry`.
    fn analyze(&mut self, function: FunctionId, entry: State) -> Result<ContextId, Stop> {
        if let Some(&id) = self.memo.get(&(function, entry.clone())) {
            return Ok(id);
        }
        if self.contexts.len() >= self.config.max_contexts {
            return Err(Stop::Budget(format!("more than {} contexts", self.config.max_contexts)));
        }
        let mut retries = 0;
        let result = loop {
            self.active.push(Active { function, recording: false, callees: BTreeMap::new() });
            let result = self.fixpoint(function, &entry);
            let active = self.active.pop().expect("pushed above");
            let mut result = result?;
            result.callees = active.callees;
            if self.config.loops != LoopStrategy::WidenFirst || !self.unroll_for_precision(function, &result, retries) {
                break result;
            }
            retries += 1;
        };
        let id = self.contexts.len();
        self.contexts.push(result);
        self.stats.contexts = self.contexts.len();
        self.memo.insert((function, entry), id);
        Ok(id)
    }

    fn fixpoint(&mut self, function: FunctionId, entry: &State) -> Result<ContextResult, Stop> {
        loop {
            let indirect = self.indirect.get(&function).cloned().unwrap_or_default();
            check_deadline(self.config.deadline)?;
            let cfg = FunctionCfg::build(self.env.subject.program, function, &indirect);
            let wto = Wto::within(&cfg, self.config.deadline)?;
            if wto.elements.iter().all(|element| matches!(element, Component::Vertex(_))) {
                match self.acyclic(&cfg, &wto, function, entry)? {
                    Some(result) => return Ok(result),
                    None => {
                        self.stats.restarts += 1;
                        continue;
                    }
                }
            }
            let mut flow = Flow::new(cfg.entry, entry.clone(), false);
            self.ascend(&cfg, &wto.elements, &mut flow, 0)?;
            for _ in 0..self.config.narrowing_passes {
                self.narrow(&cfg, &wto, &mut flow)?;
            }
            self.ascend(&cfg, &wto.elements, &mut flow, 0)?;
            if flow.new_edges {
                self.stats.restarts += 1;
                continue;
            }
            self.stats.peak_states = self.stats.peak_states.max(flow.states.len() + flow.edges.len());
            return self.record(&cfg, &wto, flow, function, entry);
        }
    }

    /// The analysis of a function without loops in one pass. Its weak topological order is
    /// a topological order, so every state is final when its pc is visited (narrowing and
    /// the repair pass would change nothing): each instruction's transfer both propagates
    /// and records. An edge's state is dropped once its target is visited, and a pc's state
    /// is kept only as [`EngineConfig::all_invariants`] asks, so the states held at once are
    /// the open edges, not the program. `None` when new `gotox` edges were found (the
    /// caller rebuilds the graph and starts again).
    fn acyclic(
        &mut self,
        cfg: &FunctionCfg,
        wto: &Wto,
        function: FunctionId,
        entry: &State,
    ) -> Result<Option<ContextResult>, Stop> {
        let mut flow = Flow::new(cfg.entry, entry.clone(), false);
        let mut record = Record::default();
        let mut invariants = BTreeMap::new();
        let mut peak_states = 0;
        let env = self.env;
        let order: Vec<usize> = wto.elements.iter().flat_map(Component::pcs).collect();
        // The state on the edge into the next pc of `order` when that edge is its only way
        // in: straight-line code hands states along without storing them.
        let mut carried: Option<State> = None;
        for (position, &pc) in order.iter().enumerate() {
            let pre = match carried.take() {
                Some(state) => Some(state),
                None => {
                    let mut pre = (pc == flow.seed_pc).then(|| flow.seed.clone());
                    for pred in cfg.predecessors(pc) {
                        if let Some(edge) = flow.edges.remove(&(pred, pc)) {
                            pre = Some(match pre {
                                Some(state) => state.join(&edge, env.domain),
                                None => edge,
                            });
                        }
                    }
                    pre
                }
            };
            let Some(pre) = pre else { continue };
            self.spend()?;
            let insn = *env.subject.program.insn_at(pc).expect("CFG nodes are instructions");
            if let Some(top) = self.active.last_mut() {
                top.recording = true;
            }
            let mut post = env.post(self, pc, &insn, &pre)?;
            let edges = std::mem::take(&mut post.edges);
            let next = order.get(position + 1).copied();
            match <[(usize, State); 1]>::try_from(edges) {
                Ok([(target, state)])
                    if Some(target) == next
                        && target != flow.seed_pc
                        && cfg.has_edge(pc, target)
                        && cfg.sole_predecessor(target) == Some(pc) =>
                {
                    carried = Some(state);
                }
                Ok(one) => self.add_out_edges(cfg, &mut flow, pc, one.into()),
                Err(edges) => self.add_out_edges(cfg, &mut flow, pc, edges),
            }
            if let Some(exit) = post.exit.take() {
                flow.exits.insert(pc, exit);
            }
            let unproven = post.checks.iter().any(|check| check.status != Status::Proven);
            self.record_post(cfg, pc, post, &mut record);
            if self.config.all_invariants || unproven {
                invariants.insert(pc, pre);
            }
            peak_states = peak_states.max(flow.edges.len() + invariants.len() + usize::from(carried.is_some()));
        }
        if let Some(top) = self.active.last_mut() {
            top.recording = false;
        }
        if flow.new_edges {
            return Ok(None);
        }
        self.stats.peak_states = self.stats.peak_states.max(peak_states);
        let exit = exit_of(flow.exits, env.domain);
        Ok(Some(record.into_result(function, entry, invariants, (BTreeMap::new(), BTreeMap::new()), exit)))
    }

    /// The join of what flows into `pc`.
    fn incoming(&self, cfg: &FunctionCfg, flow: &Flow, pc: usize) -> Reach {
        let mut state = (pc == flow.seed_pc).then(|| flow.seed.clone());
        if !(flow.cut_seed && pc == flow.seed_pc) {
            for pred in cfg.predecessors(pc) {
                if let Some(edge) = flow.edges.get(&(pred, pc)) {
                    state = join_reach(&state, &Some(edge.clone()), self.env.domain);
                }
            }
        }
        state
    }

    /// Applies the transfer function at `pc` from `pre` and stores its out-edges.
    fn visit(&mut self, cfg: &FunctionCfg, flow: &mut Flow, pc: usize, pre: Reach) -> Result<(), Stop> {
        for succ in cfg.successors(pc) {
            flow.edges.remove(&(pc, succ));
        }
        flow.exits.remove(&pc);
        let Some(pre) = pre else {
            flow.states.remove(&pc);
            return Ok(());
        };
        self.spend()?;
        flow.states.insert(pc, pre.clone());
        let insn = *self.env.subject.program.insn_at(pc).expect("CFG nodes are instructions");
        let env = self.env;
        if let Some(top) = self.active.last_mut() {
            top.recording = false;
        }
        let post = env.post(self, pc, &insn, &pre)?;
        self.add_out_edges(cfg, flow, pc, post.edges);
        if let Some(exit) = post.exit {
            flow.exits.insert(pc, exit);
        }
        Ok(())
    }

    /// Joins `edges` (the out-states of `pc`) into `flow`'s edge states. An edge leaving the
    /// function is reported by the recording, not followed; an edge the CFG lacks (a new
    /// indirect target) is noted so that the function is analysed again with it.
    fn add_out_edges(&mut self, cfg: &FunctionCfg, flow: &mut Flow, pc: usize, edges: Vec<(usize, State)>) {
        for (target, state) in edges {
            if cfg.node(target).is_none() {
                continue;
            }
            if !cfg.has_edge(pc, target) {
                self.indirect.entry(cfg.function).or_default().entry(pc).or_default().insert(target);
                flow.new_edges = true;
            }
            let merged = match flow.edges.remove(&(pc, target)) {
                Some(other) => other.join(&state, self.env.domain),
                None => state,
            };
            flow.edges.insert((pc, target), merged);
        }
    }

    /// Ascending iteration over `elements` (Bourdoncle's recursive strategy, run with an
    /// explicit stack): vertices take the join of their inputs; a loop is unrolled if it can
    /// be (see the module docs), otherwise its body is iterated until its head is stable,
    /// widening the head after the delay. `depth` counts the unrolled loops around.
    fn ascend(&mut self, cfg: &FunctionCfg, elements: &[Component], flow: &mut Flow, depth: u32) -> Result<(), Stop> {
        struct Frame<'c> {
            elements: &'c [Component],
            next: usize,
            head: Option<(usize, u32)>,
        }
        let mut stack = vec![Frame { elements, next: 0, head: None }];
        while let Some(frame) = stack.last_mut() {
            if let Some(element) = frame.elements.get(frame.next) {
                frame.next += 1;
                match element {
                    Component::Vertex(pc) => {
                        let pre = self.incoming(cfg, flow, *pc);
                        self.visit(cfg, flow, *pc, pre)?;
                    }
                    Component::Cycle { head, body, .. } => {
                        if self.try_unroll(cfg, flow, element, depth)? {
                            continue;
                        }
                        let pre = self.incoming(cfg, flow, *head);
                        self.visit(cfg, flow, *head, pre)?;
                        stack.push(Frame { elements: body, next: 0, head: Some((*head, 0)) });
                    }
                }
                continue;
            }
            let Some((head, iteration)) = frame.head else {
                stack.pop();
                continue;
            };
            let incoming = self.incoming(cfg, flow, head);
            let old = flow.states.get(&head).cloned();
            if crate::state::leq_reach(&incoming, &old, self.env.domain) {
                stack.pop();
                continue;
            }
            let new = match (&old, incoming) {
                (Some(old), Some(new)) if iteration + 1 >= self.config.widening_delay => {
                    self.stats.widenings += 1;
                    Some(old.widen(&new, self.env.domain, self.env.thresholds))
                }
                (old, new) => join_reach(old, &new, self.env.domain),
            };
            self.visit(cfg, flow, head, new)?;
            let frame = stack.last_mut().expect("the frame is still on the stack");
            frame.next = 0;
            frame.head = Some((head, iteration + 1));
        }
        Ok(())
    }

    /// Whether every cycle through the loop `members` takes a `may_goto`'s fall-through.
    fn bounded_by_may_goto(&self, cfg: &FunctionCfg, members: &BTreeSet<usize>) -> bool {
        crate::may_goto::every_cycle_spends_budget(self.env.subject.program, members, |pc| cfg.successors(pc))
    }

    /// Processes the loop `cycle` by unrolling when it can; `false` when it is to be widened
    /// (the reason is kept in `flow.widened`).
    fn try_unroll(&mut self, cfg: &FunctionCfg, flow: &mut Flow, cycle: &Component, depth: u32) -> Result<bool, Stop> {
        let Component::Cycle { head, body, reducible } = cycle else { return Ok(false) };
        let key = (cfg.function, *head);
        let refusal = if !reducible {
            Some("the loop can be entered other than through its head".to_owned())
        } else if self.bounded_by_may_goto(cfg, &cycle.pcs().into_iter().collect())
            && !crate::may_goto::leaves_other_than_by_may_goto(
                self.env.subject.program,
                &cycle.pcs().into_iter().collect(),
                |pc| cfg.successors(pc),
            )
        {
            // Unrolling would follow the budget's 8 Mi rounds; the budget alone ends it. A
            // loop with a condition of its own (`for (i = 0; i < n; i++) { cond_break; }`)
            // is unrolled as any other, for the precision of distinct rounds.
            Some("every cycle takes a may_goto's fall-through: its budget ends the loop".to_owned())
        } else if let Some(reason) = self.not_unrollable.get(&key) {
            Some(reason.clone())
        } else if self.config.loops == LoopStrategy::Widen {
            Some(loops::NEVER_UNROLLED.to_owned())
        } else if self.config.loops == LoopStrategy::WidenFirst && !self.unroll_wanted.contains(&key) {
            Some(loops::WIDENED_FIRST.to_owned())
        } else if depth >= MAX_UNROLL_DEPTH {
            Some(format!("nested more than {MAX_UNROLL_DEPTH} unrolled loops deep"))
        } else {
            None
        };
        if let Some(reason) = refusal {
            flow.unrolled.remove(head);
            flow.widened.insert(*head, reason);
            return Ok(false);
        }
        let members: BTreeSet<usize> = cycle.pcs().into_iter().collect();
        let preds = cfg.predecessors(*head);
        let mut entering = (*head == flow.seed_pc && !flow.cut_seed).then(|| flow.seed.clone());
        for pred in preds.iter().filter(|p| !members.contains(p)) {
            if let Some(edge) = flow.edges.get(&(*pred, *head)) {
                entering = join_reach(&entering, &Some(edge.clone()), self.env.domain);
            }
        }
        let mut rounds: Vec<Flow> = Vec::new();
        let mut current = entering;
        let mut outcome = Err(format!("no bound found within {} iterations", self.config.loop_unroll));
        for round in 1..=self.config.loop_unroll {
            let Some(state) = current.take() else {
                outcome = Ok(());
                break;
            };
            let mut local = Flow::new(*head, state.clone(), true);
            self.visit(cfg, &mut local, *head, Some(state.clone()))?;
            self.ascend(cfg, body, &mut local, depth + 1)?;
            flow.new_edges |= local.new_edges;
            let mut again: Reach = None;
            for pred in preds.iter().filter(|p| members.contains(p)) {
                if let Some(edge) = local.edges.get(&(*pred, *head)) {
                    again = join_reach(&again, &Some(edge.clone()), self.env.domain);
                }
            }
            rounds.push(local);
            if let Some(next) = &again
                && next.leq(&state, self.env.domain)
                && state.leq(next, self.env.domain)
            {
                outcome = Err(format!("no bound found: the loop's state repeats after {round} iterations"));
                break;
            }
            current = again;
        }
        if let Err(reason) = outcome {
            self.not_unrollable.insert(key, reason.clone());
            flow.unrolled.remove(head);
            flow.widened.insert(*head, reason);
            return Ok(false);
        }
        // The loop's states are the joins of its rounds (none at all if it is unreachable).
        for pc in &members {
            flow.states.remove(pc);
            flow.exits.remove(pc);
            for succ in cfg.successors(*pc) {
                flow.edges.remove(&(*pc, succ));
            }
        }
        let domain = self.env.domain;
        let mut certificate = Unrolled { head: *head, members: members.clone(), rounds: Vec::new() };
        for local in rounds {
            for (pc, state) in &local.states {
                let joined = join_reach(&flow.states.get(pc).cloned(), &Some(state.clone()), domain);
                flow.states.insert(*pc, joined.expect("a join with a state is a state"));
            }
            for (edge, state) in &local.edges {
                if members.contains(&edge.0) {
                    let joined = join_reach(&flow.edges.get(edge).cloned(), &Some(state.clone()), domain);
                    flow.edges.insert(*edge, joined.expect("a join with a state is a state"));
                }
            }
            for (pc, state) in &local.exits {
                let joined = join_reach(&flow.exits.get(pc).cloned(), &Some(state.clone()), domain);
                flow.exits.insert(*pc, joined.expect("a join with a state is a state"));
            }
            let nested: BTreeSet<usize> = local.unrolled.values().flat_map(|u| u.members.iter().copied()).collect();
            let states = local.states.into_iter().filter(|(pc, _)| !nested.contains(pc)).collect();
            certificate.rounds.push(Round { states, unrolled: local.unrolled, widened: local.widened });
        }
        flow.widened.remove(head);
        if certificate.rounds.is_empty() {
            flow.unrolled.remove(head);
        } else {
            flow.unrolled.insert(*head, certificate);
        }
        Ok(true)
    }

    /// One descending pass: loop heads narrow towards the join of their inputs. Unrolled
    /// loops are processed again as they are (unrolling has nothing to narrow).
    fn narrow(&mut self, cfg: &FunctionCfg, wto: &Wto, flow: &mut Flow) -> Result<(), Stop> {
        for element in &wto.elements {
            if let Component::Cycle { .. } = element
                && self.try_unroll(cfg, flow, element, 0)?
            {
                continue;
            }
            let heads: BTreeSet<usize> = element.cycles_within().into_iter().collect();
            for pc in element.pcs() {
                let incoming = self.incoming(cfg, flow, pc);
                let pre = match (heads.contains(&pc), flow.states.get(&pc), incoming) {
                    (true, Some(old), Some(new)) if new.leq(old, self.env.domain) => Some(old.narrow(&new)),
                    (true, Some(old), Some(new)) => Some(old.join(&new, self.env.domain)),
                    (_, _, incoming) => incoming,
                };
                self.visit(cfg, flow, pc, pre)?;
            }
        }
        Ok(())
    }

    /// The recording pass over the stable states: every instruction's checks under its
    /// invariant (under each round's state inside unrolled loops), and the termination of
    /// every loop.
    fn record(
        &mut self,
        cfg: &FunctionCfg,
        wto: &Wto,
        flow: Flow,
        function: FunctionId,
        entry: &State,
    ) -> Result<ContextResult, Stop> {
        let mut record = Record::default();
        let unrolled_pcs: BTreeSet<usize> = flow.unrolled.values().flat_map(|u| u.members.iter().copied()).collect();
        for element in &wto.elements {
            for pc in element.pcs() {
                if unrolled_pcs.contains(&pc) {
                    continue;
                }
                if let Some(state) = flow.states.get(&pc).cloned() {
                    self.record_visit(cfg, pc, &state, &mut record)?;
                }
            }
        }
        // Unrolled loops, round by round (nesting is at most MAX_UNROLL_DEPTH deep).
        let mut pending: Vec<&Unrolled> = flow.unrolled.values().collect();
        let mut widened: Vec<(usize, String)> = flow.widened.iter().map(|(h, r)| (*h, r.clone())).collect();
        let mut summaries: BTreeMap<usize, LoopSummary> = BTreeMap::new();
        let mut unrolled_loops: Vec<(usize, &BTreeSet<usize>)> = Vec::new();
        while let Some(loop_) = pending.pop() {
            loops::note_unrolled(&mut summaries, loop_.head, &loop_.members, loop_.rounds.len());
            unrolled_loops.push((loop_.head, &loop_.members));
            let latch = latch_of(cfg, loop_.head, &loop_.members);
            let check = Check::new(
                ObligationKind::Termination,
                Status::Proven,
                format!("leaves the loop within {} iterations", loop_.rounds.len()),
            );
            record.checks.push((latch, check));
            for round in &loop_.rounds {
                for (pc, state) in &round.states {
                    self.record_visit(cfg, *pc, state, &mut record)?;
                }
                pending.extend(round.unrolled.values());
                widened.extend(round.widened.iter().map(|(h, r)| (*h, r.clone())));
            }
        }
        if let Some(top) = self.active.last_mut() {
            top.recording = false;
        }
        widened.sort();
        widened.dedup();
        for (head, reason) in widened {
            let members: BTreeSet<usize> = wto
                .cycles()
                .into_iter()
                .find(|c| matches!(c, Component::Cycle { head: h, .. } if *h == head))
                .map(|c| c.pcs().into_iter().collect())
                .unwrap_or_default();
            let mut summary = LoopSummary {
                head,
                members,
                method: LoopMethod::MayGoto,
                widened_first: reason == loops::WIDENED_FIRST,
            };
            if self.bounded_by_may_goto(cfg, &summary.members) {
                summaries.insert(head, summary);
                continue;
            }
            let (check, method) = match self.widened_loop_ends(cfg, &summary.members, &flow.states, &unrolled_loops) {
                Some(rules) => {
                    let names = LoopMethod::Widened { rules: rules.clone() }.to_string();
                    let detail = format!(
                        "every part of the loop steps a counter one way without wrapping, nothing else writing it, or takes an iterator's item: {names}"
                    );
                    (Check::new(ObligationKind::Termination, Status::Proven, detail), LoopMethod::Widened { rules })
                }
                None => (
                    Check::new(ObligationKind::Termination, Status::Unknown, reason.clone()),
                    LoopMethod::Unproven { reason },
                ),
            };
            let latch = latch_of(cfg, head, &summary.members);
            if check.status != Status::Proven {
                // A `may_goto` jumping back may loop for ever apart from the latch's cycle:
                // the obligation is left open there too (the kernel's "infinite loop").
                let program = self.env.subject.program;
                for part in crate::may_goto::unbounded_parts(program, &summary.members, |pc| cfg.successors(pc)) {
                    if !part.contains(&latch) {
                        let pc = *part.first().expect("a part has a pc");
                        record.checks.push((pc, check.clone()));
                    }
                }
            }
            record.checks.push((latch, check));
            summary.method = method;
            summaries.insert(head, summary);
        }
        let exit = exit_of(flow.exits, self.env.domain);
        let invariants = flow.states.into_iter().collect();
        Ok(record.into_result(function, entry, invariants, (flow.unrolled, summaries), exit))
    }

    /// Applies the transfer function at `pc` to `state` only to record its checks, targets,
    /// stores and calls.
    fn record_visit(&mut self, cfg: &FunctionCfg, pc: usize, state: &State, record: &mut Record) -> Result<(), Stop> {
        check_deadline(self.config.deadline)?;
        let insn = *self.env.subject.program.insn_at(pc).expect("CFG nodes are instructions");
        let env = self.env;
        if let Some(top) = self.active.last_mut() {
            top.recording = true;
        }
        let post = env.post(self, pc, &insn, state)?;
        self.record_post(cfg, pc, post, record);
        Ok(())
    }

    /// Collects what `post`, the transfer at `pc`, has to record: checks, targets, stores,
    /// stack uses, and a refutation for every edge leaving the function.
    fn record_post(&self, cfg: &FunctionCfg, pc: usize, post: Post, record: &mut Record) {
        record.checks.extend(post.checks.into_iter().map(|c| (pc, c)));
        // Rounds of an unrolled loop visit one pc under several states: log their union.
        if let Some(resolved) = post.resolved {
            match record.resolved.entry(pc) {
                std::collections::btree_map::Entry::Vacant(entry) => {
                    entry.insert(resolved);
                }
                std::collections::btree_map::Entry::Occupied(mut entry) => entry.get_mut().merge(resolved),
            }
        }
        record.global_stores.extend(post.global_stores);
        for used in post.stack_uses {
            let lowest = record.stack_uses.entry(used.frame).or_insert(0);
            *lowest = (*lowest).min(used.lowest);
        }
        for &(from, target) in cfg.escapes.iter().filter(|(from, _)| *from == pc) {
            let check = Check::new(
                ObligationKind::Call,
                Status::Refuted,
                format!("control flow leaves the function to {target}"),
            );
            record.checks.push((from, check));
        }
    }
}

/// A budget stop once `deadline` has passed.
pub(crate) fn check_deadline(deadline: Option<Instant>) -> Result<(), Stop> {
    match deadline {
        Some(deadline) if Instant::now() > deadline => Err(Stop::Budget("time limit".to_owned())),
        _ => Ok(()),
    }
}

/// The loop's last back edge's source: where its termination check is reported.
impl Engine<'_> {
    /// The rules by which the widened loop `members` ends ([`termination::ends`]) on the
    /// invariants `states`, given the heads and members of the loops unrolled to their end.
    fn widened_loop_ends(
        &self,
        cfg: &FunctionCfg,
        members: &BTreeSet<usize>,
        states: &HashMap<usize, State>,
        unrolled: &[(usize, &BTreeSet<usize>)],
    ) -> Option<BTreeSet<termination::Rule>> {
        let subject = self.env.subject;
        // A pc without a state is unreachable: it neither steps nor writes, and no cycle
        // passes it.
        let reachable: BTreeSet<usize> = members.iter().copied().filter(|pc| states.contains_key(pc)).collect();
        let successors = |pc: &usize| cfg.successors(*pc);
        let steps = |pc: &usize| termination::steps_a_counter(subject, *pc, &states[pc]);
        let writes = |pc: &usize, reg: Reg| termination::may_write(subject, *pc, reg);
        let takes = |pc: &usize| termination::takes_an_item(subject, *pc, &states[pc]);
        let renews = |pc: &usize| termination::may_renew(subject, *pc);
        // A run that stays in an unrolled loop passes its head at most as many times as
        // the unrolling ran rounds.
        let bounded_otherwise = |part: &BTreeSet<usize>| {
            unrolled
                .iter()
                .filter(|(head, m)| part.contains(head) && part.is_subset(m))
                .map(|(head, _)| *head)
                .collect()
        };
        let facts = termination::LoopFacts {
            successors: &successors,
            steps: &steps,
            writes: &writes,
            takes_an_item: &takes,
            renews: &renews,
            bounded_otherwise: &bounded_otherwise,
        };
        termination::ends(&reachable, &facts)
    }
}

impl Engine<'_> {
    /// Under [`LoopStrategy::WidenFirst`], after the `retries`-th analysis of `function` gave
    /// `result`: whether to analyse it again, with more loops unrolled ([`loops::to_unroll`]).
    /// When its own loops are all unrolled and a check still fails, its callees' widened
    /// loops may be what lost the precision: they are all unrolled, and the contexts of its
    /// callees forgotten so that they are analysed again.
    fn unroll_for_precision(&mut self, function: FunctionId, result: &ContextResult, retries: u32) -> bool {
        let failing = self.failing_pcs(result);
        let heads = loops::to_unroll(&result.loops, &failing, retries);
        if !heads.is_empty() {
            self.unroll_wanted.extend(heads.into_iter().map(|head| (function, head)));
            return true;
        }
        if failing.is_empty() {
            return false;
        }
        let mut callees: BTreeSet<ContextId> = BTreeSet::new();
        let mut pending: Vec<ContextId> = result.callees.values().flatten().copied().collect();
        while let Some(id) = pending.pop() {
            if callees.insert(id) {
                pending.extend(self.contexts[id].callees.values().flatten().copied().filter(|&c| c < id));
            }
        }
        let widened: Vec<(FunctionId, usize)> = callees
            .iter()
            .flat_map(|&id| {
                let context = &self.contexts[id];
                context.loops.values().filter(|l| l.widened_first).map(|l| (context.function, l.head))
            })
            .collect();
        if widened.is_empty() {
            return false;
        }
        self.unroll_wanted.extend(widened);
        self.memo.retain(|_, id| !callees.contains(id));
        true
    }

    /// The pcs of `result`'s checks that are not proven, and of its calls into contexts
    /// where some check, theirs or their callees', is not proven.
    fn failing_pcs(&self, result: &ContextResult) -> BTreeSet<usize> {
        let mut failing: BTreeSet<usize> =
            result.checks.iter().filter(|(_, c)| c.status != Status::Proven).map(|(pc, _)| *pc).collect();
        let mut failed_contexts: HashMap<ContextId, bool> = HashMap::new();
        for ((pc, _), callees) in &result.callees {
            if callees.iter().any(|&id| self.context_fails(id, &mut failed_contexts)) {
                failing.insert(*pc);
            }
        }
        failing
    }

    /// Whether a check of context `id` or of a context it calls is not proven (`known`
    /// remembers the answers).
    fn context_fails(&self, id: ContextId, known: &mut HashMap<ContextId, bool>) -> bool {
        let mut stack = vec![id];
        while let Some(&top) = stack.last() {
            if known.contains_key(&top) {
                stack.pop();
                continue;
            }
            let context = &self.contexts[top];
            // A callee's context is made before its caller's: ids fall along calls.
            let callees: Vec<ContextId> = context.callees.values().flatten().copied().filter(|&c| c < top).collect();
            let pending: Vec<ContextId> = callees.iter().copied().filter(|c| !known.contains_key(c)).collect();
            if pending.is_empty() {
                let fails =
                    context.checks.iter().any(|(_, c)| c.status != Status::Proven) || callees.iter().any(|c| known[c]);
                known.insert(top, fails);
                stack.pop();
            } else {
                stack.extend(pending);
            }
        }
        known[&id]
    }
}

fn latch_of(cfg: &FunctionCfg, head: usize, members: &BTreeSet<usize>) -> usize {
    cfg.predecessors(head).into_iter().filter(|p| members.contains(p)).max().unwrap_or(head)
}

impl Calls for Engine<'_> {
    fn call(&mut self, pc: usize, _kind: CallKind, function: FunctionId, entry: State) -> Result<CallOutcome, Stop> {
        if self.active.iter().any(|a| a.function == function) {
            let name = &self.env.subject.program.function(function).name;
            let check = Check::new(ObligationKind::Call, Status::Refuted, format!("recursive call of {name}"));
            return Ok(CallOutcome { exit: None, problem: Some(check) });
        }
        let caller = self.active.last().map(|a| a.function).unwrap_or(FunctionId(0));
        let id = self.analyze(function, entry)?;
        self.call_graph.add_call(caller, pc, function);
        if let Some(top) = self.active.last_mut()
            && top.recording
        {
            top.callees.entry((pc, function)).or_default().insert(id);
        }
        Ok(CallOutcome { exit: self.contexts[id].exit.clone(), problem: None })
    }
}
