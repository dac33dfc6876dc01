//! Which pcs a compact proof log keeps a state at: the *cut points* of a context, the pcs
//! the checker cannot re-derive from a single predecessor.
//!
//! The checker ([`super::check`]) re-derives the state of every other pc by applying the
//! transfer function once to the state before it, and fails a pc without a logged state
//! that it reaches twice. So a pc is cut here when it may be reached twice within one
//! level of the log (the context's top level or one round of an unrolled loop):
//! - it has two or more static in-edges (counted with multiplicity: `if … goto +0` reaches
//!   its next pc twice), the function's entry counting as one: joins and loop heads;
//! - a resolved `gotox` sends it there (jump tables are dispatches, their entries often joins);
//! - it heads an unrolled loop: every round starts there, and the checker needs each round's
//!   head to tell the rounds apart;
//! - an unrolled loop leaves to it: each round may leave by the same edge.
//!
//! Nothing here is trusted by the checker: a log that cuts too few pcs is rejected there,
//! never accepted.

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_semantics::program::Program;

use crate::cfg::static_successors;
use crate::engine::{ContextResult, Unrolled};
use crate::transfer::Resolved;

/// The cut points of `context`, a context of a function of `program`.
pub fn cut_points(program: &Program, context: &ContextResult) -> BTreeSet<usize> {
    let function = program.function(context.function);
    let inside = |pc: usize| function.entry <= pc && pc < function.end;
    let mut in_edges: BTreeMap<usize, u32> = BTreeMap::new();
    in_edges.insert(function.entry, 1);
    for decoded in program.insns().iter().filter(|d| inside(d.pc)) {
        for target in static_successors(decoded.pc, &decoded.insn).into_iter().filter(|&t| inside(t)) {
            *in_edges.entry(target).or_default() += 1;
        }
    }
    let mut cut: BTreeSet<usize> = in_edges.into_iter().filter(|&(_, n)| n >= 2).map(|(pc, _)| pc).collect();
    for resolved in context.resolved.values() {
        if let Resolved::Gotox { targets } = resolved {
            cut.extend(targets.iter().copied());
        }
    }
    for loop_ in context.unrolled.values() {
        cut_unrolled(program, loop_, &mut cut);
    }
    cut
}

/// Adds the head and exits of `loop_` and of the loops unrolled inside it.
fn cut_unrolled(program: &Program, loop_: &Unrolled, cut: &mut BTreeSet<usize>) {
    cut.insert(loop_.head);
    for &pc in &loop_.members {
        let Some(insn) = program.insn_at(pc) else { continue };
        cut.extend(static_successors(pc, insn).into_iter().filter(|t| !loop_.members.contains(t)));
    }
    for round in &loop_.rounds {
        for nested in round.unrolled.values() {
            cut_unrolled(program, nested, cut);
        }
    }
}
