//! `bpfprove run`: the reference interpreter on one program.

use anyhow::{Context, Result, bail};
use bpfprove_jit_x86 as jit_x86;
use bpfprove_jit_x86::object_run::JitObjectRunner;
use bpfprove_semantics::conformance;
use bpfprove_semantics::elf::Object;
use bpfprove_semantics::interp::context::ContextKind;
use bpfprove_semantics::interp::elf_run::{self, FieldSelector, ObjectRunner, RunInput};
use bpfprove_semantics::interp::iter_context::ElementSizes;
use bpfprove_semantics::interp::{self, CallxModel, RunConfig};
use clap::{Args, ValueEnum};

use super::verify::PrivilegeArgs;
use crate::Outcome;
use crate::input::{self, ProgramSource};
use crate::output::outln;
use crate::program_type::ProgramTypeArgs;

/// `callx` model names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CallxModelArg {
    /// The register holds a local function's code address (clang ≥ 19, gcc).
    Address,
    /// The register holds a helper id (PREVAIL, bpf_conformance).
    HelperId,
}

impl From<CallxModelArg> for CallxModel {
    fn from(arg: CallxModelArg) -> CallxModel {
        match arg {
            CallxModelArg::Address => CallxModel::Address,
            CallxModelArg::HelperId => CallxModel::HelperId,
        }
    }
}

/// Arguments of `bpfprove run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    source: ProgramSource,
    /// Input memory as hex bytes. For raw programs r1 points to it and r2 holds its length;
    /// for an ELF program it is the packet (XDP, tc, socket) or the context's bytes
    /// (kprobe, tracepoint).
    #[arg(long, default_value = "")]
    mem: String,
    /// A context field's value for an ELF program with a virtual context, as `NAME=VALUE`
    /// or `+OFFSET=VALUE` (a 4-byte word); repeatable. `sk=0` makes a nullable socket
    /// pointer NULL. The interpreter only.
    #[arg(long = "field", value_parser = parse_field)]
    fields: Vec<(FieldSelector, u32)>,
    /// A map entry present before an ELF program starts, as `MAP:KEY=VALUE` with the key and
    /// value in hex (`counts:00000000=2a00000000000000`); repeatable. What `verify` prints
    /// for a confirmed counterexample replays with these options. The interpreter only.
    #[arg(long = "map", value_parser = parse_map_entry)]
    map_entries: Vec<MapEntryArg>,
    /// For a map-element iterator (`iter/bpf_map_elem`): the key and value sizes of the map
    /// it is attached to, as `KEY:VALUE` bytes. `--mem` is then the visited element, the key's
    /// bytes then the value's (empty: the call after the last element). The interpreter only.
    #[arg(long, value_parser = parse_element_sizes)]
    element_sizes: Option<ElementSizes>,
    /// What a `callx` register holds.
    #[arg(long, value_enum, default_value_t = CallxModelArg::Address)]
    callx_model: CallxModelArg,
    /// Most instructions to execute before the run traps.
    #[arg(long, default_value_t = 10_000_000)]
    budget: u64,
    /// Run through the x86-64 JIT instead of the interpreter.
    #[arg(long)]
    jit: bool,
    #[command(flatten)]
    types: ProgramTypeArgs,
    #[command(flatten)]
    privilege: PrivilegeArgs,
}

pub(crate) fn run(args: RunArgs) -> Result<Outcome> {
    let config = RunConfig::new(args.callx_model.into(), args.budget).with_privilege(args.privilege.privilege());
    if let Some(object) = input::load_object_if_elf(&args.source.file)? {
        return run_object(&object, &args, config);
    }
    if args.source.section.is_some() || args.source.function.is_some() {
        bail!("{}: --section and --function apply to ELF objects only", args.source.file.display());
    }
    if args.types.program_type.is_some() || args.types.default_program_type.is_some() {
        bail!("{}: a raw program has no context; --program-type applies to ELF objects", args.source.file.display());
    }
    let program = input::load_program(&args.source.file, args.source.format)?;
    let mut memory = conformance::parse_hex(&args.mem).map_err(|e| anyhow::anyhow!("--mem: {e}"))?;
    let result = if args.jit {
        jit_x86::run_on_memory(&program, &mut memory, &config, &mut interp::DefaultHelpers)
            .with_context(|| format!("{}: the JIT cannot compile it", args.source.file.display()))?
    } else {
        interp::run_on_memory(&program, &mut memory, &config, &mut interp::DefaultHelpers)
    };
    match result {
        Ok(outcome) => {
            outln!("r0 = {:#x} ({} instructions)", outcome.r0, outcome.instructions)?;
            Ok(Outcome::Success)
        }
        Err(trap) => {
            outln!("trap: {trap}")?;
            Ok(Outcome::Failed)
        }
    }
}

/// Runs one program of an ELF object with its maps and Linux's helpers.
fn run_object(object: &Object, args: &RunArgs, config: RunConfig) -> Result<Outcome> {
    let program = input::select_program(object, args.source.section.as_deref(), args.source.function.as_deref())
        .with_context(|| args.source.file.display().to_string())?;
    let input = conformance::parse_hex(&args.mem).map_err(|e| anyhow::anyhow!("--mem: {e}"))?;
    let name = || format!("{}: program {}", args.source.file.display(), program.name);
    let program_type = object.program_type_of(program, args.types.choice()).with_context(name)?;
    let mut runner =
        ObjectRunner::with_program_type(object, program, program_type, config.clone()).with_context(name)?;
    if args.jit && (!args.fields.is_empty() || !args.map_entries.is_empty() || args.element_sizes.is_some()) {
        bail!("--field, --map and --element-sizes apply to the interpreter only");
    }
    if let Some(sizes) = args.element_sizes {
        if !matches!(runner.context(), ContextKind::Iterator(_)) {
            bail!("{}: --element-sizes applies to map-element iterators (iter/bpf_map_elem)", name());
        }
        runner = runner.with_element_sizes(sizes);
    }
    for entry in &args.map_entries {
        let map = object
            .map_by_name(&entry.map)
            .with_context(|| format!("--map {}: the object has no map of that name", entry.map))?;
        runner.insert_map_entry(map, &entry.key, &entry.value).with_context(|| format!("--map {}", entry.map))?;
    }
    let (run, maps) = if args.jit {
        let mut jit = JitObjectRunner::unverified_as(object, program, program_type, config).with_context(name)?;
        (jit.run(&input).with_context(name)?, jit.maps().clone())
    } else {
        let input = RunInput { bytes: input, fields: args.fields.clone() };
        (runner.run_with(&input).with_context(name)?, runner.maps().clone())
    };
    outln!("program {} (section {}, type {})", program.name, program.section, runner.program_type())?;
    for output in &run.outputs {
        outln!("{}", elf_run::describe_output(output, &maps))?;
    }
    match run.result {
        Ok(outcome) => {
            outln!("r0 = {:#x} ({} instructions)", outcome.r0, outcome.instructions)?;
            Ok(Outcome::Success)
        }
        Err(trap) => {
            outln!("trap: {trap}")?;
            let pc = elf_run::innermost(&trap).pc;
            if let Some(location) = runner.location(pc) {
                outln!("  at {location}")?;
            }
            if let Some(line) = runner.trap_line(&trap) {
                outln!("  source {line}: {}", line.text.trim())?;
            }
            Ok(Outcome::Failed)
        }
    }
}

/// One `--map MAP:KEY=VALUE`.
#[derive(Clone, Debug)]
struct MapEntryArg {
    map: String,
    key: Vec<u8>,
    value: Vec<u8>,
}

/// `MAP:KEY=VALUE`, key and value as hex bytes.
fn parse_map_entry(text: &str) -> Result<MapEntryArg, String> {
    let (map, entry) = text.split_once(':').ok_or_else(|| format!("`{text}`: expected MAP:KEY=VALUE"))?;
    let (key, value) = entry.split_once('=').ok_or_else(|| format!("`{text}`: expected MAP:KEY=VALUE"))?;
    let bytes = |hex: &str, what: &str| conformance::parse_hex(hex).map_err(|e| format!("`{text}`: {what}: {e}"));
    Ok(MapEntryArg { map: map.to_owned(), key: bytes(key, "key")?, value: bytes(value, "value")? })
}

/// `KEY:VALUE`, two sizes in bytes.
fn parse_element_sizes(text: &str) -> Result<ElementSizes, String> {
    let (key, value) = text.split_once(':').ok_or_else(|| format!("`{text}`: expected KEY:VALUE sizes in bytes"))?;
    let size = |digits: &str| digits.parse::<u32>().map_err(|e| format!("`{text}`: `{digits}`: {e}"));
    Ok(ElementSizes { key: size(key)?, value: size(value)? })
}

/// `NAME=VALUE` or `+OFFSET=VALUE`, the value decimal or `0x` hexadecimal.
fn parse_field(text: &str) -> Result<(FieldSelector, u32), String> {
    let (field, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    let number = |digits: &str| match digits.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => digits.parse(),
    };
    let value = number(value).map_err(|e| format!("`{value}`: {e}"))?;
    let selector = match field.strip_prefix('+') {
        Some(offset) => FieldSelector::Offset(number(offset).map_err(|e| format!("`{offset}`: {e}"))?),
        None => FieldSelector::Name(field.to_owned()),
    };
    Ok((selector, value))
}
