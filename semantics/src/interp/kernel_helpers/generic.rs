//! The model of a helper whose effect lies outside the model's memory (a socket option, a
//! timer, the kernel's stack traces, ...): driven by its prototype (`model::helpers`).
//!
//! Every argument is checked as the kernel's verifier would have: input memory must be
//! readable and initialised, output memory writable, map keys and values of the map
//! argument's sizes, the context the context, a callback a function entry, a constant string
//! NUL-terminated in read-only memory. Then the helper writes seeded arbitrary bytes into
//! exactly the memory it may write and returns a seeded arbitrary value of its declared
//! result: an integer in its range, NULL for a result that may be NULL (the environment has
//! no sockets, tasks or other kernel objects to return), and a fresh opaque kernel object
//! for a result that may not.

use crate::interp::helpers::{CodeRunner, HelperError};
use crate::interp::memory::{Access, Memory, RegionKind, region_base};
use crate::model::helpers::{
    Arg, ArgType, MEM_FIXED_SIZE, MEM_RDONLY, MEM_UNINIT, OBJ_RELEASE, PTR_MAYBE_NULL, Proto, Ret, RetType,
};

use super::KernelHelpers;

/// Bytes of an opaque kernel object (a task, a socket, ...): inaccessible to the program.
const KERNEL_OBJECT_BYTES: usize = 64;
/// Size of `struct bpf_spin_lock`.
const SPIN_LOCK_BYTES: usize = 4;
/// Size of `struct bpf_timer`.
const TIMER_BYTES: usize = 16;
/// Size of `struct bpf_dynptr`.
const DYNPTR_BYTES: usize = 16;
/// Size of a kptr slot.
const KPTR_BYTES: usize = 8;
/// Largest memory argument the verifier accepts (`1 << 29`).
const MAX_MEMORY_ARGUMENT: u64 = 1 << 29;

/// Runs `proto`'s generic model on `args`.
pub(super) fn call(
    helpers: &mut KernelHelpers,
    proto: &Proto,
    args: [u64; 5],
    memory: &mut Memory,
    code: &mut dyn CodeRunner,
) -> Result<u64, HelperError> {
    let writes = check_arguments(helpers, proto, args, memory, code)?;
    for (address, len) in writes {
        let bytes = memory.write_in_place(address, len)?;
        helpers.fill_arbitrary(bytes);
    }
    result(helpers, proto, args, memory)
}

/// Checks every argument as the kernel's verifier would have, and returns the memory the
/// helper may write.
pub(super) fn check_arguments(
    helpers: &KernelHelpers,
    proto: &Proto,
    args: [u64; 5],
    memory: &mut Memory,
    code: &mut dyn CodeRunner,
) -> Result<Vec<(u64, usize)>, HelperError> {
    let mut writes = Vec::new();
    let mut map_sizes = None;
    let mut socket_map = false;
    for (i, arg) in proto.args.iter().enumerate() {
        let (value, register) = (args[i], i as u8 + 1);
        let invalid = |reason| HelperError::InvalidArgument { register, value, reason };
        if value == 0 && arg.maybe_null() {
            continue;
        }
        match arg.ty {
            ArgType::Anything | ArgType::Scalar | ArgType::ConstAllocSizeOrZero | ArgType::ConstSizeOrZero => {}
            ArgType::ConstSize if value == 0 => return Err(invalid("a size of 0")),
            ArgType::ConstSize => {}
            ArgType::ConstMapPtr => {
                map_sizes = Some(helpers.maps.key_and_value_size(value, register)?);
                let kind = crate::interp::maps::map_of_handle(value).and_then(|map| helpers.maps.kind(map));
                socket_map = kind == Some(crate::interp::maps::MapKind::SocketMap);
            }
            // A socket map's values are sockets (the kernel's `resolve_map_arg_type`).
            ArgType::PtrToMapValue if socket_map => helpers.socket_argument(memory, value, register, false, true)?,
            ArgType::PtrToMapKey | ArgType::PtrToMapValue => {
                let (key, val) = map_sizes.ok_or(invalid("no map argument before it"))?;
                let len = if arg.ty == ArgType::PtrToMapKey { key } else { val } as usize;
                access(memory, &mut writes, *arg, value, len)?;
            }
            ArgType::PtrToMem => {
                let len = match arg.flags.has(MEM_FIXED_SIZE) {
                    true => u64::from(arg.size),
                    false => args[i + 1],
                };
                if len >= MAX_MEMORY_ARGUMENT {
                    return Err(HelperError::InvalidArgument {
                        register: register + 1,
                        value: len,
                        reason: "too large",
                    });
                }
                if len > 0 {
                    access(memory, &mut writes, *arg, value, len as usize)?;
                }
            }
            ArgType::PtrToCtx => {
                if !is_region_base(memory, value, |k| k == RegionKind::Context) {
                    return Err(invalid("not the context"));
                }
            }
            ArgType::PtrToStack => {
                if !memory.locate(value).is_some_and(|(r, _)| is_stack(memory.region(r).map(|r| r.kind()))) {
                    return Err(invalid("not a stack pointer"));
                }
            }
            ArgType::PtrToFunc => {
                if !code.is_function(value) {
                    return Err(invalid("not a function entry"));
                }
            }
            ArgType::PtrToConstStr => const_str(memory, value).map_err(|()| invalid("not a constant string"))?,
            ArgType::PtrToSpinLock => access(memory, &mut writes, arg.with(0), value, SPIN_LOCK_BYTES)?,
            ArgType::PtrToTimer => access(memory, &mut writes, *arg, value, TIMER_BYTES)?,
            ArgType::KptrXchgDest => access(memory, &mut writes, *arg, value, KPTR_BYTES)?,
            ArgType::PtrToDynptr => access(memory, &mut writes, *arg, value, DYNPTR_BYTES)?,
            // Only `ringbuf_submit`/`_discard` take one; their models check the record.
            ArgType::PtrToRingbufMem => {}
            ArgType::PtrToSocket => helpers.socket_argument(memory, value, register, true, false)?,
            ArgType::PtrToSockCommon => helpers.socket_argument(memory, value, register, false, false)?,
            // A BTF-typed socket is any socket view.
            ArgType::PtrToBtfIdSockCommon => helpers.socket_argument(memory, value, register, false, true)?,
            ArgType::PtrToBtfId | ArgType::PtrToPercpuBtfId => {
                let object = arg.btf.and_then(|btf| btf.object());
                let live = match object {
                    Some(kind) if arg.ty == ArgType::PtrToBtfId => helpers.kernel.is_live(value, kind),
                    _ => helpers.kernel_objects.iter().any(|&r| region_base(r) == value),
                };
                if !live {
                    return Err(invalid("not a kernel object of this run"));
                }
            }
        }
    }
    Ok(writes)
}

/// Checks `len` bytes at `address` for an argument of type `arg`: read (initialised) unless
/// the helper only writes them, and noted for writing if it may write them.
fn access(
    memory: &mut Memory,
    writes: &mut Vec<(u64, usize)>,
    arg: Arg,
    address: u64,
    len: usize,
) -> Result<(), HelperError> {
    if !arg.flags.has(MEM_UNINIT) {
        memory.read(address, len)?;
    }
    // Map keys and values are read unless marked written; other memory is written unless
    // marked read-only (the kernel's `ARG_PTR_TO_MEM` without `MEM_RDONLY` may be written).
    let written = match arg.ty {
        ArgType::PtrToMapKey | ArgType::PtrToMapValue => arg.writes(),
        _ => !arg.flags.has(MEM_RDONLY) || arg.flags.has(OBJ_RELEASE),
    };
    if written {
        memory.write_in_place(address, len)?;
        writes.push((address, len));
    }
    Ok(())
}

fn is_stack(kind: Option<RegionKind>) -> bool {
    matches!(kind, Some(RegionKind::Stack { .. }))
}

fn is_region_base(memory: &Memory, value: u64, kind: impl Fn(RegionKind) -> bool) -> bool {
    match memory.locate(value) {
        Some((region, 0)) => memory.region(region).is_some_and(|r| kind(r.kind())),
        _ => false,
    }
}

/// A NUL-terminated string in read-only memory (the verifier's `ARG_PTR_TO_CONST_STR`:
/// frozen `.rodata`).
fn const_str(memory: &Memory, address: u64) -> Result<(), ()> {
    let (region, offset) = memory.locate(address).ok_or(())?;
    let region = memory.region(region).ok_or(())?;
    // Frozen read-only data only: a `BPF_F_RDONLY_PROG` map's values may still change.
    if region.access() != Access::ReadOnly || !matches!(region.kind(), RegionKind::GlobalData { .. }) {
        return Err(());
    }
    let bytes = usize::try_from(offset).ok().and_then(|o| region.bytes().get(o..)).ok_or(())?;
    bytes.contains(&0).then_some(()).ok_or(())
}

/// The declared result: see the module docs.
fn result(helpers: &mut KernelHelpers, proto: &Proto, args: [u64; 5], memory: &mut Memory) -> Result<u64, HelperError> {
    let Ret { ty, flags, range, .. } = proto.ret;
    match ty {
        RetType::Void => Ok(0),
        RetType::Integer => Ok(match range {
            Some((lo, hi)) => helpers.arbitrary_in(lo, hi) as u64,
            None => helpers.arbitrary(),
        }),
        _ if flags.has(PTR_MAYBE_NULL) => Ok(0),
        RetType::PtrToMapValue => {
            let (_, value_size) = helpers.maps.key_and_value_size(args[0], 1)?;
            let map = crate::interp::maps::map_of_handle(args[0]).map_or(0, |m| m.0);
            let access = helpers.maps.value_access(args[0]);
            let region = memory.add_region(RegionKind::MapValue { map }, vec![0; value_size as usize], access)?;
            Ok(region_base(region))
        }
        _ => {
            let region = memory.add_region(RegionKind::Other, vec![0; KERNEL_OBJECT_BYTES], Access::None)?;
            helpers.kernel_objects.push(region);
            Ok(region_base(region))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::MapId;
    use crate::interp::context::ProgramType;
    use crate::interp::helpers::NoCode;
    use crate::interp::kernel_helpers::{helper_is_faithful, helper_name};
    use crate::interp::maps::tests::{map, object};
    use crate::interp::maps::{MapTable, map_handle};
    use crate::isa::Insn;
    use crate::model::helpers::{HELPERS, MEM_WRITE};
    use crate::program::{Program, ProgramParts};

    /// Bytes of scratch memory each argument gets.
    const SLICE: u64 = 64;
    /// The size argument every variable-size memory argument gets.
    const MEM_LEN: u64 = 16;
    /// The array map's key and value sizes.
    const KEY: usize = 4;
    const VALUE: usize = 8;
    /// What scratch memory holds before a call.
    const PATTERN: u8 = 0xa5;

    struct Setup {
        helpers: KernelHelpers,
        memory: Memory,
        scratch: u64,
        context: u64,
        read_only: u64,
    }

    fn setup() -> Setup {
        let program = Program::new(vec![Insn::Exit], ProgramParts::default()).expect("valid");
        let object = object("tc", vec![map("array", 2, KEY as u32, VALUE as u32, 4)], program);
        let mut memory = Memory::new();
        let maps = MapTable::install(&object, &object.programs[0], &mut memory).expect("small maps");
        let context = crate::interp::context::install(&mut memory, ProgramType::SchedCls, &[0; 64]).expect("small");
        let scratch = memory.add_region(RegionKind::Other, vec![PATTERN; 5 * SLICE as usize], Access::ReadWrite);
        // Frozen read-only data, as `ARG_PTR_TO_CONST_STR` demands.
        let rodata = RegionKind::GlobalData { section: 1 };
        let read_only = memory.add_region(rodata, b"%d\0".to_vec(), Access::ReadOnly);
        Setup {
            helpers: KernelHelpers::new(maps, ProgramType::SchedCls),
            scratch: region_base(scratch.expect("small")),
            read_only: region_base(read_only.expect("small")),
            context: region_base(context.context),
            memory,
        }
    }

    /// How many bytes argument `arg` points to, if it is memory of this test's making.
    fn memory_len(arg: Arg) -> Option<usize> {
        match arg.ty {
            ArgType::PtrToMapKey => Some(KEY),
            ArgType::PtrToMapValue => Some(VALUE),
            ArgType::PtrToMem if arg.flags.has(MEM_FIXED_SIZE) => Some(arg.size as usize),
            ArgType::PtrToMem => Some(MEM_LEN as usize),
            ArgType::PtrToSpinLock => Some(SPIN_LOCK_BYTES),
            ArgType::PtrToTimer => Some(TIMER_BYTES),
            ArgType::KptrXchgDest => Some(KPTR_BYTES),
            ArgType::PtrToDynptr => Some(DYNPTR_BYTES),
            _ => None,
        }
    }

    /// Whether the prototype lets the helper write the memory of `arg`.
    fn may_write(arg: Arg) -> bool {
        match arg.ty {
            ArgType::PtrToMapKey => false,
            ArgType::PtrToMapValue => arg.flags.has(MEM_WRITE),
            _ => !arg.flags.has(MEM_RDONLY) || arg.flags.has(OBJ_RELEASE),
        }
    }

    /// Arguments that satisfy `proto`, each memory argument in its own scratch slice; `None`
    /// when it takes a kernel object, a stack pointer or a callback.
    fn arguments(setup: &Setup, proto: &Proto) -> Option<[u64; 5]> {
        let mut args = [0; 5];
        for (i, arg) in proto.args.iter().enumerate() {
            args[i] = match arg.ty {
                ArgType::Anything | ArgType::Scalar => 1,
                ArgType::ConstSize | ArgType::ConstSizeOrZero => MEM_LEN,
                ArgType::ConstAllocSizeOrZero => 8,
                ArgType::ConstMapPtr => map_handle(MapId(0)),
                ArgType::PtrToCtx => setup.context,
                ArgType::PtrToConstStr => setup.read_only,
                _ if memory_len(*arg).is_some() => setup.scratch + i as u64 * SLICE,
                _ => return None,
            };
        }
        Some(args)
    }

    #[test]
    fn every_helper_has_a_model_whose_memory_effects_match_its_prototype() {
        let mut checked = 0;
        for helper in HELPERS {
            assert_eq!(helper_name(helper.id), Some(helper.name), "{} has no model", helper.name);
            if helper_is_faithful(helper.id) {
                continue;
            }
            let mut setup = setup();
            let Some(args) = arguments(&setup, &helper.proto) else { continue };
            let result = call(&mut setup.helpers, &helper.proto, args, &mut setup.memory, &mut NoCode);
            let value = result.unwrap_or_else(|e| panic!("{}: {e}", helper.name));
            if let Some((lo, hi)) = helper.proto.ret.range {
                assert!((lo..=hi).contains(&(value as i64)), "{}: {value} out of range", helper.name);
            }
            let after = setup.memory.read(setup.scratch, 5 * SLICE as usize).expect("scratch").to_vec();
            for (i, arg) in helper.proto.args.iter().enumerate() {
                let Some(len) = memory_len(*arg) else { continue };
                let slice = &after[i * SLICE as usize..(i + 1) * SLICE as usize];
                let changed = slice[..len].iter().any(|&b| b != PATTERN);
                assert_eq!(changed, may_write(*arg), "{} argument {}: written {changed}", helper.name, i + 1);
                assert!(slice[len..].iter().all(|&b| b == PATTERN), "{} wrote past argument {}", helper.name, i + 1);
            }
            for (i, arg) in helper.proto.args.iter().enumerate() {
                if memory_len(*arg).is_none() || arg.maybe_null() {
                    continue;
                }
                // Unreadable memory for what the helper reads, read-only memory for what it writes.
                let mut bad = args;
                bad[i] = if arg.flags.has(MEM_UNINIT) { setup.read_only } else { 0x10 };
                let result = call(&mut setup.helpers, &helper.proto, bad, &mut setup.memory, &mut NoCode);
                assert!(
                    matches!(result, Err(HelperError::Memory(_))),
                    "{} argument {}: {result:?}",
                    helper.name,
                    i + 1
                );
            }
            checked += 1;
        }
        assert!(checked >= 100, "only {checked} helpers checked");
    }

    #[test]
    fn arguments_are_checked_as_the_kernel_checks_them() {
        let mut setup = setup();
        let strncmp = crate::model::helpers::helper_named("strncmp").expect("listed").proto;
        let (scratch, read_only) = (setup.scratch, setup.read_only);
        let mut run = |args| call(&mut setup.helpers, &strncmp, args, &mut setup.memory, &mut NoCode);
        // The constant string must be NUL-terminated read-only memory; the size at least 1.
        assert!(run([scratch, 4, read_only, 0, 0]).is_ok());
        let not_const = run([scratch, 4, scratch, 0, 0]);
        assert!(matches!(not_const, Err(HelperError::InvalidArgument { register: 3, .. })), "{not_const:?}");
        let zero = run([scratch, 0, scratch, 0, 0]);
        assert!(matches!(zero, Err(HelperError::InvalidArgument { register: 2, .. })), "{zero:?}");
    }
}
