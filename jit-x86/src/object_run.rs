//! Running a program of a loaded ELF object through the JIT, set up exactly as the
//! interpreter's `interp::elf_run::ObjectRunner` sets it up (program type from the section,
//! maps and global data, Linux's helpers and kfuncs, a fresh context per run), so the two
//! can be compared run for run.

use bpfprove_semantics::elf::{LoadedProgram, Object};
use bpfprove_semantics::interp::context::{self, InstalledContext, ProgramType};
use bpfprove_semantics::interp::elf_run::{self, ObjectRunError, ProgramRun};
use bpfprove_semantics::interp::maps::MapTable;
use bpfprove_semantics::interp::memory::region_base;
use bpfprove_semantics::interp::{KernelHelpers, Memory, RunConfig};
use bpfprove_semantics::model::section::TypeChoice;
use thiserror::Error;

use crate::error::JitError;
use crate::machine::JitMachine;
use crate::validated::Validated;
use bpfprove_analyzer::Verified;

/// Why an object's program could not be prepared for the JIT.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum JitObjectError {
    /// Setting up the run failed as it would in the interpreter.
    #[error(transparent)]
    Run(#[from] ObjectRunError),
    /// The program did not compile.
    #[error(transparent)]
    Jit(#[from] JitError),
    /// The verification token is for another program.
    #[error("the verification token given is not for program `{function}`")]
    NotThisProgram {
        /// The program that was to be compiled.
        function: String,
    },
}

/// One program of an object, compiled and ready for runs; keeps memory, maps and helper
/// state between runs, as the interpreter's runner does.
#[derive(Debug)]
pub struct JitObjectRunner {
    program_type: ProgramType,
    /// The values the program may return (its type's, for its section's attach target).
    return_range: Option<(i64, i64)>,
    machine: JitMachine,
    memory: Memory,
    helpers: KernelHelpers,
    /// The previous run's context, retired before the next run installs its own.
    last_context: Option<InstalledContext>,
}

impl JitObjectRunner {
    /// Compiles `program` of `object`, which the analyzer verified (`verified` is its
    /// token for `program`), for runs under `config`.
    pub fn new(
        object: &Object,
        program: &LoadedProgram,
        verified: Verified<'_>,
        config: RunConfig,
    ) -> Result<JitObjectRunner, JitObjectError> {
        if !std::ptr::eq(verified.program(), &program.program) {
            return Err(JitObjectError::NotThisProgram { function: program.name.clone() });
        }
        JitObjectRunner::compile(object, program, Validated::from(verified), config)
    }

    /// Compiles `program` of `object` unverified, for comparisons with the interpreter.
    #[cfg(feature = "differential-testing")]
    pub fn unverified(
        object: &Object,
        program: &LoadedProgram,
        config: RunConfig,
    ) -> Result<JitObjectRunner, JitObjectError> {
        JitObjectRunner::compile(object, program, Validated::unverified(&program.program), config)
    }

    /// As [`JitObjectRunner::unverified`], with the program type chosen by the caller (a
    /// `--program-type` override) rather than by the section name.
    #[cfg(feature = "differential-testing")]
    pub fn unverified_as(
        object: &Object,
        program: &LoadedProgram,
        program_type: ProgramType,
        config: RunConfig,
    ) -> Result<JitObjectRunner, JitObjectError> {
        let choice = TypeChoice { force: Some(program_type), default: None };
        JitObjectRunner::compile_as(object, program, Validated::unverified(&program.program), config, choice)
    }

    fn compile(
        object: &Object,
        program: &LoadedProgram,
        token: Validated<'_>,
        config: RunConfig,
    ) -> Result<JitObjectRunner, JitObjectError> {
        JitObjectRunner::compile_as(object, program, token, config, TypeChoice::default())
    }

    fn compile_as(
        object: &Object,
        program: &LoadedProgram,
        token: Validated<'_>,
        config: RunConfig,
        choice: TypeChoice,
    ) -> Result<JitObjectRunner, JitObjectError> {
        let program_type = object.program_type_of(program, choice).map_err(ObjectRunError::UnknownProgramType)?;
        let machine = JitMachine::new(token, config)?;
        let mut memory = machine.new_memory().map_err(ObjectRunError::Memory)?;
        let maps = MapTable::install(object, program, &mut memory).map_err(ObjectRunError::from)?;
        let helpers = KernelHelpers::new(maps, program_type).with_kfuncs(program.kfuncs(object));
        let return_range = program_type.return_range_in(&program.section);
        Ok(JitObjectRunner { program_type, return_range, machine, memory, helpers, last_context: None })
    }

    /// The program's type.
    pub fn program_type(&self) -> ProgramType {
        self.program_type
    }

    /// Runs the program once on `input`: the packet for packet program types, the
    /// context's bytes otherwise.
    pub fn run(&mut self, input: &[u8]) -> Result<ProgramRun, ObjectRunError> {
        if let Some(last) = self.last_context.take() {
            context::retire(&mut self.memory, last);
        }
        let installed = context::install(&mut self.memory, self.program_type, input)?;
        self.last_context = Some(installed);
        let args = [region_base(installed.context)];
        let result = self.machine.run(&mut self.memory, &args, &mut self.helpers);
        let low_32_bits = self.program_type.return_value_is_32_bit();
        let result = elf_run::check_return(self.machine.program(), self.return_range, low_32_bits, result);
        Ok(ProgramRun { result, outputs: self.helpers.take_outputs(), tail_calls: Vec::new() })
    }

    /// The compiled program.
    pub fn machine(&self) -> &JitMachine {
        &self.machine
    }

    /// The memory as the last run left it.
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The maps.
    pub fn maps(&self) -> &MapTable {
        self.helpers.maps()
    }
}
