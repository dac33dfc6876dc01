//! The world every generated program lives in: a fixed set of maps and global data
//! sections, and the object built around one program so that the analyzer and the
//! interpreter see exactly what a loader would give them.

use bpfprove_semantics::asm::llvm;
use bpfprove_semantics::elf::{LoadedProgram, MAP_TYPE_ARRAY, MapDef, MapOrigin, Object};
use bpfprove_semantics::interp::context::ProgramType;

use crate::FuzzError;

/// `BPF_MAP_TYPE_HASH`.
const MAP_TYPE_HASH: u32 = 1;

/// Map id of the hash table (4-byte keys, [`HASH_VALUE_SIZE`]-byte values).
pub const HASH_MAP: u32 = 0;
/// Map id of the array ([`ARRAY_ENTRIES`] values of [`ARRAY_VALUE_SIZE`] bytes).
pub const ARRAY_MAP: u32 = 1;
/// Map id of `.data` ([`DATA_SIZE`] bytes, written by user space after load).
pub const DATA_MAP: u32 = 2;
/// Map id of `.rodata` ([`RODATA_SIZE`] bytes, frozen: contents known).
pub const RODATA_MAP: u32 = 3;

/// Value size of the hash table.
pub const HASH_VALUE_SIZE: u32 = 16;
/// Value size of the array.
pub const ARRAY_VALUE_SIZE: u32 = 48;
/// Elements of the array.
pub const ARRAY_ENTRIES: u32 = 4;
/// Size of `.data`.
pub const DATA_SIZE: u32 = 32;
/// Size of `.rodata`.
pub const RODATA_SIZE: u32 = 16;

/// The initial bytes of `.data`: small numbers that a program could mistake for bounds.
fn data_image() -> Vec<u8> {
    let mut bytes = vec![0; DATA_SIZE as usize];
    bytes[0] = 4;
    bytes[8] = 16;
    bytes
}

/// The contents of `.rodata`: known to the analyzer, since libbpf freezes the section.
fn rodata_image() -> Vec<u8> {
    (0..RODATA_SIZE as u8).map(|i| i * 2).collect()
}

fn data_section(name: &str, bytes: Vec<u8>, read_only: bool) -> MapDef {
    MapDef {
        name: name.into(),
        section: name.into(),
        map_type: MAP_TYPE_ARRAY,
        key_size: 4,
        value_size: bytes.len() as u32,
        max_entries: 1,
        flags: 0,
        origin: MapOrigin::Data { read_only, bytes },
        function_pointer_variables: Default::default(),
        extras: Default::default(),
    }
}

/// The maps of every generated program, by id.
pub fn maps() -> Vec<MapDef> {
    maps_with_data(data_image())
}

/// The maps with `.data` holding `data` (what user space may have written after load).
fn maps_with_data(data: Vec<u8>) -> Vec<MapDef> {
    vec![
        MapDef::btf("hash", MAP_TYPE_HASH, 4, HASH_VALUE_SIZE, 8),
        MapDef::btf("array", MAP_TYPE_ARRAY, 4, ARRAY_VALUE_SIZE, ARRAY_ENTRIES),
        data_section(".data", data, false),
        data_section(".rodata", rodata_image(), true),
    ]
}

/// The section name that gives a program its type.
pub fn section(program_type: ProgramType) -> &'static str {
    match program_type {
        ProgramType::Xdp => "xdp",
        ProgramType::SchedCls => "tc",
        ProgramType::SchedAct => "action",
        ProgramType::SocketFilter => "socket",
        ProgramType::Kprobe => "kprobe/fuzz",
        ProgramType::Tracepoint => "tracepoint/fuzz/fuzz",
        ProgramType::RawTracepoint => "raw_tracepoint/fuzz",
        other => other.section(),
    }
}

/// The object holding one program of `program_type` written as `text` (LLVM syntax), with
/// the standard maps. `.data` holds its initial image.
pub fn object(program_type: ProgramType, text: &str) -> Result<Object, FuzzError> {
    object_with_data(program_type, text, data_image())
}

/// As [`object`], with `.data` holding `data` instead of its initial image.
pub fn object_with_data(program_type: ProgramType, text: &str, data: Vec<u8>) -> Result<Object, FuzzError> {
    let program = llvm::parse(text)?;
    let loaded = LoadedProgram::bare(section(program_type), "fuzz", program);
    Ok(Object::of_program(Some("GPL".into()), maps_with_data(data), loaded))
}

#[cfg(test)]
mod tests {
    use bpfprove_semantics::interp::context::ProgramType;

    use super::*;

    #[test]
    fn sections_give_back_their_program_type() {
        for &program_type in ProgramType::ALL {
            assert_eq!(ProgramType::of_section(section(program_type)), Some(program_type));
        }
    }

    #[test]
    fn objects_hold_the_program_and_the_maps() {
        let object = object(ProgramType::Xdp, "ld_pseudo r1, 0x6, 0x2, 0x8\nr0 = 0\nexit").expect("valid");
        assert_eq!(object.maps.len(), 4);
        assert_eq!(object.programs[0].program.slots(), 4);
        assert!(matches!(&object.maps[DATA_MAP as usize].origin, MapOrigin::Data { read_only: false, .. }));
        let error = super::object(ProgramType::Xdp, "r0 = \nexit").expect_err("bad text");
        assert!(error.to_string().contains("line 1"), "{error}");
    }
}
