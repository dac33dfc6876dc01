//! The maps of an ELF object during a run: their state, and the map operations the kernel
//! helpers perform on it.
//!
//! Model (one CPU, no concurrency):
//! - A map's **handle** (what `lddw` kind `MapIdx` loads, and what helpers take) is
//!   [`map_handle`]`(id)`, an address in no region: dereferencing it faults.
//! - Every **value** is a region of its own, so every access to it is bounds-checked: each
//!   array element (created zeroed on first use), each hash entry (created by an update,
//!   made inaccessible by a delete, so a stale pointer faults), each global data section
//!   (from [`LoadedProgram::data_image`], read-only for `.rodata*`) and each reserved
//!   ring-buffer record (inaccessible once submitted or discarded).
//! - Per-CPU arrays and hashes behave as plain ones (one CPU); LRU hashes behave as hashes
//!   (no eviction: a full map refuses new keys with `-E2BIG`).
//! - Ring buffers and perf event arrays are sinks: what a program sends them is returned to
//!   the caller of [`MapTable::take_record`] / the output helpers, which record it.
//! - Other map types (program arrays, map-in-map, ...) exist as handles; operations on them
//!   fail with [`HelperError::InvalidArgument`].
//!
//! Errors a program may see at run time come back as negative errno values, as in Linux;
//! pointer arguments the verifier must have checked (keys, values) fault as traps.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::arena::Arena;
use super::helpers::HelperError;
use super::memory::{Access, MapBinding, Memory, MemoryError, RegionId, RegionKind, region_base};
use crate::elf::{LoadedProgram, MapDef, MapId, MapOrigin, Object};
use crate::isa::{Insn, LddwKind};
use crate::model::maps::{LPM_PREFIX_BYTES, MapType};

mod kinds;

/// Base of the map-handle address range: above every region window and the code
/// addresses, so a handle is never a readable address.
pub const MAP_HANDLE_BASE: u64 = 0x0000_e000_0000_0000;
/// log2 of the distance between two maps' handles.
const MAP_HANDLE_SHIFT: u32 = 16;

/// The handle of map `map`.
pub const fn map_handle(map: MapId) -> u64 {
    MAP_HANDLE_BASE + ((map.0 as u64) << MAP_HANDLE_SHIFT)
}

/// The map whose handle is `handle`, if it is one.
pub fn map_of_handle(handle: u64) -> Option<MapId> {
    let offset = handle.checked_sub(MAP_HANDLE_BASE)?;
    if offset & ((1 << MAP_HANDLE_SHIFT) - 1) != 0 {
        return None;
    }
    u32::try_from(offset >> MAP_HANDLE_SHIFT).ok().map(MapId)
}

/// Whether `program` loads map `map`'s handle or value (Linux gives a program the one arena
/// it names).
fn program_uses_map(program: &LoadedProgram, map: MapId) -> bool {
    program.program.insns().iter().any(|d| {
        matches!(d.insn, Insn::Lddw { kind: LddwKind::MapIdx | LddwKind::MapIdxValue, imm, .. } if imm as u32 == map.0)
    })
}

/// How a run models a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapKind {
    /// An array: `max_entries` values indexed by a u32 key (also per-CPU arrays).
    Array,
    /// A hash table (also per-CPU and LRU hashes).
    Hash,
    /// A longest-prefix-match trie.
    LpmTrie,
    /// A FIFO queue of values.
    Queue,
    /// A LIFO stack of values.
    Stack,
    /// A bloom filter.
    BloomFilter,
    /// An array of maps.
    ArrayOfMaps,
    /// A hash table of maps.
    HashOfMaps,
    /// A program array: the object's programs `tail_call` jumps to, by index.
    ProgArray,
    /// A perf event array (a sink for `perf_event_output`).
    PerfEventArray,
    /// A ring buffer (a sink for `ringbuf_output` / `ringbuf_reserve`).
    RingBuffer,
    /// A global data section: a one-element array.
    GlobalData,
    /// A sockmap or sockhash: its sockets are the environment's, so lookups and deletes
    /// are the socket helpers' (`kernel_helpers::sockets`).
    SocketMap,
    /// An XSK map: lookups give XDP sockets of the environment.
    XskMap,
    /// A cgroup storage map (shared or per-CPU): the one value of the cgroup the program
    /// runs for, which `get_local_storage` returns.
    CgroupStorage,
    /// An arena: no helper takes it; its pages are the run's [`crate::interp::arena`].
    Arena,
    /// A type the run does not model.
    Unsupported,
}

/// The name of map type `map_type` (`hash`, `array`, ...), if known.
pub fn map_type_name(map_type: u32) -> Option<&'static str> {
    MapType::from_number(map_type).map(MapType::name)
}

impl MapKind {
    /// How a run models `def`.
    pub fn of(def: &MapDef) -> MapKind {
        if matches!(def.origin, MapOrigin::Data { .. }) {
            return MapKind::GlobalData;
        }
        match MapType::from_number(def.map_type) {
            Some(MapType::Array | MapType::PercpuArray) => MapKind::Array,
            Some(MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash) => MapKind::Hash,
            Some(MapType::LpmTrie) => MapKind::LpmTrie,
            Some(MapType::Queue) => MapKind::Queue,
            Some(MapType::Stack) => MapKind::Stack,
            Some(MapType::BloomFilter) => MapKind::BloomFilter,
            Some(MapType::ArrayOfMaps) => MapKind::ArrayOfMaps,
            Some(MapType::HashOfMaps) => MapKind::HashOfMaps,
            Some(MapType::ProgArray) => MapKind::ProgArray,
            Some(MapType::PerfEventArray) => MapKind::PerfEventArray,
            Some(MapType::Ringbuf) => MapKind::RingBuffer,
            Some(MapType::Sockmap | MapType::Sockhash) => MapKind::SocketMap,
            Some(MapType::Xskmap) => MapKind::XskMap,
            Some(MapType::CgroupStorage | MapType::PercpuCgroupStorage) => MapKind::CgroupStorage,
            Some(MapType::Arena) => MapKind::Arena,
            _ => MapKind::Unsupported,
        }
    }
}

/// `BPF_NOEXIST` and `BPF_EXIST`; with `BPF_ANY` (0) the update flags a run accepts.
const BPF_NOEXIST: u64 = 1;
const BPF_EXIST: u64 = 2;

/// Linux errno values helpers return (negated).
pub mod errno {
    /// No such entry.
    pub const ENOENT: u64 = 2;
    /// Argument list too long (a full map, an index past the end).
    pub const E2BIG: u64 = 7;
    /// Bad address.
    pub const EFAULT: u64 = 14;
    /// The entry exists.
    pub const EEXIST: u64 = 17;
    /// Invalid argument.
    pub const EINVAL: u64 = 22;
    /// Out of memory.
    pub const ENOMEM: u64 = 12;
    /// No space left (a full LPM trie).
    pub const ENOSPC: u64 = 28;
    /// Operation not supported (a socket a socket map does not take).
    pub const EOPNOTSUPP: u64 = 95;

    /// `-error` as a register value.
    pub const fn negative(error: u64) -> u64 {
        0u64.wrapping_sub(error)
    }
}

/// Where a map's values live.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Storage {
    /// Array elements created so far, by index.
    Elements(BTreeMap<u32, RegionId>),
    /// Live hash entries, by key bytes.
    Entries(BTreeMap<Vec<u8>, RegionId>),
    /// A global data section's region.
    Data(RegionId),
    /// A queue's or stack's values, oldest first.
    Values(VecDeque<Vec<u8>>),
    /// The values a bloom filter has been given.
    Members(BTreeSet<Vec<u8>>),
    /// A map of maps' inner maps, by key bytes.
    Maps(BTreeMap<Vec<u8>, MapId>),
    /// A program array's programs (indices in [`Object::programs`]), by slot.
    Programs(BTreeMap<u32, usize>),
    /// A cgroup storage's value for the run's cgroup (CPU 0's copy of a per-CPU one),
    /// zeroed when the program is attached, as the kernel allocates it.
    Local(RegionId),
    /// Nothing (sinks, unsupported types).
    None,
}

/// One map's definition and state.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MapState {
    name: String,
    kind: MapKind,
    /// `BPF_MAP_TYPE_*`.
    map_type: u32,
    /// For a map of maps: the template its inner maps match.
    inner_template: Option<MapId>,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    /// What programs may do to its values (its access flags).
    access: Access,
    /// The byte offset of its values' `struct bpf_spin_lock`, if they have one.
    spin_lock: Option<u32>,
    storage: Storage,
    /// For an LRU hash: when each key was last used (a lookup or an update).
    last_use: Option<BTreeMap<Vec<u8>, u64>>,
}

/// Why a run's maps could not be set up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("map `{map}`: {error}")]
pub struct MapSetupError {
    /// The map's name.
    pub map: String,
    /// What went wrong.
    pub error: MemoryError,
}

/// Why a host-side insertion into a map ([`MapTable::insert`]) was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapInsertError {
    /// No map has this id.
    #[error("no map {0}")]
    NoSuchMap(u32),
    /// The map is not an array or a hash table.
    #[error("map `{map}` is a {kind:?} map; only arrays and hash tables take entries")]
    Unsupported {
        /// The map's name.
        map: String,
        /// How runs model it.
        kind: MapKind,
    },
    /// The key or the value has the wrong size.
    #[error("map `{map}`: the {what} has {got} bytes, not {expected}")]
    Size {
        /// The map's name.
        map: String,
        /// `key` or `value`.
        what: &'static str,
        /// The map's size for it.
        expected: u32,
        /// The size given.
        got: usize,
    },
    /// An array index past the array's end.
    #[error("map `{map}`: index {index} is past the last of {max_entries} elements")]
    IndexOutOfRange {
        /// The map's name.
        map: String,
        /// The index.
        index: u32,
        /// The array's length.
        max_entries: u32,
    },
    /// A new key for a full hash table.
    #[error("map `{map}` is full ({max_entries} entries)")]
    Full {
        /// The map's name.
        map: String,
        /// Its capacity.
        max_entries: u32,
    },
    /// An inner map that does not match the map of maps' template.
    #[error("map `{map}`: map {inner} does not match its inner map template")]
    InnerMismatch {
        /// The map of maps' name.
        map: String,
        /// The inner map's id.
        inner: u32,
    },
    /// The value's region could not be created.
    #[error("map `{map}`: {error}")]
    Memory {
        /// The map's name.
        map: String,
        /// What went wrong.
        error: MemoryError,
    },
}

/// The maps of one object in one memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapTable {
    maps: Vec<MapState>,
    /// Ring-buffer records reserved and not yet submitted or discarded.
    reserved: BTreeMap<RegionId, MapId>,
    /// Bytes of the map values created so far (at most [`MAX_MAP_VALUE_BYTES`]).
    value_bytes: u64,
    /// Ticks at every use of an LRU hash's key.
    clock: u64,
}

impl MapTable {
    /// Creates the maps of `object` as `program` sees them in `memory`, and binds every
    /// map index there (so `lddw` kinds `MapIdx`/`MapIdxValue` resolve).
    pub fn install(object: &Object, program: &LoadedProgram, memory: &mut Memory) -> Result<MapTable, MapSetupError> {
        let mut maps = Vec::with_capacity(object.maps.len());
        let mut value_bytes = 0;
        for (index, def) in object.maps.iter().enumerate() {
            let id = MapId(index as u32);
            let kind = MapKind::of(def);
            let setup_error = |error| MapSetupError { map: def.name.clone(), error };
            let (storage, value) = match (kind, &def.origin) {
                (MapKind::GlobalData, MapOrigin::Data { read_only, bytes }) => {
                    let image = program.data_image(object, id).unwrap_or_else(|| bytes.clone());
                    let access = if *read_only { Access::ReadOnly } else { Access::ReadWrite };
                    let region = memory
                        .add_region(RegionKind::GlobalData { section: id.0 }, image, access)
                        .map_err(setup_error)?;
                    (Storage::Data(region), Some(region))
                }
                (MapKind::Array, _) => {
                    // `MapIdxValue` of an array names its first element, which exists from
                    // the start when the array has one.
                    let mut elements = BTreeMap::new();
                    if def.max_entries > 0 {
                        let access = Access::of_program_access(def.program_access());
                        let region =
                            new_value(memory, &mut value_bytes, id, def.value_size, access).map_err(setup_error)?;
                        elements.insert(0, region);
                    }
                    let first = elements.get(&0).copied();
                    (Storage::Elements(elements), first)
                }
                (MapKind::Hash | MapKind::LpmTrie, _) => (Storage::Entries(BTreeMap::new()), None),
                (MapKind::Queue | MapKind::Stack, _) => (Storage::Values(VecDeque::new()), None),
                (MapKind::BloomFilter, _) => (Storage::Members(BTreeSet::new()), None),
                (MapKind::ArrayOfMaps | MapKind::HashOfMaps, _) => {
                    // libbpf keys an initial inner map by its slot number.
                    let key = |slot: u32| {
                        let mut key = slot.to_le_bytes().to_vec();
                        key.resize(def.key_size as usize, 0);
                        key
                    };
                    (Storage::Maps(def.extras.initial_maps.iter().map(|&(slot, map)| (key(slot), map)).collect()), None)
                }
                (MapKind::ProgArray, _) => {
                    let index = |name: &String| object.programs.iter().position(|p| &p.name == name);
                    let programs =
                        def.extras.initial_programs.iter().filter_map(|(slot, name)| Some((*slot, index(name)?)));
                    (Storage::Programs(programs.collect()), None)
                }
                (MapKind::CgroupStorage, _) => {
                    let access = Access::of_program_access(def.program_access());
                    let region =
                        new_value(memory, &mut value_bytes, id, def.value_size, access).map_err(setup_error)?;
                    (Storage::Local(region), None)
                }
                _ => (Storage::None, None),
            };
            if kind == MapKind::Arena && program_uses_map(program, id) {
                let arena_error = |error| MapSetupError { map: def.name.clone(), error: MemoryError::Arena(error) };
                let mut arena = Arena::new(map_handle(id), def.max_entries, def.extras.map_extra, def.flags)
                    .map_err(arena_error)?;
                arena.place_globals(&def.extras.arena_globals).map_err(arena_error)?;
                memory.install_arena(arena);
            }
            let lru = matches!(MapType::from_number(def.map_type), Some(MapType::LruHash | MapType::LruPercpuHash));
            memory.bind_map(id.0, MapBinding { handle: map_handle(id), value });
            maps.push(MapState {
                name: def.name.clone(),
                kind,
                map_type: def.map_type,
                inner_template: def.extras.inner,
                key_size: def.key_size,
                value_size: def.value_size,
                max_entries: def.max_entries,
                access: Access::of_program_access(def.program_access()),
                spin_lock: def.extras.spin_lock,
                storage,
                last_use: lru.then(BTreeMap::new),
            });
        }
        Ok(MapTable { maps, reserved: BTreeMap::new(), value_bytes, clock: 0 })
    }

    /// Number of maps.
    pub fn len(&self) -> usize {
        self.maps.len()
    }

    /// Whether the object has no maps.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    /// The name of map `map`.
    pub fn name(&self, map: MapId) -> Option<&str> {
        self.maps.get(map.0 as usize).map(|m| m.name.as_str())
    }

    /// How map `map` is modelled.
    pub fn kind(&self, map: MapId) -> Option<MapKind> {
        self.maps.get(map.0 as usize).map(|m| m.kind)
    }

    /// The kernel map type of map `map`, if it is one the model knows.
    pub fn map_type(&self, map: MapId) -> Option<MapType> {
        self.maps.get(map.0 as usize).and_then(|m| MapType::from_number(m.map_type))
    }

    /// The live entries of map `map` as (key bytes, value bytes), in key order: array
    /// elements created so far (keys are little-endian u32 indices), hash entries, a
    /// data section's whole contents under key 0, or a cgroup storage's value (no key).
    pub fn entries(&self, memory: &Memory, map: MapId) -> Vec<(Vec<u8>, Vec<u8>)> {
        let value = |region: &RegionId| memory.region(*region).map_or_else(Vec::new, |r| r.bytes().to_vec());
        match self.maps.get(map.0 as usize).map(|m| &m.storage) {
            Some(Storage::Elements(elements)) => {
                elements.iter().map(|(index, region)| (index.to_le_bytes().to_vec(), value(region))).collect()
            }
            Some(Storage::Entries(entries)) => {
                entries.iter().map(|(key, region)| (key.clone(), value(region))).collect()
            }
            Some(Storage::Data(region)) => vec![(0u32.to_le_bytes().to_vec(), value(region))],
            Some(Storage::Values(values)) => values.iter().map(|v| (Vec::new(), v.clone())).collect(),
            Some(Storage::Members(members)) => members.iter().map(|v| (Vec::new(), v.clone())).collect(),
            Some(Storage::Local(region)) => vec![(Vec::new(), value(region))],
            Some(Storage::Maps(inner)) => {
                inner.iter().map(|(key, map)| (key.clone(), map.0.to_le_bytes().to_vec())).collect()
            }
            Some(Storage::Programs(programs)) => programs
                .iter()
                .map(|(slot, program)| (slot.to_le_bytes().to_vec(), (*program as u32).to_le_bytes().to_vec()))
                .collect(),
            Some(Storage::None) | None => Vec::new(),
        }
    }

    /// Sets entry `key` of array or hash map `map` to `value` from the host, as user space
    /// does with `bpf_map_update_elem(2)` before a program runs: an array's key is its
    /// little-endian u32 index; a hash table gets a new entry or has an existing one
    /// overwritten in place (pointers to it stay valid). Global data and the other map
    /// kinds are refused.
    pub fn insert(&mut self, memory: &mut Memory, map: MapId, key: &[u8], value: &[u8]) -> Result<(), MapInsertError> {
        let state = self.maps.get(map.0 as usize).ok_or(MapInsertError::NoSuchMap(map.0))?;
        let (kind, value_size, max_entries) = (state.kind, state.value_size, state.max_entries);
        let name = state.name.clone();
        if !matches!(kind, MapKind::Array | MapKind::Hash) {
            return Err(MapInsertError::Unsupported { map: name, kind });
        }
        let key_size = if kind == MapKind::Array { 4 } else { state.key_size };
        for (what, expected, got) in [("key", key_size, key.len()), ("value", value_size, value.len())] {
            if got != expected as usize {
                return Err(MapInsertError::Size { map: name, what, expected, got });
            }
        }
        let region = if kind == MapKind::Array {
            let index = u32::from_le_bytes([key[0], key[1], key[2], key[3]]);
            if index >= max_entries {
                return Err(MapInsertError::IndexOutOfRange { map: name, index, max_entries });
            }
            self.element(memory, map, index).map_err(|error| MapInsertError::Memory { map: name, error })?
        } else {
            let access = self.maps[map.0 as usize].access;
            let Storage::Entries(entries) = &mut self.maps[map.0 as usize].storage else {
                unreachable!("hash maps have entries")
            };
            match entries.get(key) {
                Some(region) => *region,
                None if entries.len() >= max_entries as usize => {
                    return Err(MapInsertError::Full { map: name, max_entries });
                }
                None => {
                    let region = new_value(memory, &mut self.value_bytes, map, value_size, access)
                        .map_err(|error| MapInsertError::Memory { map: name, error })?;
                    entries.insert(key.to_vec(), region);
                    region
                }
            }
        };
        let target = memory.region_mut(region).expect("map values are regions of this memory");
        target.bytes_mut().copy_from_slice(value);
        Ok(())
    }

    /// The map a handle in argument register `register` names.
    fn resolve(&self, handle: u64, register: u8) -> Result<MapId, HelperError> {
        map_of_handle(handle).filter(|id| (id.0 as usize) < self.maps.len()).ok_or(HelperError::InvalidArgument {
            register,
            value: handle,
            reason: "not a map handle",
        })
    }

    /// The program (an index in [`Object::programs`]) at slot `index` of program array
    /// `handle`, if the slot holds one.
    pub fn program_at(&self, handle: u64, index: u64) -> Result<Option<usize>, HelperError> {
        let id = self.resolve(handle, 2)?;
        let state = &self.maps[id.0 as usize];
        let Storage::Programs(programs) = &state.storage else {
            return Err(HelperError::InvalidArgument { register: 2, value: handle, reason: "not a program array" });
        };
        // The kernel reads the index as a u32.
        Ok(programs.get(&(index as u32)).copied())
    }

    /// The key of map `map` at address `key`.
    fn read_key(&self, memory: &Memory, map: MapId, key: u64) -> Result<Vec<u8>, HelperError> {
        let size = self.maps[map.0 as usize].key_size as usize;
        Ok(memory.read(key, size)?.to_vec())
    }

    /// `bpf_map_lookup_elem(handle, key)`: the address of the value, or 0.
    pub fn lookup(&mut self, memory: &mut Memory, handle: u64, key: u64) -> Result<u64, HelperError> {
        let id = self.resolve(handle, 1)?;
        let state = &self.maps[id.0 as usize];
        match state.kind {
            MapKind::Array => {
                let index = array_index(memory, key)?;
                if index >= state.max_entries {
                    return Ok(0);
                }
                Ok(region_base(self.element(memory, id, index)?))
            }
            MapKind::GlobalData => {
                let Storage::Data(region) = state.storage else { unreachable!("data maps have a region") };
                Ok(if array_index(memory, key)? == 0 { region_base(region) } else { 0 })
            }
            MapKind::Hash => {
                let key = self.read_key(memory, id, key)?;
                let Storage::Entries(entries) = &self.maps[id.0 as usize].storage else {
                    unreachable!("hash maps have entries")
                };
                let found = entries.get(&key).map_or(0, |region| region_base(*region));
                if found != 0 {
                    self.touch(id, key);
                }
                Ok(found)
            }
            MapKind::LpmTrie => self.lpm_lookup(memory, id, key),
            MapKind::ArrayOfMaps | MapKind::HashOfMaps => self.inner_map(memory, id, key),
            MapKind::Queue
            | MapKind::Stack
            | MapKind::BloomFilter
            | MapKind::PerfEventArray
            | MapKind::RingBuffer
            | MapKind::SocketMap
            | MapKind::XskMap
            | MapKind::Arena
            | MapKind::ProgArray
            | MapKind::CgroupStorage
            | MapKind::Unsupported => {
                Err(HelperError::InvalidArgument { register: 1, value: handle, reason: "map type has no lookup" })
            }
        }
    }

    /// `bpf_map_update_elem(handle, key, value, flags)`: 0 or a negative errno.
    pub fn update(
        &mut self,
        memory: &mut Memory,
        handle: u64,
        key: u64,
        value: u64,
        flags: u64,
    ) -> Result<u64, HelperError> {
        let id = self.resolve(handle, 1)?;
        let state = &self.maps[id.0 as usize];
        let (kind, value_size, max_entries) = (state.kind, state.value_size as usize, state.max_entries);
        if kind == MapKind::LpmTrie {
            return self.lpm_update(memory, id, key, value, flags);
        }
        if !matches!(kind, MapKind::Array | MapKind::Hash | MapKind::GlobalData) {
            return Err(HelperError::InvalidArgument { register: 1, value: handle, reason: "map type has no update" });
        }
        let key_bytes = self.read_key(memory, id, key)?;
        let bytes = memory.read(value, value_size)?.to_vec();
        if flags > BPF_EXIST {
            return Ok(errno::negative(errno::EINVAL));
        }
        let region = match kind {
            MapKind::Array | MapKind::GlobalData => {
                let index = array_index(memory, key)?;
                if index >= max_entries {
                    return Ok(errno::negative(errno::E2BIG));
                }
                if flags == BPF_NOEXIST {
                    return Ok(errno::negative(errno::EEXIST));
                }
                match self.maps[id.0 as usize].storage {
                    Storage::Data(region) if memory.region(region).map(|r| r.access()) == Some(Access::ReadOnly) => {
                        return Err(HelperError::InvalidArgument {
                            register: 1,
                            value: handle,
                            reason: "read-only data section",
                        });
                    }
                    Storage::Data(region) => region,
                    _ => self.element(memory, id, index)?,
                }
            }
            _ => {
                let Storage::Entries(entries) = &self.maps[id.0 as usize].storage else {
                    unreachable!("hash maps have entries")
                };
                match (entries.get(&key_bytes).copied(), flags) {
                    (Some(_), BPF_NOEXIST) => return Ok(errno::negative(errno::EEXIST)),
                    (None, BPF_EXIST) => return Ok(errno::negative(errno::ENOENT)),
                    (Some(region), _) => region,
                    (None, _) if entries.len() >= max_entries as usize && !self.evict_least_recent(memory, id) => {
                        return Ok(errno::negative(errno::E2BIG));
                    }
                    (None, _) => {
                        let access = self.maps[id.0 as usize].access;
                        let Ok(region) = new_value(memory, &mut self.value_bytes, id, value_size as u32, access) else {
                            return Ok(errno::negative(errno::ENOMEM));
                        };
                        let Storage::Entries(entries) = &mut self.maps[id.0 as usize].storage else {
                            unreachable!("hash maps have entries")
                        };
                        entries.insert(key_bytes.clone(), region);
                        region
                    }
                }
            }
        };
        if kind == MapKind::Hash {
            self.touch(id, key_bytes);
        }
        let target = memory.region_mut(region).expect("map values are regions of this memory");
        target.bytes_mut().copy_from_slice(&bytes);
        Ok(0)
    }

    /// `bpf_map_delete_elem(handle, key)`: 0 or a negative errno. A deleted hash value's
    /// region becomes inaccessible.
    pub fn delete(&mut self, memory: &mut Memory, handle: u64, key: u64) -> Result<u64, HelperError> {
        let id = self.resolve(handle, 1)?;
        match self.maps[id.0 as usize].kind {
            MapKind::Hash => {
                let key = self.read_key(memory, id, key)?;
                let Storage::Entries(entries) = &mut self.maps[id.0 as usize].storage else {
                    unreachable!("hash maps have entries")
                };
                match entries.remove(&key) {
                    Some(region) => {
                        memory.set_access(region, Access::None);
                        if let Some(last_use) = &mut self.maps[id.0 as usize].last_use {
                            last_use.remove(&key);
                        }
                        Ok(0)
                    }
                    None => Ok(errno::negative(errno::ENOENT)),
                }
            }
            MapKind::LpmTrie => self.lpm_delete(memory, id, key),
            MapKind::Array | MapKind::GlobalData => {
                self.read_key(memory, id, key)?;
                Ok(errno::negative(errno::EINVAL))
            }
            _ => Err(HelperError::InvalidArgument { register: 1, value: handle, reason: "map type has no delete" }),
        }
    }

    /// The map of kind `kind` a handle in register `register` names (for the sink helpers).
    pub fn sink(&self, handle: u64, register: u8, kind: MapKind) -> Result<MapId, HelperError> {
        let id = self.resolve(handle, register)?;
        if self.maps[id.0 as usize].kind != kind {
            return Err(HelperError::InvalidArgument { register, value: handle, reason: "wrong map type" });
        }
        Ok(id)
    }

    /// `bpf_get_local_storage(handle, flags)`: the address of the cgroup storage's value;
    /// the same value on every call of every run, never NULL.
    pub fn local_storage(&self, handle: u64) -> Result<u64, HelperError> {
        let id = self.sink(handle, 1, MapKind::CgroupStorage)?;
        let Storage::Local(region) = self.maps[id.0 as usize].storage else {
            unreachable!("cgroup storage maps have their value")
        };
        Ok(region_base(region))
    }

    /// The key and value sizes of the map a handle in register `register` names.
    pub fn key_and_value_size(&self, handle: u64, register: u8) -> Result<(u32, u32), HelperError> {
        let state = &self.maps[self.resolve(handle, register)?.0 as usize];
        Ok((state.key_size, state.value_size))
    }

    /// `bpf_ringbuf_reserve(handle, size, flags)`: the address of a new record of `size`
    /// bytes, or 0 when it cannot fit (or `flags` is not 0).
    pub fn reserve(&mut self, memory: &mut Memory, handle: u64, size: u64, flags: u64) -> Result<u64, HelperError> {
        let id = self.sink(handle, 1, MapKind::RingBuffer)?;
        let capacity = u64::from(self.maps[id.0 as usize].max_entries);
        if flags != 0 || size > capacity {
            return Ok(0);
        }
        let Ok(region) = new_value(memory, &mut self.value_bytes, id, size as u32, Access::ReadWrite) else {
            return Ok(0);
        };
        self.reserved.insert(region, id);
        Ok(region_base(region))
    }

    /// Ends the reservation of the record at `record` (register `register`): returns its
    /// ring buffer and bytes, and makes it inaccessible.
    pub fn take_record(
        &mut self,
        memory: &mut Memory,
        record: u64,
        register: u8,
    ) -> Result<(MapId, Vec<u8>), HelperError> {
        let invalid = HelperError::InvalidArgument { register, value: record, reason: "not a reserved record" };
        let Some((region, 0)) = memory.locate(record) else { return Err(invalid) };
        let Some(map) = self.reserved.remove(&region) else { return Err(invalid) };
        let bytes = memory.region(region).map_or_else(Vec::new, |r| r.bytes().to_vec());
        memory.set_access(region, Access::None);
        Ok((map, bytes))
    }

    /// Whether `address` is the `struct bpf_spin_lock` of a live value of one of the maps.
    pub(crate) fn is_spin_lock(&self, memory: &Memory, address: u64) -> bool {
        let Some((region, offset)) = memory.locate(address) else { return false };
        let Some(region) = memory.region(region) else { return false };
        let RegionKind::MapValue { map } = region.kind() else { return false };
        let lock = self.maps.get(map as usize).and_then(|m| m.spin_lock);
        region.access() != Access::None && lock.is_some_and(|lock| i64::from(lock) == offset)
    }

    /// What programs may do to the values of the map `handle` names (any map: loads and
    /// stores).
    pub(crate) fn value_access(&self, handle: u64) -> Access {
        map_of_handle(handle).and_then(|m| self.maps.get(m.0 as usize)).map_or(Access::ReadWrite, |m| m.access)
    }

    /// The region of element `index` of array `map`, created zeroed on first use.
    fn element(&mut self, memory: &mut Memory, map: MapId, index: u32) -> Result<RegionId, MemoryError> {
        let state = &mut self.maps[map.0 as usize];
        let Storage::Elements(elements) = &mut state.storage else { unreachable!("arrays have elements") };
        if let Some(region) = elements.get(&index) {
            return Ok(*region);
        }
        let region = new_value(memory, &mut self.value_bytes, map, state.value_size, state.access)?;
        elements.insert(index, region);
        Ok(region)
    }
}

/// Most bytes the values of one [`MapTable`] take in all. Values are created when first
/// used, so a map's declared size costs nothing until a run touches it; this bounds what
/// runs touching many large values (or one absurd definition built by hand) can allocate.
pub const MAX_MAP_VALUE_BYTES: u64 = 256 << 20;

/// A zeroed value region of `size` bytes for map `map`, counted in `allocated` (checked
/// before anything is allocated).
fn new_value(
    memory: &mut Memory,
    allocated: &mut u64,
    map: MapId,
    size: u32,
    access: Access,
) -> Result<RegionId, MemoryError> {
    let total = *allocated + u64::from(size);
    if total > MAX_MAP_VALUE_BYTES {
        return Err(MemoryError::MapValuesTooLarge { limit: MAX_MAP_VALUE_BYTES });
    }
    let region = memory.add_region(RegionKind::MapValue { map: map.0 }, vec![0; size as usize], access)?;
    *allocated = total;
    Ok(region)
}

/// The u32 array index at address `key`.
fn array_index(memory: &Memory, key: u64) -> Result<u32, HelperError> {
    let bytes = memory.read(key, 4)?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::elf::{MAP_TYPE_ARRAY, Object};
    use crate::interp::memory::{FaultReason, MemoryFault};
    use crate::isa::{Insn, Size};
    use crate::program::{Program, ProgramParts};

    /// A BTF map definition.
    pub(crate) fn map(name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
        MapDef::btf(name, map_type, key_size, value_size, max_entries)
    }

    /// A global data section.
    pub(crate) fn data(name: &str, bytes: &[u8], read_only: bool) -> MapDef {
        MapDef {
            name: name.into(),
            section: name.into(),
            origin: MapOrigin::Data { read_only, bytes: bytes.to_vec() },
            map_type: MAP_TYPE_ARRAY,
            key_size: 4,
            value_size: bytes.len() as u32,
            max_entries: 1,
            flags: 0,
            function_pointer_variables: BTreeMap::new(),
            extras: Default::default(),
        }
    }

    /// An object holding `maps` and one program `insns` in section `section`.
    pub(crate) fn object(section: &str, maps: Vec<MapDef>, program: Program) -> Object {
        Object::of_program(None, maps, LoadedProgram::bare(section, "prog", program))
    }

    /// A memory with `maps` installed, and a scratch region at the returned address.
    pub(crate) fn setup(maps: Vec<MapDef>) -> (Memory, MapTable, u64) {
        let program = Program::new(vec![Insn::Exit], ProgramParts::default()).expect("valid");
        let object = object("xdp", maps, program);
        let mut memory = Memory::new();
        let table = MapTable::install(&object, &object.programs[0], &mut memory).expect("small maps");
        let scratch = memory.add_region(RegionKind::Other, vec![0; 64], Access::ReadWrite).expect("small");
        (memory, table, region_base(scratch))
    }

    pub(crate) fn handle(index: u32) -> u64 {
        map_handle(MapId(index))
    }

    fn reason(result: Result<u64, MemoryFault>) -> Option<FaultReason> {
        result.err().map(|f| f.reason)
    }

    #[test]
    fn handles_round_trip_and_are_not_addresses() {
        for id in [0, 1, 77, u32::MAX >> 16] {
            assert_eq!(map_of_handle(map_handle(MapId(id))), Some(MapId(id)));
        }
        assert_eq!(map_of_handle(map_handle(MapId(3)) + 8), None);
        assert_eq!(map_of_handle(0), None);
        let (memory, _, _) = setup(vec![map("a", 2, 4, 8, 4)]);
        assert_eq!(reason(memory.load(handle(0), Size::DW)), Some(FaultReason::Unmapped));
        assert_eq!(memory.map_binding(0).map(|b| b.handle), Some(handle(0)));
    }

    #[test]
    fn arrays_have_one_bounds_checked_region_per_element() {
        let (mut memory, mut maps, scratch) = setup(vec![map("counts", 6, 4, 8, 4)]);
        memory.store(scratch, Size::W, 3).expect("scratch");
        let value = maps.lookup(&mut memory, handle(0), scratch).expect("lookup");
        assert_ne!(value, 0);
        assert_eq!(memory.load(value, Size::DW), Ok(0));
        memory.store(value, Size::DW, 99).expect("values are writable");
        assert_eq!(reason(memory.load(value + 8, Size::B)), Some(FaultReason::OutOfBounds));
        assert_eq!(maps.lookup(&mut memory, handle(0), scratch), Ok(value), "the same element again");
        memory.store(scratch, Size::W, 4).expect("scratch");
        assert_eq!(maps.lookup(&mut memory, handle(0), scratch), Ok(0), "index past the end");
        // Update: key at scratch (index 1), value at scratch + 8.
        memory.store(scratch, Size::W, 1).expect("scratch");
        memory.store(scratch + 8, Size::DW, 0x55).expect("scratch");
        assert_eq!(maps.update(&mut memory, handle(0), scratch, scratch + 8, 0), Ok(0));
        let one = maps.lookup(&mut memory, handle(0), scratch).expect("lookup");
        assert_eq!(memory.load(one, Size::DW), Ok(0x55));
        assert_eq!(maps.update(&mut memory, handle(0), scratch, scratch + 8, 1), Ok(errno::negative(errno::EEXIST)));
        assert_eq!(maps.delete(&mut memory, handle(0), scratch), Ok(errno::negative(errno::EINVAL)));
        memory.store(scratch, Size::W, 9).expect("scratch");
        assert_eq!(maps.update(&mut memory, handle(0), scratch, scratch + 8, 0), Ok(errno::negative(errno::E2BIG)));
        let entries = maps.entries(&memory, MapId(0));
        let indices: Vec<_> = entries.iter().map(|(k, _)| k[0]).collect();
        assert_eq!(indices, [0, 1, 3]);
        assert_eq!(entries[2].1, 99u64.to_le_bytes());
    }

    #[test]
    fn hash_entries_come_and_go() {
        let (mut memory, mut maps, scratch) = setup(vec![map("flows", 1, 2, 4, 2)]);
        let (key, value) = (scratch, scratch + 8);
        memory.store(key, Size::H, 0x1234).expect("scratch");
        memory.store(value, Size::W, 7).expect("scratch");
        assert_eq!(maps.lookup(&mut memory, handle(0), key), Ok(0));
        assert_eq!(maps.update(&mut memory, handle(0), key, value, BPF_EXIST), Ok(errno::negative(errno::ENOENT)));
        assert_eq!(maps.update(&mut memory, handle(0), key, value, BPF_NOEXIST), Ok(0));
        assert_eq!(maps.update(&mut memory, handle(0), key, value, BPF_NOEXIST), Ok(errno::negative(errno::EEXIST)));
        assert_eq!(maps.update(&mut memory, handle(0), key, value, 4), Ok(errno::negative(errno::EINVAL)));
        let found = maps.lookup(&mut memory, handle(0), key).expect("lookup");
        assert_eq!(memory.load(found, Size::W), Ok(7));
        // An update of an existing key changes the value in place.
        memory.store(value, Size::W, 8).expect("scratch");
        assert_eq!(maps.update(&mut memory, handle(0), key, value, BPF_EXIST), Ok(0));
        assert_eq!(memory.load(found, Size::W), Ok(8));
        // Full: a third key is refused.
        for (k, expected) in [(1u64, 0), (2, errno::negative(errno::E2BIG))] {
            memory.store(key, Size::H, k).expect("scratch");
            assert_eq!(maps.update(&mut memory, handle(0), key, value, 0), Ok(expected));
        }
        // Delete: the stale pointer faults.
        memory.store(key, Size::H, 0x1234).expect("scratch");
        assert_eq!(maps.delete(&mut memory, handle(0), key), Ok(0));
        assert_eq!(reason(memory.load(found, Size::W)), Some(FaultReason::Inaccessible));
        assert_eq!(maps.delete(&mut memory, handle(0), key), Ok(errno::negative(errno::ENOENT)));
        assert_eq!(maps.entries(&memory, MapId(0)), [(1u16.to_le_bytes().to_vec(), 8u32.to_le_bytes().to_vec())]);
    }

    #[test]
    fn the_host_inserts_entries_programs_then_see() {
        let maps = vec![map("flows", 1, 2, 4, 2), map("slots", 2, 4, 8, 4), map("rb", 27, 0, 0, 64)];
        let (mut memory, mut table, scratch) = setup(maps);
        // Hash: a new key, then an overwrite in place.
        table.insert(&mut memory, MapId(0), &[0x34, 0x12], &7u32.to_le_bytes()).expect("room");
        memory.store(scratch, Size::H, 0x1234).expect("scratch");
        let found = table.lookup(&mut memory, handle(0), scratch).expect("lookup");
        assert_eq!(memory.load(found, Size::W), Ok(7));
        table.insert(&mut memory, MapId(0), &[0x34, 0x12], &8u32.to_le_bytes()).expect("overwrite");
        assert_eq!(memory.load(found, Size::W), Ok(8), "the same value region");
        table.insert(&mut memory, MapId(0), &[1, 0], &[0; 4]).expect("second entry");
        let full = table.insert(&mut memory, MapId(0), &[2, 0], &[0; 4]);
        assert_eq!(full, Err(MapInsertError::Full { map: "flows".into(), max_entries: 2 }));
        // Array: the element the program looks up.
        table.insert(&mut memory, MapId(1), &3u32.to_le_bytes(), &0x55u64.to_le_bytes()).expect("index 3");
        memory.store(scratch, Size::W, 3).expect("scratch");
        let element = table.lookup(&mut memory, handle(1), scratch).expect("lookup");
        assert_eq!(memory.load(element, Size::DW), Ok(0x55));
        let past = table.insert(&mut memory, MapId(1), &4u32.to_le_bytes(), &[0; 8]);
        assert!(matches!(past, Err(MapInsertError::IndexOutOfRange { index: 4, max_entries: 4, .. })), "{past:?}");
        // Sizes, kinds and ids are checked.
        let short = table.insert(&mut memory, MapId(1), &[0; 4], &[0; 7]);
        assert!(matches!(short, Err(MapInsertError::Size { what: "value", expected: 8, got: 7, .. })), "{short:?}");
        let key = table.insert(&mut memory, MapId(0), &[0; 4], &[0; 4]);
        assert!(matches!(key, Err(MapInsertError::Size { what: "key", expected: 2, got: 4, .. })), "{key:?}");
        let sink = table.insert(&mut memory, MapId(2), &[], &[]);
        assert!(matches!(sink, Err(MapInsertError::Unsupported { kind: MapKind::RingBuffer, .. })), "{sink:?}");
        assert_eq!(table.insert(&mut memory, MapId(3), &[], &[]), Err(MapInsertError::NoSuchMap(3)));
        assert_eq!(table.entries(&memory, MapId(1)).len(), 2, "elements 0 and 3");
    }

    #[test]
    fn map_values_past_the_allocation_limit_are_errors_not_aborts() {
        // One absurd value (a definition built by hand: the loader refuses such maps).
        let program = Program::new(vec![Insn::Exit], ProgramParts::default()).expect("valid");
        let object = object("xdp", vec![map("huge", MAP_TYPE_ARRAY, 4, 0xffff_fff0, 1)], program);
        let error = MapTable::install(&object, &object.programs[0], &mut Memory::new()).expect_err("4 GiB value");
        assert_eq!(error.map, "huge");
        // Many values that fit one by one, but not together (lookups create them zeroed,
        // so no page is touched).
        let value_size = 1 << 22;
        let (mut memory, mut table, scratch) = setup(vec![map("big", MAP_TYPE_ARRAY, 4, value_size, 1 << 10)]);
        let limit = MAX_MAP_VALUE_BYTES / u64::from(value_size);
        for index in 1..limit {
            memory.store(scratch, Size::W, index).expect("scratch");
            assert_ne!(table.lookup(&mut memory, handle(0), scratch), Ok(0), "index {index} within the limit");
        }
        memory.store(scratch, Size::W, limit).expect("scratch");
        let refused = table.lookup(&mut memory, handle(0), scratch);
        assert!(refused.is_err(), "{refused:?}");
    }

    #[test]
    fn global_data_takes_no_host_entries() {
        let (mut memory, mut table, _) = setup(vec![data(".bss", &[0; 8], false)]);
        let refused = table.insert(&mut memory, MapId(0), &[0; 4], &[1; 8]);
        assert!(matches!(refused, Err(MapInsertError::Unsupported { kind: MapKind::GlobalData, .. })), "{refused:?}");
    }

    #[test]
    fn bad_arguments_fault_or_are_refused() {
        let (mut memory, mut maps, scratch) = setup(vec![map("flows", 1, 8, 4, 2), map("rb", 27, 0, 0, 4096)]);
        assert!(matches!(maps.lookup(&mut memory, handle(0), 0), Err(HelperError::Memory(_))), "NULL key");
        assert!(matches!(maps.lookup(&mut memory, handle(0), scratch + 60), Err(HelperError::Memory(_))), "short key");
        let not_a_map = maps.lookup(&mut memory, scratch, scratch);
        assert!(matches!(not_a_map, Err(HelperError::InvalidArgument { register: 1, .. })));
        assert!(matches!(maps.lookup(&mut memory, handle(2), scratch), Err(HelperError::InvalidArgument { .. })));
        assert!(matches!(maps.lookup(&mut memory, handle(1), scratch), Err(HelperError::InvalidArgument { .. })));
        assert!(matches!(maps.sink(handle(0), 2, MapKind::RingBuffer), Err(HelperError::InvalidArgument { .. })));
    }

    #[test]
    fn global_data_is_bound_for_value_loads() {
        let (mut memory, mut maps, scratch) = setup(vec![data(".rodata", b"abc", true), data(".bss", &[0; 8], false)]);
        let rodata = memory.map_binding(0).and_then(|b| b.value).expect("data has a value region");
        assert_eq!(memory.read(region_base(rodata), 3), Ok(&b"abc"[..]));
        assert_eq!(reason(memory.store(region_base(rodata), Size::B, 0).map(|()| 0)), Some(FaultReason::ReadOnly));
        let bss = memory.map_binding(1).and_then(|b| b.value).expect("data has a value region");
        memory.store(region_base(bss) + 4, Size::W, 5).expect(".bss is writable");
        assert_eq!(maps.lookup(&mut memory, handle(1), scratch), Ok(region_base(bss)), "key 0");
        memory.store(scratch + 8, Size::DW, 0x0102).expect("scratch");
        assert_eq!(maps.update(&mut memory, handle(1), scratch, scratch + 8, 0), Ok(0));
        assert_eq!(memory.load(region_base(bss), Size::DW), Ok(0x0102));
        let refused = maps.update(&mut memory, handle(0), scratch, scratch + 8, 0);
        assert!(matches!(refused, Err(HelperError::InvalidArgument { .. })), "{refused:?}");
    }

    #[test]
    fn ring_buffer_records_are_reserved_then_taken_once() {
        let (mut memory, mut maps, _) = setup(vec![map("events", 27, 0, 0, 64)]);
        assert_eq!(maps.reserve(&mut memory, handle(0), 65, 0), Ok(0), "larger than the ring");
        assert_eq!(maps.reserve(&mut memory, handle(0), 8, 1), Ok(0), "flags must be 0");
        let record = maps.reserve(&mut memory, handle(0), 16, 0).expect("fits");
        memory.store(record + 8, Size::DW, 0xfeed).expect("records are writable");
        assert_eq!(reason(memory.load(record + 16, Size::B)), Some(FaultReason::OutOfBounds));
        assert!(maps.take_record(&mut memory, record + 8, 1).is_err(), "not the record's start");
        let (map, bytes) = maps.take_record(&mut memory, record, 1).expect("reserved");
        assert_eq!((map, &bytes[8..10]), (MapId(0), &[0xed, 0xfe][..]));
        assert!(maps.take_record(&mut memory, record, 1).is_err(), "taken twice");
        assert_eq!(reason(memory.load(record, Size::B)), Some(FaultReason::Inaccessible));
    }
}
