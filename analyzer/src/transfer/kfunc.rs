//! Kfunc calls, by the table of `semantics::model::kfuncs`: argument rules, the kernel's
//! flags (acquire, release, may-be-NULL results, trusted arguments), RCU read sections,
//! open-coded iterators, and the C library builtins (`memset`, `memcpy`, `memmove`,
//! `memcmp`) that older clang leaves as calls.
//!
//! Kernel objects a kfunc returns are [`Region::Kernel`] pointers named by the pc of the
//! call, like ring-buffer records: acquiring one records a reference
//! ([`crate::references`]), releasing it drops the reference and every copy of the
//! pointer, so using or releasing it again is refused. An object argument must be such a
//! pointer, non-NULL and unmodified (which is what `KF_TRUSTED_ARGS` and `KF_RCU` ask of
//! the objects this model can make). Dynptr and resilient-lock kfuncs are run by the
//! interpreter but not yet analysed: calling one is an open obligation.

use bpfprove_semantics::interp::availability::{Availability, kfunc_availability};
use bpfprove_semantics::isa::Reg;
use bpfprove_semantics::model::kfuncs::{
    Builtin, IterKind, Kfunc, KfuncArg, KfuncEffect, KfuncFlags, KfuncRet, builtin, kfunc,
};

use super::memory::Mode;
use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};
use crate::references::{IterPlace, IterState, Outstanding};
use crate::state::State;
use crate::value::{Functions, KernelKind, Nullness, Pointer, Region, Value};

/// Largest size a memory argument may have (Linux's limit for helper buffers).
const MAX_MEMORY_ARGUMENT: u64 = 1 << 29;

/// What checking the arguments found for the call's effects.
#[derive(Default)]
struct Effects {
    /// The reference the call releases (the acquiring pc).
    released: Option<u32>,
    /// The iterator the call works on.
    iterator: Option<IterPlace>,
}

fn argument(i: usize) -> Reg {
    Reg::new(i as u8 + 1).expect("at most five arguments")
}

/// The status of "something is there" when it is there on every path, some, or none.
fn present(outstanding: Outstanding) -> Status {
    match outstanding {
        Outstanding::Surely => Status::Proven,
        Outstanding::Maybe => Status::Unknown,
        Outstanding::None => Status::Refuted,
    }
}

impl Env<'_> {
    /// A call of the kfunc or builtin named `name` at `pc`.
    pub(super) fn kfunc_call(&self, post: &mut Post, state: State, pc: usize, name: Option<&str>) -> State {
        let program_type = self.subject.spec.program_type;
        if let Some(builtin) = name.and_then(builtin) {
            post.check(ObligationKind::Call, Status::Proven, format!("builtin {}", name.unwrap_or_default()));
            return self.builtin_call(post, state, builtin);
        }
        let Some(kfunc) = name.and_then(kfunc) else {
            let what = name.map_or_else(|| "an extern no symbol names".to_owned(), |n| format!("`{n}`"));
            post.check(ObligationKind::Call, Status::Refuted, format!("unknown kfunc {what}"));
            return self.clobber(state, Value::top(self.domain));
        };
        if kfunc_availability(kfunc.name, program_type) != Availability::Available {
            let why = format!("kfunc {} is not available to {program_type} programs", kfunc.name);
            post.check(ObligationKind::Call, Status::Refuted, why);
            return self.clobber(state, Value::top(self.domain));
        }
        if let Some(unmodelled) = kfunc.args.iter().find(|a| !analysed(**a)) {
            let why = format!("kfunc {}: {unmodelled:?} arguments are not analysed", kfunc.name);
            post.check(ObligationKind::Call, Status::Unknown, why);
            return self.clobber(state, Value::top(self.domain));
        }
        post.check(ObligationKind::Call, Status::Proven, format!("kfunc {}", kfunc.name));
        if kfunc.has(KfuncFlags::SLEEPABLE) {
            // The kernel's check_kfunc_call: no sleeping inside an RCU read section.
            let status = match state.resources.rcu_open() {
                Outstanding::None => Status::Proven,
                Outstanding::Maybe => Status::Unknown,
                Outstanding::Surely => Status::Refuted,
            };
            post.check(
                ObligationKind::Call,
                status,
                format!("sleepable kfunc {} outside RCU read sections", kfunc.name),
            );
        }
        let effects = self.kfunc_arguments(post, &state, kfunc);
        self.kfunc_effects(post, state, pc, kfunc, effects)
    }

    /// `r1`–`r5` undefined and `r0 = ret`.
    fn clobber(&self, mut state: State, ret: Value) -> State {
        for reg in [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5] {
            state.set(reg, Value::Uninit);
        }
        state.set(Reg::R0, ret);
        state
    }

    fn kfunc_arguments(&self, post: &mut Post, state: &State, kfunc: &Kfunc) -> Effects {
        let mut effects = Effects::default();
        let bad = |post: &mut Post, i: usize, status: Status, why: String| {
            post.check(
                ObligationKind::HelperArgument,
                status,
                format!("{} argument {} (r{}): {why}", kfunc.name, i + 1, i + 1),
            );
        };
        for (i, &kind) in kfunc.args.iter().enumerate() {
            let value = state.reg(argument(i));
            if matches!(value, Value::Uninit) && kind != KfuncArg::Ignored {
                post.check(
                    ObligationKind::UninitRegister,
                    Status::Unknown,
                    format!("{} may be uninitialised", argument(i)),
                );
                continue;
            }
            match kind {
                KfuncArg::Anything | KfuncArg::Ignored => {}
                KfuncArg::Scalar | KfuncArg::Size | KfuncArg::SizeOrZero => {
                    if !matches!(value, Value::Scalar(_)) {
                        bad(post, i, Status::Refuted, "not a number".into());
                    }
                }
                KfuncArg::Map => {
                    if !matches!(
                        value,
                        Value::Pointer(Pointer { region: Region::MapHandle(_), null: Nullness::NonNull, .. })
                    ) {
                        bad(post, i, Status::Refuted, format!("{} is not a map", crate::display::value(value)));
                    }
                }
                KfuncArg::Callback => {
                    if !matches!(value, Value::Func(Functions { set, nullable: false }) if !set.is_empty()) {
                        bad(post, i, Status::Refuted, format!("{} is not a function", crate::display::value(value)));
                    }
                }
                KfuncArg::Pointer => self.memory(post, state, kfunc, i, value, 1, Mode::Read),
                KfuncArg::Mem => {
                    let (min, max) = match state.reg(argument(i + 1)) {
                        Value::Scalar(n) => n.unsigned_bounds().unwrap_or((0, 0)),
                        _ => (0, u64::MAX),
                    };
                    let min_allowed = u64::from(kfunc.args.get(i + 1) != Some(&KfuncArg::SizeOrZero));
                    if min < min_allowed || max >= MAX_MEMORY_ARGUMENT {
                        let status = Status::decide(false, max < min_allowed || min >= MAX_MEMORY_ARGUMENT);
                        bad(post, i + 1, status, format!("size in [{min}, {max}], allowed [{min_allowed}, 2^29)"));
                    }
                    let max = max.min(MAX_MEMORY_ARGUMENT);
                    if max > 0 {
                        self.memory(post, state, kfunc, i, value, max, Mode::Read);
                    }
                }
                KfuncArg::Object(object) => match value {
                    Value::Pointer(Pointer {
                        region: Region::Kernel { pc, kind: KernelKind::Object(o) },
                        null,
                        offset,
                        ..
                    }) if *o == object => {
                        if null.may_be_null() {
                            bad(post, i, Status::Refuted, format!("the {} may be NULL", object.name()));
                        } else if offset.as_constant() != Some(0) {
                            bad(post, i, Status::Refuted, format!("not the start of the {}", object.name()));
                        } else if i == 0 && kfunc.has(KfuncFlags::RELEASE) {
                            effects.released = Some(*pc);
                        }
                    }
                    other => bad(
                        post,
                        i,
                        Status::Refuted,
                        format!("{} is not a trusted {}", crate::display::value(other), object.name()),
                    ),
                },
                KfuncArg::Iterator(iter) => effects.iterator = self.iterator_argument(post, state, kfunc, iter, value),
                KfuncArg::Constant => {
                    if !matches!(value, Value::Scalar(n) if n.as_constant().is_some()) {
                        bad(post, i, Status::Refuted, "not a known constant".into());
                    }
                }
                KfuncArg::Context => match value {
                    Value::Pointer(p) if p.region == Region::Context && p.offset.as_constant() == Some(0) => {
                        if p.null.may_be_null() {
                            bad(post, i, Status::Unknown, "the context may be NULL".into());
                        }
                    }
                    other => {
                        bad(post, i, Status::Refuted, format!("{} is not the context", crate::display::value(other)))
                    }
                },
                KfuncArg::Dynptr
                | KfuncArg::DynptrUninit
                | KfuncArg::BufferOrNull
                | KfuncArg::BufferSize
                | KfuncArg::ResSpinLock => unreachable!("refused before the arguments are checked"),
            }
        }
        effects
    }

    /// The place of the iterator `value` points to, checked for the call's flag: `new`
    /// needs a place with no active iterator, `next` and `destroy` an active one of `iter`.
    fn iterator_argument(
        &self,
        post: &mut Post,
        state: &State,
        kfunc: &Kfunc,
        iter: IterKind,
        value: &Value,
    ) -> Option<IterPlace> {
        let label = format!("{} argument 1 (r1)", kfunc.name);
        let place = match value {
            Value::Pointer(p @ Pointer { region: Region::Stack { frame }, null: Nullness::NonNull, .. }) => {
                p.offset.as_constant().map(|o| (*frame, o as i64))
            }
            _ => None,
        };
        let Some((frame, offset)) = place.filter(|&(_, o)| o % 8 == 0 && (-512..0).contains(&o)) else {
            let why = format!("{label}: {} is not an aligned constant stack address", crate::display::value(value));
            post.check(ObligationKind::HelperArgument, Status::Refuted, why);
            return None;
        };
        let Value::Pointer(pointer) = value else { return None };
        let mut inner = Post::default();
        self.access_pointer(&mut inner, state, pointer.clone(), 0, u64::from(iter.size()), Mode::Write, false);
        post.stack_uses.append(&mut inner.stack_uses);
        for check in inner.checks {
            post.check(ObligationKind::HelperArgument, check.status, format!("{label}: {}", check.detail));
        }
        let place = (frame, offset as i16);
        let (status, what) = if kfunc.has(KfuncFlags::ITER_NEW) {
            let status = match state.resources.iterator_at(place) {
                Outstanding::None => Status::Proven,
                Outstanding::Maybe => Status::Unknown,
                Outstanding::Surely => Status::Refuted,
            };
            (status, "no iterator is active there")
        } else {
            (present(state.resources.iterator(place, iter)), "an iterator of this kind is active there")
        };
        post.check(ObligationKind::Resources, status, format!("{label}: {what}"));
        Some(place)
    }

    /// Checks that `value` points to `len` accessible bytes (initialised ones to read).
    #[allow(clippy::too_many_arguments)]
    fn memory(&self, post: &mut Post, state: &State, kfunc: &Kfunc, i: usize, value: &Value, len: u64, mode: Mode) {
        let label = format!("{} argument {} (r{})", kfunc.name, i + 1, i + 1);
        self.memory_access(post, state, &label, value, len, mode);
    }

    /// Checks an access of up to `max` bytes through `value` (`label` names the argument):
    /// in bounds, and, for reads of the stack, initialised.
    #[allow(clippy::too_many_arguments)]
    fn memory_access(
        &self,
        post: &mut Post,
        state: &State,
        label: &str,
        value: &Value,
        max: u64,
        mode: Mode,
    ) -> Option<super::memory::Access> {
        let Value::Pointer(pointer) = value else {
            let why = format!("{label}: {} is not a pointer", crate::display::value(value));
            post.check(ObligationKind::HelperArgument, Status::Refuted, why);
            return None;
        };
        if matches!(pointer.region, Region::Context | Region::MapHandle(_) | Region::JumpTable(_)) {
            let why = format!("{label}: memory in {} is not allowed", pointer.region);
            post.check(ObligationKind::HelperArgument, Status::Refuted, why);
            return None;
        }
        let mut inner = Post::default();
        let access = self.access_pointer(&mut inner, state, pointer.clone(), 0, max, mode, false);
        post.stack_uses.append(&mut inner.stack_uses);
        for check in inner.checks {
            post.check(
                ObligationKind::HelperArgument,
                check.status,
                format!("{label}: {}: {}", check.kind, check.detail),
            );
        }
        let access = access?;
        if let (Region::Stack { frame }, Mode::Read) = (access.pointer.region, mode) {
            let offsets = super::memory::candidates(&access.starts).unwrap_or_default();
            let frame_state = state.frame(frame);
            let initialised = !offsets.is_empty()
                && offsets
                    .iter()
                    .filter(|&&o| o >= -512 && o + max as i64 <= 0)
                    .all(|&o| frame_state.is_some_and(|f| f.is_initialised(o as i16, max as u32)));
            post.check(
                ObligationKind::UninitStack,
                Status::decide(initialised, false),
                format!("{label}: {max} stack bytes must be initialised"),
            );
        }
        Some(access)
    }

    fn kfunc_effects(&self, post: &mut Post, mut state: State, pc: usize, kfunc: &Kfunc, effects: Effects) -> State {
        let domain = self.domain;
        if let Some(acquired) = effects.released {
            let status = Status::decide(state.resources.held.contains(&acquired), true);
            post.check(ObligationKind::Resources, status, format!("the reference acquired at pc {acquired} is held"));
            state.resources.release(acquired);
            state.map_values(&|v| match v {
                Value::Pointer(p)
                    if matches!(p.region, Region::Kernel { pc, kind: KernelKind::Object(_) } if pc == acquired) =>
                {
                    Some(Value::top(domain))
                }
                _ => None,
            });
        }
        match kfunc.effect {
            KfuncEffect::RcuLock => {
                let status = if state.resources.rcu_lock() { Status::Proven } else { Status::Unknown };
                post.check(ObligationKind::Resources, status, "RCU read sections nested at most 8 deep");
            }
            KfuncEffect::RcuUnlock => {
                let status = present(state.resources.rcu_unlock());
                post.check(ObligationKind::Resources, status, "an RCU read section is open to unlock");
            }
            KfuncEffect::None | KfuncEffect::ResLock | KfuncEffect::ResUnlock => {}
        }
        if let (Some(place), Some(iter)) = (effects.iterator, kfunc.iterator()) {
            if kfunc.has(KfuncFlags::ITER_NEW) {
                state.resources.iterators.insert(place, IterState { kind: Some(iter), surely: true, drained: false });
                if let Some(frame) = state.frame_mut(place.0) {
                    frame.fill_unknown(place.1, iter.size(), domain);
                }
            } else if kfunc.has(KfuncFlags::ITER_NEXT) {
                // Only this call's result tells whether it found an item: older results of
                // the iterator lose their NULL-check identity.
                if let Some(active) = state.resources.iterators.get_mut(&place) {
                    active.drained = true;
                }
                state.map_values(&|v| match v {
                    Value::Pointer(p) if is_item_of(p, place) && p.null.may_be_null() => {
                        Some(Value::Pointer(Pointer { null: Nullness::MaybeNull { id: None }, ..p.clone() }))
                    }
                    _ => None,
                });
            } else if kfunc.has(KfuncFlags::ITER_DESTROY) {
                state.resources.iterators.remove(&place);
                state.map_values(&|v| match v {
                    Value::Pointer(p) if matches!(p.region, Region::Kernel { kind: KernelKind::Item { .. }, .. }) => {
                        Some(Value::top(domain))
                    }
                    _ => None,
                });
            }
        }
        // A fresh result: copies of this call's earlier results are other objects.
        let id = pc as u32;
        state.forget_identities(id);
        let null =
            if kfunc.has(KfuncFlags::RET_NULL) { Nullness::MaybeNull { id: Some(id) } } else { Nullness::NonNull };
        // Items of one iterator share a region, whichever `next` returned them: loops join
        // the results of several `next` calls.
        let fresh = |kind: KernelKind| {
            let pc = if matches!(kind, KernelKind::Item { .. }) { 0 } else { id };
            Value::Pointer(Pointer { null, object: Some(id), ..Pointer::at(Region::Kernel { pc, kind }, domain, 0) })
        };
        let ret = match kfunc.ret {
            KfuncRet::Void => Value::Uninit,
            KfuncRet::Scalar | KfuncRet::Slice => Value::top(domain),
            KfuncRet::Range(lo, hi) => Value::Scalar(domain.signed_range(lo, hi)),
            KfuncRet::Object(object) => fresh(KernelKind::Object(object)),
            KfuncRet::IterItem(kind) => match effects.iterator {
                Some((frame, offset)) => fresh(KernelKind::Item { kind, frame, offset }),
                None => Value::top(domain),
            },
        };
        if kfunc.has(KfuncFlags::ACQUIRE) {
            let fresh = state.resources.acquire(id);
            let status = if fresh { Status::Proven } else { Status::Unknown };
            post.check(
                ObligationKind::Resources,
                status,
                format!("the reference acquired at pc {id} is released first"),
            );
        }
        self.clobber(state, ret)
    }

    /// `memset(dst, c, n)`, `memcpy`/`memmove(dst, src, n)`, `memcmp(a, b, n)`: `n` must have
    /// a bound below 2^29, every byte written writable and every byte read readable and
    /// initialised. The destination's bytes become unknown.
    fn builtin_call(&self, post: &mut Post, mut state: State, builtin: Builtin) -> State {
        let domain = self.domain;
        let name = format!("{builtin:?}").to_lowercase();
        let (min, max) = match state.reg(Reg::R3) {
            Value::Scalar(n) => n.unsigned_bounds().unwrap_or((0, 0)),
            other => {
                let why = format!("{name} argument 3 (r3): {} is not a number", crate::display::value(other));
                post.check(ObligationKind::HelperArgument, Status::Refuted, why);
                (0, u64::MAX)
            }
        };
        let status = Status::decide(max < MAX_MEMORY_ARGUMENT, min >= MAX_MEMORY_ARGUMENT);
        post.check(ObligationKind::HelperArgument, status, format!("{name} size in [{min}, {max}], below 2^29"));
        let max = max.min(MAX_MEMORY_ARGUMENT);
        let r1 = state.reg(Reg::R1).clone();
        let r2 = state.reg(Reg::R2).clone();
        let (reads, writes): (Vec<Operand>, Vec<Operand>) = match builtin {
            Builtin::Memset => (vec![], vec![("argument 1 (r1)", &r1)]),
            Builtin::Memcpy | Builtin::Memmove => (vec![("argument 2 (r2)", &r2)], vec![("argument 1 (r1)", &r1)]),
            Builtin::Memcmp => (vec![("argument 1 (r1)", &r1), ("argument 2 (r2)", &r2)], vec![]),
        };
        if builtin == Builtin::Memset && !matches!(r2, Value::Scalar(_)) {
            post.check(
                ObligationKind::HelperArgument,
                Status::Refuted,
                format!("{name} argument 2 (r2): not a number"),
            );
        }
        if max > 0 {
            for (label, value) in reads {
                self.memory_access(post, &state, &format!("{name} {label}"), value, max, Mode::Read);
            }
            for (label, value) in writes {
                let Some(access) =
                    self.memory_access(post, &state, &format!("{name} {label}"), value, max, Mode::Write)
                else {
                    continue;
                };
                self.forget_written(post, &mut state, &access, min, max);
            }
        }
        let ret = match builtin {
            Builtin::Memcmp => Value::Scalar(domain.signed_range(-1, 1)),
            _ => r1,
        };
        self.clobber(state, ret)
    }

    /// What writing `min..=max` unknown bytes through `access` leaves: on the stack, bytes
    /// surely written are unknown and initialised, others that may be written unknown; in
    /// global data, the touched slots unknown.
    fn forget_written(&self, post: &mut Post, state: &mut State, access: &super::memory::Access, min: u64, max: u64) {
        let domain = self.domain;
        if let Some(map) = self.data_section_of(access.pointer.region) {
            post.global_stores.push(self.global_fill(map, &access.starts, max));
        }
        let Region::Stack { frame } = access.pointer.region else { return };
        let Some((lo, hi)) = access.starts.signed_bounds() else { return };
        let Some(frame_state) = state.frame_mut(frame) else { return };
        let from = lo.max(-512);
        let surely = if lo == hi { min } else { 0 };
        if surely > 0 {
            let to = lo.saturating_add(surely as i64).min(0);
            if from < to {
                frame_state.fill_unknown(from as i16, (to - from) as u32, domain);
            }
        }
        let smear_from = from.saturating_add(surely as i64);
        let smear_to = hi.saturating_add(max as i64).min(0);
        if smear_from < smear_to {
            frame_state.smear(smear_from as i16, (smear_to - smear_from) as u32, domain);
        }
    }
}

/// A builtin's memory argument: its label and value.
type Operand<'a> = (&'static str, &'a Value);

/// Whether `pointer` points to the item of the iterator at `place`.
pub(super) fn is_item_of(pointer: &Pointer, place: IterPlace) -> bool {
    matches!(pointer.region, Region::Kernel { kind: KernelKind::Item { frame, offset, .. }, .. } if (frame, offset) == place)
}

/// Whether the analyzer checks arguments of this kind (the others are run by the
/// interpreter only).
fn analysed(arg: KfuncArg) -> bool {
    !matches!(
        arg,
        KfuncArg::Dynptr
            | KfuncArg::DynptrUninit
            | KfuncArg::BufferOrNull
            | KfuncArg::BufferSize
            | KfuncArg::ResSpinLock
    )
}
