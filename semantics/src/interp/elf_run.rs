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

use super::context::{self, ContextError, ProgramType};
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
        Ok(ObjectRunner { object, program, program_type, machine, memory, helpers })
    }

    /// The program's type.
    pub fn program_type(&self) -> ProgramType {
        self.program_type
    }

    /// Runs the program once on `input`: the packet for packet program types (XDP, tc,
    /// socket filters), the context's bytes otherwise.
    pub fn run(&mut self, input: &[u8]) -> Result<ProgramRun, ObjectRunError> {
        let installed = context::install(&mut self.memory, self.program_type, input)?;
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
