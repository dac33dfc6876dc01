//! Loops bounded by `may_goto`: every fall-through of a `may_goto` spends one of its
//! function call's budget (8 Mi in the kernel, set in the function's prologue), and once it
//! is spent the instruction jumps instead. A loop whose every cycle takes the fall-through
//! edge of a `may_goto` therefore ends, however its conditions go, and needs no other
//! termination argument. A cycle through the *jump* edge is not bounded: once the budget is
//! spent that edge is taken every time (`may_goto` to itself loops for ever). Both the
//! engine (which widens such loops, unless it can unroll one that its own condition ends,
//! and leaves no open termination obligation) and the proof
//! checker (which drops the budget-spending edges before looking for cycles) ask
//! [`spends_budget`].

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_semantics::isa::Insn;
use bpfprove_semantics::program::Program;

/// Whether control flowing from `from` to `to` spends a `may_goto` budget: `from` is a
/// `may_goto` and `to` its fall-through, distinct from its jump target (with offset 0 both
/// edges are the same, and the one taken once the budget is spent bounds nothing).
pub fn spends_budget(program: &Program, from: usize, to: usize) -> bool {
    matches!(program.insn_at(from), Some(Insn::MayGoto { off }) if *off != 0) && to == from + 1
}

/// Whether every cycle of the graph on `nodes` with `edges` takes an edge `bounded`
/// accepts: the graph without those edges has no cycle.
pub fn every_cycle_takes<N: Clone + Ord>(
    nodes: &BTreeSet<N>,
    edges: &[(N, N)],
    bounded: impl Fn(&N, &N) -> bool,
) -> bool {
    let mut graph = petgraph::graph::DiGraph::<(), ()>::new();
    let index: BTreeMap<N, _> = nodes.iter().map(|node| (node.clone(), graph.add_node(()))).collect();
    for (a, b) in edges.iter().filter(|(a, b)| !bounded(a, b)) {
        if let (Some(&x), Some(&y)) = (index.get(a), index.get(b)) {
            graph.add_edge(x, y, ());
        }
    }
    !petgraph::algo::is_cyclic_directed(&graph)
}

/// Whether every cycle through the loop `members` (pcs, with `successors` the control
/// flow) takes the fall-through edge of a `may_goto`.
pub fn every_cycle_spends_budget(
    program: &Program,
    members: &BTreeSet<usize>,
    successors: impl Fn(usize) -> Vec<usize>,
) -> bool {
    let edges: Vec<(usize, usize)> =
        members.iter().flat_map(|&pc| successors(pc).into_iter().map(move |s| (pc, s))).collect();
    every_cycle_takes(members, &edges, |&a, &b| spends_budget(program, a, b))
}

/// The parts of the loop `members` that cycle without spending a budget: the strongly
/// connected parts, each of two pcs or more or with an edge to itself, of the control flow
/// without the budget-spending edges. Each is a loop that may run for ever (a `may_goto`
/// jumping to itself), so a loop whose termination is left open leaves it open in each.
pub fn unbounded_parts(
    program: &Program,
    members: &BTreeSet<usize>,
    successors: impl Fn(usize) -> Vec<usize>,
) -> Vec<BTreeSet<usize>> {
    let mut graph = petgraph::graph::DiGraph::<usize, ()>::new();
    let index: BTreeMap<usize, _> = members.iter().map(|&pc| (pc, graph.add_node(pc))).collect();
    for &pc in members {
        for next in successors(pc) {
            if let Some(&to) = index.get(&next)
                && !spends_budget(program, pc, next)
            {
                graph.add_edge(index[&pc], to, ());
            }
        }
    }
    petgraph::algo::tarjan_scc(&graph)
        .into_iter()
        .filter(|part| part.len() > 1 || graph.contains_edge(part[0], part[0]))
        .map(|part| part.into_iter().map(|node| graph[node]).collect())
        .collect()
}

/// Whether the loop `members` can be left other than by a `may_goto`'s jump: through a
/// condition of its own or an `exit`. Such a loop may end long before the budget does, so
/// unrolling it is worth a try; one that only a `may_goto` leaves would be unrolled for the
/// budget's 8 Mi rounds.
pub fn leaves_other_than_by_may_goto(
    program: &Program,
    members: &BTreeSet<usize>,
    successors: impl Fn(usize) -> Vec<usize>,
) -> bool {
    let is_may_goto = |pc: usize| matches!(program.insn_at(pc), Some(Insn::MayGoto { .. }));
    members.iter().filter(|&&pc| !is_may_goto(pc)).any(|&pc| {
        let next = successors(pc);
        next.is_empty() || next.iter().any(|s| !members.contains(s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_avoiding_the_bounded_edges_is_found() {
        let nodes = BTreeSet::from([1, 2, 3]);
        // 1 -> 2 -> 3 -> 1, with 2 -> 3 bounded: every cycle takes it.
        let ring = [(1, 2), (2, 3), (3, 1)];
        assert!(every_cycle_takes(&nodes, &ring, |&a, &b| (a, b) == (2, 3)));
        // A second cycle 2 -> 1 -> 2 passes node 2 but not the bounded edge.
        let mut two = ring.to_vec();
        two.push((2, 1));
        assert!(!every_cycle_takes(&nodes, &two, |&a, &b| (a, b) == (2, 3)));
        assert!(!every_cycle_takes(&nodes, &ring, |_, _| false));
    }

    fn parse(text: &str) -> Program {
        bpfprove_semantics::asm::llvm::parse(text).expect("valid program")
    }

    #[test]
    fn only_the_fall_through_of_a_may_goto_spends_its_budget() {
        let forward = parse("r0 = 0\nloop:\nmay_goto done\nr0 += 1\ngoto loop\ndone:\nexit\n");
        assert!(spends_budget(&forward, 1, 2));
        assert!(!spends_budget(&forward, 1, 4));
        assert!(!spends_budget(&forward, 2, 3));
        let members = BTreeSet::from([1, 2, 3]);
        let successors = |pc: usize| match pc {
            1 => vec![2, 4],
            2 => vec![3],
            3 => vec![1],
            _ => vec![],
        };
        assert!(every_cycle_spends_budget(&forward, &members, successors));
        // `may_goto` to itself: the jump edge is the cycle, and once the budget is spent
        // it is taken for ever.
        let itself = parse("r0 = 0\nself:\nmay_goto self\nexit\n");
        assert!(!every_cycle_spends_budget(&itself, &BTreeSet::from([1]), |pc| vec![pc, pc + 1]));
        // With offset 0 both edges lead to the next instruction: nothing is bounded.
        let zero = parse("r0 = 0\nloop:\nmay_goto next\nnext:\ngoto loop\nexit\n");
        assert!(!spends_budget(&zero, 1, 2));
    }

    #[test]
    fn a_loop_with_a_condition_of_its_own_leaves_other_than_by_may_goto() {
        let members = BTreeSet::from([1, 2, 3]);
        // 1: may_goto done; 2: r0 += 1; 3: goto 1. Only the may_goto leaves.
        let only_budget =
            bpfprove_semantics::asm::llvm::parse("r0 = 0\nloop:\nmay_goto done\nr0 += 1\ngoto loop\ndone:\nexit\n")
                .expect("valid program");
        let ring = |pc: usize| match pc {
            1 => vec![2, 4],
            2 => vec![3],
            _ => vec![1],
        };
        assert!(every_cycle_spends_budget(&only_budget, &members, ring));
        assert!(!leaves_other_than_by_may_goto(&only_budget, &members, ring));
        // 3: if r0 < 10 goto 1: the count ends it too.
        let counted = bpfprove_semantics::asm::llvm::parse(
            "r0 = 0\nloop:\nmay_goto done\nr0 += 1\nif r0 < 10 goto loop\ndone:\nexit\n",
        )
        .expect("valid program");
        let counted_edges = |pc: usize| match pc {
            1 => vec![2, 4],
            2 => vec![3],
            _ => vec![1, 4],
        };
        assert!(leaves_other_than_by_may_goto(&counted, &members, counted_edges));
    }
}
