use crate::elf::{MapDef, MapId};
use crate::interp::maps::tests::{handle, map, setup};
use crate::interp::maps::{BPF_EXIST, MapKind, MapTable, errno};
use crate::interp::memory::{FaultReason, Memory};
use crate::isa::Size;
use crate::model::maps::BPF_F_NO_PREALLOC;

const LRU_HASH: u32 = 9;
const LPM_TRIE: u32 = 11;
const ARRAY_OF_MAPS: u32 = 12;
const QUEUE: u32 = 22;
const STACK: u32 = 23;
const BLOOM_FILTER: u32 = 30;

/// Stores `bytes` at `address`.
fn put(memory: &mut Memory, address: u64, bytes: &[u8]) {
    memory.write(address, bytes).expect("scratch");
}

#[test]
fn a_full_lru_hash_evicts_the_least_recently_used_key() {
    let (mut memory, mut maps, scratch) = setup(vec![map("recent", LRU_HASH, 4, 8, 2)]);
    let (key, value) = (scratch, scratch + 8);
    let update = |memory: &mut Memory, maps: &mut MapTable, k: u32| {
        put(memory, key, &k.to_le_bytes());
        assert_eq!(maps.update(memory, handle(0), key, value, 0), Ok(0), "key {k}");
    };
    update(&mut memory, &mut maps, 1);
    update(&mut memory, &mut maps, 2);
    // Key 1 is used again, so key 2 is the least recent when key 3 comes.
    put(&mut memory, key, &1u32.to_le_bytes());
    let one = maps.lookup(&mut memory, handle(0), key).expect("lookup");
    put(&mut memory, key, &2u32.to_le_bytes());
    let two = maps.lookup(&mut memory, handle(0), key).expect("lookup");
    put(&mut memory, key, &1u32.to_le_bytes());
    maps.lookup(&mut memory, handle(0), key).expect("lookup");
    update(&mut memory, &mut maps, 3);
    let keys: Vec<_> = maps.entries(&memory, MapId(0)).into_iter().map(|(k, _)| k[0]).collect();
    assert_eq!(keys, [1, 3]);
    assert_eq!(memory.load(two, Size::B).map_err(|f| f.reason), Err(FaultReason::Inaccessible), "evicted");
    assert_eq!(memory.load(one, Size::B), Ok(0));
}

#[test]
fn lpm_tries_find_the_longest_matching_prefix() {
    let mut trie = map("routes", LPM_TRIE, 8, 4, 3);
    trie.flags = BPF_F_NO_PREALLOC;
    let (mut memory, mut maps, scratch) = setup(vec![trie]);
    let (key, value) = (scratch, scratch + 16);
    let route = |memory: &mut Memory, prefix: u32, address: [u8; 4]| {
        put(memory, key, &prefix.to_le_bytes());
        put(memory, key + 4, &address);
    };
    for (prefix, address, hop) in [(8u32, [10, 0, 0, 0], 1u32), (24, [10, 1, 2, 99], 2), (0, [0; 4], 3)] {
        route(&mut memory, prefix, address);
        put(&mut memory, value, &hop.to_le_bytes());
        assert_eq!(maps.update(&mut memory, handle(0), key, value, 0), Ok(0));
    }
    route(&mut memory, 32, [9, 9, 9, 9]);
    assert_eq!(maps.update(&mut memory, handle(0), key, value, 0), Ok(errno::negative(errno::ENOSPC)), "full");
    let hop = |memory: &mut Memory, maps: &mut MapTable, address: [u8; 4]| {
        route(memory, 32, address);
        let found = maps.lookup(memory, handle(0), key).expect("lookup");
        memory.load(found, Size::W).expect("a value")
    };
    assert_eq!(hop(&mut memory, &mut maps, [10, 1, 2, 3]), 2, "the /24 (stored with its host bits cleared)");
    assert_eq!(hop(&mut memory, &mut maps, [10, 1, 3, 3]), 1, "the /8");
    assert_eq!(hop(&mut memory, &mut maps, [192, 168, 0, 1]), 3, "the default route");
    route(&mut memory, 33, [10, 1, 2, 3]);
    assert_eq!(maps.lookup(&mut memory, handle(0), key), Ok(0), "a prefix longer than the data matches nothing");
    route(&mut memory, 24, [10, 1, 2, 0]);
    assert_eq!(maps.delete(&mut memory, handle(0), key), Ok(0));
    assert_eq!(hop(&mut memory, &mut maps, [10, 1, 2, 3]), 1, "the /8 once the /24 is gone");
    route(&mut memory, 16, [10, 1, 0, 0]);
    assert_eq!(maps.delete(&mut memory, handle(0), key), Ok(errno::negative(errno::ENOENT)), "only exact prefixes");
}

#[test]
fn queues_and_stacks_pop_in_their_order_and_overwrite_when_asked() {
    for (map_type, order) in [(QUEUE, [1u8, 2]), (STACK, [2, 1])] {
        let (mut memory, mut maps, scratch) = setup(vec![map("q", map_type, 0, 1, 2)]);
        let handle = handle(0);
        assert_eq!(maps.pop(&mut memory, handle, scratch), Ok(errno::negative(errno::ENOENT)), "empty");
        for byte in [1u8, 2] {
            put(&mut memory, scratch, &[byte]);
            assert_eq!(maps.push(&memory, handle, scratch, 0), Ok(0));
        }
        put(&mut memory, scratch, &[3]);
        assert_eq!(maps.push(&memory, handle, scratch, 0), Ok(errno::negative(errno::E2BIG)), "full");
        assert_eq!(maps.push(&memory, handle, scratch, 4), Ok(errno::negative(errno::EINVAL)));
        assert_eq!(maps.peek(&mut memory, handle, scratch + 1), Ok(0));
        assert_eq!(memory.load(scratch + 1, Size::B), Ok(u64::from(order[0])), "peek leaves it");
        for expected in order {
            assert_eq!(maps.pop(&mut memory, handle, scratch + 1), Ok(0));
            assert_eq!(memory.load(scratch + 1, Size::B), Ok(u64::from(expected)));
        }
        // BPF_EXIST on a full map drops the oldest value.
        for byte in [5u8, 6, 7] {
            put(&mut memory, scratch, &[byte]);
            assert_eq!(maps.push(&memory, handle, scratch, BPF_EXIST), Ok(0));
        }
        let values: Vec<_> = maps.entries(&memory, MapId(0)).into_iter().map(|(_, v)| v[0]).collect();
        assert_eq!(values, [6, 7], "{map_type}");
        assert!(maps.lookup(&mut memory, handle, scratch).is_err(), "queues have no lookup");
    }
}

#[test]
fn bloom_filters_answer_membership_of_pushed_values() {
    let (mut memory, mut maps, scratch) = setup(vec![map("seen", BLOOM_FILTER, 0, 4, 16)]);
    put(&mut memory, scratch, &7u32.to_le_bytes());
    assert_eq!(maps.peek(&mut memory, handle(0), scratch), Ok(errno::negative(errno::ENOENT)));
    assert_eq!(maps.push(&memory, handle(0), scratch, 0), Ok(0));
    assert_eq!(maps.peek(&mut memory, handle(0), scratch), Ok(0));
    assert_eq!(memory.load(scratch, Size::W), Ok(7), "peek does not write a bloom filter's argument");
    assert!(maps.pop(&mut memory, handle(0), scratch).is_err(), "bloom filters have no pop");
}

#[test]
fn maps_of_maps_hand_out_their_inner_maps_handles() {
    let inner = map("inner", 2, 4, 8, 1);
    let other = map("other", 1, 4, 8, 4);
    let mut outer: MapDef = map("outer", ARRAY_OF_MAPS, 4, 4, 4);
    outer.extras.inner = Some(MapId(0));
    outer.extras.initial_maps = vec![(2, MapId(0))];
    let (mut memory, mut maps, scratch) = setup(vec![inner, other, outer]);
    assert_eq!(maps.kind(MapId(2)), Some(MapKind::ArrayOfMaps));
    put(&mut memory, scratch, &2u32.to_le_bytes());
    assert_eq!(maps.lookup(&mut memory, handle(2), scratch), Ok(handle(0)));
    // The inner map's handle works as a map argument.
    let value = maps.lookup(&mut memory, handle(0), scratch + 8).expect("element 0");
    assert_ne!(value, 0);
    put(&mut memory, scratch, &1u32.to_le_bytes());
    assert_eq!(maps.lookup(&mut memory, handle(2), scratch), Ok(0), "an empty slot");
    assert!(maps.insert_inner_map(MapId(2), &1u32.to_le_bytes(), MapId(1)).is_err(), "a hash is not the template");
    maps.insert_inner_map(MapId(2), &1u32.to_le_bytes(), MapId(0)).expect("matches the template");
    assert_eq!(maps.lookup(&mut memory, handle(2), scratch), Ok(handle(0)));
    assert!(maps.insert_inner_map(MapId(2), &4u32.to_le_bytes(), MapId(0)).is_err(), "past the end");
    assert!(maps.update(&mut memory, handle(2), scratch, scratch + 8, 0).is_err(), "programs cannot update it");
}
