//! Programs of ELF objects (the corpus) through the kernel: their maps are created with
//! `BPF_MAP_CREATE` (global data sections as one-entry arrays holding the section), their
//! map loads are pointed at those descriptors, and each packet is run in the kernel and in
//! the interpreter ([`ObjectRunner`]) one after the other, so both see maps evolve alike.
//!
//! Only packet program types have a test run that takes the program's own input: XDP, tc
//! (`SCHED_CLS`/`SCHED_ACT`) and socket filters. A socket filter's test run strips the
//! 14-byte Ethernet header before the program sees the data and sets `skb->protocol` from
//! its ethertype, so the interpreter gets the packet without it and that protocol. The
//! kernel reports 32 bits of `r0`; those are compared, and the packet afterwards for XDP
//! and tc.

use std::collections::BTreeMap;

use bpfprove_semantics::elf::{LoadedProgram, MapOrigin, Object};
use bpfprove_semantics::interp::context::RunInput;
use bpfprove_semantics::interp::elf_run::ObjectRunner;
use bpfprove_semantics::interp::{CallxModel, RunConfig};
use bpfprove_semantics::isa::{CallTarget, Insn, LddwKind};
use bpfprove_semantics::model::section::TypeChoice;

use crate::btf::FuncInfo;
use crate::conformance::CannotRun;
use crate::error::KernelError;
use crate::maps::{KernelMap, MapShape};
use crate::program::{
    LoadRequest, LoadedProgram as KernelProgram, ProgramType, TestInput, load_flagged, refuse_attach_targets,
    section_flags,
};

/// Bytes of the Ethernet header a socket filter's test run pulls off the packet.
const ETH_HEADER: usize = 14;

/// Instruction budget of an interpreter run (the kernel's own limit is far above what the
/// corpus executes).
const BUDGET: u64 = 1_000_000;

/// How one program fared over all packets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramResult {
    /// The kernel ran it: how many packets agreed, and what differed on the others.
    Ran {
        /// Packets on which `r0` (and the packet) agreed.
        agreed: usize,
        /// Packets the kernel's test run refused (e.g. an IPv4 ethertype with less than an
        /// IPv4 header behind it); the interpreter does not run them either.
        refused: usize,
        /// The differences, one per packet that differed.
        differed: Vec<String>,
    },
    /// The kernel could not run it.
    CannotRun(CannotRun),
}

/// Runs `program` of `object` on each of `packets` in the kernel and the interpreter.
pub fn compare_program(object: &Object, program: &LoadedProgram, packets: &[Vec<u8>]) -> ProgramResult {
    match object.program_type_of(program, TypeChoice::default()) {
        Ok(program_type) if !takes_packet_test_runs(program_type) => {
            return ProgramResult::CannotRun(CannotRun::Kernel(
                KernelError::Unsupported(format!("program type {program_type} has no packet test run here"))
                    .to_string(),
            ));
        }
        _ => {}
    }
    match prepare(object, program) {
        Ok((kernel, program_type, _maps)) => run_all(object, program, &kernel, program_type, packets),
        Err(KernelError::Rejected { last_line, .. }) => ProgramResult::CannotRun(CannotRun::Verifier(last_line)),
        Err(other) => ProgramResult::CannotRun(CannotRun::Kernel(other.to_string())),
    }
}

/// Loads `program` of `object` (creating its maps) and closes it again: whether the
/// kernel's verifier accepts it, whatever its program type (types whose section the model
/// cannot read are [`KernelError::Unsupported`]).
pub fn load_for_verdict(object: &Object, program: &LoadedProgram) -> Result<(), KernelError> {
    prepare(object, program).map(|_| ())
}

fn run_all(
    object: &Object,
    program: &LoadedProgram,
    kernel: &KernelProgram,
    program_type: ProgramType,
    packets: &[Vec<u8>],
) -> ProgramResult {
    let config = RunConfig::new(CallxModel::Address, BUDGET);
    let mut runner = match ObjectRunner::with_program_type(object, program, program_type, config) {
        Ok(runner) => runner,
        Err(error) => return ProgramResult::CannotRun(CannotRun::NotBuilt(error.to_string())),
    };
    let (mut agreed, mut refused, mut differed) = (0, 0, Vec::new());
    for (index, packet) in packets.iter().enumerate() {
        let Ok(kernel_run) = kernel.test_run(TestInput { data: Some(packet), ctx: None }) else {
            refused += 1;
            continue;
        };
        let run = match runner.run_with(&interpreter_input(program_type, packet)) {
            Ok(run) => run,
            Err(error) => return ProgramResult::CannotRun(CannotRun::NotBuilt(error.to_string())),
        };
        let outcome = match run.result {
            Ok(outcome) => outcome,
            Err(trap) => {
                differed.push(format!(
                    "packet {index}: the kernel returned {}; the interpreter trapped: {trap}",
                    kernel_run.retval
                ));
                continue;
            }
        };
        if outcome.r0 as u32 != kernel_run.retval {
            differed.push(format!("packet {index}: r0 interpreter {:#x}, kernel {:#x}", outcome.r0, kernel_run.retval));
            continue;
        }
        if program_type != ProgramType::SocketFilter {
            let memory = runner.memory();
            let after = memory.packet().and_then(|id| memory.region(id)).map(|region| region.bytes().to_vec());
            // The kernel hands back the Ethernet header it pulled for layer-3 types.
            let start = if runs_at_layer_2(program_type) { 0 } else { ETH_HEADER.min(kernel_run.data.len()) };
            if after.as_deref() != Some(&kernel_run.data[start..]) {
                differed.push(format!("packet {index}: the packet afterwards differs"));
                continue;
            }
        }
        agreed += 1;
    }
    ProgramResult::Ran { agreed, refused, differed }
}

/// Whether the kernel's test run of `program_type` takes a packet (`bpf_prog_test_run_skb`
/// and `bpf_prog_test_run_xdp`; devmap and cpumap programs have no test run of their own).
fn takes_packet_test_runs(program_type: ProgramType) -> bool {
    use ProgramType as T;
    matches!(
        program_type,
        T::SocketFilter
            | T::SchedCls
            | T::SchedAct
            | T::Xdp
            | T::CgroupSkbIngress
            | T::CgroupSkbEgress
            | T::LwtIn
            | T::LwtOut
            | T::LwtXmit
    )
}

/// Whether the program sees the packet from its Ethernet header (tc, XDP), rather than
/// from the network header, as `bpf_prog_test_run_skb` gives the other skb types.
fn runs_at_layer_2(program_type: ProgramType) -> bool {
    matches!(program_type, ProgramType::SchedCls | ProgramType::SchedAct | ProgramType::Xdp)
}

/// What the interpreter runs for `packet`: tc and XDP see it whole; for the other skb types
/// the kernel's test run pulls the Ethernet header off and sets `skb->protocol` from its
/// ethertype (as `eth_type_trans` does), so the interpreter gets the rest of the packet and
/// that protocol.
fn interpreter_input(program_type: ProgramType, packet: &[u8]) -> RunInput {
    match packet.get(ETH_HEADER - 2..ETH_HEADER) {
        Some(ethertype) if !runs_at_layer_2(program_type) => RunInput::new(&packet[ETH_HEADER..])
            .with_field("protocol", u32::from(u16::from_le_bytes([ethertype[0], ethertype[1]]))),
        _ => RunInput::new(packet),
    }
}

/// Creates the maps, relocates the program and loads it.
fn prepare(
    object: &Object,
    program: &LoadedProgram,
) -> Result<(KernelProgram, ProgramType, Vec<KernelMap>), KernelError> {
    let prepared = Prepared::new(object, program)?;
    let kernel = load_flagged(&prepared.request(), prepared.flags)?;
    Ok((kernel, prepared.program_type, prepared.maps))
}

/// A program of an object ready for `BPF_PROG_LOAD`: its type, its object's maps created in
/// the kernel, its bytecode relocated to them, and the extra load flags its section asks for.
pub(crate) struct Prepared {
    pub(crate) program_type: ProgramType,
    pub(crate) maps: Vec<KernelMap>,
    bytecode: Vec<u8>,
    info: Option<FuncInfo>,
    pub(crate) flags: u32,
}

impl Prepared {
    /// Prepares `program` of `object`; types the kernel cannot load without an attach
    /// target are [`KernelError::Unsupported`].
    pub(crate) fn new(object: &Object, program: &LoadedProgram) -> Result<Prepared, KernelError> {
        let program_type = object
            .program_type_of(program, TypeChoice::default())
            .map_err(|error| KernelError::Unsupported(error.to_string()))?;
        refuse_attach_targets(program_type)?;
        let maps = create_maps(object)?;
        let (bytecode, info) = bytecode_for(program, &maps)?;
        Ok(Prepared { program_type, maps, bytecode, info, flags: section_flags(&program.section) })
    }

    /// The load request (the maps must stay alive while it loads).
    pub(crate) fn request(&self) -> LoadRequest<'_> {
        LoadRequest { program_type: self.program_type, bytecode: &self.bytecode, func_info: self.info.as_ref() }
    }
}

/// The object's maps in the kernel, in [`Object::maps`] order: global data sections hold
/// their initial bytes.
fn create_maps(object: &Object) -> Result<Vec<KernelMap>, KernelError> {
    let mut maps = Vec::new();
    for def in &object.maps {
        let map = KernelMap::create(MapShape {
            map_type: def.map_type,
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: def.max_entries,
            flags: def.flags,
        })?;
        if let MapOrigin::Data { bytes, .. } = &def.origin {
            map.update(&0u32.to_le_bytes(), bytes)?;
        }
        maps.push(map);
    }
    Ok(maps)
}

/// `program`'s bytecode with its map loads pointed at `maps`, and the BTF function records
/// a program of several functions needs.
fn bytecode_for(program: &LoadedProgram, maps: &[KernelMap]) -> Result<(Vec<u8>, Option<FuncInfo>), KernelError> {
    let fds: BTreeMap<i32, i32> = maps.iter().enumerate().map(|(index, map)| (index as i32, map.raw_fd())).collect();
    let insns = program
        .program
        .insns()
        .iter()
        .map(|decoded| relocate(decoded.insn, decoded.pc, &fds))
        .collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<usize> = program.program.functions().iter().map(|f| f.entry).collect();
    let info = if entries.len() > 1 { Some(FuncInfo::for_entries(&entries)?) } else { None };
    Ok((bpfprove_semantics::isa::encode(&insns), info))
}

/// Points map loads at kernel descriptors; refuses what the kernel cannot take.
pub(crate) fn relocate(insn: Insn, pc: usize, fds: &BTreeMap<i32, i32>) -> Result<Insn, KernelError> {
    let fd = |index: i32| {
        fds.get(&index)
            .copied()
            .ok_or_else(|| KernelError::Unsupported(format!("pc {pc}: map {index} not in the object")))
    };
    Ok(match insn {
        Insn::Lddw { dst, kind: LddwKind::MapIdx, imm, next_imm } => {
            Insn::Lddw { dst, kind: LddwKind::MapFd, imm: fd(imm)?, next_imm }
        }
        Insn::Lddw { dst, kind: LddwKind::MapIdxValue, imm, next_imm } => {
            Insn::Lddw { dst, kind: LddwKind::MapValue, imm: fd(imm)?, next_imm }
        }
        Insn::Lddw { kind: LddwKind::CodeAddr, .. } | Insn::Callx { .. } | Insn::Gotox { .. } => {
            return Err(KernelError::Unsupported(format!("pc {pc}: callx/gotox/code addresses (not in this kernel)")));
        }
        Insn::Call(CallTarget::Kfunc { .. }) => {
            return Err(KernelError::Unsupported(format!("pc {pc}: kfunc call (needs the kernel's BTF ids)")));
        }
        other => other,
    })
}

/// `count` test packets from `seed`: all zeros, an Ethernet/IPv4/TCP and an
/// Ethernet/IPv6/UDP frame, then random frames (14 to 256 bytes) that keep or break those
/// headers, so parsers take every branch.
pub fn sample_packets(count: usize, seed: u64) -> Vec<Vec<u8>> {
    let ipv4_tcp: Vec<u8> = [
        &[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00][..],
        &[0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2],
        &[0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0],
    ]
    .concat();
    let ipv6_udp: Vec<u8> = [
        &[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x86, 0xdd][..],
        &[0x60, 0, 0, 0, 0, 8, 17, 64],
        &[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        &[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        &[0x04, 0xd2, 0, 53, 0, 8, 0, 0],
    ]
    .concat();
    let mut packets = vec![vec![0u8; 64], ipv4_tcp.clone(), ipv6_udp.clone()];
    let mut rng = crate::random::Rng::new(seed);
    while packets.len() < count {
        let len = ETH_HEADER + (rng.next_u64() % 243) as usize;
        let mut packet: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let template = if rng.next_u64().is_multiple_of(2) { &ipv4_tcp } else { &ipv6_udp };
        if !rng.next_u64().is_multiple_of(3) {
            let keep = template.len().min(len);
            packet[..keep].copy_from_slice(&template[..keep]);
            // One random byte of the header changes, so each check fails somewhere.
            let at = (rng.next_u64() as usize) % keep;
            packet[at] = rng.next_u64() as u8;
        }
        packets.push(packet);
    }
    packets.truncate(count);
    packets
}
