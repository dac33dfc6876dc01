//! Running a program of a loaded ELF object: its program type (from its section), its
//! context, its maps and global data, and Linux's helpers, put together around a
//! [`Machine`].
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bpfprove_semantics::elf;
//! use bpfprove_semantics::interp::{CallxModel, RunConfig, elf_run::ObjectRunner};
//!
//! let object = elf::load(&std::fs::read("xdp_parser.o")?)?;
//! let program = object.program("xdp_tcp_filter").ok_or("no such program")?;
//! let mut runner = ObjectRunner::new(&object, program, RunConfig::new(CallxModel::Address, 1_000_000))?;
//! let run = runner.run(&[0u8; 64])?; // the packet
//! println!("{:?} {:?}", run.result, run.outputs);
//! # Ok(())
//! # }
//! ```
//!
//! A runner keeps its memory, maps and helper state between runs, so a second run sees what
//! the first left in the maps; each run gets a fresh context (and packet), and the previous
//! ones become inaccessible.

use thiserror::Error;

use super::context::{self, ContextError, InstalledContext, ProgramType};
use super::kernel_helpers::{KernelHelpers, Output};
use super::maps::{MapSetupError, MapTable};
use super::memory::{Memory, region_base};
use super::{HelperError, Machine, Outcome, RunConfig, Trap, TrapKind};
use crate::elf::{LoadedProgram, Object, SourceLine};

/// Why a program could not be run (as opposed to a run that trapped).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ObjectRunError {
    /// The section name selects no program type the interpreter knows.
    #[error(
        "section `{section}`: unknown program type (known: xdp, tc, classifier, action, socket, kprobe/, tracepoint/, raw_tracepoint/, ...)"
    )]
    UnknownProgramType {
        /// The section.
        section: String,
    },
    /// The maps could not be created.
    #[error(transparent)]
    Maps(#[from] MapSetupError),
    /// The input could not become a context.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The machine's memory could not be set up.
    #[error("memory setup: {0}")]
    Memory(Trap),
}

/// What one run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramRun {
    /// How it ended.
    pub result: Result<Outcome, Trap>,
    /// What it sent out (ring buffers, perf events, `trace_printk`), in order.
    pub outputs: Vec<Output>,
}

/// One program of an object, ready for runs (see the module docs).
#[derive(Debug)]
pub struct ObjectRunner<'a> {
    object: &'a Object,
    program: &'a LoadedProgram,
    program_type: ProgramType,
    machine: Machine,
    memory: Memory,
    helpers: KernelHelpers,
    /// The context of the last run, retired when the next one starts.
    last_context: Option<InstalledContext>,
}

impl<'a> ObjectRunner<'a> {
    /// Prepares `program` of `object` for runs under `config`: its program type comes from
    /// its section name, its maps and global data are created empty / from the object.
    pub fn new(object: &'a Object, program: &'a LoadedProgram, config: RunConfig) -> Result<Self, ObjectRunError> {
        let program_type = ProgramType::of_section(&program.section)
            .ok_or_else(|| ObjectRunError::UnknownProgramType { section: program.section.clone() })?;
        let machine = Machine::new(&program.program, config);
        let mut memory = machine.new_memory().map_err(ObjectRunError::Memory)?;
        let maps = MapTable::install(object, program, &mut memory)?;
        let helpers = KernelHelpers::new(maps, program_type);
        Ok(ObjectRunner { object, program, program_type, machine, memory, helpers, last_context: None })
    }

    /// The program's type.
    pub fn program_type(&self) -> ProgramType {
        self.program_type
    }

    /// Runs the program once on `input`: the packet for packet program types (XDP, tc,
    /// socket filters), the context's bytes otherwise.
    pub fn run(&mut self, input: &[u8]) -> Result<ProgramRun, ObjectRunError> {
        if let Some(last) = self.last_context.take() {
            context::retire(&mut self.memory, last);
        }
        let installed = context::install(&mut self.memory, self.program_type, input)?;
        self.last_context = Some(installed);
        let args = [region_base(installed.context)];
        let result = self.machine.run(&mut self.memory, &args, &mut self.helpers);
        Ok(ProgramRun { result, outputs: self.helpers.take_outputs() })
    }

    /// The memory as the last run left it.
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The maps.
    pub fn maps(&self) -> &MapTable {
        self.helpers.maps()
    }

    /// The source line of the instruction where `trap` happened (inside a callback, if it
    /// happened there), when the object has line info.
    pub fn trap_line(&self, trap: &Trap) -> Option<&'a SourceLine> {
        self.program.source_line(innermost(trap).pc)
    }

    /// Where program slot `pc` is in the object file.
    pub fn location(&self, pc: usize) -> Option<CodeLocation> {
        let function = self.program.program.function_containing(pc)?;
        let origin = self.program.origins.get(function.0 as usize)?;
        let section = self.object.code_sections.get(origin.section)?;
        let entry = self.program.program.function(function).entry;
        Some(CodeLocation {
            section: section.name.clone(),
            offset: 8 * (origin.section_slot + pc - entry) as u64,
            function: origin.name.clone(),
            function_offset: 8 * (pc - entry) as u64,
        })
    }
}

/// A place in an object's code: section and byte offset, and the function around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeLocation {
    /// The code section.
    pub section: String,
    /// Byte offset in the section.
    pub offset: u64,
    /// The function symbol containing it.
    pub function: String,
    /// Byte offset from the function's start.
    pub function_offset: u64,
}

impl std::fmt::Display for CodeLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}+{:#x} <{}+{:#x}>", self.section, self.offset, self.function, self.function_offset)
    }
}

/// The trap that started it all: for a trap inside a helper's callback, the callback's.
pub fn innermost(trap: &Trap) -> &Trap {
    let mut trap = trap;
    while let TrapKind::HelperFailed { error: HelperError::Callback(inner), .. } = &trap.kind {
        trap = inner;
    }
    trap
}

/// One line describing `output`, naming maps by their names in `maps`.
pub fn describe_output(output: &Output, maps: &MapTable) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
    let name = |map| maps.name(map).unwrap_or("?").to_owned();
    match output {
        Output::RingBuffer { map, bytes } => format!("ringbuf {}: {} bytes: {}", name(*map), bytes.len(), hex(bytes)),
        Output::PerfEvent { map, bytes } => format!("perf_event {}: {} bytes: {}", name(*map), bytes.len(), hex(bytes)),
        Output::TracePrintk(text) => format!("trace_printk: {}", text.trim_end_matches('\n')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm;
    use crate::elf::MapId;
    use crate::interp::CallxModel;
    use crate::interp::maps::tests::{data, map, object};
    use crate::interp::memory::FaultReason;

    fn config() -> RunConfig {
        RunConfig::new(CallxModel::Address, 10_000)
    }

    #[test]
    fn xdp_programs_read_their_packet_through_the_context() {
        // r0 = data_end - data, plus packet[0] when the packet is not empty.
        let text = "
            r2 = *(u32 *)(r1 + 0)
            r3 = *(u32 *)(r1 + 4)
            r0 = r3
            r0 -= r2
            r4 = r2
            r4 += 1
            if r4 > r3 goto out
            r5 = *(u8 *)(r2 + 0)
            r0 += r5
        out:
            exit";
        let object = object("xdp", vec![], asm::llvm::parse(text).expect("valid"));
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("xdp");
        assert_eq!(runner.program_type(), ProgramType::Xdp);
        assert_eq!(runner.run(&[40, 0, 0]).expect("packet").result.map(|o| o.r0), Ok(43));
        assert_eq!(runner.run(&[]).expect("packet").result.map(|o| o.r0), Ok(0));
    }

    #[test]
    fn maps_and_global_data_persist_across_runs() {
        // counter = lookup(counts, &0); *counter += 1; r0 = *counter + .rodata[2].
        let text = "
            r6 = 0
            *(u32 *)(r10 - 4) = r6
            r1 = 0 ll
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto out
            r1 = *(u64 *)(r0 + 0)
            r1 += 1
            *(u64 *)(r0 + 0) = r1
            r6 = r1
        out:
            r7 = 0x200000001 ll
            r0 = *(u8 *)(r7 + 0)
            r0 += r6
            exit";
        let mut program = asm::llvm::parse(text).expect("valid").to_bytes();
        // The `lddw` at slot 2 loads map 0's handle (src_reg 5 = MapIdx), the one at slot 12
        // the address of byte 2 of map 1 (src_reg 6 = MapIdxValue, imm = map, next_imm = offset).
        program[2 * 8 + 1] |= 5 << 4;
        program[12 * 8 + 1] |= 6 << 4;
        let program = crate::program::Program::from_bytes(&program).expect("valid");
        let maps = vec![map("counts", 2, 4, 8, 1), data(".rodata", &[0, 0, 40], true)];
        let object = object("socket", maps, program);
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("socket");
        for count in 1..=3 {
            assert_eq!(runner.run(&[0; 20]).expect("packet").result.map(|o| o.r0), Ok(40 + count));
        }
        let entries = runner.maps().entries(runner.memory(), MapId(0));
        assert_eq!(entries, [(0u32.to_le_bytes().to_vec(), 3u64.to_le_bytes().to_vec())]);
    }

    #[test]
    fn traps_name_the_packet_and_old_inputs_are_retired() {
        let text = "r2 = *(u32 *)(r1 + 76)\n r0 = *(u8 *)(r2 + 0)\n exit";
        let object = object("tc", vec![], asm::llvm::parse(text).expect("valid"));
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("tc");
        assert_eq!(runner.run(&[9]).expect("packet").result.map(|o| o.r0), Ok(9));
        let trap = runner.run(&[]).expect("packet").result.expect_err("empty packet");
        let TrapKind::Memory(fault) = trap.kind else { panic!("{trap}") };
        assert_eq!((trap.pc, fault.reason), (1, FaultReason::OutOfBounds));
        let packets = runner.memory().regions().filter(|(_, r)| r.kind() == super::super::RegionKind::Packet);
        let live: Vec<_> = packets.filter(|(_, r)| r.access() != super::super::Access::None).collect();
        assert_eq!(live.len(), 1, "only the last run's packet is accessible");
    }

    #[test]
    fn unknown_sections_and_oversized_contexts_are_errors() {
        let program = asm::llvm::parse("r0 = 0\n exit").expect("valid");
        let object = object("fentry/foo", vec![], program.clone());
        let error = ObjectRunner::new(&object, &object.programs[0], config()).expect_err("unknown type");
        assert!(matches!(error, ObjectRunError::UnknownProgramType { .. }), "{error}");
        let object = object_kprobe(program);
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("kprobe");
        assert!(matches!(runner.run(&[0; 200]), Err(ObjectRunError::Context(ContextError::TooLong { .. }))));
        assert_eq!(runner.run(&[0; 8]).expect("padded").result.map(|o| o.r0), Ok(0));
    }

    fn object_kprobe(program: crate::program::Program) -> Object {
        object("kprobe/do_sys_open", vec![], program)
    }
}
