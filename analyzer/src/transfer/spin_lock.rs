//! `bpf_spin_lock` regions: the lock is the `struct bpf_spin_lock` of a map value (its
//! offset from the value type's BTF), at most one is held, no helper or kfunc other than
//! `bpf_spin_unlock` is called while it is held (bpf-to-bpf calls are), nothing exits the
//! program, tail-calls or loads legacy packet bytes while it is held, and the unlock names
//! the locked value. Which value is locked is kept on the pointers into it
//! ([`crate::value::Pointer::locked`]), so two paths that locked different lookups'
//! values through one register still agree at their join.

use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};
use crate::references::Outstanding;
use crate::state::State;
use crate::value::{MapSet, Pointer, Region, Value};

/// Which of the two calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LockCall {
    /// `bpf_spin_lock`.
    Lock,
    /// `bpf_spin_unlock`.
    Unlock,
}

impl LockCall {
    /// The call a helper named `name` (without `bpf_`) is, if it is one.
    pub(super) fn of(name: &str) -> Option<LockCall> {
        match name {
            "spin_lock" => Some(LockCall::Lock),
            "spin_unlock" => Some(LockCall::Unlock),
            _ => None,
        }
    }
}

/// The lock argument as checked: the pointer to it.
#[derive(Clone, Debug)]
pub(super) struct LockArgument {
    pointer: Pointer,
}

fn status_of(outstanding: Outstanding, none: Status, maybe: Status, surely: Status) -> Status {
    match outstanding {
        Outstanding::None => none,
        Outstanding::Maybe => maybe,
        Outstanding::Surely => surely,
    }
}

impl Env<'_> {
    /// A call other than `bpf_spin_unlock` (`what` names it) needs no lock held.
    pub(super) fn check_no_lock_for_call(&self, post: &mut Post, state: &State, what: &str) {
        let held = state.resources.spin_lock_held();
        let status = status_of(held, Status::Proven, Status::Unknown, Status::Refuted);
        post.check(ObligationKind::Resources, status, format!("no bpf_spin_lock held at {what}"));
    }

    /// Checks `value` as the lock argument: a non-NULL pointer to the `bpf_spin_lock` of a
    /// value of every map it may point into; otherwise the status and reason of the failure.
    pub(super) fn lock_argument(&self, value: &Value) -> Result<LockArgument, (Status, String)> {
        let Value::Pointer(pointer) = value else {
            return Err((Status::Refuted, format!("{} is not a map value", crate::display::value(value))));
        };
        let Region::MapValue(maps) = pointer.region else {
            return Err((Status::Refuted, format!("a pointer to {} is not a map value", pointer.region)));
        };
        if pointer.null.may_be_null() {
            return Err((Status::Unknown, "the pointer may be NULL".into()));
        }
        let offset = pointer.offset.as_constant();
        // With several maps, the pointer may be into another member than the failing one.
        let failure = if maps.single().is_some() { Status::Refuted } else { Status::Unknown };
        for map in maps.iter() {
            let info = self.subject.map(map);
            let name = info.map_or("?", |m| m.name.as_str());
            match info.and_then(|m| m.spin_lock) {
                None => return Err((failure, format!("map `{name}` has no bpf_spin_lock"))),
                Some(lock) if offset != Some(u64::from(lock)) => {
                    let status = if offset.is_some() { failure } else { Status::Unknown };
                    return Err((status, format!("not the bpf_spin_lock of map `{name}` (at offset {lock})")));
                }
                Some(_) => {}
            }
        }
        Ok(LockArgument { pointer: pointer.clone() })
    }

    /// The effect of `call` on `state` with its checked `argument`.
    pub(super) fn apply_lock_call(&self, post: &mut Post, state: &mut State, call: LockCall, argument: &LockArgument) {
        let held = state.resources.spin_lock_held();
        match call {
            LockCall::Lock => {
                let status = status_of(held, Status::Proven, Status::Unknown, Status::Refuted);
                post.check(ObligationKind::Resources, status, "no bpf_spin_lock already held");
                let object = argument.pointer.object;
                let maps = lock_maps(&argument.pointer);
                // Every copy of the locked lookup's latest result points into the locked value.
                state.map_values(&|v| match v {
                    Value::Pointer(p) if object.is_some() && p.object == object && lock_maps(p) == maps => {
                        Some(Value::Pointer(Pointer { locked: true, ..p.clone() }))
                    }
                    _ => None,
                });
                state.resources.spin_min = 1;
                state.resources.spin_max = 1;
            }
            LockCall::Unlock => {
                let status = status_of(held, Status::Refuted, Status::Unknown, Status::Proven);
                post.check(ObligationKind::Resources, status, "a bpf_spin_lock is held to unlock");
                let same = if argument.pointer.locked { Status::Proven } else { Status::Unknown };
                post.check(ObligationKind::Resources, same, "the unlocked bpf_spin_lock is the locked one");
                state.map_values(&|v| match v {
                    Value::Pointer(p) if p.locked => Some(Value::Pointer(Pointer { locked: false, ..p.clone() })),
                    _ => None,
                });
                state.resources.spin_min = 0;
                state.resources.spin_max = 0;
            }
        }
    }
}

fn lock_maps(pointer: &Pointer) -> Option<MapSet> {
    match pointer.region {
        Region::MapValue(maps) => Some(maps),
        _ => None,
    }
}
