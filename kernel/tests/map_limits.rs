//! The map creation rules of `semantics::model::maps` against the live kernel: for every
//! map type, a valid definition and its variations one field at a time (sizes around each
//! limit, every flag) are created with `BPF_MAP_CREATE`, and the kernel's verdict must be
//! the model's. Types whose creation needs BTF or a kernel struct (storage maps,
//! struct_ops) or another map (maps of maps), or that this machine's kernel refuses for
//! reasons of its configuration (arenas: not the 6.12 rules), are listed as not checked;
//! so are cpumaps larger than the running kernel's `NR_CPUS` may be. Cgroup storage maps
//! (no `max_entries`, a 16-byte key) have a test of their own.

use bpfprove_kernel::capability;
use bpfprove_kernel::maps::{KernelMap, MapShape};
use bpfprove_semantics::model::maps::{self, BPF_F_NO_PREALLOC, MapType};

/// A definition of `map_type` the kernel creates.
fn valid(map_type: MapType) -> Option<maps::MapShape> {
    let (key_size, value_size, max_entries, flags) = match map_type {
        MapType::Queue | MapType::Stack | MapType::BloomFilter => (0, 8, 16, 0),
        MapType::Ringbuf | MapType::UserRingbuf => (0, 0, 4096, 0),
        MapType::LpmTrie => (8, 8, 16, BPF_F_NO_PREALLOC),
        MapType::StackTrace => (4, 64, 16, 0),
        MapType::ArrayOfMaps
        | MapType::HashOfMaps
        | MapType::StructOps
        | MapType::SkStorage
        | MapType::InodeStorage
        | MapType::TaskStorage
        | MapType::CgrpStorage
        | MapType::CgroupStorage
        | MapType::PercpuCgroupStorage
        | MapType::Arena => return None,
        _ => (4, 4, 16, 0),
    };
    Some(maps::MapShape {
        map_type: map_type.number(),
        key_size,
        value_size,
        max_entries,
        flags,
        map_extra: 0,
        typed: false,
    })
}

/// `base` and its variations one field at a time.
/// Asks the live kernel to create a map of the model's `shape`.
fn create_in_kernel(shape: &maps::MapShape, map_extra: u64) -> Result<KernelMap, bpfprove_kernel::KernelError> {
    let shape = MapShape {
        map_type: shape.map_type,
        key_size: shape.key_size,
        value_size: shape.value_size,
        max_entries: shape.max_entries,
        flags: shape.flags,
    };
    KernelMap::create_with_extra(shape, map_extra)
}

fn variations(base: maps::MapShape) -> Vec<maps::MapShape> {
    let mut shapes = vec![base];
    for key_size in [0, 1, 4, 5, 8, 12, 260, 261, 512, 513] {
        shapes.push(maps::MapShape { key_size, ..base });
    }
    for value_size in [0, 1, 4, 6, 8, 12, 16, 72, 1016, 1024, 4096, 4097, 32768, 32769, 65407, 65408] {
        shapes.push(maps::MapShape { value_size, ..base });
    }
    for max_entries in [0, 1, 2048, 4096, 3 * 4096, 8192, 8193] {
        shapes.push(maps::MapShape { max_entries, ..base });
    }
    for bit in 0..19 {
        shapes.push(maps::MapShape { flags: base.flags | 1 << bit, ..base });
    }
    shapes
}

#[test]
fn the_kernel_creates_exactly_the_maps_the_model_allows() {
    if !capability::available_or_explain("map_limits") {
        return;
    }
    let mut disagreements = Vec::new();
    let (mut checked, mut unchecked) = (0, Vec::new());
    for map_type in MapType::all() {
        let Some(base) = valid(map_type) else {
            unchecked.push(map_type.name());
            continue;
        };
        for shape in variations(base) {
            if map_type == MapType::Cpumap && shape.max_entries > 64 {
                continue;
            }
            let model = maps::violation(&shape);
            let kernel = create_in_kernel(&shape, shape.map_extra);
            checked += 1;
            if model.is_none() != kernel.is_ok() {
                disagreements.push(format!(
                    "{} {shape:?}: model {model:?}, kernel {:?}",
                    map_type.name(),
                    kernel.err()
                ));
            }
        }
    }
    eprintln!("map_limits: {checked} definitions checked; not checked (need BTF or another map): {unchecked:?}");
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}

/// Cgroup storage maps need no BTF: their key (a `struct bpf_cgroup_storage_key` of 16
/// bytes, or its bare u64 inode id), value and flags rules are checked one field at a
/// time around a definition the kernel creates.
#[test]
fn the_kernel_creates_exactly_the_cgroup_storage_maps_the_model_allows() {
    if !capability::available_or_explain("map_limits") {
        return;
    }
    let mut disagreements = Vec::new();
    for map_type in [MapType::CgroupStorage, MapType::PercpuCgroupStorage] {
        let base = maps::MapShape {
            map_type: map_type.number(),
            key_size: 16,
            value_size: 8,
            max_entries: 0,
            flags: 0,
            map_extra: 0,
            typed: false,
        };
        let mut shapes = vec![base];
        for key_size in [0, 4, 8, 12, 16, 20, 24] {
            shapes.push(maps::MapShape { key_size, ..base });
        }
        for value_size in [0, 1, 4096, 4097, 32768, 32769, 65407, 65408, 65536] {
            shapes.push(maps::MapShape { value_size, ..base });
        }
        for max_entries in [1, 16] {
            shapes.push(maps::MapShape { max_entries, ..base });
        }
        for bit in 0..19 {
            shapes.push(maps::MapShape { flags: 1 << bit, ..base });
        }
        for shape in shapes {
            let model = maps::violation(&shape);
            let kernel = create_in_kernel(&shape, 0);
            if model.is_none() != kernel.is_ok() {
                disagreements.push(format!(
                    "{} {shape:?}: model {model:?}, kernel {:?}",
                    map_type.name(),
                    kernel.err()
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}
