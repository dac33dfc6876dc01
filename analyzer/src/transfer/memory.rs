//! Loads, stores and atomics: the region's bounds, NULL, initialisation and access rules,
//! and the value a load gives.
//!
//! An access at `base + off` of `len` bytes is checked for every start offset the base's
//! offset may hold: proven when all are valid, refuted when none is, unknown otherwise. The
//! valid starts per region: the stack frame's `-512..=-len`; a map value's or global data
//! section's `0..=size-len`; a packet's `0..=len(packet)-len` as the bounds facts show it;
//! a context's permitted field accesses (the semantics' own rules), and those of the
//! socket a context field points to (read-only, through the pointer itself).
//!
//! A load of a context field gives what the field's kind says: a packet pointer (`data`,
//! `optval`, ...), a socket pointer (NULL-checked first where the field may be NULL; its
//! NULL-check class is the loading pc), a pointer to the field's block (`flow_keys`), or,
//! for kernel pointers the model does not follow, a number, which cannot be dereferenced.

use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::interp::context::{
    AttachedBuffer, BtfStruct, ContextLayout, FieldKind, PacketEdge, loadable_field, storable_field,
};
use bpfprove_semantics::isa::{AtomicOp, BinOp, PacketAddr, Reg, Size, Width};
use bpfprove_semantics::model::kfuncs::ObjectKind;

use super::{Env, GlobalStore, Post, StackUse};
use crate::obligation::{ObligationKind, Status};
use crate::spec::ContextSpec;
use crate::stack::{FRAME_BYTES, any_bytes};
use crate::state::State;
use crate::value::{CodeAddress, KernelKind, MapSet, Nullness, Num, Pointer, Region, SocketView, Value};
use bpfprove_semantics::model::maps::ProgramAccess;

/// Most start offsets enumerated one by one (for context fields, global data slots,
/// initialisation of stack bytes); beyond it the analysis summarises.
const MAX_CANDIDATES: i128 = 512;

/// Size of `struct bpf_spin_lock`.
const SPIN_LOCK_BYTES: i128 = 4;

/// Whether an access reads, writes, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    Read,
    Write,
    ReadWrite,
}

impl Mode {
    fn writes(self) -> bool {
        matches!(self, Mode::Write | Mode::ReadWrite)
    }

    fn reads(self) -> bool {
        matches!(self, Mode::Read | Mode::ReadWrite)
    }
}

/// A checked access: the pointer and the start offsets it may touch.
pub(super) struct Access {
    pub(super) pointer: Pointer,
    /// `pointer.offset + off`.
    pub(super) starts: Num,
}

/// The start offsets `starts` may hold, if there are few.
pub(super) fn candidates(starts: &Num) -> Option<Vec<i64>> {
    let (lo, hi) = starts.signed_bounds()?;
    if i128::from(hi) - i128::from(lo) >= MAX_CANDIDATES {
        return None;
    }
    Some((lo..=hi).filter(|v| starts.contains(&(*v as u64))).collect())
}

/// Status of "every start in `lo..=hi` is in `min..=max`".
fn bounds_status(lo: i128, hi: i128, min: i128, max: i128) -> Status {
    Status::decide(min <= lo && hi <= max, hi < min || lo > max || min > max)
}

/// The region of a pointer to a virtual structure with `target`'s rules, if the analyzer
/// follows such pointers (sockets; anything else loads as a number). A context's socket
/// is no reference the program holds.
fn socket_region(target: &'static ContextLayout) -> Option<Region> {
    SocketView::of_layout(target).map(|view| Region::Socket { view, reference: None })
}

/// The check of an access of `len` bytes at offsets `[lo, hi]` of an attached buffer, as
/// the kernel's `check_buffer_access`: a constant, non-negative offset; the size is checked
/// when the program is attached, against the furthest byte, which the detail records.
fn attached_buffer_access(
    buffer: AttachedBuffer,
    writable: bool,
    lo: i128,
    hi: i128,
    len: u64,
    mode: Mode,
) -> (ObligationKind, Status, String) {
    let name = buffer.name();
    let (status, detail) = if mode.writes() && !writable {
        (Status::Refuted, format!("the {name} is read-only"))
    } else if hi < 0 {
        (Status::Refuted, format!("offsets [{lo}, {hi}] of the {name}: before its start"))
    } else if lo != hi {
        // The kernel refuses a variable offset; the buffer's size is unknown until attach.
        (Status::Unknown, format!("a variable offset [{lo}, {hi}] into the {name}"))
    } else if lo < 0 {
        (Status::Refuted, format!("offset {lo} of the {name}: before its start"))
    } else {
        let end = lo + i128::from(len);
        (
            Status::Proven,
            format!("bytes [{lo}, {end}) of the {name}: attaching requires {} >= {end}", buffer.size_name()),
        )
    };
    (ObligationKind::MemoryBounds, status, detail)
}

/// A number of `len` bytes as a load of it gives it (sign-extended for `ldsx`).
fn loaded(value: Value, size: Size, signed: bool) -> Value {
    match value {
        Value::Scalar(n) if signed && size != Size::DW => Value::Scalar(n.move_sign_extend(Width::W64, size)),
        other => other,
    }
}

impl Env<'_> {
    /// Checks an access of `len` bytes at `base + off`; `None` when `base` is no usable
    /// pointer.
    #[allow(clippy::too_many_arguments)]
    fn access(
        &self,
        post: &mut Post,
        state: &State,
        base: Reg,
        off: i16,
        len: u32,
        mode: Mode,
        signed: bool,
    ) -> Option<Access> {
        let pointer = match state.reg(base) {
            Value::Pointer(p) => p.clone(),
            value if value.is_null_constant() => {
                post.check(ObligationKind::NullDeref, Status::Refuted, format!("{base} is NULL"));
                return None;
            }
            other => {
                post.check(
                    ObligationKind::Dereference,
                    Status::Refuted,
                    format!("{base} holds {}, not a pointer", crate::display::value(other)),
                );
                return None;
            }
        };
        if let Region::Kernel { kind: KernelKind::Object(object), .. } = pointer.region {
            return self.probe_access(post, pointer, object, i64::from(off), u64::from(len), mode);
        }
        self.access_pointer(post, state, pointer, i64::from(off), u64::from(len), mode, signed)
    }

    /// A load or store instruction through a pointer to a kernel object: the kernel's
    /// `PROBE_MEM` load at a constant offset within the object's probe window
    /// ([`ObjectKind::probe_bytes`]); stores are refused, as the kernel refuses them for the
    /// types modelled. Memory arguments of helpers and kfuncs are no `PROBE_MEM` reads and
    /// go through [`Env::access_pointer`], which leaves them open.
    fn probe_access(
        &self,
        post: &mut Post,
        pointer: Pointer,
        object: ObjectKind,
        off: i64,
        len: u64,
        mode: Mode,
    ) -> Option<Access> {
        if pointer.null.may_be_null() {
            post.check(
                ObligationKind::NullDeref,
                Status::Unknown,
                format!("pointer to {} may be NULL", pointer.region),
            );
        }
        let starts = pointer.offset.binary(BinOp::Add, Width::W64, &self.domain.constant(&(off as u64)));
        let window = i128::from(object.probe_bytes());
        let (status, detail) = match starts.as_constant() {
            _ if mode.writes() => (Status::Refuted, format!("{} is read-only to programs", object.name())),
            None => (Status::Refuted, format!("a variable offset into {}", object.name())),
            Some(at) => {
                let at = i128::from(at as i64);
                let inside = at >= 0 && at + i128::from(len) <= window;
                let detail = format!("offset {at} + {len} of the {window}-byte probe window of {}", object.name());
                (if inside { Status::Proven } else { Status::Refuted }, detail)
            }
        };
        post.check(ObligationKind::Dereference, status, detail);
        Some(Access { pointer, starts })
    }

    /// Checks an access of `len` bytes at `pointer + off`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn access_pointer(
        &self,
        post: &mut Post,
        state: &State,
        pointer: Pointer,
        off: i64,
        len: u64,
        mode: Mode,
        signed: bool,
    ) -> Option<Access> {
        // Any pointer joined with NULL needs a check, whatever its region; results of
        // helpers that may fail are reported proven once checked.
        if pointer.null.may_be_null() {
            post.check(
                ObligationKind::NullDeref,
                Status::Unknown,
                format!("pointer to {} may be NULL", pointer.region),
            );
        } else if pointer.region.holds_many_objects() {
            post.check(ObligationKind::NullDeref, Status::Proven, format!("pointer to {}", pointer.region));
        }
        let starts = pointer.offset.binary(BinOp::Add, Width::W64, &self.domain.constant(&(off as u64)));
        let (lo, hi) = starts.signed_bounds()?;
        let (lo, hi) = (i128::from(lo), i128::from(hi));
        let len_i = i128::from(len);
        let (kind, status, detail) = match pointer.region {
            Region::Stack { frame } => {
                let status = bounds_status(lo, hi, -i128::from(FRAME_BYTES), -len_i);
                // An access that may leave the frame fails on its own; it does not size it.
                if status == Status::Proven {
                    post.stack_uses.push(StackUse { frame, lowest: lo as i64 });
                }
                (ObligationKind::StackBounds, status, format!("stack offsets [{lo}, {hi}] + {len}"))
            }
            Region::MapValue(maps) => self.map_value_bounds(maps, lo, hi, len, mode),
            Region::GlobalData(map) => {
                let data = self.subject.map(map).and_then(|m| m.data.as_ref());
                let size = data.map_or(0, |d| d.image.len() as i128);
                if mode.writes() && data.is_some_and(|d| d.read_only) {
                    (ObligationKind::MapBounds, Status::Refuted, "write to read-only global data".to_owned())
                } else {
                    let status = bounds_status(lo, hi, 0, size - len_i);
                    (
                        ObligationKind::MapBounds,
                        status,
                        format!("offsets [{lo}, {hi}] + {len} of {size} bytes of global data"),
                    )
                }
            }
            Region::Record { size, .. } => {
                let size = i128::from(size);
                let status = bounds_status(lo, hi, 0, size - len_i);
                (ObligationKind::MemoryBounds, status, format!("offsets [{lo}, {hi}] + {len} of a {size}-byte record"))
            }
            Region::Kernel { kind: KernelKind::Item { kind, .. }, .. } => {
                let size = i128::from(kind.item_size());
                let status = if mode.writes() { Status::Refuted } else { bounds_status(lo, hi, 0, size - len_i) };
                (
                    ObligationKind::MemoryBounds,
                    status,
                    format!("offsets [{lo}, {hi}] + {len} of a read-only {size}-byte item"),
                )
            }
            Region::Kernel { kind: KernelKind::Object(object), .. } => (
                ObligationKind::Dereference,
                Status::Unknown,
                format!("the layout of {} is not modelled", object.name()),
            ),
            Region::JumpTable(table) => {
                let entries = self.subject.program.jump_tables().get(table.0 as usize).map_or(0, |t| t.targets.len());
                let size = 8 * entries as i128;
                let status = if mode.writes() { Status::Refuted } else { bounds_status(lo, hi, 0, size - len_i) };
                (
                    ObligationKind::GotoxTarget,
                    status,
                    format!("jump-table offsets [{lo}, {hi}] + {len} of {size} bytes"),
                )
            }
            Region::Packet => self.packet_bounds(state, &pointer, off, lo, hi, len_i, mode),
            Region::PacketMeta => self.packet_meta_bounds(state, lo, hi, len_i, mode),
            Region::PacketEnd => {
                (ObligationKind::PacketBounds, Status::Refuted, format!("{} is not dereferenceable", pointer.region))
            }
            Region::MapHandle(_) => {
                (ObligationKind::Dereference, Status::Refuted, "a map handle is not dereferenceable".to_owned())
            }
            Region::Context if pointer.offset.as_constant() != Some(0) => (
                ObligationKind::CtxAccess,
                Status::Refuted,
                "a modified context pointer is dereferenced (the offset belongs in the instruction)".to_owned(),
            ),
            Region::Context => self.context_access(&starts, lo, hi, len, mode, signed),
            Region::Socket { .. } if pointer.offset.as_constant() != Some(0) => {
                (ObligationKind::CtxAccess, Status::Refuted, "a modified socket pointer is dereferenced".to_owned())
            }
            Region::Socket { view, .. } => self.layout_access(view.layout(), &starts, lo, hi, len, mode, signed),
            // Unlike a socket, a BTF pointer may be moved (its field is then at the moved
            // offset): `starts` already holds the pointer's offset.
            Region::BtfStruct(structure) => self.layout_access(structure.layout(), &starts, lo, hi, len, mode, signed),
            Region::AttachedBuffer { buffer, writable } => attached_buffer_access(buffer, writable, lo, hi, len, mode),
            Region::Block { size } => {
                let size = i128::from(size);
                let status = bounds_status(lo, hi, 0, size - len_i);
                (ObligationKind::MemoryBounds, status, format!("offsets [{lo}, {hi}] + {len} of a {size}-byte block"))
            }
        };
        post.check(kind, status, detail);
        Some(Access { pointer, starts })
    }

    /// An access of `len` bytes at offsets `[lo, hi]` of a value of one of `maps`: it must
    /// be allowed and in bounds for every member (the pointer may point into any of them).
    /// A data section in a set of several is not followed (its writes change global
    /// values, which need the one section they change).
    fn map_value_bounds(
        &self,
        maps: MapSet,
        lo: i128,
        hi: i128,
        len: u64,
        mode: Mode,
    ) -> (ObligationKind, Status, String) {
        let mut proven = true;
        let mut refuted = true;
        let mut why = Vec::new();
        for map in maps.iter() {
            let info = self.subject.map(map);
            let size = info.map_or(0, |m| i128::from(m.value_size));
            let access = info.map_or(ProgramAccess { read: false, write: false }, |m| m.access);
            let name = info.map_or("?", |m| m.name.as_str());
            let status = if mode.reads() && !access.read {
                why.push(format!("read from map `{name}` forbidden (BPF_F_WRONLY_PROG)"));
                Status::Refuted
            } else if mode.writes() && !access.write {
                why.push(format!("write into map `{name}` forbidden (read-only for programs)"));
                Status::Refuted
            } else if maps.single().is_none() && info.is_some_and(|m| m.data.is_some()) {
                why.push(format!("`{name}` is a data section in a set of maps"));
                Status::Unknown
            } else if let Some(lock) = info.and_then(|m| m.spin_lock).map(i128::from)
                && lo < lock + SPIN_LOCK_BYTES
                && hi + i128::from(len) > lock
            {
                // The kernel lets only bpf_spin_lock/unlock touch the lock.
                why.push(format!("the bpf_spin_lock of `{name}` (offset {lock}) is accessed directly"));
                let surely = lo == hi || (hi < lock + SPIN_LOCK_BYTES && lo + i128::from(len) > lock);
                if surely { Status::Refuted } else { Status::Unknown }
            } else {
                let status = bounds_status(lo, hi, 0, size - i128::from(len));
                if status != Status::Proven {
                    why.push(format!("offsets [{lo}, {hi}] + {len} of `{name}`'s {size}-byte value"));
                }
                status
            };
            proven &= status == Status::Proven;
            refuted &= status == Status::Refuted;
        }
        let detail =
            if proven { format!("offsets [{lo}, {hi}] + {len} of the value of map(s) {maps}") } else { why.join("; ") };
        (ObligationKind::MapBounds, Status::decide(proven, refuted), detail)
    }

    #[allow(clippy::too_many_arguments)]
    fn packet_bounds(
        &self,
        state: &State,
        p: &Pointer,
        off: i64,
        lo: i128,
        hi: i128,
        len: i128,
        mode: Mode,
    ) -> (ObligationKind, Status, String) {
        if mode.writes() && !self.packet_writes() {
            return (ObligationKind::PacketBounds, Status::Refuted, "the program type may not write the packet".into());
        }
        let below = lo < 0;
        let proven_by_len = hi + len <= i128::from(state.packet.min_len);
        let proven_by_var = p.var.is_some_and(|v| {
            state
                .packet
                .ranges
                .get(&v.id)
                .is_some_and(|&range| i128::from(v.fixed) + i128::from(off) + len <= i128::from(range))
        });
        let status = Status::decide(!below && (proven_by_len || proven_by_var), hi < 0);
        let known = match p.var.and_then(|v| state.packet.ranges.get(&v.id).map(|r| (v, r))) {
            Some((v, r)) => format!("; len >= base{} + {r}, pointer at base{} + {}", v.id, v.id, v.fixed),
            None => String::new(),
        };
        (
            ObligationKind::PacketBounds,
            status,
            format!("packet offsets [{lo}, {hi}] + {len}, len >= {}{known}", state.packet.min_len),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn context_access(
        &self,
        starts: &Num,
        lo: i128,
        hi: i128,
        len: u64,
        mode: Mode,
        signed: bool,
    ) -> (ObligationKind, Status, String) {
        match self.subject.spec.context {
            ContextSpec::Raw { size: ctx_size } => {
                if mode.writes() {
                    return (ObligationKind::CtxAccess, Status::Refuted, "the context is read-only".into());
                }
                let status = bounds_status(lo, hi, 0, i128::from(ctx_size) - i128::from(len));
                (ObligationKind::CtxAccess, status, format!("context offsets [{lo}, {hi}] + {len} of {ctx_size}"))
            }
            ContextSpec::NotModelled { structure } => {
                (ObligationKind::CtxAccess, Status::Refuted, format!("the {structure} context is not modelled yet"))
            }
            ContextSpec::Layout(layout) => self.layout_access(layout, starts, lo, hi, len, mode, signed),
        }
    }

    /// An access of `len` bytes at offsets `starts` (in `lo..=hi`) of a virtual structure
    /// with `layout`, by its field rules.
    #[allow(clippy::too_many_arguments)]
    fn layout_access(
        &self,
        layout: &ContextLayout,
        starts: &Num,
        lo: i128,
        hi: i128,
        len: u64,
        mode: Mode,
        signed: bool,
    ) -> (ObligationKind, Status, String) {
        let Some(offsets) = candidates(starts) else {
            return (ObligationKind::CtxAccess, Status::Unknown, format!("{} offset in [{lo}, {hi}]", layout.name));
        };
        let len32 = u32::try_from(len).unwrap_or(0);
        let verdict = |offset: i64| match mode {
            _ if Size::from_bytes(len32).is_none() => Err("no access of this size".to_owned()),
            Mode::Read => loadable_field(layout, offset, len32, signed).map(|_| ()).map_err(|r| r.to_string()),
            _ => storable_field(layout, offset, len32).map(|_| ()).map_err(|r| r.to_string()),
        };
        let verdicts: Vec<Result<(), String>> = offsets.iter().map(|&o| verdict(o)).collect();
        let good = verdicts.iter().filter(|v| v.is_ok()).count();
        let status = Status::decide(good == offsets.len(), good == 0);
        let why = verdicts.into_iter().find_map(Result::err).map(|why| format!(" ({why})")).unwrap_or_default();
        let access = if mode == Mode::Read { "reads" } else { "writes" };
        (
            ObligationKind::CtxAccess,
            status,
            format!(
                "{good} of {} offsets in [{lo}, {hi}] are permitted {len}-byte {access} of {} ({}){why}",
                offsets.len(),
                layout.name,
                layout.flavour,
            ),
        )
    }

    /// Whether the program may write the bytes its packet pointers delimit.
    pub(super) fn packet_writes(&self) -> bool {
        match self.subject.spec.context {
            ContextSpec::Layout(layout) => layout.packet_writes,
            ContextSpec::Raw { .. } | ContextSpec::NotModelled { .. } => false,
        }
    }

    /// `dst = *(size *)(src + off)`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn load(
        &self,
        post: &mut Post,
        state: &State,
        pc: usize,
        src: Reg,
        off: i16,
        size: Size,
        signed: bool,
    ) -> Value {
        let len = size.bytes();
        if let Some(value) = self.arena_load(post, state, src, size, signed) {
            return value;
        }
        let Some(access) = self.access(post, state, src, off, len, Mode::Read, signed) else {
            return any_bytes(self.domain, len);
        };
        let value = match access.pointer.region {
            Region::Stack { frame } => self.stack_load(post, state, frame, &access.starts, len),
            Region::Context => match self.subject.spec.context {
                ContextSpec::Layout(layout) => self.layout_load(layout, &access.starts, pc, len, size, signed),
                _ => any_bytes(self.domain, len),
            },
            Region::BtfStruct(structure) => self.layout_load(structure.layout(), &access.starts, pc, len, size, signed),
            Region::GlobalData(map) => match candidates(&access.starts) {
                Some(offsets) if !offsets.is_empty() => offsets
                    .iter()
                    .filter(|&&o| o >= 0)
                    .map(|&o| self.globals.load(map, o as u64, len, self.domain))
                    .reduce(|a, b| a.join(&b, self.domain))
                    .unwrap_or_else(|| any_bytes(self.domain, len)),
                _ => any_bytes(self.domain, len),
            },
            Region::JumpTable(table) => {
                let aligned = access.starts.known_bits().is_some_and(|k| k.low_bits_zero(3));
                if len == 8 && aligned {
                    let index = access.starts.binary(BinOp::Rsh, Width::W64, &self.domain.constant(&3));
                    Value::Code(CodeAddress { table, index })
                } else {
                    any_bytes(self.domain, len)
                }
            }
            _ => any_bytes(self.domain, len),
        };
        loaded(value, size, signed)
    }

    fn stack_load(&self, post: &mut Post, state: &State, frame: u8, starts: &Num, len: u32) -> Value {
        let Some(frame_state) = state.frame(frame) else { return any_bytes(self.domain, len) };
        let offsets = candidates(starts).unwrap_or_default();
        let in_frame: Vec<i64> =
            offsets.into_iter().filter(|&o| o >= -FRAME_BYTES && o + i64::from(len) <= 0).collect();
        if in_frame.is_empty() {
            return any_bytes(self.domain, len);
        }
        let reads: Vec<Option<Value>> =
            in_frame.iter().map(|&o| frame_state.read(o as i16, len, self.domain)).collect();
        let partial_pointer = in_frame.iter().any(|&o| frame_state.reads_part_of_address(o as i16, len));
        self.check_partial_fill_leak(post, partial_pointer);
        if partial_pointer && starts.as_constant().is_some() {
            // The kernel refuses, for every loader, a fixed-offset fill of part of a spilled
            // pointer ("invalid size of register fill"); the bytes themselves are readable.
            post.check(
                ObligationKind::Policy,
                Status::Refuted,
                "invalid size of register fill: part of a spilled address",
            );
        }
        let initialised = reads.iter().filter(|r| r.is_some()).count();
        let (status, detail) = if initialised == reads.len() {
            (
                Status::Proven,
                format!("{initialised} of {} possible {len}-byte reads of stack{frame} are initialised", reads.len()),
            )
        } else if self.privilege.allows_uninitialised_stack() {
            (
                Status::Proven,
                format!("{len}-byte read of stack{frame} may read unwritten bytes: any value (privileged)"),
            )
        } else {
            (
                Status::Unknown,
                format!("{initialised} of {} possible {len}-byte reads of stack{frame} are initialised", reads.len()),
            )
        };
        post.check(ObligationKind::UninitStack, status, detail);
        reads
            .into_iter()
            .map(|r| r.unwrap_or_else(|| any_bytes(self.domain, len)))
            .reduce(|a, b| a.join(&b, self.domain))
            .unwrap_or_else(|| any_bytes(self.domain, len))
    }

    /// What a load at `pc` of `len` bytes at offsets `starts` of a structure read with
    /// `layout`'s rules (the context, or a described BTF structure) gives.
    #[allow(clippy::too_many_arguments)]
    fn layout_load(
        &self,
        layout: &'static ContextLayout,
        starts: &Num,
        pc: usize,
        len: u32,
        size: Size,
        signed: bool,
    ) -> Value {
        let values = candidates(starts).unwrap_or_default().into_iter().filter_map(|o| {
            let field = loadable_field(layout, o, size.bytes(), signed).ok()?;
            let null =
                |nullable| if nullable { Nullness::MaybeNull { id: Some(pc as u32) } } else { Nullness::NonNull };
            let at = |region, nullable| {
                Value::Pointer(Pointer { null: null(nullable), ..Pointer::at(region, self.domain, 0) })
            };
            Some(match field.kind {
                FieldKind::PacketPointer(PacketEdge::Start) => at(Region::Packet, false),
                FieldKind::PacketPointer(PacketEdge::End) => at(Region::PacketEnd, false),
                FieldKind::PacketPointer(PacketEdge::Meta) => at(Region::PacketMeta, false),
                FieldKind::Struct { target, nullable } => match socket_region(target) {
                    Some(region) => at(region, nullable),
                    None => match BtfStruct::of_layout(target) {
                        Some(structure) => at(Region::BtfStruct(structure), nullable),
                        None => Value::top(self.domain),
                    },
                },
                FieldKind::Block { size } => at(Region::Block { size }, false),
                // Lent by the kernel for the call, not acquired: the region's pc (the load)
                // is one no reference is ever held for, so releasing it is refused.
                FieldKind::Object { kind, nullable } => Value::Pointer(Pointer {
                    null: null(nullable),
                    object: Some(pc as u32),
                    ..Pointer::at(Region::Kernel { pc: pc as u32, kind: KernelKind::Object(kind) }, self.domain, 0)
                }),
                FieldKind::AttachedBuffer { buffer, nullable, writable } => {
                    at(Region::AttachedBuffer { buffer, writable }, nullable)
                }
                FieldKind::Opaque => Value::top(self.domain),
                FieldKind::Value => any_bytes(self.domain, len),
            })
        });
        values.reduce(|a, b| a.join(&b, self.domain)).unwrap_or_else(|| any_bytes(self.domain, len))
    }

    /// `*(size *)(dst + off) = value`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn store(
        &self,
        post: &mut Post,
        state: &mut State,
        _pc: usize,
        dst: Reg,
        off: i16,
        size: Size,
        value: Value,
    ) {
        let len = size.bytes();
        if self.arena_store(post, state, dst) {
            return;
        }
        let Some(access) = self.access(post, state, dst, off, len, Mode::Write, false) else { return };
        let value = self.arena_pointer_stored(post, value, matches!(access.pointer.region, Region::Stack { .. }));
        self.check_store_leak(post, access.pointer.region, &value);
        self.write_memory(post, state, &access, len, value);
    }

    /// The global data section `region` lies in: its own region, or the value of its map
    /// (a `map_lookup_elem` of a data section's map gives the section itself).
    pub(super) fn data_section_of(&self, region: Region) -> Option<MapId> {
        match region {
            Region::GlobalData(map) => Some(map),
            Region::MapValue(maps) => {
                maps.single().filter(|&map| self.subject.map(map).is_some_and(|m| m.data.is_some()))
            }
            _ => None,
        }
    }

    /// The effect of writing `value` through a checked access.
    fn write_memory(&self, post: &mut Post, state: &mut State, access: &Access, len: u32, value: Value) {
        if let Some(map) = self.data_section_of(access.pointer.region) {
            self.write_global(post, map, access, len, value);
            return;
        }
        let Region::Stack { frame } = access.pointer.region else { return };
        let Some((lo, hi)) = access.starts.signed_bounds() else { return };
        let lo = lo.max(-FRAME_BYTES);
        let hi = hi.min(-i64::from(len));
        if lo > hi {
            return;
        }
        let domain = self.domain;
        if let Some(frame_state) = state.frame_mut(frame) {
            if lo == hi {
                frame_state.write(lo as i16, len, value, domain);
            } else {
                frame_state.smear(lo as i16, (hi - lo) as u32 + len, domain);
            }
        }
    }

    /// Records a store of `value` into global data section `map`.
    fn write_global(&self, post: &mut Post, map: MapId, access: &Access, len: u32, value: Value) {
        let offsets: Vec<u64> = match candidates(&access.starts) {
            Some(offsets) => offsets.into_iter().filter(|&o| o >= 0).map(|o| o as u64).collect(),
            None => {
                let size = self.subject.map(map).and_then(|m| m.data.as_ref()).map_or(0, |d| d.image.len() as u64);
                (0..size).step_by(8).collect()
            }
        };
        let single = matches!(&offsets[..], [_]);
        let value = if single { value } else { Value::top(self.domain) };
        post.global_stores.push(GlobalStore { map, offsets, len, value });
    }

    /// Atomic read-modify-write.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn atomic(
        &self,
        post: &mut Post,
        state: &mut State,
        _pc: usize,
        size: Size,
        op: AtomicOp,
        fetch: bool,
        dst: Reg,
        off: i16,
        src: Reg,
    ) {
        let len = size.bytes();
        let operand = state.reg(src).clone();
        if self.check_arena_atomic(post, state, dst, src) {
            self.atomic_results(state, op, fetch, src, any_bytes(self.domain, len));
            return;
        }
        if let Value::Pointer(p) = state.reg(dst)
            && matches!(p.region, Region::Context)
        {
            post.check(ObligationKind::CtxAccess, Status::Refuted, "atomic operation on the context");
            self.atomic_results(state, op, fetch, src, any_bytes(self.domain, len));
            return;
        }
        let Some(access) = self.access(post, state, dst, off, len, Mode::ReadWrite, false) else {
            self.atomic_results(state, op, fetch, src, any_bytes(self.domain, len));
            return;
        };
        self.check_store_leak(post, access.pointer.region, &operand);
        let old = match access.pointer.region {
            Region::Stack { frame } => self.stack_load(post, state, frame, &access.starts, len),
            _ => any_bytes(self.domain, len),
        };
        let width = if size == Size::DW { Width::W64 } else { Width::W32 };
        let new = match (&old, &operand, op) {
            (_, _, AtomicOp::Xchg) => operand.clone(),
            (_, _, AtomicOp::CmpXchg) => old.join(&operand, self.domain),
            (Value::Scalar(a), Value::Scalar(b), _) => {
                let binop = match op {
                    AtomicOp::Add => BinOp::Add,
                    AtomicOp::Or => BinOp::Or,
                    AtomicOp::And => BinOp::And,
                    _ => BinOp::Xor,
                };
                Value::Scalar(a.binary(binop, width, b))
            }
            _ => any_bytes(self.domain, len),
        };
        self.write_memory(post, state, &access, len, new);
        self.atomic_results(state, op, fetch, src, old);
    }

    /// The registers an atomic writes: the old value into `src` (fetching forms) or `r0`
    /// (compare-and-exchange).
    fn atomic_results(&self, state: &mut State, op: AtomicOp, fetch: bool, src: Reg, old: Value) {
        match op {
            AtomicOp::CmpXchg => state.set(Reg::R0, old),
            _ if fetch || op == AtomicOp::Xchg => state.set(src, old),
            _ => {}
        }
    }

    /// Legacy packet loads into `r0` (the kernel checks them at run time).
    pub(super) fn load_packet(&self, post: &mut Post, state: &mut State, size: Size, addr: PacketAddr, _imm: i32) {
        let program_type = self.subject.spec.program_type;
        let allowed = program_type.legacy_packet_loads();
        let status = if allowed { Status::Proven } else { Status::Refuted };
        post.check(
            ObligationKind::PacketBounds,
            status,
            format!("legacy packet load in a {program_type} program, bounds-checked at run time"),
        );
        let r6_is_context = matches!(
            state.reg(Reg::R6),
            Value::Pointer(p) if p.region == Region::Context && p.offset.as_constant() == Some(0)
        );
        let status = if r6_is_context { Status::Proven } else { Status::Refuted };
        post.check(ObligationKind::CtxAccess, status, "a legacy packet load reads the packet of the context in r6");
        self.check_nothing_held(post, state, "a legacy packet load");
        if let PacketAddr::Ind(reg) = addr
            && !matches!(state.reg(reg), Value::Scalar(_))
        {
            post.check(ObligationKind::Dereference, Status::Refuted, format!("ldind offset {reg} is not a number"));
        }
        for reg in [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5] {
            state.set(reg, Value::Uninit);
        }
        state.set(Reg::R0, any_bytes(self.domain, size.bytes()));
    }
}
