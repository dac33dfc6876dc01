//! Loops bounded by `may_goto`: every pass through a `may_goto` spends one of its frame's
//! budget (8 Mi in the kernel, set afresh each time the function is entered), and once it
//! is spent the instruction jumps out. A loop whose
//! every cycle passes a `may_goto` therefore ends, however its conditions go, and needs no
//! other termination argument. Both the engine (which widens such loops, unless it can
//! unroll one that its own condition ends, and leaves no open
//! termination obligation) and the proof checker (which drops the cycles of checked edges
//! that pass a `may_goto`) ask [`every_cycle_passes_may_goto`].

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_semantics::isa::Insn;
use bpfprove_semantics::program::Program;

/// Whether the instruction at `pc` is a `may_goto`.
pub fn is_may_goto(program: &Program, pc: usize) -> bool {
    matches!(program.insn_at(pc), Some(Insn::MayGoto { .. }))
}

/// Whether every cycle of the graph on `nodes` with `edges` passes a node `bounded` accepts:
/// the graph without those nodes has no cycle.
pub fn every_cycle_passes<N: Clone + Ord>(nodes: &BTreeSet<N>, edges: &[(N, N)], bounded: impl Fn(&N) -> bool) -> bool {
    let mut graph = petgraph::graph::DiGraph::<(), ()>::new();
    let mut index = BTreeMap::new();
    for node in nodes.iter().filter(|n| !bounded(n)) {
        index.insert(node.clone(), graph.add_node(()));
    }
    for (a, b) in edges {
        if let (Some(&x), Some(&y)) = (index.get(a), index.get(b)) {
            graph.add_edge(x, y, ());
        }
    }
    !petgraph::algo::is_cyclic_directed(&graph)
}

/// Whether every cycle through the loop `members` (pcs, with `successors` the control
/// flow) passes a `may_goto`.
pub fn every_cycle_passes_may_goto(
    program: &Program,
    members: &BTreeSet<usize>,
    successors: impl Fn(usize) -> Vec<usize>,
) -> bool {
    let edges: Vec<(usize, usize)> =
        members.iter().flat_map(|&pc| successors(pc).into_iter().map(move |s| (pc, s))).collect();
    every_cycle_passes(members, &edges, |&pc| is_may_goto(program, pc))
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
    members.iter().filter(|&&pc| !is_may_goto(program, pc)).any(|&pc| {
        let next = successors(pc);
        next.is_empty() || next.iter().any(|s| !members.contains(s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_avoiding_the_bounded_nodes_is_found() {
        let nodes = BTreeSet::from([1, 2, 3]);
        // 1 -> 2 -> 3 -> 1, with 2 bounded: every cycle passes it.
        let ring = [(1, 2), (2, 3), (3, 1)];
        assert!(every_cycle_passes(&nodes, &ring, |&n| n == 2));
        // A second cycle 1 -> 3 -> 1 avoids it.
        let mut two = ring.to_vec();
        two.push((1, 3));
        assert!(!every_cycle_passes(&nodes, &two, |&n| n == 2));
        assert!(!every_cycle_passes(&nodes, &ring, |_| false));
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
        assert!(every_cycle_passes_may_goto(&only_budget, &members, ring));
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
