//! The memory a generated program runs on, and the helpers it may call.
//!
//! Regions (after the stack frames and jump tables every machine installs): the context
//! (read-write), a packet, a map value, read-only global data, and a virtual context of
//! an XDP or tc program (`interp::context`) with its own packet (which legacy packet loads
//! then read). The context starts with pointers to the packet, map value, read-only data,
//! a call table of the callees' code addresses, and the virtual context's address; the
//! rest of it, and the other regions, hold random bytes. Map 0 is bound to a handle and
//! the map value, map 1 to a handle only, other maps to nothing.

use bpfprove_semantics::interp::context::{self, ContextError, ProgramType};
use bpfprove_semantics::interp::memory::{MapBinding, region_base};
use bpfprove_semantics::interp::{
    Access, CodeRunner, HelperError, HelperResult, Helpers, MAX_FRAMES, Memory, RegionKind,
};
use bpfprove_semantics::isa::Size;
use bpfprove_semantics::program::code_address;

use super::choices::Choices;

/// Offset in the context of the packet's address.
pub const CTX_PACKET: i16 = 0;
/// Offset in the context of the map value's address.
pub const CTX_MAP: i16 = 8;
/// Offset in the context of the read-only data's address.
pub const CTX_RODATA: i16 = 16;
/// Offset in the context of the call table: code addresses of functions 1, 2, 3.
pub const CTX_CALL_TABLE: i16 = 24;
/// Offset in the context of the virtual context's address.
pub const CTX_VIRTUAL: i16 = 48;
/// Offset in the context where its plain data starts.
pub const CTX_DATA: usize = 56;
/// Length of the context.
pub const CTX_LEN: usize = 96;
/// Length of the packet.
pub const PACKET_LEN: usize = 32;
/// Length of the map value.
pub const MAP_LEN: usize = 24;
/// Length of the read-only data.
pub const RODATA_LEN: usize = 16;
/// Length of the virtual context's packet.
pub const VIRTUAL_PACKET_LEN: usize = 24;
/// Handles of maps 0 and 1.
pub const MAP_HANDLES: [u64; 2] = [0xffff_8000_0000_1000, 0xffff_8000_0000_2000];

/// The contents of a case's regions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    /// The context's plain data (after the pointers).
    pub ctx_data: Vec<u8>,
    /// The packet.
    pub packet: Vec<u8>,
    /// The map value.
    pub map_value: Vec<u8>,
    /// The read-only data.
    pub rodata: Vec<u8>,
    /// Code addresses of functions 1..=3 (0 where there is no such function).
    pub call_table: [u64; 3],
    /// The virtual context's program type (XDP or tc).
    pub program_type: ProgramType,
    /// The virtual context's packet.
    pub virtual_packet: Vec<u8>,
}

fn random_bytes(choices: &mut Choices<'_>, len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        bytes.extend_from_slice(&choices.raw().to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

impl World {
    /// Random contents, with an empty call table.
    pub fn random(choices: &mut Choices<'_>) -> World {
        World {
            ctx_data: random_bytes(choices, CTX_LEN - CTX_DATA),
            packet: random_bytes(choices, PACKET_LEN),
            map_value: random_bytes(choices, MAP_LEN),
            rodata: random_bytes(choices, RODATA_LEN),
            call_table: [0; 3],
            program_type: if choices.chance(50) { ProgramType::SchedCls } else { ProgramType::Xdp },
            virtual_packet: random_bytes(choices, VIRTUAL_PACKET_LEN),
        }
    }

    /// The same contents with the call table filled from the functions' entry slots
    /// (`entries[0]` is main, which the table leaves out).
    pub fn with_call_table(mut self, entries: &[Option<usize>]) -> World {
        for (slot, entry) in self.call_table.iter_mut().zip(entries.iter().skip(1)) {
            *slot = entry.map_or(0, code_address);
        }
        self
    }

    /// Adds the regions to `memory` and returns the program's arguments: the context's
    /// address and length.
    pub fn install(&self, memory: &mut Memory) -> Result<[u64; 2], ContextError> {
        let ctx = memory.add_region(RegionKind::Context, vec![0; CTX_LEN], Access::ReadWrite)?;
        let packet = memory.add_region(RegionKind::Packet, self.packet.clone(), Access::ReadWrite)?;
        memory.set_packet(packet);
        let map = memory.add_region(RegionKind::MapValue { map: 0 }, self.map_value.clone(), Access::ReadWrite)?;
        let rodata = memory.add_region(RegionKind::GlobalData { section: 0 }, self.rodata.clone(), Access::ReadOnly)?;
        memory.bind_map(0, MapBinding { handle: MAP_HANDLES[0], value: Some(map) });
        memory.bind_map(1, MapBinding { handle: MAP_HANDLES[1], value: None });
        let virtual_ctx = context::install(memory, self.program_type, &self.virtual_packet)?.context;
        let mut bytes = Vec::with_capacity(CTX_LEN);
        for address in [region_base(packet), region_base(map), region_base(rodata)] {
            bytes.extend_from_slice(&address.to_le_bytes());
        }
        for address in self.call_table {
            bytes.extend_from_slice(&address.to_le_bytes());
        }
        bytes.extend_from_slice(&region_base(virtual_ctx).to_le_bytes());
        bytes.extend_from_slice(&self.ctx_data);
        if let Some(region) = memory.region_mut(ctx) {
            region.bytes_mut().copy_from_slice(&bytes);
        }
        Ok([region_base(ctx), CTX_LEN as u64])
    }
}

/// Helpers that touch memory in every way a helper can, so the JIT's calls into Rust and
/// its region table are exercised:
///
/// | id | effect |
/// |----|--------|
/// | 1  | returns a mix of all five arguments |
/// | 2  | returns the 8 bytes at `r1` (fails on a fault) |
/// | 3  | stores `r2` at `r1` (fails on a fault) |
/// | 5  | the suite's "unwind": returns `r1`, ends the program when it is 0 |
/// | 6  | adds a 16-byte read-write region filled with `r1`'s low byte, returns its address |
/// | 7  | makes the region at `r1` read-only (except stack frames), returns 0 |
/// | 8  | calls the function at code address `r1` with (`r3`, i) for i in 0..`r2` (at most 4), stopping at a non-zero result; returns the calls made |
#[derive(Clone, Copy, Debug, Default)]
pub struct TestHelpers;

/// Most regions helper 6 lets a memory grow to.
const MAX_TEST_REGIONS: usize = 64;

impl Helpers for TestHelpers {
    fn call(&mut self, id: i32, args: [u64; 5], memory: &mut Memory) -> Result<HelperResult, HelperError> {
        match id {
            1 => {
                let mixed = args
                    .iter()
                    .enumerate()
                    .fold(0u64, |acc, (i, &a)| acc.rotate_left(13) ^ a.wrapping_mul(2 * i as u64 + 1));
                Ok(HelperResult::Return(mixed))
            }
            2 => Ok(HelperResult::Return(memory.load(args[0], Size::DW)?)),
            3 => {
                memory.store(args[0], Size::DW, args[1])?;
                Ok(HelperResult::Return(0))
            }
            5 if args[0] == 0 => Ok(HelperResult::Exit(0)),
            5 => Ok(HelperResult::Return(args[0])),
            6 => {
                if memory.regions().count() >= MAX_TEST_REGIONS {
                    return Ok(HelperResult::Return(0));
                }
                let region = memory
                    .add_region(RegionKind::Other, vec![args[0] as u8; 16], Access::ReadWrite)
                    .map_err(|_| HelperError::InvalidArgument { register: 1, value: args[0], reason: "no room" })?;
                Ok(HelperResult::Return(region_base(region)))
            }
            7 => {
                match memory.locate(args[0]) {
                    Some((region, _)) if region.0 as usize >= MAX_FRAMES => memory.set_access(region, Access::ReadOnly),
                    _ => {}
                }
                Ok(HelperResult::Return(0))
            }
            _ => Err(HelperError::Unknown),
        }
    }

    fn call_with_code(
        &mut self,
        id: i32,
        args: [u64; 5],
        memory: &mut Memory,
        code: &mut dyn CodeRunner,
    ) -> Result<HelperResult, HelperError> {
        if id != 8 {
            return self.call(id, args, memory);
        }
        if !code.is_function(args[0]) {
            return Err(HelperError::InvalidArgument { register: 1, value: args[0], reason: "not a function entry" });
        }
        let mut calls = 0;
        while calls < args[1].min(4) {
            calls += 1;
            if code.call_function(self, memory, args[0], &[args[2], calls - 1])? != 0 {
                break;
            }
        }
        Ok(HelperResult::Return(calls))
    }
}
