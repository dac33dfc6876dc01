//! Control-flow graphs: one per function, on `petgraph`, with a node per instruction. Edges
//! that only the analysis can find (`gotox` targets) are added as it resolves them; the
//! call graph collects direct calls, resolved `callx` targets and callbacks.

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_semantics::isa::Insn;
use bpfprove_semantics::program::{FunctionId, Program};
use petgraph::graph::{DiGraph, NodeIndex};

/// A function's control-flow graph.
#[derive(Clone, Debug)]
pub struct FunctionCfg {
    /// The function.
    pub function: FunctionId,
    /// Its entry pc.
    pub entry: usize,
    /// Nodes are instruction pcs.
    pub graph: DiGraph<usize, ()>,
    node_of: BTreeMap<usize, NodeIndex>,
    /// Instructions whose static successor is outside the function (fall-through off its
    /// end, or a jump out of it): (pc, target).
    pub escapes: Vec<(usize, usize)>,
}

impl FunctionCfg {
    /// The graph of `function` with its static edges and the `indirect` edges found so far
    /// (by `gotox` pc).
    pub fn build(program: &Program, function: FunctionId, indirect: &BTreeMap<usize, BTreeSet<usize>>) -> FunctionCfg {
        let f = program.function(function);
        let mut graph = DiGraph::new();
        let mut node_of = BTreeMap::new();
        for decoded in program.insns().iter().filter(|d| f.entry <= d.pc && d.pc < f.end) {
            node_of.insert(decoded.pc, graph.add_node(decoded.pc));
        }
        let mut escapes = Vec::new();
        for decoded in program.insns().iter().filter(|d| f.entry <= d.pc && d.pc < f.end) {
            let from = node_of[&decoded.pc];
            for target in static_successors(decoded.pc, &decoded.insn) {
                match node_of.get(&target) {
                    Some(&to) => {
                        graph.add_edge(from, to, ());
                    }
                    None => escapes.push((decoded.pc, target)),
                }
            }
            for target in indirect.get(&decoded.pc).into_iter().flatten() {
                if let Some(&to) = node_of.get(target) {
                    graph.add_edge(from, to, ());
                }
            }
        }
        FunctionCfg { function, entry: f.entry, graph, node_of, escapes }
    }

    /// The node of instruction `pc`.
    pub fn node(&self, pc: usize) -> Option<NodeIndex> {
        self.node_of.get(&pc).copied()
    }

    /// The one pc with an edge into `pc`, if there is exactly one (a straight-line step can
    /// then hand its state over without storing it).
    pub fn sole_predecessor(&self, pc: usize) -> Option<usize> {
        let node = self.node(pc)?;
        let mut preds = self.graph.neighbors_directed(node, petgraph::Direction::Incoming).map(|n| self.graph[n]);
        let first = preds.next()?;
        preds.all(|other| other == first).then_some(first)
    }

    /// The pcs with an edge into `pc`.
    pub fn predecessors(&self, pc: usize) -> Vec<usize> {
        let Some(node) = self.node(pc) else { return Vec::new() };
        let mut preds: Vec<usize> =
            self.graph.neighbors_directed(node, petgraph::Direction::Incoming).map(|n| self.graph[n]).collect();
        preds.sort_unstable();
        preds.dedup();
        preds
    }

    /// The pcs `pc` has an edge to.
    pub fn successors(&self, pc: usize) -> Vec<usize> {
        let Some(node) = self.node(pc) else { return Vec::new() };
        let mut succs: Vec<usize> = self.graph.neighbors(node).map(|n| self.graph[n]).collect();
        succs.sort_unstable();
        succs.dedup();
        succs
    }

    /// Whether the graph has the edge `from → to`.
    pub fn has_edge(&self, from: usize, to: usize) -> bool {
        match (self.node(from), self.node(to)) {
            (Some(a), Some(b)) => self.graph.contains_edge(a, b),
            _ => false,
        }
    }

    /// The instruction pcs, in order.
    pub fn pcs(&self) -> impl Iterator<Item = usize> + '_ {
        self.node_of.keys().copied()
    }
}

/// Where an instruction can go next without the analysis' help.
pub fn static_successors(pc: usize, insn: &Insn) -> Vec<usize> {
    let next = pc + insn.slots();
    match insn {
        Insn::Exit | Insn::Gotox { .. } => Vec::new(),
        Insn::Ja { .. } | Insn::Ja32 { .. } => insn.branch_target(pc).map(|t| t as usize).into_iter().collect(),
        Insn::Jump { .. } | Insn::MayGoto { .. } => {
            let mut targets = vec![next];
            targets.extend(insn.branch_target(pc).map(|t| t as usize));
            targets
        }
        _ => vec![next],
    }
}

/// The call graph: which function calls which, by which kind of call.
#[derive(Clone, Debug, Default)]
pub struct CallGraph {
    /// Nodes are functions; edge weights name the call site's pc.
    pub graph: DiGraph<FunctionId, usize>,
    node_of: BTreeMap<FunctionId, NodeIndex>,
}

impl CallGraph {
    fn node(&mut self, function: FunctionId) -> NodeIndex {
        *self.node_of.entry(function).or_insert_with(|| self.graph.add_node(function))
    }

    /// Records that `caller` calls `callee` at `pc` (once per site and callee).
    pub fn add_call(&mut self, caller: FunctionId, pc: usize, callee: FunctionId) {
        let (a, b) = (self.node(caller), self.node(callee));
        if !self.graph.edges_connecting(a, b).any(|e| *e.weight() == pc) {
            self.graph.add_edge(a, b, pc);
        }
    }

    /// Every (caller, pc, callee), sorted.
    pub fn calls(&self) -> Vec<(FunctionId, usize, FunctionId)> {
        let mut calls: Vec<_> = self
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.graph.edge_endpoints(e)?;
                Some((self.graph[a], self.graph[e], self.graph[b]))
            })
            .collect();
        calls.sort_unstable();
        calls
    }
}
