//! Loops that end because every round takes an item of an open-coded iterator, or steps
//! a counter that nothing else changes.
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
//! a 32-bit step, its low half) then strictly grows or shrinks as an integer. A loop every cycle of which steps one
//! register in one direction, and in which nothing else writes that register (callee
//! frames keep `r6`–`r9`; calls clobber `r0`–`r5`), ends: the register cannot grow past
//! its width's largest value nor shrink below 0. The steps' bounds in the invariant bound
//! the rounds; past [`MAX_COUNTED_ROUNDS`] the rule declines. This is the kernel's
//! "bounded loop" for loops longer than the engine unrolls.
//!
//! The engine uses both rules to prove a widened loop's termination obligation; the proof
//! checker recomputes them on the logged states of each cycle.

use std::collections::BTreeSet;

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

/// Whether some register is a counter of the loop `nodes`: every cycle (by `successors`)
/// passes a node that steps it one way (`steps`), every other node leaves it alone
/// (`writes` tells whether a node may write a register), and its steps' bounds leave room
/// for at most [`MAX_COUNTED_ROUNDS`] of them: each step moves it by at least the smallest
/// step size, strictly one way, within the union of the bounds.
pub fn counter_bounded<N: Ord + Clone>(
    nodes: &BTreeSet<N>,
    steps: &dyn Fn(&N) -> Option<Step>,
    writes: &dyn Fn(&N, Reg) -> bool,
    successors: &dyn Fn(&N) -> Vec<N>,
) -> bool {
    let counter = |step: &Step| (step.reg, step.direction);
    let candidates: BTreeSet<(Reg, Direction)> = nodes.iter().filter_map(|n| steps(n).map(|s| counter(&s))).collect();
    candidates.into_iter().any(|(reg, direction)| {
        let of_counter = |n: &N| steps(n).filter(|s| counter(s) == (reg, direction));
        let (stepping, rest): (BTreeSet<N>, BTreeSet<N>) = nodes.iter().cloned().partition(|n| of_counter(n).is_some());
        // A node stepping the register the other way, or without the no-wrap guarantee,
        // writes it too.
        let leaves_alone = |n: &N| !writes(n, reg) && steps(n).is_none_or(|s| s.reg != reg);
        let all: Vec<Step> = stepping.iter().filter_map(of_counter).collect();
        let (lo, hi) = (all.iter().map(|s| s.lo).min(), all.iter().map(|s| s.hi).max());
        let size = all.iter().map(|s| s.size).min();
        let few_rounds = match (lo, hi, size) {
            (Some(lo), Some(hi), Some(size)) => (hi - lo) / size.max(1) < MAX_COUNTED_ROUNDS,
            _ => false,
        };
        few_rounds && rest.iter().all(leaves_alone) && every_cycle_passes(nodes, &stepping, successors)
    })
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

    #[test]
    fn a_counter_bounds_a_loop_only_if_every_cycle_steps_it_and_nothing_else_writes_it() {
        let nodes: BTreeSet<u32> = [1, 2, 3].into();
        let ring = |n: &u32| vec![n % 3 + 1];
        let step = |direction, hi| Step { reg: Reg::R6, direction, lo: 0, hi, size: 1 };
        let up_at_2 = |n: &u32| (*n == 2).then_some(step(Direction::Up, 10_000));
        let quiet = |_: &u32, _: Reg| false;
        assert!(counter_bounded(&nodes, &up_at_2, &quiet, &ring));
        // Node 3 also writes r6 (a reload, a reset): no longer a counter.
        let reset_at_3 = |n: &u32, r: Reg| *n == 3 && r == Reg::R6;
        assert!(!counter_bounded(&nodes, &up_at_2, &reset_at_3, &ring));
        // Up at 2 and down at 3 cancel out.
        let both = |n: &u32| match n {
            2 => Some(step(Direction::Up, 10_000)),
            3 => Some(step(Direction::Down, 10_000)),
            _ => None,
        };
        assert!(!counter_bounded(&nodes, &both, &quiet, &ring));
        // The cycle 1 -> 3 -> 1 never steps.
        let two = |n: &u32| if *n == 1 { vec![2, 3] } else { vec![1] };
        assert!(!counter_bounded(&nodes, &up_at_2, &quiet, &two));
        assert!(!counter_bounded(&nodes, &|_: &u32| None, &quiet, &ring));
        // Too many rounds: the loop may end, but not as the kernel's loops do.
        let long = |n: &u32| (*n == 2).then_some(step(Direction::Up, u64::MAX - 1));
        assert!(!counter_bounded(&nodes, &long, &quiet, &ring));
    }
}
