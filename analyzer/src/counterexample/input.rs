//! A counterexample's input: packet or context bytes, context fields and map entries, and how to
//! replay and print it.

use std::fmt::{self, Write};

use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::interp::context::{ContextKind, FieldSelector, ProgramType, RunInput};
use bpfprove_semantics::interp::elf_run::{ObjectRunner, ProgramRun};

use super::SearchError;

/// One entry a run's map holds before the program starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    /// The map.
    pub map: MapId,
    /// Its name.
    pub name: String,
    /// The key's bytes (an array's index as a little-endian u32).
    pub key: Vec<u8>,
    /// The value's bytes.
    pub value: Vec<u8>,
}

/// A complete input of one run: what [`ObjectRunner`] needs to reproduce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The program type (which says what `bytes` are).
    pub program_type: ProgramType,
    /// The packet (packet program types) or the context's bytes.
    pub bytes: Vec<u8>,
    /// Context fields set to other values than their defaults.
    pub fields: Vec<(FieldSelector, u32)>,
    /// Map entries present at the start; every other array element is zero and every other
    /// hash key absent. Global data is as loaded.
    pub maps: Vec<MapEntry>,
}

impl Counterexample {
    /// The run's input (bytes and fields).
    pub fn run_input(&self) -> RunInput {
        RunInput { bytes: self.bytes.clone(), fields: self.fields.clone() }
    }

    /// Inserts the map entries into `runner`'s maps as they are and runs the program.
    pub fn run_on(&self, runner: &mut ObjectRunner<'_>) -> Result<ProgramRun, SearchError> {
        for entry in &self.maps {
            runner.insert_map_entry(entry.map, &entry.key, &entry.value)?;
        }
        Ok(runner.run_with(&self.run_input())?)
    }

    /// The arguments of `bpfprove run` that replay this input on the program:
    /// `--program-type`, `--mem`, one `--field` per field and one `--map` per entry.
    pub fn run_arguments(&self) -> Vec<String> {
        let plain_hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let mut args = vec!["--program-type".to_owned(), self.program_type.name().to_owned()];
        if !self.bytes.is_empty() {
            args.extend(["--mem".to_owned(), plain_hex(&self.bytes)]);
        }
        for (selector, value) in &self.fields {
            let field = match selector {
                FieldSelector::Name(name) => format!("{name}={value:#x}"),
                FieldSelector::Offset(offset) => format!("+{offset}={value:#x}"),
            };
            args.extend(["--field".to_owned(), field]);
        }
        for entry in &self.maps {
            args.extend([
                "--map".to_owned(),
                format!("{}:{}={}", entry.name, plain_hex(&entry.key), plain_hex(&entry.value)),
            ]);
        }
        args
    }

    /// Resets `runner` to its initial state and runs the program on this input.
    pub fn replay(&self, runner: &mut ObjectRunner<'_>) -> Result<ProgramRun, SearchError> {
        runner.reset()?;
        self.run_on(runner)
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.program_type.context() {
            ContextKind::Packet(_) => "packet",
            ContextKind::Iterator(_) => "element",
            ContextKind::Raw { .. } | ContextKind::NotModelled { .. } => "context",
        };
        write!(f, "{what} of {} bytes [{}]", self.bytes.len(), hex(&self.bytes))?;
        for (selector, value) in &self.fields {
            match selector {
                FieldSelector::Name(name) => write!(f, ", {name}={value:#x}")?,
                FieldSelector::Offset(offset) => write!(f, ", ctx+{offset}={value:#x}")?,
            }
        }
        if self.maps.is_empty() {
            f.write_str(", maps empty")?;
        }
        for entry in &self.maps {
            write!(f, ", {}[{}]=[{}]", entry.name, hex(&entry.key), hex(&entry.value))?;
        }
        Ok(())
    }
}

/// Bytes as hex pairs, a run of four or more equal bytes as `byte×count`.
pub(super) fn hex(bytes: &[u8]) -> String {
    let mut text = String::new();
    let mut rest = bytes;
    while let Some(&first) = rest.first() {
        let run = rest.iter().take_while(|&&b| b == first).count();
        if !text.is_empty() {
            text.push(' ');
        }
        if run >= 4 {
            let _ = write!(text, "{first:02x}×{run}");
            rest = &rest[run..];
        } else {
            let _ = write!(text, "{first:02x}");
            rest = &rest[1..];
        }
    }
    text
}
