//! Program types and their contexts: which context a program gets (chosen from its ELF
//! section name, as libbpf does) and how its loads and stores of context fields behave.
//!
//! Three kinds of context:
//! - **Packet contexts** (`xdp_md` for XDP, `__sk_buff` for tc and socket filters) are
//!   *virtual*, as in Linux, where the verifier rewrites every context access into a load of
//!   the kernel's own structure. Their region holds the UAPI structure's bytes but allows no
//!   direct access; the interpreter's cold fault path hands every refused access of it to
//!   [`load`]/[`store`], which apply the field table of its [`ContextLayout`]. A load of a
//!   packet-pointer field (`data`, `data_end`, `data_meta`) must read the whole 32-bit field
//!   and yields the full 64-bit address of the packet byte at the offset the field stores
//!   (so `r2 = *(u32 *)(r1 + 0)` gives a usable packet pointer). Other fields may be read
//!   whole or, where the layout allows it, narrowly (naturally aligned, inside one field);
//!   stores need a field the program type may write. Anything else faults, naming the
//!   context region and the offset.
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

impl ContextLayout {
    /// The fields a run may choose the value of ([`RunInput::fields`]): every plain field
    /// except `len`, which is always the packet's length. Packet pointers are derived from
    /// the packet and cannot be chosen either.
    pub fn choosable_fields(&self) -> impl Iterator<Item = &'static ContextField> + use<> {
        let fields: &'static [ContextField] = self.fields;
        fields.iter().filter(|f| f.kind == FieldKind::Value && f.init != PacketLen)
    }

    /// The byte offset of the 4-byte word `selector` names, if a run may choose its value:
    /// a name selects a whole 4-byte field, an offset any aligned word of a choosable field
    /// (so the words of `remote_ip6` are chosen by offset).
    pub fn choosable_word(&self, selector: &FieldSelector) -> Result<u32, ContextError> {
        let context = self.name;
        let field = match selector {
            FieldSelector::Name(name) => self.fields.iter().find(|f| f.name == name.as_str()),
            FieldSelector::Offset(offset) => self.field_at(u64::from(*offset)),
        };
        let Some(field) = field else {
            return Err(ContextError::UnknownField { context, field: selector.to_string() });
        };
        let fixed = |why| Err(ContextError::FixedField { context, field: field.name, why });
        if field.kind == FieldKind::PacketPointer {
            return fixed("it points into the packet");
        }
        if field.init == PacketLen {
            return fixed("it is the packet's length");
        }
        match selector {
            FieldSelector::Name(_) if field.size != 4 => fixed("it is wider than 4 bytes; choose its words by offset"),
            FieldSelector::Name(_) => Ok(field.offset),
            FieldSelector::Offset(offset) if (offset - field.offset) % 4 != 0 => {
                fixed("the offset is not that of one of its 4-byte words")
            }
            FieldSelector::Offset(offset) => Ok(*offset),
        }
    }

    /// The structure's initial bytes for `packet`, with the words `fields` names set to
    /// their values (later settings of a word win).
    pub fn initial_bytes_with(&self, packet: &[u8], fields: &[(FieldSelector, u32)]) -> Result<Vec<u8>, ContextError> {
        let mut bytes = self.initial_bytes(packet);
        for (selector, value) in fields {
            let start = self.choosable_word(selector)? as usize;
            bytes[start..start + 4].copy_from_slice(&value.to_le_bytes());
        }
        Ok(bytes)
    }
}

/// What one run starts from: the packet (packet program types) or the context's bytes
/// (the others), and, for packet contexts, the values of context fields a run chooses
/// instead of the defaults of [`FieldInit`] (`mark`, `rx_queue_index`, `hash`, ...).
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
    /// The program type whose access rules apply.
    pub program_type: ProgramType,
}

/// The regions a run's input became.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstalledContext {
    /// The context region; `r1` holds its base.
    pub context: RegionId,
    /// The packet region, for packet program types.
    pub packet: Option<RegionId>,
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
    /// Chosen fields for a raw context, whose input is its bytes.
    #[error("{program_type} contexts are plain bytes: put the values in the input, not in fields")]
    RawContextFields {
        /// The program type.
        program_type: ProgramType,
    },
}

/// Adds the context (and packet) regions for a run of a `program_type` program on `input`
/// to `memory`: for packet types `input` is the packet, otherwise the context's bytes. The
/// new context replaces any earlier virtual context; [`retire`] the earlier regions to make
/// them inaccessible.
pub fn install(memory: &mut Memory, program_type: ProgramType, input: &[u8]) -> Result<InstalledContext, ContextError> {
    install_with(memory, program_type, input, &[])
}

/// As [`install`], with the context words `fields` names set to their values (see
/// [`ContextLayout::choosable_word`]); only packet contexts have fields. Nothing is added
/// to `memory` when a field cannot be set.
pub fn install_with(
    memory: &mut Memory,
    program_type: ProgramType,
    input: &[u8],
    fields: &[(FieldSelector, u32)],
) -> Result<InstalledContext, ContextError> {
    match program_type.context() {
        ContextKind::Packet(layout) => {
            let context_bytes = layout.initial_bytes_with(input, fields)?;
            memory.clear_context_view();
            let packet_access = if program_type.direct_packet_writes() { Access::ReadWrite } else { Access::ReadOnly };
            let packet = memory.add_region(RegionKind::Packet, input.to_vec(), packet_access)?;
            let context = memory.add_region(RegionKind::Context, context_bytes, Access::None)?;
            memory.set_packet(packet);
            memory.set_context_view(ContextView { region: context, packet, layout, program_type });
            Ok(InstalledContext { context, packet: Some(packet) })
        }
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
            Ok(InstalledContext { context, packet: None })
        }
        ContextKind::NotModelled { structure } => Err(ContextError::NotModelled { program_type, structure }),
    }
}

/// Makes the regions of an earlier run's context inaccessible.
pub fn retire(memory: &mut Memory, installed: InstalledContext) {
    memory.set_access(installed.context, Access::None);
    if let Some(packet) = installed.packet {
        memory.set_access(packet, Access::None);
    }
}

/// The field an access of `len` bytes at `offset` of a virtual context touches, if the
/// access stays inside it and is naturally aligned; otherwise why it is refused (outside
/// the structure, or not within one field).
fn accessed_field(layout: &ContextLayout, offset: i64, len: u32) -> Result<&'static ContextField, FaultReason> {
    let offset = u64::try_from(offset).map_err(|_| FaultReason::OutOfBounds)?;
    if offset + u64::from(len) > u64::from(layout.size) {
        return Err(FaultReason::OutOfBounds);
    }
    let field = layout.field_at(offset).ok_or(FaultReason::Inaccessible)?;
    let inside = offset + u64::from(len) <= u64::from(field.offset + field.size);
    if inside && offset % u64::from(len) == 0 { Ok(field) } else { Err(FaultReason::Inaccessible) }
}

/// The view `fault` is about, if it was refused only for being in a virtual context.
fn view_of(memory: &Memory, fault: &MemoryFault) -> Option<ContextView> {
    let view = *memory.context_view()?;
    (fault.region.map(|r| r.id) == Some(view.region)).then_some(view)
}

/// `fault` with a new reason.
fn refused(mut fault: MemoryFault, reason: FaultReason) -> MemoryFault {
    fault.reason = reason;
    fault
}

/// The field a load of `size` at `offset` of a `program_type` context with `layout` reads
/// (sign-extending if `signed`), or why the load is refused. This is the one statement of
/// the context's load rules: the interpreter applies it to concrete offsets, the analyzer
/// to every offset an abstract pointer may hold.
pub fn loadable_field(
    layout: &'static ContextLayout,
    program_type: ProgramType,
    offset: i64,
    size: Size,
    signed: bool,
) -> Result<&'static ContextField, FaultReason> {
    let len = size.bytes();
    let field = accessed_field(layout, offset, len)?;
    let allowed = match field.access {
        FieldAccess::PacketRead => program_type.direct_packet_access(),
        _ => true,
    } && type_may_load(layout, program_type, field);
    let whole = offset == i64::from(field.offset) && len == 4;
    let shape_ok = match field.kind {
        FieldKind::PacketPointer => whole && !signed,
        FieldKind::Value => whole || layout.narrow_loads,
    };
    if allowed && shape_ok { Ok(field) } else { Err(FaultReason::Inaccessible) }
}

/// Whether `program_type` may load `field` of `layout` at all: an skb type's own
/// `*_is_valid_access` rules for `__sk_buff`, and for `xdp_md` the rule that only devmap
/// programs see `egress_ifindex`.
fn type_may_load(layout: &ContextLayout, program_type: ProgramType, field: &ContextField) -> bool {
    if layout.name == SK_BUFF.name {
        return program_type.sk_buff_rules().is_some_and(|rules| rules.may_load(field.name));
    }
    if layout.name == XDP_MD.name && field.name == "egress_ifindex" {
        return program_type == ProgramType::XdpDevmap;
    }
    true
}

/// The field a store of `size` at `offset` of a `program_type` context with `layout`
/// writes, or why the store is refused (the store-side twin of [`loadable_field`]).
pub fn storable_field(
    layout: &'static ContextLayout,
    program_type: ProgramType,
    offset: i64,
    size: Size,
) -> Result<&'static ContextField, FaultReason> {
    let field = accessed_field(layout, offset, size.bytes())?;
    let writable = match program_type.sk_buff_rules() {
        Some(rules) if layout.name == SK_BUFF.name => rules.may_store(field.name),
        _ => match field.access {
            FieldAccess::ReadWrite => true,
            FieldAccess::ReadTcWrite => program_type.tc(),
            FieldAccess::Read | FieldAccess::PacketRead => false,
        },
    };
    if writable { Ok(field) } else { Err(FaultReason::ReadOnly) }
}

/// Completes a load the fast path refused with `fault`: the register value of a load of
/// `size` (sign-extended if `signed`) through base register value `base` from a virtual
/// context, or the fault to raise.
#[cold]
#[inline(never)]
pub fn load(memory: &Memory, fault: MemoryFault, base: u64, size: Size, signed: bool) -> Result<u64, MemoryFault> {
    let Some(view) = view_of(memory, &fault) else { return Err(fault) };
    if base != region_base(view.region) {
        return Err(refused(fault, FaultReason::ModifiedContextPointer));
    }
    let field = match loadable_field(view.layout, view.program_type, fault.offset, size, signed) {
        Ok(field) => field,
        Err(reason) => return Err(refused(fault, reason)),
    };
    let len = size.bytes();
    let region = memory.region(view.region).expect("a context view names a region of its memory");
    let start = fault.offset as usize;
    let mut buffer = [0u8; 8];
    buffer[..len as usize].copy_from_slice(&region.bytes()[start..start + len as usize]);
    let raw = u64::from_le_bytes(buffer);
    Ok(match field.kind {
        FieldKind::PacketPointer => region_base(view.packet).wrapping_add(raw),
        FieldKind::Value => alu::extend_load(&raw, size, signed),
    })
}

/// Completes a store the fast path refused with `fault`: writes the low `size` bytes of
/// `value` through base register value `base` to a writable field of a virtual context, or
/// returns the fault to raise.
#[cold]
#[inline(never)]
pub fn store(memory: &mut Memory, fault: MemoryFault, base: u64, size: Size, value: u64) -> Result<(), MemoryFault> {
    let Some(view) = view_of(memory, &fault) else { return Err(fault) };
    if base != region_base(view.region) {
        return Err(refused(fault, FaultReason::ModifiedContextPointer));
    }
    if let Err(reason) = storable_field(view.layout, view.program_type, fault.offset, size) {
        return Err(refused(fault, reason));
    }
    let len = size.bytes();
    let region = memory.region_mut(view.region).expect("a context view names a region of its memory");
    let start = fault.offset as usize;
    region.bytes_mut()[start..start + len as usize].copy_from_slice(&value.to_le_bytes()[..len as usize]);
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
        for (offset, size, signed) in
            [(0, Size::H, false), (0, Size::DW, false), (0, Size::W, true), (12, Size::B, false)]
        {
            let fault = ctx_load(&memory, base + offset, size, signed).expect_err("refused");
            assert_eq!(fault.reason, FaultReason::Inaccessible, "offset {offset} {size:?}");
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
        assert_eq!((fault.access, fault.reason), (AccessKind::Store, FaultReason::ReadOnly));
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
        assert_eq!(fault.reason, FaultReason::Inaccessible);
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
        assert_eq!(ctx_load(&memory, base + 100, Size::W, false), Ok(0));
        assert_eq!(ctx_load(&memory, base + 104, Size::W, false), Ok(0x0102_0304));
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
        assert!(SK_BUFF.choosable_fields().all(|f| f.name != "len" && f.kind == FieldKind::Value));
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
