//! Acquired references and RCU read sections (see [`crate::references`]): what calls
//! acquire and release, what a NULL test gives back, and the checks at exits, tail calls
//! and legacy packet loads.

use bpfprove_semantics::isa::{Operand, Reg};

use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};
use crate::references::Outstanding;
use crate::spec::{Prototype, RcuEffect};
use crate::state::State;
use crate::value::{KernelKind, Nullness, Pointer, Region, Value};

/// The pc of the call that acquired the reference `value` is (or points into, or was
/// derived from: `bpf_tcp_sock` of a looked-up socket depends on the lookup's reference).
pub(super) fn acquired_at(value: &Value) -> Option<u32> {
    match value {
        Value::Pointer(Pointer { region: Region::Record { pc, .. }, .. }) => Some(*pc),
        Value::Pointer(Pointer { region: Region::Kernel { pc, kind: KernelKind::Object(_) }, .. }) => Some(*pc),
        Value::Pointer(Pointer { region: Region::Socket { reference: Some(pc), .. }, .. }) => Some(*pc),
        _ => None,
    }
}

/// The reference `value` is the direct result of acquiring: its NULL-check class is the
/// acquiring call itself (a pointer derived from a reference has its own class, and a NULL
/// derived pointer says nothing about the reference).
fn direct_acquisition(value: &Value) -> Option<u32> {
    match value {
        Value::Pointer(Pointer { null: Nullness::MaybeNull { id: Some(id) }, .. }) => {
            acquired_at(value).filter(|pc| pc == id)
        }
        _ => None,
    }
}

impl Env<'_> {
    /// The effect of a helper or kfunc call on the resources: `released` is the acquiring
    /// pc of the reference the call releases, `ret` what it returns.
    pub(super) fn call_resources(
        &self,
        post: &mut Post,
        state: &mut State,
        proto: &Prototype,
        released: Option<u32>,
        ret: &Value,
    ) {
        if proto.name == "tail_call" {
            self.check_nothing_held(post, state, "a tail call");
        }
        if let Some(pc) = released {
            // The argument is a live pointer of this reference (releasing kills every copy,
            // a NULL test shows a failed acquisition), so the reference is held on every path
            // where the reference may be.
            let held = state.resources.held.contains(&pc);
            let status = Status::decide(held, !held);
            post.check(ObligationKind::Resources, status, format!("the reference acquired at pc {pc} is held"));
            state.resources.release(pc);
        }
        if let Some(pc) = direct_acquisition(ret) {
            let fresh = state.resources.acquire(pc);
            let status = if fresh { Status::Proven } else { Status::Unknown };
            post.check(
                ObligationKind::Resources,
                status,
                format!("the reference acquired at pc {pc} is released first"),
            );
        }
        match proto.rcu {
            Some(RcuEffect::Lock) => {
                let status = if state.resources.rcu_lock() { Status::Proven } else { Status::Unknown };
                post.check(ObligationKind::Resources, status, "RCU read sections nested at most 8 deep");
            }
            Some(RcuEffect::Unlock) => {
                let status = match state.resources.rcu_unlock() {
                    Outstanding::Surely => Status::Proven,
                    Outstanding::Maybe => Status::Unknown,
                    Outstanding::None => Status::Refuted,
                };
                post.check(ObligationKind::Resources, status, "an RCU read section is open to unlock");
            }
            None => {}
        }
    }

    /// Every reference released and every RCU read section closed before `what` (the
    /// program's exit, a tail call, a legacy packet load).
    pub(super) fn check_nothing_held(&self, post: &mut Post, state: &State, what: &str) {
        let held = &state.resources.held;
        let status = match state.resources.outstanding() {
            Outstanding::None => Status::Proven,
            Outstanding::Maybe => Status::Unknown,
            Outstanding::Surely => Status::Refuted,
        };
        let pcs: Vec<String> = held.iter().map(u32::to_string).collect();
        let iterators: Vec<String> =
            state.resources.iterators.keys().map(|(frame, offset)| format!("stack{frame}{offset:+}")).collect();
        post.check(
            ObligationKind::Resources,
            status,
            format!(
                "no reference held at {what} (acquired at pcs [{}] and iterators at [{}] may be)",
                pcs.join(", "),
                iterators.join(", ")
            ),
        );
        let status = match state.resources.rcu_open() {
            Outstanding::None => Status::Proven,
            Outstanding::Maybe => Status::Unknown,
            Outstanding::Surely => Status::Refuted,
        };
        post.check(ObligationKind::Resources, status, format!("no RCU read section open at {what}"));
        let status = match state.resources.spin_lock_held() {
            Outstanding::None => Status::Proven,
            Outstanding::Maybe => Status::Unknown,
            Outstanding::Surely => Status::Refuted,
        };
        post.check(ObligationKind::Resources, status, format!("no bpf_spin_lock held at {what}"));
    }

    /// On the edge where `if dst cond src` showed a direct acquisition result to be NULL,
    /// the acquisition failed: nothing is held for it; where it showed it not to be, the
    /// reference is surely held. On the edge where it showed the
    /// latest result of an iterator's `next` not to be NULL, the iterator was not drained.
    pub(super) fn release_failed_acquisitions(&self, before: &State, dst: Reg, src: Operand, edge: &mut State) {
        let mut tested = vec![dst];
        if let Operand::Reg(r) = src {
            tested.push(r);
        }
        for reg in tested {
            if let Some(pc) = direct_acquisition(before.reg(reg)) {
                if edge.reg(reg).is_null_constant() {
                    edge.resources.release(pc);
                } else if matches!(edge.reg(reg), Value::Pointer(Pointer { null: Nullness::NonNull, .. }))
                    && edge.resources.held.contains(&pc)
                {
                    // The acquisition succeeded and its pointer lives (releasing it kills
                    // every copy): the reference is held on this path, whatever joins said.
                    edge.resources.surely.insert(pc);
                }
            }
            // The latest `next` of an iterator found an item: it was not drained.
            if let Value::Pointer(Pointer {
                region: Region::Kernel { kind: KernelKind::Item { frame, offset, .. }, .. },
                null: Nullness::MaybeNull { id: Some(id) },
                object,
                ..
            }) = before.reg(reg)
                && *object == Some(*id)
                && matches!(edge.reg(reg), Value::Pointer(Pointer { null: Nullness::NonNull, .. }))
                && let Some(iterator) = edge.resources.iterators.get_mut(&(*frame, *offset))
            {
                iterator.drained = false;
            }
        }
    }
}
