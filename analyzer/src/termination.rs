//! Loops that end because every round takes an item of an open-coded iterator.
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
//! The engine uses this to prove a widened loop's termination obligation; the proof
//! checker recomputes it on the logged states of each cycle.

use std::collections::BTreeSet;

use bpfprove_semantics::isa::{CallTarget, Insn, Reg};
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

/// Whether every cycle of the graph `successors` over `nodes` passes a node of `taking`.
pub fn every_cycle_passes<N: Ord + Clone>(
    nodes: &BTreeSet<N>,
    taking: &BTreeSet<N>,
    successors: &dyn Fn(&N) -> Vec<N>,
) -> bool {
    let rest: BTreeSet<&N> = nodes.iter().filter(|n| !taking.contains(*n)).collect();
    // Kahn's algorithm on the nodes left: a cycle remains exactly when some node is never
    // freed of its predecessors.
    let mut indegree: std::collections::BTreeMap<&N, usize> = rest.iter().map(|n| (*n, 0)).collect();
    for n in &rest {
        for s in successors(n) {
            if let Some(d) = indegree.get_mut(&s) {
                *d += 1;
            }
        }
    }
    let mut ready: Vec<&N> = indegree.iter().filter(|(_, d)| **d == 0).map(|(n, _)| *n).collect();
    let mut freed = 0;
    while let Some(n) = ready.pop() {
        freed += 1;
        for s in successors(n) {
            if let Some((key, d)) = indegree.get_key_value(&s).map(|(k, d)| (*k, *d)) {
                let left = d - 1;
                indegree.insert(key, left);
                if left == 0 {
                    ready.push(key);
                }
            }
        }
    }
    freed == rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_avoiding_the_taking_nodes_is_found() {
        let nodes: BTreeSet<u32> = [1, 2, 3].into();
        let ring = |n: &u32| vec![n % 3 + 1];
        assert!(every_cycle_passes(&nodes, &[2].into(), &ring));
        assert!(!every_cycle_passes(&nodes, &BTreeSet::new(), &ring));
        // 1 -> 2 -> 1 and 1 -> 3 -> 1: taking 2 leaves the cycle through 3.
        let two = |n: &u32| if *n == 1 { vec![2, 3] } else { vec![1] };
        assert!(!every_cycle_passes(&nodes, &[2].into(), &two));
        assert!(every_cycle_passes(&nodes, &[1].into(), &two));
    }
}
