//! The kernel's size limits on map definitions, applied when an object loads: Linux refuses
//! to create such maps, and a definition past them (a corrupt or hostile object) must not
//! become an allocation of gigabytes in the interpreter or the counterexample search.
//!
//! The limits follow each map type's allocation check in Linux (`array_map_alloc_check`,
//! `htab_map_alloc_check`, and the array's total size in `array_map_alloc`), with the
//! constants of x86-64.

use super::MapDef;

/// `KMALLOC_MAX_SIZE` on x86-64 (SLUB, 4 KiB pages, `MAX_PAGE_ORDER` 10): no key or value
/// of any map type is larger.
pub const KMALLOC_MAX_SIZE: u64 = 4 << 20;
/// `MAX_BPF_STACK`: hash keys are built on the stack, so none is larger.
pub const MAX_BPF_STACK: u64 = 512;
/// `sizeof(struct htab_elem)` on x86-64: the header in front of every hash element.
const HTAB_ELEM_BYTES: u64 = 48;
/// Linux refuses an array whose elements take `U32_MAX - PAGE_SIZE` bytes or more.
const MAX_ARRAY_BYTES: u64 = u32::MAX as u64 - 4096;

/// Map types whose definitions these limits cover, by `BPF_MAP_TYPE_*`.
const HASH_TYPES: [u32; 4] = [1, 5, 9, 10]; // hash, percpu_hash, lru_hash, lru_percpu_hash
const ARRAY_TYPES: [u32; 2] = [2, 6]; // array, percpu_array

/// Why Linux would refuse to create `def`, if it would on size grounds.
pub fn violation(def: &MapDef) -> Option<String> {
    let (key, value) = (u64::from(def.key_size), u64::from(def.value_size));
    if value > KMALLOC_MAX_SIZE {
        return Some(format!("value_size {value:#x} is larger than the kernel's limit of {KMALLOC_MAX_SIZE:#x} bytes"));
    }
    if key > KMALLOC_MAX_SIZE {
        return Some(format!("key_size {key:#x} is larger than the kernel's limit of {KMALLOC_MAX_SIZE:#x} bytes"));
    }
    if HASH_TYPES.contains(&def.map_type) {
        if key > MAX_BPF_STACK {
            return Some(format!("key_size {key} of a hash map is larger than the stack ({MAX_BPF_STACK} bytes)"));
        }
        let most_value = KMALLOC_MAX_SIZE - MAX_BPF_STACK - HTAB_ELEM_BYTES;
        if value >= most_value {
            return Some(format!(
                "value_size {value:#x} of a hash map is not below the kernel's limit of {most_value:#x} bytes"
            ));
        }
    }
    if ARRAY_TYPES.contains(&def.map_type) {
        let total = u64::from(def.max_entries) * value.next_multiple_of(8);
        if total >= MAX_ARRAY_BYTES {
            return Some(format!(
                "{} elements of {value} bytes take {total:#x} bytes, not below the kernel's limit of {MAX_ARRAY_BYTES:#x}",
                def.max_entries
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: u32 = 1;
    const ARRAY: u32 = 2;
    const RINGBUF: u32 = 27;

    #[test]
    fn absurd_sizes_are_refused_and_real_ones_pass() {
        for (map_type, key, value, entries) in [
            (HASH, 4, 0x9f06_799d, 16),
            (HASH, 0xffff_fff0, 8, 16),
            (HASH, 513, 8, 16),
            (HASH, 4, (KMALLOC_MAX_SIZE - MAX_BPF_STACK - HTAB_ELEM_BYTES) as u32, 16),
            (ARRAY, 4, 0xffff_fff0, 1),
            (ARRAY, 4, 4096, 1 << 20),
            (RINGBUF, 0, 0x9f06_799d, 1 << 12),
        ] {
            let def = MapDef::btf("m", map_type, key, value, entries);
            assert!(violation(&def).is_some(), "{def:?} passes");
        }
        for (map_type, key, value, entries) in [
            (HASH, 512, 64, 1 << 20),
            (HASH, 4, 1 << 20, 16),
            (ARRAY, 4, 1 << 22, 1),
            (ARRAY, 4, 256, 1 << 20),
            (RINGBUF, 0, 0, 1 << 24),
        ] {
            let def = MapDef::btf("m", map_type, key, value, entries);
            assert_eq!(violation(&def), None, "{def:?}");
        }
    }
}
