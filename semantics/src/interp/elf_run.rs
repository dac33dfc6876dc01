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
//! ones become inaccessible. [`ObjectRunner::reset`] goes back to the state after
//! [`ObjectRunner::new`].
//!
//! Besides the packet (or context bytes), a run may choose the values of plain context
//! fields ([`RunInput`]), and the host may fill maps before a run, as user space does:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bpfprove_semantics::elf::{self, MapId};
//! use bpfprove_semantics::interp::{CallxModel, RunConfig, elf_run::{ObjectRunner, RunInput}};
//!
//! let object = elf::load(&std::fs::read("tc_classifier.o")?)?;
//! let program = object.program("tc_classify").ok_or("no such program")?;
//! let mut runner = ObjectRunner::new(&object, program, RunConfig::new(CallxModel::Address, 1_000_000))?;
//! runner.insert_map_entry(MapId(0), &7u32.to_le_bytes(), &[0; 8])?;
//! let run = runner.run_with(&RunInput::new(vec![0u8; 64]).with_field("mark", 7))?;
//! println!("{:?}", run.result);
//! # Ok(())
//! # }
//! ```

use thiserror::Error;

use super::context::{self, ContextError, InstalledContext, ProgramType};
pub use super::context::{FieldSelector, RunInput};
use super::kernel_helpers::{KernelHelpers, Output};
use super::maps::{MapInsertError, MapSetupError, MapTable};
use super::memory::{Memory, region_base};
use super::{HelperError, Machine, Outcome, RunConfig, Trap, TrapKind};
use crate::elf::{LoadedProgram, MapId, Object, SourceLine};
use crate::program::Program;

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
        let helpers = KernelHelpers::new(maps, program_type).with_kfuncs(program.kfuncs(object));
        Ok(ObjectRunner { object, program, program_type, machine, memory, helpers, last_context: None })
    }

    /// The program's type.
    pub fn program_type(&self) -> ProgramType {
        self.program_type
    }

    /// Runs the program once on `input`: the packet for packet program types (XDP, tc,
    /// socket filters), the context's bytes otherwise.
    pub fn run(&mut self, input: &[u8]) -> Result<ProgramRun, ObjectRunError> {
        self.run_fields(input, &[])
    }

    /// Runs the program once on `input`: its bytes as for [`ObjectRunner::run`], and the
    /// context fields it chooses (packet program types only; see
    /// [`context::ContextLayout::choosable_word`]). A field that cannot be chosen is an
    /// error and nothing runs.
    pub fn run_with(&mut self, input: &RunInput) -> Result<ProgramRun, ObjectRunError> {
        self.run_fields(&input.bytes, &input.fields)
    }

    fn run_fields(&mut self, input: &[u8], fields: &[(FieldSelector, u32)]) -> Result<ProgramRun, ObjectRunError> {
        let installed = context::install_with(&mut self.memory, self.program_type, input, fields)?;
        if let Some(last) = self.last_context.replace(installed) {
            context::retire(&mut self.memory, last);
        }
        let args = [region_base(installed.context)];
        let result = self.machine.run(&mut self.memory, &args, &mut self.helpers);
        let result = check_return(&self.program.program, self.program_type, result);
        Ok(ProgramRun { result, outputs: self.helpers.take_outputs() })
    }

    /// Sets entry `key` of map `map` (an array or a hash table) to `value` before the next
    /// run, as user space may (see [`MapTable::insert`]).
    pub fn insert_map_entry(&mut self, map: MapId, key: &[u8], value: &[u8]) -> Result<(), MapInsertError> {
        self.helpers.maps_mut().insert(&mut self.memory, map, key, value)
    }

    /// Goes back to the state [`ObjectRunner::new`] left: fresh memory, maps as created
    /// (arrays zeroed, hash tables empty, global data from the object), helper state and
    /// outputs as new.
    pub fn reset(&mut self) -> Result<(), ObjectRunError> {
        let mut memory = self.machine.new_memory().map_err(ObjectRunError::Memory)?;
        let maps = MapTable::install(self.object, self.program, &mut memory)?;
        self.memory = memory;
        self.helpers = KernelHelpers::new(maps, self.program_type).with_kfuncs(self.program.kfuncs(self.object));
        self.last_context = None;
        Ok(())
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

/// `result`, or a [`TrapKind::ReturnOutOfRange`] trap (at the slot after `program`'s last)
/// when a `program_type` program returned a value its type does not allow. Every engine
/// running programs of ELF objects applies it to its runs.
pub fn check_return(
    program: &Program,
    program_type: ProgramType,
    result: Result<Outcome, Trap>,
) -> Result<Outcome, Trap> {
    let outcome = result?;
    match program_type.return_range() {
        Some((min, max)) if !(min..=max).contains(&(outcome.r0 as i64)) => {
            Err(Trap { pc: program.slots(), kind: TrapKind::ReturnOutOfRange { value: outcome.r0, min, max } })
        }
        _ => Ok(outcome),
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
        assert_eq!(runner.run(&[2, 0]).expect("packet").result.map(|o| o.r0), Ok(4));
        assert_eq!(runner.run(&[]).expect("packet").result.map(|o| o.r0), Ok(0));
        // 43 is no XDP action: the run reports it, after the program's last slot.
        let trap = runner.run(&[40, 0, 0]).expect("packet").result.expect_err("out of range");
        assert_eq!(trap.kind, TrapKind::ReturnOutOfRange { value: 43, min: 0, max: 4 });
        assert_eq!(trap.pc, object.programs[0].program.slots());
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
        let object = object("foo/bar", vec![], program.clone());
        let error = ObjectRunner::new(&object, &object.programs[0], config()).expect_err("unknown type");
        assert!(matches!(error, ObjectRunError::UnknownProgramType { .. }), "{error}");
        let object = object_kprobe(program);
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("kprobe");
        assert!(matches!(runner.run(&[0; 200]), Err(ObjectRunError::Context(ContextError::TooLong { .. }))));
        assert_eq!(runner.run(&[0; 8]).expect("padded").result.map(|o| o.r0), Ok(0));
    }

    #[test]
    fn runs_choose_fields_and_the_host_fills_maps() {
        // r0 = *lookup(flows, &skb->mark), or 1000 when there is no such entry.
        let text = "
            r2 = *(u32 *)(r1 + 8)
            *(u32 *)(r10 - 4) = r2
            r1 = 0 ll
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto miss
            r0 = *(u64 *)(r0 + 0)
            exit
        miss:
            r0 = 1000
            exit";
        let mut program = asm::llvm::parse(text).expect("valid").to_bytes();
        program[2 * 8 + 1] |= 5 << 4; // the lddw at slot 2 loads map 0's handle
        let program = crate::program::Program::from_bytes(&program).expect("valid");
        let object = object("tc", vec![map("flows", 1, 4, 8, 4), map("events", 27, 0, 0, 64)], program);
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("tc");
        let r0 = |runner: &mut ObjectRunner<'_>, input: RunInput| {
            runner.run_with(&input).expect("runs").result.map(|o| o.r0).expect("no trap")
        };
        assert_eq!(r0(&mut runner, RunInput::new([0; 4])), 1000);
        runner.insert_map_entry(MapId(0), &7u32.to_le_bytes(), &42u64.to_le_bytes()).expect("room");
        assert_eq!(r0(&mut runner, RunInput::new([0; 4]).with_field("mark", 7)), 42);
        assert_eq!(r0(&mut runner, RunInput::new([0; 4]).with_field(8u32, 7)), 42, "by offset");
        assert_eq!(r0(&mut runner, RunInput::new([0; 4]).with_field("mark", 8)), 1000);
        assert_eq!(runner.run(&[0; 4]).expect("runs").result.map(|o| o.r0), Ok(1000), "mark is 0 by default");
        // A refused field runs nothing and leaves the last run's context live.
        let refused = runner.run_with(&RunInput::new([0; 4]).with_field("len", 1));
        assert!(matches!(refused, Err(ObjectRunError::Context(ContextError::FixedField { field: "len", .. }))));
        let refused = runner.insert_map_entry(MapId(1), &[], &[]);
        assert!(matches!(refused, Err(MapInsertError::Unsupported { .. })), "{refused:?}");
        // A reset empties the maps again.
        runner.reset().expect("fresh memory");
        assert_eq!(r0(&mut runner, RunInput::new([0; 4]).with_field("mark", 7)), 1000);
        assert!(runner.maps().entries(runner.memory(), MapId(0)).is_empty());
    }

    #[test]
    fn raw_contexts_take_no_fields() {
        let object = object_kprobe(asm::llvm::parse("r0 = *(u64 *)(r1 + 8)\n exit").expect("valid"));
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("kprobe");
        let refused = runner.run_with(&RunInput::new([0; 8]).with_field("mark", 1));
        assert!(matches!(refused, Err(ObjectRunError::Context(ContextError::RawContextFields { .. }))));
        let run = runner.run_with(&RunInput::new((7u128 << 64 | 5).to_le_bytes())).expect("pt_regs");
        assert_eq!(run.result.map(|o| o.r0), Ok(7));
    }

    fn object_kprobe(program: crate::program::Program) -> Object {
        object("kprobe/do_sys_open", vec![], program)
    }
}
