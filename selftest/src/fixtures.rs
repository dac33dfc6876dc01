//! What the kernel's test harness does to some objects' maps before their test runs
//! (`prog_tests/verifier.c` gives `run_tests_aux` a callback for a few objects): the same
//! here, so that `__retval` compares like with like.

use bpfprove_semantics::elf::{MapId, Object};

/// `MAX_ENTRIES` of the selftests' `struct test_val { unsigned int index; int foo[11]; }`.
const TEST_VAL_ENTRIES: usize = 11;

/// Objects whose harness fills key 0 of one array map with a `struct test_val`, and which map.
const TEST_VAL_MAPS: &[(&str, &str)] =
    &[("verifier_array_access", "map_array_ro"), ("verifier_value_ptr_arith", "map_array_48b")];

/// The `struct test_val` the harness stores: `index` = 7 ints, `foo[6]` = 0xabcdef12.
fn test_val() -> Vec<u8> {
    let mut value = vec![0u8; 4 * (1 + TEST_VAL_ENTRIES)];
    value[..4].copy_from_slice(&((6 + 1) * 4u32).to_le_bytes());
    value[4 + 4 * 6..4 + 4 * 7].copy_from_slice(&0xabcd_ef12u32.to_le_bytes());
    value
}

/// The map entries (map, key, value) to insert before a run of a program of `object_name`.
pub fn map_entries(object_name: &str, object: &Object) -> Vec<(MapId, Vec<u8>, Vec<u8>)> {
    TEST_VAL_MAPS
        .iter()
        .filter(|(name, _)| *name == object_name)
        .filter_map(|(_, map)| object.maps.iter().position(|m| m.name == *map))
        .map(|index| (MapId(index as u32), 0u32.to_le_bytes().to_vec(), test_val()))
        .collect()
}
