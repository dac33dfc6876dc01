//! Loops that end because every round takes an item of an open-coded iterator, or steps
//! a counter that nothing else changes, part by part.
//!
//! Linux's iterators yield finitely many items (a number iterator at most `BPF_MAX_LOOPS`,
//! a bits iterator at most 511 × 64), and once `next` returns NULL it keeps returning NULL.
//! A round of a loop *takes an item* when it passes a `next` call on an iterator that is
//! surely active and not drained there ([`crate::references::IterState::drained`]): the
//! iterator is then not drained again at the next pass only if a NULL test of a later
//! `next` result showed an item. So a loop every cycle of which passes such a call ends,
//! provided nothing in it can start the iterator afresh: no `new` kfunc and no call into a
//! subprogram (which could destroy and re-create it).
//!
//! A round *steps a counter* when it passes `r += c` or `r -= c` (constant `c`) where the
//! invariant shows the register a number that the step cannot wrap: the register (or, for
//! a 32-bit step, its low half) then strictly grows or shrinks as an integer. In a part of
//! a loop where a register is stepped one way and nothing else writes it (callee frames
//! keep `r6`–`r9`; calls clobber `r0`–`r5`), the steps can be passed only finitely often:
//! the register cannot grow past its width's largest value nor shrink below 0. The steps'
//! bounds in the invariant bound their number; past [`MAX_COUNTED_ROUNDS`] the rule
//! declines. This is the kernel's "bounded loop", proven once on the widened invariant
//! instead of round by round.
//!
//! [`ends`] combines the rules lexicographically over strongly connected parts: cut the
//! points a part passes finitely often, and the parts left must end in turn. So nested
//! loops end one counter at a time, whatever their depth and bounds, for the cost of one
//! decomposition: the outer loop's body resets the inner counter, which is no counter of
//! the whole nest, but once the outer counter's steps are cut the inner loop is a part of
//! its own.
//!
//! The engine uses the rules to prove a widened loop's termination obligation; the proof
//! checker recomputes them on the graph of logged states.

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_semantics::isa::{BinOp, CallTarget, Insn, Operand, Reg, Width};
use bpfprove_semantics::model::kfuncs::{Kfunc, KfuncFlags, kfunc};

use crate::state::State;
use crate::subject::Subject;
use crate::value::{Pointer, Region, Value};

/// The kfunc the instruction at `pc` calls, if it is a kfunc call.
fn kfunc_at(subject: &Subject, pc: usize) -> Option<&'static Kfunc> {
    match subject.program.insn_at(pc) {
        Some(Insn::Call(CallTarget::Kfunc { btf_id, .. })) => subject.kfuncs.get(btf_id).and_then(|n| kfunc(n)),
        _ => None,
    }
}

/// Whether the instruction at `pc` may start an iterator afresh: a `new` kfunc, or a call
/// into a subprogram.
pub fn may_renew(subject: &Subject, pc: usize) -> bool {
    match subject.program.insn_at(pc) {
        Some(Insn::Call(CallTarget::Local(_)) | Insn::Callx { .. }) => true,
        Some(Insn::Call(CallTarget::Kfunc { .. })) => kfunc_at(subject, pc).is_none_or(|k| k.has(KfuncFlags::ITER_NEW)),
        _ => false,
    }
}

/// Whether the instruction at `pc`, run from `state`, takes an item: it calls a `next`
/// kfunc on an iterator surely active, of its kind, and not drained.
pub fn takes_an_item(subject: &Subject, pc: usize, state: &State) -> bool {
    let Some(next) = kfunc_at(subject, pc).filter(|k| k.has(KfuncFlags::ITER_NEXT)) else { return false };
    let Value::Pointer(Pointer { region: Region::Stack { frame }, offset, null, .. }) = state.reg(Reg::R1) else {
        return false;
    };
    let Some(offset) = offset.as_constant().and_then(|o| i16::try_from(o as i64).ok()) else { return false };
    let active = state.resources.iterators.get(&(*frame, offset));
    !null.may_be_null()
        && active.is_some_and(|i| i.surely && !i.drained && i.kind.is_some() && i.kind == next.iterator())
}

/// Which way a counter steps, and which bits count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// The 64-bit value grows.
    Up,
    /// The 64-bit value shrinks.
    Down,
    /// The low 32 bits grow (`w += c`, whose result is zero-extended).
    Up32,
    /// The low 32 bits shrink.
    Down32,
}

/// Most rounds the counter rule proves a loop ends within: the kernel's verifier walks
/// every round of a loop within its million instructions, so a loop of more rounds than
/// this is no loop the kernel would accept, and proving it ends would be little comfort.
pub const MAX_COUNTED_ROUNDS: u64 = 1 << 16;

/// One step of a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    /// The register stepped.
    pub reg: Reg,
    /// Which way, and which bits count.
    pub direction: Direction,
    /// The bounds of the counted bits before the step, over every visit.
    pub lo: u64,
    /// See `lo`.
    pub hi: u64,
    /// The step's size (at least 1).
    pub size: u64,
}

/// The step of a counter the instruction at `pc`, run from `state`, makes without
/// wrapping: `r += c` / `r -= c` (`c` a non-zero constant) on a number whose every value the
/// invariant allows stays in `[0, u64::MAX]` after the step; for `w += c` / `w -= c`, on a
/// number below 2^32 (so that its low 32 bits are all of it) that stays in `[0, u32::MAX]`.
pub fn steps_a_counter(subject: &Subject, pc: usize, state: &State) -> Option<Step> {
    let Some(Insn::Alu { width, op, dst, src: Operand::Imm(imm) }) = subject.program.insn_at(pc) else {
        return None;
    };
    let delta = match op {
        BinOp::Add => i128::from(*imm),
        BinOp::Sub => -i128::from(*imm),
        _ => return None,
    };
    let Value::Scalar(number) = state.reg(*dst) else { return None };
    let (lo, hi) = number.unsigned_bounds()?;
    let (max, up, down) = match width {
        Width::W64 => (u64::MAX, Direction::Up, Direction::Down),
        Width::W32 if hi <= u64::from(u32::MAX) => (u64::from(u32::MAX), Direction::Up32, Direction::Down32),
        Width::W32 => return None,
    };
    let direction = if delta > 0 && i128::from(hi) + delta <= i128::from(max) {
        up
    } else if delta < 0 && i128::from(lo) + delta >= 0 {
        down
    } else {
        return None;
    };
    Some(Step { reg: *dst, direction, lo, hi, size: delta.unsigned_abs() as u64 })
}

/// Whether the instruction at `pc` may write `reg` (define or clobber it).
pub fn may_write(subject: &Subject, pc: usize, reg: Reg) -> bool {
    subject.program.insn_at(pc).is_none_or(|insn| {
        let effects = insn.register_effects();
        effects.writes.union(effects.clobbers).contains(reg)
    })
}

/// The rules that bound a loop's rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A counter steps one way without wrapping and nothing else writes it.
    Counter,
    /// A `next` takes an item of an iterator nothing restarts.
    Iterator,
    /// The part lies in a loop unrolled to its end: each entry passes its head a bounded
    /// number of times.
    Unrolled,
}

/// What the rules read of a graph of program points: the engine's instructions under their
/// invariants, or the proof checker's logged states.
pub struct LoopFacts<'f, N> {
    /// The points a point flows to.
    pub successors: &'f dyn Fn(&N) -> Vec<N>,
    /// The counter step a point makes without wrapping ([`steps_a_counter`]).
    pub steps: &'f dyn Fn(&N) -> Option<Step>,
    /// Whether a point may write a register ([`may_write`]).
    pub writes: &'f dyn Fn(&N, Reg) -> bool,
    /// Whether a point takes an item of an iterator ([`takes_an_item`]).
    pub takes_an_item: &'f dyn Fn(&N) -> bool,
    /// Whether a point may start an iterator afresh ([`may_renew`]).
    pub renews: &'f dyn Fn(&N) -> bool,
    /// The points of a strongly connected part that a run staying in the part passes
    /// finitely often for reasons of the caller's (the heads of loops unrolled to their end
    /// that hold the part).
    pub bounded_otherwise: &'f dyn Fn(&BTreeSet<N>) -> BTreeSet<N>,
}

/// Whether no run stays in `nodes` for ever, and by which rules: the rules that bound each
/// strongly connected part, as a lexicographic argument.
///
/// In a strongly connected part, a set of points that every run can pass only finitely often
/// is cut out, and the parts left must end in turn: a run that stayed in the part for ever
/// would, after its last pass through the cut points, stay in one part left. Cut points are
/// the steps of a counter of the part (it steps one way without wrapping there, so by at
/// least the smallest step, and nothing else in the part writes it, so it never steps back:
/// the invariant's bounds at the steps allow finitely many) and the `next` calls on
/// iterators nothing in the part restarts (each yields finitely many items). Nested loops
/// thus end one counter at a time: the outer counter's steps are cut first, and the inner
/// loop that remains has a counter of its own even though the outer body resets it.
pub fn ends<N: Ord + Clone>(nodes: &BTreeSet<N>, facts: &LoopFacts<N>) -> Option<BTreeSet<Rule>> {
    let mut rules = BTreeSet::new();
    let mut pending = strongly_connected(nodes, facts.successors);
    // Every part cut loses at least one point: the work is bounded by the points.
    while let Some(part) = pending.pop() {
        let mut cut = (facts.bounded_otherwise)(&part);
        if !cut.is_empty() {
            rules.insert(Rule::Unrolled);
        }
        let counted = counter_steps(&part, facts);
        if !counted.is_empty() {
            rules.insert(Rule::Counter);
            cut.extend(counted);
        }
        if !part.iter().any(|n| (facts.renews)(n)) {
            let taking: BTreeSet<N> = part.iter().filter(|n| (facts.takes_an_item)(n)).cloned().collect();
            if !taking.is_empty() {
                rules.insert(Rule::Iterator);
                cut.extend(taking);
            }
        }
        if cut.is_empty() {
            return None;
        }
        let rest: BTreeSet<N> = part.difference(&cut).cloned().collect();
        pending.extend(strongly_connected(&rest, facts.successors));
    }
    Some(rules)
}

/// The points of `nodes` that lie in loops that end: every strongly connected part that
/// [`ends`], and where a part does not, the parts left inside it once its entries (points
/// with a predecessor outside it, by `predecessors`) are taken away, in turn. A loop nested
/// in one that may run for ever is found this way; which points end decides only which
/// termination claims a log may make, never whether a run ends.
pub fn ending_points<N: Ord + Clone>(
    nodes: &BTreeSet<N>,
    predecessors: &dyn Fn(&N) -> Vec<N>,
    facts: &LoopFacts<N>,
) -> BTreeSet<N> {
    let mut out = BTreeSet::new();
    let mut pending = strongly_connected(nodes, facts.successors);
    while let Some(part) = pending.pop() {
        if ends(&part, facts).is_some() {
            out.extend(part);
            continue;
        }
        let entries: BTreeSet<N> =
            part.iter().filter(|n| predecessors(n).iter().any(|p| !part.contains(p))).cloned().collect();
        // A part with no entry is the whole graph's loop: take away its first point instead.
        let entries = if entries.is_empty() { part.iter().take(1).cloned().collect() } else { entries };
        let inside: BTreeSet<N> = part.difference(&entries).cloned().collect();
        pending.extend(strongly_connected(&inside, facts.successors));
    }
    out
}

/// The points of `part` that step one of its counters: a register stepped one way (each
/// step's bounds leave room for at most [`MAX_COUNTED_ROUNDS`] steps of the smallest size
/// over the union of the steps' bounds) that no other point of `part` writes.
fn counter_steps<N: Ord + Clone>(part: &BTreeSet<N>, facts: &LoopFacts<N>) -> BTreeSet<N> {
    let counter = |step: &Step| (step.reg, step.direction);
    let candidates: BTreeSet<(Reg, Direction)> =
        part.iter().filter_map(|n| (facts.steps)(n).map(|s| counter(&s))).collect();
    let mut cut = BTreeSet::new();
    for (reg, direction) in candidates {
        let of_counter = |n: &N| (facts.steps)(n).filter(|s| counter(s) == (reg, direction));
        let (stepping, rest): (BTreeSet<N>, BTreeSet<N>) = part.iter().cloned().partition(|n| of_counter(n).is_some());
        // A point stepping the register the other way, or without the no-wrap guarantee,
        // writes it too.
        let leaves_alone = |n: &N| !(facts.writes)(n, reg) && (facts.steps)(n).is_none_or(|s| s.reg != reg);
        let all: Vec<Step> = stepping.iter().filter_map(of_counter).collect();
        let (lo, hi) = (all.iter().map(|s| s.lo).min(), all.iter().map(|s| s.hi).max());
        let size = all.iter().map(|s| s.size).min();
        let few_rounds = match (lo, hi, size) {
            (Some(lo), Some(hi), Some(size)) => (hi - lo) / size.max(1) < MAX_COUNTED_ROUNDS,
            _ => false,
        };
        if few_rounds && rest.iter().all(leaves_alone) {
            cut.extend(stepping);
        }
    }
    cut
}

/// The strongly connected parts of the graph `successors` restricted to `nodes` that hold
/// a cycle (a single point only with an edge to itself).
pub fn strongly_connected<N: Ord + Clone>(nodes: &BTreeSet<N>, successors: &dyn Fn(&N) -> Vec<N>) -> Vec<BTreeSet<N>> {
    let mut graph = petgraph::graph::DiGraph::<N, ()>::new();
    let index: BTreeMap<N, petgraph::graph::NodeIndex> =
        nodes.iter().map(|n| (n.clone(), graph.add_node(n.clone()))).collect();
    let mut self_loops = BTreeSet::new();
    for (n, &from) in &index {
        for s in successors(n) {
            if let Some(&to) = index.get(&s) {
                graph.add_edge(from, to, ());
                if from == to {
                    self_loops.insert(n.clone());
                }
            }
        }
    }
    petgraph::algo::kosaraju_scc(&graph)
        .into_iter()
        .map(|scc| scc.into_iter().map(|i| graph[i].clone()).collect::<BTreeSet<N>>())
        .filter(|part| part.len() > 1 || part.iter().any(|n| self_loops.contains(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules over a graph of small numbers: `edges` from each point, counter steps of r6
    /// (one way, bounds `[0, hi]`) at `steps`, writes of r6 at `writes`, `next` calls at
    /// `taking`, an iterator `new` at `renewing`.
    struct Graph {
        edges: Vec<(u32, u32)>,
        steps: Vec<(u32, Direction, u64)>,
        writes: Vec<u32>,
        taking: Vec<u32>,
        renewing: Vec<u32>,
        unrolled: Vec<(u32, BTreeSet<u32>)>,
    }

    impl Graph {
        fn new(edges: &[(u32, u32)]) -> Graph {
            Graph {
                edges: edges.to_vec(),
                steps: vec![],
                writes: vec![],
                taking: vec![],
                renewing: vec![],
                unrolled: vec![],
            }
        }

        fn ends(&self) -> Option<BTreeSet<Rule>> {
            let nodes: BTreeSet<u32> = self.edges.iter().flat_map(|(a, b)| [*a, *b]).collect();
            let successors = |n: &u32| self.edges.iter().filter(|(a, _)| a == n).map(|(_, b)| *b).collect();
            let steps = |n: &u32| {
                self.steps.iter().find(|(at, ..)| at == n).map(|&(_, direction, hi)| Step {
                    reg: Reg::R6,
                    direction,
                    lo: 0,
                    hi,
                    size: 1,
                })
            };
            let writes = |n: &u32, reg: Reg| reg == Reg::R6 && (self.writes.contains(n) || steps(n).is_some());
            let takes = |n: &u32| self.taking.contains(n);
            let renews = |n: &u32| self.renewing.contains(n);
            let facts = LoopFacts {
                successors: &successors,
                steps: &steps,
                writes: &writes,
                takes_an_item: &takes,
                renews: &renews,
                bounded_otherwise: &|part: &BTreeSet<u32>| {
                    self.unrolled
                        .iter()
                        .filter(|(h, m)| part.contains(h) && part.is_subset(m))
                        .map(|(h, _)| *h)
                        .collect()
                },
            };
            ends(&nodes, &facts)
        }
    }

    const RING: [(u32, u32); 3] = [(1, 2), (2, 3), (3, 1)];

    #[test]
    fn a_counter_ends_a_loop_only_if_nothing_else_writes_it() {
        let mut ring = Graph::new(&RING);
        assert_eq!(ring.ends(), None);
        ring.steps = vec![(2, Direction::Up, 10_000)];
        assert_eq!(ring.ends(), Some([Rule::Counter].into()));
        // Node 3 also writes r6 (a reload, a reset): no longer a counter.
        ring.writes = vec![3];
        assert_eq!(ring.ends(), None);
        // Up at 2 and down at 3 cancel out.
        ring.writes.clear();
        ring.steps.push((3, Direction::Down, 10_000));
        assert_eq!(ring.ends(), None);
        // Too many rounds: the loop may end, but not as the kernel's loops do.
        ring.steps = vec![(2, Direction::Up, u64::MAX - 1)];
        assert_eq!(ring.ends(), None);
    }

    #[test]
    fn a_cycle_that_avoids_every_step_does_not_end() {
        // 1 -> 2 -> 1 and 1 -> 3 -> 1: stepping at 2 leaves the cycle through 3.
        let mut two = Graph::new(&[(1, 2), (2, 1), (1, 3), (3, 1)]);
        two.steps = vec![(2, Direction::Up, 100)];
        assert_eq!(two.ends(), None);
        two.steps = vec![(1, Direction::Up, 100)];
        assert_eq!(two.ends(), Some([Rule::Counter].into()));
    }

    #[test]
    fn nested_loops_end_one_counter_at_a_time() {
        // Outer loop 1 -> 2 -> 3 -> 4 -> 1 with the inner loop 2 -> 3 -> 2. The outer
        // counter (r6 here) steps at 4; the inner loop takes items at 3 of an iterator the
        // outer loop makes afresh at 1 (as an inner counter reset at 1 would be).
        let mut nest = Graph::new(&[(1, 2), (2, 3), (3, 2), (3, 4), (4, 1)]);
        nest.steps = vec![(4, Direction::Up, 10)];
        assert_eq!(nest.ends(), None, "the inner loop has no bound");
        nest.taking = vec![3];
        nest.renewing = vec![1];
        assert_eq!(nest.ends(), Some([Rule::Counter, Rule::Iterator].into()));
        // The inner loop writes the outer counter: the outer loop is unbounded.
        nest.writes = vec![3];
        assert_eq!(nest.ends(), None);
        // Without the outer counter, the renewed iterator ends only the inner loop.
        nest.writes.clear();
        nest.steps.clear();
        assert_eq!(nest.ends(), None);
        // An iterator nothing renews ends the whole nest: every cycle takes its items.
        nest.renewing.clear();
        assert_eq!(nest.ends(), Some([Rule::Iterator].into()));
    }

    #[test]
    fn an_unrolled_loop_bounds_the_cycles_through_its_head_only() {
        // The outer loop (head 1) is unrolled; the inner loop 2 -> 3 -> 2 is not.
        let mut nest = Graph::new(&[(1, 2), (2, 3), (3, 2), (3, 4), (4, 1)]);
        nest.unrolled = vec![(1, [1, 2, 3, 4].into())];
        assert_eq!(nest.ends(), None, "the inner loop may spin without passing the head");
        nest.taking = vec![3];
        nest.renewing = vec![1];
        assert_eq!(nest.ends(), Some([Rule::Unrolled, Rule::Iterator].into()));
        // A part that leaves the unrolled loop may enter it again and again.
        nest.unrolled = vec![(1, [1, 2, 3].into())];
        assert_eq!(nest.ends(), None);
    }

    #[test]
    fn iterators_end_loops_nothing_restarts() {
        let mut ring = Graph::new(&RING);
        ring.taking = vec![1];
        assert_eq!(ring.ends(), Some([Rule::Iterator].into()));
        ring.renewing = vec![3];
        assert_eq!(ring.ends(), None);
    }

    #[test]
    fn a_self_loop_is_a_cycle_and_a_lone_point_is_not() {
        let successors = |n: &u32| if *n == 1 { vec![1, 2] } else { vec![] };
        let parts = strongly_connected(&[1, 2].into(), &successors);
        assert_eq!(parts, vec![BTreeSet::from([1])]);
    }
}
