//! Program types and their contexts: which context a program gets (chosen from its ELF
//! section name, as libbpf does) and how its loads and stores of context fields behave.
//!
//! Two kinds of context:
//! - **Virtual contexts** (`xdp_md`, `__sk_buff`, `bpf_sock`, `bpf_sockopt`, ...) are
//!   *virtual*, as in Linux, where the verifier rewrites every context access into a load of
//!   the kernel's own structure. Their region holds the UAPI structure's bytes but allows no
//!   direct access; the interpreter's cold fault path hands every refused access of it to
//!   [`load`]/[`store`], which apply the rules of its [`ContextLayout`]
//!   ([`loadable_field`]/[`storable_field`], shared with the analyzer). A load of a packet
//!   pointer (`data`, `data_end`, `data_meta`, `optval`, ...) yields the full 64-bit address
//!   of the buffer byte at the offset the field stores (so `r2 = *(u32 *)(r1 + 0)` gives a
//!   usable packet pointer); the buffer is the run's input (packet, message, option value),
//!   writable when the layout allows packet writes. A load of a pointer to another structure
//!   (`__sk_buff.sk`) yields the base of a further virtual region with that structure's
//!   rules, or 0 when the field is NULL; a block pointer (`flow_keys`) the base of a plain
//!   read-write region; an opaque kernel pointer an address in no region. Anything the rules
//!   refuse faults, naming the field ([`FaultReason::ContextField`]).
//! - **Raw contexts** (kprobe `pt_regs`, tracepoint records) are plain read-only regions.
//!
//! The fast path of loads and stores never looks at any of this: it refuses the virtual
//! region like any inaccessible one, and only then does the machine ask [`load`]/[`store`].

use super::memory::{Access, FaultReason, Memory, MemoryError, MemoryFault, RegionId, RegionKind, region_base};
use crate::alu;
use crate::isa::Size;
pub use crate::model::context::*;
pub use crate::model::program_type::ProgramType;
use FieldInit::PacketLen;

/// The address an opaque kernel pointer field loads as: in no region, so that a
/// dereference faults.
pub const OPAQUE_POINTER: u64 = 0xffff_8880_0000_0000;

/// Most pointer fields (to structures or blocks) one context has.
pub const MAX_POINTEES: usize = 4;

impl ContextLayout {
    /// The fields a run may choose the value of ([`RunInput::fields`]): every plain field
    /// except those holding the buffer's length, and the nullable pointers to structures (0
    /// makes them NULL). Packet pointers are derived from the buffer and cannot be chosen.
    pub fn choosable_fields(&self) -> impl Iterator<Item = &'static ContextField> + use<> {
        let fields: &'static [ContextField] = self.fields;
        fields.iter().filter(|f| choosable(f).is_ok())
    }

    /// The byte offset of the 4-byte word `selector` names, if a run may choose its value:
    /// a name selects a field of at most 4 bytes (or a nullable structure pointer), an offset
    /// any aligned word of a choosable field (so the words of `remote_ip6` are chosen by
    /// offset).
    pub fn choosable_word(&self, selector: &FieldSelector) -> Result<u32, ContextError> {
        let context = self.name;
        let field = match selector {
            FieldSelector::Name(name) => self.field_named(name),
            FieldSelector::Offset(offset) => self.field_at(u64::from(*offset)),
        };
        let Some(field) = field else {
            return Err(ContextError::UnknownField { context, field: selector.to_string() });
        };
        let fixed = |why| Err(ContextError::FixedField { context, field: field.name, why });
        if let Err(why) = choosable(field) {
            return fixed(why);
        }
        let is_pointer = field.kind.is_pointer();
        match selector {
            FieldSelector::Name(_) if field.size > 4 && !is_pointer => {
                fixed("it is wider than 4 bytes; choose its words by offset")
            }
            FieldSelector::Name(_) => Ok(field.offset),
            FieldSelector::Offset(offset) if (offset - field.offset) % 4 != 0 => {
                fixed("the offset is not that of one of its 4-byte words")
            }
            FieldSelector::Offset(offset) => Ok(*offset),
        }
    }

    /// The structure's initial bytes for `packet`, with the words `fields` names set to
    /// their values (later settings of a word win; a word reaching past its field sets only
    /// the field's bytes).
    pub fn initial_bytes_with(&self, packet: &[u8], fields: &[(FieldSelector, u32)]) -> Result<Vec<u8>, ContextError> {
        let mut bytes = self.initial_bytes(packet);
        for (selector, value) in fields {
            let start = self.choosable_word(selector)?;
            let field = self.field_at(u64::from(start)).expect("a choosable word lies in a field");
            let len = (field.offset + field.size - start).min(4) as usize;
            let start = start as usize;
            bytes[start..start + len].copy_from_slice(&value.to_le_bytes()[..len]);
        }
        Ok(bytes)
    }
}

/// Whether a run may choose `field`'s value, or why not.
fn choosable(field: &ContextField) -> Result<(), &'static str> {
    match field.kind {
        FieldKind::PacketPointer(_) => Err("it points into the packet"),
        FieldKind::Struct { nullable: true, .. } => Ok(()),
        FieldKind::Struct { .. } | FieldKind::Block { .. } | FieldKind::Opaque => Err("it is never NULL"),
        FieldKind::Object { .. } | FieldKind::AttachedBuffer { .. } => Err("it points to what an iterator visits"),
        FieldKind::Value if field.init == PacketLen => Err("it is the packet's length"),
        FieldKind::Value => Ok(()),
    }
}

/// What one run starts from: the packet (virtual contexts) or the context's bytes (raw
/// ones), and, for virtual contexts, the values of context fields a run chooses instead of
/// the defaults of [`FieldInit`] (`mark`, `rx_queue_index`, `hash`, `sk` = 0 for NULL, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RunInput {
    /// The packet, or the raw context's bytes.
    pub bytes: Vec<u8>,
    /// Chosen context words, applied in order (see [`ContextLayout::choosable_word`]).
    pub fields: Vec<(FieldSelector, u32)>,
}

impl RunInput {
    /// An input of `bytes` with every field at its default.
    pub fn new(bytes: impl Into<Vec<u8>>) -> RunInput {
        RunInput { bytes: bytes.into(), fields: Vec::new() }
    }

    /// The same input with `field` set to `value`.
    pub fn with_field(mut self, field: impl Into<FieldSelector>, value: u32) -> RunInput {
        self.fields.push((field.into(), value));
        self
    }
}

/// A virtual context region of a memory: where it is, which packet its pointers point
/// into, and whose rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextView {
    /// The context region (inaccessible to the fast path).
    pub region: RegionId,
    /// The packet region.
    pub packet: RegionId,
    /// Its layout.
    pub layout: &'static ContextLayout,
    /// The program type.
    pub program_type: ProgramType,
    /// The regions its pointer fields point to, by field offset.
    pub pointees: [Option<(u32, RegionId)>; MAX_POINTEES],
}

impl ContextView {
    /// The region the pointer field at `offset` points to.
    fn pointee(&self, offset: u32) -> Option<RegionId> {
        self.pointees.iter().flatten().find(|(o, _)| *o == offset).map(|&(_, region)| region)
    }
}

/// A virtual structure a context field points to (`__sk_buff.sk`): read with its layout's
/// rules, through its base only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StructView {
    /// Its region (inaccessible to the fast path).
    pub region: RegionId,
    /// Its layout.
    pub layout: &'static ContextLayout,
}

/// The regions a run's input became.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstalledContext {
    /// The context region; `r1` holds its base.
    pub context: RegionId,
    /// The packet region, for virtual contexts.
    pub packet: Option<RegionId>,
    /// The regions the context's pointer fields point to.
    pub pointees: [Option<RegionId>; MAX_POINTEES],
}

/// Why a run's input cannot become a context.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The input is larger than the program type's fixed context.
    #[error("{program_type} context is {size} bytes; the input has {len}")]
    TooLong {
        /// The program type.
        program_type: ProgramType,
        /// Its context size.
        size: usize,
        /// The input's length.
        len: usize,
    },
    /// The program type's context structure is not modelled, so no run can give it one.
    #[error("{program_type} programs get a {structure} context, which is not modelled yet")]
    NotModelled {
        /// The program type.
        program_type: ProgramType,
        /// The kernel structure it would get.
        structure: &'static str,
    },
    /// The regions could not be added.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// A chosen field that the context does not have.
    #[error("{context} has no field {field}")]
    UnknownField {
        /// The context structure.
        context: &'static str,
        /// The selector, as given.
        field: String,
    },
    /// A chosen field whose value a run cannot choose.
    #[error("{context}.{field} cannot be chosen: {why}")]
    FixedField {
        /// The context structure.
        context: &'static str,
        /// The field.
        field: &'static str,
        /// Why not.
        why: &'static str,
    },
    /// An iterator context asked of [`install`], which cannot make the kernel objects it
    /// points to: [`crate::interp::elf_run::ObjectRunner`] installs it.
    #[error("an iter/{target} context points to kernel objects: run the program with an object runner")]
    IteratorNeedsRunner {
        /// The attach target.
        target: &'static str,
    },
    /// A run of a map-element iterator without the iterated map's key and value sizes.
    #[error("iter/{target} visits a map's elements: give the iterated map's key and value sizes")]
    ElementSizesUnknown {
        /// The attach target.
        target: &'static str,
    },
    /// An element of the wrong length for the iterated map.
    #[error(
        "iter/{target} element is {len} bytes; the iterated map's key and value are {expected} (or none, for the call after the last element)"
    )]
    ElementLength {
        /// The attach target.
        target: &'static str,
        /// The input's length.
        len: usize,
        /// Key and value sizes together.
        expected: usize,
    },
    /// Chosen fields for a raw context, whose input is its bytes.
    #[error("{program_type} contexts are plain bytes: put the values in the input, not in fields")]
    RawContextFields {
        /// The program type.
        program_type: ProgramType,
    },
}

/// Adds the context (and packet) regions for a run of a `program_type` program on `input`
/// to `memory`: for virtual contexts `input` is the packet, otherwise the context's bytes.
/// The new context replaces any earlier virtual context; [`retire`] the earlier regions to
/// make them inaccessible.
pub fn install(memory: &mut Memory, program_type: ProgramType, input: &[u8]) -> Result<InstalledContext, ContextError> {
    install_with(memory, program_type, input, &[])
}

/// As [`install`], with the context words `fields` names set to their values (see
/// [`ContextLayout::choosable_word`]); only virtual contexts have fields. Nothing is added
/// to `memory` when a field cannot be set.
pub fn install_with(
    memory: &mut Memory,
    program_type: ProgramType,
    input: &[u8],
    fields: &[(FieldSelector, u32)],
) -> Result<InstalledContext, ContextError> {
    match program_type.context() {
        ContextKind::Packet(layout) => install_virtual(memory, program_type, layout, input, fields),
        ContextKind::Raw { size } => {
            if !fields.is_empty() {
                return Err(ContextError::RawContextFields { program_type });
            }
            memory.clear_context_view();
            let mut bytes = input.to_vec();
            if let Some(size) = size {
                if bytes.len() > size {
                    return Err(ContextError::TooLong { program_type, size, len: bytes.len() });
                }
                bytes.resize(size, 0);
            }
            let context = memory.add_region(RegionKind::Context, bytes, Access::ReadOnly)?;
            Ok(InstalledContext { context, packet: None, pointees: [None; MAX_POINTEES] })
        }
        ContextKind::Iterator(target) => Err(ContextError::IteratorNeedsRunner { target: target.name }),
        ContextKind::NotModelled { structure } => Err(ContextError::NotModelled { program_type, structure }),
    }
}

fn install_virtual(
    memory: &mut Memory,
    program_type: ProgramType,
    layout: &'static ContextLayout,
    input: &[u8],
    fields: &[(FieldSelector, u32)],
) -> Result<InstalledContext, ContextError> {
    let context_bytes = layout.initial_bytes_with(input, fields)?;
    memory.clear_context_view();
    let packet_access = if layout.packet_writes { Access::ReadWrite } else { Access::ReadOnly };
    let packet = memory.add_region(RegionKind::Packet, input.to_vec(), packet_access)?;
    let context = memory.add_region(RegionKind::Context, context_bytes, Access::None)?;
    let mut pointees = [None; MAX_POINTEES];
    let mut regions = [None; MAX_POINTEES];
    let pointer_fields =
        layout.fields.iter().filter(|f| matches!(f.kind, FieldKind::Struct { .. } | FieldKind::Block { .. }));
    for (slot, field) in pointer_fields.enumerate().take(MAX_POINTEES) {
        let region = match field.kind {
            FieldKind::Struct { target, .. } => {
                let region = memory.add_region(RegionKind::Other, target.initial_bytes(&[]), Access::None)?;
                memory.add_struct_view(StructView { region, layout: target });
                region
            }
            FieldKind::Block { size } => {
                memory.add_region(RegionKind::Other, vec![0; size as usize], Access::ReadWrite)?
            }
            _ => unreachable!("filtered to structure and block pointers"),
        };
        pointees[slot] = Some((field.offset, region));
        regions[slot] = Some(region);
    }
    memory.set_packet(packet);
    memory.set_context_view(ContextView { region: context, packet, layout, program_type, pointees });
    Ok(InstalledContext { context, packet: Some(packet), pointees: regions })
}

/// Makes the regions of an earlier run's context inaccessible.
pub fn retire(memory: &mut Memory, installed: InstalledContext) {
    memory.set_access(installed.context, Access::None);
    for region in installed.packet.into_iter().chain(installed.pointees.into_iter().flatten()) {
        memory.set_access(region, Access::None);
    }
}

/// The rules for `fault`'s region, if it was refused only for being a virtual structure:
/// the layout, and the context view when it is the context itself.
fn view_of(memory: &Memory, fault: &MemoryFault) -> Option<(&'static ContextLayout, Option<ContextView>)> {
    let region = fault.region.map(|r| r.id)?;
    if let Some(view) = memory.context_view().filter(|v| v.region == region) {
        return Some((view.layout, Some(*view)));
    }
    memory.struct_view(region).map(|v| (v.layout, None))
}

/// The fault reason for a refused context access.
fn reason_of(refusal: Refusal) -> FaultReason {
    match refusal {
        Refusal::OutOfBounds => FaultReason::OutOfBounds,
        other => FaultReason::ContextField(other),
    }
}

/// `fault` with a new reason.
fn refused(mut fault: MemoryFault, reason: FaultReason) -> MemoryFault {
    fault.reason = reason;
    fault
}

/// Completes a load the fast path refused with `fault`: the register value of a load of
/// `size` (sign-extended if `signed`) through base register value `base` from a virtual
/// context, or the fault to raise.
#[cold]
#[inline(never)]
pub fn load(memory: &Memory, fault: MemoryFault, base: u64, size: Size, signed: bool) -> Result<u64, MemoryFault> {
    let Some((layout, view)) = view_of(memory, &fault) else { return Err(fault) };
    let region_id = fault.region.expect("view_of found a region").id;
    if base != region_base(region_id) {
        return Err(refused(fault, FaultReason::ModifiedContextPointer));
    }
    let field = match loadable_field(layout, fault.offset, size.bytes(), signed) {
        Ok(field) => field,
        Err(refusal) => return Err(refused(fault, reason_of(refusal))),
    };
    let len = size.bytes() as usize;
    let region = memory.region(region_id).expect("a view names a region of its memory");
    let start = fault.offset as usize;
    let mut buffer = [0u8; 8];
    buffer[..len].copy_from_slice(&region.bytes()[start..start + len]);
    let raw = u64::from_le_bytes(buffer);
    let pointee = || view.and_then(|v| v.pointee(field.offset)).map_or(OPAQUE_POINTER, region_base);
    Ok(match field.kind {
        FieldKind::Value => alu::extend_load(&raw, size, signed),
        FieldKind::PacketPointer(_) => match view {
            Some(view) => region_base(view.packet).wrapping_add(raw),
            None => OPAQUE_POINTER,
        },
        FieldKind::Struct { nullable: true, .. } if raw == 0 => 0,
        FieldKind::Struct { .. } | FieldKind::Block { .. } => pointee(),
        // Only iterator contexts have these, and they are plain memory (`iter_context`).
        FieldKind::Opaque | FieldKind::Object { .. } | FieldKind::AttachedBuffer { .. } => OPAQUE_POINTER,
    })
}

/// Completes a store the fast path refused with `fault`: writes the low `size` bytes of
/// `value` through base register value `base` to a writable field of a virtual context, or
/// returns the fault to raise.
#[cold]
#[inline(never)]
pub fn store(memory: &mut Memory, fault: MemoryFault, base: u64, size: Size, value: u64) -> Result<(), MemoryFault> {
    let Some((layout, _)) = view_of(memory, &fault) else { return Err(fault) };
    let region_id = fault.region.expect("view_of found a region").id;
    if base != region_base(region_id) {
        return Err(refused(fault, FaultReason::ModifiedContextPointer));
    }
    if let Err(refusal) = storable_field(layout, fault.offset, size.bytes()) {
        return Err(refused(fault, reason_of(refusal)));
    }
    let len = size.bytes() as usize;
    let region = memory.region_mut(region_id).expect("a view names a region of its memory");
    let start = fault.offset as usize;
    region.bytes_mut()[start..start + len].copy_from_slice(&value.to_le_bytes()[..len]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::memory::AccessKind;

    #[test]
    fn sections_select_program_types_like_libbpf() {
        let cases = [
            ("xdp", Some(ProgramType::Xdp)),
            ("xdp/devmap", Some(ProgramType::XdpDevmap)),
            ("xdp.frags", Some(ProgramType::Xdp)),
            ("xdpfoo", None),
            ("tc", Some(ProgramType::SchedCls)),
            ("tc/ingress", Some(ProgramType::SchedCls)),
            ("classifier", Some(ProgramType::SchedCls)),
            ("action", Some(ProgramType::SchedAct)),
            ("socket", Some(ProgramType::SocketFilter)),
            ("socket/1", Some(ProgramType::SocketFilter)),
            ("kprobe/do_sys_openat2", Some(ProgramType::Kprobe)),
            ("kretprobe/tcp_sendmsg", Some(ProgramType::Kprobe)),
            ("tracepoint/syscalls/sys_enter_execve", Some(ProgramType::Tracepoint)),
            ("tp/sched/sched_switch", Some(ProgramType::Tracepoint)),
            ("raw_tp/sys_enter", Some(ProgramType::RawTracepoint)),
            (".text", None),
            ("license", None),
        ];
        for (section, expected) in cases {
            assert_eq!(ProgramType::of_section(section), expected, "{section}");
        }
    }

    #[test]
    fn layouts_are_sorted_disjoint_and_inside_the_structure() {
        for layout in [&XDP_MD, &SK_BUFF] {
            let mut end = 0;
            for field in layout.fields {
                assert!(field.offset >= end, "{}.{} overlaps", layout.name, field.name);
                end = field.offset + field.size;
            }
            assert!(end <= layout.size, "{}", layout.name);
        }
    }

    fn installed(program_type: ProgramType, packet: &[u8]) -> (Memory, InstalledContext) {
        let mut memory = Memory::new();
        let installed = install(&mut memory, program_type, packet).expect("small regions");
        (memory, installed)
    }

    /// A load through the cold path, as the machine does it, with the whole offset in the
    /// instruction (the base register the region's start).
    fn ctx_load(memory: &Memory, address: u64, size: Size, signed: bool) -> Result<u64, MemoryFault> {
        match memory.load(address, size) {
            Ok(raw) => Ok(alu::extend_load(&raw, size, signed)),
            Err(fault) => {
                let base = address.wrapping_sub(fault.offset as u64);
                load(memory, fault, base, size, signed)
            }
        }
    }

    /// A load at `address` through base register value `base`.
    fn ctx_load_through(memory: &Memory, base: u64, address: u64, size: Size) -> Result<u64, MemoryFault> {
        match memory.load(address, size) {
            Ok(raw) => Ok(raw),
            Err(fault) => load(memory, fault, base, size, false),
        }
    }

    fn ctx_store(memory: &mut Memory, address: u64, size: Size, value: u64) -> Result<(), MemoryFault> {
        match memory.store(address, size, value) {
            Ok(()) => Ok(()),
            Err(fault) => {
                let base = address.wrapping_sub(fault.offset as u64);
                store(memory, fault, base, size, value)
            }
        }
    }

    #[test]
    fn xdp_pointer_fields_load_as_packet_addresses() {
        let (memory, ctx) = installed(ProgramType::Xdp, &[1, 2, 3, 4, 5]);
        let base = region_base(ctx.context);
        let packet = region_base(ctx.packet.expect("xdp has a packet"));
        assert_eq!(ctx_load(&memory, base, Size::W, false), Ok(packet));
        assert_eq!(ctx_load(&memory, base + 4, Size::W, false), Ok(packet + 5));
        assert_eq!(ctx_load(&memory, base + 8, Size::W, false), Ok(packet));
        assert_eq!(ctx_load(&memory, base + 12, Size::W, false), Ok(1));
        // Narrow, wide, signed and misplaced loads of xdp_md fields fault.
        for (offset, size, signed, refusal) in [
            (0, Size::H, false, Refusal::BadShape("data")),
            (0, Size::DW, false, Refusal::BadShape("data")),
            (0, Size::W, true, Refusal::SignedPointer("data")),
            (12, Size::B, false, Refusal::BadShape("ingress_ifindex")),
            (20, Size::W, false, Refusal::NotReadable("egress_ifindex")),
            (14, Size::W, false, Refusal::Misaligned),
        ] {
            let fault = ctx_load(&memory, base + offset, size, signed).expect_err("refused");
            assert_eq!(fault.reason, FaultReason::ContextField(refusal), "offset {offset} {size:?}");
            assert_eq!(fault.offset, offset as i64);
        }
        assert_eq!(ctx_load(&memory, base + 24, Size::W, false).map_err(|f| f.reason), Err(FaultReason::OutOfBounds));
        // Packet bytes are ordinary memory.
        assert_eq!(memory.load(packet + 4, Size::B), Ok(5));
    }

    #[test]
    fn xdp_md_is_read_only() {
        let (mut memory, ctx) = installed(ProgramType::Xdp, &[0; 4]);
        let fault = ctx_store(&mut memory, region_base(ctx.context) + 12, Size::W, 7).expect_err("read-only");
        let refusal = Refusal::NotWritable("ingress_ifindex");
        assert_eq!((fault.access, fault.reason), (AccessKind::Store, FaultReason::ContextField(refusal)));
        assert_eq!(fault.reason.to_string(), "context access refused: ingress_ifindex is not writable here");
    }

    #[test]
    fn sk_buff_fields_follow_the_program_type() {
        let mut packet = vec![0u8; 20];
        packet[12] = 0x08; // ETH_P_IP, big-endian on the wire
        let (mut memory, ctx) = installed(ProgramType::SchedCls, &packet);
        let base = region_base(ctx.context);
        assert_eq!(ctx_load(&memory, base, Size::W, false), Ok(20)); // len
        assert_eq!(ctx_load(&memory, base + 16, Size::W, false), Ok(0x0008)); // protocol
        assert_eq!(ctx_load(&memory, base + 16, Size::B, false), Ok(0x08)); // narrow
        ctx_store(&mut memory, base + 8, Size::W, 0xabcd).expect("tc writes mark");
        assert_eq!(ctx_load(&memory, base + 8, Size::H, false), Ok(0xabcd));
        assert!(ctx_store(&mut memory, base, Size::W, 1).is_err(), "len is read-only");
        let packet_base = region_base(ctx.packet.expect("tc has a packet"));
        assert_eq!(ctx_load(&memory, base + 80, Size::W, false), Ok(packet_base + 20));

        let (mut memory, ctx) = installed(ProgramType::SocketFilter, &packet);
        let base = region_base(ctx.context);
        assert!(ctx_store(&mut memory, base + 8, Size::W, 1).is_err(), "socket filters cannot write mark");
        ctx_store(&mut memory, base + 48, Size::W, 1).expect("cb is writable");
        let fault = ctx_load(&memory, base + 76, Size::W, false).expect_err("no direct packet access");
        assert_eq!(fault.reason, FaultReason::ContextField(Refusal::NotReadable("data")));
        let fault = ctx_load(&memory, base + 92, Size::W, false).expect_err("no socket fields");
        assert_eq!(fault.reason, FaultReason::ContextField(Refusal::NotReadable("remote_ip4")));
    }

    fn installed_layout(
        layout: &'static ContextLayout,
        input: &[u8],
        fields: &[(FieldSelector, u32)],
    ) -> (Memory, InstalledContext) {
        let mut memory = Memory::new();
        let installed =
            install_virtual(&mut memory, ProgramType::SchedCls, layout, input, fields).expect("small regions");
        (memory, installed)
    }

    #[test]
    fn sockopt_optval_is_the_input_and_writable() {
        let (mut memory, ctx) = installed_layout(&sockopt::GETSOCKOPT, &[1, 2, 3, 4], &[]);
        let base = region_base(ctx.context);
        let optval = ctx_load(&memory, base + 8, Size::DW, false).expect("optval");
        assert_eq!(ctx_load(&memory, base + 16, Size::DW, false), Ok(optval + 4));
        assert_eq!(memory.load(optval + 3, Size::B), Ok(4));
        memory.store(optval, Size::H, 0xffff).expect("getsockopt may write the option's value");
        assert!(memory.load(optval + 4, Size::B).is_err(), "optval_end is past the buffer");
        assert_eq!(ctx_load(&memory, base + 32, Size::W, false), Ok(4), "optlen is the buffer's length");
        ctx_store(&mut memory, base + 36, Size::W, 0).expect("getsockopt writes retval");
        let fault = ctx_load(&memory, base + 8, Size::W, false).expect_err("pointers load whole");
        assert_eq!(fault.reason, FaultReason::ContextField(Refusal::BadShape("optval")));
        let (mut memory, ctx) = installed_layout(&sockopt::SETSOCKOPT, &[0; 4], &[]);
        let fault = ctx_store(&mut memory, region_base(ctx.context) + 36, Size::W, 0).expect_err("no retval");
        assert_eq!(fault.reason, FaultReason::ContextField(Refusal::NotWritable("retval")));
    }

    #[test]
    fn socket_pointers_lead_to_read_only_sockets_or_null() {
        let (mut memory, ctx) = installed_layout(&sk_buff::TC, &[0; 20], &[]);
        let base = region_base(ctx.context);
        let sk = ctx_load(&memory, base + 168, Size::DW, false).expect("sk");
        assert_eq!(ctx_load(&memory, sk + 4, Size::W, false), Ok(2), "family: AF_INET");
        assert_eq!(ctx_load(&memory, sk + 48, Size::H, false), Ok(0x5000), "dst_port in network order");
        let fault = ctx_load(&memory, sk + 12, Size::W, false).expect_err("only the common part");
        assert_eq!(fault.reason, FaultReason::ContextField(Refusal::NotReadable("protocol")));
        let fault = ctx_store(&mut memory, sk + 4, Size::W, 0).expect_err("read-only");
        assert_eq!(fault.reason, FaultReason::ContextField(Refusal::NotWritable("family")));
        let fault = ctx_load_through(&memory, sk + 4, sk + 4, Size::W).expect_err("through its base only");
        assert_eq!(fault.reason, FaultReason::ModifiedContextPointer);
        let (memory, ctx) = installed_layout(&sk_buff::TC, &[0; 20], &[("sk".into(), 0)]);
        assert_eq!(ctx_load(&memory, region_base(ctx.context) + 168, Size::DW, false), Ok(0), "a chosen NULL");
        let error =
            install_virtual(&mut Memory::new(), ProgramType::SchedCls, &sockopt::GETSOCKOPT, &[], &[("sk".into(), 0)]);
        assert!(matches!(error, Err(ContextError::FixedField { field: "sk", .. })), "{error:?}");
    }

    #[test]
    fn flow_keys_and_kernel_pointers() {
        let (mut memory, ctx) = installed_layout(&sk_buff::FLOW_DISSECTOR, &[0; 20], &[]);
        let keys = ctx_load(&memory, region_base(ctx.context) + 144, Size::DW, false).expect("flow_keys");
        memory.store(keys + 52, Size::W, 7).expect("the block is read-write");
        assert!(memory.store(keys + 56, Size::B, 7).is_err(), "56 bytes");
        let (memory, ctx) = installed_layout(&nf::NF, &[], &[]);
        let skb = ctx_load(&memory, region_base(ctx.context) + 8, Size::DW, false).expect("skb");
        assert_eq!(skb, OPAQUE_POINTER);
        assert_eq!(memory.load(skb, Size::W).map_err(|f| f.reason), Err(FaultReason::Unmapped));
    }

    #[test]
    fn every_layouts_pointer_fields_fit_a_view() {
        for layout in all_layouts() {
            let pointees =
                layout.fields.iter().filter(|f| matches!(f.kind, FieldKind::Struct { .. } | FieldKind::Block { .. }));
            assert!(pointees.count() <= MAX_POINTEES, "{}", layout.name);
            let blocks = layout.fields.iter().filter(|f| matches!(f.kind, FieldKind::Block { .. }));
            assert!(blocks.count() <= 1, "{}: the analyzer takes one block per context", layout.name);
        }
    }

    #[test]
    fn a_new_context_replaces_the_old_one() {
        let (mut memory, first) = installed(ProgramType::Xdp, &[1]);
        retire(&mut memory, first);
        let second = install(&mut memory, ProgramType::Xdp, &[2, 3]).expect("small");
        let old_packet = region_base(first.packet.expect("packet"));
        assert!(memory.load(old_packet, Size::B).is_err());
        assert!(ctx_load(&memory, region_base(first.context), Size::W, false).is_err());
        assert_eq!(ctx_load(&memory, region_base(second.context) + 4, Size::W, false).map(|a| a & 0xff), Ok(2));
    }

    #[test]
    fn runs_choose_plain_field_values() {
        let fields = [
            (FieldSelector::from("mark"), 0xdead_beef),
            (FieldSelector::from("hash"), 7),
            (FieldSelector::from("protocol"), 0xdd86),
            (FieldSelector::Offset(104), 0x0102_0304), // remote_ip6, second word
            (FieldSelector::from("priority"), 1),
            (FieldSelector::from("priority"), 2), // the last setting wins
        ];
        let mut memory = Memory::new();
        // cgroup skb programs may read the socket fields (remote_ip6) that tc and socket
        // filters may not.
        let ctx = install_with(&mut memory, ProgramType::CgroupSkbIngress, &[0; 20], &fields).expect("choosable");
        let base = region_base(ctx.context);
        assert_eq!(ctx_load(&memory, base, Size::W, false), Ok(20), "len stays the packet's length");
        assert_eq!(ctx_load(&memory, base + 8, Size::W, false), Ok(0xdead_beef));
        assert_eq!(ctx_load(&memory, base + 8, Size::B, false), Ok(0xef), "narrow loads see it");
        assert_eq!(ctx_load(&memory, base + 68, Size::W, false), Ok(7));
        assert_eq!(ctx_load(&memory, base + 16, Size::W, false), Ok(0xdd86));
        let bytes = memory.region(ctx.context).expect("installed").bytes();
        assert_eq!(bytes[100..108], [0, 0, 0, 0, 4, 3, 2, 1], "remote_ip6's second word");
        assert_eq!(ctx_load(&memory, base + 32, Size::W, false), Ok(2));
        let mut memory = Memory::new();
        let ctx = install_with(&mut memory, ProgramType::Xdp, &[1, 2], &[("rx_queue_index".into(), 9)]).expect("xdp");
        let base = region_base(ctx.context);
        assert_eq!(ctx_load(&memory, base + 16, Size::W, false), Ok(9));
        assert_eq!(ctx_load(&memory, base + 12, Size::W, false), Ok(1), "the others keep their defaults");
        let packet = region_base(ctx.packet.expect("xdp has a packet"));
        assert_eq!(ctx_load(&memory, base + 4, Size::W, false), Ok(packet + 2));
        assert_eq!(
            XDP_MD.choosable_fields().map(|f| f.name).collect::<Vec<_>>(),
            ["ingress_ifindex", "rx_queue_index", "egress_ifindex"]
        );
        assert!(SK_BUFF.choosable_fields().all(|f| f.name != "len" && !matches!(f.kind, FieldKind::PacketPointer(_))));
    }

    #[test]
    fn fixed_and_unknown_fields_are_refused_without_installing() {
        let refused = |program_type, selector: FieldSelector| {
            let mut memory = Memory::new();
            let regions = memory.regions().count();
            let error = install_with(&mut memory, program_type, &[0; 4], &[(selector, 1)]).expect_err("refused");
            assert_eq!(memory.regions().count(), regions, "{error}");
            error
        };
        let fixed = |error: ContextError| match error {
            ContextError::FixedField { field, .. } => field,
            other => panic!("{other}"),
        };
        assert_eq!(fixed(refused(ProgramType::SchedCls, "len".into())), "len");
        assert_eq!(fixed(refused(ProgramType::SchedCls, "data_end".into())), "data_end");
        assert_eq!(fixed(refused(ProgramType::Xdp, FieldSelector::Offset(0))), "data");
        assert_eq!(fixed(refused(ProgramType::SchedCls, "remote_ip6".into())), "remote_ip6");
        assert_eq!(fixed(refused(ProgramType::SchedCls, FieldSelector::Offset(9))), "mark");
        let unknown = refused(ProgramType::Xdp, "mark".into());
        assert!(matches!(unknown, ContextError::UnknownField { context: "xdp_md", .. }), "{unknown}");
        assert!(matches!(
            refused(ProgramType::SchedCls, FieldSelector::Offset(200)),
            ContextError::UnknownField { .. }
        ));
        let raw = refused(ProgramType::Kprobe, "mark".into());
        assert_eq!(raw, ContextError::RawContextFields { program_type: ProgramType::Kprobe });
        assert_eq!(raw.to_string(), "kprobe contexts are plain bytes: put the values in the input, not in fields");
    }

    #[test]
    fn raw_contexts_are_padded_plain_regions() {
        let (memory, ctx) = installed(ProgramType::Kprobe, &[7; 8]);
        assert_eq!(memory.region(ctx.context).map(|r| r.bytes().len()), Some(PT_REGS_BYTES));
        assert_eq!(memory.load(region_base(ctx.context) + 8 * 20, Size::DW), Ok(0));
        let too_long = install(&mut Memory::new(), ProgramType::Kprobe, &[0; PT_REGS_BYTES + 1]);
        assert!(matches!(too_long, Err(ContextError::TooLong { .. })));
        let (memory, ctx) = installed(ProgramType::Tracepoint, &[1, 2, 3]);
        assert_eq!(memory.region(ctx.context).map(|r| r.bytes().to_vec()), Some(vec![1, 2, 3]));
    }
}
