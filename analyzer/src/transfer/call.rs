//! Calls: helpers and kfuncs by their prototypes, bpf-to-bpf calls, `callx` in both
//! models, `bpf_loop`-style callbacks, and `gotox`.

use std::collections::BTreeSet;

use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::availability::{Availability, helper_availability};
use bpfprove_semantics::interp::{CallxModel, MAX_FRAMES};
use bpfprove_semantics::isa::{CallTarget, Reg};
use bpfprove_semantics::program::{FunctionId, code_address};

use super::memory::{Mode, candidates};
use super::spin_lock::LockCall;
use super::{Env, GlobalStore, Post, Resolved, Stop};
use crate::obligation::{Check, ObligationKind, Status};
use crate::spec::{ArgKind, MapKindName, NamedRet, Prototype, RetKind};
use crate::stack::{CALLEE_SAVED, FRAME_BYTES, Frame};
use crate::state::{Reach, State, join_reach};
use crate::value::{Functions, KernelKind, MapSet, Nullness, Pointer, Region, SocketView, Value};
use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::interp::maps::MapKind;

/// Largest size a memory argument may have (Linux's limit for helper buffers).
const MAX_MEMORY_ARGUMENT: u64 = 1 << 29;
/// Most rounds of a callback loop before giving up on its fixpoint.
const MAX_CALLBACK_ROUNDS: u32 = 64;
/// Largest `bpf_loop` count whose calls are followed one by one rather than to a fixpoint.
const MAX_EXACT_CALLBACK_CALLS: u64 = 32;

/// How a subprogram is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// `call` of a local function.
    Local,
    /// `callx`.
    Callx,
    /// A helper calling a callback.
    Callback,
}

/// What analysing a call found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// The join of the callee's states at its exits (`None`: it never returns).
    pub exit: Reach,
    /// A problem with the call itself (recursion).
    pub problem: Option<Check>,
}

/// How calls into subprograms are analysed: the fixpoint engine analyses the callee from
/// `entry`; the proof checker reads the callee's logged invariants.
pub trait Calls {
    /// The effect of calling `function` (whose frame `entry` already has) from `pc`.
    fn call(&mut self, pc: usize, kind: CallKind, function: FunctionId, entry: State) -> Result<CallOutcome, Stop>;
}

/// The state at a callee's entry: the caller's state with a new frame, `r1`–`r5` passed,
/// the other registers undefined, the caller's `r6`–`r9` kept in its frame (see
/// [`crate::stack`]). `None` when the frames would exceed eight.
pub fn callee_entry(caller: &State, domain: DomainKind) -> Option<State> {
    let depth = caller.depth() + 1;
    if usize::from(depth) >= MAX_FRAMES {
        return None;
    }
    let mut entry = caller.clone();
    if let Some(frame) = entry.frame_mut(caller.depth()) {
        frame.save_registers(CALLEE_SAVED.map(|reg| caller.reg(reg).clone()));
    }
    for reg in [Reg::R0, Reg::R6, Reg::R7, Reg::R8, Reg::R9] {
        entry.set(reg, Value::Uninit);
    }
    entry.set(Reg::R10, Value::Pointer(Pointer::at(Region::Stack { frame: depth }, domain, 0)));
    entry.frames.push_back(Frame::new());
    entry.packet.moved = false;
    // The arguments keep their ties and links; the caller's slots do not, as the callee
    // may write them through pointers.
    entry.ties.retain(|place| matches!(place, crate::ties::Place::Reg(_)));
    entry.links.retain(|place| matches!(place, crate::ties::Place::Reg(_)));
    entry.zone = crate::zone::Zone::none();
    Some(entry)
}

/// The caller's state after the callee returns with `exit`: `r0` from the callee, `r1`–`r5`
/// undefined, `r6`–`r9` as the callee left them in the caller's frame, `r10` the caller's,
/// the caller's frames as the callee left them. Pointers into the callee's frame, and
/// packet pointers if the callee may have moved the packet, are no longer usable.
///
/// The callee may have executed again the instructions that made the identities of the
/// saved `r6`–`r9` (NULL-check classes, objects, packet variables) without seeing those
/// registers, so they keep only the identities `local` accepts: those made by the caller's
/// own instructions, which no callee runs (recursion is refused).
pub fn merge_return(caller: &State, exit: &State, domain: DomainKind, local: &dyn Fn(u32) -> bool) -> State {
    let depth = caller.depth();
    let mut state = exit.clone();
    state.frames.truncate(usize::from(depth) + 1);
    let saved = state.frame_mut(depth).map(|frame| frame.take_saved_registers());
    for reg in [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5] {
        state.set(reg, Value::Uninit);
    }
    let saved = saved.unwrap_or_else(|| std::array::from_fn(|_| Value::Uninit));
    for (reg, value) in CALLEE_SAVED.into_iter().zip(saved) {
        state.set(reg, value.keeping_identities(local));
    }
    state.set(Reg::R10, caller.reg(Reg::R10).clone());
    let moved = exit.packet.moved;
    state.packet.moved = caller.packet.moved || moved;
    state.ties = crate::ties::Ties::none();
    state.zone = crate::zone::Zone::none();
    state.links = crate::links::Links::none();
    state.map_values(&|value| match value {
        Value::Pointer(p) if matches!(p.region, Region::Stack { frame } if frame > depth) => Some(Value::top(domain)),
        // An iterator's item lives in the iterator's frame.
        Value::Pointer(Pointer { region: Region::Kernel { kind: KernelKind::Item { frame, .. }, .. }, .. })
            if *frame > depth =>
        {
            Some(Value::top(domain))
        }
        Value::Pointer(p) if moved && is_packet(p.region) => Some(Value::top(domain)),
        _ => None,
    });
    state
}

fn is_packet(region: Region) -> bool {
    matches!(region, Region::Packet | Region::PacketEnd | Region::PacketMeta)
}

/// What the argument checks captured for the call's effects.
#[derive(Default)]
struct Captured {
    /// The maps the map argument may be (every check held for each).
    map: Option<MapSet>,
    const_size: Option<u64>,
    callbacks: Option<BTreeSet<FunctionId>>,
    callback_context: Option<Value>,
    /// Stack the helper fills.
    filled: Vec<StackFill>,
    /// Global data the helper fills: its old contents are gone.
    global_fills: Vec<GlobalStore>,
    /// The acquiring pc of the reference the call releases.
    released: Option<u32>,
    /// The reference a pointer-cast argument depends on (`bpf_tcp_sock(sk)`'s result
    /// depends on `sk`'s).
    cast_reference: Option<u32>,
    loop_count: Option<(u64, u64)>,
    /// The checked `bpf_spin_lock` argument.
    lock: Option<super::spin_lock::LockArgument>,
}

/// What each call of a callback helper's round shares: the helper's pc, the callbacks, the
/// context argument and the range their `r0` must lie in.
struct CallbackRound<'a> {
    pc: usize,
    functions: &'a BTreeSet<FunctionId>,
    context: &'a Value,
    allowed: [i64; 2],
}

/// Stack bytes a helper writes through a memory argument.
struct StackFill {
    frame: u8,
    /// The lowest and highest offsets the write may start at.
    starts: (i64, i64),
    /// Bytes surely written, and bytes maybe written, from the start.
    surely: u64,
    maybe: u64,
}

impl StackFill {
    /// Applies the write to `state`: from a known start, the bytes surely written are
    /// initialised with unknown values; anything the write may touch otherwise loses its
    /// value but stays as initialised as it was.
    fn apply(&self, state: &mut State, domain: DomainKind) {
        let Some(frame) = state.frame_mut(self.frame) else { return };
        let (lo, hi) = self.starts;
        let surely = if lo == hi { self.surely } else { 0 };
        let from = lo.max(-FRAME_BYTES);
        if surely > 0 {
            let to = lo.saturating_add(i64::try_from(surely).unwrap_or(i64::MAX)).min(0);
            if from < to {
                frame.fill_unknown(from as i16, (to - from) as u32, domain);
            }
        }
        let smear_from = from.saturating_add(i64::try_from(surely).unwrap_or(i64::MAX));
        let smear_to = hi.saturating_add(i64::try_from(self.maybe).unwrap_or(i64::MAX)).min(0);
        if smear_from < smear_to {
            frame.smear(smear_from as i16, (smear_to - smear_from) as u32, domain);
        }
    }
}

impl Env<'_> {
    /// Whether elements of `map` can be freed while the program runs (an unknown map: yes).
    fn elements_can_be_freed(&self, map: MapId) -> bool {
        let kind = self.subject.maps.get(map.0 as usize).map(|info| info.kind);
        !matches!(kind, Some(MapKind::Array | MapKind::GlobalData))
    }

    /// The maps whose values may be the very elements of `map`'s values: itself, and,
    /// through maps of maps, an inner map template and the maps of the object that match
    /// it (the same map reached directly and through its outer map).
    fn value_aliases(&self, map: MapId) -> Vec<MapId> {
        let maps = &self.subject.maps;
        let Some(info) = maps.get(map.0 as usize) else { return vec![map] };
        let shape = |m: &crate::subject::MapInfo| (m.kind, m.key_size, m.value_size);
        let aliased =
            |other: &crate::subject::MapInfo| (info.template || other.template) && shape(other) == shape(info);
        let mut aliases: Vec<_> =
            (0..maps.len() as u32).map(MapId).filter(|&m| m == map || aliased(&maps[m.0 as usize])).collect();
        aliases.dedup();
        aliases
    }

    /// What a lookup in one of `maps` points to: a value of one of them, or, for maps of
    /// maps (which hold maps), one of their inner maps, which match the templates in type
    /// and sizes. A set mixing the two gives `None` (any number: nothing to dereference).
    fn lookup_result(&self, maps: MapSet, pc: u32) -> Option<Region> {
        let kinds: Vec<Option<MapKind>> = maps.iter().map(|m| self.subject.map(m).map(|m| m.kind)).collect();
        let all = |name: MapKindName| kinds.iter().all(|k| k.is_some_and(|k| name.matches(k)));
        let any = |name: MapKindName| kinds.iter().any(|k| k.is_some_and(|k| name.matches(k)));
        // Sockmaps and sockhashes give a socket and a reference to it; XSK maps an XDP socket
        // the map keeps alive. A set mixing them with other maps gives any number.
        if all(MapKindName::SocketMap) {
            return Some(Region::Socket { view: SocketView::Full, reference: Some(pc) });
        }
        if all(MapKindName::XskMap) {
            return Some(Region::Socket { view: SocketView::Xdp, reference: None });
        }
        if any(MapKindName::SocketMap) || any(MapKindName::XskMap) {
            return None;
        }
        let inner: Vec<Option<MapId>> = maps.iter().map(|m| self.subject.map(m).and_then(|m| m.inner)).collect();
        if inner.iter().all(Option::is_none) {
            Some(Region::MapValue(maps))
        } else if inner.iter().all(Option::is_some) {
            MapSet::of(inner.into_iter().flatten()).map(Region::MapHandle)
        } else {
            None
        }
    }

    /// `call`.
    pub(super) fn call(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        state: State,
        pc: usize,
        target: CallTarget,
    ) -> Result<Reach, Stop> {
        match target {
            CallTarget::Helper(id) => self.helper_call(calls, post, state, pc, id),
            CallTarget::Local(imm) => {
                let entry = pc as i64 + 1 + i64::from(imm);
                match usize::try_from(entry).ok().and_then(|e| self.subject.program.function_at_entry(e)) {
                    Some(function) => self.local_call(calls, post, state, pc, CallKind::Local, function),
                    None => {
                        post.check(ObligationKind::Call, Status::Refuted, format!("no function starts at {entry}"));
                        Ok(None)
                    }
                }
            }
            CallTarget::Kfunc { btf_id, .. } => {
                let name = self.subject.kfuncs.get(&btf_id).map(String::as_str);
                if let Some(name) = name {
                    self.check_capability(post, &format!("calling kfunc {name}"));
                }
                self.check_no_lock_for_call(post, &state, &format!("a call of kfunc {}", name.unwrap_or("?")));
                Ok(Some(self.kfunc_call(post, state, pc, name)))
            }
        }
    }

    fn helper_call(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        state: State,
        pc: usize,
        id: i32,
    ) -> Result<Reach, Stop> {
        let program_type = self.subject.spec.program_type;
        match self.prototypes.helper(id) {
            Some(proto) if helper_availability(id, program_type) == Availability::Available => {
                if let Some(why) = &proto.unmodelled {
                    post.check(ObligationKind::HelperArgument, Status::Unknown, why.clone());
                    return Ok(Some(self.clobbered(state, Value::top(self.domain))));
                }
                post.check(ObligationKind::Call, Status::Proven, format!("helper {id} ({})", proto.name));
                self.check_helper_allowed(post, id, &proto.name);
                if LockCall::of(&proto.name) != Some(LockCall::Unlock) {
                    self.check_no_lock_for_call(post, &state, &format!("a call of bpf_{}", proto.name));
                }
                self.apply_prototype(calls, post, state, pc, proto)
            }
            Some(proto) => {
                let why = format!("helper {id} ({}) is not available to {program_type} programs", proto.name);
                post.check(ObligationKind::Call, Status::Refuted, why);
                Ok(Some(self.clobbered(state, Value::top(self.domain))))
            }
            None => {
                post.check(ObligationKind::Call, Status::Refuted, format!("unknown helper {id}"));
                Ok(Some(self.clobbered(state, Value::top(self.domain))))
            }
        }
    }

    /// `r1`–`r5` undefined and `r0 = ret`.
    fn clobbered(&self, mut state: State, ret: Value) -> State {
        for reg in [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5] {
            state.set(reg, Value::Uninit);
        }
        state.set(Reg::R0, ret);
        state
    }

    /// Checks the arguments against `proto`, runs callbacks, applies the effects.
    fn apply_prototype(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        state: State,
        pc: usize,
        proto: &Prototype,
    ) -> Result<Reach, Stop> {
        let captured = self.check_arguments(post, &state, proto);
        self.check_argument_leaks(post, &state, proto);
        if proto.tail_call && state.depth() > 0 {
            post.exit = Some(self.tail_call_return(&state));
        }
        let mut state = state;
        if let (Some(functions), Some(allowed)) = (&captured.callbacks, proto.callback_return) {
            let Some(after) = self.callback_loop(calls, post, &state, pc, functions, &captured, allowed)? else {
                return Ok(None);
            };
            state = after;
        }
        for fill in &captured.filled {
            fill.apply(&mut state, self.domain);
        }
        if let (Some(call), Some(argument)) = (LockCall::of(&proto.name), &captured.lock) {
            self.apply_lock_call(post, &mut state, call, argument);
        }
        post.global_stores.extend(captured.global_fills.iter().cloned());
        // Array elements are never freed (deleting from an array fails with -EINVAL), so only
        // maps whose elements can go away lose their value pointers.
        if proto.invalidates_map_values
            && let Some(maps) = captured.map
        {
            let domain = self.domain;
            let aliases: BTreeSet<_> = maps
                .iter()
                .filter(|&map| self.elements_can_be_freed(map))
                .flat_map(|map| self.value_aliases(map))
                .collect();
            state.map_values(&|v| match v {
                Value::Pointer(Pointer { region: Region::MapValue(m), .. })
                    if m.iter().any(|m| aliases.contains(&m)) =>
                {
                    Some(Value::top(domain))
                }
                _ => None,
            });
        }
        // Every pointer into the released object, or derived from its reference, dies.
        if let Some(released) = captured.released {
            let domain = self.domain;
            state.map_values(&|v| (super::resources::acquired_at(v) == Some(released)).then(|| Value::top(domain)));
        }
        if proto.changes_packet {
            let domain = self.domain;
            state.map_values(&|v| match v {
                Value::Pointer(p) if is_packet(p.region) => Some(Value::top(domain)),
                _ => None,
            });
            state.packet = crate::state::PacketFacts { moved: true, ..Default::default() };
        }
        // A fresh result: copies of this call's earlier results are other objects.
        let id = pc as u32;
        state.forget_identities(id);
        let fresh = |region: Region| {
            Value::Pointer(Pointer {
                null: Nullness::MaybeNull { id: Some(id) },
                object: Some(id),
                ..Pointer::at(region, self.domain, 0)
            })
        };
        let ret = match proto.ret {
            RetKind::Range([lo, hi]) => Value::Scalar(self.domain.signed_range(lo, hi)),
            RetKind::Named(NamedRet::Scalar) => Value::top(self.domain),
            RetKind::Named(NamedRet::Void) => Value::Uninit,
            RetKind::Named(NamedRet::MapValueOrNull) => match captured.map {
                Some(maps) => self.lookup_result(maps, id).map_or_else(|| Value::top(self.domain), fresh),
                None => Value::top(self.domain),
            },
            // One value per map, the same on every call: no object identity, so it aliases
            // every other pointer to it.
            RetKind::Named(NamedRet::MapValue) => match captured.map {
                Some(maps) => Value::Pointer(Pointer::at(Region::MapValue(maps), self.domain, 0)),
                None => Value::top(self.domain),
            },
            RetKind::Named(NamedRet::SocketOrNull(view)) => {
                let reference = match () {
                    _ if proto.acquires => Some(id),
                    _ if proto.casts_reference => captured.cast_reference,
                    _ => None,
                };
                fresh(Region::Socket { view, reference })
            }
            RetKind::Named(NamedRet::RingbufMemOrNull) => match captured.const_size {
                Some(size) => fresh(Region::Record { pc: id, size: size as u32 }),
                None => Value::top(self.domain),
            },
            // Not acquired: the region's pc is one no reference is ever held for, so
            // releasing it is refused.
            RetKind::Named(NamedRet::TrustedObject(object)) => Value::Pointer(Pointer {
                null: Nullness::NonNull,
                object: Some(id),
                ..Pointer::at(Region::Kernel { pc: id, kind: KernelKind::Object(object) }, self.domain, 0)
            }),
        };
        self.call_resources(post, &mut state, proto, captured.released, &ret);
        Ok(Some(self.clobbered(state, ret)))
    }

    /// The checks of `map` as the map argument of `proto`: a kind the helper takes, and a
    /// map type that may be passed to it. `refuse` reports a failure.
    fn check_map_argument(
        &self,
        post: &mut Post,
        proto: &Prototype,
        map: MapId,
        refuse: &mut dyn FnMut(&mut Post, String),
    ) {
        let info = self.subject.map(map);
        let kind = info.map(|m| m.kind);
        let accepted = proto.map_kinds.is_empty()
            || kind.is_some_and(|k| proto.map_kinds.iter().any(|n: &MapKindName| n.matches(k)));
        if !accepted {
            let name = info.map_or("?", |m| m.name.as_str());
            refuse(post, format!("map `{name}` is not of a kind the helper accepts"));
        }
        let map_type = info.and_then(|m| m.map_type);
        if let Some(map_type) = map_type
            && map_type.allowed_helpers().is_some_and(|allowed| !allowed.contains(&proto.name.as_str()))
        {
            refuse(post, format!("a {} map cannot be passed to {}", map_type.name(), proto.name));
        }
        if let Some(map_type) = map_type
            && bpfprove_semantics::model::maps::MapType::required_by(&proto.name)
                .is_some_and(|required| !required.contains(&map_type))
        {
            refuse(post, format!("{} takes no {} map", proto.name, map_type.name()));
        }
        let program_type = self.subject.spec.program_type;
        if let Some(map_type) = map_type
            && !map_type.allowed_from(program_type, &proto.name)
        {
            refuse(post, format!("{program_type} programs cannot change a {} map", map_type.name()));
        }
    }

    fn check_arguments(&self, post: &mut Post, state: &State, proto: &Prototype) -> Captured {
        let mut captured = Captured::default();
        let optional_from = proto.args.len() - proto.optional_args;
        let argument = |i: usize| Reg::new(i as u8 + 1).expect("at most five arguments");
        let bad = |post: &mut Post, i: usize, status: Status, why: String| {
            post.check(
                ObligationKind::HelperArgument,
                status,
                format!("{} argument {} (r{}): {why}", proto.name, i + 1, i + 1),
            );
        };
        for (i, &kind) in proto.args.iter().enumerate() {
            let reg = argument(i);
            let value = state.reg(reg);
            if matches!(value, Value::Uninit) {
                if i >= optional_from {
                    continue;
                }
                post.check(ObligationKind::UninitRegister, Status::Unknown, format!("{reg} may be uninitialised"));
                continue;
            }
            // NULL is allowed; any other value is checked as a map value. A pointer that may
            // be NULL passes as the kernel lets it: the helper gets NULL or the memory.
            let not_null;
            let (kind, value) = match (kind, value) {
                (ArgKind::MapValueOrNull, v) if v.is_null_constant() => continue,
                (ArgKind::MapValueOrNull, Value::Pointer(p)) => {
                    not_null = Value::Pointer(Pointer { null: Nullness::NonNull, ..p.clone() });
                    (ArgKind::MapValue, &not_null)
                }
                (ArgKind::MapValueOrNull, v) => (ArgKind::MapValue, v),
                _ => (kind, value),
            };
            let scalar_bounds = match value {
                Value::Scalar(n) => n.unsigned_bounds(),
                _ => None,
            };
            match kind {
                ArgKind::Anything => {}
                ArgKind::Scalar | ArgKind::Size | ArgKind::SizeOrZero => {
                    if !matches!(value, Value::Scalar(_)) {
                        bad(post, i, Status::Refuted, "not a number".into());
                    }
                }
                ArgKind::Zero => {
                    if !value.is_null_constant() {
                        bad(post, i, Status::Unknown, "must be 0".into());
                    }
                }
                ArgKind::ConstSize => match value {
                    Value::Scalar(n) => match n.as_constant() {
                        Some(size) if (1..MAX_MEMORY_ARGUMENT).contains(&size) => captured.const_size = Some(size),
                        _ => bad(post, i, Status::Unknown, "must be a constant size".into()),
                    },
                    _ => bad(post, i, Status::Refuted, "not a number".into()),
                },
                ArgKind::Map => match value {
                    Value::Pointer(Pointer {
                        region: Region::MapHandle(_), null: Nullness::MaybeNull { .. }, ..
                    }) => {
                        bad(post, i, Status::Unknown, "the map may be NULL".into());
                    }
                    Value::Pointer(Pointer { region: Region::MapHandle(maps), .. }) => {
                        captured.map = Some(*maps);
                        for map in maps.iter() {
                            self.check_map_argument(post, proto, map, &mut |post, why| {
                                bad(post, i, Status::Refuted, why)
                            });
                        }
                    }
                    other => bad(post, i, Status::Refuted, format!("{} is not a map", crate::display::value(other))),
                },
                // A socket map's values are sockets (the kernel's `resolve_map_arg_type`).
                ArgKind::MapValue
                    if captured.map.is_some_and(|maps| {
                        maps.iter().any(|m| self.subject.map(m).is_some_and(|m| MapKindName::SocketMap.matches(m.kind)))
                    }) =>
                {
                    let all_sockets = captured.map.is_some_and(|maps| {
                        maps.iter().all(|m| self.subject.map(m).is_some_and(|m| MapKindName::SocketMap.matches(m.kind)))
                    });
                    if !all_sockets {
                        bad(
                            post,
                            i,
                            Status::Refuted,
                            "the maps are socket maps and others, whose values differ".into(),
                        );
                    }
                    match value {
                        Value::Pointer(p @ Pointer { region: Region::Socket { .. }, .. }) if !p.null.may_be_null() => {}
                        other => {
                            bad(post, i, Status::Refuted, format!("{} is not a socket", crate::display::value(other)))
                        }
                    }
                }
                ArgKind::MapKey | ArgKind::MapValue | ArgKind::MapValueOrNull => {
                    // The helper reads the size of whichever member the map is: the largest.
                    let size = captured.map.and_then(|maps| {
                        maps.iter()
                            .map(|m| {
                                self.subject
                                    .map(m)
                                    .map(|m| if kind == ArgKind::MapKey { m.key_size } else { m.value_size })
                            })
                            .collect::<Option<Vec<u32>>>()
                            .and_then(|sizes| sizes.into_iter().max())
                    });
                    match size {
                        Some(size) => self.memory_argument(
                            post,
                            state,
                            proto,
                            i,
                            value,
                            u64::from(size),
                            u64::from(size),
                            false,
                            &mut captured,
                        ),
                        None => bad(post, i, Status::Unknown, "no map argument before it".into()),
                    }
                }
                ArgKind::Mem | ArgKind::MemUninit | ArgKind::MemReadWrite => {
                    let size_kind = proto.args[i + 1];
                    let (min, max) = match state.reg(argument(i + 1)) {
                        Value::Scalar(n) => n.unsigned_bounds().unwrap_or((0, 0)),
                        _ => (0, u64::MAX),
                    };
                    let min_allowed = if size_kind == ArgKind::SizeOrZero { 0 } else { 1 };
                    if min < min_allowed || max >= MAX_MEMORY_ARGUMENT {
                        let status = Status::decide(false, max < min_allowed || min >= MAX_MEMORY_ARGUMENT);
                        bad(post, i + 1, status, format!("size in [{min}, {max}], allowed [{min_allowed}, 2^29)"));
                    }
                    let max = max.min(MAX_MEMORY_ARGUMENT);
                    if max == 0 {
                        // The kernel checks the pointer's type even for 0 bytes.
                        let required = proto.non_null_memory & (1 << i) != 0;
                        match value {
                            // ...and that its offset stays within the region, as for any
                            // access (`check_stack_access_within_bounds` with size 0).
                            Value::Pointer(p) if !p.null.may_be_null() => {
                                self.memory_argument(post, state, proto, i, value, 0, 0, false, &mut captured);
                            }
                            _ if !required => {}
                            Value::Pointer(_) => bad(post, i, Status::Unknown, "the pointer may be NULL".into()),
                            other => bad(
                                post,
                                i,
                                Status::Refuted,
                                format!("{} is not a pointer", crate::display::value(other)),
                            ),
                        }
                        continue;
                    }
                    // Memory the helper reads and writes must be initialised and writable.
                    if kind == ArgKind::MemReadWrite {
                        self.memory_argument(post, state, proto, i, value, min.max(1), max, false, &mut captured);
                    }
                    let fills = matches!(kind, ArgKind::MemUninit | ArgKind::MemReadWrite);
                    self.memory_argument(post, state, proto, i, value, min.max(1), max, fills, &mut captured);
                }
                ArgKind::Ctx => match value {
                    Value::Pointer(p) if p.region == Region::Context && p.offset.as_constant() == Some(0) => {
                        if p.null.may_be_null() {
                            bad(post, i, Status::Unknown, "the context may be NULL".into());
                        }
                    }
                    other => {
                        bad(post, i, Status::Refuted, format!("{} is not the context", crate::display::value(other)))
                    }
                },
                ArgKind::Object(object) => match value {
                    Value::Pointer(Pointer {
                        region: Region::Kernel { kind: KernelKind::Object(o), .. },
                        null,
                        offset,
                        ..
                    }) if *o == object => {
                        if null.may_be_null() {
                            bad(post, i, Status::Refuted, format!("the {} may be NULL", object.name()));
                        } else if offset.as_constant() != Some(0) {
                            bad(post, i, Status::Refuted, format!("not the start of the {}", object.name()));
                        }
                    }
                    other => bad(
                        post,
                        i,
                        Status::Refuted,
                        format!("{} is not a trusted {}", crate::display::value(other), object.name()),
                    ),
                },
                ArgKind::CtxOrNull => match value {
                    Value::Pointer(p) if p.region == Region::Context && p.offset.as_constant() == Some(0) => {}
                    v if v.is_null_constant() => {}
                    other => bad(
                        post,
                        i,
                        Status::Refuted,
                        format!("{} is neither the context nor NULL", crate::display::value(other)),
                    ),
                },
                ArgKind::Callback => match value {
                    Value::Func(Functions { set, nullable: false }) if !set.is_empty() => {
                        captured.callbacks = Some(set.clone());
                    }
                    other => {
                        bad(post, i, Status::Refuted, format!("{} is not a function", crate::display::value(other)))
                    }
                },
                ArgKind::PtrOrNull => match value {
                    Value::Pointer(_) => captured.callback_context = Some(value.clone()),
                    v if v.is_null_constant() => captured.callback_context = Some(value.clone()),
                    other => {
                        bad(post, i, Status::Refuted, format!("{} is not a pointer", crate::display::value(other)))
                    }
                },
                ArgKind::FixedMem(size) | ArgKind::FixedMemUninit(size) | ArgKind::FixedMemReadWrite(size) => {
                    let size = u64::from(size);
                    if let ArgKind::FixedMem(_) | ArgKind::FixedMemReadWrite(_) = kind {
                        self.memory_argument(post, state, proto, i, value, size, size, false, &mut captured);
                    }
                    if let ArgKind::FixedMemUninit(_) | ArgKind::FixedMemReadWrite(_) = kind {
                        self.memory_argument(post, state, proto, i, value, size, size, true, &mut captured);
                    }
                }
                ArgKind::ConstStr => self.const_str_argument(post, proto, i, value),
                ArgKind::StackOrNull => match value {
                    Value::Pointer(p) if matches!(p.region, Region::Stack { .. }) => {
                        captured.callback_context = Some(value.clone())
                    }
                    v if v.is_null_constant() => captured.callback_context = Some(value.clone()),
                    other => bad(
                        post,
                        i,
                        Status::Refuted,
                        format!("{} is not a stack pointer or NULL", crate::display::value(other)),
                    ),
                },
                ArgKind::Socket | ArgKind::BtfSocket | ArgKind::SocketRelease => match value {
                    Value::Pointer(p @ Pointer { region: Region::Socket { .. }, .. }) if p.null.may_be_null() => {
                        bad(post, i, Status::Unknown, "the socket may be NULL".into())
                    }
                    // The kernel's sock_types (ARG_PTR_TO_SOCK_COMMON) hold no BTF pointer.
                    Value::Pointer(Pointer { region: Region::Socket { view, .. }, .. })
                        if kind == ArgKind::Socket && view.is_btf() =>
                    {
                        bad(post, i, Status::Refuted, format!("a BTF {} is not a PTR_TO_SOCK_COMMON", view.name()))
                    }
                    Value::Pointer(Pointer { region: Region::Socket { reference, .. }, .. }) => {
                        captured.cast_reference = *reference;
                        if kind == ArgKind::SocketRelease {
                            match reference {
                                Some(pc) => captured.released = Some(*pc),
                                None => bad(
                                    post,
                                    i,
                                    Status::Refuted,
                                    "the socket is no reference the program acquired".into(),
                                ),
                            }
                        }
                    }
                    other => bad(post, i, Status::Refuted, format!("{} is not a socket", crate::display::value(other))),
                },
                ArgKind::FullSocketOrNull => match value {
                    Value::Pointer(Pointer { region: Region::Socket { view: SocketView::Full, .. }, .. }) => {}
                    v if v.is_null_constant() => {}
                    other => bad(
                        post,
                        i,
                        Status::Refuted,
                        format!("{} is not a full socket or NULL", crate::display::value(other)),
                    ),
                },
                ArgKind::Unmodelled => bad(post, i, Status::Unknown, "this kind is not modelled yet".into()),
                ArgKind::Pointer => self.memory_argument(post, state, proto, i, value, 1, 1, false, &mut captured),
                ArgKind::SpinLock => match self.lock_argument(value) {
                    Ok(argument) => captured.lock = Some(argument),
                    Err((status, why)) => bad(post, i, status, why),
                },
                ArgKind::RingbufMem => match value {
                    Value::Pointer(p)
                        if matches!(p.region, Region::Record { .. })
                            && !p.null.may_be_null()
                            && p.offset.as_constant() == Some(0) =>
                    {
                        captured.released = super::resources::acquired_at(value);
                    }
                    other => bad(
                        post,
                        i,
                        Status::Refuted,
                        format!("{} is not a reserved record", crate::display::value(other)),
                    ),
                },
            }
            if i == 0
                && matches!(kind, ArgKind::Scalar)
                && let Some(bounds) = scalar_bounds
            {
                captured.loop_count = Some(bounds);
            }
        }
        captured
    }

    /// Checks that `value` points to a NUL-terminated string in frozen read-only data at a
    /// constant offset, as the kernel's `ARG_PTR_TO_CONST_STR` demands.
    fn const_str_argument(&self, post: &mut Post, proto: &Prototype, i: usize, value: &Value) {
        let label = |detail: &str| format!("{} argument {} (r{}): {detail}", proto.name, i + 1, i + 1);
        let pointer = match value {
            Value::Pointer(p) if !p.null.may_be_null() => p,
            other => {
                let why = label(&format!("{} is not a pointer to a constant string", crate::display::value(other)));
                post.check(ObligationKind::HelperArgument, Status::Refuted, why);
                return;
            }
        };
        let data = self.data_section_of(pointer.region).and_then(|m| self.subject.map(m)).and_then(|m| m.data.as_ref());
        let Some(data) = data.filter(|d| d.read_only) else {
            let why = label(&format!("memory in {} is not read-only data", pointer.region));
            post.check(ObligationKind::HelperArgument, Status::Refuted, why);
            return;
        };
        let Some(offset) = pointer.offset.as_constant() else {
            post.check(ObligationKind::HelperArgument, Status::Unknown, label("the string's offset is not constant"));
            return;
        };
        let rest = usize::try_from(offset).ok().and_then(|o| data.image.get(o..));
        let terminated = rest.is_some_and(|bytes| bytes.contains(&0));
        let status = if terminated { Status::Proven } else { Status::Refuted };
        post.check(
            ObligationKind::HelperArgument,
            status,
            label(&format!("a NUL-terminated string at offset {offset}")),
        );
    }

    /// Checks that `value` points to `min..=max` accessible bytes (initialised unless the
    /// helper fills them) and records what a filling helper writes.
    #[allow(clippy::too_many_arguments)]
    fn memory_argument(
        &self,
        post: &mut Post,
        state: &State,
        proto: &Prototype,
        i: usize,
        value: &Value,
        min: u64,
        max: u64,
        fills: bool,
        captured: &mut Captured,
    ) {
        let label = |detail: &str| format!("{} argument {} (r{}): {detail}", proto.name, i + 1, i + 1);
        let Value::Pointer(pointer) = value else {
            let status = Status::Refuted;
            post.check(
                ObligationKind::HelperArgument,
                status,
                label(&format!("{} is not a pointer", crate::display::value(value))),
            );
            return;
        };
        if matches!(
            pointer.region,
            Region::Context
                | Region::Socket { .. }
                | Region::BtfStruct(_)
                | Region::MapHandle(_)
                | Region::JumpTable(_)
        ) {
            post.check(
                ObligationKind::HelperArgument,
                Status::Refuted,
                label(&format!("memory in {} is not allowed", pointer.region)),
            );
            return;
        }
        let mode = if fills { Mode::Write } else { Mode::Read };
        let mut inner = Post::default();
        let access = self.access_pointer(&mut inner, state, pointer.clone(), 0, max, mode, false);
        post.stack_uses.append(&mut inner.stack_uses);
        for check in inner.checks {
            post.check(
                ObligationKind::HelperArgument,
                check.status,
                label(&format!("{}: {}", check.kind, check.detail)),
            );
        }
        let Some(access) = access else { return };
        if fills && let Some(map) = self.data_section_of(access.pointer.region) {
            captured.global_fills.push(self.global_fill(map, &access.starts, max));
        }
        if let Region::Stack { frame } = access.pointer.region {
            let offsets = candidates(&access.starts).unwrap_or_default();
            if fills {
                if let Some(starts) = access.starts.signed_bounds() {
                    captured.filled.push(StackFill { frame, starts, surely: min, maybe: max });
                }
            } else {
                let frame_state = state.frame(frame);
                let initialised = offsets
                    .iter()
                    .filter(|&&o| o >= -512 && o + max as i64 <= 0)
                    .all(|&o| frame_state.is_some_and(|f| f.is_initialised(o as i16, max as u32)));
                let holds_address = offsets
                    .iter()
                    .filter(|&&o| o >= -512 && o + max as i64 <= 0)
                    .any(|&o| frame_state.is_some_and(|f| f.holds_address(o as i16, max as u32)));
                self.check_partial_fill_leak(post, holds_address);
                let privileged = self.privilege.allows_uninitialised_stack() && !offsets.is_empty();
                let status = Status::decide((initialised || privileged) && !offsets.is_empty(), false);
                post.check(
                    ObligationKind::UninitStack,
                    status,
                    label(&format!("{max} stack bytes must be initialised")),
                );
            }
        }
    }

    /// What a helper writing `len` bytes at `starts` of global data section `map` stores: any
    /// bytes over every slot it may touch.
    pub(super) fn global_fill(&self, map: MapId, starts: &crate::value::Num, len: u64) -> GlobalStore {
        let size = self.subject.map(map).and_then(|m| m.data.as_ref()).map_or(0, |d| d.image.len() as u64);
        let in_section = |start: i64| u64::try_from(start).ok().filter(|&s| s < size);
        match candidates(starts).map(|c| c.into_iter().filter_map(in_section).collect::<Vec<u64>>()) {
            Some(offsets) if !offsets.is_empty() => {
                let end = offsets.iter().max().map_or(0, |&s| s.saturating_add(len).min(size));
                let first = offsets.iter().copied().min().unwrap_or(0);
                GlobalStore {
                    map,
                    offsets: vec![first],
                    len: u32::try_from(end - first).unwrap_or(u32::MAX),
                    value: Value::top(self.domain),
                }
            }
            _ => GlobalStore {
                map,
                offsets: vec![0],
                len: u32::try_from(size).unwrap_or(u32::MAX),
                value: Value::top(self.domain),
            },
        }
    }

    /// What the caller of a subprogram sees when a tail call made in it succeeds: the other
    /// program's `r0` (any number) and a packet it may have moved.
    fn tail_call_return(&self, state: &State) -> State {
        let domain = self.domain;
        let mut returned = state.clone();
        returned.map_values(&|v| match v {
            Value::Pointer(p) if is_packet(p.region) => Some(Value::top(domain)),
            _ => None,
        });
        returned.packet = crate::state::PacketFacts { moved: true, ..Default::default() };
        self.clobbered(returned, Value::top(domain))
    }

    /// A helper that calls `functions` repeatedly (`bpf_loop`): the join of the states after
    /// 0, 1, 2, ... calls, each callback's `r0` checked against `allowed`.
    #[allow(clippy::too_many_arguments)]
    fn callback_loop(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        state: &State,
        pc: usize,
        functions: &BTreeSet<FunctionId>,
        captured: &Captured,
        allowed: [i64; 2],
    ) -> Result<Reach, Stop> {
        let (_, count_hi) = captured.loop_count.unwrap_or((0, u64::from(u32::MAX)));
        let index = self.domain.unsigned_range(0, count_hi.clamp(1, u64::from(u32::MAX)) - 1);
        let context = captured.callback_context.clone().unwrap_or_else(|| Value::constant(self.domain, 0));
        if (1..=MAX_EXACT_CALLBACK_CALLS).contains(&count_hi) {
            return self.callback_calls(calls, post, state, pc, functions, &context, count_hi, allowed);
        }
        let mut current = state.clone();
        for round in 0..MAX_CALLBACK_ROUNDS {
            let index = Value::Scalar(index.clone());
            let round_calls = CallbackRound { pc, functions, context: &context, allowed };
            let Some(after) = self.callback_round(calls, post, &current, index, &round_calls)? else {
                return Ok(Some(current));
            };
            let Some(after) = after else { return Ok(Some(current)) };
            if after.leq(&current, self.domain) {
                return Ok(Some(current));
            }
            current = if round >= self.widening_delay {
                current.widen(&after, self.domain, self.thresholds)
            } else {
                current.join(&after, self.domain)
            };
        }
        Err(Stop::Budget(format!("callback loop at pc {pc} did not stabilise in {MAX_CALLBACK_ROUNDS} rounds")))
    }

    /// A helper that calls `functions` at most `count` times (`bpf_loop` with a small
    /// `nr_loops`), call by call: the state after call `k` is the callbacks' exit from the
    /// state after call `k - 1`, with index `k - 1` in `r1`. The callbacks may stop the loop
    /// early, so the result is the join of the states after 0, 1, ..., `count` calls.
    #[allow(clippy::too_many_arguments)]
    fn callback_calls(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        state: &State,
        pc: usize,
        functions: &BTreeSet<FunctionId>,
        context: &Value,
        count: u64,
        allowed: [i64; 2],
    ) -> Result<Reach, Stop> {
        let mut reached = state.clone();
        let mut current = state.clone();
        for index in 0..count {
            let index = Value::constant(self.domain, index);
            let round_calls = CallbackRound { pc, functions, context, allowed };
            let Some(after) = self.callback_round(calls, post, &current, index, &round_calls)? else {
                return Ok(Some(reached));
            };
            let Some(after) = after else { break };
            reached = reached.join(&after, self.domain);
            current = after;
        }
        Ok(Some(reached))
    }

    /// One call of each of `round.functions` from `current` with `index` in `r1` and the
    /// context argument in `r2`: the join of the caller's states after the callbacks return
    /// (`Some(None)`: none returns), or `None` when the call would exceed eight frames (the
    /// refutation is recorded).
    fn callback_round(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        current: &State,
        index: Value,
        round: &CallbackRound<'_>,
    ) -> Result<Option<Reach>, Stop> {
        let mut args = current.clone();
        args.set(Reg::R1, index);
        args.set(Reg::R2, round.context.clone());
        for reg in [Reg::R3, Reg::R4, Reg::R5] {
            args.set(reg, Value::Uninit);
        }
        let Some(entry) = callee_entry(&args, self.domain) else {
            post.check(ObligationKind::Call, Status::Refuted, "callback would exceed eight frames");
            return Ok(None);
        };
        let mut after: Reach = None;
        for &function in round.functions {
            let outcome = calls.call(round.pc, CallKind::Callback, function, entry.clone())?;
            if let Some(problem) = outcome.problem {
                post.checks.push(problem);
            }
            if let Some(exit) = &outcome.exit {
                self.check_callback_return(post, exit, round.allowed);
                let merged = merge_return(current, exit, self.domain, &self.local_to(round.pc));
                after = join_reach(&after, &Some(merged), self.domain);
            }
        }
        Ok(Some(after))
    }

    fn check_callback_return(&self, post: &mut Post, exit: &State, [lo, hi]: [i64; 2]) {
        if *exit.reg(Reg::R0) == Value::Uninit {
            // The exit did not read r0 (a static subprogram's does not): the helper does.
            post.check(ObligationKind::UninitRegister, Status::Unknown, "the callback's r0 may be uninitialised");
            return;
        }
        let (status, detail) = match exit.reg(Reg::R0) {
            Value::Scalar(n) => match n.signed_bounds() {
                Some((a, b)) => (
                    Status::decide(lo <= a && b <= hi, b < lo || a > hi),
                    format!("callback returns [{a}, {b}], allowed [{lo}, {hi}]"),
                ),
                None => (Status::Proven, "unreachable".into()),
            },
            other => (Status::Refuted, format!("callback returns {}", crate::display::value(other))),
        };
        post.check(ObligationKind::ReturnRange, status, detail);
    }

    /// A call of `function`.
    pub(super) fn local_call(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        state: State,
        pc: usize,
        kind: CallKind,
        function: FunctionId,
    ) -> Result<Reach, Stop> {
        if kind != CallKind::Callback {
            self.check_subprogram_call(post, function);
        }
        let Some(entry) = callee_entry(&state, self.domain) else {
            post.check(ObligationKind::Call, Status::Refuted, "the call would exceed eight frames");
            return Ok(None);
        };
        let outcome = calls.call(pc, kind, function, entry)?;
        if let Some(problem) = outcome.problem {
            post.checks.push(problem);
        }
        Ok(outcome.exit.map(|exit| merge_return(&state, &exit, self.domain, &self.local_to(pc))))
    }

    /// Whether an identity (the pc that made it) belongs to the function containing `pc`.
    fn local_to(&self, pc: usize) -> impl Fn(u32) -> bool + '_ {
        let program = self.subject.program;
        let function = program.function_containing(pc);
        move |id: u32| program.function_containing(id as usize) == function
    }

    /// `callx reg`.
    pub(super) fn callx(
        &self,
        calls: &mut dyn Calls,
        post: &mut Post,
        state: State,
        pc: usize,
        reg: Reg,
    ) -> Result<Reach, Stop> {
        let value = state.reg(reg).clone();
        if self.callx_model == CallxModel::HelperId {
            return match &value {
                Value::Scalar(n) if n.as_constant().is_some() => {
                    let id = n.as_constant().unwrap_or_default() as i32;
                    post.check(ObligationKind::CallxTarget, Status::Proven, format!("helper {id}"));
                    post.resolved = Some(Resolved::Callx { functions: Vec::new(), helpers: vec![id] });
                    self.helper_call(calls, post, state, pc, id)
                }
                other => {
                    let status = if matches!(other, Value::Scalar(_)) { Status::Unknown } else { Status::Refuted };
                    post.check(
                        ObligationKind::CallxTarget,
                        status,
                        format!("{reg} holds {}, not one helper number", crate::display::value(other)),
                    );
                    Ok(None)
                }
            };
        }
        let entries =
            || self.subject.program.functions().iter().enumerate().map(|(i, f)| (FunctionId(i as u32), f.entry));
        let (targets, status, detail) = match &value {
            Value::Func(f) => {
                let status = if f.nullable { Status::Unknown } else { Status::Proven };
                let names: Vec<&str> =
                    f.set.iter().map(|&id| self.subject.program.function(id).name.as_str()).collect();
                let null = if f.nullable { " or NULL" } else { "" };
                (f.set.iter().copied().collect::<Vec<_>>(), status, format!("{reg} is {}{null}", names.join(" or ")))
            }
            Value::Scalar(n) => {
                // A number is a valid target only when it is exactly one function's address;
                // otherwise nothing after the call is analysed (the obligation already fails).
                let hits: Vec<FunctionId> =
                    entries().filter(|&(_, e)| n.contains(&code_address(e))).map(|(id, _)| id).collect();
                let exact = n.as_constant().is_some() && hits.len() == 1;
                let status = Status::decide(exact, hits.is_empty());
                let targets = if exact { hits } else { Vec::new() };
                (targets, status, format!("{reg} holds {}", crate::display::number_phrase(n)))
            }
            other => (Vec::new(), Status::Refuted, format!("{reg} holds {}", crate::display::value(other))),
        };
        post.check(ObligationKind::CallxTarget, status, detail);
        post.resolved = Some(Resolved::Callx { functions: targets.clone(), helpers: Vec::new() });
        let mut result: Reach = None;
        for function in targets {
            let after = self.local_call(calls, post, state.clone(), pc, CallKind::Callx, function)?;
            result = join_reach(&result, &after, self.domain);
        }
        Ok(result)
    }

    /// `gotox reg`: an edge to every jump-table entry the register may hold.
    pub(super) fn gotox(&self, post: &mut Post, state: State, pc: usize, reg: Reg) {
        let Value::Code(code) = state.reg(reg).clone() else {
            post.check(
                ObligationKind::GotoxTarget,
                Status::Refuted,
                format!("{reg} holds {}, not an entry of a jump table", crate::display::value(state.reg(reg))),
            );
            return;
        };
        let program = self.subject.program;
        let Some(table) = program.jump_tables().get(code.table.0 as usize) else {
            post.check(ObligationKind::GotoxTarget, Status::Refuted, "no such jump table");
            return;
        };
        let len = table.targets.len() as u64;
        let (lo, hi) = code.index.unsigned_bounds().unwrap_or((1, 0));
        let inside: Vec<u64> = if lo > hi {
            Vec::new()
        } else {
            (lo..=hi.min(len.saturating_sub(1))).filter(|i| code.index.contains(i)).collect()
        };
        let function = program.function_containing(pc);
        let mut targets: Vec<usize> = inside.iter().map(|&i| table.targets[i as usize]).collect();
        targets.sort_unstable();
        targets.dedup();
        let foreign = targets.iter().filter(|&&t| program.function_containing(t) != function).count();
        let all_inside = hi < len;
        let status = Status::decide(all_inside && foreign == 0, inside.is_empty() || foreign == targets.len());
        post.check(
            ObligationKind::GotoxTarget,
            status,
            format!("index [{lo}, {hi}] of {} ({len} entries); {foreign} targets outside the function", table.name),
        );
        post.resolved = Some(Resolved::Gotox { targets: targets.clone() });
        for target in targets {
            if program.function_containing(target) == function {
                post.edges.push((target, state.clone()));
            }
        }
    }
}
