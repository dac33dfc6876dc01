//! Map types as data: every `BPF_MAP_TYPE_*` of Linux 6.12, its name, and the rules its
//! creation check applies to a definition (key and value sizes, `max_entries`, `map_flags`,
//! BTF). The loader applies them so that an object Linux would refuse to load is refused
//! here with the rule it breaks, and so that no absurd definition becomes an allocation of
//! gigabytes in the interpreter or the counterexample search.
//!
//! The rules follow each type's allocation check in Linux 6.12 (`array_map_alloc_check`,
//! `htab_map_alloc_check`, `trie_alloc`, `stack_map_alloc`, `dev_map_init_map`,
//! `cpu_map_alloc`, `xsk_map_alloc`, `sock_map_alloc`, `queue_stack_map_alloc_check`,
//! `bloom_map_alloc`, `ringbuf_map_alloc`, `arena_map_alloc`,
//! `bpf_local_storage_map_alloc_check`, `cgroup_storage_map_alloc`), with the constants of
//! x86-64 (4 KiB pages, SLUB, Debian's `NR_CPUS`).

/// `BPF_F_NO_PREALLOC`.
pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;
/// `BPF_F_NO_COMMON_LRU`.
pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
/// `BPF_F_NUMA_NODE`.
pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
/// `BPF_F_RDONLY`: user space may only read.
pub const BPF_F_RDONLY: u32 = 1 << 3;
/// `BPF_F_WRONLY`: user space may only write.
pub const BPF_F_WRONLY: u32 = 1 << 4;
/// `BPF_F_STACK_BUILD_ID`.
pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
/// `BPF_F_ZERO_SEED`.
pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
/// `BPF_F_RDONLY_PROG`: programs may only read.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_F_WRONLY_PROG`: programs may only write.
pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
/// `BPF_F_CLONE`.
pub const BPF_F_CLONE: u32 = 1 << 9;
/// `BPF_F_MMAPABLE`.
pub const BPF_F_MMAPABLE: u32 = 1 << 10;
/// `BPF_F_PRESERVE_ELEMS`.
pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
/// `BPF_F_INNER_MAP`.
pub const BPF_F_INNER_MAP: u32 = 1 << 12;
/// `BPF_F_SEGV_ON_FAULT`.
pub const BPF_F_SEGV_ON_FAULT: u32 = 1 << 17;
/// `BPF_F_NO_USER_CONV`.
pub const BPF_F_NO_USER_CONV: u32 = 1 << 18;
/// `BPF_F_ACCESS_MASK`: the four access flags.
pub const BPF_F_ACCESS_MASK: u32 = BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

/// What a program may do to a map's values through pointers into them (loads, stores,
/// and helpers' memory arguments): the kernel's `bpf_map_flags_to_cap`, plus frozen
/// read-only data (`.rodata`, which libbpf creates `BPF_F_RDONLY_PROG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgramAccess {
    /// Loads are allowed (no `BPF_F_WRONLY_PROG`).
    pub read: bool,
    /// Stores are allowed (no `BPF_F_RDONLY_PROG`, not frozen read-only data).
    pub write: bool,
}

impl ProgramAccess {
    /// Loads and stores.
    pub const READ_WRITE: ProgramAccess = ProgramAccess { read: true, write: true };

    /// The access `map_flags` give programs; `frozen` read-only data is never written.
    pub fn of(flags: u32, frozen: bool) -> ProgramAccess {
        ProgramAccess { read: flags & BPF_F_WRONLY_PROG == 0, write: flags & BPF_F_RDONLY_PROG == 0 && !frozen }
    }
}

/// `KMALLOC_MAX_SIZE` on x86-64 (SLUB, 4 KiB pages, `MAX_PAGE_ORDER` 10): no key or value
/// of any map type is larger.
pub const KMALLOC_MAX_SIZE: u64 = 4 << 20;
/// `MAX_BPF_STACK`: no sockhash key is larger.
pub const MAX_BPF_STACK: u64 = 512;
/// `PAGE_SIZE`.
pub const PAGE_SIZE: u64 = 4096;
/// `PCPU_MIN_UNIT_SIZE`: the largest per-CPU value.
const PCPU_MIN_UNIT_SIZE: u64 = 32 << 10;
/// `sizeof(struct htab_elem)`: the header in front of every hash element.
const HTAB_ELEM_BYTES: u64 = 48;
/// `sizeof(struct lpm_trie_node)`.
const LPM_NODE_BYTES: u64 = 40;
/// `sizeof(struct bpf_local_storage_elem)` (its data is cache-line aligned).
const LOCAL_STORAGE_ELEM_BYTES: u64 = 128;
/// `BPF_LOCAL_STORAGE_MAX_VALUE_SIZE`.
const LOCAL_STORAGE_MAX_VALUE: u64 = u16::MAX as u64 - LOCAL_STORAGE_ELEM_BYTES;
/// Linux refuses an array whose elements take `U32_MAX - PAGE_SIZE` bytes or more.
const MAX_ARRAY_BYTES: u64 = u32::MAX as u64 - PAGE_SIZE;
/// `NR_CPUS` of Debian's x86-64 kernels: the most entries a cpumap may have.
const NR_CPUS: u32 = 8192;
/// The default `kernel.perf_event_max_stack`: the most frames a stack-trace value holds.
const PERF_EVENT_MAX_STACK: u32 = 127;
/// `sizeof(struct bpf_stack_build_id)`.
const STACK_BUILD_ID_BYTES: u32 = 32;
/// `sizeof(struct bpf_lpm_trie_key_u8)` (the prefix length in front of the data).
pub const LPM_PREFIX_BYTES: u32 = 4;

/// A `BPF_MAP_TYPE_*` of Linux 6.12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // Each variant is the kernel's map type of the same name.
pub enum MapType {
    Hash,
    Array,
    ProgArray,
    PerfEventArray,
    PercpuHash,
    PercpuArray,
    StackTrace,
    CgroupArray,
    LruHash,
    LruPercpuHash,
    LpmTrie,
    ArrayOfMaps,
    HashOfMaps,
    Devmap,
    Sockmap,
    Cpumap,
    Xskmap,
    Sockhash,
    CgroupStorage,
    ReuseportSockarray,
    PercpuCgroupStorage,
    Queue,
    Stack,
    SkStorage,
    DevmapHash,
    StructOps,
    Ringbuf,
    InodeStorage,
    TaskStorage,
    BloomFilter,
    UserRingbuf,
    CgrpStorage,
    Arena,
}

/// The size a key or value must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SizeRule {
    /// Exactly this many bytes.
    Exactly(u32),
    /// One of these sizes.
    OneOf(&'static [u32]),
    /// At least `min` and at most `max` bytes.
    Between(u64, u64),
}

/// What `max_entries` must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntriesRule {
    /// At least 1 and at most this.
    Positive(u32),
    /// 0 (the size comes from the owners: storage maps).
    Zero,
    /// A power of two times the page size (ring buffers: bytes of data).
    PowerOfTwoPages,
    /// Exactly this many (struct_ops: one).
    Exactly(u32),
}

/// The creation rules of one map type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rules {
    key: SizeRule,
    value: SizeRule,
    entries: EntriesRule,
    /// Flags the type accepts.
    allowed_flags: u32,
    /// Flags the type requires.
    required_flags: u32,
    /// Whether the key and value must have BTF types.
    needs_btf: bool,
}

const ANY_KEY: SizeRule = SizeRule::Between(1, KMALLOC_MAX_SIZE);
const HASH_KEY: SizeRule = SizeRule::Between(1, KMALLOC_MAX_SIZE);
const SOCKHASH_KEY: SizeRule = SizeRule::Between(1, MAX_BPF_STACK);
const U32: SizeRule = SizeRule::Exactly(4);
const U32_OR_U64: SizeRule = SizeRule::OneOf(&[4, 8]);
const NONE: SizeRule = SizeRule::Exactly(0);
const HASH_VALUE: SizeRule = SizeRule::Between(1, KMALLOC_MAX_SIZE);
/// `sizeof(struct bpf_cgroup_storage_key)`: a u64 inode id and a u32 attach type, padded
/// to 16 bytes (the other key a cgroup storage map takes is the bare u64 id).
const CGROUP_STORAGE_KEY: u32 = 16;
const PERCPU_VALUE: SizeRule = SizeRule::Between(1, PCPU_MIN_UNIT_SIZE);
const ARRAY_VALUE: SizeRule = SizeRule::Between(1, i32::MAX as u64);
const STORAGE_VALUE: SizeRule = SizeRule::Between(1, LOCAL_STORAGE_MAX_VALUE);
const POSITIVE: EntriesRule = EntriesRule::Positive(u32::MAX);
const ARRAY_FLAGS: u32 = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
/// Maps of file descriptors take no program access flags.
const FD_ARRAY_FLAGS: u32 = BPF_F_NUMA_NODE | USER_ACCESS;
const HASH_FLAGS: u32 = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const USER_ACCESS: u32 = BPF_F_RDONLY | BPF_F_WRONLY;

const fn rules(key: SizeRule, value: SizeRule, entries: EntriesRule, allowed_flags: u32) -> Rules {
    Rules { key, value, entries, allowed_flags, required_flags: 0, needs_btf: false }
}

const fn storage(value: SizeRule) -> Rules {
    Rules {
        key: U32,
        value,
        entries: EntriesRule::Zero,
        allowed_flags: BPF_F_NO_PREALLOC | BPF_F_CLONE,
        required_flags: BPF_F_NO_PREALLOC,
        needs_btf: true,
    }
}

/// Every map type: its number, its name (libbpf's), and its creation rules, one per line.
/// Rules no table column expresses are in [`extra_rule`].
const MAP_TYPES: &[(MapType, u32, &str, Rules)] = &[
    (MapType::Hash, 1, "hash", rules(HASH_KEY, HASH_VALUE, POSITIVE, HASH_FLAGS)),
    (MapType::Array, 2, "array", rules(U32, ARRAY_VALUE, POSITIVE, ARRAY_FLAGS | BPF_F_MMAPABLE | BPF_F_INNER_MAP)),
    (MapType::ProgArray, 3, "prog_array", rules(U32, U32, POSITIVE, FD_ARRAY_FLAGS)),
    (MapType::PerfEventArray, 4, "perf_event_array", rules(U32, U32, POSITIVE, FD_ARRAY_FLAGS | BPF_F_PRESERVE_ELEMS)),
    (MapType::PercpuHash, 5, "percpu_hash", rules(HASH_KEY, PERCPU_VALUE, POSITIVE, HASH_FLAGS)),
    (MapType::PercpuArray, 6, "percpu_array", rules(U32, PERCPU_VALUE, POSITIVE, ARRAY_FLAGS)),
    (
        MapType::StackTrace,
        7,
        "stack_trace",
        rules(
            U32,
            SizeRule::Between(8, KMALLOC_MAX_SIZE),
            EntriesRule::Positive(1 << 31),
            FD_ARRAY_FLAGS | BPF_F_STACK_BUILD_ID,
        ),
    ),
    (MapType::CgroupArray, 8, "cgroup_array", rules(U32, U32, POSITIVE, FD_ARRAY_FLAGS)),
    (MapType::LruHash, 9, "lru_hash", rules(HASH_KEY, HASH_VALUE, POSITIVE, HASH_FLAGS | BPF_F_NO_COMMON_LRU)),
    (
        MapType::LruPercpuHash,
        10,
        "lru_percpu_hash",
        rules(HASH_KEY, PERCPU_VALUE, POSITIVE, HASH_FLAGS | BPF_F_NO_COMMON_LRU),
    ),
    (
        MapType::LpmTrie,
        11,
        "lpm_trie",
        Rules {
            key: SizeRule::Between(LPM_PREFIX_BYTES as u64 + 1, LPM_PREFIX_BYTES as u64 + 256),
            value: SizeRule::Between(1, KMALLOC_MAX_SIZE - 256 - LPM_NODE_BYTES),
            entries: POSITIVE,
            allowed_flags: BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK,
            required_flags: BPF_F_NO_PREALLOC,
            needs_btf: false,
        },
    ),
    (MapType::ArrayOfMaps, 12, "array_of_maps", rules(U32, U32, POSITIVE, FD_ARRAY_FLAGS)),
    (MapType::HashOfMaps, 13, "hash_of_maps", rules(HASH_KEY, U32, POSITIVE, HASH_FLAGS)),
    (MapType::Devmap, 14, "devmap", rules(U32, U32_OR_U64, POSITIVE, BPF_F_NUMA_NODE | USER_ACCESS)),
    (
        MapType::Sockmap,
        15,
        "sockmap",
        rules(U32, U32_OR_U64, EntriesRule::Positive(i32::MAX as u32), BPF_F_NUMA_NODE | USER_ACCESS),
    ),
    (MapType::Cpumap, 16, "cpumap", rules(U32, U32_OR_U64, EntriesRule::Positive(NR_CPUS), BPF_F_NUMA_NODE)),
    (MapType::Xskmap, 17, "xskmap", rules(U32, U32, POSITIVE, BPF_F_NUMA_NODE | USER_ACCESS)),
    (MapType::Sockhash, 18, "sockhash", rules(SOCKHASH_KEY, U32_OR_U64, POSITIVE, BPF_F_NUMA_NODE | USER_ACCESS)),
    (
        MapType::CgroupStorage,
        19,
        "cgroup_storage",
        rules(SizeRule::OneOf(&[8, CGROUP_STORAGE_KEY]), STORAGE_VALUE, EntriesRule::Zero, ARRAY_FLAGS),
    ),
    (MapType::ReuseportSockarray, 20, "reuseport_sockarray", rules(U32, U32_OR_U64, POSITIVE, ARRAY_FLAGS)),
    (
        MapType::PercpuCgroupStorage,
        21,
        "percpu_cgroup_storage",
        rules(SizeRule::OneOf(&[8, CGROUP_STORAGE_KEY]), PERCPU_VALUE, EntriesRule::Zero, ARRAY_FLAGS),
    ),
    (MapType::Queue, 22, "queue", rules(NONE, SizeRule::Between(1, KMALLOC_MAX_SIZE), POSITIVE, ARRAY_FLAGS)),
    (MapType::Stack, 23, "stack", rules(NONE, SizeRule::Between(1, KMALLOC_MAX_SIZE), POSITIVE, ARRAY_FLAGS)),
    (MapType::SkStorage, 24, "sk_storage", storage(STORAGE_VALUE)),
    (
        MapType::DevmapHash,
        25,
        "devmap_hash",
        rules(U32, U32_OR_U64, EntriesRule::Positive(1 << 31), BPF_F_NUMA_NODE | USER_ACCESS),
    ),
    (MapType::StructOps, 26, "struct_ops", rules(U32, ANY_KEY, EntriesRule::Exactly(1), 0)),
    (MapType::Ringbuf, 27, "ringbuf", rules(NONE, NONE, EntriesRule::PowerOfTwoPages, BPF_F_NUMA_NODE)),
    (MapType::InodeStorage, 28, "inode_storage", storage(STORAGE_VALUE)),
    (MapType::TaskStorage, 29, "task_storage", storage(STORAGE_VALUE)),
    (
        MapType::BloomFilter,
        30,
        "bloom_filter",
        rules(NONE, SizeRule::Between(1, KMALLOC_MAX_SIZE), POSITIVE, ARRAY_FLAGS | BPF_F_ZERO_SEED),
    ),
    (MapType::UserRingbuf, 31, "user_ringbuf", rules(NONE, NONE, EntriesRule::PowerOfTwoPages, BPF_F_NUMA_NODE)),
    (MapType::CgrpStorage, 32, "cgrp_storage", storage(STORAGE_VALUE)),
    (
        MapType::Arena,
        33,
        "arena",
        Rules {
            key: NONE,
            value: NONE,
            entries: EntriesRule::Positive(1 << 20),
            allowed_flags: BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT | BPF_F_NO_USER_CONV,
            required_flags: BPF_F_MMAPABLE,
            needs_btf: false,
        },
    ),
];

impl MapType {
    /// Every map type, in the kernel's order.
    pub fn all() -> impl Iterator<Item = MapType> {
        MAP_TYPES.iter().map(|row| row.0)
    }

    /// The map type numbered `number` (`BPF_MAP_TYPE_*`), if Linux 6.12 has it.
    pub fn from_number(number: u32) -> Option<MapType> {
        MAP_TYPES.iter().find(|row| row.1 == number).map(|row| row.0)
    }

    /// Its `BPF_MAP_TYPE_*` number.
    pub fn number(self) -> u32 {
        self.row().1
    }

    /// Its name, as libbpf prints it (`hash`, `lru_percpu_hash`, ...).
    pub fn name(self) -> &'static str {
        self.row().2
    }

    /// Whether its values are maps (map-in-map): a lookup gives an inner map.
    pub fn holds_maps(self) -> bool {
        matches!(self, MapType::ArrayOfMaps | MapType::HashOfMaps)
    }

    /// Whether its elements are indexed by a u32 below `max_entries`.
    pub fn is_array(self) -> bool {
        matches!(
            self,
            MapType::Array
                | MapType::PercpuArray
                | MapType::ProgArray
                | MapType::PerfEventArray
                | MapType::CgroupArray
                | MapType::ArrayOfMaps
                | MapType::Devmap
                | MapType::Sockmap
                | MapType::Cpumap
                | MapType::Xskmap
                | MapType::ReuseportSockarray
        )
    }

    /// The only helpers a program may pass a map of this type to (Linux's
    /// `check_map_func_compatibility`, from the map's side), or `None` when the map's
    /// side sets no limit.
    pub fn allowed_helpers(self) -> Option<&'static [&'static str]> {
        const SOCKETS: [&str; 2] = ["map_update_elem", "map_delete_elem"];
        Some(match self {
            MapType::ProgArray => &["tail_call"],
            MapType::PerfEventArray => {
                &["perf_event_read", "perf_event_output", "skb_output", "perf_event_read_value", "xdp_output"]
            }
            MapType::Ringbuf => &[
                "ringbuf_output",
                "ringbuf_reserve",
                "ringbuf_query",
                "ringbuf_reserve_dynptr",
                "ringbuf_submit_dynptr",
                "ringbuf_discard_dynptr",
            ],
            MapType::UserRingbuf => &["user_ringbuf_drain"],
            MapType::StackTrace => &["get_stackid"],
            MapType::CgroupArray => &["skb_under_cgroup", "current_task_under_cgroup"],
            MapType::CgroupStorage | MapType::PercpuCgroupStorage => &["get_local_storage"],
            MapType::Devmap | MapType::DevmapHash | MapType::Xskmap => &["redirect_map", "map_lookup_elem"],
            MapType::Cpumap => &["redirect_map"],
            MapType::ArrayOfMaps | MapType::HashOfMaps => &["map_lookup_elem"],
            MapType::Sockmap => &[
                "sk_redirect_map",
                "sock_map_update",
                "msg_redirect_map",
                "sk_select_reuseport",
                "map_lookup_elem",
                SOCKETS[0],
                SOCKETS[1],
            ],
            MapType::Sockhash => &[
                "sk_redirect_hash",
                "sock_hash_update",
                "msg_redirect_hash",
                "sk_select_reuseport",
                "map_lookup_elem",
                SOCKETS[0],
                SOCKETS[1],
            ],
            MapType::ReuseportSockarray => &["sk_select_reuseport"],
            MapType::Queue | MapType::Stack => &["map_peek_elem", "map_pop_elem", "map_push_elem"],
            MapType::SkStorage => &["sk_storage_get", "sk_storage_delete", "kptr_xchg"],
            MapType::InodeStorage => &["inode_storage_get", "inode_storage_delete", "kptr_xchg"],
            MapType::TaskStorage => &["task_storage_get", "task_storage_delete", "kptr_xchg"],
            MapType::CgrpStorage => &["cgrp_storage_get", "cgrp_storage_delete", "kptr_xchg"],
            MapType::BloomFilter => &["map_peek_elem", "map_push_elem"],
            MapType::StructOps | MapType::Arena => &[],
            _ => return None,
        })
    }

    /// The only map types `helper` takes (Linux's `check_map_func_compatibility`, from the
    /// helper's side), or `None` when the helper sets no limit.
    pub fn required_by(helper: &str) -> Option<&'static [MapType]> {
        use MapType as M;
        Some(match helper {
            "tail_call" => &[M::ProgArray],
            "perf_event_read" | "perf_event_output" | "perf_event_read_value" | "skb_output" | "xdp_output" => {
                &[M::PerfEventArray]
            }
            "ringbuf_output"
            | "ringbuf_reserve"
            | "ringbuf_query"
            | "ringbuf_reserve_dynptr"
            | "ringbuf_submit_dynptr"
            | "ringbuf_discard_dynptr" => &[M::Ringbuf],
            "user_ringbuf_drain" => &[M::UserRingbuf],
            "get_stackid" => &[M::StackTrace],
            "current_task_under_cgroup" | "skb_under_cgroup" => &[M::CgroupArray],
            "redirect_map" => &[M::Devmap, M::DevmapHash, M::Cpumap, M::Xskmap],
            "sk_redirect_map" | "msg_redirect_map" | "sock_map_update" => &[M::Sockmap],
            "sk_redirect_hash" | "msg_redirect_hash" | "sock_hash_update" => &[M::Sockhash],
            "get_local_storage" => &[M::CgroupStorage, M::PercpuCgroupStorage],
            "sk_select_reuseport" => &[M::ReuseportSockarray, M::Sockmap, M::Sockhash],
            "map_pop_elem" => &[M::Queue, M::Stack],
            "map_peek_elem" | "map_push_elem" => &[M::Queue, M::Stack, M::BloomFilter],
            "map_lookup_percpu_elem" => &[M::PercpuArray, M::PercpuHash, M::LruPercpuHash],
            "sk_storage_get" | "sk_storage_delete" => &[M::SkStorage],
            "inode_storage_get" | "inode_storage_delete" => &[M::InodeStorage],
            "task_storage_get" | "task_storage_delete" => &[M::TaskStorage],
            "cgrp_storage_get" | "cgrp_storage_delete" => &[M::CgrpStorage],
            _ => return None,
        })
    }

    /// Whether a `program_type` program may pass a map of this type to `helper`, from the
    /// program's side: sockmaps and sockhashes change (`map_update_elem`,
    /// `map_delete_elem`) only where no locked socket can be reached (the kernel's
    /// `may_update_sockmap`); sock_ops programs only delete, their updates go through
    /// `sock_map_update`/`sock_hash_update`.
    pub fn allowed_from(self, program_type: crate::model::program_type::ProgramType, helper: &str) -> bool {
        use crate::model::program_type::ProgramType as T;
        if !matches!(self, MapType::Sockmap | MapType::Sockhash)
            || !matches!(helper, "map_update_elem" | "map_delete_elem")
        {
            return true;
        }
        match program_type {
            T::Iter | T::IterSleepable => true,
            T::SockOps => helper == "map_delete_elem",
            T::SocketFilter
            | T::SchedCls
            | T::SchedAct
            | T::Xdp
            | T::XdpDevmap
            | T::XdpCpumap
            | T::SkReuseport
            | T::SkReuseportMigrate
            | T::FlowDissector
            | T::SkLookup => true,
            _ => false,
        }
    }

    fn row(self) -> &'static (MapType, u32, &'static str, Rules) {
        MAP_TYPES.iter().find(|row| row.0 == self).expect("every map type has a row")
    }
}

/// A map definition as the kernel's creation check sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapShape {
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// `key_size`.
    pub key_size: u32,
    /// `value_size`.
    pub value_size: u32,
    /// `max_entries`.
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u32,
    /// `map_extra` (bloom filter hash count, arena start address).
    pub map_extra: u64,
    /// Whether the key and the value have BTF types.
    pub typed: bool,
}

/// `max_entries` as libbpf passes it to the kernel: a ring buffer's size rounded up to a
/// power of two times the page size (0 stays 0, so that the kernel refuses it), and a perf
/// event array's 0 replaced by the number of possible CPUs (`cpus`).
pub fn libbpf_max_entries(map_type: u32, max_entries: u32, cpus: u32) -> u32 {
    match MapType::from_number(map_type) {
        Some(MapType::Ringbuf | MapType::UserRingbuf) if max_entries != 0 => {
            let size = u64::from(max_entries);
            if size.is_multiple_of(PAGE_SIZE) && (size / PAGE_SIZE).is_power_of_two() {
                return max_entries;
            }
            (0..32)
                .map(|shift| PAGE_SIZE << shift)
                .find(|&bytes| bytes > size)
                .and_then(|bytes| u32::try_from(bytes).ok())
                .unwrap_or(max_entries)
        }
        Some(MapType::PerfEventArray) if max_entries == 0 => cpus,
        _ => max_entries,
    }
}

/// Why Linux would refuse to create a map: the rule `shape` breaks, in words that name
/// the field, its value and the limit. `None` when Linux would create it.
pub fn violation(shape: &MapShape) -> Option<String> {
    let Some(map_type) = MapType::from_number(shape.map_type) else {
        return Some(format!("map type {} does not exist in Linux 6.12", shape.map_type));
    };
    let name = map_type.name();
    let rules = map_type.row().3;
    for (what, size, rule) in [("key_size", shape.key_size, rules.key), ("value_size", shape.value_size, rules.value)] {
        if let Some(why) = size_violation(size, rule) {
            return Some(format!("{what} {size} of a {name} map {why}"));
        }
    }
    let entries = shape.max_entries;
    let entries_bad = match rules.entries {
        EntriesRule::Positive(most) if entries == 0 || entries > most => Some(format!("must be between 1 and {most}")),
        EntriesRule::Zero if entries != 0 => Some("must be 0 (its owners give the size)".into()),
        EntriesRule::PowerOfTwoPages
            if !(entries.is_power_of_two() && u64::from(entries).is_multiple_of(PAGE_SIZE)) =>
        {
            Some(format!("must be a power of two and a multiple of the page size ({PAGE_SIZE})"))
        }
        EntriesRule::Exactly(n) if entries != n => Some(format!("must be {n}")),
        _ => None,
    };
    if let Some(why) = entries_bad {
        return Some(format!("max_entries {entries} of a {name} map {why}"));
    }
    let unknown = shape.flags & !rules.allowed_flags;
    if unknown != 0 {
        return Some(format!("map_flags {:#x} of a {name} map has flags {unknown:#x} it does not accept", shape.flags));
    }
    let missing = rules.required_flags & !shape.flags;
    if missing != 0 {
        return Some(format!("a {name} map needs map_flags {missing:#x} (has {:#x})", shape.flags));
    }
    if shape.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) == BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG {
        return Some(format!("a {name} map cannot be both read-only and write-only for programs"));
    }
    if rules.needs_btf && !shape.typed {
        return Some(format!("a {name} map needs BTF key and value types (`__type(key, ...)`, `__type(value, ...)`)"));
    }
    extra_rule(map_type, shape).map(|why| format!("{name} map: {why}"))
}

/// Why `size` breaks `rule`, if it does.
fn size_violation(size: u32, rule: SizeRule) -> Option<String> {
    match rule {
        SizeRule::Exactly(n) if size != n => Some(format!("must be {n}")),
        SizeRule::OneOf(sizes) if !sizes.contains(&size) => Some(format!("must be one of {sizes:?}")),
        SizeRule::Between(min, max) if !(min..=max).contains(&u64::from(size)) => {
            Some(format!("must be between {min} and {max}"))
        }
        _ => None,
    }
}

/// The rules of one type that the table's columns do not express.
fn extra_rule(map_type: MapType, shape: &MapShape) -> Option<String> {
    let (value, entries, flags) = (u64::from(shape.value_size), u64::from(shape.max_entries), shape.flags);
    let per_cpu = matches!(map_type, MapType::PercpuHash | MapType::LruPercpuHash | MapType::PercpuArray);
    if per_cpu && flags & BPF_F_NUMA_NODE != 0 {
        return Some("a per-CPU map cannot name a NUMA node".into());
    }
    let hash = matches!(
        map_type,
        MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash | MapType::HashOfMaps
    );
    let element = u64::from(shape.key_size) + value;
    if hash && element >= KMALLOC_MAX_SIZE - HTAB_ELEM_BYTES {
        return Some(format!(
            "key_size + value_size = {element:#x} is not below the limit of {:#x}",
            KMALLOC_MAX_SIZE - HTAB_ELEM_BYTES
        ));
    }
    match map_type {
        MapType::Array | MapType::PercpuArray => {
            let total = entries * value.next_multiple_of(8);
            if total >= MAX_ARRAY_BYTES {
                return Some(format!(
                    "{entries} elements of {value} bytes take {total:#x} bytes, not below the limit of {MAX_ARRAY_BYTES:#x}"
                ));
            }
        }
        MapType::LruHash | MapType::LruPercpuHash if flags & BPF_F_NO_PREALLOC != 0 => {
            return Some("an LRU hash must be preallocated (no BPF_F_NO_PREALLOC)".into());
        }
        MapType::StackTrace => {
            let frame = if flags & BPF_F_STACK_BUILD_ID != 0 { STACK_BUILD_ID_BYTES } else { 8 };
            if !shape.value_size.is_multiple_of(frame) || shape.value_size / frame > PERF_EVENT_MAX_STACK {
                return Some(format!(
                    "value_size {value} must be a multiple of {frame} bytes of at most {PERF_EVENT_MAX_STACK} frames"
                ));
            }
        }
        MapType::Queue | MapType::Stack if entries >= u64::from(u32::MAX) / value => {
            return Some(format!("{entries} values of {value} bytes are too many"));
        }
        MapType::BloomFilter if shape.map_extra & !0xf != 0 => {
            return Some(format!("map_extra {:#x} must be a number of hash functions below 16", shape.map_extra));
        }
        MapType::Arena if !shape.map_extra.is_multiple_of(PAGE_SIZE) => {
            return Some(format!("map_extra {:#x} (the start address) must be page aligned", shape.map_extra));
        }
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests;
