//! Weak topological order (Bourdoncle 1993): the order the fixpoint visits a function's
//! instructions in, and where it widens.
//!
//! Built by nested strongly-connected-component decomposition: the graph's components in
//! topological order; each cyclic one becomes a [`Component::Cycle`] whose head is its entry
//! (the instruction with edges from outside, lowest pc first), and whose body is the
//! decomposition of the component without the edges into its head. Every cycle of the graph
//! then passes through the head of a component containing it, which is where widening
//! happens. Built iteratively: nesting depth comes from the input and is not bounded.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::cfg::FunctionCfg;
use crate::engine::check_deadline;
use crate::transfer::Stop;

/// An element of a weak topological order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component {
    /// One instruction.
    Vertex(usize),
    /// A loop: its head, then the order of the rest of it.
    Cycle {
        /// The head (widening point).
        head: usize,
        /// The rest, in order.
        body: Vec<Component>,
        /// Whether the loop can be entered only through its head.
        reducible: bool,
    },
}

impl Component {
    /// Every instruction of the element, head first.
    pub fn pcs(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(c) = stack.pop() {
            match c {
                Component::Vertex(v) => out.push(*v),
                Component::Cycle { head, body, .. } => {
                    out.push(*head);
                    stack.extend(body.iter().rev());
                }
            }
        }
        out
    }
}

impl Component {
    /// The heads of this element's loops, its own included.
    pub fn cycles_within(&self) -> Vec<usize> {
        let mut heads = Vec::new();
        let mut stack = vec![self];
        while let Some(c) = stack.pop() {
            if let Component::Cycle { head, body, .. } = c {
                heads.push(*head);
                stack.extend(body.iter());
            }
        }
        heads
    }
}

/// A function's weak topological order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wto {
    /// The top-level elements, in order.
    pub elements: Vec<Component>,
}

/// What remains to decompose at one nesting level, in dense node numbers.
struct Level {
    pending: VecDeque<Vec<usize>>,
    out: Vec<Component>,
    /// The head and reducibility of the cycle this level is the body of (none at the top).
    cycle: Option<(usize, bool)>,
}

/// A function's graph over dense node numbers: node `i` is the instruction `pcs[i]`, and
/// since `pcs` is sorted, ordering nodes orders pcs. Vectors indexed by node instead of
/// maps keyed by pc keep the decomposition linear in practice on large functions.
struct DenseGraph {
    pcs: Vec<usize>,
    successors: Vec<Vec<usize>>,
    predecessors: Vec<Vec<usize>>,
}

impl DenseGraph {
    fn of(cfg: &FunctionCfg) -> DenseGraph {
        let pcs: Vec<usize> = cfg.pcs().collect();
        let node_of = |pc: usize| pcs.binary_search(&pc).ok();
        let successors: Vec<Vec<usize>> =
            pcs.iter().map(|&pc| cfg.successors(pc).into_iter().filter_map(node_of).collect()).collect();
        let mut predecessors = vec![Vec::new(); pcs.len()];
        for (u, succs) in successors.iter().enumerate() {
            for &v in succs {
                predecessors[v].push(u);
            }
        }
        DenseGraph { pcs, successors, predecessors }
    }
}

impl Wto {
    /// The order of `cfg`'s instructions, or a budget stop once `deadline` has passed: each
    /// nesting level decomposes what is left of its loop again, so deeply nested loops take
    /// time quadratic in their depth.
    pub fn within(cfg: &FunctionCfg, deadline: Option<Instant>) -> Result<Wto, Stop> {
        let graph = DenseGraph::of(cfg);
        let entry = graph.pcs.binary_search(&cfg.entry).ok();
        let mut scratch = Scratch::new(graph.pcs.len());
        let all: Vec<usize> = (0..graph.pcs.len()).collect();
        let mut levels = vec![Level {
            pending: ordered_components(&all, &graph, None, &mut scratch).into(),
            out: Vec::new(),
            cycle: None,
        }];
        loop {
            check_deadline(deadline)?;
            let level = levels.last_mut().expect("the top level stays until the end");
            match level.pending.pop_front() {
                Some(nodes) if nodes.len() == 1 && !graph.successors[nodes[0]].contains(&nodes[0]) => {
                    level.out.push(Component::Vertex(graph.pcs[nodes[0]]));
                }
                Some(nodes) => {
                    for &v in &nodes {
                        scratch.member[v] = true;
                    }
                    let entries: Vec<usize> = nodes
                        .iter()
                        .copied()
                        .filter(|&v| Some(v) == entry || graph.predecessors[v].iter().any(|&u| !scratch.member[u]))
                        .collect();
                    for &v in &nodes {
                        scratch.member[v] = false;
                    }
                    let head = entries.first().copied().unwrap_or(nodes[0]);
                    let reducible = entries.len() <= 1;
                    let rest: Vec<usize> = nodes.iter().copied().filter(|&v| v != head).collect();
                    let pending = ordered_components(&rest, &graph, Some(head), &mut scratch).into();
                    levels.push(Level { pending, out: Vec::new(), cycle: Some((graph.pcs[head], reducible)) });
                }
                None => {
                    let done = levels.pop().expect("a level is on the stack");
                    match (done.cycle, levels.last_mut()) {
                        (Some((head, reducible)), Some(parent)) => {
                            parent.out.push(Component::Cycle { head, body: done.out, reducible });
                        }
                        _ => return Ok(Wto { elements: done.out }),
                    }
                }
            }
        }
    }

    /// The loops, outermost first.
    pub fn cycles(&self) -> Vec<&Component> {
        let mut out = Vec::new();
        let mut stack: Vec<&Component> = self.elements.iter().rev().collect();
        while let Some(c) = stack.pop() {
            if let Component::Cycle { body, .. } = c {
                out.push(c);
                stack.extend(body.iter().rev());
            }
        }
        out
    }
}

/// The strongly connected components of the subgraph on `nodes` (without edges into
/// `cut`), in topological order, ties broken by lowest pc.
fn ordered_components(
    nodes: &[usize],
    graph: &DenseGraph,
    cut: Option<usize>,
    scratch: &mut Scratch,
) -> Vec<Vec<usize>> {
    for (i, &u) in nodes.iter().enumerate() {
        scratch.local[u] = i;
    }
    let local = |v: usize, scratch: &Scratch| (Some(v) != cut).then(|| scratch.local[v]).filter(|&j| j != NOT_HERE);
    let mut sub = DiGraph::<(), ()>::with_capacity(nodes.len(), nodes.len());
    for _ in nodes {
        sub.add_node(());
    }
    for (i, &u) in nodes.iter().enumerate() {
        for &v in &graph.successors[u] {
            if let Some(j) = local(v, scratch) {
                sub.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
            }
        }
    }
    let mut sccs: Vec<Vec<usize>> = kosaraju_scc(&sub)
        .into_iter()
        .map(|scc| {
            let mut members: Vec<usize> = scc.into_iter().map(NodeIndex::index).collect();
            members.sort_unstable();
            members
        })
        .collect();
    sccs.sort_by_key(|scc| scc[0]);
    // Kahn's algorithm over the condensation, lowest component first.
    let mut component_of = vec![0; nodes.len()];
    for (c, scc) in sccs.iter().enumerate() {
        for &i in scc {
            component_of[i] = c;
        }
    }
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); sccs.len()];
    for (i, &u) in nodes.iter().enumerate() {
        for &v in &graph.successors[u] {
            if let Some(j) = local(v, scratch)
                && component_of[i] != component_of[j]
            {
                successors[component_of[i]].push(component_of[j]);
            }
        }
    }
    let mut indegree = vec![0usize; sccs.len()];
    for succs in &mut successors {
        succs.sort_unstable();
        succs.dedup();
        for &c in succs.iter() {
            indegree[c] += 1;
        }
    }
    for &u in nodes {
        scratch.local[u] = NOT_HERE;
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..sccs.len()).filter(|&c| indegree[c] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(sccs.len());
    while let Some(Reverse(c)) = ready.pop() {
        order.push(c);
        for &d in &successors[c] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    order.into_iter().map(|c| std::mem::take(&mut sccs[c]).into_iter().map(|i| nodes[i]).collect()).collect()
}

/// Marks `NOT_HERE` in [`Scratch::local`]: the node is not in the set being decomposed.
const NOT_HERE: usize = usize::MAX;

/// Per-node buffers reused across the decomposition's levels (reset after each use).
struct Scratch {
    /// A node's position in the set being decomposed, or [`NOT_HERE`].
    local: Vec<usize>,
    /// Whether a node belongs to the component whose entries are being found.
    member: Vec<bool>,
}

impl Scratch {
    fn new(nodes: usize) -> Scratch {
        Scratch { local: vec![NOT_HERE; nodes], member: vec![false; nodes] }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bpfprove_semantics::asm;
    use bpfprove_semantics::program::FunctionId;

    use super::*;

    fn wto_of(text: &str) -> Wto {
        let program = asm::llvm::parse(text).expect("assembles");
        let cfg = FunctionCfg::build(&program, FunctionId(0), &BTreeMap::new());
        Wto::within(&cfg, None).expect("no deadline")
    }

    #[test]
    fn straight_line_code_is_a_sequence() {
        let wto = wto_of("r0 = 0\nr0 += 1\nexit\n");
        assert_eq!(wto.elements, vec![Component::Vertex(0), Component::Vertex(1), Component::Vertex(2)]);
    }

    #[test]
    fn nested_loops_nest() {
        // 0: r1 = 0; 1: r2 = 0 (outer head); 2: r2 += 1 (inner head); 3: if r2 < 4 goto 2;
        // 4: r1 += 1; 5: if r1 < 4 goto 1; 6: exit.
        let wto = wto_of(
            "r1 = 0\nouter:\nr2 = 0\ninner:\nr2 += 1\nif r2 < 4 goto inner\nr1 += 1\nif r1 < 4 goto outer\nr0 = 0\nexit\n",
        );
        assert_eq!(wto.elements[0], Component::Vertex(0));
        let Component::Cycle { head, body, reducible } = &wto.elements[1] else { panic!("{wto:?}") };
        assert_eq!((*head, *reducible), (1, true));
        assert!(matches!(&body[0], Component::Cycle { head: 2, .. }));
        assert_eq!(wto.cycles().len(), 2);
        assert_eq!(wto.elements[1].pcs(), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_deadline_that_has_passed_stops_the_construction() {
        let program = asm::llvm::parse("l:\nr1 += 1\nif r1 < 4 goto l\nr0 = 0\nexit\n").expect("assembles");
        let cfg = FunctionCfg::build(&program, FunctionId(0), &BTreeMap::new());
        let passed = Instant::now().checked_sub(std::time::Duration::from_millis(1));
        assert!(matches!(Wto::within(&cfg, passed), Err(Stop::Budget(why)) if why == "time limit"));
    }

    #[test]
    fn deep_nesting_needs_no_recursion() {
        let depth = 3000;
        let mut text = String::new();
        for i in 0..depth {
            text.push_str(&format!("l{i}:\nr{} = 0\n", 1 + i % 9));
        }
        for i in (0..depth).rev() {
            text.push_str(&format!("if r{} < 4 goto l{i}\n", 1 + i % 9));
        }
        text.push_str("r0 = 0\nexit\n");
        let wto = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || wto_of(&text).cycles().len())
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(wto, depth);
    }
}
