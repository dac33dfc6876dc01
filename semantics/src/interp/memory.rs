//! The concrete memory model: a set of disjoint regions in a 64-bit virtual address space,
//! every access bounds-checked.
//!
//! Region `i` ([`RegionId`]) starts at `(i + 1) << 32` ([`region_base`]) and may be up to
//! 2 GiB long. It owns the 4 GiB window of addresses within 2 GiB of its base, so the
//! region of an address is found by a shift, not a search, and an access just below a
//! region (a stack underflow) is named as a negative offset of that region rather than
//! as a far offset of its neighbour. Address 0 (null) and the code addresses of
//! [`crate::program::CODE_BASE`] fall in no region.
//! Because the layout is fixed, an address is a pure function of (region, offset), which
//! lets a differential test map the JIT's host pointers back to the same pair
//! ([`Memory::locate`]).
//!
//! [`Memory::new`] creates the [`MAX_FRAMES`] stack frames first (regions `0..8`); only the
//! frames of the active calls are accessible. Stack bytes start as [`STACK_FILL`] (never a
//! silent zero) and are not cleared when a frame is pushed again, as on real hardware.
//!
//! A memory may also track which stack bytes were written since their frame was entered
//! ([`Memory::track_stack_writes`], which the interpreter turns on unless the run allows
//! uninitialised stack reads): a load, atomic or helper read of a byte not written since
//! then faults with [`FaultReason::Uninitialised`], as the kernel's verifier refuses such
//! reads. Stores, and helpers filling buffers ([`Memory::write_in_place`]), mark bytes
//! written.

use std::fmt;

use thiserror::Error;

use super::arena::Arena;
use super::context::{ContextView, Refusal, StructView};
use crate::isa::Size;
use crate::program::JumpTableId;

/// Bytes of stack per frame.
pub const STACK_FRAME_BYTES: usize = 512;
/// Maximum number of active frames (the outermost one included), as in Linux.
pub const MAX_FRAMES: usize = 8;
/// The byte every stack frame holds before anything writes it: a read of uninitialised
/// stack that a run allows yields these bytes, an arbitrary value rather than zero.
pub const STACK_FILL: u8 = 0xa5;
/// 64-bit words of a frame's written-bytes bitmap.
const FRAME_WORDS: usize = STACK_FRAME_BYTES / 64;

/// log2 of the address-space stride between regions.
const REGION_SHIFT: u32 = 32;
/// Half a region's address window: addresses `base - HALF_WINDOW .. base + HALF_WINDOW`
/// belong to the region at `base`.
const HALF_WINDOW: u64 = 1 << (REGION_SHIFT - 1);
/// Largest region, in bytes.
pub const MAX_REGION_BYTES: usize = HALF_WINDOW as usize;
/// Most regions one memory can hold; keeps region addresses below
/// [`crate::program::CODE_BASE`], so no code address is a data address.
pub const MAX_REGIONS: usize = 0xc000;

/// Index of a region in a [`Memory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u32);

/// The base address of region `id`.
pub const fn region_base(id: RegionId) -> u64 {
    (id.0 as u64 + 1) << REGION_SHIFT
}

/// What a region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegionKind {
    /// The program's context (`r1` at entry), or the one input memory of a conformance run.
    Context,
    /// The stack of call frame `frame` (0 is the outermost).
    Stack {
        /// Frame depth.
        frame: u8,
    },
    /// Packet data (also the source of legacy `ld_abs`/`ld_ind` loads).
    Packet,
    /// A read-only jump table of 8-byte code addresses.
    JumpTable(JumpTableId),
    /// The value of a map element.
    MapValue {
        /// Map index in the program's map list.
        map: u32,
    },
    /// A global data section (`.data`, `.rodata`, `.bss`).
    GlobalData {
        /// Section index in the program's data list.
        section: u32,
    },
    /// Any other memory a run or a helper provides.
    Other,
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionKind::Context => f.write_str("context"),
            RegionKind::Stack { frame } => write!(f, "stack frame {frame}"),
            RegionKind::Packet => f.write_str("packet"),
            RegionKind::JumpTable(table) => write!(f, "jump table {}", table.0),
            RegionKind::MapValue { map } => write!(f, "value of map {map}"),
            RegionKind::GlobalData { section } => write!(f, "global data section {section}"),
            RegionKind::Other => f.write_str("memory"),
        }
    }
}

/// What accesses a region allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// None (a stack frame of no active call, a freed map element).
    None,
    /// Loads only.
    ReadOnly,
    /// Loads, stores and atomics.
    ReadWrite,
    /// Stores only (the values of a `BPF_F_WRONLY_PROG` map).
    WriteOnly,
}

impl Access {
    /// Whether loads may read the region.
    pub fn reads(self) -> bool {
        matches!(self, Access::ReadOnly | Access::ReadWrite)
    }

    /// Whether stores may write the region.
    pub fn writes(self) -> bool {
        matches!(self, Access::ReadWrite | Access::WriteOnly)
    }

    /// The access a map's values give programs.
    pub fn of_program_access(access: crate::model::maps::ProgramAccess) -> Access {
        match (access.read, access.write) {
            (true, true) => Access::ReadWrite,
            (true, false) => Access::ReadOnly,
            (false, true) => Access::WriteOnly,
            (false, false) => Access::None,
        }
    }
}

/// The kind of memory access, named in faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// A load.
    Load,
    /// A store.
    Store,
    /// An atomic read-modify-write.
    Atomic,
}

impl fmt::Display for AccessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessKind::Load => "load",
            AccessKind::Store => "store",
            AccessKind::Atomic => "atomic access",
        })
    }
}

/// Why an access was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultReason {
    /// The address falls in no region.
    Unmapped,
    /// The access does not fit in the region (it starts or ends past its last byte).
    OutOfBounds,
    /// A store or atomic on a read-only region.
    ReadOnly,
    /// A load or atomic on a write-only region.
    WriteOnly,
    /// The region allows no access now (e.g. the stack frame of a call that returned).
    Inaccessible,
    /// A read of stack bytes not written since their frame was entered.
    Uninitialised,
    /// A context access through a modified context pointer (Linux rewrites context
    /// accesses by the instruction's offset alone, so the base must be the context itself).
    ModifiedContextPointer,
    /// A virtual context access its field rules refuse (the refusal names the field).
    ContextField(Refusal),
}

impl fmt::Display for FaultReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultReason::Unmapped => "no region",
            FaultReason::OutOfBounds => "out of bounds",
            FaultReason::ReadOnly => "region is read-only",
            FaultReason::WriteOnly => "region is write-only",
            FaultReason::Inaccessible => "region is not accessible",
            FaultReason::Uninitialised => "stack bytes not initialised",
            FaultReason::ModifiedContextPointer => "the base is a modified context pointer",
            FaultReason::ContextField(refusal) => return write!(f, "context access refused: {refusal}"),
        })
    }
}

/// The region an address falls in, as named in a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionRef {
    /// Its id.
    pub id: RegionId,
    /// What it holds.
    pub kind: RegionKind,
    /// Its length in bytes.
    pub len: u64,
}

/// A refused memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
pub struct MemoryFault {
    /// Load, store or atomic.
    pub access: AccessKind,
    /// The address of the first byte accessed.
    pub address: u64,
    /// Number of bytes accessed.
    pub size: u64,
    /// The region the address falls in, if any.
    pub region: Option<RegionRef>,
    /// Offset of the address from the region's base, negative below it (the address itself,
    /// read as signed, when there is no region).
    pub offset: i64,
    /// Why the access was refused.
    pub reason: FaultReason,
}

impl fmt::Display for MemoryFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let MemoryFault { access, address, size, offset, reason, .. } = self;
        match self.region {
            Some(region) => write!(
                f,
                "{access} of {size} bytes at offset {offset} of {} (region {}, {} bytes, address {address:#x}): {reason}",
                region.kind, region.id.0, region.len
            ),
            None => write!(f, "{access} of {size} bytes at address {address:#x}: {reason}"),
        }
    }
}

/// Why memory could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
pub enum MemoryError {
    /// A region longer than [`MAX_REGION_BYTES`].
    #[error("region of {len} bytes exceeds the limit of {MAX_REGION_BYTES}")]
    RegionTooLarge {
        /// Requested length.
        len: usize,
    },
    /// More than [`MAX_REGIONS`] regions.
    #[error("more than {MAX_REGIONS} regions")]
    TooManyRegions,
    /// Map values taking more than `limit` bytes in all (see `MapTable`).
    #[error("map values would take more than {limit} bytes")]
    MapValuesTooLarge {
        /// The limit.
        limit: u64,
    },
    /// The program's arena cannot be set up.
    #[error(transparent)]
    Arena(#[from] super::arena::ArenaError),
}

/// One region: its bytes and what it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    kind: RegionKind,
    access: Access,
    bytes: Vec<u8>,
}

impl Region {
    /// What it holds.
    pub fn kind(&self) -> RegionKind {
        self.kind
    }

    /// What accesses it allows now.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Its contents.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its contents, for a run's setup or a helper's own bookkeeping (not bounds-checked
    /// against the region's access rights).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}

/// The machine's memory. See the module docs for the layout.
///
/// Equality compares what programs can observe (regions, packet, jump tables, map
/// bindings, context), not the stack-write bookkeeping, which only the interpreter keeps.
#[derive(Clone, Debug)]
pub struct Memory {
    regions: Vec<Region>,
    packet: Option<RegionId>,
    /// Regions holding the program's jump tables, by [`JumpTableId`].
    jump_tables: Vec<RegionId>,
    /// What `lddw` kinds `MapIdx`/`MapIdxValue` resolve to, by map index.
    maps: Vec<Option<MapBinding>>,
    /// The run's virtual context, if its program type has one.
    context: Option<ContextView>,
    /// The virtual structures the context's pointer fields point to (`__sk_buff.sk`, ...).
    structs: Vec<StructView>,
    /// Per stack frame, a bit per byte written since the frame was entered, when tracked.
    stack_written: Option<Box<[[u64; FRAME_WORDS]; MAX_FRAMES]>>,
    /// Falls through `may_goto` may take in each function call it enters afresh.
    may_goto_budget: u64,
    /// Per stack frame, falls through `may_goto` may still take in that frame's call: the
    /// kernel keeps the counter in each function's own stack, set in its prologue.
    may_goto_left: [u64; MAX_FRAMES],
    /// The program's arena, reached only by `PROBE_MEM32` accesses (see [`super::arena`]).
    arena: Option<Arena>,
}

impl PartialEq for Memory {
    fn eq(&self, other: &Memory) -> bool {
        self.regions == other.regions
            && self.packet == other.packet
            && self.jump_tables == other.jump_tables
            && self.maps == other.maps
            && self.context == other.context
            && self.structs == other.structs
            && self.arena == other.arena
    }
}

impl Eq for Memory {}

/// What the `lddw`s naming map index `i` (kinds `MapIdx` and `MapIdxValue`) load in a
/// memory: [`Memory::bind_map`] sets it. Without a binding they trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapBinding {
    /// The map's handle (kind `MapIdx`): an address in no region.
    pub handle: u64,
    /// The region holding the map's first value (kind `MapIdxValue` adds its offset to the
    /// base), if it has one.
    pub value: Option<RegionId>,
}

impl Default for Memory {
    fn default() -> Self {
        Memory::new()
    }
}

impl Memory {
    /// A memory holding only the [`MAX_FRAMES`] stack frames (filled with [`STACK_FILL`]),
    /// all inaccessible until a run activates them, with no stack-write tracking.
    pub fn new() -> Memory {
        let regions = (0..MAX_FRAMES)
            .map(|frame| Region {
                kind: RegionKind::Stack { frame: frame as u8 },
                access: Access::None,
                bytes: vec![STACK_FILL; STACK_FRAME_BYTES],
            })
            .collect();
        Memory {
            regions,
            packet: None,
            jump_tables: Vec::new(),
            maps: Vec::new(),
            context: None,
            structs: Vec::new(),
            stack_written: None,
            may_goto_budget: 0,
            may_goto_left: [0; MAX_FRAMES],
            arena: None,
        }
    }

    /// Gives the run the arena its program uses.
    pub fn install_arena(&mut self, arena: Arena) {
        self.arena = Some(arena);
    }

    /// The run's arena, if its program uses one.
    pub fn arena(&self) -> Option<&Arena> {
        self.arena.as_ref()
    }

    /// The run's arena, to allocate, free or store.
    pub fn arena_mut(&mut self) -> Option<&mut Arena> {
        self.arena.as_mut()
    }

    /// Turns tracking of stack writes on (every byte of every frame unwritten) or off (see
    /// the module docs).
    pub fn track_stack_writes(&mut self, on: bool) {
        self.stack_written = on.then(|| Box::new([[0; FRAME_WORDS]; MAX_FRAMES]));
    }

    /// Sets the `may_goto` budget of every function call: within one call, `may_goto` falls
    /// through `budget` times, then jumps. Frames entered from now on start with it, and so
    /// do the frames active now.
    pub fn set_may_goto_budget(&mut self, budget: u64) {
        self.may_goto_budget = budget;
        self.may_goto_left = [budget; MAX_FRAMES];
    }

    /// Whether a `may_goto` in stack frame `frame` falls through (spending one of that
    /// call's budget) rather than jumping (the call's budget is spent).
    #[inline(always)]
    pub fn may_goto_falls_through(&mut self, frame: usize) -> bool {
        let Some(left) = self.may_goto_left.get_mut(frame) else { return false };
        let falls = *left > 0;
        *left = left.saturating_sub(1);
        falls
    }

    /// Whether stack writes are tracked.
    pub fn tracks_stack_writes(&self) -> bool {
        self.stack_written.is_some()
    }

    /// Whether the `len` bytes at `offset` of region `index` may be read: always, unless
    /// the region is a tracked stack frame and one of them was not written.
    #[inline(always)]
    fn initialised(&self, index: usize, offset: usize, len: usize) -> bool {
        match &self.stack_written {
            // Out-of-bounds accesses fault for that reason, checked elsewhere.
            Some(frames) if index < MAX_FRAMES && offset.checked_add(len).is_some_and(|e| e <= STACK_FRAME_BYTES) => {
                let bits = &frames[index];
                (offset..offset + len).all(|byte| bits[byte / 64] >> (byte % 64) & 1 == 1)
            }
            _ => true,
        }
    }

    /// Records that the `len` bytes at `offset` of region `index` were written.
    #[inline(always)]
    fn mark_written(&mut self, index: usize, offset: usize, len: usize) {
        if let Some(frames) = &mut self.stack_written
            && index < MAX_FRAMES
        {
            for byte in offset..offset + len {
                frames[index][byte / 64] |= 1 << (byte % 64);
            }
        }
    }

    /// Forgets every write to stack frame `frame` (it is being entered afresh).
    fn forget_writes(&mut self, frame: usize) {
        if let Some(frames) = &mut self.stack_written
            && let Some(bits) = frames.get_mut(frame)
        {
            *bits = [0; FRAME_WORDS];
        }
    }

    /// Adds a region holding `bytes` and returns its id; its base is [`region_base`]`(id)`.
    pub fn add_region(&mut self, kind: RegionKind, bytes: Vec<u8>, access: Access) -> Result<RegionId, MemoryError> {
        if bytes.len() > MAX_REGION_BYTES {
            return Err(MemoryError::RegionTooLarge { len: bytes.len() });
        }
        if self.regions.len() >= MAX_REGIONS {
            return Err(MemoryError::TooManyRegions);
        }
        let id = RegionId(self.regions.len() as u32);
        self.regions.push(Region { kind, access, bytes });
        Ok(id)
    }

    /// The region `id`, if it exists.
    pub fn region(&self, id: RegionId) -> Option<&Region> {
        self.regions.get(id.0 as usize)
    }

    /// The region `id` for changes, if it exists.
    pub fn region_mut(&mut self, id: RegionId) -> Option<&mut Region> {
        self.regions.get_mut(id.0 as usize)
    }

    /// Every region with its id, in id order.
    pub fn regions(&self) -> impl Iterator<Item = (RegionId, &Region)> {
        self.regions.iter().enumerate().map(|(i, r)| (RegionId(i as u32), r))
    }

    /// Changes what region `id` allows (e.g. to free a map element). Unknown ids are ignored.
    pub fn set_access(&mut self, id: RegionId, access: Access) {
        if let Some(region) = self.regions.get_mut(id.0 as usize) {
            region.access = access;
        }
    }

    /// The region of stack frame `frame` (`< MAX_FRAMES`).
    pub fn stack_frame(frame: usize) -> RegionId {
        debug_assert!(frame < MAX_FRAMES);
        RegionId(frame as u32)
    }

    /// The address one past the last byte of stack frame `frame`: `r10` in that frame.
    pub fn frame_pointer(frame: usize) -> u64 {
        region_base(Memory::stack_frame(frame)) + STACK_FRAME_BYTES as u64
    }

    /// Makes `region` the source of legacy packet loads.
    pub fn set_packet(&mut self, region: RegionId) {
        self.packet = Some(region);
    }

    /// The source of legacy packet loads, if any.
    pub fn packet(&self) -> Option<RegionId> {
        self.packet
    }

    /// Makes the `lddw`s naming map index `map` load `binding`.
    pub fn bind_map(&mut self, map: u32, binding: MapBinding) {
        let index = map as usize;
        if self.maps.len() <= index {
            self.maps.resize(index + 1, None);
        }
        self.maps[index] = Some(binding);
    }

    /// What the `lddw`s naming map index `map` load, if it is bound.
    pub fn map_binding(&self, map: u32) -> Option<MapBinding> {
        self.maps.get(map as usize).copied().flatten()
    }

    /// Makes `view` the run's virtual context: accesses the fast path refuses in its region
    /// are completed by [`super::context::load`]/[`super::context::store`].
    pub fn set_context_view(&mut self, view: ContextView) {
        self.context = Some(view);
    }

    /// The run's virtual context, if any.
    pub fn context_view(&self) -> Option<&ContextView> {
        self.context.as_ref()
    }

    /// Forgets the virtual context and the structures it points to (their regions stay as
    /// they are).
    pub fn clear_context_view(&mut self) {
        self.context = None;
        self.structs.clear();
    }

    /// Adds `view`, a virtual structure a context field points to: accesses the fast path
    /// refuses in its region are completed by [`super::context::load`] with its rules.
    pub fn add_struct_view(&mut self, view: StructView) {
        self.structs.push(view);
    }

    /// Ends the virtual structure in `region` (a released socket): accesses to it fault.
    pub fn remove_struct_view(&mut self, region: RegionId) {
        self.structs.retain(|v| v.region != region);
    }

    /// The virtual structure in `region`, if it is one.
    pub fn struct_view(&self, region: RegionId) -> Option<&StructView> {
        self.structs.iter().find(|v| v.region == region)
    }

    /// The region holding jump table `table`, once a run has installed the tables.
    pub fn jump_table(&self, table: JumpTableId) -> Option<RegionId> {
        self.jump_tables.get(table.0 as usize).copied()
    }

    /// Installs read-only jump-table regions holding `tables` (8-byte little-endian code
    /// addresses), unless this memory already holds that many. Public for other engines
    /// (the JIT) that must lay out memory exactly as the interpreter does.
    pub fn install_jump_tables(&mut self, tables: &[Vec<u8>]) -> Result<(), MemoryError> {
        if self.jump_tables.len() == tables.len() {
            return Ok(());
        }
        self.jump_tables.clear();
        for (index, bytes) in tables.iter().enumerate() {
            let kind = RegionKind::JumpTable(JumpTableId(index as u32));
            let id = self.add_region(kind, bytes.clone(), Access::ReadOnly)?;
            self.jump_tables.push(id);
        }
        Ok(())
    }

    /// The region whose window `address` falls in, and its offset from that region's base
    /// (regardless of bounds and access rights).
    pub fn locate(&self, address: u64) -> Option<(RegionId, i64)> {
        let shifted = address.wrapping_add(HALF_WINDOW);
        let index = usize::try_from((shifted >> REGION_SHIFT).checked_sub(1)?).ok()?;
        let offset = (shifted & ((1 << REGION_SHIFT) - 1)) as i64 - HALF_WINDOW as i64;
        (index < self.regions.len()).then_some((RegionId(index as u32), offset))
    }

    /// Splits `address` into a region index and an offset from that region's base, both
    /// unchecked; a negative offset comes out as a huge `usize` that no region contains.
    #[inline(always)]
    fn split(address: u64) -> (usize, usize) {
        let shifted = address.wrapping_add(HALF_WINDOW);
        let index = ((shifted >> REGION_SHIFT) as usize).wrapping_sub(1);
        (index, ((shifted as u32) as usize).wrapping_sub(HALF_WINDOW as usize))
    }

    /// The `len` bytes at `address`, if a load may read them all.
    #[inline(always)]
    fn readable(&self, address: u64, len: usize) -> Option<&[u8]> {
        let (index, offset) = Memory::split(address);
        let region = self.regions.get(index)?;
        if !region.access.reads() {
            return None;
        }
        let bytes = region.bytes.get(offset..offset.checked_add(len)?)?;
        self.initialised(index, offset, len).then_some(bytes)
    }

    /// The `len` bytes at `address`, if a store may write them all.
    #[inline(always)]
    fn writable(&mut self, address: u64, len: usize) -> Option<&mut [u8]> {
        let (index, offset) = Memory::split(address);
        let region = self.regions.get(index)?;
        if !region.access.writes() || region.bytes.len() < offset.checked_add(len)? {
            return None;
        }
        self.mark_written(index, offset, len);
        self.regions[index].bytes.get_mut(offset..offset + len)
    }

    /// Explains why an access of `size` bytes at `address` was refused. Public for other
    /// engines (the JIT) that check accesses themselves and must report the same fault.
    #[cold]
    #[inline(never)]
    pub fn fault(&self, access: AccessKind, address: u64, size: usize) -> MemoryFault {
        let size = size as u64;
        let Some((id, offset)) = self.locate(address) else {
            let offset = address as i64;
            return MemoryFault { access, address, size, region: None, offset, reason: FaultReason::Unmapped };
        };
        let region = &self.regions[id.0 as usize];
        let fits = usize::try_from(offset)
            .ok()
            .and_then(|start| Some((start, start.checked_add(size as usize)?)))
            .filter(|&(_, end)| end <= region.bytes.len());
        let reason = match (region.access, access, fits) {
            (Access::None, _, _) => FaultReason::Inaccessible,
            (Access::ReadOnly, AccessKind::Store | AccessKind::Atomic, _) => FaultReason::ReadOnly,
            (Access::WriteOnly, AccessKind::Load | AccessKind::Atomic, _) => FaultReason::WriteOnly,
            (_, AccessKind::Load | AccessKind::Atomic, Some((start, end)))
                if !self.initialised(id.0 as usize, start, end - start) =>
            {
                FaultReason::Uninitialised
            }
            _ => FaultReason::OutOfBounds,
        };
        let region_ref = RegionRef { id, kind: region.kind, len: region.bytes.len() as u64 };
        MemoryFault { access, address, size, region: Some(region_ref), offset, reason }
    }

    /// Reads `len` bytes at `address`.
    pub fn read(&self, address: u64, len: usize) -> Result<&[u8], MemoryFault> {
        match self.readable(address, len) {
            Some(bytes) => Ok(bytes),
            None => Err(self.fault(AccessKind::Load, address, len)),
        }
    }

    /// Writes `data` at `address`.
    pub fn write(&mut self, address: u64, data: &[u8]) -> Result<(), MemoryFault> {
        match self.writable(address, data.len()) {
            Some(bytes) => {
                bytes.copy_from_slice(data);
                Ok(())
            }
            None => Err(self.fault(AccessKind::Store, address, data.len())),
        }
    }

    /// The `len` bytes at `address`, for a helper to fill in place, if a store may write
    /// them all.
    pub fn write_in_place(&mut self, address: u64, len: usize) -> Result<&mut [u8], MemoryFault> {
        if self.writable(address, len).is_none() {
            return Err(self.fault(AccessKind::Store, address, len));
        }
        Ok(self.writable(address, len).expect("checked just above"))
    }

    /// Loads a little-endian value of `size` at `address`, zero-extended.
    #[inline(always)]
    pub fn load(&self, address: u64, size: Size) -> Result<u64, MemoryFault> {
        // One arm per size, so each copies a constant number of bytes (no `memcpy` call).
        let value = match size {
            Size::B => self.readable_array::<1>(address).map(|b| u64::from(b[0])),
            Size::H => self.readable_array::<2>(address).map(|b| u64::from(u16::from_le_bytes(*b))),
            Size::W => self.readable_array::<4>(address).map(|b| u64::from(u32::from_le_bytes(*b))),
            Size::DW => self.readable_array::<8>(address).map(|b| u64::from_le_bytes(*b)),
        };
        match value {
            Some(value) => Ok(value),
            None => Err(self.fault(AccessKind::Load, address, size.bytes() as usize)),
        }
    }

    /// Stores the low `size` bytes of `value` little-endian at `address`.
    #[inline(always)]
    pub fn store(&mut self, address: u64, size: Size, value: u64) -> Result<(), MemoryFault> {
        self.store_as(AccessKind::Store, address, size, value)
    }

    #[inline(always)]
    fn store_as(&mut self, access: AccessKind, address: u64, size: Size, value: u64) -> Result<(), MemoryFault> {
        let done = match size {
            Size::B => self.writable_array::<1>(address).map(|b| *b = [value as u8]),
            Size::H => self.writable_array::<2>(address).map(|b| *b = (value as u16).to_le_bytes()),
            Size::W => self.writable_array::<4>(address).map(|b| *b = (value as u32).to_le_bytes()),
            Size::DW => self.writable_array::<8>(address).map(|b| *b = value.to_le_bytes()),
        };
        match done {
            Some(()) => Ok(()),
            None => Err(self.fault(access, address, size.bytes() as usize)),
        }
    }

    /// Reads the value of `size` at `address` for an atomic, checking that it may also be
    /// written (so a read-only region refuses the whole read-modify-write up front).
    pub(crate) fn atomic_load(&mut self, address: u64, size: Size) -> Result<u64, MemoryFault> {
        let len = size.bytes() as usize;
        let (index, offset) = Memory::split(address);
        let reads = self.regions.get(index).is_some_and(|r| r.access.reads());
        if !reads || !self.initialised(index, offset, len) {
            return Err(self.fault(AccessKind::Atomic, address, len));
        }
        match self.writable(address, len) {
            Some(bytes) => {
                let mut buffer = [0u8; 8];
                buffer[..len].copy_from_slice(bytes);
                Ok(u64::from_le_bytes(buffer))
            }
            None => Err(self.fault(AccessKind::Atomic, address, len)),
        }
    }

    /// Writes back the result of an atomic.
    pub(crate) fn atomic_store(&mut self, address: u64, size: Size, value: u64) -> Result<(), MemoryFault> {
        self.store_as(AccessKind::Atomic, address, size, value)
    }

    /// The `N` bytes at `address`, if a load may read them all.
    #[inline(always)]
    fn readable_array<const N: usize>(&self, address: u64) -> Option<&[u8; N]> {
        self.readable(address, N)?.try_into().ok()
    }

    /// The `N` bytes at `address`, if a store may write them all.
    #[inline(always)]
    fn writable_array<const N: usize>(&mut self, address: u64) -> Option<&mut [u8; N]> {
        self.writable(address, N)?.try_into().ok()
    }

    /// Marks which stack frames are accessible: frames `0..=depth` only.
    pub(crate) fn activate_frames(&mut self, depth: usize) {
        for (frame, region) in self.regions[..MAX_FRAMES].iter_mut().enumerate() {
            region.access = if frame <= depth { Access::ReadWrite } else { Access::None };
        }
        for frame in 0..MAX_FRAMES {
            self.forget_writes(frame);
        }
    }

    /// Makes stack frame `frame` accessible or not (a call pushes, an exit pops).
    #[inline(always)]
    pub(crate) fn set_frame_live(&mut self, frame: usize, live: bool) {
        if let Some(region) = self.regions.get_mut(frame) {
            region.access = if live { Access::ReadWrite } else { Access::None };
        }
        if live {
            self.forget_writes(frame);
            if let Some(left) = self.may_goto_left.get_mut(frame) {
                *left = self.may_goto_budget;
            }
        }
    }
}
