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

use std::collections::BTreeMap;

use thiserror::Error;

use super::context::{self, ContextError, ContextKind, InstalledContext, ProgramType};
pub use super::context::{FieldSelector, RunInput};
use super::iter_context::{self, ElementSizes};
use super::kernel_helpers::{KernelHelpers, Output};
use super::maps::{MapInsertError, MapSetupError, MapTable};
use super::memory::{Memory, region_base};
use super::{HelperError, Machine, Outcome, RunConfig, Trap, TrapKind};
use crate::elf::{LoadedProgram, MapId, Object, SourceLine};
use crate::model::section::{SectionError, TypeChoice};
use crate::program::Program;

/// Why a program could not be run (as opposed to a run that trapped).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ObjectRunError {
    /// The section name selects no program type the interpreter knows.
    #[error(transparent)]
    UnknownProgramType(#[from] SectionError),
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
    /// The programs tail calls entered, in order (empty when none did): the run ended in
    /// the last one, so a trap's pc is in that program.
    pub tail_calls: Vec<String>,
}

/// One program of an object, ready for runs (see the module docs).
#[derive(Debug)]
pub struct ObjectRunner<'a> {
    object: &'a Object,
    program: &'a LoadedProgram,
    program_type: ProgramType,
    /// The program's context (its attach target chooses an iterator's).
    context: ContextKind,
    /// The iterated map's key and value sizes, for a map-element iterator.
    element_sizes: Option<ElementSizes>,
    machine: Machine,
    memory: Memory,
    helpers: KernelHelpers,
    /// The context of the last run, retired when the next one starts.
    last_context: Option<InstalledContext>,
    /// Machines of the object's other programs that tail calls entered, by index in
    /// [`Object::programs`].
    tail_call_machines: BTreeMap<usize, Machine>,
}

impl<'a> ObjectRunner<'a> {
    /// Prepares `program` of `object` for runs under `config`: its program type comes from
    /// its section name, its maps and global data are created empty / from the object.
    pub fn new(object: &'a Object, program: &'a LoadedProgram, config: RunConfig) -> Result<Self, ObjectRunError> {
        let program_type = object.program_type_of(program, TypeChoice::default())?;
        Self::with_program_type(object, program, program_type, config)
    }

    /// As [`ObjectRunner::new`], with the program type chosen by the caller (a
    /// `--program-type` override) rather than by the section name.
    pub fn with_program_type(
        object: &'a Object,
        program: &'a LoadedProgram,
        program_type: ProgramType,
        config: RunConfig,
    ) -> Result<Self, ObjectRunError> {
        let machine = Machine::new(&program.program, config);
        let mut memory = machine.new_memory().map_err(ObjectRunError::Memory)?;
        let maps = MapTable::install(object, program, &mut memory)?;
        let helpers = KernelHelpers::new(maps, program_type).with_kfuncs(program.kfuncs(object));
        Ok(ObjectRunner {
            object,
            program,
            program_type,
            context: program_type.context_in(&program.section),
            element_sizes: None,
            machine,
            memory,
            helpers,
            last_context: None,
            tail_call_machines: BTreeMap::new(),
        })
    }

    /// The program's type.
    pub fn program_type(&self) -> ProgramType {
        self.program_type
    }

    /// The program's context: its type's, or, for an iterator, its attach target's.
    pub fn context(&self) -> ContextKind {
        self.context
    }

    /// This runner, for a map-element iterator attached to a map with `sizes`: each run's
    /// input is then the visited element, its key then its value (or nothing, for the call
    /// after the last element).
    pub fn with_element_sizes(mut self, sizes: ElementSizes) -> Self {
        self.element_sizes = Some(sizes);
        self
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
        let installed = match self.context {
            ContextKind::Iterator(target) if fields.is_empty() => {
                iter_context::install(&mut self.memory, &mut self.helpers, target, self.element_sizes, input)?
            }
            ContextKind::Iterator(_) => {
                return Err(ContextError::RawContextFields { program_type: self.program_type }.into());
            }
            _ => context::install_with(&mut self.memory, self.program_type, input, fields)?,
        };
        if let Some(last) = self.last_context.replace(installed) {
            context::retire(&mut self.memory, last);
        }
        let args = [region_base(installed.context)];
        self.helpers.start_run();
        let mut result = self.machine.run(&mut self.memory, &args, &mut self.helpers);
        let mut running = self.program;
        let mut tail_calls = Vec::new();
        while let Err(Trap {
            pc,
            kind: TrapKind::HelperFailed { id, error: HelperError::TailCall { program, context } },
        }) = result
        {
            match self.enter_tail_call(program) {
                Ok(target) => {
                    running = target;
                    tail_calls.push(target.name.clone());
                    self.helpers.set_kfuncs(target.kfuncs(self.object));
                    let machine = self.tail_call_machines.get(&program).expect("entered above");
                    result = machine.run(&mut self.memory, &[context], &mut self.helpers);
                }
                Err(reason) => {
                    let error = HelperError::TailCallNotModelled(reason);
                    result = Err(Trap { pc, kind: TrapKind::HelperFailed { id, error } });
                }
            }
        }
        if !tail_calls.is_empty() {
            self.helpers.set_kfuncs(self.program.kfuncs(self.object));
        }
        let range = self.program_type.return_range_in(&running.section);
        let low_32_bits = self.program_type.return_value_is_32_bit();
        let result = check_return(&running.program, range, low_32_bits, result);
        Ok(ProgramRun { result, outputs: self.helpers.take_outputs(), tail_calls })
    }

    /// Prepares program `index` of the object for a tail call from this runner's program,
    /// or says why the model cannot run it in this memory: the kernel refuses a program of
    /// another type in the array, and the memory holds this program's jump tables and
    /// global data images (function addresses are program-relative).
    fn enter_tail_call(&mut self, index: usize) -> Result<&'a LoadedProgram, String> {
        let object = self.object;
        let target = object.programs.get(index).ok_or_else(|| format!("the object has no program {index}"))?;
        let target_type = object.program_type_of(target, TypeChoice::default()).map_err(|e| e.to_string())?;
        if target_type != self.program_type {
            return Err(format!(
                "`{}` is a {target_type} program, the caller a {} program",
                target.name, self.program_type
            ));
        }
        if !self.tail_call_machines.contains_key(&index) {
            let machine = Machine::new(&target.program, self.machine.config().clone());
            if machine.jump_table_images() != self.machine.jump_table_images() {
                return Err(format!("`{}` has other jump tables than `{}`", target.name, self.program.name));
            }
            let differs = (0..object.maps.len() as u32)
                .map(MapId)
                .any(|map| target.data_image(object, map) != self.program.data_image(object, map));
            if differs {
                return Err(format!(
                    "`{}` sees other function addresses in global data than `{}`",
                    target.name, self.program.name
                ));
            }
            self.tail_call_machines.insert(index, machine);
        }
        Ok(target)
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
/// when the program returned a value outside `return_range` (its type's
/// [`ProgramType::return_range_in`] its section), judged by its low 32 bits sign-extended
/// when `low_32_bits` ([`ProgramType::return_value_is_32_bit`]). Every engine
/// running programs of ELF objects applies it to its runs.
pub fn check_return(
    program: &Program,
    return_range: Option<(i64, i64)>,
    low_32_bits: bool,
    result: Result<Outcome, Trap>,
) -> Result<Outcome, Trap> {
    let outcome = result?;
    let value = if low_32_bits { i64::from(outcome.r0 as u32 as i32) } else { outcome.r0 as i64 };
    match return_range {
        Some((min, max)) if !(min..=max).contains(&value) => {
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
        Output::SeqFile(bytes) => format!("seq_file: {} bytes: {}", bytes.len(), hex(bytes)),
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
    fn return_ranges_follow_the_type_and_the_attach_target() {
        let returns_text = |section: &str, text: &str| {
            let object = object(section, vec![], asm::llvm::parse(text).expect("valid"));
            let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect(section);
            runner.run(&[0; 64]).expect("runs").result.map(|o| o.r0 as i64).map_err(|trap| trap.kind)
        };
        let returns = |section: &str, value: i64| returns_text(section, &format!("r0 = {value}\n exit"));
        assert_eq!(returns("cgroup_skb/egress", 3), Ok(3));
        assert_eq!(returns("cgroup_skb/ingress", 2), Err(TrapKind::ReturnOutOfRange { value: 2, min: 0, max: 1 }));
        assert_eq!(returns("fentry/f", 0), Ok(0));
        assert_eq!(returns("fentry/f", 1), Err(TrapKind::ReturnOutOfRange { value: 1, min: 0, max: 0 }));
        assert_eq!(returns("fmod_ret/f", -22), Ok(-22));
        assert_eq!(returns("lsm/file_open", -1), Ok(-1));
        // `w0 = -1` leaves 0xffffffff in r0: an int hook's -1 all the same.
        assert_eq!(returns_text("lsm/file_open", "w0 = -1\n exit"), Ok(0xffff_ffff));
        // Only LSM programs are judged by the low 32 bits.
        let high = "r0 = 1\n r0 <<= 32\n exit";
        assert_eq!(returns_text("lsm/file_open", high), Ok(1 << 32));
        assert_eq!(returns_text("fentry/f", high), Err(TrapKind::ReturnOutOfRange { value: 1 << 32, min: 0, max: 0 }));
        let out = Err(TrapKind::ReturnOutOfRange { value: 1, min: -4095, max: 0 });
        assert_eq!(returns("lsm/file_open", 1), out);
        assert_eq!(returns("lsm/bprm_committed_creds", 7), Ok(7));
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

    /// `text` assembled, with the `lddw`s at `loads` (slot, map index) made map loads.
    fn with_map_loads(text: &str, loads: &[(usize, u32)]) -> crate::program::Program {
        let mut bytes = asm::llvm::parse(text).expect("valid").to_bytes();
        for &(slot, map) in loads {
            bytes[slot * 8 + 1] |= 5 << 4; // src_reg 5: MapIdx
            bytes[slot * 8 + 4..slot * 8 + 8].copy_from_slice(&map.to_le_bytes());
        }
        crate::program::Program::from_bytes(&bytes).expect("valid")
    }

    /// An object whose program array `jumps` (map 0) holds, at slot 1, a program that counts
    /// its runs in `counts` (map 1) and tail-calls itself, and at slot 2 an XDP program; its
    /// first program tail-calls the slot its packet's length names.
    fn tail_call_object() -> Object {
        let entry = "r3 = *(u32 *)(r1 + 0)\n r2 = 0 ll\n call 12\n r0 = 7\n exit";
        let again = "
            r6 = r1
            r1 = 0 ll
            r2 = 0
            *(u32 *)(r10 - 4) = r2
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto out
            r1 = *(u64 *)(r0 + 0)
            r1 += 1
            *(u64 *)(r0 + 0) = r1
        out:
            r1 = r6
            r2 = 0 ll
            r3 = 1
            call 12
            r0 = 41
            exit";
        let mut jumps = map("jumps", 3, 4, 4, 4);
        jumps.extras.initial_programs = vec![(1, "again".into()), (2, "elsewhere".into())];
        let mut object = object("socket", vec![jumps, map("counts", 2, 4, 8, 1)], with_map_loads(entry, &[(1, 0)]));
        let program = |section: &str, name: &str, program| {
            let mut loaded = object.programs[0].clone();
            (loaded.section, loaded.name, loaded.program) = (section.into(), name.into(), program);
            loaded
        };
        let again = program("socket", "again", with_map_loads(again, &[(1, 1), (13, 0)]));
        let elsewhere = program("xdp", "elsewhere", asm::llvm::parse("r0 = 2\n exit").expect("valid"));
        object.programs.extend([again, elsewhere]);
        object
    }

    #[test]
    fn tail_calls_run_the_program_in_the_slot_at_most_33_times() {
        let object = tail_call_object();
        let mut runner = ObjectRunner::new(&object, &object.programs[0], config()).expect("socket");
        let empty_slot = runner.run(&[]).expect("runs");
        assert_eq!((empty_slot.result.map(|o| o.r0), empty_slot.tail_calls.len()), (Ok(7), 0), "falls through");
        let looped = runner.run(&[0]).expect("runs");
        assert_eq!(looped.result.map(|o| o.r0), Ok(41), "the 34th tail call falls through");
        assert_eq!(looped.tail_calls, vec!["again".to_owned(); 33]);
        let counts = runner.maps().entries(runner.memory(), MapId(1));
        assert_eq!(counts, [(0u32.to_le_bytes().to_vec(), 33u64.to_le_bytes().to_vec())], "maps are shared");
        // The count starts again with every run.
        assert_eq!(runner.run(&[0]).expect("runs").tail_calls.len(), 33);
        // An XDP program in a socket filter's array: the kernel never lets it get there.
        let trap = runner.run(&[0, 0]).expect("runs").result.expect_err("not modelled");
        let TrapKind::HelperFailed { id: 12, error: HelperError::TailCallNotModelled(reason) } = trap.kind else {
            panic!("{trap}")
        };
        assert!(reason.contains("`elsewhere` is a"), "{reason}");
    }

    fn object_kprobe(program: crate::program::Program) -> Object {
        object("kprobe/do_sys_open", vec![], program)
    }
}
