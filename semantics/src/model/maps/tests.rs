use super::*;

/// A shape of type `name` (by libbpf's name), with BTF types.
fn shape(name: &str, key_size: u32, value_size: u32, max_entries: u32, flags: u32) -> MapShape {
    let map_type = MapType::all().find(|t| t.name() == name).unwrap_or_else(|| panic!("no map type {name}"));
    MapShape { map_type: map_type.number(), key_size, value_size, max_entries, flags, map_extra: 0, typed: true }
}

/// `(type, key, value, entries, flags, the rule's words if refused)`.
type Case = (&'static str, u32, u32, u32, u32, Option<&'static str>);

/// Each kind's limits, with a definition just inside and just outside each.
const CASES: &[Case] = &[
    ("hash", 4, 8, 16, 0, None),
    ("hash", 512, 64, 1 << 20, 0, None),
    ("hash", 513, 8, 16, 0, None),
    ("hash", 0x20_0000, 0x1f_ffd0, 16, 0, Some("key_size + value_size")),
    ("hash", 0, 8, 16, 0, Some("key_size 0")),
    ("hash", 4, 0, 16, 0, Some("value_size 0")),
    ("hash", 4, 0x9f06_799d, 16, 0, Some("value_size")),
    ("prog_array", 4, 4, 16, BPF_F_RDONLY_PROG, Some("does not accept")),
    ("hash", 4, 8, 0, 0, Some("max_entries 0")),
    ("hash", 4, 8, 16, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED, None),
    ("hash", 4, 8, 16, BPF_F_MMAPABLE, Some("does not accept")),
    ("hash", 4, 8, 16, BPF_F_NO_COMMON_LRU, Some("does not accept")),
    ("hash", 4, 8, 16, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, Some("both read-only and write-only")),
    ("lru_hash", 4, 8, 16, BPF_F_NO_COMMON_LRU, None),
    ("lru_hash", 4, 8, 16, BPF_F_NO_PREALLOC, Some("preallocated")),
    ("percpu_hash", 4, 32 << 10, 16, 0, None),
    ("percpu_hash", 4, (32 << 10) + 1, 16, 0, Some("value_size")),
    ("lru_percpu_hash", 4, 8, 16, BPF_F_NUMA_NODE, Some("NUMA")),
    ("array", 4, 8, 16, 0, None),
    ("array", 4, 1 << 22, 1, BPF_F_MMAPABLE, None),
    ("array", 8, 8, 16, 0, Some("key_size 8 of a array map must be 4")),
    ("array", 4, 4096, 1 << 20, 0, Some("limit")),
    ("array", 4, 0xffff_fff0, 1, 0, Some("value_size")),
    ("percpu_array", 4, 8, 16, BPF_F_MMAPABLE, Some("does not accept")),
    ("prog_array", 4, 4, 8, 0, None),
    ("prog_array", 4, 8, 8, 0, Some("value_size 8")),
    ("perf_event_array", 4, 4, 8, BPF_F_PRESERVE_ELEMS, None),
    ("array", 4, 4, 8, BPF_F_PRESERVE_ELEMS, Some("does not accept")),
    ("cgroup_array", 4, 4, 8, 0, None),
    ("stack_trace", 4, 8 * 127, 16, 0, None),
    ("stack_trace", 4, 8 * 128, 16, 0, Some("frames")),
    ("stack_trace", 4, 12, 16, 0, Some("multiple of 8")),
    ("stack_trace", 4, 64, 16, BPF_F_STACK_BUILD_ID, None),
    ("stack_trace", 4, 72, 16, BPF_F_STACK_BUILD_ID, Some("multiple of 32")),
    ("lpm_trie", 8, 4, 16, BPF_F_NO_PREALLOC, None),
    ("lpm_trie", 260, 4, 16, BPF_F_NO_PREALLOC, None),
    ("lpm_trie", 261, 4, 16, BPF_F_NO_PREALLOC, Some("key_size 261")),
    ("lpm_trie", 4, 4, 16, BPF_F_NO_PREALLOC, Some("key_size 4")),
    ("lpm_trie", 8, 4, 16, 0, Some("needs map_flags 0x1")),
    ("array_of_maps", 4, 4, 4, 0, None),
    ("array_of_maps", 4, 8, 4, 0, Some("value_size 8")),
    ("hash_of_maps", 8, 4, 4, 0, None),
    ("devmap", 4, 8, 4, 0, None),
    ("devmap", 4, 6, 4, 0, Some("one of [4, 8]")),
    ("devmap_hash", 8, 4, 4, 0, Some("key_size 8")),
    ("cpumap", 4, 4, 8192, 0, None),
    ("cpumap", 4, 4, 8193, 0, Some("max_entries 8193")),
    ("xskmap", 4, 4, 4, 0, None),
    ("xskmap", 4, 8, 4, 0, Some("value_size 8")),
    ("sockmap", 4, 8, 4, 0, None),
    ("sockhash", 16, 4, 4, 0, None),
    ("sockhash", 513, 4, 4, 0, Some("key_size 513")),
    ("reuseport_sockarray", 4, 8, 4, 0, None),
    ("queue", 0, 8, 16, 0, None),
    ("queue", 4, 8, 16, 0, Some("key_size 4 of a queue map must be 0")),
    ("stack", 0, 0, 16, 0, Some("value_size 0")),
    ("stack", 0, 1 << 20, 4096, 0, Some("too many")),
    ("bloom_filter", 0, 4, 100, 0, None),
    ("bloom_filter", 4, 4, 100, 0, Some("key_size 4")),
    ("ringbuf", 0, 0, 4096, 0, None),
    ("ringbuf", 0, 0, 1 << 24, 0, None),
    ("ringbuf", 0, 0, 3 * 4096, 0, Some("power of two")),
    ("ringbuf", 0, 0, 2048, 0, Some("multiple of the page size")),
    ("ringbuf", 0, 0x9f06_799d, 4096, 0, Some("value_size")),
    ("user_ringbuf", 0, 0, 8192, 0, None),
    ("sk_storage", 4, 16, 0, BPF_F_NO_PREALLOC, None),
    ("sk_storage", 4, 16, 0, 0, Some("needs map_flags 0x1")),
    ("task_storage", 4, 16, 1, BPF_F_NO_PREALLOC, Some("max_entries 1")),
    ("inode_storage", 8, 16, 0, BPF_F_NO_PREALLOC, Some("key_size 8")),
    ("cgrp_storage", 4, 65407, 0, BPF_F_NO_PREALLOC, None),
    ("cgrp_storage", 4, 65408, 0, BPF_F_NO_PREALLOC, Some("value_size 65408")),
    // `struct bpf_cgroup_storage_key` is 16 bytes with its padding; 12 is refused.
    ("cgroup_storage", 16, 8, 0, 0, None),
    ("cgroup_storage", 12, 8, 0, 0, Some("key_size 12")),
    ("cgroup_storage", 16, 4097, 0, 0, None),
    ("cgroup_storage", 4, 8, 0, 0, Some("key_size 4")),
    ("percpu_cgroup_storage", 8, 8, 0, 0, None),
    ("struct_ops", 4, 64, 1, 0, None),
    ("arena", 0, 0, 16, BPF_F_MMAPABLE, None),
    ("arena", 0, 0, 16, 0, Some("needs map_flags 0x400")),
];

#[test]
fn each_kind_has_its_kernel_limits() {
    let mut failures = Vec::new();
    for &(name, key, value, entries, flags, refused) in CASES {
        let verdict = violation(&shape(name, key, value, entries, flags));
        let agrees = match (refused, &verdict) {
            (None, None) => true,
            (Some(words), Some(why)) => why.contains(words),
            _ => false,
        };
        if !agrees {
            failures.push(format!("{name} key {key} value {value} entries {entries} flags {flags:#x}: {verdict:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn storage_maps_need_btf_and_bloom_filters_few_hashes() {
    let untyped = MapShape { typed: false, ..shape("sk_storage", 4, 16, 0, BPF_F_NO_PREALLOC) };
    assert!(violation(&untyped).is_some_and(|why| why.contains("BTF")));
    let bloom = MapShape { map_extra: 5, ..shape("bloom_filter", 0, 4, 100, 0) };
    assert_eq!(violation(&bloom), None);
    let bloom = MapShape { map_extra: 16, ..bloom };
    assert!(violation(&bloom).is_some_and(|why| why.contains("hash functions")));
    let arena = MapShape { map_extra: 0x1000_0800, ..shape("arena", 0, 0, 16, BPF_F_MMAPABLE) };
    assert!(violation(&arena).is_some_and(|why| why.contains("page aligned")));
}

#[test]
fn every_map_type_of_linux_6_12_is_known_by_number_and_name() {
    let numbers: Vec<u32> = MapType::all().map(MapType::number).collect();
    assert_eq!(numbers, (1..=33).collect::<Vec<_>>());
    for map_type in MapType::all() {
        assert_eq!(MapType::from_number(map_type.number()), Some(map_type));
    }
    assert_eq!(MapType::from_number(0), None);
    assert!(violation(&MapShape { map_type: 34, ..shape("hash", 4, 4, 1, 0) }).is_some_and(|w| w.contains("34")));
}

#[test]
fn libbpf_rounds_ring_buffers_up_and_sizes_perf_event_arrays() {
    let (ringbuf, perf, hash) = (27, 4, 1);
    assert_eq!(libbpf_max_entries(ringbuf, 4096, 8), 4096);
    assert_eq!(libbpf_max_entries(ringbuf, 5000, 8), 8192);
    assert_eq!(libbpf_max_entries(ringbuf, 256 * 1024, 8), 256 * 1024);
    assert_eq!(libbpf_max_entries(ringbuf, 1, 8), 4096);
    assert_eq!(libbpf_max_entries(ringbuf, 0, 8), 0, "an unset size stays an error");
    assert_eq!(libbpf_max_entries(perf, 0, 8), 8);
    assert_eq!(libbpf_max_entries(perf, 4, 8), 4);
    assert_eq!(libbpf_max_entries(hash, 0, 8), 0);
}
